namespace Nabla.NN;

// Ranking, embedding and margin losses (torch.nn.functional's names and defaults). Hinges are max(0, z) with
// PyTorch's clamp_min gradient: 1 where z ≥ 0, so a point exactly on the hinge passes its gradient.
public static partial class F
{
    /// <summary>
    /// ℓ = max(0, −y·(x₁ − x₂) + margin) for y = 1 (x₁ should rank higher) or −1, element-wise
    /// (torch.nn.functional.margin_ranking_loss). The three tensors have one rank and broadcast.
    /// </summary>
    public static Tensor MarginRankingLoss(Tensor input1, Tensor input2, Tensor target, double margin = 0, Reduction reduction = Reduction.Mean)
    {
        if (input1.Rank != input2.Rank || input1.Rank != target.Rank)
        {
            throw new ArgumentException($"margin_ranking_loss: all inputs must have one rank, got {input1.Shape}, {input2.Shape} and target {target.Shape}");
        }

        return Reduce(Hinge((-target * (input1 - input2)) + margin), reduction);
    }

    /// <summary>
    /// ℓ = x where y = 1 and max(0, margin − x) where y = −1 (torch.nn.functional.hinge_embedding_loss, margin 1);
    /// as PyTorch, a target that is neither gets both terms.
    /// </summary>
    public static Tensor HingeEmbeddingLoss(Tensor input, Tensor target, double margin = 1.0, Reduction reduction = Reduction.Mean)
    {
        var zeros = Tensor.ZerosLike(input);
        var marginTerm = Tensor.Where(target.Ne(1.0), Hinge(margin - input), zeros);
        var selfTerm = Tensor.Where(target.Ne(-1.0), input, zeros);
        return Reduce(marginTerm + selfTerm, reduction);
    }

    /// <summary>
    /// ℓ = 1 − cos(x₁, x₂) where y = 1 and max(0, cos(x₁, x₂) − margin) where y = −1, with
    /// cos = Σx₁x₂ / √((Σx₁² + 10⁻¹²)(Σx₂² + 10⁻¹²)) over the last dimension of inputs (N, D) or (D) and a target
    /// (N) or () (torch.nn.functional.cosine_embedding_loss).
    /// </summary>
    public static Tensor CosineEmbeddingLoss(Tensor input1, Tensor input2, Tensor target, double margin = 0, Reduction reduction = Reduction.Mean)
    {
        if (input1.Rank != input2.Rank || input1.Rank is < 1 or > 2 || target.Rank != input1.Rank - 1)
        {
            throw new ArgumentException($"cosine_embedding_loss: expected inputs (N, D) with target (N), or (D) with a scalar target, got {input1.Shape}, {input2.Shape} and target {target.Shape}");
        }

        const double epsilon = 1e-12;
        int d = input1.Rank - 1;
        var cos = (input1 * input2).Sum(d) / (((input1 * input1).Sum(d) + epsilon) * ((input2 * input2).Sum(d) + epsilon)).Sqrt();
        var zeros = Tensor.ZerosLike(cos);
        var loss = Tensor.Where(target.Eq(1.0), 1.0 - cos, zeros) + Tensor.Where(target.Eq(-1.0), Hinge(cos - margin), zeros);
        return Reduce(loss, reduction);
    }

    /// <summary>
    /// ℓ = max(0, margin + d(a, p) − d(a, n)) with d the pairwise p-norm distance (<see cref="PairwiseDistance"/>,
    /// ε = 10⁻⁶); with <paramref name="swap"/>, d(a, n) becomes min(d(a, n), d(p, n)) (the distance swap of Balntas
    /// et al.). torch.nn.functional.triplet_margin_loss; inputs (N, D) or (D) of one rank.
    /// </summary>
    public static Tensor TripletMarginLoss(Tensor anchor, Tensor positive, Tensor negative, double margin = 1.0, double p = 2,
        double eps = 1e-6, bool swap = false, Reduction reduction = Reduction.Mean)
    {
        if (anchor.Rank != positive.Rank || anchor.Rank != negative.Rank)
        {
            throw new ArgumentException($"triplet_margin_loss: anchor, positive and negative must have one rank, got {anchor.Shape}, {positive.Shape} and {negative.Shape}");
        }

        var dPos = PairwiseDistance(anchor, positive, p, eps);
        var dNeg = PairwiseDistance(anchor, negative, p, eps);
        if (swap)
        {
            dNeg = dNeg.Minimum(PairwiseDistance(positive, negative, p, eps));
        }

        return Reduce(Hinge(margin + dPos - dNeg), reduction);
    }

    /// <summary>
    /// ℓₙ = −(1/C)·Σ_c w_c·[y_nc·log σ(x_nc) + (1 − y_nc)·log σ(−x_nc)] over the last dimension C
    /// (torch.nn.functional.multilabel_soft_margin_loss); log σ is computed stably as −softplus(−x).
    /// </summary>
    public static Tensor MultilabelSoftMarginLoss(Tensor input, Tensor target, Tensor? weight = null, Reduction reduction = Reduction.Mean)
    {
        SameShape("multilabel_soft_margin_loss", input, target);
        if (input.Rank == 0)
        {
            throw new ArgumentException("multilabel_soft_margin_loss: expected input (N, C) or (C), got a scalar");
        }

        var loss = (target * Softplus(-input)) + ((1.0 - target) * Softplus(input));
        if (weight is not null)
        {
            loss = loss * weight;
        }

        int classDim = input.Rank - 1;
        return Reduce(loss.Sum(classDim) / input.Shape[classDim], reduction);
    }

    /// <summary>
    /// The multi-class hinge: ℓₙ = (1/C)·Σ_{i ≠ yₙ} w[yₙ]·max(0, margin − x[n, yₙ] + x[n, i])^p for p = 1 or 2,
    /// input (N, C) or (C) and Int64 targets (N) or () (torch.nn.functional.multi_margin_loss). The mean divides by N.
    /// </summary>
    public static Tensor MultiMarginLoss(Tensor input, Tensor target, int p = 1, double margin = 1.0, Tensor? weight = null, Reduction reduction = Reduction.Mean)
    {
        if (p is not (1 or 2))
        {
            throw new ArgumentException($"multi_margin_loss: only p = 1 and p = 2 are supported, got {p}", nameof(p));
        }

        if (input.Rank is < 1 or > 2 || input.Numel == 0)
        {
            throw new ArgumentException($"multi_margin_loss: expected a non-empty input (N, C) or (C), got {input.Shape}");
        }

        int frames = input.Rank == 1 ? 1 : input.Shape[0], c = input.Shape[-1];
        if (target.DType != DType.Int64 || target.Rank > 1 || target.Numel != frames)
        {
            throw new ArgumentException($"multi_margin_loss: expected Int64 targets of {frames} element(s), (N) or (), for input {input.Shape}, got {target.DType} {target.Shape}");
        }

        CheckTargets(target, c);
        if (weight is not null && (weight.Rank != 1 || weight.Shape[0] != c))
        {
            throw new ArgumentException($"multi_margin_loss: weight must have shape ({c}), got {weight.Shape}", nameof(weight));
        }

        var x = input.Reshape(frames, c);
        var t = target.Reshape(frames, 1);
        var z = (margin - x.Gather(1, t)) + x;

        // PyTorch's kernel counts a term only where z > 0 (strictly), and never the target's own class.
        var active = z.Detach().Gt(0.0).LogicalAnd(Tensor.Arange(c).Reshape(1, c).Ne(t));
        var h = Tensor.Where(active, p == 2 ? z.Square() : z, Tensor.ZerosLike(z));
        if (weight is not null)
        {
            h = h * weight.IndexSelect(0, target.Reshape(-1)).Reshape(frames, 1);
        }

        return Reduce((h.Sum(1) / c).Reshape(target.Shape), reduction);
    }

    /// <summary>ℓ = log(1 + exp(−y·x)) for y = ±1 (torch.nn.functional.soft_margin_loss), computed as softplus(−y·x).</summary>
    public static Tensor SoftMarginLoss(Tensor input, Tensor target, Reduction reduction = Reduction.Mean) =>
        Reduce(Softplus(-(target * input)), reduction);

    // max(0, z) with clamp_min's gradient: 1 where z ≥ 0.
    private static Tensor Hinge(Tensor z) => Tensor.Where(z.Detach().Ge(0.0), z, Tensor.ZerosLike(z));
}
