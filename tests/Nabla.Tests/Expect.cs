namespace Nabla.Tests;

/// <summary>
/// Assertions with PROBLEMS.md's tolerance rule: a value passes when |actual − expected| ≤ max(abs, rel·|expected|).
/// </summary>
internal static class Expect
{
    public static void Close(double expected, double actual, double abs, double rel) =>
        Assert.True(Math.Abs(actual - expected) <= Math.Max(abs, rel * Math.Abs(expected)), $"expected {expected}, got {actual}");

    public static void AllClose(double[] expected, Tensor actual, double abs, double rel)
    {
        var a = actual.ToDoubleArray();
        Assert.Equal(expected.Length, a.Length);
        for (int i = 0; i < a.Length; i++)
        {
            Assert.True(Math.Abs(a[i] - expected[i]) <= Math.Max(abs, rel * Math.Abs(expected[i])), $"[{i}]: expected {expected[i]}, got {a[i]}");
        }
    }

    /// <summary>Copies given values into a parameter (the problems fix the weights).</summary>
    public static void Set(Tensor parameter, Tensor value)
    {
        using (GradMode.NoGrad())
        {
            parameter.CopyInPlace(value);
        }
    }
}
