// GRU layer kernels: the whole time loop of one direction of one layer, forward and BPTT backward.
//
// Layout (row-major, time-major): xg [T,B,3H] = x_t·W_ihᵀ + b_ih for every step (one GEMM, done by the caller);
// w = W_hh [3H,H]; an optional b_hh [3H]; h0 [B,H]; hs [T,B,H]: hs[t] = h_t. Gate order r, z, n (PyTorch). Per step:
// one GEMM gh = h_{t-1}·W_hhᵀ for the three gates, then one pass per row:
//   r = σ(xr + ghr + bhr), z = σ(xz + ghz + bhz), n = tanh(xn + r⊙(ghn + bhn)), h = n + z⊙(h_{t-1} − n).
// Unlike the LSTM, b_hh cannot be folded into b_ih: r multiplies W_hn·h + b_hn. The forward keeps r, z, n and
// W_hn·h + b_hn per step ([T,B,4H]) for the backward.
//
// Backward (BPTT), time in the opposite order, dh = dhs[t] + dh_carry:
//   dn = dh⊙(1 − z); dz = dh⊙(h_{t-1} − n); da_n = dn⊙(1 − n²) (the gradient of n's pre-activation);
//   da_r = da_n⊙(ghn + bhn)⊙r(1 − r); da_z = dz⊙z(1 − z);
//   dxg_t = [da_r, da_z, da_n]; dgh_t = [da_r, da_z, da_n⊙r]; dh_carry = dh⊙z + dgh_t·W_hh (one GEMM);
// then dW_hh = Σ_t dgh_tᵀ·h_{t-1} (two GEMMs over all steps) and db_hh = Σ_t,b dgh_t.
// Variable lengths: as in Lstm.cs, row b is processed only at t < len[b] and carries its state otherwise.
// Rows of the batch are independent through time, so threads split them (Lstm.SplitRows).
using System.Numerics;
using System.Runtime.Intrinsics;

namespace Nabla.Ops.Kernels;

internal static class Gru
{
    /// <summary>
    /// Runs the forward loop. <paramref name="act"/>: [T,B,4H] to keep r, z, n and W_hn·h_{t-1} + b_hn for backward,
    /// or null.
    /// </summary>
    public static void Forward<T>(int steps, int batch, int hidden, T[] xg, T[] w, T[]? bias, T[] h0, int[]? lengths, bool reverse,
        T[] hs, T[]? act) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int h3 = 3 * hidden, h4 = 4 * hidden, bh = batch * hidden;
        float[]? packed = null;
        if (Lstm.UsePacked<T>(h3))
        {
            // gh = h·W_hhᵀ: the packed operand is W_hhᵀ [H, 3H].
            var wt = new float[h3 * hidden];
            var wf = (float[])(object)w;
            for (int r = 0; r < h3; r++)
            {
                for (int p = 0; p < hidden; p++)
                {
                    wt[(p * h3) + r] = wf[(r * hidden) + p];
                }
            }

            packed = Lstm.Pack(wt, hidden, h3, h3);
        }

        void Rows(int b0, int b1)
        {
            int m = b1 - b0;
            var gh = new T[m * h3];
            var noAct = new T[h4];
            for (int k = 0; k < steps; k++)
            {
                int t = reverse ? steps - 1 - k : k;
                int tp = reverse ? t + 1 : t - 1;
                var (hp, hpo) = k == 0 ? (h0, 0) : (hs, tp * bh);
                if (packed is not null)
                {
                    Lstm.Panels(m, h3, hidden, (float[])(object)hp, hpo + (b0 * hidden), hidden, packed, (float[])(object)gh, 0, h3);
                }
                else
                {
                    Gemm.Multiply(false, true, m, h3, hidden, hp, hpo + (b0 * hidden), hidden, w, 0, hidden, gh, 0, h3, false);
                }

                for (int b = b0; b < b1; b++)
                {
                    var hrow = hs.AsSpan((t * bh) + (b * hidden), hidden);
                    var prev = hp.AsSpan(hpo + (b * hidden), hidden);
                    if (lengths is not null && t >= lengths[b])
                    {
                        prev.CopyTo(hrow); // past its length a row carries its state
                        continue;
                    }

                    CellForward<T>(xg.AsSpan((t * batch * h3) + (b * h3), h3), gh.AsSpan((b - b0) * h3, h3), bias, prev, hrow,
                        act is null ? noAct : act.AsSpan((t * batch * h4) + (b * h4), h4), hidden);
                }
            }
        }

        Lstm.SplitRows(batch, (long)batch * h3 * hidden, packed is not null, Rows);
    }

    /// <summary>
    /// BPTT through the loop run by <see cref="Forward"/>: from dhs [T,B,H] computes dxg [T,B,3H], dw [3H,H], the bias
    /// gradient db [3H] (when there is a bias) and dh0 [B,H].
    /// </summary>
    public static void Backward<T>(int steps, int batch, int hidden, T[] w, T[] h0, int[]? lengths, bool reverse,
        T[] hs, T[] act, T[] dhs, T[] dxg, T[] dw, T[]? dbias, T[] dh0) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int h3 = 3 * hidden, h4 = 4 * hidden, bh = batch * hidden;
        var dgh = GC.AllocateUninitializedArray<T>(steps * batch * h3);
        var dhA = new T[bh];
        var dhB = new T[bh];
        var packed = Lstm.UsePacked<T>(hidden) ? Lstm.Pack((float[])(object)w, h3, hidden, hidden) : null;
        if (dbias is not null)
        {
            Array.Clear(dbias);
        }

        void Rows(int b0, int b1)
        {
            int m = b1 - b0, r0 = b0 * hidden, rn = m * hidden;
            var (dh, dhNext) = (dhA, dhB);
            var db = dbias is null ? null : new T[h3];
            for (int k = steps - 1; k >= 0; k--)
            {
                int t = reverse ? steps - 1 - k : k;
                int tp = reverse ? t + 1 : t - 1;
                var (hp, hpo) = k == 0 ? (h0, 0) : (hs, tp * bh);
                Lstm.AddShort<T>(dh.AsSpan(r0, rn), dhs.AsSpan((t * bh) + r0, rn), dh.AsSpan(r0, rn));
                for (int b = b0; b < b1; b++)
                {
                    var dxr = dxg.AsSpan((t * batch * h3) + (b * h3), h3);
                    var dgr = dgh.AsSpan((t * batch * h3) + (b * h3), h3);
                    if (lengths is not null && t >= lengths[b])
                    {
                        // A carried row: no gate gradients, and dh passes to the previous step unchanged.
                        dxr.Clear();
                        dgr.Clear();
                        continue;
                    }

                    CellBackward<T>(act.AsSpan((t * batch * h4) + (b * h4), h4), hp.AsSpan(hpo + (b * hidden), hidden),
                        dh.AsSpan(b * hidden, hidden), dxr, dgr, hidden);
                    if (db is not null)
                    {
                        Lstm.AddShort<T>(db, dgr, db);
                    }
                }

                // dh_{t-1} = dgh_t·W_hh + dh⊙z (the cell left dh⊙z in dh; carried rows kept dh and have dgh = 0).
                int go = (t * batch * h3) + (b0 * h3);
                if (packed is not null)
                {
                    Lstm.Panels(m, hidden, h3, (float[])(object)dgh, go, h3, packed, (float[])(object)dhNext, r0, hidden);
                }
                else
                {
                    Gemm.Multiply(false, false, m, hidden, h3, dgh, go, h3, w, 0, hidden, dhNext, r0, hidden, false);
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

        Lstm.SplitRows(batch, (long)batch * h3 * hidden, packed is not null, Rows);
        Array.Copy(steps % 2 == 0 ? dhA : dhB, dh0, bh); // where the last step left dh_{-1}

        Lstm.WeightGrad(steps, batch, hidden, h3, reverse, dgh, hs, h0, dw);
    }

    /// <summary>One row of the cell forward; a: r, z, n, W_hn·h + b_hn (4H) for the backward.</summary>
    private static void CellForward<T>(ReadOnlySpan<T> xg, ReadOnlySpan<T> gh, T[]? bias, ReadOnlySpan<T> hp, Span<T> h, Span<T> a, int n)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int j = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; j <= n - Vector512<T>.Count; j += Vector512<T>.Count)
            {
                var (br, bz, bn) = bias is null ? default : (Vector512.Create(bias, j), Vector512.Create(bias, n + j), Vector512.Create(bias, (2 * n) + j));
                var r = Lstm.Sigmoid(Vector512.Create(xg[j..]) + Vector512.Create(gh[j..]) + br);
                var z = Lstm.Sigmoid(Vector512.Create(xg[(n + j)..]) + Vector512.Create(gh[(n + j)..]) + bz);
                var ghn = Vector512.Create(gh[((2 * n) + j)..]) + bn;
                var nv = Lstm.Tanh(Vector512.Create(xg[((2 * n) + j)..]) + (r * ghn));
                (nv + (z * (Vector512.Create(hp[j..]) - nv))).CopyTo(h[j..]);
                r.CopyTo(a[j..]);
                z.CopyTo(a[(n + j)..]);
                nv.CopyTo(a[((2 * n) + j)..]);
                ghn.CopyTo(a[((3 * n) + j)..]);
            }
        }

        for (; j < n; j++)
        {
            T br = bias is null ? T.Zero : bias[j], bz = bias is null ? T.Zero : bias[n + j], bn = bias is null ? T.Zero : bias[(2 * n) + j];
            T r = Lstm.Sigmoid(xg[j] + gh[j] + br);
            T z = Lstm.Sigmoid(xg[n + j] + gh[n + j] + bz);
            T ghn = gh[(2 * n) + j] + bn;
            T nv = T.Tanh(xg[(2 * n) + j] + (r * ghn));
            h[j] = nv + (z * (hp[j] - nv));
            (a[j], a[n + j], a[(2 * n) + j], a[(3 * n) + j]) = (r, z, nv, ghn);
        }
    }

    /// <summary>One row of the cell backward (see the file header); <paramref name="dh"/> is replaced by dh⊙z.</summary>
    private static void CellBackward<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> hp, Span<T> dh, Span<T> dxg, Span<T> dgh, int n)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int j = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            var one = Vector512<T>.One;
            for (; j <= n - Vector512<T>.Count; j += Vector512<T>.Count)
            {
                var r = Vector512.Create(a[j..]);
                var z = Vector512.Create(a[(n + j)..]);
                var nv = Vector512.Create(a[((2 * n) + j)..]);
                var ghn = Vector512.Create(a[((3 * n) + j)..]);
                var d = Vector512.Create(dh[j..]);
                var dan = d * (one - z) * (one - (nv * nv));
                var dar = dan * ghn * r * (one - r);
                var daz = d * (Vector512.Create(hp[j..]) - nv) * z * (one - z);
                dar.CopyTo(dxg[j..]);
                daz.CopyTo(dxg[(n + j)..]);
                dan.CopyTo(dxg[((2 * n) + j)..]);
                dar.CopyTo(dgh[j..]);
                daz.CopyTo(dgh[(n + j)..]);
                (dan * r).CopyTo(dgh[((2 * n) + j)..]);
                (d * z).CopyTo(dh[j..]);
            }
        }

        for (; j < n; j++)
        {
            T r = a[j], z = a[n + j], nv = a[(2 * n) + j], ghn = a[(3 * n) + j], d = dh[j];
            T dan = d * (T.One - z) * (T.One - (nv * nv));
            T dar = dan * ghn * r * (T.One - r);
            T daz = d * (hp[j] - nv) * z * (T.One - z);
            (dxg[j], dxg[n + j], dxg[(2 * n) + j]) = (dar, daz, dan);
            (dgh[j], dgh[n + j], dgh[(2 * n) + j]) = (dar, daz, dan * r);
            dh[j] = d * z;
        }
    }
}
