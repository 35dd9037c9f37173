namespace Nabla.Tests.Problems;

/// <summary>Topic batchnorm: training-mode batch normalisation written in tensor ops.</summary>
public class BatchNormProblems
{
    private const double Abs = 1e-5, Rel = 1e-6;

    [Theory]
    [InlineData(DType.Float32)]
    [InlineData(DType.Float64)]
    public void S3_Q6_batchnorm(DType dtype)
    {
        // S3-Q6-batchnorm. One feature over a batch of m = 5: x = [2, 4, 6, 8, 10], γ = 2, β = 1.
        //   μ = 30 / 5 = 6;  σ² = (16 + 4 + 0 + 4 + 16) / 5 = 8 (biased: divide by m, not m − 1 = 4, which gives 10).
        //   x̂₀ = (2 − 6)/√8 = −4/(2√2) = −√2 = −1.41421356237;  y₀ = 2·(−√2) + 1 = −1.82842712475.
        //   With ε = 1e-5: x̂₀ = −4/√8.00001, y₀ = −1.82842535698 (agrees with ε = 0 within 1e-5).
        // Laid out as an (N, C) = (5, 1) batch and normalised over dim 0, as BatchNorm1d does.
        var x = Tensor.FromArray([2.0, 4.0, 6.0, 8.0, 10.0], new Shape(5, 1)).To(dtype);
        double gamma = 2.0, beta = 1.0;

        var mean = x.Mean([0], keepDim: true);
        var variance = x.Var([0], unbiased: false, keepDim: true);
        Close(6.0, mean.Item());
        Close(8.0, variance.Item());
        Close(10.0, x.Var([0]).Item()); // the unbiased estimate, which batch norm does not use for normalising

        Tensor Normalise(double eps) => (x - mean) / (variance + eps).Sqrt();

        var xhat = Normalise(0.0);
        AllClose([-1.41421356237, -0.707106781187, 0.0, 0.707106781187, 1.41421356237], xhat);
        AllClose([-1.82842712475, -0.414213562373, 1.0, 2.41421356237, 3.82842712475], (gamma * xhat) + beta);

        var yEps = (gamma * Normalise(1e-5)) + beta;
        AllClose([-1.82842535698, -0.41421267849, 1.0, 2.41421267849, 3.82842535698], yEps);
        Assert.Equal(new Shape(5, 1), yEps.Shape);

        // The normalised batch has mean 0 and (biased) variance 1 when ε = 0.
        Close(0.0, xhat.Mean().Item());
        Close(1.0, xhat.Var(unbiased: false).Item());
    }

    private static void Close(double expected, double actual) => Expect.Close(expected, actual, Abs, Rel);

    private static void AllClose(double[] expected, Tensor actual) => Expect.AllClose(expected, actual, Abs, Rel);
}
