using Nabla.NN;
using Nabla.Optim;

namespace Nabla.Tests.Engine;

/// <summary>The README's code sample, kept compiling and true.</summary>
public class ReadmeExampleTests
{
    [Fact]
    public void Readme_taste_runs_and_prints_what_it_says()
    {
        var model = new Sequential(new Linear(784, 256), new ReLU(), new Linear(256, 10));
        var optimizer = new Adam(model.Parameters(), lr: 1e-3);
        var x = Tensor.Randn(new Shape(64, 784));
        var y = Tensor.Randint(0, 10, new Shape(64));
        optimizer.ZeroGrad();
        var loss = new CrossEntropyLoss().Forward(model.Forward(x), y);
        loss.Backward();
        optimizer.Step();
        Assert.All(model.Parameters(), p => Assert.NotNull(p.Grad));

        var p = Tensor.FromArray([4.0, 3.0]);
        var h = Autograd.Functional.Hessian(v => v[0].Pow(4) - 32 * v[0].Square() + v[1].Pow(4) - 18 * v[1].Square(), p);
        Assert.Equal("tensor([[128.,   0.],\n        [  0.,  72.]], dtype=Float64)", h.ToString());
    }
}
