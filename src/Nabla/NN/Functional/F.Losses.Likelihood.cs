namespace Nabla.NN;

// Negative log-likelihoods of a distribution the network predicts: Poisson, Gaussian, and CTC over alignments.
public static partial class F
{
    /// <summary>
    /// Poisson negative log-likelihood with rate λ: ℓ = e^x − y·x when <paramref name="logInput"/> (x = log λ), else
    /// ℓ = x − y·log(x + ε). <paramref name="full"/> adds Stirling's approximation of log(y!),
    /// y·log y − y + ½·log(2πy), where y &gt; 1 (0 elsewhere). torch.nn.functional.poisson_nll_loss (ε = 10⁻⁸).
    /// The Stirling term's gradient with respect to y is log y + 1/(2y) where y &gt; 1 and 0 elsewhere (PyTorch gives
    /// NaN at y = 0 there, from 0·log 0).
    /// </summary>
    public static Tensor PoissonNllLoss(Tensor input, Tensor target, bool logInput = true, bool full = false, double eps = 1e-8,
        Reduction reduction = Reduction.Mean)
    {
        var loss = logInput ? input.Exp() - (target * input) : input - (target * (input + eps).Log());
        if (full)
        {
            var large = target.Detach().Gt(1.0);
            var y = Tensor.Where(large, target, Tensor.FullLike(target, 2.0));
            var stirling = (y * y.Log()) - y + ((y * (2 * Math.PI)).Log() * 0.5);
            loss = loss + Tensor.Where(large, stirling, Tensor.ZerosLike(stirling));
        }

        return Reduce(loss, reduction);
    }

    /// <summary>
    /// Gaussian negative log-likelihood: ℓ = ½·(log max(σ², ε) + (x − y)² / max(σ², ε)), plus ½·log 2π when
    /// <paramref name="full"/> (torch.nn.functional.gaussian_nll_loss, ε = 10⁻⁶). <paramref name="var"/> has the
    /// input's shape, or that shape without its last dimension, or with a last dimension of 1 (one variance per
    /// row); the target broadcasts against the input. As PyTorch, the clamp changes values only: the gradient with
    /// respect to σ² is taken as if unclamped. Negative variances are refused.
    /// </summary>
    public static Tensor GaussianNllLoss(Tensor input, Tensor target, Tensor var, bool full = false, double eps = 1e-6,
        Reduction reduction = Reduction.Mean)
    {
        var v = GaussianVariance(input, var);
        if (v.Detach().Lt(0.0).To(v.DType).Sum().Item() > 0)
        {
            throw new ArgumentException("gaussian_nll_loss: var has negative entries", nameof(var));
        }

        var raw = v.Detach();
        v = v + (raw.Clamp(min: eps) - raw);
        var loss = (v.Log() + ((input - target).Square() / v)) * 0.5;
        if (full)
        {
            loss = loss + (0.5 * Math.Log(2 * Math.PI));
        }

        return Reduce(loss, reduction);
    }

    /// <summary>
    /// The connectionist temporal classification loss (torch.nn.functional.ctc_loss): ℓₙ = −log of the total
    /// probability of the alignments of length Tₙ = input_lengths[n] that collapse to the n-th target (repeats
    /// merged, then blanks removed). <paramref name="logProbs"/> is (T, N, C) of log-probabilities (usually
    /// log_softmax over C), or (T, C) for one sample; <paramref name="targets"/> is Int64, padded (N, S) or the
    /// targets concatenated (Σ target_lengths), none equal to <paramref name="blank"/>; the lengths are Int64 (N).
    /// The mean divides each ℓₙ by max(target_lengths[n], 1), then averages over the batch. With
    /// <paramref name="zeroInfinity"/>, an impossible alignment (ℓ = ∞) gives loss 0 and gradient 0.
    /// </summary>
    /// <remarks>
    /// A fused forward-backward (Note [CTC in log space] in Ops/Ctc.cs); the gradient is exact with respect to
    /// <paramref name="logProbs"/>, and second derivatives are refused.
    /// </remarks>
    public static Tensor CtcLoss(Tensor logProbs, Tensor targets, Tensor inputLengths, Tensor targetLengths, int blank = 0,
        Reduction reduction = Reduction.Mean, bool zeroInfinity = false)
    {
        bool unbatched = logProbs.Rank == 2;
        if (logProbs.Rank is not (2 or 3))
        {
            throw new ArgumentException($"ctc_loss: expected log_probs (T, N, C) or (T, C), got {logProbs.Shape}", nameof(logProbs));
        }

        var lp = unbatched ? logProbs.Unsqueeze(1) : logProbs;
        int time = lp.Shape[0], batch = lp.Shape[1], classes = lp.Shape[2];
        if (blank < 0 || blank >= classes)
        {
            throw new ArgumentException($"ctc_loss: blank {blank} is out of range for {classes} classes", nameof(blank));
        }

        var il = CtcLengths("input_lengths", inputLengths, batch, unbatched);
        var tl = CtcLengths("target_lengths", targetLengths, batch, unbatched);
        foreach (var t in il)
        {
            if (t < 1 || t > time)
            {
                throw new ArgumentException($"ctc_loss: input length {t} is outside [1, {time}] (T = {time})", nameof(inputLengths));
            }
        }

        var perSample = CtcTargets(targets, tl, batch, unbatched, classes, blank);
        var losses = new Ops.CtcLoss(perSample, il, blank, zeroInfinity).Apply(lp);
        switch (reduction)
        {
            case Reduction.None:
                return unbatched ? losses.Reshape(Shape.Scalar) : losses;
            case Reduction.Sum:
                return losses.Sum();
            case Reduction.Mean:
                var divisor = Tensor.FromArray(Array.ConvertAll(tl, t => (double)Math.Max(t, 1))).To(lp.DType);
                return (losses / divisor).Mean();
            default:
                throw new ArgumentException($"reduction {reduction} is only defined for KL divergence", nameof(reduction));
        }
    }

    // var as gaussian_nll_loss accepts it: the input's shape, the shape without its last dim (unsqueezed), or a last dim of 1.
    private static Tensor GaussianVariance(Tensor input, Tensor var)
    {
        var s = input.Shape;
        if (var.Shape == s)
        {
            return var;
        }

        var rows = s.Rank == 0 ? [] : s.ToArray()[..^1];
        if (var.Shape.Dims.SequenceEqual(rows))
        {
            return var.Unsqueeze(-1);
        }

        if (var.Rank == s.Rank && var.Rank > 0 && var.Shape[-1] == 1 && var.Shape.Dims[..^1].SequenceEqual(rows))
        {
            return var;
        }

        throw new ArgumentException($"gaussian_nll_loss: var of shape {var.Shape} does not fit input {s}: expected {s}, {new Shape(rows)} or {new Shape([.. rows, 1])}", nameof(var));
    }

    private static long[] CtcLengths(string name, Tensor lengths, int batch, bool unbatched)
    {
        if (lengths.DType != DType.Int64 || lengths.Rank > 1 || lengths.Numel != batch || (!unbatched && lengths.Rank != 1))
        {
            throw new ArgumentException($"ctc_loss: {name} must be Int64 of shape ({batch}){(unbatched ? " or ()" : "")}, got {lengths.DType} {lengths.Shape}");
        }

        return lengths.ToInt64Array();
    }

    // Each sample's target labels, from padded (N, S) [or (S) unbatched] or concatenated (Σ lengths) targets.
    private static long[][] CtcTargets(Tensor targets, long[] lengths, int batch, bool unbatched, int classes, int blank)
    {
        if (targets.DType != DType.Int64)
        {
            throw new ArgumentException($"ctc_loss: targets must be Int64, got {targets.DType}", nameof(targets));
        }

        var all = targets.ToInt64Array();
        bool padded = unbatched || targets.Rank == 2;
        if (unbatched ? targets.Rank != 1 : targets.Rank != 1 && (targets.Rank != 2 || targets.Shape[0] != batch))
        {
            throw new ArgumentException($"ctc_loss: expected targets {(unbatched ? "(S)" : $"({batch}, S) or concatenated (sum of target_lengths)")}, got {targets.Shape}", nameof(targets));
        }

        int stride = padded ? targets.Shape[-1] : 0;
        long total = lengths.Sum();
        if (!padded && all.Length != total)
        {
            throw new ArgumentException($"ctc_loss: concatenated targets hold {all.Length} labels but target_lengths sum to {total}", nameof(targets));
        }

        var result = new long[batch][];
        long offset = 0;
        for (int n = 0; n < batch; n++)
        {
            if (lengths[n] < 0 || (padded && lengths[n] > stride))
            {
                throw new ArgumentException($"ctc_loss: target length {lengths[n]} of sample {n} is outside [0, {(padded ? stride : total)}]");
            }

            long start = padded ? (long)n * stride : offset;
            result[n] = all[(int)start..(int)(start + lengths[n])];
            offset += lengths[n];
            foreach (var c in result[n])
            {
                if (c < 0 || c >= classes || c == blank)
                {
                    throw new ArgumentException($"ctc_loss: target label {c} of sample {n} is {(c == blank ? "the blank" : $"outside [0, {classes})")}", nameof(targets));
                }
            }
        }

        return result;
    }
}
