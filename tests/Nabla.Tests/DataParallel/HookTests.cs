namespace Nabla.Tests.DataParallel;

/// <summary>
/// Post-accumulate-grad hooks (the engine support that data-parallel training uses to overlap communication with
/// backward): a hook sees a leaf's complete gradient, runs during the pass as soon as that gradient is final, and
/// queued callbacks run after the pass.
/// </summary>
public class HookTests
{
    [Fact]
    public void Hook_sees_the_whole_gradient_of_a_leaf_used_at_several_depths()
    {
        // L = Σ (w·x)·w + w = Σ w²x + w, so dL/dw = 2wx + 1 = [7, 13] for w = [1.5, 3], x = [2, 2].
        var w = Tensor.FromArray(new[] { 1.5, 3.0 }).RequireGrad();
        var x = Tensor.FromArray(new[] { 2.0, 2.0 });
        double[]? seen = null;
        using var hook = w.RegisterPostAccumulateGradHook(t => seen = t.Grad!.ToDoubleArray());
        (((w * x) * w) + w).Sum().Backward();
        Assert.Equal([7.0, 13.0], seen!);
    }

    [Fact]
    public void Hook_runs_during_backward_before_earlier_layers_have_gradients()
    {
        // y = w2 · tanh(w1 · x): backward reaches w2 first; its hook runs while w1 has no gradient yet.
        var w1 = Tensor.FromArray(new[] { 0.5 }).RequireGrad();
        var w2 = Tensor.FromArray(new[] { 2.0 }).RequireGrad();
        var x = Tensor.FromArray(new[] { 1.0 });
        var order = new List<string>();
        bool w1HadGradInW2Hook = true;
        using var h1 = w1.RegisterPostAccumulateGradHook(_ => order.Add("w1"));
        using var h2 = w2.RegisterPostAccumulateGradHook(_ =>
        {
            order.Add("w2");
            w1HadGradInW2Hook = w1.Grad is not null;
            Autograd.QueueCallback(() => order.Add("end"));
        });
        (w2 * (w1 * x).Tanh()).Sum().Backward();
        Assert.Equal(["w2", "w1", "end"], order);
        Assert.False(w1HadGradInW2Hook);
        Assert.Equal(2.0 * (1 - Math.Pow(Math.Tanh(0.5), 2)), w1.Grad!.Item(), 1e-15); // w2·(1 − tanh²(w1x))·x
    }

    [Fact]
    public void Gradients_accumulate_and_disposed_hooks_stop()
    {
        var w = Tensor.FromArray(new[] { 1.0, 2.0 }).RequireGrad();
        int calls = 0;
        var hook = w.RegisterPostAccumulateGradHook(_ => calls++);
        (w * 3).Sum().Backward();
        (w * 3).Sum().Backward();
        hook.Dispose();
        (w * 3).Sum().Backward();
        Assert.Equal(2, calls);
        Assert.Equal([9.0, 9.0], w.Grad!.ToDoubleArray());
    }

    [Fact]
    public void Hooks_only_on_leaves_that_require_grad_and_callbacks_only_during_backward()
    {
        Assert.Throws<InvalidOperationException>(() => Tensor.Ones(new Shape(2)).RegisterPostAccumulateGradHook(_ => { }));
        var w = Tensor.Ones(new Shape(2)).RequireGrad();
        Assert.Throws<InvalidOperationException>(() => (w * 2).RegisterPostAccumulateGradHook(_ => { }));
        Assert.Throws<InvalidOperationException>(() => Autograd.QueueCallback(() => { }));
    }
}
