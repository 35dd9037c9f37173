namespace Nabla.Tests.Engine;

/// <summary>Element-wise kernels split between threads give the same bits as on one thread.</summary>
[Collection(GlobalStateCollection.Name)]
public class ParallelElementwiseTests
{
    [Fact]
    public void Large_unary_and_activation_gradients_match_one_thread_bitwise()
    {
        var x = Tensor.Randn(new Shape(300_001), new Generator(5)).RequireGrad();
        var dy = Tensor.Randn(new Shape(300_001), new Generator(6));
        int saved = Threads.Count;
        try
        {
            Threads.Count = 1;
            var (y1, g1) = Run(x, dy);
            Threads.Count = 2;
            var (y2, g2) = Run(x, dy);
            Assert.Equal(y1, y2);
            Assert.Equal(g1, g2);
        }
        finally
        {
            Threads.Count = saved;
        }
    }

    private static (float[] Y, float[] G) Run(Tensor x, Tensor dy)
    {
        x.Grad = null;
        var y = ((x.Tanh() * x) + (x * 0.5)).Sigmoid().Relu().Exp() / (x.Square() + 1.0);
        y.Backward(dy);
        return (y.ToFloatArray(), x.Grad!.ToFloatArray());
    }
}
