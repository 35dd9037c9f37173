namespace Nabla.NN;

public static partial class F
{
    /// <summary>
    /// Cosine similarity along <paramref name="dim"/>: Σ (x1/max(‖x1‖, ε))·(x2/max(‖x2‖, ε)), inputs broadcast
    /// together. As PyTorch, each norm is clamped below at ε for its value only: the gradient treats it as the
    /// plain norm (the clamp is applied without recording), and a zero vector's norm has gradient 0.
    /// </summary>
    /// <exception cref="ArgumentException">The inputs do not broadcast, or <paramref name="dim"/> is out of range.</exception>
    public static Tensor CosineSimilarity(Tensor x1, Tensor x2, int dim = 1, double eps = 1e-8)
    {
        var shape = Shape.Broadcast(x1.Shape, x2.Shape, "cosine_similarity");
        int rank = shape.Rank;
        if (dim < -rank || dim >= rank)
        {
            throw new ArgumentException($"cosine_similarity: dim {dim} is out of range for inputs broadcast to {shape}", nameof(dim));
        }

        int d = dim < 0 ? dim + rank : dim;
        var a = x1.Rank < rank ? x1.Reshape(new Shape([.. Enumerable.Repeat(1, rank - x1.Rank), .. x1.Shape.ToArray()])) : x1;
        var b = x2.Rank < rank ? x2.Reshape(new Shape([.. Enumerable.Repeat(1, rank - x2.Rank), .. x2.Shape.ToArray()])) : x2;
        return ((a / ClampedNorm(a, d, eps)) * (b / ClampedNorm(b, d, eps))).Sum(d);
    }

    // ‖x‖ along dim (kept), raised to eps in value only; √ of a zero sum gets gradient 0 instead of 0/0.
    private static Tensor ClampedNorm(Tensor x, int dim, double eps)
    {
        var sq = (x * x).Sum(dim, keepDim: true);
        var positive = sq.Detach().Gt(0.0);
        var norm = Tensor.Where(positive, Tensor.Where(positive, sq, Tensor.Scalar(1.0, sq.DType)).Sqrt(), Tensor.Scalar(0.0, sq.DType));
        var nd = norm.Detach();
        return norm + (nd.Clamp(min: eps) - nd);
    }
}
