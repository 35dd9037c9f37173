namespace Nabla.NN;

/// <summary>
/// Cosine similarity of two inputs along <c>dim</c> (PyTorch's <c>nn.CosineSimilarity</c>; see
/// <see cref="F.CosineSimilarity"/>). It takes two inputs, so it is called as <c>Forward(x1, x2)</c> and is not a
/// layer of a model file.
/// </summary>
public sealed class CosineSimilarity(int dim = 1, double eps = 1e-8) : Module
{
    /// <summary>The dimension along which the vectors lie.</summary>
    public int Dim { get; } = dim;

    /// <summary>The lower bound of each norm.</summary>
    public double Eps { get; } = eps;

    /// <summary>The cosine similarity of <paramref name="input1"/> and <paramref name="input2"/>.</summary>
    public Tensor Forward(Tensor input1, Tensor input2) => F.CosineSimilarity(input1, input2, Dim, Eps);

    /// <summary>CosineSimilarity needs two inputs: use <see cref="Forward(Tensor, Tensor)"/>.</summary>
    public override Tensor Forward(Tensor input) =>
        throw new InvalidOperationException("CosineSimilarity takes two inputs: call Forward(input1, input2)");

    /// <inheritdoc/>
    public override Shape OutputShape(Shape input) =>
        throw new InvalidOperationException("CosineSimilarity takes two inputs; its output drops dimension dim of their broadcast shape");

    /// <inheritdoc/>
    public override string ExtraRepr() => $"dim={Dim}, eps={Eps}";
}
