namespace Nabla.Tests.Tensors;

/// <summary>Views share storage with their base; <see cref="Tensor.Contiguous"/> and non-viewable reshapes copy.</summary>
public class ViewTests
{
    private static Tensor Matrix() => Tensor.Arange(0, 6, 1, DType.Float32).Reshape(2, 3); // [[0, 1, 2], [3, 4, 5]]

    [Fact]
    public void Reshape_of_contiguous_is_a_view()
    {
        var a = Matrix();
        var r = a.Reshape(3, 2);
        Assert.Same(a.Data, r.Data);
        Assert.Same(a.Data, a.Reshape(-1).Data);
        Assert.Same(a.Data, a.View(6).Data);
        Assert.Same(a.Data, a.Unsqueeze(0).Data);
        Assert.Equal(new Shape(3, 2), r.Shape);
        r.FillInPlace(7);
        Assert.All(a.ToDoubleArray(), v => Assert.Equal(7.0, v));
    }

    [Fact]
    public void Permute_and_transpose_are_views_with_permuted_strides()
    {
        var a = Matrix();
        var t = a.T;
        Assert.Same(a.Data, t.Data);
        Assert.Equal(new Shape(3, 2), t.Shape);
        Assert.False(t.IsContiguous);
        Assert.Equal([1, 3], t.Strides);
        Assert.Equal([0.0, 3, 1, 4, 2, 5], t.ToDoubleArray());

        var p = Tensor.Zeros([2, 3, 4]).Permute(2, 0, 1);
        Assert.Equal(new Shape(4, 2, 3), p.Shape);
        Assert.Equal([1, 12, 4], p.Strides);
    }

    [Fact]
    public void Narrow_is_a_view_and_writes_reach_the_base()
    {
        var a = Matrix();
        var col = a.Narrow(1, 1, 2); // [[1, 2], [4, 5]]
        Assert.Same(a.Data, col.Data);
        Assert.Equal([1.0, 2, 4, 5], col.ToDoubleArray());
        col.AddInPlace(Tensor.Full([2, 2], 10));
        Assert.Equal([0.0, 11, 12, 3, 14, 15], a.ToDoubleArray());

        var row = a.Narrow(0, 1, 1);
        Assert.True(row.IsContiguous);
        row.MulInPlace(2);
        Assert.Equal([0.0, 11, 12, 6, 28, 30], a.ToDoubleArray());

        Assert.Equal([11.0, 28], a.Select(1, 1).ToDoubleArray());
        Assert.Equal([6.0, 28, 30], a[1].ToDoubleArray());
        Assert.Equal(30.0, a[1, 2].Item());
    }

    [Fact]
    public void Expand_uses_stride_zero_without_copying()
    {
        var v = Tensor.FromArray([1f, 2f, 3f]);
        var e = v.Expand(4, 3);
        Assert.Same(v.Data, e.Data);
        Assert.Equal([0, 1], e.Strides);
        Assert.False(e.IsContiguous);
        Assert.Equal(12, e.Numel);
        Assert.Equal([1.0, 2, 3, 1, 2, 3, 1, 2, 3, 1, 2, 3], e.ToDoubleArray());
        var e2 = Tensor.Zeros([3, 1]).Expand(-1, 5);
        Assert.Equal(new Shape(3, 5), e2.Shape);
        v.FillInPlace(9);
        Assert.All(e.ToDoubleArray(), x => Assert.Equal(9.0, x));
    }

    [Fact]
    public void Contiguous_copies_a_strided_view_and_returns_a_contiguous_tensor_itself()
    {
        var a = Matrix();
        Assert.Same(a, a.Contiguous());
        var t = a.T;
        var c = t.Contiguous();
        Assert.NotSame(a.Data, c.Data);
        Assert.True(c.IsContiguous);
        Assert.Equal(t.ToDoubleArray(), c.ToDoubleArray());
        c.FillInPlace(-1);
        Assert.Equal([0.0, 1, 2, 3, 4, 5], a.ToDoubleArray());
    }

    [Fact]
    public void Reshape_of_a_non_contiguous_view_copies_in_row_major_order()
    {
        var a = Matrix();
        var r = a.T.Reshape(6);
        Assert.NotSame(a.Data, r.Data);
        Assert.Equal([0.0, 3, 1, 4, 2, 5], r.ToDoubleArray());
        Assert.Equal([0.0, 3, 1, 4, 2, 5], a.T.Flatten().ToDoubleArray());
    }

    [Fact]
    public void Clone_never_shares_and_Detach_always_shares()
    {
        var a = Matrix();
        var c = a.Clone();
        Assert.NotSame(a.Data, c.Data);
        Assert.NotSame(a.Data, a.T.Clone().Data);
        Assert.Equal(a.T.ToDoubleArray(), a.T.Clone().ToDoubleArray());
        var d = a.Detach();
        Assert.Same(a.Data, d.Data);
    }

    [Fact]
    public void Gradients_flow_through_views()
    {
        var x = Tensor.Arange(0, 6, 1, DType.Float64).Reshape(2, 3).Detach().RequireGrad();
        var y = (x.T.Narrow(0, 1, 2) * Tensor.FromArray(new double[,] { { 1, 2 }, { 3, 4 } })).Sum();
        y.Backward();
        // x.T[1:3] = [[x01, x11], [x02, x12]] weighted by [[1, 2], [3, 4]].
        Assert.Equal([0.0, 1, 3, 0, 2, 4], x.Grad!.ToDoubleArray());
        var z = Tensor.FromArray([1.0, 2.0]).RequireGrad();
        z.Expand(3, 2).Sum().Backward();
        Assert.Equal([3.0, 3.0], z.Grad!.ToDoubleArray());
    }
}
