namespace Nabla.NN;

public static partial class F
{
    /// <summary>
    /// Cosine similarity along <paramref name="dim"/>: Σ x₁x₂ / (max(‖x₁‖, ε)·max(‖x₂‖, ε)) after broadcasting
    /// x₁ and x₂ (torch.nn.functional.cosine_similarity, ε = 10⁻⁸). As PyTorch, each vector is divided by its
    /// clamped norm before the dot product, and the clamp only changes values: the gradient is that of ‖x‖ (0 at
    /// x = 0).
    /// </summary>
    public static Tensor CosineSimilarity(Tensor x1, Tensor x2, int dim = 1, double eps = 1e-8)
    {
        x1.RequireFloat("cosine_similarity");
        var shape = Shape.Broadcast(x1.Shape, x2.Shape, "cosine_similarity");
        var a = x1.Shape == shape ? x1 : x1.Expand(shape);
        var b = x2.Shape == shape ? x2 : x2.Expand(shape);
        int d = shape.NormalizeDim(dim);
        return ((a / ClampedNorm(a, d, eps)) * (b / ClampedNorm(b, d, eps))).Sum(d);
    }

    /// <summary>
    /// The p-norm distance of each pair of rows, ‖x₁ − x₂ + ε‖_p over the last dimension (of the broadcast
    /// inputs), as torch.nn.functional.pairwise_distance (p = 2, ε = 10⁻⁶). p is any finite positive number; the
    /// gradient at a zero difference is 0, as PyTorch's norm.
    /// </summary>
    public static Tensor PairwiseDistance(Tensor x1, Tensor x2, double p = 2.0, double eps = 1e-6, bool keepDim = false)
    {
        if (!(p > 0) || double.IsInfinity(p))
        {
            throw new ArgumentException($"pairwise_distance: p must be finite and positive (norms 0 and ∞ are not supported), got {p}", nameof(p));
        }

        int rank = Math.Max(x1.Rank, x2.Rank);
        if (rank == 0)
        {
            throw new ArgumentException("pairwise_distance: expected inputs of at least one dimension, got two scalars");
        }

        return VectorNorm(x1 - x2 + eps, p, rank - 1, keepDim);
    }

    /// <summary>
    /// (Σ|x|^p)^(1/p) along <paramref name="dim"/>, with PyTorch's norm gradient: 0 where the norm is 0 and, for
    /// p &lt; 2, 0 at zero elements (where |x|^p has an infinite or undefined slope).
    /// </summary>
    internal static Tensor VectorNorm(Tensor x, double p, int dim, bool keepDim)
    {
        Tensor s;
        if (p == 2)
        {
            s = x.Square().Sum(dim, keepDim);
        }
        else if (p == 1)
        {
            return x.Abs().Sum(dim, keepDim);
        }
        else
        {
            var a = x.Abs();
            var nonzero = a.Detach().Gt(0.0);
            s = Tensor.Where(nonzero, Tensor.Where(nonzero, a, Tensor.OnesLike(a)).Pow(p), Tensor.ZerosLike(a)).Sum(dim, keepDim);
        }

        // The root at s = 0 has an infinite slope: feed it 1 there and mask its result (PyTorch's masked_fill).
        var positive = s.Detach().Gt(0.0);
        var safe = Tensor.Where(positive, s, Tensor.OnesLike(s));
        return Tensor.Where(positive, p == 2 ? safe.Sqrt() : safe.Pow(1 / p), Tensor.ZerosLike(s));
    }

    // ‖x‖₂ along dim (kept), with values max(‖x‖, ε) but the gradient of ‖x‖: PyTorch clamps in place under no_grad.
    private static Tensor ClampedNorm(Tensor x, int dim, double eps)
    {
        var n = VectorNorm(x, 2, dim, keepDim: true);
        var raw = n.Detach();
        return n + (raw.Clamp(min: eps) - raw);
    }
}
