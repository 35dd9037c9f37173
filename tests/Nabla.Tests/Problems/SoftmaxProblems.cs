namespace Nabla.Tests.Problems;

/// <summary>Topic loss-softmax: softmax of a logit vector with tensor ops.</summary>
public class SoftmaxProblems
{
    private const double Abs = 1e-6, Rel = 1e-6;

    [Theory]
    [InlineData(DType.Float32)]
    [InlineData(DType.Float64)]
    public void S3_Q1_softmax(DType dtype)
    {
        // S3-Q1-softmax. z = [2.0, 1.0, 0.1]: e^z = [7.38905609893, 2.71828182846, 1.10517091808],
        //   Σ e^z = 11.2125088455, p₀ = 7.38905609893 / 11.2125088455 = 0.659001138886.
        // The stable form subtracts m = max z = 2 first: e^(z−2) = [1, e^−1, e^−1.9], Σ = 1.51742..., and
        //   p₀ = 1 / 1.51742... = 0.659001..., the same because e^−m cancels in the ratio.
        var z = Tensor.FromArray([2.0, 1.0, 0.1]).To(dtype);
        var exp = z.Exp();
        var sumExp = exp.Sum();
        var p = z.Softmax(0);

        AllClose([7.38905609893, 2.71828182846, 1.10517091808], exp);
        Close(11.2125088455, sumExp.Item());
        AllClose([0.659001138886, 0.242432970705, 0.0985658904093], p);
        AllClose([0.659001138886, 0.242432970705, 0.0985658904093], exp / sumExp);
        Close(1.0, p.Sum().Item());
        Assert.Equal(dtype, p.DType);
    }

    [Fact]
    public void S3_Q1_softmax_is_shift_invariant_and_stable()
    {
        // Adding 1000 to every logit overflows a naive exp (e^1002 = inf) but not the max-subtracted softmax.
        var z = Tensor.FromArray([1002.0, 1001.0, 1000.1]); // Float64: 1000.1f would be 1000.09998
        AllClose([0.659001138886, 0.242432970705, 0.0985658904093], z.Softmax(-1));

        // Row-wise along dim 1 of a batch of two identical rows.
        var batch = Tensor.FromArray([2.0, 1.0, 0.1, 2.0, 1.0, 0.1], new Shape(2, 3));
        AllClose([0.659001138886, 0.242432970705, 0.0985658904093, 0.659001138886, 0.242432970705, 0.0985658904093], batch.Softmax(1));
    }

    private static void Close(double expected, double actual) => Expect.Close(expected, actual, Abs, Rel);

    private static void AllClose(double[] expected, Tensor actual) => Expect.AllClose(expected, actual, Abs, Rel);
}
