// LSTM layer kernels: the whole time loop of one direction of one layer, forward and BPTT backward.
//
// Layout (row-major, time-major): x_t rows of I inputs (InputRows: any row and step strides, so a batch-first input
// needs no transpose); W_ih [4H,I]; an optional bias [4H] (b_ih + b_hh); w = W_hh [4H,H]; h0, c0 [B,H]; s [2,T,B,H]:
// s[0,t] = h_t and s[1,t] = c_t. Gate order i, f, g, o (PyTorch). Float32 with AVX-512 computes, per step and per
// tile of rows and units, x_t·W_ihᵀ + h_{t-1}·W_hhᵀ + b and the cell in one kernel (LstmFused.cs). The general path
// here projects the inputs of all steps first (xg = x·W_ihᵀ, one GEMM), then per step one GEMM gates = xg_t + bias +
// h_{t-1}·W_hhᵀ (accumulated into a copy of xg_t + bias) and one pass per row for the element-wise cell:
// i, f, o = σ(·), g = tanh(·), c = f⊙c_{t-1} + i⊙g, h = o⊙tanh(c).
//
// Variable lengths: row b is processed at time t only when t < len[b]; otherwise the state is carried unchanged
// (s holds the carried state), so s[·, last processed t] is the state at each sequence's last valid step. In the
// reverse direction time runs T−1 … 0, so a sequence of length L starts at t = L−1 from h0, as if run alone.
//
// Backward (BPTT), time in the opposite order: dh = ds[0,t] + dh_carry, dc = ds[1,t] + dc_carry;
//   dĉ = dc + dh⊙o⊙(1 − tanh²c); d(pre i) = dĉ⊙g⊙i(1−i); d(pre f) = dĉ⊙c_{t-1}⊙f(1−f);
//   d(pre g) = dĉ⊙i⊙(1−g²); d(pre o) = dh⊙tanh(c)⊙o(1−o); dc_carry = dĉ⊙f; dh_carry = dgates_t·W_hh (one GEMM);
// then dW_hh = Σ_t dgates_tᵀ·h_{t-1} as two GEMMs over all steps at once (the previous states are s[0] shifted by
// one step, plus h0), dxg = dgates (the op derives dW_ih and dx from it) and dbias = Σ_t,b dgates.
using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.Intrinsics;
using static Nabla.Ops.Kernels.Recurrence;

namespace Nabla.Ops.Kernels;

internal static partial class Lstm
{
    /// <summary>
    /// Runs the forward loop. <paramref name="act"/>: what backward needs, or null: the activated gates i, f, g, o
    /// ([T,B,4H]) followed by tanh(c_t) ([T,B,H]), so that BPTT does not evaluate tanh again.
    /// Float32 with AVX-512 runs the fused kernel (LstmFused.cs). There, with several threads, the rows of the batch are
    /// split between threads: rows are independent through time, so each thread runs the whole sequence for its rows
    /// with no synchronisation between steps.
    /// </summary>
    public static void Forward<T>(int steps, int batch, int hidden, InputRows<T> x, T[] wIh, T[] w, T[]? bias, T[] h0, T[] c0,
        int[]? lengths, bool reverse, T[] s, T[]? act) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (UseFused<T>(hidden))
        {
            ForwardFused(steps, batch, hidden, (InputRows<float>)(object)x, (float[])(object)wIh, (float[])(object)w, (float[]?)(object?)bias,
                (float[])(object)h0, (float[])(object)c0, lengths, reverse, (float[])(object)s, (float[]?)(object?)act);
            return;
        }

        int h4 = 4 * hidden, bh = batch * hidden, plane = steps * bh;
        var xg = Project(steps, batch, h4, x, wIh);
        var scratch = act is null ? new T[batch * h4] : null;
        for (int k = 0; k < steps; k++)
        {
            int t = reverse ? steps - 1 - k : k;
            int tp = reverse ? t + 1 : t - 1;
            var step = new StepArgs<T>(t, k == 0 ? (h0, 0) : (s, tp * bh), k == 0 ? (c0, 0) : (s, plane + (tp * bh)),
                act is null ? (scratch!, 0) : (act, t * batch * h4), act is null ? null : (act, (steps * batch * h4) + (t * bh)));
            StepRows(step, 0, batch, batch, hidden, xg, w, bias, lengths, s);
        }
    }

    /// <summary>The inputs x_t of every step: row (t, b) of <c>Width</c> values at Data[Offset + t·StepStride + b·RowStride].</summary>
    internal readonly record struct InputRows<T>(T[] Data, int Offset, int StepStride, int RowStride, int Width);

    /// <summary>
    /// xg [T,B,n] = x_t·Wᵀ for every step (W [n, Width]): one GEMM over all T·B rows when x is time-major contiguous,
    /// else one per step.
    /// </summary>
    private static T[] Project<T>(int steps, int batch, int n, InputRows<T> x, T[] w) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var xg = PooledArrays.Rent<T>(steps * batch * n);
        int k = x.Width;
        if (x.RowStride == k && x.StepStride == batch * k)
        {
            Gemm.Multiply(false, true, steps * batch, n, k, x.Data, x.Offset, k, w, 0, k, xg, 0, n, false);
            return xg;
        }

        for (int t = 0; t < steps; t++)
        {
            Gemm.Multiply(false, true, batch, n, k, x.Data, x.Offset + (t * x.StepStride), batch == 1 ? k : x.RowStride, w, 0, k, xg, t * batch * n, n, false);
        }

        return xg;
    }

    /// <summary>One step's operands: h_{t-1}, c_{t-1}, the gate rows and, when backward needs them, where tanh(c_t) goes.</summary>
    private readonly record struct StepArgs<T>(int Time, (T[] A, int Off) Hp, (T[] A, int Off) Cp, (T[] A, int Off) G, (T[] A, int Off)? Tc);

    /// <summary>One step for the rows [b0, b1) of the batch: gate inputs, recurrent GEMM, cell math.</summary>
    private static void StepRows<T>(StepArgs<T> st, int b0, int b1, int batch, int hidden, T[] xg, T[] w, T[]? bias, int[]? lengths, T[] s)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int h4 = 4 * hidden, bh = batch * hidden, plane = s.Length / 2, t = st.Time, m = b1 - b0;
        var ((hp, hpo), (cp, cpo), (g, go)) = (st.Hp, st.Cp, st.G);
        for (int b = b0; b < b1; b++)
        {
            var src = xg.AsSpan((t * batch * h4) + (b * h4), h4);
            var dst = g.AsSpan(go + (b * h4), h4);
            if (bias is null)
            {
                src.CopyTo(dst);
            }
            else
            {
                AddShort(src, bias, dst);
            }
        }

        Gemm.Multiply(false, true, m, h4, hidden, hp, hpo + (b0 * hidden), hidden, w, 0, hidden, g, go + (b0 * h4), h4, true);

        for (int b = b0; b < b1; b++)
        {
            int ho = (t * bh) + (b * hidden), co = plane + ho;
            if (lengths is not null && t >= lengths[b])
            {
                Array.Copy(hp, hpo + (b * hidden), s, ho, hidden);
                Array.Copy(cp, cpo + (b * hidden), s, co, hidden);
                continue;
            }

            var a = g.AsSpan(go + (b * h4), h4);
            var tc = st.Tc is { } k ? k.A.AsSpan(k.Off + (b * hidden), hidden) : default;
            CellForward<T>(a[..hidden], a.Slice(hidden, hidden), a.Slice(2 * hidden, hidden), a.Slice(3 * hidden, hidden),
                cp.AsSpan(cpo + (b * hidden), hidden), s.AsSpan(co, hidden), s.AsSpan(ho, hidden), tc);
        }
    }

    /// <summary>
    /// BPTT through the loop run by <see cref="Forward"/>: from ds [2,T,B,H] computes dxg [T,B,4H] (the gradient of
    /// the pre-activation gates, from which the caller gets dW_ih and dx), dw = dW_hh [4H,H] (unless null: then the
    /// caller computes it), dbias, dh0 and dc0 [B,H].
    /// </summary>
    public static void Backward<T>(int steps, int batch, int hidden, T[] w, T[] h0, T[] c0, int[]? lengths, bool reverse,
        T[] s, T[] act, T[] ds, T[] dxg, T[]? dw, T[]? dbias, T[] dh0, T[] dc0) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int h4 = 4 * hidden, bh = batch * hidden, plane = steps * bh, tanhC = steps * batch * h4;
        var dhA = new T[bh];
        var dhB = new T[bh];
        Array.Clear(dc0);
        var dc = dc0; // the carried dc lives in dc0 and ends there
        var packed = UsePacked<T>(hidden) ? Pack((float[])(object)w, h4, hidden, hidden) : null;
        if (dbias is not null)
        {
            Array.Clear(dbias);
        }

        // Rows [b0, b1) through all steps. Rows are independent in BPTT as in the forward pass, so threads split them
        // and never wait for each other; each swaps its own references to the two dh buffers.
        void Rows(int b0, int b1)
        {
            int m = b1 - b0, r0 = b0 * hidden, rn = m * hidden;
            var (dh, dhNext) = (dhA, dhB);
            var db = dbias is null ? null : new T[h4]; // this thread's part of Σ dgates, summed while the rows are in L1
            for (int k = steps - 1; k >= 0; k--)
            {
                int t = reverse ? steps - 1 - k : k;
                int tp = reverse ? t + 1 : t - 1;
                (T[] cp, int cpo) = k == 0 ? (c0, 0) : (s, plane + (tp * bh));
                AddShort<T>(dh.AsSpan(r0, rn), ds.AsSpan((t * bh) + r0, rn), dh.AsSpan(r0, rn));
                AddShort<T>(dc.AsSpan(r0, rn), ds.AsSpan(plane + (t * bh) + r0, rn), dc.AsSpan(r0, rn));
                for (int b = b0; b < b1; b++)
                {
                    var dgr = dxg.AsSpan((t * batch * h4) + (b * h4), h4);
                    if (lengths is not null && t >= lengths[b])
                    {
                        dgr.Clear();
                        continue;
                    }

                    int ro = b * hidden;
                    CellBackward<T>(act.AsSpan((t * batch * h4) + (b * h4), h4), act.AsSpan(tanhC + (t * bh) + ro, hidden), cp.AsSpan(cpo + ro, hidden),
                        dh.AsSpan(ro, hidden), dc.AsSpan(ro, hidden), dgr, hidden);
                    if (db is not null)
                    {
                        AddShort<T>(db, dgr, db);
                    }
                }

                // dh_{t-1} = dgates_t · W_hh for processed rows; carried rows pass dh through unchanged.
                StepGemm(m, hidden, h4, dxg, (t * batch * h4) + (b0 * h4), h4, packed, w, false, dhNext, r0);
                for (int b = b0; b < b1 && lengths is not null; b++)
                {
                    if (t >= lengths[b])
                    {
                        Array.Copy(dh, b * hidden, dhNext, b * hidden, hidden);
                    }
                }

                (dh, dhNext) = (dhNext, dh);
            }

            if (db is not null)
            {
                lock (dbias!)
                {
                    AddShort<T>(dbias, db, dbias);
                }
            }
        }

        SplitRows(batch, (long)batch * 4 * hidden * hidden, packed is not null, Rows);

        var dh = steps % 2 == 0 ? dhA : dhB; // where the last step left dh_{-1}
        Array.Copy(dh, dh0, bh);

        if (dw is not null)
        {
            WeightGrad(steps, batch, hidden, h4, reverse, dxg, s, h0, dw); // s[0] holds the h_t
        }
    }

    /// <summary>
    /// The cell forward for a run of hidden units: c = f⊙cp + i⊙g; h = o⊙tanh(c). When <paramref name="tc"/> is not
    /// empty (backward will run), the pre-activation gates are replaced, in place, by i, f, g, o and tanh(c) goes to tc.
    /// </summary>
    private static void CellForward<T>(Span<T> gi, Span<T> gf, Span<T> gg, Span<T> go, ReadOnlySpan<T> cp, Span<T> c, Span<T> h, Span<T> tc)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int n = c.Length, j = 0;
        bool keep = !tc.IsEmpty;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; j <= n - Vector512<T>.Count; j += Vector512<T>.Count)
            {
                var i = Sigmoid(Vector512.Create(gi[j..]));
                var f = Sigmoid(Vector512.Create(gf[j..]));
                var g = Tanh(Vector512.Create(gg[j..]));
                var o = Sigmoid(Vector512.Create(go[j..]));
                var cv = (f * Vector512.Create(cp[j..])) + (i * g);
                if (keep)
                {
                    i.CopyTo(gi[j..]);
                    f.CopyTo(gf[j..]);
                    g.CopyTo(gg[j..]);
                    o.CopyTo(go[j..]);
                }

                var t = Tanh(cv);
                if (keep)
                {
                    t.CopyTo(tc[j..]);
                }

                cv.CopyTo(c[j..]);
                (o * t).CopyTo(h[j..]);
            }
        }

        for (; j < n; j++)
        {
            T i = Sigmoid(gi[j]), f = Sigmoid(gf[j]), g = T.Tanh(gg[j]), o = Sigmoid(go[j]);
            (gi[j], gf[j], gg[j], go[j]) = (i, f, g, o);
            c[j] = (f * cp[j]) + (i * g);
            T th = T.Tanh(c[j]);
            h[j] = o * th;
            if (keep)
            {
                tc[j] = th;
            }
        }
    }

    /// <summary>One row of the cell backward (a: i, f, g, o; tc: tanh(c_t)); <paramref name="dc"/> is updated in place to dc_{t-1} = dĉ⊙f.</summary>
    private static void CellBackward<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> tc, ReadOnlySpan<T> cp, ReadOnlySpan<T> dh, Span<T> dc,
        Span<T> dg, int n) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int j = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            var one = Vector512<T>.One;
            for (; j <= n - Vector512<T>.Count; j += Vector512<T>.Count)
            {
                var i = Vector512.Create(a[j..]);
                var f = Vector512.Create(a[(n + j)..]);
                var g = Vector512.Create(a[((2 * n) + j)..]);
                var o = Vector512.Create(a[((3 * n) + j)..]);
                var t = Vector512.Create(tc[j..]);
                var dhv = Vector512.Create(dh[j..]);
                var dct = Vector512.Create(dc[j..]) + (dhv * o * (one - (t * t)));
                (dct * g * i * (one - i)).CopyTo(dg[j..]);
                (dct * Vector512.Create(cp[j..]) * f * (one - f)).CopyTo(dg[(n + j)..]);
                (dct * i * (one - (g * g))).CopyTo(dg[((2 * n) + j)..]);
                (dhv * t * o * (one - o)).CopyTo(dg[((3 * n) + j)..]);
                (dct * f).CopyTo(dc[j..]);
            }
        }

        for (; j < n; j++)
        {
            T i = a[j], f = a[n + j], g = a[(2 * n) + j], o = a[(3 * n) + j], t = tc[j];
            T dct = dc[j] + (dh[j] * o * (T.One - (t * t)));
            dg[j] = dct * g * i * (T.One - i);
            dg[n + j] = dct * cp[j] * f * (T.One - f);
            dg[(2 * n) + j] = dct * i * (T.One - (g * g));
            dg[(3 * n) + j] = dh[j] * t * o * (T.One - o);
            dc[j] = dct * f;
        }
    }
}
