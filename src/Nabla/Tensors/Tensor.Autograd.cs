namespace Nabla;

public sealed partial class Tensor
{
    private static int hookedTensors;
    private List<Action<Tensor>>? postAccumulateGradHooks;

    /// <summary>
    /// Computes the gradient of this tensor with respect to every leaf that requires one, and adds it to the
    /// leaves' <see cref="Grad"/> (gradients accumulate across calls, as in PyTorch).
    /// </summary>
    /// <param name="gradient">dL/d(this); may be omitted for a one-element tensor (then 1).</param>
    /// <param name="retainGraph">Keep the graph so that backward can run through it again.</param>
    /// <param name="createGraph">Record the backward pass itself, so that the gradients can be differentiated.</param>
    /// <remarks>
    /// When any tensor has a hook from <see cref="RegisterPostAccumulateGradHook"/>, each leaf's gradient is added
    /// as soon as it is final, during the pass, and its hooks run then; callbacks queued with
    /// <see cref="Autograd.QueueCallback"/> run at the end.
    /// </remarks>
    /// <exception cref="InvalidOperationException">
    /// The tensor is not scalar and no gradient is given, or the graph was already freed by an earlier backward.
    /// </exception>
    public void Backward(Tensor? gradient = null, bool retainGraph = false, bool createGraph = false)
    {
        var seeds = Autograd.Seeds([this], [gradient]);
        using var callbacks = Autograd.BeginCallbacks();
        if (Volatile.Read(ref hookedTensors) > 0)
        {
            Engine.Run([this], seeds, retainGraph || createGraph, createGraph, onLeafReady: (leaf, g) =>
            {
                leaf.AccumulateGrad(g, createGraph);
                leaf.RunPostAccumulateGradHooks();
            });
        }
        else
        {
            var (leaves, _) = Engine.Run([this], seeds, retainGraph || createGraph, createGraph);
            foreach (var (leaf, g) in leaves)
            {
                leaf.AccumulateGrad(g, createGraph);
            }
        }

        callbacks.Run();
    }

    /// <summary>
    /// Registers <paramref name="hook"/> to run, with this leaf, each time a backward pass has added its gradient to
    /// <see cref="Grad"/> (PyTorch's <c>register_post_accumulate_grad_hook</c>). Dispose the result to remove it.
    /// </summary>
    /// <remarks>
    /// The hook runs during the backward pass, as soon as no remaining step can add to this gradient, so work on the
    /// gradient (an optimizer step, or sending it to other processes) can overlap the rest of backward.
    /// </remarks>
    /// <exception cref="InvalidOperationException">The tensor is not a leaf that requires a gradient.</exception>
    public IDisposable RegisterPostAccumulateGradHook(Action<Tensor> hook)
    {
        ArgumentNullException.ThrowIfNull(hook);
        if (!IsLeaf || !RequiresGrad)
        {
            throw new InvalidOperationException("post-accumulate-grad hooks can only be registered on a leaf tensor that requires a gradient");
        }

        lock (this)
        {
            postAccumulateGradHooks ??= [];
            postAccumulateGradHooks.Add(hook);
        }

        Interlocked.Increment(ref hookedTensors);
        return new HookHandle(this, hook);
    }

    private void AccumulateGrad(Tensor g, bool createGraph)
    {
        var add = createGraph ? g : g.Detach();
        if (Grad is null)
        {
            // Own the buffer so that later in-place accumulation never writes into another tensor.
            Grad = createGraph ? add : add.CloneNoGrad();
        }
        else if (createGraph || Grad.RequiresGrad)
        {
            Grad = Grad + add;
        }
        else
        {
            Grad.AddInPlace(add);
        }
    }

    private void RunPostAccumulateGradHooks()
    {
        Action<Tensor>[] hooks;
        lock (this)
        {
            if (postAccumulateGradHooks is null)
            {
                return;
            }

            hooks = [.. postAccumulateGradHooks];
        }

        foreach (var h in hooks)
        {
            h(this);
        }
    }

    private sealed class HookHandle(Tensor tensor, Action<Tensor> hook) : IDisposable
    {
        private bool removed;

        public void Dispose()
        {
            lock (tensor)
            {
                if (removed || tensor.postAccumulateGradHooks?.Remove(hook) != true)
                {
                    return;
                }

                removed = true;
            }

            Interlocked.Decrement(ref hookedTensors);
        }
    }
}
