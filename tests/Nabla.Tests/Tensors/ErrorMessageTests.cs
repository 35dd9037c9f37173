namespace Nabla.Tests.Tensors;

/// <summary>Errors name what went wrong: both shapes for shape errors, the fix for autograd misuse.</summary>
public class ErrorMessageTests
{
    [Theory]
    [InlineData(new[] { 2, 3 }, new[] { 4 })]
    [InlineData(new[] { 3 }, new[] { 2, 2 })]
    [InlineData(new[] { 2, 1, 5 }, new[] { 3, 4 })]
    public void Broadcast_mismatch_throws_naming_both_shapes(int[] sa, int[] sb)
    {
        var a = Tensor.Ones(new Shape(sa));
        var b = Tensor.Ones(new Shape(sb));
        foreach (var op in new Func<Tensor>[] { () => a + b, () => a - b, () => a * b, () => a / b, () => b + a, () => a.Maximum(b), () => a.Lt(b) })
        {
            var e = Assert.Throws<ArgumentException>(op);
            Assert.Contains(new Shape(sa).ToString(), e.Message);
            Assert.Contains(new Shape(sb).ToString(), e.Message);
        }
    }

    [Theory]
    [InlineData(new[] { 2, 3 }, new[] { 2, 5 })]
    [InlineData(new[] { 3 }, new[] { 4 })]
    [InlineData(new[] { 4, 2, 3 }, new[] { 4, 2 })]
    [InlineData(new[] { 3 }, new[] { 2, 4, 1 })]
    public void Matmul_mismatch_throws_naming_both_shapes(int[] sa, int[] sb)
    {
        var e = Assert.Throws<ArgumentException>(() => Tensor.Ones(new Shape(sa)).MatMul(Tensor.Ones(new Shape(sb))));
        Assert.Contains(new Shape(sa).ToString(), e.Message);
        Assert.Contains(new Shape(sb).ToString(), e.Message);
    }

    [Fact]
    public void Matmul_of_a_scalar_throws()
    {
        var e = Assert.Throws<ArgumentException>(() => Tensor.Scalar(2.0).MatMul(Tensor.Ones([2], DType.Float64)));
        Assert.Contains("[]", e.Message);
    }

    [Fact]
    public void Reshape_to_a_wrong_size_names_both_shapes()
    {
        var a = Tensor.Ones([2, 3]);
        var e = Assert.Throws<ArgumentException>(() => a.Reshape(4, 2));
        Assert.Contains("[2, 3]", e.Message);
        Assert.Contains("[4, 2]", e.Message);
        var e2 = Assert.Throws<ArgumentException>(() => a.Reshape(-1, 4));
        Assert.Contains("[2, 3]", e2.Message);
        Assert.Contains("[-1, 4]", e2.Message);
        var e3 = Assert.Throws<ArgumentException>(() => a.View(7));
        Assert.Contains("[2, 3]", e3.Message);
        Assert.Contains("[7]", e3.Message);
        Assert.Throws<ArgumentException>(() => a.Reshape(-1, -1));
        Assert.Throws<ArgumentException>(() => a.Reshape(new Shape(5)));
    }

    [Fact]
    public void Backward_twice_without_retain_graph_throws()
    {
        var x = Tensor.FromArray([1.0, 2.0]).RequireGrad();
        var y = (x * x).Sum();
        y.Backward();
        var e = Assert.Throws<InvalidOperationException>(() => y.Backward());
        Assert.Contains("second time", e.Message);
        Assert.Contains("retainGraph", e.Message);

        // With retainGraph the second pass works and accumulates.
        var x2 = Tensor.FromArray([1.0, 2.0]).RequireGrad();
        var y2 = (x2 * x2).Sum();
        y2.Backward(retainGraph: true);
        y2.Backward();
        Assert.Equal([4.0, 8.0], x2.Grad!.ToDoubleArray());
    }

    [Fact]
    public void Backward_of_a_non_scalar_needs_a_gradient()
    {
        var x = Tensor.FromArray([1.0, 2.0]).RequireGrad();
        var y = x * 3.0;
        var e = Assert.Throws<InvalidOperationException>(() => y.Backward());
        Assert.Contains("scalar", e.Message);
        Assert.Contains("[2]", e.Message);

        var wrong = Assert.Throws<ArgumentException>(() => y.Backward(Tensor.Ones([3], DType.Float64)));
        Assert.Contains("[3]", wrong.Message);
        Assert.Contains("[2]", wrong.Message);

        y.Backward(Tensor.FromArray([1.0, -1.0]));
        Assert.Equal([3.0, -3.0], x.Grad!.ToDoubleArray());

        // A one-element non-0-d tensor counts as a scalar.
        var z = Tensor.FromArray([2.0]).RequireGrad();
        (z * z).Backward();
        Assert.Equal(4.0, z.Grad!.Item());
    }

    [Fact]
    public void Backward_of_a_tensor_outside_the_graph_throws()
    {
        var e = Assert.Throws<InvalidOperationException>(() => Tensor.Scalar(1.0).Backward());
        Assert.Contains("does not require a gradient", e.Message);
    }

    [Fact]
    public void Grad_with_allowUnused()
    {
        var x = Tensor.Scalar(2.0).RequireGrad();
        var unused = Tensor.Scalar(5.0).RequireGrad();
        var y = x * x;
        var e = Assert.Throws<InvalidOperationException>(() => Autograd.Grad([y], [x, unused], retainGraph: true));
        Assert.Contains("input 1", e.Message);
        Assert.Contains("allowUnused", e.Message);

        var g = Autograd.Grad([y], [x, unused], allowUnused: true);
        Assert.Equal(4.0, g[0]!.Item());
        Assert.Null(g[1]);

        // Grad does not touch .Grad of the leaves.
        Assert.Null(x.Grad);

        var noGrad = Tensor.Scalar(1.0);
        var e2 = Assert.Throws<ArgumentException>(() => Autograd.Grad([x * 2.0], [noGrad]));
        Assert.Contains("does not require a gradient", e2.Message);
    }

    [Fact]
    public void Grad_of_an_intermediate_and_of_the_output_itself()
    {
        var x = Tensor.Scalar(3.0).RequireGrad();
        var h = x * 2.0;
        var y = h * h; // dy/dh = 2h = 12
        var g = Autograd.Grad([y], [h, y, x]);
        Assert.Equal(12.0, g[0]!.Item());
        Assert.Equal(1.0, g[1]!.Item());
        Assert.Equal(24.0, g[2]!.Item());
    }

    [Fact]
    public void Dimension_errors_name_the_shape()
    {
        var a = Tensor.Ones([2, 3]);
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => a.Sum(2));
        Assert.Contains("[2, 3]", e.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => a.Narrow(1, 2, 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => a.Unsqueeze(4));
        var p = Assert.Throws<ArgumentException>(() => a.Permute(0));
        Assert.Contains("[2, 3]", p.Message);
        var x = Assert.Throws<ArgumentException>(() => a.Expand(3, 3));
        Assert.Contains("[2, 3]", x.Message);
        Assert.Contains("[3, 3]", x.Message);
    }
}
