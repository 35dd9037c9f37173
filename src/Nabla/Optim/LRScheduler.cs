namespace Nabla.Optim;

/// <summary>
/// Sets each group's learning rate from its initial value and the epoch count (PyTorch's
/// <c>lr_scheduler</c>); call <see cref="Step"/> once per epoch (or per batch for <see cref="OneCycleLR"/>).
/// </summary>
public abstract class LRScheduler
{
    /// <summary>Attaches to an optimizer and applies the epoch-0 rate.</summary>
    protected LRScheduler(Optimizer optimizer)
    {
        Optimizer = optimizer;
        Apply();
    }

    /// <summary>The optimizer whose rates are set.</summary>
    public Optimizer Optimizer { get; }

    /// <summary>Number of <see cref="Step"/> calls so far.</summary>
    public int LastEpoch { get; private set; }

    /// <summary>The current rate of each group.</summary>
    public IReadOnlyList<double> LastLr => Optimizer.ParamGroups.Select(g => g.Lr).ToList();

    /// <summary>Advances one epoch and updates the rates.</summary>
    public void Step()
    {
        LastEpoch++;
        Apply();
    }

    /// <summary>The rate at <paramref name="epoch"/> for a group that started at <paramref name="initialLr"/>.</summary>
    protected abstract double LrAt(double initialLr, int epoch);

    private void Apply()
    {
        foreach (var g in Optimizer.ParamGroups)
        {
            g.Lr = LrAt(g.InitialLr, LastEpoch);
        }
    }
}

/// <summary>lr = lr₀·γ^⌊epoch / stepSize⌋.</summary>
public sealed class StepLR(Optimizer optimizer, int stepSize, double gamma = 0.1) : LRScheduler(optimizer)
{
    /// <inheritdoc/>
    protected override double LrAt(double initialLr, int epoch) => initialLr * Math.Pow(gamma, epoch / stepSize);
}

/// <summary>lr = lr₀·γ^(number of milestones ≤ epoch).</summary>
public sealed class MultiStepLR(Optimizer optimizer, int[] milestones, double gamma = 0.1) : LRScheduler(optimizer)
{
    /// <inheritdoc/>
    protected override double LrAt(double initialLr, int epoch) => initialLr * Math.Pow(gamma, milestones.Count(m => m <= epoch));
}

/// <summary>lr = lr₀·γ^epoch.</summary>
public sealed class ExponentialLR(Optimizer optimizer, double gamma) : LRScheduler(optimizer)
{
    /// <inheritdoc/>
    protected override double LrAt(double initialLr, int epoch) => initialLr * Math.Pow(gamma, epoch);
}

/// <summary>lr = η_min + (lr₀ − η_min)·(1 + cos(π·epoch/T_max))/2 (the closed form of SGDR without restarts).</summary>
public sealed class CosineAnnealingLR(Optimizer optimizer, int tMax, double etaMin = 0) : LRScheduler(optimizer)
{
    /// <inheritdoc/>
    protected override double LrAt(double initialLr, int epoch) =>
        etaMin + ((initialLr - etaMin) * (1 + Math.Cos(Math.PI * epoch / tMax)) / 2);
}

/// <summary>
/// The 1cycle policy, stepped per batch: from maxLr/divFactor up to maxLr over pctStart of the steps, then
/// down to maxLr/(divFactor·finalDivFactor), by cosine (default) or linear annealing. Momentum is not cycled.
/// </summary>
public sealed class OneCycleLR(Optimizer optimizer, double maxLr, int totalSteps, double pctStart = 0.3,
    string annealStrategy = "cos", double divFactor = 25, double finalDivFactor = 1e4) : LRScheduler(optimizer)
{
    /// <inheritdoc/>
    protected override double LrAt(double initialLr, int epoch)
    {
        if (epoch > totalSteps)
        {
            throw new InvalidOperationException($"OneCycleLR: stepped {epoch} times, more than totalSteps = {totalSteps}");
        }

        double start = maxLr / divFactor, end = start / finalDivFactor;
        double warm = (pctStart * totalSteps) - 1;
        return epoch <= warm
            ? Anneal(start, maxLr, warm <= 0 ? 1 : epoch / warm)
            : Anneal(maxLr, end, (epoch - warm) / (totalSteps - 1 - warm));
    }

    private double Anneal(double from, double to, double pct) => annealStrategy == "linear"
        ? from + ((to - from) * pct)
        : to + ((from - to) / 2 * (1 + Math.Cos(Math.PI * pct)));
}

/// <summary>
/// Multiplies the rate by <c>factor</c> when a monitored metric stops improving for <c>patience</c> epochs
/// (relative threshold, as PyTorch's default), then waits <c>cooldown</c> epochs; never below <c>minLr</c>.
/// </summary>
public sealed class ReduceLROnPlateau(Optimizer optimizer, string mode = "min", double factor = 0.1, int patience = 10,
    double threshold = 1e-4, int cooldown = 0, double minLr = 0)
{
    private double best = mode == "min" ? double.PositiveInfinity : double.NegativeInfinity;
    private int badEpochs;
    private int cooldownLeft;

    /// <summary>Records the metric of one epoch and reduces the rate if it has plateaued.</summary>
    public void Step(double metric)
    {
        bool better = mode == "min" ? metric < best * (1 - threshold) : metric > best * (1 + threshold);
        if (better)
        {
            best = metric;
            badEpochs = 0;
        }
        else
        {
            badEpochs++;
        }

        if (cooldownLeft > 0)
        {
            cooldownLeft--;
            badEpochs = 0;
        }

        if (badEpochs > patience)
        {
            foreach (var g in optimizer.ParamGroups)
            {
                g.Lr = Math.Max(g.Lr * factor, minLr);
            }

            cooldownLeft = cooldown;
            badEpochs = 0;
        }
    }
}
