// Scaled dot-product attention kernels, tiled as flash attention (Dao et al. 2022; FlashAttention-2, Dao 2023).
//
// Per batch row b (every leading dimension flattened): Q [L,E], K [S,E], V [S,Ev], an optional additive mask M (any
// strides; a boolean mask arrives as 0 / −∞), and the logits s_ij = scale·q_i·k_j + M_ij (−∞ above the diagonal when
// causal). The output is o_i = Σ_j p_ij·z_ij·v_j with p_i = softmax(s_i) and z_ij the dropout factor (keep/(1 − p),
// or 1). A row whose logits are all −∞ takes part in nothing: its output is 0 (PyTorch's safe softmax).
//
// Forward: the queries are cut into blocks of Br rows, one task each; a task walks the keys in blocks of Bc columns
// and keeps only a Br×Bc tile of logits, the running row maxima m, the running sums l and the Br×Ev accumulator:
//   S = scale·Q_i·K_jᵀ + M (one GEMM);  m' = max(m, rowmax S);  P = exp(S − m');  l = l·e^{m−m'} + rowsum P;
//   O = O·e^{m−m'} + (P⊙Z)·V_j (one GEMM);  at the end o = O / l and the log-sum-exp lse = m + log l is saved.
// Causal key blocks wholly above the diagonal are skipped. Nothing of size L×S is ever allocated: the memory is
// O((L + S)·E) per row plus one Br×Bc tile per thread.
//
// Backward (FlashAttention-2): D_i = Σ_e dO_ie·O_ie, then per key block j (the outer loop, so dK_j and dV_j stay in
// the output arrays' rows) and query block i, the tile is recomputed from the saved lse: P = exp(S − lse),
//   dV_j += (P⊙Z)ᵀ·dO_i;  dP = (dO_i·V_jᵀ)⊙Z;  dS = P⊙(dP − D_i);  dQ_i += scale·dS·K_j;  dK_j += scale·dSᵀ·Q_i,
// five GEMMs per tile. Batch rows are independent, one task each (dQ is written by one task only).
//
// In float32 on AVX-512 without dropout, Forward and Backward hand over to FlashAttentionF32 (the same algorithm with
// transposed tiles and SIMD micro-kernels); these generic loops run float64, dropout and other machines.
//
// Dropout: z_ij comes from a counter-based hash of (seed, b, i, j) (SplitMix64), so the backward and the composite
// form regenerate the very same mask without storing it.
using System.Numerics;

namespace Nabla.Ops.Kernels;

/// <summary>An additive mask read through strides: element (b, i, j) is Data[Offsets[b] + i·Row + j·Col].</summary>
internal readonly record struct MaskView<T>(T[] Data, int[] Offsets, int Row, int Col);

/// <summary>The fixed arguments of one attention call.</summary>
internal readonly record struct AttentionShape(int Batch, int L, int S, int E, int Ev, double Scale, bool Causal, double DropoutP, ulong Seed);

internal static class FlashAttention
{
    /// <summary>Query rows per task and tile.</summary>
    public const int Br = 64;

    /// <summary>Key columns per tile.</summary>
    public const int Bc = 64;

    /// <summary>Whether element (b, i, j) of the attention matrix survives dropout (same answer every call).</summary>
    public static bool Keep(in AttentionShape a, int b, int i, int j)
    {
        ulong x = a.Seed + ((((ulong)b * (ulong)a.L) + (ulong)i) * (ulong)a.S) + (ulong)j;
        x += 0x9E3779B97F4A7C15UL; // SplitMix64's finaliser
        x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9UL;
        x = (x ^ (x >> 27)) * 0x94D049BB133111EBUL;
        x ^= x >> 31;
        return (x >> 11) * (1.0 / (1UL << 53)) >= a.DropoutP;
    }

    /// <summary>o [B,L,Ev] and lse [B,L] (when not null: only backward needs it) from dense q [B,L,E], k [B,S,E], v [B,S,Ev].</summary>
    public static void Forward<T>(AttentionShape a, T[] q, T[] k, T[] v, MaskView<T>? mask, T[] o, T[]? lse)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (FlashAttentionF32.Applies<T>(a))
        {
            var m = mask is { } mv ? new MaskView<float>(AsFloat(mv.Data), mv.Offsets, mv.Row, mv.Col) : (MaskView<float>?)null;
            FlashAttentionF32.Forward(a, AsFloat(q), AsFloat(k), AsFloat(v), m, AsFloat(o), lse is null ? null : AsFloat(lse));
            return;
        }

        int blocks = (a.L + Br - 1) / Br;
        Parallel.For(0, (long)a.Batch * blocks, Workers.Options, task =>
        {
            int b = (int)(task / blocks), i0 = (int)(task % blocks) * Br;
            ForwardBlock(a, b, i0, Math.Min(Br, a.L - i0), q, k, v, mask, o, lse);
        });
    }

    // Only called where T is float (FlashAttentionF32.Applies checks it).
    private static float[] AsFloat<T>(T[] x) => System.Runtime.CompilerServices.Unsafe.As<float[]>(x);

    private static void ForwardBlock<T>(in AttentionShape a, int b, int i0, int rows, T[] q, T[] k, T[] v, MaskView<T>? mask, T[] o, T[]? lse)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var s = new T[rows * Bc];
        var m = new T[rows];
        var l = new T[rows];
        Array.Fill(m, T.NegativeInfinity);
        int oOff = ((b * a.L) + i0) * a.Ev;
        Array.Clear(o, oOff, rows * a.Ev);
        int keyEnd = a.Causal ? Math.Min(a.S, i0 + rows) : a.S;
        for (int j0 = 0; j0 < keyEnd; j0 += Bc)
        {
            int cols = Math.Min(Bc, keyEnd - j0);
            Logits(a, b, i0, rows, j0, cols, q, k, mask, s);
            for (int r = 0; r < rows; r++)
            {
                var row = s.AsSpan(r * Bc, cols);
                T max = m[r];
                foreach (var x in row)
                {
                    max = T.Max(max, x);
                }

                // An all −∞ row so far: keep m at −∞ and its tile at 0 (exp(−∞ − 0)), nothing accumulates.
                T shift = T.IsNegativeInfinity(max) ? T.Zero : max;
                T rescale = T.Exp(m[r] - shift), sum = T.Zero;
                for (int c = 0; c < cols; c++)
                {
                    T p = T.Exp(row[c] - shift);
                    sum += p;
                    row[c] = a.DropoutP > 0 ? Dropped(a, b, i0 + r, j0 + c, p) : p;
                }

                (m[r], l[r]) = (max, (l[r] * rescale) + sum);
                var orow = o.AsSpan(oOff + (r * a.Ev), a.Ev);
                for (int e = 0; e < orow.Length; e++)
                {
                    orow[e] *= rescale;
                }
            }

            Gemm.Multiply(false, false, rows, a.Ev, cols, s, 0, Bc, v, ((b * a.S) + j0) * a.Ev, a.Ev, o, oOff, a.Ev, true);
        }

        for (int r = 0; r < rows; r++)
        {
            T inv = l[r] == T.Zero ? T.Zero : T.One / l[r];
            var orow = o.AsSpan(oOff + (r * a.Ev), a.Ev);
            for (int e = 0; e < orow.Length; e++)
            {
                orow[e] *= inv;
            }

            // +∞ for a row that takes part in nothing, so that exp(s − lse) = 0 in backward.
            if (lse is not null)
            {
                lse[(b * a.L) + i0 + r] = l[r] == T.Zero ? T.PositiveInfinity : m[r] + T.Log(l[r]);
            }
        }
    }

    /// <summary>s[r, c] = scale·q_{i0+r}·k_{j0+c} + mask, −∞ above the diagonal when causal; row stride Bc.</summary>
    private static void Logits<T>(in AttentionShape a, int b, int i0, int rows, int j0, int cols, T[] q, T[] k, MaskView<T>? mask, T[] s)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Gemm.Multiply(false, true, rows, cols, a.E, q, ((b * a.L) + i0) * a.E, a.E, k, ((b * a.S) + j0) * a.E, a.E, s, 0, Bc, false);
        T scale = T.CreateChecked(a.Scale);
        for (int r = 0; r < rows; r++)
        {
            var row = s.AsSpan(r * Bc, cols);
            int mo = mask is { } mv ? mv.Offsets[b] + ((i0 + r) * mv.Row) + (j0 * mv.Col) : 0;
            for (int c = 0; c < cols; c++)
            {
                row[c] *= scale;
                if (mask is { } mk)
                {
                    row[c] += mk.Data[mo + (c * mk.Col)];
                }

                if (a.Causal && j0 + c > i0 + r)
                {
                    row[c] = T.NegativeInfinity;
                }
            }
        }
    }

    private static T Dropped<T>(in AttentionShape a, int b, int i, int j, T p) where T : unmanaged, IFloatingPointIeee754<T> =>
        Keep(a, b, i, j) ? p * T.CreateChecked(1 / (1 - a.DropoutP)) : T.Zero;

    /// <summary>Adds the gradients to dq, dk, dv (zeroed by the caller) from do [B,L,Ev] and the forward's o and lse.</summary>
    public static void Backward<T>(AttentionShape a, T[] q, T[] k, T[] v, MaskView<T>? mask, T[] o, T[] lse, T[] dout, T[] dq, T[] dk, T[] dv)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (FlashAttentionF32.Applies<T>(a))
        {
            var m = mask is { } mv ? new MaskView<float>(AsFloat(mv.Data), mv.Offsets, mv.Row, mv.Col) : (MaskView<float>?)null;
            FlashAttentionF32.Backward(a, AsFloat(q), AsFloat(k), AsFloat(v), m, AsFloat(o), AsFloat(lse), AsFloat(dout), AsFloat(dq), AsFloat(dk), AsFloat(dv));
            return;
        }

        Parallel.For(0, a.Batch, Workers.Options, b =>
        {
            var d = new T[a.L];
            for (int i = 0; i < a.L; i++)
            {
                int off = ((b * a.L) + i) * a.Ev;
                T sum = T.Zero;
                for (int e = 0; e < a.Ev; e++)
                {
                    sum += dout[off + e] * o[off + e];
                }

                d[i] = sum;
            }

            var p = new T[Br * Bc];
            var dp = new T[Br * Bc];
            for (int j0 = 0; j0 < a.S; j0 += Bc)
            {
                int cols = Math.Min(Bc, a.S - j0);
                int iStart = a.Causal ? j0 / Br * Br : 0;
                for (int i0 = iStart; i0 < a.L; i0 += Br)
                {
                    BackwardTile(a, b, i0, Math.Min(Br, a.L - i0), j0, cols, q, k, v, mask, lse, d, dout, dq, dk, dv, p, dp);
                }
            }
        });
    }

    private static void BackwardTile<T>(in AttentionShape a, int b, int i0, int rows, int j0, int cols, T[] q, T[] k, T[] v, MaskView<T>? mask,
        T[] lse, T[] d, T[] dout, T[] dq, T[] dk, T[] dv, T[] p, T[] dp) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int qOff = ((b * a.L) + i0) * a.E, kOff = ((b * a.S) + j0) * a.E, vOff = ((b * a.S) + j0) * a.Ev, oOff = ((b * a.L) + i0) * a.Ev;
        Logits(a, b, i0, rows, j0, cols, q, k, mask, p);
        Gemm.Multiply(false, true, rows, cols, a.Ev, dout, oOff, a.Ev, v, vOff, a.Ev, dp, 0, Bc, false);
        T scale = T.CreateChecked(a.Scale), keepScale = T.CreateChecked(1 / (1 - a.DropoutP));
        for (int r = 0; r < rows; r++)
        {
            T rowLse = lse[(b * a.L) + i0 + r];
            for (int c = 0; c < cols; c++)
            {
                int t = (r * Bc) + c;
                T pr = T.Exp(p[t] - rowLse);
                bool keep = a.DropoutP == 0 || Keep(a, b, i0 + r, j0 + c);
                T z = a.DropoutP == 0 ? T.One : keep ? keepScale : T.Zero;
                dp[t] = scale * pr * ((dp[t] * z) - d[i0 + r]); // dS, scaled
                p[t] = pr * z;                                     // the dropped-out weights for dV
            }
        }

        Gemm.Multiply(true, false, cols, a.Ev, rows, p, 0, Bc, dout, oOff, a.Ev, dv, vOff, a.Ev, true);
        Gemm.Multiply(false, false, rows, a.E, cols, dp, 0, Bc, k, kOff, a.E, dq, qOff, a.E, true);
        Gemm.Multiply(true, false, cols, a.E, rows, dp, 0, Bc, q, qOff, a.E, dk, kOff, a.E, true);
    }
}
