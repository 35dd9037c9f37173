namespace Nabla.Tests.Tensors;

/// <summary>Grad mode scopes, <see cref="Tensor.Detach"/>, and the in-place guard on graph tensors.</summary>
public class GradModeTests
{
    [Fact]
    public void NoGrad_scopes_nest_and_restore()
    {
        Assert.True(GradMode.IsEnabled);
        var x = Tensor.Ones([2]).RequireGrad();
        using (GradMode.NoGrad())
        {
            Assert.False(GradMode.IsEnabled);
            var y = x * 2.0;
            Assert.Null(y.GradFn);
            Assert.False(y.RequiresGrad);
            using (GradMode.Enable(true))
            {
                Assert.True(GradMode.IsEnabled);
                Assert.NotNull((x * 2.0).GradFn);
                using (GradMode.NoGrad())
                {
                    Assert.False(GradMode.IsEnabled);
                }

                Assert.True(GradMode.IsEnabled);
            }

            Assert.False(GradMode.IsEnabled);
        }

        Assert.True(GradMode.IsEnabled);
        Assert.NotNull((x * 2.0).GradFn);
    }

    [Fact]
    public void Disposing_a_scope_twice_does_not_change_the_mode_again()
    {
        var outer = GradMode.NoGrad();
        var inner = GradMode.Enable(true);
        inner.Dispose();
        Assert.False(GradMode.IsEnabled);
        inner.Dispose();
        Assert.False(GradMode.IsEnabled);
        outer.Dispose();
        Assert.True(GradMode.IsEnabled);
        outer.Dispose();
        Assert.True(GradMode.IsEnabled);
    }

    [Fact]
    public void Grad_mode_is_per_thread()
    {
        using (GradMode.NoGrad())
        {
            bool other = false;
            var t = new Thread(() => other = GradMode.IsEnabled);
            t.Start();
            t.Join();
            Assert.True(other);
            Assert.False(GradMode.IsEnabled);
        }
    }

    [Fact]
    public void Detach_cuts_the_graph_and_shares_data()
    {
        var x = Tensor.Scalar(3.0).RequireGrad().Named("x");
        var d = x.Detach();
        Assert.False(d.RequiresGrad);
        Assert.True(d.IsLeaf);
        Assert.Same(x.Data, d.Data);
        Assert.Equal("x", d.Name);

        // y = x · stop_gradient(x): dy/dx = x = 3, not 2x = 6.
        var y = x * x.Detach();
        y.Backward();
        Assert.Equal(3.0, x.Grad!.Item());

        var h = (x * 2.0).Detach();
        Assert.Null(h.GradFn);
        Assert.False(h.RequiresGrad);
        h.RequiresGrad = true; // a detached result is a leaf again
        Assert.True(h.IsLeaf);
    }

    [Fact]
    public void RequiresGrad_rules()
    {
        var x = Tensor.Ones([2]).RequireGrad();
        var y = x * 2.0;
        Assert.True(y.RequiresGrad);
        Assert.False(y.IsLeaf);
        Assert.Throws<InvalidOperationException>(() => y.RequiresGrad = false);
        Assert.Throws<InvalidOperationException>(() => Tensor.Ones([2], DType.Int64).RequireGrad());
        Assert.False((Tensor.Ones([2]) * 2.0).RequiresGrad);
    }

    [Fact]
    public void In_place_ops_refuse_graph_tensors_under_grad_mode()
    {
        var leaf = Tensor.Ones([2]).RequireGrad();
        var result = leaf * 2.0;
        foreach (var t in new[] { leaf, result })
        {
            var e = Assert.Throws<InvalidOperationException>(() => t.AddInPlace(Tensor.Ones([2])));
            Assert.Contains("NoGrad", e.Message);
            Assert.Throws<InvalidOperationException>(() => t.FillInPlace(0));
            Assert.Throws<InvalidOperationException>(() => t.ZeroInPlace());
            Assert.Throws<InvalidOperationException>(() => t.MulInPlace(2));
            Assert.Throws<InvalidOperationException>(() => t.CopyInPlace(Tensor.Zeros([2])));
        }

        Assert.Equal([1.0, 1.0], leaf.ToDoubleArray());

        // Allowed under NoGrad (an optimizer step), and on tensors outside any graph.
        using (GradMode.NoGrad())
        {
            leaf.AddInPlace(Tensor.Ones([2]), alpha: -0.5);
        }

        Assert.Equal([0.5, 0.5], leaf.ToDoubleArray());
        var plain = Tensor.Ones([2]);
        plain.MulInPlace(3);
        Assert.Equal([3.0, 3.0], plain.ToDoubleArray());
    }

    [Fact]
    public void In_place_ops_keep_the_dtype()
    {
        // Integer tensors hold indices and labels: they can be filled and copied into, but arithmetic is float-only.
        var i = Tensor.FromArray([1L, 2L, 3L]);
        i.FillInPlace(4);
        Assert.Equal([4L, 4, 4], i.ToInt64Array());
        Assert.Throws<ArgumentException>(() => i.MulInPlace(2));
        i.CopyInPlace(Tensor.FromArray([1.9f, 2.1f, -3f]));
        Assert.Equal([1L, 2, -3], i.ToInt64Array());

        var d = Tensor.FromArray([1.0, 2.0]);
        d.AddInPlace(Tensor.FromArray([1f, 1f]), alpha: 0.5);
        Assert.Equal(DType.Float64, d.DType);
        Assert.Equal([1.5, 2.5], d.ToDoubleArray());
        var f = Tensor.FromArray([1f, 2f]);
        f.AddInPlace(Tensor.Scalar(1.0));
        Assert.Equal([2.0, 3.0], f.ToDoubleArray());
    }

    [Fact]
    public void Gradients_accumulate_in_place_and_can_be_zeroed()
    {
        var w = Tensor.FromArray([1.0, 2.0]).RequireGrad();
        (w * w).Sum().Backward();
        (w * w).Sum().Backward();
        Assert.Equal([4.0, 8.0], w.Grad!.ToDoubleArray());
        w.Grad!.ZeroInPlace();
        Assert.Equal([0.0, 0.0], w.Grad!.ToDoubleArray());
    }
}
