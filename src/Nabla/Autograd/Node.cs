namespace Nabla;

/// <summary>
/// One recorded operation in the autograd graph (PyTorch's <c>grad_fn</c>): the op's name, the inputs that
/// need gradients, and the backward rule that maps the output's gradient to the inputs' gradients.
/// </summary>
/// <remarks>
/// Backward rules are written in tensor operations, so running them with grad mode enabled
/// (<c>createGraph: true</c>) records the graph of the gradient itself: higher-order derivatives come free.
/// <see cref="Generation"/> is one more than the largest generation of its inputs' nodes; the engine
/// processes nodes in decreasing generation, so every gradient into a node is summed before it runs.
/// </remarks>
public sealed class Node
{
    internal Node(string name, Tensor?[] inputs, Func<Tensor, Tensor?[]> backward)
    {
        Name = name;
        Inputs = inputs;
        BackwardFn = backward;
        int g = 0;
        foreach (var t in inputs)
        {
            if (t?.GradFn is { } n)
            {
                g = Math.Max(g, n.Generation);
            }
        }

        Generation = g + 1;
    }

    /// <summary>The op's name (<c>mul</c>, <c>matmul</c>, ...).</summary>
    public string Name { get; }

    /// <summary>The chain-rule factor of the op, as shown in explanations.</summary>
    public string GradFormula { get; internal init; } = string.Empty;

    /// <summary>Topological depth: 1 + the largest generation among the inputs' nodes.</summary>
    public int Generation { get; }

    /// <summary>Where the op ran forward (recorded only under <see cref="Autograd.DetectAnomaly"/>, for its messages).</summary>
    internal OpSite? Site { get; init; }

    /// <summary>The inputs, aligned with the backward rule's results; null where no gradient is needed.</summary>
    internal Tensor?[] Inputs { get; }

    /// <summary>The backward rule; null once the graph has been freed by a backward pass without retainGraph.</summary>
    internal Func<Tensor, Tensor?[]>? BackwardFn { get; set; }

    /// <summary>The nodes of the inputs (null for leaves and constants), like PyTorch's <c>next_functions</c>.</summary>
    public IReadOnlyList<Node?> NextFunctions => Array.ConvertAll(Inputs, t => t?.GradFn);

    /// <inheritdoc/>
    public override string ToString() => $"<{char.ToUpperInvariant(Name[0])}{Name[1..]}Backward>";
}
