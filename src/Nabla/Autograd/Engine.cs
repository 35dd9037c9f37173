namespace Nabla;

/// <summary>The reverse-mode autograd engine: walks the graph from outputs to inputs.</summary>
/// <remarks>
/// Nodes are processed in decreasing <see cref="Node.Generation"/> (DeZero), so that all the gradient
/// flowing into a node has been summed (micrograd's <c>+=</c>) before its backward rule runs. Each rule runs
/// with grad mode set to <c>createGraph</c>: when true, the gradients are themselves differentiable.
/// </remarks>
internal static class Engine
{
    /// <summary>
    /// Back-propagates <paramref name="gradOutputs"/> from <paramref name="outputs"/>. Returns the gradient of
    /// every leaf reached (by tensor) and, when <paramref name="capture"/> is given, of those tensors too.
    /// With <paramref name="onLeafReady"/>, each leaf's gradient is handed to it instead, as soon as it is final
    /// (see <see cref="LeafStream"/>), and the returned leaf dictionary is empty.
    /// </summary>
    public static (Dictionary<Tensor, Tensor> Leaves, Dictionary<Tensor, Tensor> Captured) Run(
        IReadOnlyList<Tensor> outputs, IReadOnlyList<Tensor> gradOutputs, bool retainGraph, bool createGraph,
        IReadOnlyCollection<Tensor>? capture = null, Action<Tensor, Tensor>? onLeafReady = null)
    {
        var stream = onLeafReady is null ? null : LeafStream.Build(outputs);
        var leaves = new Dictionary<Tensor, Tensor>(ReferenceEqualityComparer.Instance);
        var captured = new Dictionary<Tensor, Tensor>(ReferenceEqualityComparer.Instance);
        var pending = new Dictionary<Node, Tensor>(ReferenceEqualityComparer.Instance);
        var captureByNode = new Dictionary<Node, Tensor>(ReferenceEqualityComparer.Instance);
        foreach (var t in capture ?? [])
        {
            if (t.GradFn is { } n)
            {
                captureByNode[n] = t;
            }
        }

        var queue = new PriorityQueue<Node, int>();
        using (GradMode.Enable(createGraph))
        {
            for (int i = 0; i < outputs.Count; i++)
            {
                Accumulate(outputs[i], gradOutputs[i], pending, leaves, queue);
            }

            while (queue.TryDequeue(out var node, out _))
            {
                stream?.ReleaseAbove(node.Generation, leaves, onLeafReady!);
                var dy = pending[node];
                pending.Remove(node);
                if (captureByNode.TryGetValue(node, out var t))
                {
                    captured[t] = dy;
                }

                var backward = node.BackwardFn ?? throw new InvalidOperationException(
                    $"Trying to backward through the graph a second time (at {node}): its saved values were freed " +
                    "by the first backward. Pass retainGraph: true to the first Backward call if you need to do this.");
                Tensor?[] grads;
                // The rule's own ops are one backward step: the trace records it as one, and anomaly detection
                // checks its results as a whole below (blaming sqrt's backward, not the division inside it).
                using (Trace.Pause())
                using (Anomaly.Suspend())
                {
                    grads = backward(dy);
                }

                if (Trace.IsActive)
                {
                    Trace.OnBackward(node, dy, grads);
                }

                Anomaly.Active?.CheckBackward(node, dy, grads);
                if (!retainGraph)
                {
                    node.BackwardFn = null;
                }

                for (int i = 0; i < node.Inputs.Length; i++)
                {
                    var input = node.Inputs[i];
                    if (input is null || grads[i] is not { } g)
                    {
                        continue;
                    }

                    if (g.Shape != input.Shape)
                    {
                        throw new InvalidOperationException(
                            $"backward of {node.Name}: gradient shape {g.Shape} does not match input {i}'s shape {input.Shape}");
                    }

                    Accumulate(input, g, pending, leaves, queue);
                }
            }

            stream?.ReleaseAbove(int.MinValue, leaves, onLeafReady!);
        }

        foreach (var t in capture ?? [])
        {
            if (t.GradFn is null && leaves.TryGetValue(t, out var g))
            {
                captured[t] = g;
            }
        }

        return (leaves, captured);
    }

    private static void Accumulate(Tensor t, Tensor g, Dictionary<Node, Tensor> pending,
        Dictionary<Tensor, Tensor> leaves, PriorityQueue<Node, int> queue)
    {
        using var pause = Trace.Pause(); // summing the paths into a gradient is part of the chain-rule step
        if (t.GradFn is { } node)
        {
            if (pending.TryGetValue(node, out var acc))
            {
                pending[node] = acc + g;
            }
            else
            {
                pending[node] = g;
                queue.Enqueue(node, -node.Generation);
            }
        }
        else if (t.RequiresGrad)
        {
            leaves[t] = leaves.TryGetValue(t, out var acc) ? acc + g : g;
        }
    }

    /// <summary>
    /// Finds when a leaf's gradient is final during a backward pass, for post-accumulate-grad hooks (so that, for
    /// example, data-parallel training can start sending a gradient while backward goes on).
    /// </summary>
    /// <remarks>
    /// Nodes run in decreasing generation, and a node is only ever queued by a consumer of higher generation, so
    /// when a node of generation g is dequeued no node above g will run again. A leaf whose every consumer in the
    /// graph has a generation above g has therefore received all of its gradient.
    /// </remarks>
    private sealed class LeafStream
    {
        private readonly List<(Tensor Leaf, int MinGeneration)> order;
        private int next;

        private LeafStream(List<(Tensor, int)> order) => this.order = order;

        /// <summary>Walks the graph once: each leaf with the lowest generation among the nodes that consume it.</summary>
        public static LeafStream Build(IReadOnlyList<Tensor> outputs)
        {
            var minGen = new Dictionary<Tensor, int>(ReferenceEqualityComparer.Instance);
            var seen = new HashSet<Node>(ReferenceEqualityComparer.Instance);
            var stack = new Stack<Node>(outputs.Select(o => o.GradFn).OfType<Node>());
            while (stack.TryPop(out var node))
            {
                if (!seen.Add(node))
                {
                    continue;
                }

                foreach (var t in node.Inputs)
                {
                    if (t?.GradFn is { } n)
                    {
                        stack.Push(n);
                    }
                    else if (t is not null)
                    {
                        minGen[t] = minGen.TryGetValue(t, out var g) ? Math.Min(g, node.Generation) : node.Generation;
                    }
                }
            }

            return new LeafStream(minGen.Select(kv => (kv.Key, kv.Value)).OrderByDescending(l => l.Value).ToList());
        }

        /// <summary>Hands over (and removes) every leaf whose consumers all have a generation above <paramref name="generation"/>.</summary>
        public void ReleaseAbove(int generation, Dictionary<Tensor, Tensor> leaves, Action<Tensor, Tensor> onLeafReady)
        {
            while (next < order.Count && order[next].MinGeneration > generation)
            {
                var leaf = order[next++].Leaf;
                if (leaves.Remove(leaf, out var g))
                {
                    onLeafReady(leaf, g);
                }
            }

            if (generation == int.MinValue)
            {
                foreach (var (leaf, g) in leaves.ToList()) // outputs that are leaves themselves
                {
                    leaves.Remove(leaf);
                    onLeafReady(leaf, g);
                }
            }
        }
    }
}
