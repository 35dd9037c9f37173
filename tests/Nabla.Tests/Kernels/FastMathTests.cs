using Nabla.Ops.Kernels;

namespace Nabla.Tests.Kernels;

/// <summary>
/// The AVX-512 exp, σ and tanh of FastMath against the double-precision functions of .NET, over a dense sweep of
/// the whole float range that matters (±120, so every branch, clamp and both ends of exp's range are crossed),
/// around zero (where tanh must keep its relative precision), and at ±∞ and NaN. The tolerances are a few ulps
/// (relative 2⁻²¹ ≈ 4.8e-7) of the true value; below the smallest normal float exp is allowed one subnormal step.
/// Skipped without AVX-512 (the kernels fall back to MathF there).
/// </summary>
public class FastMathTests
{
    private const double Rel = 4.8e-7;

    private static float[] Sweep()
    {
        var xs = new List<float>();
        for (double x = -120; x <= 120; x += 0.0137)
        {
            xs.Add((float)x);
        }

        for (int e = -40; e <= 0; e++)
        {
            xs.Add(MathF.Pow(2, e));
            xs.Add(-MathF.Pow(2, e));
            xs.Add(MathF.Pow(2, e) * 1.37f);
        }

        xs.AddRange([0f, -0f, 0.625f, -0.625f, 0.62499994f, 17f, -17f, 40f, -40f, 80f, -80f, 88.72f, 88.73f, -87.3f, -103.9f, -104f]);
        while (xs.Count % 16 != 0)
        {
            xs.Add(1f);
        }

        return xs.ToArray();
    }

    private static void Check(Action<ReadOnlySpan<float>, Span<float>> kernel, Func<double, double> truth, double absFloor)
    {
        var x = Sweep();
        var y = new float[x.Length];
        kernel(x, y);
        for (int i = 0; i < x.Length; i++)
        {
            double want = truth(x[i]);
            if (double.IsNaN(want))
            {
                continue;
            }

            double tol = Math.Max(Rel * Math.Abs(want), absFloor);
            Assert.True(Math.Abs(y[i] - want) <= tol, $"f({x[i]:R}) = {y[i]:R}, want {want:R} (error {Math.Abs(y[i] - want):E2} > {tol:E2})");
        }
    }

    [Fact]
    public void Exp_is_within_a_few_ulps_over_the_float_range()
    {
        // Above 88.72 the true value exceeds float.MaxValue: +∞ is the correctly rounded answer, and the check
        // compares ∞ with a finite double, so that part is asserted on its own below.
        Check((x, y) => FastMath.Exp(x, y), x => x > 88.72 ? double.NaN : Math.Exp(x), float.Epsilon);
        var y = new float[16];
        FastMath.Exp([88.73f, 100f, float.PositiveInfinity, float.NegativeInfinity, -104f, -1000f, float.NaN, 0f, 1f, 1f, 1f, 1f, 1f, 1f, 1f, 1f], y);
        Assert.Equal([float.PositiveInfinity, float.PositiveInfinity, float.PositiveInfinity, 0f, 0f, 0f], y[..6]);
        Assert.True(float.IsNaN(y[6]));
        Assert.Equal(1f, y[7]);
    }

    [Fact]
    public void Sigmoid_is_within_a_few_ulps_and_saturates()
    {
        // Below −80 the kernel returns σ(−80) ≈ 1.8e-35 instead of the smaller true value: an absolute error under
        // 2e-35, allowed by the floor.
        Check((x, y) => FastMath.Sigmoid(x, y), x => 1 / (1 + Math.Exp(-x)), 2e-35);
        var y = new float[16];
        FastMath.Sigmoid([17f, 50f, float.PositiveInfinity, float.NegativeInfinity, float.NaN, 0f, 1f, 1f, 1f, 1f, 1f, 1f, 1f, 1f, 1f, 1f], y);
        Assert.Equal([1f, 1f, 1f], y[..3]);
        Assert.InRange(y[3], 0f, 2e-35f);
        Assert.True(float.IsNaN(y[4]));
        Assert.Equal(0.5f, y[5]);
    }

    [Fact]
    public void Tanh_keeps_relative_precision_near_zero_and_exact_limits()
    {
        Check((x, y) => FastMath.Tanh(x, y), Math.Tanh, 0);
        var y = new float[16];
        FastMath.Tanh([40f, -40f, float.PositiveInfinity, float.NegativeInfinity, float.NaN, 0f, -0f, 1e-30f, 1f, 1f, 1f, 1f, 1f, 1f, 1f, 1f], y);
        Assert.Equal([1f, -1f, 1f, -1f], y[..4]);
        Assert.True(float.IsNaN(y[4]));
        Assert.Equal(0f, y[5]);
        Assert.True(float.IsNegative(y[6]));
        Assert.Equal(1e-30f, y[7]);
    }
}
