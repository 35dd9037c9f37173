namespace Nabla.Tests.Engine;

/// <summary>Gradients at ties and at zero follow PyTorch's conventions.</summary>
public class PyTorchConventionTests
{
    [Fact]
    public void Max_and_min_of_all_elements_split_the_gradient_between_ties()
    {
        // torch.tensor([1., 3., 3.], requires_grad=True).max().backward() gives grad [0, 0.5, 0.5].
        var x = Tensor.FromArray([1.0, 3.0, 3.0]).RequireGrad();
        var m = x.Max();
        Assert.Equal(3.0, m.Item());
        m.Backward();
        Assert.Equal([0.0, 0.5, 0.5], x.Grad!.ToDoubleArray());

        var z = Tensor.FromArray([-2.0, 5.0, -2.0, -2.0]).RequireGrad();
        z.Min().Backward();
        Assert.Equal([1.0 / 3, 0.0, 1.0 / 3, 1.0 / 3], z.Grad!.ToDoubleArray());

        var n = Tensor.FromArray([1.0, double.NaN]).RequireGrad();
        Assert.True(double.IsNaN(n.Max().Item()));
    }

    [Fact]
    public void Norm_at_zero_has_zero_gradient_and_is_exact_elsewhere()
    {
        // d‖x‖/dx = x/‖x‖ away from 0; PyTorch defines 0 at x = 0.
        var zero = Tensor.Zeros(new Shape(3), DType.Float64).RequireGrad();
        var n0 = zero.Norm();
        Assert.Equal(0.0, n0.Item());
        n0.Backward();
        Assert.Equal([0.0, 0.0, 0.0], zero.Grad!.ToDoubleArray());

        var x = Tensor.FromArray([3.0, 4.0]).RequireGrad();
        var n = x.Norm();
        Assert.Equal(5.0, n.Item(), 12);
        n.Backward();
        Assert.Equal(0.6, x.Grad!.ToDoubleArray()[0], 12);
        Assert.Equal(0.8, x.Grad!.ToDoubleArray()[1], 12);
        Assert.True(GradCheck.Check(t => t[0].Norm(3), [Tensor.FromArray([0.5, -1.5, 2.0]).RequireGrad()]).Passed);
    }
}
