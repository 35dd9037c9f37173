namespace Nabla.Optim;

/// <summary>lr = lr₀·f(epoch) (PyTorch's <c>LambdaLR</c>).</summary>
public sealed class LambdaLR : LRScheduler
{
    private readonly Func<int, double> lrLambda;

    /// <summary>Creates the scheduler with one factor function for every group.</summary>
    public LambdaLR(Optimizer optimizer, Func<int, double> lrLambda)
        : base(optimizer)
    {
        this.lrLambda = lrLambda ?? throw new ArgumentNullException(nameof(lrLambda));
        InitialStep();
    }

    /// <inheritdoc/>
    protected override double ChainedLr(int i, ParamGroup group) => BaseLrs[i] * lrLambda(LastEpoch);
}

/// <summary>lr ← lr·f(epoch) for every epoch after the first (PyTorch's <c>MultiplicativeLR</c>).</summary>
public sealed class MultiplicativeLR : LRScheduler
{
    private readonly Func<int, double> lrLambda;

    /// <summary>Creates the scheduler with one factor function for every group.</summary>
    public MultiplicativeLR(Optimizer optimizer, Func<int, double> lrLambda)
        : base(optimizer)
    {
        this.lrLambda = lrLambda ?? throw new ArgumentNullException(nameof(lrLambda));
        InitialStep();
    }

    /// <inheritdoc/>
    protected override double ChainedLr(int i, ParamGroup group) => LastEpoch > 0 ? group.Lr * lrLambda(LastEpoch) : group.Lr;
}

/// <summary>lr = lr₀·factor until epoch total_iters, then lr₀ (PyTorch's <c>ConstantLR</c>; defaults 1/3 and 5).</summary>
public sealed class ConstantLR : LRScheduler
{
    private readonly double factor;
    private readonly int totalIters;

    /// <summary>Creates the scheduler.</summary>
    /// <exception cref="ArgumentOutOfRangeException">factor is outside [0, 1].</exception>
    public ConstantLR(Optimizer optimizer, double factor = 1.0 / 3, int totalIters = 5)
        : base(optimizer)
    {
        if (!(factor is >= 0 and <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(factor), $"Constant multiplicative factor expected to be between 0 and 1, got {factor}");
        }

        (this.factor, this.totalIters) = (factor, totalIters);
        InitialStep();
    }

    /// <inheritdoc/>
    protected override double ChainedLr(int i, ParamGroup group) =>
        LastEpoch == 0 ? group.Lr * factor : LastEpoch != totalIters ? group.Lr : group.Lr * (1 / factor);

    /// <inheritdoc/>
    protected override double ClosedFormLr(int i, ParamGroup group) =>
        BaseLrs[i] * (factor + (LastEpoch >= totalIters ? 1 - factor : 0));
}

/// <summary>
/// lr = lr₀·(s + (e − s)·min(epoch, total_iters)/total_iters): linear from start_factor s to end_factor e
/// (PyTorch's <c>LinearLR</c>; defaults 1/3, 1, 5).
/// </summary>
public sealed class LinearLR : LRScheduler
{
    private readonly double start, end;
    private readonly int totalIters;

    /// <summary>Creates the scheduler.</summary>
    /// <exception cref="ArgumentOutOfRangeException">start_factor is outside (0, 1] or end_factor outside [0, 1].</exception>
    public LinearLR(Optimizer optimizer, double startFactor = 1.0 / 3, double endFactor = 1.0, int totalIters = 5)
        : base(optimizer)
    {
        if (!(startFactor is > 0 and <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(startFactor), $"Starting multiplicative factor expected to be greater than 0 and less or equal to 1, got {startFactor}");
        }

        if (!(endFactor is >= 0 and <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(endFactor), $"Ending multiplicative factor expected to be between 0 and 1, got {endFactor}");
        }

        (start, end, this.totalIters) = (startFactor, endFactor, totalIters);
        InitialStep();
    }

    /// <inheritdoc/>
    protected override double ChainedLr(int i, ParamGroup group) =>
        LastEpoch == 0 ? group.Lr * start
        : LastEpoch > totalIters ? group.Lr
        : group.Lr * (1 + ((end - start) / ((totalIters * start) + ((LastEpoch - 1) * (end - start)))));

    /// <inheritdoc/>
    protected override double ClosedFormLr(int i, ParamGroup group) =>
        BaseLrs[i] * (start + ((end - start) * Math.Min(totalIters, LastEpoch) / totalIters));
}

/// <summary>lr = lr₀·(1 − min(epoch, total_iters)/total_iters)^power (PyTorch's <c>PolynomialLR</c>; defaults 5, 1).</summary>
public sealed class PolynomialLR : LRScheduler
{
    private readonly int totalIters;
    private readonly double power;

    /// <summary>Creates the scheduler.</summary>
    public PolynomialLR(Optimizer optimizer, int totalIters = 5, double power = 1.0)
        : base(optimizer)
    {
        Positive(totalIters, "total_iters");
        (this.totalIters, this.power) = (totalIters, power);
        InitialStep();
    }

    /// <inheritdoc/>
    protected override double ChainedLr(int i, ParamGroup group)
    {
        if (LastEpoch == 0 || LastEpoch > totalIters)
        {
            return group.Lr;
        }

        double t = totalIters;
        return group.Lr * Math.Pow((1 - (LastEpoch / t)) / (1 - ((LastEpoch - 1) / t)), power);
    }

    /// <inheritdoc/>
    protected override double ClosedFormLr(int i, ParamGroup group) =>
        BaseLrs[i] * Math.Pow(1 - (Math.Min(totalIters, LastEpoch) / (double)totalIters), power);
}

/// <summary>
/// SGDR: cosine annealing restarted every Tᵢ epochs, the period growing by T_mult after each restart
/// (PyTorch's <c>CosineAnnealingWarmRestarts</c>): lr = η_min + (lr₀ − η_min)(1 + cos(π·T_cur/Tᵢ))/2.
/// </summary>
public sealed class CosineAnnealingWarmRestarts : LRScheduler
{
    private readonly int t0, tMult;
    private readonly double etaMin;
    private int tI, tCur = -1;

    /// <summary>Creates the scheduler.</summary>
    /// <exception cref="ArgumentOutOfRangeException">T_0 is not positive or T_mult is below 1.</exception>
    public CosineAnnealingWarmRestarts(Optimizer optimizer, int t0, int tMult = 1, double etaMin = 0)
        : base(optimizer)
    {
        Positive(t0, "T_0");
        if (tMult < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(tMult), $"Expected integer T_mult >= 1, but got {tMult}");
        }

        (this.t0, this.tMult, this.etaMin, tI) = (t0, tMult, etaMin, t0);
        StepTo(0);
    }

    /// <summary>Epochs since the last restart.</summary>
    public int TCur => tCur;

    /// <summary>The current period.</summary>
    public int TI => tI;

    /// <inheritdoc/>
    public override void Step()
    {
        tCur++;
        if (tCur >= tI)
        {
            tCur -= tI;
            tI *= tMult;
        }

        LastEpoch++;
        base.StepTo(LastEpoch);
    }

    /// <summary>Jumps to <paramref name="epoch"/>: finds the period it falls in, as PyTorch's <c>step(epoch)</c>.</summary>
    internal override void StepTo(int epoch)
    {
        if (epoch < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(epoch), $"Expected non-negative epoch, but got {epoch}");
        }

        if (epoch >= t0 && tMult == 1)
        {
            (tCur, tI) = (epoch % t0, t0);
        }
        else if (epoch >= t0)
        {
            int n = (int)Math.Log((epoch / (double)t0 * (tMult - 1)) + 1, tMult);
            tCur = epoch - (t0 * ((int)Math.Pow(tMult, n) - 1) / (tMult - 1));
            tI = t0 * (int)Math.Pow(tMult, n);
        }
        else
        {
            (tI, tCur) = (t0, epoch);
        }

        base.StepTo(epoch);
    }

    /// <inheritdoc/>
    protected override double ChainedLr(int i, ParamGroup group) =>
        etaMin + ((BaseLrs[i] - etaMin) * (1 + Math.Cos(Math.PI * tCur / tI)) / 2);
}
