using Nabla.Formats;

namespace Nabla.Optim;

/// <summary>
/// Momentum cycling for <see cref="CyclicLR"/> and <see cref="OneCycleLR"/>: the group's <c>beta1</c> (Adam,
/// AdamW, Adamax, NAdam, RAdam: PyTorch's <c>betas[0]</c>) or else its <c>momentum</c> (SGD, RMSprop).
/// </summary>
internal static class MomentumCycle
{
    /// <summary>The option that holds the momentum; throws when the optimizer has neither (PyTorch's ValueError).</summary>
    public static string Key(Optimizer optimizer, string scheduler)
    {
        var options = optimizer.ParamGroups[0].Options;
        return options.ContainsKey("beta1") ? "beta1" : options.ContainsKey("momentum") ? "momentum"
            : throw new ArgumentException($"{scheduler}: optimizer {optimizer.GetType().Name} has neither momentum nor betas; pass cycle_momentum: false");
    }
}

/// <summary>
/// The cyclical learning-rate policy (PyTorch's <c>CyclicLR</c>), stepped per batch: the rate climbs from
/// base_lr to max_lr over step_size_up steps and falls back over step_size_down, the amplitude scaled by
/// mode: <c>triangular</c> (1), <c>triangular2</c> (halved each cycle), <c>exp_range</c> (γ^iteration).
/// With cycle_momentum the momentum moves the opposite way between max_momentum and base_momentum.
/// </summary>
/// <remarks>
/// <code>
/// cycle = ⌊1 + epoch/(up + down)⌋;  x = 1 + epoch/(up + down) − cycle;  r = up/(up + down)
/// s = x/r if x ≤ r else (x − 1)/(r − 1)
/// lr = base_lr + (max_lr − base_lr)·s·scale;  momentum = max_m − (max_m − base_m)·s·scale
/// </code>
/// Construction sets the groups' rates to base_lr first (so the first scheduler's initial rate is base_lr) and the
/// base rates become base_lr, as PyTorch does.
/// </remarks>
public sealed class CyclicLR : LRScheduler
{
    private readonly double baseLr, maxLr, totalSize, stepRatio, gamma, baseMomentum, maxMomentum;
    private readonly string mode;
    private readonly string? momentumKey;

    /// <summary>Creates the scheduler (PyTorch's defaults).</summary>
    /// <exception cref="ArgumentException">An unknown mode, a step size below 1, or cycle_momentum with an optimizer that has no momentum.</exception>
    public CyclicLR(Optimizer optimizer, double baseLr, double maxLr, int stepSizeUp = 2000, int? stepSizeDown = null,
        string mode = "triangular", double gamma = 1.0, bool cycleMomentum = true, double baseMomentum = 0.8, double maxMomentum = 0.9)
        : base(AtRate(optimizer, baseLr))
    {
        if (mode is not ("triangular" or "triangular2" or "exp_range"))
        {
            throw new ArgumentException($"CyclicLR: mode is 'triangular', 'triangular2' or 'exp_range', got '{mode}'{DidYouMean.Suggest(mode, ["triangular", "triangular2", "exp_range"])}", nameof(mode));
        }

        Positive(stepSizeUp, "step_size_up");
        Positive(stepSizeDown ?? stepSizeUp, "step_size_down");
        (this.baseLr, this.maxLr, this.mode, this.gamma) = (baseLr, maxLr, mode, gamma);
        totalSize = stepSizeUp + (double)(stepSizeDown ?? stepSizeUp);
        stepRatio = stepSizeUp / totalSize;
        BaseLrs = optimizer.ParamGroups.Select(_ => baseLr).ToArray();
        if (cycleMomentum)
        {
            momentumKey = MomentumCycle.Key(optimizer, "CyclicLR");
            (this.baseMomentum, this.maxMomentum) = (baseMomentum, maxMomentum);
            foreach (var g in optimizer.ParamGroups)
            {
                g.Options[momentumKey] = maxMomentum;
            }
        }

        InitialStep();
    }

    /// <summary>Sets every group's rate to base_lr before the base class reads it, as PyTorch does before <c>super().__init__</c>.</summary>
    private static Optimizer AtRate(Optimizer optimizer, double lr)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        foreach (var g in optimizer.ParamGroups)
        {
            g.Lr = lr;
        }

        return optimizer;
    }

    /// <inheritdoc/>
    protected override double ChainedLr(int i, ParamGroup group)
    {
        double cycle = Math.Floor(1 + (LastEpoch / totalSize));
        double x = 1 + (LastEpoch / totalSize) - cycle;
        double s = x <= stepRatio ? x / stepRatio : (x - 1) / (stepRatio - 1);

        // triangular and triangular2 scale by the cycle, exp_range by the iteration (PyTorch's scale_mode).
        double scale = mode switch
        {
            "triangular" => 1,
            "triangular2" => 1 / Math.Pow(2, cycle - 1),
            _ => Math.Pow(gamma, LastEpoch),
        };
        if (momentumKey is not null)
        {
            group.Options[momentumKey] = maxMomentum - ((maxMomentum - baseMomentum) * s * scale);
        }

        return baseLr + ((maxLr - baseLr) * s * scale);
    }
}

/// <summary>
/// The 1cycle policy (PyTorch's <c>OneCycleLR</c>), stepped per batch: from max_lr/div_factor up to max_lr over
/// pct_start of the steps, then down to max_lr/(div_factor·final_div_factor), by cosine or linear annealing;
/// with three_phase, down to the initial rate first, symmetrically, and only then to the minimum. With
/// cycle_momentum the momentum (or beta1) moves the opposite way between max_momentum and base_momentum.
/// </summary>
/// <remarks>
/// Phase ends (in steps): pct_start·total − 1, then (three-phase) 2·pct_start·total − 2, then total − 1;
/// within a phase pct = (step − start)/(end − start) and cos annealing is end + (start − end)(1 + cos π·pct)/2.
/// Construction sets each group's initial rate to max_lr/div_factor, as PyTorch does.
/// </remarks>
public sealed class OneCycleLR : LRScheduler
{
    private readonly int totalSteps;
    private readonly bool linear;
    private readonly string? momentumKey;
    private readonly (double End, double StartLr, double EndLr, double StartM, double EndM)[] phases;

    /// <summary>Creates the scheduler (PyTorch's defaults).</summary>
    /// <exception cref="ArgumentException">
    /// totalSteps below 1, pct_start outside [0, 1], an unknown anneal strategy, or cycle_momentum with an
    /// optimizer that has no momentum.
    /// </exception>
    public OneCycleLR(Optimizer optimizer, double maxLr, int totalSteps, double pctStart = 0.3, string annealStrategy = "cos",
        double divFactor = 25, double finalDivFactor = 1e4, bool threePhase = false, bool cycleMomentum = true,
        double baseMomentum = 0.85, double maxMomentum = 0.95)
        : base(optimizer)
    {
        Positive(totalSteps, "total_steps");
        if (!(pctStart is >= 0 and <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(pctStart), $"Expected float between 0 and 1 pct_start, but got {pctStart}");
        }

        if (annealStrategy is not ("cos" or "linear"))
        {
            throw new ArgumentException($"anneal_strategy must be one of 'cos' or 'linear', instead got '{annealStrategy}'", nameof(annealStrategy));
        }

        (this.totalSteps, linear) = (totalSteps, annealStrategy == "linear");
        double initial = maxLr / divFactor, min = initial / finalDivFactor, up = (pctStart * totalSteps) - 1;
        phases = threePhase
            ? [(up, initial, maxLr, maxMomentum, baseMomentum), ((2 * pctStart * totalSteps) - 2, maxLr, initial, baseMomentum, maxMomentum),
               (totalSteps - 1, initial, min, maxMomentum, maxMomentum)]
            : [(up, initial, maxLr, maxMomentum, baseMomentum), (totalSteps - 1, maxLr, min, baseMomentum, maxMomentum)];
        foreach (var g in optimizer.ParamGroups)
        {
            (g.InitialLr, g.InitialLrFixed) = (initial, true);
        }

        BaseLrs = optimizer.ParamGroups.Select(_ => initial).ToArray();
        if (cycleMomentum)
        {
            momentumKey = MomentumCycle.Key(optimizer, "OneCycleLR");
            foreach (var g in optimizer.ParamGroups)
            {
                g.Options[momentumKey] = maxMomentum;
            }
        }

        InitialStep();
    }

    /// <inheritdoc/>
    protected override double ChainedLr(int i, ParamGroup group)
    {
        if (LastEpoch > totalSteps)
        {
            throw new InvalidOperationException($"OneCycleLR: tried to step {LastEpoch} times; the specified number of total steps is {totalSteps}");
        }

        double start = 0;
        for (int k = 0; k < phases.Length; k++)
        {
            var p = phases[k];
            if (LastEpoch <= p.End || k == phases.Length - 1)
            {
                if (p.End == start)
                {
                    // PyTorch divides by zero here (ZeroDivisionError): a phase of no steps has no fraction.
                    throw new InvalidOperationException($"OneCycleLR: phase {k + 1} is empty (it ends at step {p.End}, where it starts): choose another pct_start or total_steps");
                }

                double pct = (LastEpoch - start) / (p.End - start);
                if (momentumKey is not null)
                {
                    group.Options[momentumKey] = Anneal(p.StartM, p.EndM, pct);
                }

                return Anneal(p.StartLr, p.EndLr, pct);
            }

            start = p.End;
        }

        throw new InvalidOperationException("unreachable: the last phase always matches");
    }

    private double Anneal(double from, double to, double pct) => linear
        ? ((to - from) * pct) + from
        : to + ((from - to) / 2 * (Math.Cos(Math.PI * pct) + 1));
}
