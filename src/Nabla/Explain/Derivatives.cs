namespace Nabla.Explain;

/// <summary>Gradients for worked solutions, where a value may well not depend on anything differentiable.</summary>
internal static class Derivatives
{
    /// <summary>
    /// ∂output/∂input for each input, null where the output does not depend on it. Unlike <see cref="Autograd.Grad"/>
    /// (PyTorch's rule: an output without a graph is an error), an output that records no graph (a constant, a loss of
    /// a model without parameters, an equation that reaches its unknowns only through <c>step</c>) has no dependence, so
    /// every entry is null: a zero gradient, which is the truth.
    /// </summary>
    public static IReadOnlyList<Tensor?> Grad(Tensor output, IReadOnlyList<Tensor> inputs, bool retainGraph = false) =>
        output.RequiresGrad ? Autograd.Grad([output], inputs, retainGraph: retainGraph, allowUnused: true) : new Tensor?[inputs.Count];
}
