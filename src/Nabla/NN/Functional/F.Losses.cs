namespace Nabla.NN;

public static partial class F
{
    /// <summary>Mean squared error: ℓ = (x − y)², reduced.</summary>
    public static Tensor MseLoss(Tensor input, Tensor target, Reduction reduction = Reduction.Mean) =>
        Reduce((input - SameShape("mse_loss", input, target)).Square(), reduction);

    /// <summary>Mean absolute error: ℓ = |x − y|, reduced.</summary>
    public static Tensor L1Loss(Tensor input, Tensor target, Reduction reduction = Reduction.Mean) =>
        Reduce((input - SameShape("l1_loss", input, target)).Abs(), reduction);

    /// <summary>ℓ = 0.5·d²/β if |d| &lt; β else |d| − 0.5·β, with d = x − y (β = 1 by default).</summary>
    public static Tensor SmoothL1Loss(Tensor input, Tensor target, Reduction reduction = Reduction.Mean, double beta = 1.0)
    {
        var d = input - SameShape("smooth_l1_loss", input, target);
        if (beta == 0)
        {
            // |d|, with PyTorch's subgradient at d = 0: its kernel takes the linear branch there (|d| < β fails)
            // with slope −1, unlike L1Loss's sign(0) = 0.
            return Reduce(Tensor.Where(d.Detach().Gt(0.0), d, -d), reduction);
        }

        var ad = d.Abs();
        return Reduce(Tensor.Where(ad.Detach().Lt(beta), d.Square() * (0.5 / beta), ad - (0.5 * beta)), reduction);
    }

    /// <summary>ℓ = 0.5·d² if |d| ≤ δ else δ·(|d| − 0.5·δ), with d = x − y (δ = 1 by default).</summary>
    public static Tensor HuberLoss(Tensor input, Tensor target, Reduction reduction = Reduction.Mean, double delta = 1.0)
    {
        var d = input - SameShape("huber_loss", input, target);
        var ad = d.Abs();
        return Reduce(Tensor.Where(ad.Detach().Le(delta), d.Square() * 0.5, (ad - (0.5 * delta)) * delta), reduction);
    }

    /// <summary>
    /// Binary cross-entropy on probabilities: ℓ = −w·[y·log p + (1 − y)·log(1 − p)], each log clamped at −100
    /// as PyTorch does so that p = 0 or 1 gives a finite loss. The gradient is PyTorch's,
    /// w·(p − y)/max(p·(1 − p), 10⁻¹²): the exact derivative wherever p·(1 − p) ≥ 10⁻¹², and finite
    /// (not NaN) at p = 0 and p = 1.
    /// </summary>
    public static Tensor BinaryCrossEntropy(Tensor input, Tensor target, Tensor? weight = null, Reduction reduction = Reduction.Mean)
    {
        SameShape("binary_cross_entropy", input, target);
        const double eps = 1e-12;
        var p = input.Detach();
        var interior = (p * (1.0 - p)).Ge(eps);

        // Interior: the exact formula (no clamp is active there, log p ≥ log 10⁻¹² > −100), differentiable to any
        // order; its input is 0.5 at edge elements so that the unused branch has no infinite gradient (0·∞ = NaN).
        var safe = Tensor.Where(interior, input, Tensor.FullLike(input, 0.5));
        var exact = -((target * safe.Log()) + ((1.0 - target) * (1.0 - safe).Log()));

        // Edge (p within 10⁻¹² of 0 or 1): the clamped value, plus a zero-valued term whose derivative is (p − y)/10⁻¹².
        var clamped = -((target * p.Log().Clamp(min: -100)) + ((1.0 - target) * (1.0 - p).Log().Clamp(min: -100)));
        var slope = ((input.Square() * 0.5) - (input * target) - ((p.Square() * 0.5) - (p * target))) * (1 / eps);
        var loss = Tensor.Where(interior, exact, clamped + slope);
        return Reduce(weight is null ? loss : loss * weight, reduction);
    }

    /// <summary>
    /// Binary cross-entropy on logits, computed stably:
    /// ℓ = (1 − y)·x + (1 + (pw − 1)·y)·(log(1 + e^−|x|) + max(−x, 0)), times the weight.
    /// </summary>
    public static Tensor BinaryCrossEntropyWithLogits(Tensor input, Tensor target, Tensor? weight = null,
        Reduction reduction = Reduction.Mean, Tensor? posWeight = null)
    {
        SameShape("binary_cross_entropy_with_logits", input, target);

        // softplus(−x) with the slope −½ at x = 0 (log(1 + e^−|x|) + max(−x, 0) has kinks there that gave −1).
        var softplusNeg = Softplus(-input);
        var logWeight = posWeight is null ? null : 1.0 + ((posWeight - 1.0) * target);
        var loss = ((1.0 - target) * input) + (logWeight is null ? softplusNeg : logWeight * softplusNeg);
        return Reduce(weight is null ? loss : loss * weight, reduction);
    }

    /// <summary>
    /// Negative log-likelihood of class indices: ℓₙ = −w[yₙ]·input[n, yₙ] for input (N, C) or (N, C, d…) of
    /// log-probabilities and Int64 targets (N) or (N, d…). Targets equal to <paramref name="ignoreIndex"/>
    /// contribute nothing; the mean divides by the sum of the weights of the targets used.
    /// </summary>
    public static Tensor NllLoss(Tensor input, Tensor target, Tensor? weight = null, int ignoreIndex = -100, Reduction reduction = Reduction.Mean)
    {
        var (logp, t) = ClassesLast(input, target, "nll_loss");
        int c = logp.Shape[1];
        var ignored = t.Eq(ignoreIndex);
        var safe = Tensor.Where(ignored, Tensor.Zeros(t.Shape, DType.Int64).To(DType.Float64), t.To(DType.Float64)).To(DType.Int64);
        CheckTargets(safe, c);
        var picked = -logp.Gather(1, safe.Unsqueeze(1)).Squeeze(1);
        var w = (weight ?? Tensor.Ones(new Shape(c), input.DType)).IndexSelect(0, safe) * ignored.LogicalNot().To(input.DType);
        var loss = picked * w;
        return reduction switch
        {
            Reduction.None => loss.Reshape(target.Shape),
            Reduction.Sum => loss.Sum(),
            _ => loss.Sum() / w.Sum(),
        };
    }

    /// <summary>
    /// Cross-entropy of logits (N, C) or (N, C, d…) against class indices or class probabilities:
    /// log-softmax over dim 1, then the negative log-likelihood. <paramref name="labelSmoothing"/> ε mixes
    /// the target with the uniform distribution: (1 − ε)·nll + ε·(−Σ_c w_c·log p_c)/C.
    /// </summary>
    public static Tensor CrossEntropy(Tensor input, Tensor target, Tensor? weight = null, int ignoreIndex = -100,
        Reduction reduction = Reduction.Mean, double labelSmoothing = 0)
    {
        if (input.Rank < 2)
        {
            throw new ArgumentException($"cross_entropy: expected input (N, C) or (N, C, d...), got {input.Shape}");
        }

        using var group = Trace.Group("cross_entropy");

        var logp = input.LogSoftmax(1);
        int c = input.Shape[1];
        if (target.DType.IsFloatingPoint())
        {
            // Class probabilities: ℓₙ = −Σ_c w_c·y_nc·log p_nc; the mean divides by N.
            SameShape("cross_entropy", input, target);
            var y = labelSmoothing > 0 ? (target * (1 - labelSmoothing)) + (labelSmoothing / c) : target;
            var terms = logp * y;
            if (weight is not null)
            {
                terms = terms * ClassView(weight, input.Rank);
            }

            var perSample = -terms.Sum(1);
            return reduction switch
            {
                Reduction.None => perSample,
                Reduction.Sum => perSample.Sum(),
                _ => perSample.Sum() / input.Shape[0],
            };
        }

        var nll = NllLoss(logp, target, weight, ignoreIndex, reduction);
        if (labelSmoothing <= 0)
        {
            return nll;
        }

        var keep = target.Ne(ignoreIndex).To(input.DType);
        var smooth = -(weight is null ? logp : logp * ClassView(weight, input.Rank)).Sum(1) * keep;
        Tensor smoothReduced = reduction switch
        {
            Reduction.None => smooth,
            Reduction.Sum => smooth.Sum(),
            _ => weight is null
                ? smooth.Sum() / keep.Sum()
                : smooth.Sum() / (weight.IndexSelect(0, Tensor.Where(target.Ne(ignoreIndex), target.To(DType.Float64), Tensor.Scalar(0)).To(DType.Int64).Reshape(-1)) * keep.Reshape(-1)).Sum(),
        };
        return (nll * (1 - labelSmoothing)) + (smoothReduced * (labelSmoothing / c));
    }

    /// <summary>
    /// Kullback-Leibler divergence with input = log q: ℓ = y·(log y − input) (0 where y = 0), or with
    /// <paramref name="logTarget"/>, ℓ = e^y·(y − input). Use <see cref="Reduction.BatchMean"/> for the true KL.
    /// </summary>
    public static Tensor KlDiv(Tensor input, Tensor target, Reduction reduction = Reduction.Mean, bool logTarget = false)
    {
        SameShape("kl_div", input, target);
        Tensor loss;
        if (logTarget)
        {
            loss = target.Exp() * (target - input);
        }
        else
        {
            var positive = target.Detach().Gt(0.0);
            var safeT = Tensor.Where(positive, target, Tensor.OnesLike(target));
            loss = Tensor.Where(positive, target * (safeT.Log() - input), Tensor.ZerosLike(input) * input);
        }

        return reduction == Reduction.BatchMean ? loss.Sum() / input.Shape[0] : Reduce(loss, reduction);
    }

    /// <summary>
    /// An L2 penalty on chosen parameters, λ/2·Σ‖θ‖², to add to a loss: its gradient λθ is what an optimizer's
    /// <c>weightDecay</c> λ adds, but here it applies only to the parameters given (for example, weights but
    /// not biases: <c>model.NamedParameters().Where(p =&gt; p.Name.EndsWith("weight")).Select(p =&gt; p.Parameter)</c>).
    /// </summary>
    public static Tensor L2Penalty(IEnumerable<Tensor> parameters, double lambda)
    {
        Tensor? sum = null;
        foreach (var p in parameters)
        {
            var sq = p.Square().Sum();
            sum = sum is null ? sq : sum + sq;
        }

        return sum is null ? Tensor.Scalar(0) : sum * (lambda / 2);
    }

    /// <summary>Applies a reduction to per-element losses.</summary>
    internal static Tensor Reduce(Tensor loss, Reduction reduction) => reduction switch
    {
        Reduction.None => loss,
        Reduction.Sum => loss.Sum(),
        Reduction.Mean => loss.Mean(),
        _ => throw new ArgumentException($"reduction {reduction} is only defined for KL divergence", nameof(reduction)),
    };

    // log(1 + eˣ) without overflow and with the slope σ(0) = 1/2 at 0 (max(x, 0) + log(1 + e^−|x|) has kinks there
    // whose one-sided slopes do not add up to 1/2): x + log(1 + e⁻ˣ) for x > 0, log(1 + eˣ) otherwise, each branch fed
    // only its own side so that the unused one has finite derivatives.
    private static Tensor Softplus(Tensor x)
    {
        var positive = x.Detach().Gt(0.0);
        var zeros = Tensor.ZerosLike(x);
        var xp = Tensor.Where(positive, x, zeros);
        var xn = Tensor.Where(positive, zeros, x);
        return Tensor.Where(positive, xp + ((-xp).Exp() + 1.0).Log(), (xn.Exp() + 1.0).Log());
    }

    private static Tensor SameShape(string op, Tensor input, Tensor target)
    {
        if (input.Shape != target.Shape)
        {
            throw new ArgumentException($"{op}: target shape {target.Shape} differs from input shape {input.Shape}");
        }

        return target;
    }

    // (N, C, d…) inputs with (N, d…) targets become (N·d…, C) and (N·d…).
    private static (Tensor LogP, Tensor Target) ClassesLast(Tensor input, Tensor target, string op)
    {
        if (target.DType != DType.Int64)
        {
            throw new ArgumentException($"{op}: class-index targets must be Int64, got {target.DType}");
        }

        if (input.Rank < 2 || target.Rank != input.Rank - 1 || target.Shape[0] != input.Shape[0])
        {
            throw new ArgumentException($"{op}: expected input (N, C, d...) and target (N, d...), got input {input.Shape} and target {target.Shape}");
        }

        if (input.Rank == 2)
        {
            return (input, target);
        }

        int c = input.Shape[1];
        var perm = new List<int> { 0 };
        for (int i = 2; i < input.Rank; i++)
        {
            perm.Add(i);
        }

        perm.Add(1);
        return (input.Permute(perm.ToArray()).Reshape(-1, c), target.Reshape(-1));
    }

    private static void CheckTargets(Tensor target, int classes)
    {
        foreach (var v in target.ToInt64Array())
        {
            if (v < 0 || v >= classes)
            {
                throw new ArgumentException($"target {v} is out of bounds for {classes} classes");
            }
        }
    }

    private static Tensor ClassView(Tensor weight, int rank)
    {
        var s = new int[rank];
        Array.Fill(s, 1);
        s[1] = weight.Shape[0];
        return weight.Reshape(s);
    }
}
