namespace Nabla.Ops;

/// <summary>
/// Connectionist temporal classification, fused: the per-sample loss ℓₙ = −log Σ_π Π_t y[t, n, π_t] over every
/// alignment π of length Tₙ that collapses (merge repeats, drop blanks) to the target lₙ, for log-probabilities
/// lp (T, N, C) = log y. Targets, lengths and the blank are fixed when the op is made; the input is lp only.
/// </summary>
/// <remarks>
/// Note [CTC in log space]: with the extended target l′ = (b, l₁, b, l₂, …, b) of length S′ = 2L + 1, the forward
/// variables α_t(s) = log Σ of the alignment prefixes of π₀…π_t that end in l′_s, and
/// α_t(s) = lp[t, l′_s] + logsumexp(α_{t−1}(s), α_{t−1}(s − 1), α_{t−1}(s − 2)), the last term only when l′_s is
/// not blank and l′_s ≠ l′_{s−2} (a repeated label needs a blank between). ℓ = −logsumexp(α_{T−1}(S′ − 1),
/// α_{T−1}(S′ − 2)). The backward variables β_t(s) run the same recursion from the end (both include lp[t, l′_s]),
/// so that α_t(s) + β_t(s) − lp[t, l′_s] is the log-probability of all alignments through (t, s), and
/// ∂ℓ/∂lp[t, c] = −exp(logsumexp_{s: l′_s = c}(α_t(s) + β_t(s)) − lp[t, c] + ℓ) for t &lt; Tₙ, 0 beyond.
/// That is the exact derivative with respect to lp. PyTorch's kernel returns exp(lp[t, c]) plus this, which is
/// what it becomes after a log_softmax upstream (the two agree for logits fed through log_softmax, not for lp
/// itself). Sums run in float64 whatever the input's dtype. The backward is a kernel, not tensor ops, so a graph
/// of the gradient (<c>createGraph: true</c>) is refused rather than built wrong.
/// </remarks>
internal sealed class CtcLoss(long[][] targets, long[] inputLengths, int blank, bool zeroInfinity) : Op
{
    public override string Name => "ctc_loss";

    public override string Formula => "ℓₙ = −log Σ_{π → lₙ} Π_t exp(lp[t, n, π_t])";

    public override string GradFormula => "dlp[t, n, c] = −dℓₙ · exp(logsumexp_{s: l′_s = c}(α_t(s) + β_t(s)) − lp[t, n, c] + ℓₙ)";

    /// <summary>The per-sample losses (N) of lp (T, N, C).</summary>
    public Tensor Apply(Tensor logProbs)
    {
        logProbs.RequireFloat(Name);
        int time = logProbs.Shape[0], batch = logProbs.Shape[1], classes = logProbs.Shape[2];
        var lp = logProbs.ToDoubleArray();
        bool needGrad = GradMode.IsEnabled && logProbs.RequiresGrad;
        var losses = new double[batch];
        var grad = needGrad ? new double[lp.Length] : null;
        Parallel.For(0, batch, Threads.Options, n =>
        {
            var lpn = new Lp(lp, n, batch, classes);
            losses[n] = Sample(lpn, targets[n], (int)inputLengths[n], blank, grad);
            if (zeroInfinity && double.IsPositiveInfinity(losses[n]))
            {
                losses[n] = 0;
                if (grad is not null)
                {
                    for (int t = 0; t < time; t++)
                    {
                        Array.Clear(grad, lpn.Index(t, 0), classes);
                    }
                }
            }
        });

        // Record attaches the backward exactly when needGrad holds (grad mode on, lp requiring a gradient).
        var g = grad is null ? null : Wrap(grad, logProbs.Shape, logProbs.DType);
        return Record(Wrap(losses, new Shape(batch), logProbs.DType), [logProbs], dy => GradMode.IsEnabled
            ? throw new NotSupportedException("ctc_loss: second derivatives are not supported (its backward is a fused kernel, not tensor ops)")
            : [g! * dy.Reshape(1, batch, 1)]);
    }

    private static Tensor Wrap(double[] values, Shape shape, DType dtype) => dtype == DType.Float32
        ? Tensor.FromArray(Array.ConvertAll(values, v => (float)v), shape)
        : Tensor.FromArray(values, shape);

    // The loss of one sample; with grad non-null, also writes ∂ℓ/∂lp for its rows t < Tₙ (others stay 0).
    private static double Sample(Lp lp, long[] target, int steps, int blank, double[]? grad)
    {
        int sLen = (2 * target.Length) + 1;
        var ext = new int[sLen];
        for (int s = 0; s < sLen; s++)
        {
            ext[s] = s % 2 == 0 ? blank : (int)target[s / 2];
        }

        var alpha = Recurse(lp, ext, steps, blank, forward: true);
        int last = (steps - 1) * sLen;
        double logLik = sLen == 1 ? alpha[last] : LogAdd(alpha[last + sLen - 1], alpha[last + sLen - 2]);
        if (grad is null || double.IsNegativeInfinity(logLik))
        {
            // An impossible target (too long for Tₙ) has ℓ = +∞ and no derivative: NaN, as PyTorch's formula gives,
            // unless zero_infinity clears it.
            if (grad is not null)
            {
                FillNaN(lp, steps, grad);
            }

            return -logLik;
        }

        var beta = Recurse(lp, ext, steps, blank, forward: false);
        var sum = new double[lp.Classes];
        for (int t = 0; t < steps; t++)
        {
            Array.Fill(sum, double.NegativeInfinity);
            for (int s = 0; s < sLen; s++)
            {
                int c = ext[s];
                sum[c] = LogAdd(sum[c], alpha[(t * sLen) + s] + beta[(t * sLen) + s]);
            }

            int row = lp.Index(t, 0);
            for (int c = 0; c < lp.Classes; c++)
            {
                grad[row + c] = double.IsNegativeInfinity(sum[c]) ? 0 : -Math.Exp(sum[c] - lp[t, c] - logLik);
            }
        }

        return -logLik;
    }

    private static void FillNaN(Lp lp, int steps, double[] grad)
    {
        for (int t = 0; t < steps; t++)
        {
            Array.Fill(grad, double.NaN, lp.Index(t, 0), lp.Classes);
        }
    }

    // α (forward) or β (backward) over t in [0, steps), row-major (steps, S′), in log space.
    private static double[] Recurse(Lp lp, int[] ext, int steps, int blank, bool forward)
    {
        int sLen = ext.Length;
        var v = new double[steps * sLen];
        Array.Fill(v, double.NegativeInfinity);
        int t0 = forward ? 0 : steps - 1, dir = forward ? 1 : -1;
        for (int s = forward ? 0 : Math.Max(0, sLen - 2); s < (forward ? Math.Min(2, sLen) : sLen); s++)
        {
            v[(t0 * sLen) + s] = lp[t0, ext[s]];
        }

        for (int t = t0 + dir; t >= 0 && t < steps; t += dir)
        {
            int cur = t * sLen, prev = (t - dir) * sLen;
            for (int s = 0; s < sLen; s++)
            {
                double acc = v[prev + s];
                int s1 = s - dir, s2 = s - (2 * dir);
                if (s1 >= 0 && s1 < sLen)
                {
                    acc = LogAdd(acc, v[prev + s1]);
                }

                if (s2 >= 0 && s2 < sLen && ext[s] != blank && ext[s] != ext[s2])
                {
                    acc = LogAdd(acc, v[prev + s2]);
                }

                v[cur + s] = double.IsNegativeInfinity(acc) ? acc : acc + lp[t, ext[s]];
            }
        }

        return v;
    }

    private static double LogAdd(double a, double b)
    {
        if (double.IsNegativeInfinity(a))
        {
            return b;
        }

        if (double.IsNegativeInfinity(b))
        {
            return a;
        }

        double m = Math.Max(a, b);
        return m + Math.Log(Math.Exp(a - m) + Math.Exp(b - m));
    }

    // Sample n's view of the row-major (T, N, C) log-probabilities.
    private readonly record struct Lp(double[] Data, int N, int Batch, int Classes)
    {
        public int Index(int t, int c) => (((t * Batch) + N) * Classes) + c;

        public double this[int t, int c] => Data[Index(t, c)];
    }
}
