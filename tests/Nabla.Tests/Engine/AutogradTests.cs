namespace Nabla.Tests.Engine;

public class AutogradTests
{
    [Fact]
    public void Product_rule_and_leaf_accumulation()
    {
        // y = a·b + a², dy/da = b + 2a = 3 + 4 = 7, dy/db = a = 2
        var a = Tensor.Scalar(2.0).RequireGrad();
        var b = Tensor.Scalar(3.0).RequireGrad();
        var y = (a * b) + (a * a);
        y.Backward(retainGraph: true);
        Assert.Equal(7.0, a.Grad!.Item(), 12);
        Assert.Equal(2.0, b.Grad!.Item(), 12);

        // A second backward accumulates (PyTorch semantics).
        y.Backward();
        Assert.Equal(14.0, a.Grad!.Item(), 12);
    }

    [Fact]
    public void Backward_twice_without_retain_graph_throws()
    {
        var a = Tensor.Scalar(2.0).RequireGrad();
        var y = a.Exp() * 3.0;
        y.Backward();
        var e = Assert.Throws<InvalidOperationException>(() => y.Backward());
        Assert.Contains("second time", e.Message);
    }

    [Fact]
    public void Backward_of_non_scalar_without_gradient_throws()
    {
        var a = Tensor.Ones(new Shape(2, 3), DType.Float64).RequireGrad();
        var e = Assert.Throws<InvalidOperationException>(() => (a * 2.0).Backward());
        Assert.Contains("[2, 3]", e.Message);
    }

    [Fact]
    public void Third_derivative_of_cube()
    {
        // y = x³: y' = 3x² = 27, y'' = 6x = 18, y''' = 6 at x = 3.
        var x = Tensor.Scalar(3.0).RequireGrad();
        var y = x * x * x;
        var d1 = Autograd.Grad([y], [x], createGraph: true)[0]!;
        var d2 = Autograd.Grad([d1], [x], createGraph: true)[0]!;
        var d3 = Autograd.Grad([d2], [x])[0]!;
        Assert.Equal(27.0, d1.Item(), 12);
        Assert.Equal(18.0, d2.Item(), 12);
        Assert.Equal(6.0, d3.Item(), 12);
    }

    [Fact]
    public void Broadcast_shape_mismatch_names_both_shapes()
    {
        var a = Tensor.Ones(new Shape(2, 3));
        var b = Tensor.Ones(new Shape(4));
        var e = Assert.Throws<ArgumentException>(() => a + b);
        Assert.Contains("[2, 3]", e.Message);
        Assert.Contains("[4]", e.Message);
        var m = Assert.Throws<ArgumentException>(() => a.MatMul(Tensor.Ones(new Shape(2, 5))));
        Assert.Contains("[2, 3]", m.Message);
        Assert.Contains("[2, 5]", m.Message);
    }

    [Fact]
    public void Gradcheck_of_a_small_network()
    {
        var g = new Generator(1);
        var x = Tensor.Randn(new Shape(3, 4), g, DType.Float64).RequireGrad();
        var w = Tensor.Randn(new Shape(4, 2), g, DType.Float64).RequireGrad();
        var b = Tensor.Randn(new Shape(2), g, DType.Float64).RequireGrad();
        Tensor F(Tensor[] t) => (t[0].MatMul(t[1]) + t[2]).Tanh().LogSoftmax(1).Sum(0);
        var r = GradCheck.Check(F, [x, w, b]);
        Assert.True(r.Passed, r.Message);
        var r2 = GradCheck.CheckSecondOrder(F, [x, w, b]);
        Assert.True(r2.Passed, r2.Message);
    }
}
