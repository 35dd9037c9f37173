// The float32 backward of flash attention with AVX-512 (FlashAttention-2, as the generic FlashAttention.Backward),
// in the forward's transposed layout: a tile holds Pᵀ and dSᵀ [key c][query r] with the queries along the lanes.
//
// One task per batch row. At its start the row's queries Q and output gradients dO are laid out twice: transposed,
// Qᵀ [E][Lp] and dOᵀ [Ev][Lp] (queries along lanes, for the products that reduce over E or Ev), and as rows padded to
// a multiple of 32 columns (for those that reduce over the queries); lse and D = rowsum(dO⊙O) are padded with +∞ and 0
// so the padding queries get P = 0. Then per key block j (outer) and query block i (inner):
//   Sᵀ  = K_j·Qᵀ_i,  dPᵀ = V_j·dOᵀ_i                       (the forward's 8×32 kernel Dot8)
//   Pᵀ  = exp(scale·Sᵀ + M − lse),  dSᵀ = scale·Pᵀ⊙(dPᵀ − D)   (lane-wise)
//   dQᵀ_i += K_jᵀ·dSᵀ                                     (the forward's Axpy8, into dQᵀ [E][Lp] kept for the row)
//   dV_j += Pᵀ·dO_i,  dK_j += dSᵀ·Q_i                      (Row8: 8 keys × 32 columns, over the block's queries)
// dK_j and dV_j are accumulated in scratch over the query blocks and added to the outputs once per key block; dQᵀ is
// transposed into dq at the end of the task. The scratch is the forward's per-thread pinned array.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Nabla.Ops.Kernels;

internal static unsafe partial class FlashAttentionF32
{
    /// <summary>Adds the gradients to dq, dk, dv from do [B,L,Ev] and the forward's o and lse (as FlashAttention.Backward).</summary>
    public static void Backward(AttentionShape a, float[] q, float[] k, float[] v, MaskView<float>? mask, float[] o, float[] lse, float[] dout, float[] dq, float[] dk, float[] dv)
    {
        void RunRow(int b)
        {
            fixed (float* pq = q, pk = k, pv = v, po = o, pl = lse, pd = dout, pdq = dq, pdk = dk, pdv = dv)
            {
                BackwardRow(a, b, new Rows(pq, pk, pv, po, pl, pd, pdq, pdk, pdv), mask);
            }
        }

        if (a.Batch > 1 && Workers.Count > 1)
        {
            Parallel.For(0, a.Batch, Workers.Options, RunRow);
        }
        else
        {
            for (int b = 0; b < a.Batch; b++)
            {
                RunRow(b);
            }
        }
    }

    /// <summary>The call's arrays, pinned.</summary>
    private readonly struct Rows(float* q, float* k, float* v, float* o, float* lse, float* dout, float* dq, float* dk, float* dv)
    {
        public readonly float* Q = q, K = k, V = v, O = o, Lse = lse, DOut = dout, DQ = dq, DK = dk, DV = dv;
    }

    /// <summary>One batch row's scratch (see the file's head): Lp = L rounded up to Br, Ep and Evp = E and Ev rounded up to 32.</summary>
    private readonly struct Layout
    {
        public readonly int Lp, Ep, Evp;
        public readonly float* Qt, DOt, QRows, DORows, DQt, Lse, D, Pt, DSt, DKAcc, DVAcc;

        public Layout(in AttentionShape a)
        {
            (Lp, Ep, Evp) = ((a.L + Br - 1) / Br * Br, (a.E + 31) / 32 * 32, (a.Ev + 31) / 32 * 32);
            long n = ((long)Lp * ((2 * a.E) + a.Ev + Ep + Evp + 2)) + (Bc * (Br + Br + Ep + Evp));
            Qt = Scratch(checked((int)n));
            DOt = Qt + ((long)a.E * Lp);
            QRows = DOt + ((long)a.Ev * Lp);
            DORows = QRows + ((long)Lp * Ep);
            DQt = DORows + ((long)Lp * Evp);
            Lse = DQt + ((long)a.E * Lp);
            D = Lse + Lp;
            Pt = D + Lp;
            DSt = Pt + (Bc * Br);
            DKAcc = DSt + (Bc * Br);
            DVAcc = DKAcc + (Bc * Ep);
        }
    }

    private static void BackwardRow(in AttentionShape a, int b, Rows x, MaskView<float>? mask)
    {
        var s = new Layout(a);
        Prepare(a, b, x, s);
        for (int j0 = 0; j0 < a.S; j0 += Bc)
        {
            int cols = Math.Min(Bc, a.S - j0);
            float* kb = x.K + ((long)((b * a.S) + j0) * a.E), vb = x.V + ((long)((b * a.S) + j0) * a.Ev);
            new Span<float>(s.DKAcc, Bc * s.Ep).Clear();
            new Span<float>(s.DVAcc, Bc * s.Evp).Clear();
            for (int i0 = a.Causal ? j0 / Br * Br : 0; i0 < a.L; i0 += Br)
            {
                int rows = Math.Min(Br, a.L - i0);
                for (int h = 0; h < Br; h += Half)
                {
                    Scores(a.E, s.Qt + i0 + h, s.Lp, kb, cols, s.Pt + h);
                    Scores(a.Ev, s.DOt + i0 + h, s.Lp, vb, cols, s.DSt + h);
                }

                if (mask is { } mv)
                {
                    AddMask(mv, b, i0, rows, j0, cols, (float)a.Scale, s.Pt);
                }

                Gradients(cols, (float)a.Scale, mask is null ? (float)a.Scale : 1f, a.Causal ? j0 - i0 : int.MinValue, s.Pt, s.DSt, s.Lse + i0, s.D + i0);
                for (int h = 0; h < Br; h += Half)
                {
                    Accumulate(a.E, s.DSt + h, kb, cols, s.DQt + i0 + h, s.Lp, Vector512<float>.One, Vector512<float>.One);
                }

                RowProducts(cols, rows, s.Pt, s.DORows + ((long)i0 * s.Evp), s.Evp, s.DVAcc);
                RowProducts(cols, rows, s.DSt, s.QRows + ((long)i0 * s.Ep), s.Ep, s.DKAcc);
            }

            AddRows(s.DKAcc, s.Ep, cols, a.E, x.DK + ((long)((b * a.S) + j0) * a.E));
            AddRows(s.DVAcc, s.Evp, cols, a.Ev, x.DV + ((long)((b * a.S) + j0) * a.Ev));
        }

        float* dq = x.DQ + ((long)b * a.L * a.E);
        for (int r = 0; r < a.L; r++)
        {
            for (int e = 0; e < a.E; e++)
            {
                dq[((long)r * a.E) + e] += s.DQt[((long)e * s.Lp) + r];
            }
        }
    }

    /// <summary>Lays out the row's Q, dO (transposed and padded rows), lse and D = rowsum(dO⊙O); clears dQᵀ.</summary>
    private static void Prepare(in AttentionShape a, int b, in Rows x, in Layout s)
    {
        float* q = x.Q + ((long)b * a.L * a.E), d = x.DOut + ((long)b * a.L * a.Ev), o = x.O + ((long)b * a.L * a.Ev);
        new Span<float>(s.QRows, s.Lp * s.Ep).Clear();
        new Span<float>(s.DORows, s.Lp * s.Evp).Clear();
        new Span<float>(s.DQt, s.Lp * a.E).Clear();
        for (int r = 0; r < s.Lp; r++)
        {
            bool real = r < a.L;
            float dot = 0;
            for (int e = 0; e < a.E; e++)
            {
                float qe = real ? q[((long)r * a.E) + e] : 0;
                s.Qt[((long)e * s.Lp) + r] = qe;
                s.QRows[((long)r * s.Ep) + e] = qe;
            }

            for (int e = 0; e < a.Ev; e++)
            {
                float de = real ? d[((long)r * a.Ev) + e] : 0;
                s.DOt[((long)e * s.Lp) + r] = de;
                s.DORows[((long)r * s.Evp) + e] = de;
                dot += real ? de * o[((long)r * a.Ev) + e] : 0;
            }

            s.D[r] = dot;
            s.Lse[r] = real ? x.Lse[((long)b * a.L) + r] : float.PositiveInfinity;
        }
    }

    /// <summary>
    /// Pᵀ = exp(xscale·Sᵀ − lse) (0 where causal hides the key: c + diagonal &gt; r), then dSᵀ = scale·Pᵀ⊙(dPᵀ − D), in
    /// place of Sᵀ and dPᵀ. xscale is 1 when a mask was already added to the scaled scores.
    /// </summary>
    private static void Gradients(int cols, float scale, float xscale, int diagonal, float* pt, float* dst, float* lse, float* d)
    {
        var iota = Vector512.Create(0f, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
        var (sc, xs) = (Vector512.Create(scale), Vector512.Create(xscale));
        for (int g = 0; g < Br; g += 16)
        {
            var (l, dg) = (Vector512.Load(lse + g), Vector512.Load(d + g));
            for (int c = 0; c < cols; c++)
            {
                int t = (c * Bc) + g;
                var p = FastMath.Exp((Vector512.Load(pt + t) * xs) - l);
                if (diagonal != int.MinValue)
                {
                    p = Vector512.ConditionalSelect(Vector512.LessThan(iota, Vector512.Create((float)(c + diagonal - g))), Vector512<float>.Zero, p);
                }

                p.Store(pt + t);
                (sc * p * (Vector512.Load(dst + t) - dg)).Store(dst + t);
            }
        }
    }

    /// <summary>acc[c][f] += Σ_{r&lt;rows} Tᵀ[c][r]·X[r][f] for c &lt; cols and the ld (a multiple of 32) columns f.</summary>
    private static void RowProducts(int cols, int rows, float* tt, float* x, int ld, float* acc)
    {
        for (int f = 0; f < ld; f += 32)
        {
            int c = 0;
            for (; c + 8 <= cols; c += 8)
            {
                Row8(rows, tt + (c * Bc), x + f, ld, acc + ((long)c * ld) + f);
            }

            for (; c < cols; c++)
            {
                Row1(rows, tt + (c * Bc), x + f, ld, acc + ((long)c * ld) + f);
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Row8(int rows, float* tt, float* x, int ld, float* acc)
    {
        float* c0 = acc, c1 = c0 + ld, c2 = c1 + ld, c3 = c2 + ld, c4 = c3 + ld, c5 = c4 + ld, c6 = c5 + ld, c7 = c6 + ld;
        Vector512<float> a0 = Vector512.Load(c0), a1 = Vector512.Load(c1), a2 = Vector512.Load(c2), a3 = Vector512.Load(c3);
        Vector512<float> a4 = Vector512.Load(c4), a5 = Vector512.Load(c5), a6 = Vector512.Load(c6), a7 = Vector512.Load(c7);
        Vector512<float> b0 = Vector512.Load(c0 + 16), b1 = Vector512.Load(c1 + 16), b2 = Vector512.Load(c2 + 16), b3 = Vector512.Load(c3 + 16);
        Vector512<float> b4 = Vector512.Load(c4 + 16), b5 = Vector512.Load(c5 + 16), b6 = Vector512.Load(c6 + 16), b7 = Vector512.Load(c7 + 16);
        for (int r = 0; r < rows; r++)
        {
            var lo = Vector512.Load(x + ((long)r * ld));
            var hi = Vector512.Load(x + ((long)r * ld) + 16);
            var w = Vector512.Create(tt[r]);
            (a0, b0) = (Fma(lo, w, a0), Fma(hi, w, b0));
            w = Vector512.Create(tt[Bc + r]);
            (a1, b1) = (Fma(lo, w, a1), Fma(hi, w, b1));
            w = Vector512.Create(tt[(2 * Bc) + r]);
            (a2, b2) = (Fma(lo, w, a2), Fma(hi, w, b2));
            w = Vector512.Create(tt[(3 * Bc) + r]);
            (a3, b3) = (Fma(lo, w, a3), Fma(hi, w, b3));
            w = Vector512.Create(tt[(4 * Bc) + r]);
            (a4, b4) = (Fma(lo, w, a4), Fma(hi, w, b4));
            w = Vector512.Create(tt[(5 * Bc) + r]);
            (a5, b5) = (Fma(lo, w, a5), Fma(hi, w, b5));
            w = Vector512.Create(tt[(6 * Bc) + r]);
            (a6, b6) = (Fma(lo, w, a6), Fma(hi, w, b6));
            w = Vector512.Create(tt[(7 * Bc) + r]);
            (a7, b7) = (Fma(lo, w, a7), Fma(hi, w, b7));
        }

        Store2(a0, b0, c0);
        Store2(a1, b1, c1);
        Store2(a2, b2, c2);
        Store2(a3, b3, c3);
        Store2(a4, b4, c4);
        Store2(a5, b5, c5);
        Store2(a6, b6, c6);
        Store2(a7, b7, c7);
    }

    private static void Row1(int rows, float* tt, float* x, int ld, float* acc)
    {
        Vector512<float> lo = Vector512.Load(acc), hi = Vector512.Load(acc + 16);
        for (int r = 0; r < rows; r++)
        {
            var w = Vector512.Create(tt[r]);
            lo = Fma(Vector512.Load(x + ((long)r * ld)), w, lo);
            hi = Fma(Vector512.Load(x + ((long)r * ld) + 16), w, hi);
        }

        Store2(lo, hi, acc);
    }

    /// <summary>y[c][e] += acc[c][e] for c &lt; cols, e &lt; n (acc's row stride ld, y's n).</summary>
    private static void AddRows(float* acc, int ld, int cols, int n, float* y)
    {
        for (int c = 0; c < cols; c++)
        {
            for (int e = 0; e < n; e++)
            {
                y[((long)c * n) + e] += acc[((long)c * ld) + e];
            }
        }
    }
}
