namespace Nabla.Optim;

/// <summary>
/// Sets each group's learning rate as the epochs go by (PyTorch's <c>lr_scheduler.LRScheduler</c>); call
/// <see cref="Step"/> once per epoch (or per batch for <see cref="OneCycleLR"/> and <see cref="CyclicLR"/>).
/// </summary>
/// <remarks>
/// As in PyTorch, construction performs the initial step (<see cref="LastEpoch"/> 0), and each step computes the
/// new rate from the group's current rate (the "chainable" form: <c>get_lr</c>), so that schedulers stacked on one
/// optimizer (<see cref="ChainedScheduler"/>) compose; a jump to an epoch (<see cref="SequentialLR"/>'s
/// milestones) uses the closed form from the base rates where the scheduler has one (<c>_get_closed_form_lr</c>).
/// The base rates are the groups' <see cref="ParamGroup.InitialLr"/>, which the first scheduler sets to the rate
/// it finds (PyTorch's <c>setdefault("initial_lr", lr)</c>).
/// </remarks>
public abstract class LRScheduler
{
    private readonly double[] lastLr;

    /// <summary>Attaches to an optimizer; the derived constructor ends with <see cref="InitialStep"/>.</summary>
    protected LRScheduler(Optimizer optimizer)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        Optimizer = optimizer;
        foreach (var g in optimizer.ParamGroups.Where(g => !g.InitialLrFixed))
        {
            (g.InitialLr, g.InitialLrFixed) = (g.Lr, true);
        }

        BaseLrs = optimizer.ParamGroups.Select(g => g.InitialLr).ToArray();
        lastLr = optimizer.ParamGroups.Select(g => g.Lr).ToArray();
    }

    /// <summary>The optimizer whose rates are set.</summary>
    public Optimizer Optimizer { get; }

    /// <summary>The epoch of the last step (0 after construction; PyTorch's <c>last_epoch</c>).</summary>
    public int LastEpoch { get; protected internal set; } = -1;

    /// <summary>The rate each group had when the schedule started.</summary>
    public IReadOnlyList<double> BaseLrs { get; protected set; }

    /// <summary>The rates this scheduler set last (PyTorch's <c>get_last_lr()</c>).</summary>
    public IReadOnlyList<double> LastLr => lastLr;

    /// <summary>Advances one epoch and updates the rates.</summary>
    public virtual void Step()
    {
        LastEpoch++;
        Apply(closedForm: false);
    }

    /// <summary>
    /// Replays <see cref="Step"/> up to <paramref name="epoch"/>, starting from the rates this scheduler last set
    /// (not the optimizer's current ones, which a restored checkpoint may already have moved on): used to resume.
    /// </summary>
    public void FastForward(int epoch)
    {
        var groups = Optimizer.ParamGroups;
        for (int i = 0; i < groups.Count; i++)
        {
            groups[i].Lr = lastLr[i];
        }

        while (LastEpoch < epoch)
        {
            Step();
        }
    }

    /// <summary>Jumps to <paramref name="epoch"/> (PyTorch's <c>step(epoch)</c>, as <see cref="SequentialLR"/> calls it).</summary>
    internal virtual void StepTo(int epoch)
    {
        LastEpoch = epoch;
        Apply(closedForm: true);
    }

    /// <summary>The first step, at the end of a derived constructor (PyTorch's <c>_initial_step</c>).</summary>
    protected void InitialStep() => Step();

    /// <summary>The new rate of group <paramref name="i"/> at <see cref="LastEpoch"/>, from its current rate (<c>get_lr</c>).</summary>
    protected abstract double ChainedLr(int i, ParamGroup group);

    /// <summary>The rate of group <paramref name="i"/> at <see cref="LastEpoch"/> from its base rate; by default the chained form.</summary>
    protected virtual double ClosedFormLr(int i, ParamGroup group) => ChainedLr(i, group);

    /// <summary>Records the rates now in the optimizer as this scheduler's last ones (for composite schedulers).</summary>
    protected void RecordLastLr()
    {
        for (int i = 0; i < lastLr.Length; i++)
        {
            lastLr[i] = Optimizer.ParamGroups[i].Lr;
        }
    }

    private void Apply(bool closedForm)
    {
        var groups = Optimizer.ParamGroups;
        var lrs = new double[groups.Count];
        for (int i = 0; i < groups.Count; i++)
        {
            lrs[i] = closedForm ? ClosedFormLr(i, groups[i]) : ChainedLr(i, groups[i]);
        }

        for (int i = 0; i < groups.Count; i++)
        {
            groups[i].Lr = lastLr[i] = lrs[i];
        }
    }

    /// <summary>Throws unless <paramref name="value"/> is a positive integer (PyTorch's checks on periods and counts).</summary>
    private protected static void Positive(int value, string name)
    {
        if (value <= 0)
        {
            throw new ArgumentOutOfRangeException(name, $"{name} must be a positive integer, got {value}");
        }
    }
}

/// <summary>lr = lr₀·γ^⌊epoch / step_size⌋ (PyTorch's <c>StepLR</c>; chained: ×γ every step_size epochs).</summary>
public sealed class StepLR : LRScheduler
{
    private readonly int stepSize;
    private readonly double gamma;

    /// <summary>Creates the scheduler.</summary>
    public StepLR(Optimizer optimizer, int stepSize, double gamma = 0.1)
        : base(optimizer)
    {
        Positive(stepSize, "step_size");
        (this.stepSize, this.gamma) = (stepSize, gamma);
        InitialStep();
    }

    /// <inheritdoc/>
    protected override double ChainedLr(int i, ParamGroup group) =>
        LastEpoch == 0 || LastEpoch % stepSize != 0 ? group.Lr : group.Lr * gamma;

    /// <inheritdoc/>
    protected override double ClosedFormLr(int i, ParamGroup group) => BaseLrs[i] * Math.Pow(gamma, LastEpoch / stepSize);
}

/// <summary>lr = lr₀·γ^(number of milestones ≤ epoch) (PyTorch's <c>MultiStepLR</c>; a repeated milestone counts twice).</summary>
public sealed class MultiStepLR : LRScheduler
{
    private readonly int[] milestones;
    private readonly double gamma;

    /// <summary>Creates the scheduler.</summary>
    public MultiStepLR(Optimizer optimizer, int[] milestones, double gamma = 0.1)
        : base(optimizer)
    {
        this.milestones = [.. milestones.Order()];
        this.gamma = gamma;
        InitialStep();
    }

    /// <inheritdoc/>
    protected override double ChainedLr(int i, ParamGroup group) =>
        group.Lr * Math.Pow(gamma, milestones.Count(m => m == LastEpoch));

    /// <inheritdoc/>
    protected override double ClosedFormLr(int i, ParamGroup group) => BaseLrs[i] * Math.Pow(gamma, milestones.Count(m => m <= LastEpoch));
}

/// <summary>lr = lr₀·γ^epoch (PyTorch's <c>ExponentialLR</c>).</summary>
public sealed class ExponentialLR : LRScheduler
{
    private readonly double gamma;

    /// <summary>Creates the scheduler.</summary>
    public ExponentialLR(Optimizer optimizer, double gamma)
        : base(optimizer)
    {
        this.gamma = gamma;
        InitialStep();
    }

    /// <inheritdoc/>
    protected override double ChainedLr(int i, ParamGroup group) => LastEpoch == 0 ? group.Lr : group.Lr * gamma;

    /// <inheritdoc/>
    protected override double ClosedFormLr(int i, ParamGroup group) => BaseLrs[i] * Math.Pow(gamma, LastEpoch);
}

/// <summary>
/// lr = η_min + (lr₀ − η_min)·(1 + cos(π·epoch/T_max))/2 (PyTorch's <c>CosineAnnealingLR</c>, SGDR without restarts);
/// chained, each step multiplies lr − η_min by the ratio of successive cosine terms.
/// </summary>
public sealed class CosineAnnealingLR : LRScheduler
{
    private readonly int tMax;
    private readonly double etaMin;

    /// <summary>Creates the scheduler.</summary>
    public CosineAnnealingLR(Optimizer optimizer, int tMax, double etaMin = 0)
        : base(optimizer)
    {
        Positive(tMax, "T_max");
        (this.tMax, this.etaMin) = (tMax, etaMin);
        InitialStep();
    }

    /// <inheritdoc/>
    protected override double ChainedLr(int i, ParamGroup group)
    {
        int e = LastEpoch;
        if (e == 0)
        {
            return group.Lr;
        }

        // At the trough the ratio below is 0/0: PyTorch restarts the climb by the closed-form increment.
        if ((e - 1 - tMax) % (2 * tMax) == 0)
        {
            return group.Lr + ((BaseLrs[i] - etaMin) * (1 - Math.Cos(Math.PI / tMax)) / 2);
        }

        return ((1 + Math.Cos(Math.PI * e / tMax)) / (1 + Math.Cos(Math.PI * (e - 1) / tMax)) * (group.Lr - etaMin)) + etaMin;
    }

    /// <inheritdoc/>
    protected override double ClosedFormLr(int i, ParamGroup group) =>
        etaMin + ((BaseLrs[i] - etaMin) * (1 + Math.Cos(Math.PI * LastEpoch / tMax)) / 2);
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
