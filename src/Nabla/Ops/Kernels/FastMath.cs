using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Nabla.Ops.Kernels;

/// <summary>
/// Vectorised float32 exp, tanh and sigmoid (AVX-512), for the activations that dominate small networks.
/// </summary>
/// <remarks>
/// Measured on this project's machines, <c>TensorPrimitives.Exp/Tanh/Sigmoid&lt;float&gt;</c> ran at 2-3 ns per
/// element (a scalar path), against 0.3 for an add; these run at SIMD speed. Algorithms: Cephes'
/// <c>expf</c> (range reduction x = n·ln2 + r with ln2 split in two, a degree-6 polynomial for eʳ, then
/// scaling by 2ⁿ with vscalefps; about 1 ulp) and, for tanh, a rational function of x (small arguments keep full
/// relative precision: TensorPrimitives.Tanh&lt;float&gt; returned −5.96e-8 for tanh(0)). Remainders and machines without AVX-512 use MathF.
/// </remarks>
internal static class FastMath
{
    /// <summary>y = eˣ element-wise.</summary>
    public static void Exp(ReadOnlySpan<float> x, Span<float> y)
    {
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; i <= x.Length - Vector512<float>.Count; i += Vector512<float>.Count)
            {
                Exp(Vector512.Create(x[i..])).CopyTo(y[i..]);
            }
        }

        for (; i < x.Length; i++)
        {
            y[i] = MathF.Exp(x[i]);
        }
    }

    /// <summary>y = tanh x element-wise.</summary>
    public static void Tanh(ReadOnlySpan<float> x, Span<float> y)
    {
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; i <= x.Length - Vector512<float>.Count; i += Vector512<float>.Count)
            {
                Tanh(Vector512.Create(x[i..])).CopyTo(y[i..]);
            }
        }

        for (; i < x.Length; i++)
        {
            y[i] = MathF.Tanh(x[i]);
        }
    }

    /// <summary>y = 1/(1 + e⁻ˣ) element-wise.</summary>
    public static void Sigmoid(ReadOnlySpan<float> x, Span<float> y)
    {
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; i <= x.Length - Vector512<float>.Count; i += Vector512<float>.Count)
            {
                Sigmoid(Vector512.Create(x[i..])).CopyTo(y[i..]);
            }
        }

        for (; i < x.Length; i++)
        {
            y[i] = 1f / (1f + MathF.Exp(-x[i]));
        }
    }

    /// <summary>Runs <paramref name="action"/> on float spans; false (nothing done) for other types or without AVX-512.</summary>
    public static bool TryFloat<T>(ReadOnlySpan<T> x, Span<T> y, SpanAction action) where T : struct
    {
        if (typeof(T) != typeof(float) || !Vector512.IsHardwareAccelerated)
        {
            return false;
        }

        action(MemoryMarshal.Cast<T, float>(x), MemoryMarshal.Cast<T, float>(y));
        return true;
    }

    /// <summary>A kernel over float spans.</summary>
    public delegate void SpanAction(ReadOnlySpan<float> x, Span<float> y);

    /// <summary>eˣ per lane (about 1 ulp; +∞ above 88.72, subnormal results kept down to 0 below −103.9, NaN kept).</summary>
    /// <remarks>
    /// x = n·ln 2 + r with n = round(x·log₂e) and |r| ≤ ln2/2 (ln 2 split in two so r is exact to float precision);
    /// eʳ by a degree-6 polynomial (Cephes expf); then eˣ = eʳ·2ⁿ by <c>vscalefps</c>, which gives +∞, subnormals and
    /// 0 at the ends of the range without compares or blends. The clamp keeps n·ln 2 exact for any input
    /// (vminps/vmaxps with x second return x when it is NaN, so NaN passes through).
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector512<float> Exp(Vector512<float> x)
    {
        x = Avx512F.Max(Vector512.Create(-104f), Avx512F.Min(Vector512.Create(89f), x));
        var n = Avx512F.RoundScale(x * Vector512.Create(1.44269504088896341f), 0); // round to nearest even
        var r = Vector512.FusedMultiplyAdd(n, Vector512.Create(-0.693359375f), x);
        r = Vector512.FusedMultiplyAdd(n, Vector512.Create(2.12194440e-4f), r);
        var p = Vector512.Create(1.9875691500E-4f);
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(1.3981999507E-3f));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(8.3334519073E-3f));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(4.1665795894E-2f));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(1.6666665459E-1f));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(5.0000001201E-1f));
        p = Vector512.FusedMultiplyAdd(p, r * r, r) + Vector512<float>.One;
        return Avx512F.Scale(p, n);
    }

    /// <summary>1/d per lane: <c>vrcp14ps</c> (relative error ≤ 2⁻¹⁴) and one Newton step, r ← r + r·(1 − d·r) (≤ 2⁻²⁸ before rounding).</summary>
    /// <remarks>For finite nonzero d whose reciprocal is a normal float; callers keep d in [1, 2¹²⁶].</remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector512<float> Reciprocal(Vector512<float> d)
    {
        var r = Avx512F.Reciprocal14(d);
        return Vector512.FusedMultiplyAdd(r, Avx512F.FusedMultiplyAddNegated(d, r, Vector512<float>.One), r);
    }

    /// <summary>σ(x) = 1/(1 + e⁻ˣ) per lane (a few ulps; exactly 1 above 17, the tiny positive value 1/(1 + e⁸⁰) below −80; NaN kept).</summary>
    /// <remarks>The clamp at −80 keeps 1 + e⁻ˣ finite, where the reciprocal step is exact enough; below it the true σ is under 2·10⁻³⁵.</remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector512<float> Sigmoid(Vector512<float> x) =>
        Reciprocal(Vector512<float>.One + Exp(Avx512F.Min(Vector512.Create(80f), -x)));

    /// <summary>tanh per lane (about 3·10⁻⁷ relative error, full relative precision near 0, exactly ±1 beyond |x| = 9, the sign of −0 and NaN kept).</summary>
    /// <remarks>
    /// A rational function x·P(x²)/Q(x²) of degrees 13 and 6 (Eigen's <c>generic_fast_tanh_float</c>) on |x| clamped
    /// to 9, with the quotient by a reciprocal: about 24 instructions, against about 32 for 1 − 2/(e²ˣ + 1) with an
    /// odd polynomial near 0. The quotient may overshoot 1 just below the clamp, so it is capped; beyond 9 float tanh
    /// rounds to 1, which is returned exactly. Below |x| = 4·10⁻⁴, tanh x = x(1 − x²/3 + …) rounds to x (x²/3 &lt;
    /// 2⁻²⁴), which is returned: the rational's slope at 0 is 1 − 1.3·10⁻⁷. Computed on |x| and given x's sign at the
    /// end (tanh is odd).
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector512<float> Tanh(Vector512<float> x)
    {
        var ax = Vector512.Abs(x);
        var xc = Avx512F.Min(Vector512.Create(9f), ax); // NaN (second operand) passes through
        var z = xc * xc;
        var p = Vector512.Create(-2.76076847742355e-16f);
        p = Vector512.FusedMultiplyAdd(p, z, Vector512.Create(2.00018790482477e-13f));
        p = Vector512.FusedMultiplyAdd(p, z, Vector512.Create(-8.60467152213735e-11f));
        p = Vector512.FusedMultiplyAdd(p, z, Vector512.Create(5.12229709037114e-08f));
        p = Vector512.FusedMultiplyAdd(p, z, Vector512.Create(1.48572235717979e-05f));
        p = Vector512.FusedMultiplyAdd(p, z, Vector512.Create(6.37261928875436e-04f));
        p = Vector512.FusedMultiplyAdd(p, z, Vector512.Create(4.89352455891786e-03f));
        var q = Vector512.Create(1.19825839466702e-06f);
        q = Vector512.FusedMultiplyAdd(q, z, Vector512.Create(1.18534705686654e-04f));
        q = Vector512.FusedMultiplyAdd(q, z, Vector512.Create(2.26843463243900e-03f));
        q = Vector512.FusedMultiplyAdd(q, z, Vector512.Create(4.89352518554385e-03f));
        var one = Vector512<float>.One;
        var r = Avx512F.Min(one, p * xc * Reciprocal(q));
        r = Vector512.ConditionalSelect(Vector512.LessThan(ax, Vector512.Create(4e-4f)), ax, r);
        return Vector512.CopySign(Vector512.ConditionalSelect(Vector512.GreaterThanOrEqual(ax, Vector512.Create(9f)), one, r), x);
    }
}
