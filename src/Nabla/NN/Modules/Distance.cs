namespace Nabla.NN;

// Two-input similarity and distance modules (torch.nn.CosineSimilarity, torch.nn.PairwiseDistance): call
// Forward(x1, x2); they hold no parameters.

/// <summary>Cosine similarity of x₁ and x₂ along a dimension (<see cref="F.CosineSimilarity"/>, dim 1, ε = 10⁻⁸).</summary>
public sealed class CosineSimilarity(int dim = 1, double eps = 1e-8) : Module
{
    /// <summary>The dimension reduced.</summary>
    public int Dim { get; } = dim;

    /// <summary>The lower bound of each norm.</summary>
    public double Eps { get; } = eps;

    /// <summary>The similarity of <paramref name="x1"/> and <paramref name="x2"/> (broadcast).</summary>
    public Tensor Forward(Tensor x1, Tensor x2) => F.CosineSimilarity(x1, x2, Dim, Eps);

    /// <summary>Refused: the module compares two tensors.</summary>
    public override Tensor Forward(Tensor input) =>
        throw new InvalidOperationException("CosineSimilarity compares two tensors: call Forward(x1, x2)");

    /// <inheritdoc/>
    public override string ExtraRepr() => $"dim={Dim}, eps={Eps}";
}

/// <summary>‖x₁ − x₂ + ε‖_p over the last dimension (<see cref="F.PairwiseDistance"/>, p = 2, ε = 10⁻⁶).</summary>
public sealed class PairwiseDistance(double p = 2.0, double eps = 1e-6, bool keepDim = false) : Module
{
    /// <summary>The norm degree.</summary>
    public double P { get; } = p;

    /// <summary>The value added to the difference.</summary>
    public double Eps { get; } = eps;

    /// <summary>Whether the reduced dimension is kept with size 1.</summary>
    public bool KeepDim { get; } = keepDim;

    /// <summary>The distance of each row of <paramref name="x1"/> to that of <paramref name="x2"/>.</summary>
    public Tensor Forward(Tensor x1, Tensor x2) => F.PairwiseDistance(x1, x2, P, Eps, KeepDim);

    /// <summary>Refused: the module compares two tensors.</summary>
    public override Tensor Forward(Tensor input) =>
        throw new InvalidOperationException("PairwiseDistance compares two tensors: call Forward(x1, x2)");

    /// <inheritdoc/>
    public override string ExtraRepr() => $"p={P}, eps={Eps}, keepDim={KeepDim}";
}
