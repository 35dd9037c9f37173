namespace Nabla.Tests.Ops;

/// <summary>
/// Hand-worked gradients at the points the gradient checks avoid (kinks, ties, boundaries), pinned to PyTorch's
/// conventions. Each expected value is derived in the comment above it.
/// </summary>
public class OpEdgeTests
{
    private static double[] GradAt(Func<Tensor, Tensor> f, params double[] x)
    {
        var t = Tensor.FromArray(x).RequireGrad();
        f(t).Sum().Backward();
        return t.Grad!.ToDoubleArray();
    }

    [Fact]
    public void Maximum_splits_the_gradient_at_ties()
    {
        // max(a, b) with a = b: PyTorch gives each side ½.
        var a = Tensor.FromArray([1.0, 2.0]).RequireGrad();
        var b = Tensor.FromArray([1.0, 0.0]).RequireGrad();
        a.Maximum(b).Sum().Backward();
        Assert.Equal([0.5, 1.0], a.Grad!.ToDoubleArray());
        Assert.Equal([0.5, 0.0], b.Grad!.ToDoubleArray());
    }

    [Fact]
    public void Kinks_at_zero_follow_pytorch()
    {
        // relu'(0) = 0, |x|'(0) = sign(0) = 0, leaky_relu'(0) = slope (x > 0 is false), elu'(0) = α·e⁰ = α.
        Assert.Equal([0.0, 1.0, 0.0], GradAt(x => x.Relu(), 0, 2, -1));
        Assert.Equal([0.0, -1.0], GradAt(x => x.Abs(), 0, -3));
        Assert.Equal([0.2], GradAt(x => x.LeakyRelu(0.2), 0));
        Assert.Equal([1.5], GradAt(x => x.Elu(1.5), 0));
    }

    [Fact]
    public void Clamp_passes_the_gradient_on_its_bounds()
    {
        // PyTorch's clamp backward masks with min ≤ x ≤ max, so the bounds themselves pass the gradient.
        Assert.Equal([1.0, 1.0, 0.0, 0.0, 1.0], GradAt(x => x.Clamp(-1, 1), -1, 1, -2, 2, 0.5));
    }

    [Fact]
    public void Max_along_a_dim_sends_the_gradient_to_the_first_maximum()
    {
        // Row [3, 3, 1]: the index is 0 (the first maximum), and only it gets the gradient.
        var x = Tensor.FromArray([3.0, 3.0, 1.0], new Shape(1, 3)).RequireGrad();
        var (v, i) = x.Max(1);
        v.Sum().Backward();
        Assert.Equal([0L], i.ToInt64Array());
        Assert.Equal([1.0, 0.0, 0.0], x.Grad!.ToDoubleArray());
    }

    [Fact]
    public void Pow_with_a_zero_exponent_has_a_zero_gradient_at_zero()
    {
        // x⁰ = 1 is constant: d/dx = 0 everywhere, including x = 0 where b·xᵇ⁻¹ = 0·∞ (PyTorch masks it to 0).
        Assert.Equal([0.0, 0.0], GradAt(x => x.Pow(0.0), 0, 2));
        Assert.Equal([0.0, 0.0], GradAt(x => x.Pow(Tensor.Zeros(new Shape(2), DType.Float64)), 0, 2));

        // d(aᵇ)/db = aᵇ ln a is defined as 0 at a = 0.
        var b = Tensor.FromArray([2.0]).RequireGrad();
        Tensor.FromArray([0.0]).Pow(b).Sum().Backward();
        Assert.Equal([0.0], b.Grad!.ToDoubleArray());
    }

    [Fact]
    public void Sign_has_a_zero_gradient()
    {
        Assert.Equal([0.0, 0.0, 0.0], GradAt(x => x.Sign(), -2, 0, 3));
    }

    [Fact]
    public void Integer_scatter_add_counts()
    {
        // A histogram of [2, 0, 2, 2] into 3 bins: [1, 0, 3].
        var counts = Tensor.Zeros(new Shape(3), DType.Int64)
            .ScatterAdd(0, Tensor.FromArray([2L, 0, 2, 2]), Tensor.Ones(new Shape(4), DType.Int64));
        Assert.Equal([1L, 0, 3], counts.ToInt64Array());
    }
}
