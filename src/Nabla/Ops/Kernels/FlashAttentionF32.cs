// The float32 forward of flash attention with AVX-512 (the generic kernel, FlashAttention.cs, does float64, dropout
// and machines without AVX-512). Same algorithm and tiles (Br = Bc = 64), laid out for SIMD:
//
// The tile is kept transposed, Sᵀ [key c][query r], so that the 64 queries of a block run along the vector lanes (4
// vectors). The online softmax over the keys is then lane-wise (running maxima m, sums l and rescale factors are
// vectors over the queries, no horizontal reductions), and both products are small register-blocked micro-kernels
// with no packing:
//   Sᵀ[c][r] = Σ_e K[c][e]·Qᵀ[e][r]     8 keys × 32 queries per call: 16 accumulators; K read in place (broadcasts),
//                                       Qᵀ (the query block transposed once per task, zero-padded to 64 rows);
//   Oᵀ[e][r] = α[r]·Oᵀ[e][r] + Σ_c V[c][e]·Pᵀ[c][r]   8 value columns × 32 queries per call; V read in place.
// The accumulator Oᵀ [Ev][64] is transposed into the output rows (with the 1/l) at the end of the task. Exp is
// FastMath.Exp (Cephes, about 1 ulp). On a causal diagonal, key groups wholly above the diagonal for a half-block of
// 32 queries are neither multiplied nor accumulated; the softmax pass masks every (r, c) with j0 + c > i0 + r by
// replacement, which also covers the skipped, never-written entries.
//
// Scratch (Qᵀ, Sᵀ/Pᵀ, Oᵀ, m, l) is one pinned, 64-byte aligned array per thread, kept between calls: no allocation.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Nabla.Ops.Kernels;

internal static unsafe partial class FlashAttentionF32
{
    private const int Br = FlashAttention.Br, Bc = FlashAttention.Bc, Half = 32;

    [ThreadStatic] private static float[]? scratch;

    /// <summary>Whether this kernel runs the call (float32, AVX-512, no dropout).</summary>
    public static bool Applies<T>(in AttentionShape a) => typeof(T) == typeof(float) && Vector512.IsHardwareAccelerated && a.DropoutP == 0;

    /// <summary>o [B,L,Ev] and, when <paramref name="lse"/> is given, the log-sum-exp [B,L] (+∞ for a row that sees no key).</summary>
    public static void Forward(AttentionShape a, float[] q, float[] k, float[] v, MaskView<float>? mask, float[] o, float[]? lse)
    {
        int blocks = (a.L + Br - 1) / Br;
        int tasks = a.Batch * blocks;
        // The last query blocks first: under a causal mask they have the most key blocks, so two threads end together.
        void RunBlock(int t)
        {
            int b = t % a.Batch, i0 = (blocks - 1 - (t / a.Batch)) * Br;
            fixed (float* pq = q, pk = k, pv = v, po = o)
            {
                Block(a, b, i0, Math.Min(Br, a.L - i0), pq, pk, pv, mask, po, lse);
            }
        }

        if (tasks > 1 && Workers.Count > 1)
        {
            Parallel.For(0, tasks, Workers.Options, RunBlock);
        }
        else
        {
            for (int t = 0; t < tasks; t++)
            {
                RunBlock(t);
            }
        }
    }

    private static void Block(in AttentionShape a, int b, int i0, int rows, float* q, float* k, float* v, MaskView<float>? mask, float* o, float[]? lse)
    {
        float* qt = Scratch(Br * (a.E + Bc + a.Ev + 3));
        float* st = qt + (Br * a.E), ot = st + (Br * Bc), m = ot + (Br * a.Ev), l = m + Br, alpha = l + Br;
        TransposeIn(q + ((long)((b * a.L) + i0) * a.E), rows, a.E, qt);
        new Span<float>(ot, Br * a.Ev).Clear();
        new Span<float>(m, Br).Fill(float.NegativeInfinity);
        new Span<float>(l, Br).Clear();
        int keyEnd = a.Causal ? Math.Min(a.S, i0 + rows) : a.S;
        for (int j0 = 0; j0 < keyEnd; j0 += Bc)
        {
            int cols = Math.Min(Bc, keyEnd - j0);
            float* kb = k + ((long)((b * a.S) + j0) * a.E), vb = v + ((long)((b * a.S) + j0) * a.Ev);
            for (int h = 0; h < Br; h += Half)
            {
                // Keys past the last query of this half are masked for all of it (causal): not computed.
                int c = a.Causal ? Math.Clamp(i0 + h + Half - j0, 0, cols) : cols;
                Scores(a.E, qt + h, Br, kb, c, st + h);
            }

            bool diagonal = a.Causal && j0 + cols - 1 > i0;
            if (mask is { } mv)
            {
                AddMask(mv, b, i0, rows, j0, cols, (float)a.Scale, st);
            }

            Softmax(cols, mask is null ? (float)a.Scale : 1f, diagonal ? j0 - i0 : int.MinValue, st, m, l, alpha);
            for (int h = 0; h < Br; h += Half)
            {
                int c = a.Causal ? Math.Clamp(i0 + h + Half - j0, 0, cols) : cols;
                Accumulate(a.Ev, st + h, vb, c, ot + h, Br, Vector512.Load(alpha + h), Vector512.Load(alpha + h + 16));
            }
        }

        Finish(a, b, i0, rows, ot, m, l, o, lse);
    }

    /// <summary>Sᵀ[c][r] = Σ_e K[c][e]·Qᵀ[e][r] for c &lt; cols and 32 queries r (Qᵀ's row stride ldq, Sᵀ's Bc).</summary>
    private static void Scores(int e, float* qt, int ldq, float* k, int cols, float* st)
    {
        int c = 0;
        for (; c + 8 <= cols; c += 8)
        {
            Dot8(e, qt, ldq, k + ((long)c * e), st + (c * Bc));
        }

        for (; c < cols; c++)
        {
            Dot1(e, qt, ldq, k + ((long)c * e), st + (c * Bc));
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Dot8(int e, float* qt, int ldq, float* k, float* st)
    {
        Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default, a6 = default, a7 = default;
        Vector512<float> b0 = default, b1 = default, b2 = default, b3 = default, b4 = default, b5 = default, b6 = default, b7 = default;
        for (int x = 0; x < e; x++)
        {
            var lo = Vector512.Load(qt + ((long)x * ldq));
            var hi = Vector512.Load(qt + ((long)x * ldq) + 16);
            var w = Vector512.Create(k[x]);
            (a0, b0) = (Fma(lo, w, a0), Fma(hi, w, b0));
            w = Vector512.Create(k[e + x]);
            (a1, b1) = (Fma(lo, w, a1), Fma(hi, w, b1));
            w = Vector512.Create(k[(2 * e) + x]);
            (a2, b2) = (Fma(lo, w, a2), Fma(hi, w, b2));
            w = Vector512.Create(k[(3 * e) + x]);
            (a3, b3) = (Fma(lo, w, a3), Fma(hi, w, b3));
            w = Vector512.Create(k[(4 * e) + x]);
            (a4, b4) = (Fma(lo, w, a4), Fma(hi, w, b4));
            w = Vector512.Create(k[(5 * e) + x]);
            (a5, b5) = (Fma(lo, w, a5), Fma(hi, w, b5));
            w = Vector512.Create(k[(6 * e) + x]);
            (a6, b6) = (Fma(lo, w, a6), Fma(hi, w, b6));
            w = Vector512.Create(k[(7 * e) + x]);
            (a7, b7) = (Fma(lo, w, a7), Fma(hi, w, b7));
        }

        Store2(a0, b0, st);
        Store2(a1, b1, st + Bc);
        Store2(a2, b2, st + (2 * Bc));
        Store2(a3, b3, st + (3 * Bc));
        Store2(a4, b4, st + (4 * Bc));
        Store2(a5, b5, st + (5 * Bc));
        Store2(a6, b6, st + (6 * Bc));
        Store2(a7, b7, st + (7 * Bc));
    }

    private static void Dot1(int e, float* qt, int ldq, float* k, float* st)
    {
        Vector512<float> lo = default, hi = default;
        for (int x = 0; x < e; x++)
        {
            var w = Vector512.Create(k[x]);
            lo = Fma(Vector512.Load(qt + ((long)x * ldq)), w, lo);
            hi = Fma(Vector512.Load(qt + ((long)x * ldq) + 16), w, hi);
        }

        Store2(lo, hi, st);
    }

    /// <summary>Oᵀ[e][r] = α[r]·Oᵀ[e][r] + Σ_{c&lt;cols} V[c][e]·Pᵀ[c][r] for 32 queries r (α in two vectors, Oᵀ's row stride ldo).</summary>
    private static void Accumulate(int ev, float* pt, float* v, int cols, float* ot, int ldo, Vector512<float> alphaLo, Vector512<float> alphaHi)
    {
        int e = 0;
        for (; e + 8 <= ev; e += 8)
        {
            Axpy8(ev, pt, v + e, cols, ot + ((long)e * ldo), ldo, alphaLo, alphaHi);
        }

        for (; e < ev; e++)
        {
            Axpy1(ev, pt, v + e, cols, ot + ((long)e * ldo), alphaLo, alphaHi);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Axpy8(int ev, float* pt, float* v, int cols, float* ot, int ldo, Vector512<float> alphaLo, Vector512<float> alphaHi)
    {
        float* o0 = ot, o1 = ot + ldo, o2 = o1 + ldo, o3 = o2 + ldo, o4 = o3 + ldo, o5 = o4 + ldo, o6 = o5 + ldo, o7 = o6 + ldo;
        Vector512<float> a0 = Load(o0, alphaLo), a1 = Load(o1, alphaLo), a2 = Load(o2, alphaLo), a3 = Load(o3, alphaLo);
        Vector512<float> a4 = Load(o4, alphaLo), a5 = Load(o5, alphaLo), a6 = Load(o6, alphaLo), a7 = Load(o7, alphaLo);
        Vector512<float> b0 = Load(o0 + 16, alphaHi), b1 = Load(o1 + 16, alphaHi), b2 = Load(o2 + 16, alphaHi), b3 = Load(o3 + 16, alphaHi);
        Vector512<float> b4 = Load(o4 + 16, alphaHi), b5 = Load(o5 + 16, alphaHi), b6 = Load(o6 + 16, alphaHi), b7 = Load(o7 + 16, alphaHi);
        for (int c = 0; c < cols; c++)
        {
            var lo = Vector512.Load(pt + (c * Bc));
            var hi = Vector512.Load(pt + (c * Bc) + 16);
            float* vc = v + ((long)c * ev);
            var w = Vector512.Create(vc[0]);
            (a0, b0) = (Fma(lo, w, a0), Fma(hi, w, b0));
            w = Vector512.Create(vc[1]);
            (a1, b1) = (Fma(lo, w, a1), Fma(hi, w, b1));
            w = Vector512.Create(vc[2]);
            (a2, b2) = (Fma(lo, w, a2), Fma(hi, w, b2));
            w = Vector512.Create(vc[3]);
            (a3, b3) = (Fma(lo, w, a3), Fma(hi, w, b3));
            w = Vector512.Create(vc[4]);
            (a4, b4) = (Fma(lo, w, a4), Fma(hi, w, b4));
            w = Vector512.Create(vc[5]);
            (a5, b5) = (Fma(lo, w, a5), Fma(hi, w, b5));
            w = Vector512.Create(vc[6]);
            (a6, b6) = (Fma(lo, w, a6), Fma(hi, w, b6));
            w = Vector512.Create(vc[7]);
            (a7, b7) = (Fma(lo, w, a7), Fma(hi, w, b7));
        }

        Store2(a0, b0, o0);
        Store2(a1, b1, o1);
        Store2(a2, b2, o2);
        Store2(a3, b3, o3);
        Store2(a4, b4, o4);
        Store2(a5, b5, o5);
        Store2(a6, b6, o6);
        Store2(a7, b7, o7);
    }

    private static void Axpy1(int ev, float* pt, float* v, int cols, float* ot, Vector512<float> alphaLo, Vector512<float> alphaHi)
    {
        Vector512<float> lo = Load(ot, alphaLo), hi = Load(ot + 16, alphaHi);
        for (int c = 0; c < cols; c++)
        {
            var w = Vector512.Create(v[(long)c * ev]);
            lo = Fma(Vector512.Load(pt + (c * Bc)), w, lo);
            hi = Fma(Vector512.Load(pt + (c * Bc) + 16), w, hi);
        }

        Store2(lo, hi, ot);
    }

    /// <summary>Sᵀ[c][r] = scale·Sᵀ[c][r] + mask[i0 + r, j0 + c] for the block's rows (the Softmax pass then scales by 1).</summary>
    private static void AddMask(MaskView<float> mv, int b, int i0, int rows, int j0, int cols, float scale, float* st)
    {
        for (int c = 0; c < cols; c++)
        {
            int mo = mv.Offsets[b] + (i0 * mv.Row) + ((j0 + c) * mv.Col);
            float* row = st + (c * Bc);
            for (int r = 0; r < rows; r++)
            {
                row[r] = (row[r] * scale) + mv.Data[mo + (r * mv.Row)];
            }
        }
    }

    /// <summary>
    /// The online-softmax step on the tile: x = scale·Sᵀ (−∞ where c + <paramref name="diagonal"/> &gt; r, causal, with
    /// diagonal = j0 − i0; int.MinValue for none), m' = max(m, max_c x), Pᵀ = exp(x − m') in place, α = exp(m − m'), l = l·α + Σ_c Pᵀ, m = m'.
    /// </summary>
    private static void Softmax(int cols, float scale, int diagonal, float* st, float* m, float* l, float* alphaOut)
    {
        var iota = Vector512.Create(0f, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
        var ninf = Vector512.Create(float.NegativeInfinity);
        for (int g = 0; g < Br; g += 16)
        {
            var max = ninf;
            var sc = Vector512.Create(scale);
            for (int c = 0; c < cols; c++)
            {
                float* p = st + (c * Bc) + g;
                var x = Vector512.Load(p) * sc;
                if (diagonal != int.MinValue)
                {
                    // Query r = g + lane sees key c when c − diagonal ≤ r.
                    x = Vector512.ConditionalSelect(Vector512.LessThan(iota, Vector512.Create((float)(c + diagonal - g))), ninf, x);
                }

                x.Store(p);
                max = Avx512F.Max(max, x);
            }

            var mOld = Vector512.Load(m + g);
            var mNew = Avx512F.Max(mOld, max);
            // A query with no visible key so far keeps m = −∞; its tile then gives exp(−∞ − 0) = 0.
            var shift = Vector512.ConditionalSelect(Vector512.Equals(mNew, ninf), Vector512<float>.Zero, mNew);
            var alpha = FastMath.Exp(mOld - shift);
            var sum = Vector512<float>.Zero;
            for (int c = 0; c < cols; c++)
            {
                float* p = st + (c * Bc) + g;
                var e = FastMath.Exp(Vector512.Load(p) - shift);
                e.Store(p);
                sum += e;
            }

            mNew.Store(m + g);
            Fma(Vector512.Load(l + g), alpha, sum).Store(l + g);
            alpha.Store(alphaOut + g);
        }
    }

    /// <summary>o[i0 + r][e] = Oᵀ[e][r] / l[r] (0 where l = 0), and lse = m + log l (+∞ where l = 0) when asked.</summary>
    private static void Finish(in AttentionShape a, int b, int i0, int rows, float* ot, float* m, float* l, float* o, float[]? lse)
    {
        for (int r = 0; r < rows; r++)
        {
            float inv = l[r] == 0 ? 0 : 1 / l[r];
            float* orow = o + ((long)((b * a.L) + i0 + r) * a.Ev);
            for (int e = 0; e < a.Ev; e++)
            {
                orow[e] = ot[(e * Br) + r] * inv;
            }

            if (lse is not null)
            {
                lse[(b * a.L) + i0 + r] = l[r] == 0 ? float.PositiveInfinity : m[r] + MathF.Log(l[r]);
            }
        }
    }

    /// <summary>Qᵀ[e][r] = q[r][e] for r &lt; rows, 0 for the rows up to Br (their scores are finite and never read out).</summary>
    private static void TransposeIn(float* q, int rows, int e, float* qt)
    {
        for (int x = 0; x < e; x++)
        {
            float* dst = qt + (x * Br);
            for (int r = 0; r < rows; r++)
            {
                dst[r] = q[((long)r * e) + x];
            }

            new Span<float>(dst + rows, Br - rows).Clear();
        }
    }

    /// <summary>This thread's scratch of at least n floats, 64-byte aligned (pinned, so the address stays valid).</summary>
    private static float* Scratch(int n)
    {
        float[]? s = scratch;
        if (s is null || s.Length < n + 16)
        {
            s = GC.AllocateUninitializedArray<float>(n + 16, pinned: true);
            scratch = s;
        }

        var p = (nint)Unsafe.AsPointer(ref s[0]);
        return (float*)((p + 63) & ~(nint)63);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Fma(Vector512<float> a, Vector512<float> b, Vector512<float> c) => Vector512.FusedMultiplyAdd(a, b, c);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Load(float* p, Vector512<float> scale) => Vector512.Load(p) * scale;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store2(Vector512<float> lo, Vector512<float> hi, float* p)
    {
        lo.Store(p);
        hi.Store(p + 16);
    }
}
