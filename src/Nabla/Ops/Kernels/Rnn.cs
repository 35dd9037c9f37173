// Elman RNN layer kernels: the whole time loop of one direction of one layer, forward and BPTT backward.
//
// Layout (row-major, time-major): xg [T,B,H] = x_t·W_ihᵀ + b_ih for every step (one GEMM, done by the caller);
// w = W_hh [H,H]; an optional b_hh [H]; h0 [B,H]; hs [T,B,H]: hs[t] = h_t. Per step one GEMM h_{t-1}·W_hhᵀ, then
// h = act(xg + h_{t-1}·W_hhᵀ + b_hh) per row, act = tanh or relu. The backward needs only hs: act'(a) is 1 − h² for
// tanh and [h > 0] for relu.
//
// Backward (BPTT), time in the opposite order: dh = dhs[t] + dh_carry; da = dh⊙act'(a_t); dxg_t = da;
// dh_carry = da·W_hh (one GEMM); then dW_hh = Σ_t da_tᵀ·h_{t-1} (two GEMMs over all steps) and db_hh = Σ_t,b da_t.
// Variable lengths: as in Lstm.cs, row b is processed only at t < len[b] and carries its state otherwise.
using System.Numerics;
using System.Runtime.Intrinsics;

namespace Nabla.Ops.Kernels;

internal static class Rnn
{
    /// <summary>Runs the forward loop (hs receives h_t for every step).</summary>
    public static void Forward<T>(int steps, int batch, int hidden, T[] xg, T[] w, T[]? bias, T[] h0, int[]? lengths, bool reverse,
        bool relu, T[] hs) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int bh = batch * hidden;
        float[]? packed = null;
        if (Lstm.UsePacked<T>(hidden))
        {
            // h·W_hhᵀ: the packed operand is W_hhᵀ.
            var wf = (float[])(object)w;
            var wt = new float[hidden * hidden];
            for (int r = 0; r < hidden; r++)
            {
                for (int p = 0; p < hidden; p++)
                {
                    wt[(p * hidden) + r] = wf[(r * hidden) + p];
                }
            }

            packed = Lstm.Pack(wt, hidden, hidden, hidden);
        }

        void Rows(int b0, int b1)
        {
            int m = b1 - b0;
            for (int k = 0; k < steps; k++)
            {
                int t = reverse ? steps - 1 - k : k;
                int tp = reverse ? t + 1 : t - 1;
                var (hp, hpo) = k == 0 ? (h0, 0) : (hs, tp * bh);
                int ho = (t * bh) + (b0 * hidden);

                // h_t rows = h_{t-1}·W_hhᵀ, then act(xg + · + b_hh) in place.
                if (packed is not null)
                {
                    Lstm.Panels(m, hidden, hidden, (float[])(object)hp, hpo + (b0 * hidden), hidden, packed, (float[])(object)hs, ho, hidden);
                }
                else
                {
                    Gemm.Multiply(false, true, m, hidden, hidden, hp, hpo + (b0 * hidden), hidden, w, 0, hidden, hs, ho, hidden, false);
                }

                for (int b = b0; b < b1; b++)
                {
                    var hrow = hs.AsSpan((t * bh) + (b * hidden), hidden);
                    if (lengths is not null && t >= lengths[b])
                    {
                        hp.AsSpan(hpo + (b * hidden), hidden).CopyTo(hrow); // past its length a row carries its state
                        continue;
                    }

                    Activate<T>(xg.AsSpan((t * bh) + (b * hidden), hidden), bias, hrow, relu);
                }
            }
        }

        Lstm.SplitRows(batch, (long)bh * hidden, packed is not null, Rows);
    }

    /// <summary>
    /// BPTT through the loop run by <see cref="Forward"/>: from dhs [T,B,H] computes dxg [T,B,H], dw [H,H], the bias
    /// gradient db [H] (when there is a bias) and dh0 [B,H].
    /// </summary>
    public static void Backward<T>(int steps, int batch, int hidden, T[] w, T[] h0, int[]? lengths, bool reverse, bool relu,
        T[] hs, T[] dhs, T[] dxg, T[] dw, T[]? dbias, T[] dh0) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int bh = batch * hidden;
        var dhA = new T[bh];
        var dhB = new T[bh];
        var packed = Lstm.UsePacked<T>(hidden) ? Lstm.Pack((float[])(object)w, hidden, hidden, hidden) : null;
        if (dbias is not null)
        {
            Array.Clear(dbias);
        }

        void Rows(int b0, int b1)
        {
            int m = b1 - b0, r0 = b0 * hidden, rn = m * hidden;
            var (dh, dhNext) = (dhA, dhB);
            var db = dbias is null ? null : new T[hidden];
            for (int k = steps - 1; k >= 0; k--)
            {
                int t = reverse ? steps - 1 - k : k;
                Lstm.AddShort<T>(dh.AsSpan(r0, rn), dhs.AsSpan((t * bh) + r0, rn), dh.AsSpan(r0, rn));
                for (int b = b0; b < b1; b++)
                {
                    var da = dxg.AsSpan((t * bh) + (b * hidden), hidden);
                    var dhr = dh.AsSpan(b * hidden, hidden);
                    if (lengths is not null && t >= lengths[b])
                    {
                        da.Clear(); // a carried row: dh passes to the previous step unchanged
                        continue;
                    }

                    Derivative<T>(hs.AsSpan((t * bh) + (b * hidden), hidden), dhr, da, relu);
                    dhr.Clear();
                    if (db is not null)
                    {
                        Lstm.AddShort<T>(db, da, db);
                    }
                }

                // dh_{t-1} = da_t·W_hh, plus dh itself for carried rows (zero for the others).
                if (packed is not null)
                {
                    Lstm.Panels(m, hidden, hidden, (float[])(object)dxg, (t * bh) + r0, hidden, packed, (float[])(object)dhNext, r0, hidden);
                }
                else
                {
                    Gemm.Multiply(false, false, m, hidden, hidden, dxg, (t * bh) + r0, hidden, w, 0, hidden, dhNext, r0, hidden, false);
                }

                Lstm.AddShort<T>(dhNext.AsSpan(r0, rn), dh.AsSpan(r0, rn), dhNext.AsSpan(r0, rn));
                (dh, dhNext) = (dhNext, dh);
            }

            if (db is not null)
            {
                lock (dbias!)
                {
                    Lstm.AddShort<T>(dbias, db, dbias);
                }
            }
        }

        Lstm.SplitRows(batch, (long)bh * hidden, packed is not null, Rows);
        Array.Copy(steps % 2 == 0 ? dhA : dhB, dh0, bh); // where the last step left dh_{-1}

        Lstm.WeightGrad(steps, batch, hidden, hidden, reverse, dxg, hs, h0, dw);
    }

    /// <summary>h = act(xg + h + b) for one row (h holds h_{t-1}·W_hhᵀ on entry).</summary>
    private static void Activate<T>(ReadOnlySpan<T> xg, T[]? bias, Span<T> h, bool relu) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int n = h.Length, j = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; j <= n - Vector512<T>.Count; j += Vector512<T>.Count)
            {
                var a = Vector512.Create(xg[j..]) + Vector512.Create(h[j..]) + (bias is null ? default : Vector512.Create(bias, j));
                (relu ? Vector512.Max(a, Vector512<T>.Zero) : Lstm.Tanh(a)).CopyTo(h[j..]);
            }
        }

        for (; j < n; j++)
        {
            T a = xg[j] + h[j] + (bias is null ? T.Zero : bias[j]);
            h[j] = relu ? T.Max(a, T.Zero) : T.Tanh(a);
        }
    }

    /// <summary>da = dh⊙act'(a), from h = act(a): 1 − h² for tanh, [h &gt; 0] for relu.</summary>
    private static void Derivative<T>(ReadOnlySpan<T> h, ReadOnlySpan<T> dh, Span<T> da, bool relu) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int n = h.Length, j = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; j <= n - Vector512<T>.Count; j += Vector512<T>.Count)
            {
                var hv = Vector512.Create(h[j..]);
                var d = Vector512.Create(dh[j..]);
                (relu ? Vector512.ConditionalSelect(Vector512.GreaterThan(hv, Vector512<T>.Zero), d, Vector512<T>.Zero) : d * (Vector512<T>.One - (hv * hv))).CopyTo(da[j..]);
            }
        }

        for (; j < n; j++)
        {
            da[j] = relu ? (h[j] > T.Zero ? dh[j] : T.Zero) : dh[j] * (T.One - (h[j] * h[j]));
        }
    }
}
