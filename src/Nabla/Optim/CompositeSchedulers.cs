namespace Nabla.Optim;

/// <summary>
/// Runs schedulers one after another, switching at the milestones (PyTorch's <c>SequentialLR</c>): scheduler k
/// runs from milestone k − 1 on, starting at its epoch 0 (its closed form, where it has one).
/// </summary>
/// <remarks>
/// As in PyTorch, construction puts the groups back to their initial rates, undoes the initial step every
/// scheduler made, and performs the first scheduler's initial step again.
/// </remarks>
public sealed class SequentialLR : LRScheduler
{
    private readonly LRScheduler[] schedulers;
    private readonly int[] milestones;

    /// <summary>Creates the composite.</summary>
    /// <exception cref="ArgumentException">A scheduler is bound to another optimizer, or the milestones are not one fewer than the schedulers.</exception>
    public SequentialLR(Optimizer optimizer, IReadOnlyList<LRScheduler> schedulers, IReadOnlyList<int> milestones)
        : base(optimizer)
    {
        if (schedulers.Count == 0)
        {
            throw new ArgumentException("SequentialLR expects at least one scheduler", nameof(schedulers));
        }

        if (schedulers.Any(s => !ReferenceEquals(s.Optimizer, optimizer)))
        {
            throw new ArgumentException("SequentialLR expects all schedulers to belong to the same optimizer", nameof(schedulers));
        }

        if (milestones.Count != schedulers.Count - 1)
        {
            throw new ArgumentException($"SequentialLR: {schedulers.Count} schedulers need {schedulers.Count - 1} milestones, got {milestones.Count}", nameof(milestones));
        }

        (this.schedulers, this.milestones) = ([.. schedulers], [.. milestones]);
        LastEpoch = 0;
        foreach (var g in optimizer.ParamGroups)
        {
            g.Lr = g.InitialLr;
        }

        foreach (var s in this.schedulers)
        {
            s.LastEpoch--;
        }

        this.schedulers[0].Step();
        RecordLastLr();
    }

    /// <inheritdoc/>
    public override void Step()
    {
        LastEpoch++;
        int idx = milestones.Count(m => m <= LastEpoch);
        if (idx > 0 && milestones[idx - 1] == LastEpoch)
        {
            schedulers[idx].StepTo(0);
        }
        else
        {
            schedulers[idx].Step();
        }

        RecordLastLr();
    }

    /// <inheritdoc/>
    internal override void StepTo(int epoch) =>
        throw new NotSupportedException("SequentialLR cannot jump to an epoch (nor can PyTorch's): step it");

    /// <inheritdoc/>
    protected override double ChainedLr(int i, ParamGroup group) => group.Lr;
}

/// <summary>
/// Steps several schedulers of one optimizer together, each applying its chainable form to the rate the
/// previous one left (PyTorch's <c>ChainedScheduler</c>).
/// </summary>
public sealed class ChainedScheduler : LRScheduler
{
    private readonly LRScheduler[] schedulers;

    /// <summary>Creates the chain; the schedulers were constructed (and made their initial steps) already.</summary>
    /// <exception cref="ArgumentException">No scheduler, or schedulers bound to different optimizers.</exception>
    public ChainedScheduler(IReadOnlyList<LRScheduler> schedulers)
        : base(schedulers.Count > 0 ? schedulers[0].Optimizer : throw new ArgumentException("ChainedScheduler expects at least one scheduler", nameof(schedulers)))
    {
        if (schedulers.Any(s => !ReferenceEquals(s.Optimizer, Optimizer)))
        {
            throw new ArgumentException("ChainedScheduler expects all schedulers to belong to the same optimizer", nameof(schedulers));
        }

        this.schedulers = [.. schedulers];
        LastEpoch = schedulers[^1].LastEpoch;
        RecordLastLr();
    }

    /// <inheritdoc/>
    public override void Step()
    {
        foreach (var s in schedulers)
        {
            s.Step();
        }

        LastEpoch++;
        RecordLastLr();
    }

    /// <inheritdoc/>
    internal override void StepTo(int epoch) =>
        throw new NotSupportedException("ChainedScheduler cannot jump to an epoch: step it");

    /// <inheritdoc/>
    protected override double ChainedLr(int i, ParamGroup group) => group.Lr;
}
