using Nabla.NN;

namespace Nabla.Tests.Convolution;

/// <summary>The 2×2 / stride-2 average-pooling fast path against plain loops, including odd sizes (last row and column dropped).</summary>
public class AvgPoolFastPathTests
{
    [Theory]
    [InlineData(2, 3, 6, 8)]
    [InlineData(1, 2, 7, 9)]
    public void Matches_plain_loops_forward_and_backward(int n, int c, int h, int w)
    {
        var g = new Generator(11);
        var x = Tensor.Randn(new Shape(n, c, h, w), g, DType.Float64).RequireGrad();
        var dy = Tensor.Randn(new Shape(n, c, h / 2, w / 2), g, DType.Float64);
        var y = F.AvgPool2d(x, 2);
        y.Backward(dy);
        var xv = x.ToDoubleArray();
        var yv = y.ToDoubleArray();
        var dyv = dy.ToDoubleArray();
        var dx = new double[xv.Length];
        int oh = h / 2, ow = w / 2;
        for (int p = 0; p < n * c; p++)
        {
            for (int i = 0; i < oh; i++)
            {
                for (int j = 0; j < ow; j++)
                {
                    double s = 0;
                    for (int a = 0; a < 2; a++)
                    {
                        for (int b = 0; b < 2; b++)
                        {
                            int at = (p * h * w) + (((2 * i) + a) * w) + (2 * j) + b;
                            s += xv[at];
                            dx[at] += dyv[(p * oh * ow) + (i * ow) + j] / 4;
                        }
                    }

                    Assert.Equal(s / 4, yv[(p * oh * ow) + (i * ow) + j], 12);
                }
            }
        }

        var got = x.Grad!.ToDoubleArray();
        for (int i = 0; i < dx.Length; i++)
        {
            Assert.Equal(dx[i], got[i], 12);
        }
    }
}
