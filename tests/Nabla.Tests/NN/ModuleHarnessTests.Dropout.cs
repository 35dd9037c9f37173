using Nabla.NN;

namespace Nabla.Tests.NN;

/// <summary>
/// Dropout is random, so instead of golden values: inverted scaling by 1/(1 − p), whole channels for Dropout2d,
/// the drop rate and E[y] = x within statistical bounds (about 5 standard deviations), and the gradient equals the mask.
/// </summary>
public sealed partial class ModuleHarnessTests
{
    [Theory]
    [InlineData(0.3, DType.Float32)]
    [InlineData(0.5, DType.Float64)]
    [InlineData(0.8, DType.Float32)]
    public void Dropout_zeroes_with_probability_p_and_scales_the_rest(double p, DType dtype)
    {
        const int n = 200_000;
        var x = (Tensor.Rand(new Shape(n), new Generator(1), dtype) + 0.5).RequireGrad();
        var drop = new Dropout(p, new Generator(2));
        var y = drop.Forward(x);
        y.Backward(Tensor.OnesLike(y));
        var xs = x.ToDoubleArray();
        var ys = y.ToDoubleArray();
        var gs = x.Grad!.ToDoubleArray();
        double scale = 1 / (1 - p), tol = dtype == DType.Float32 ? 1e-6 : 1e-12;
        int dropped = 0;
        for (int i = 0; i < n; i++)
        {
            if (ys[i] == 0)
            {
                dropped++;
                Assert.Equal(0, gs[i]);
            }
            else
            {
                Assert.True(Math.Abs(ys[i] - (xs[i] * scale)) <= tol * ys[i], $"y[{i}] = {ys[i]}, expected x/(1 − p) = {xs[i] * scale}");
                Assert.True(Math.Abs(gs[i] - scale) <= tol * scale, $"dy/dx[{i}] = {gs[i]}, expected {scale}");
            }
        }

        double sd = Math.Sqrt(p * (1 - p) / n);
        Assert.InRange(dropped / (double)n, p - (5 * sd), p + (5 * sd));

        // E[y] = x: the mean of y − x over n independent elements.
        double meanDiff = ys.Zip(xs, (a, b) => a - b).Average();
        double sdMean = Math.Sqrt(p / (1 - p)) * 1.1 / Math.Sqrt(n); // Var(y − x) = x²·p/(1 − p), x ≤ 1.5
        Assert.InRange(meanDiff, -5 * sdMean, 5 * sdMean);

        drop.Eval();
        Assert.Equal(xs, drop.Forward(x).ToDoubleArray());
    }

    [Theory]
    [InlineData(0.25)]
    [InlineData(0.5)]
    public void Dropout2d_zeroes_whole_channels(double p)
    {
        int nb = 64, c = 64, h = 3, w = 4;
        var x = Tensor.Rand(new Shape(nb, c, h, w), new Generator(3), DType.Float64) + 0.5;
        var drop = new Dropout2d(p, new Generator(4));
        var ys = drop.Forward(x).ToDoubleArray();
        var xs = x.ToDoubleArray();
        double scale = 1 / (1 - p);
        int droppedChannels = 0, plane = h * w;
        for (int ch = 0; ch < nb * c; ch++)
        {
            bool zero = ys[ch * plane] == 0;
            droppedChannels += zero ? 1 : 0;
            for (int k = ch * plane; k < (ch + 1) * plane; k++)
            {
                Assert.Equal(zero ? 0 : xs[k] * scale, ys[k], 12);
            }
        }

        double rate = droppedChannels / (double)(nb * c), sd = Math.Sqrt(p * (1 - p) / (nb * c));
        Assert.InRange(rate, p - (5 * sd), p + (5 * sd));
        double meanRatio = ys.Sum() / xs.Sum(); // E[y] = x ⇒ the totals agree up to channel-level noise
        Assert.InRange(meanRatio, 1 - (5 * Math.Sqrt(p / (1 - p) / (nb * c)) * 1.2), 1 + (5 * Math.Sqrt(p / (1 - p) / (nb * c)) * 1.2));
        drop.Eval();
        Assert.Equal(xs, drop.Forward(x).ToDoubleArray());
    }

    [Fact]
    public void Dropout_p0_is_identity_and_p1_zeroes_everything()
    {
        var x = Tensor.Randn(new Shape(4, 3, 2, 2), new Generator(5), DType.Float64);
        Assert.Equal(x.ToDoubleArray(), new Dropout(0).Forward(x).ToDoubleArray());
        Assert.Equal(x.ToDoubleArray(), new Dropout2d(0).Forward(x).ToDoubleArray());
        Assert.All(new Dropout(1).Forward(x).ToDoubleArray(), v => Assert.Equal(0, v));
        Assert.All(new Dropout2d(1).Forward(x).ToDoubleArray(), v => Assert.Equal(0, v));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Dropout(1.5).Forward(x));
    }
}
