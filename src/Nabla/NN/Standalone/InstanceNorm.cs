namespace Nabla.NN;

public static partial class F
{
    /// <summary>
    /// Instance normalisation: each (sample, channel) slice of an (N, C, *) input is normalised over its positions,
    /// y = (x − μ)/√(σ² + ε)·γ + β, with the biased variance σ². With <paramref name="useInputStats"/> false the
    /// running statistics are used instead (a per-channel affine map). In training with running statistics these are
    /// updated in place, as PyTorch: r ← (1 − m)·r + m·mean over the batch of the per-instance statistic (the
    /// unbiased variance for the running variance).
    /// </summary>
    /// <exception cref="ArgumentException">The input is not (N, C, *) with at least one position, or has one position in training.</exception>
    public static Tensor InstanceNorm(Tensor input, Tensor? runningMean = null, Tensor? runningVar = null, Tensor? weight = null, Tensor? bias = null,
        bool useInputStats = true, double momentum = 0.1, double eps = 1e-5)
    {
        if (input.Rank < 3)
        {
            throw new ArgumentException($"instance_norm: expected input (N, C, *) with at least one spatial dimension, got {input.Shape}");
        }

        if (!useInputStats)
        {
            if (runningMean is null || runningVar is null)
            {
                throw new ArgumentException("instance_norm: running statistics are needed when useInputStats is false");
            }

            return BatchNorm(input, runningMean, runningVar, weight, bias, training: false, eps: eps);
        }

        int n = input.Shape[0], c = input.Shape[1];
        if (input.Numel / Math.Max(1L, (long)n * c) <= 1)
        {
            throw new ArgumentException($"instance_norm: expected more than 1 spatial element when training, got input {input.Shape}");
        }

        // As PyTorch: a batch norm of one sample whose channels are the N·C instances.
        var flat = input.Reshape(new Shape([1, n * c, .. input.Shape.ToArray()[2..]]));
        Tensor? rm = null, rv = null;
        if (runningMean is not null && runningVar is not null)
        {
            using (GradMode.NoGrad())
            {
                var ones = Tensor.Ones(new Shape(n, 1), runningMean.DType);
                (rm, rv) = ((ones * runningMean.Reshape(1, c)).Reshape(n * c), (ones * runningVar.Reshape(1, c)).Reshape(n * c));
            }
        }

        var y = BatchNorm(flat, rm, rv, training: true, momentum: momentum, eps: eps).Reshape(input.Shape);
        if (rm is not null && rv is not null)
        {
            using (GradMode.NoGrad())
            {
                runningMean!.CopyInPlace(rm.Reshape(n, c).Mean(0));
                runningVar!.CopyInPlace(rv.Reshape(n, c).Mean(0));
            }
        }

        var view = Enumerable.Repeat(1, input.Rank).ToArray();
        view[1] = c;
        if (weight is not null)
        {
            y = y * weight.Reshape(view);
        }

        return bias is null ? y : y + bias.Reshape(view);
    }
}

/// <summary>
/// Instance normalisation (PyTorch's <c>_InstanceNorm</c>): per sample and channel, over the positions. PyTorch's
/// defaults: no affine γ, β and no running statistics; with <c>trackRunningStats</c> the buffers
/// <c>running_mean</c>, <c>running_var</c> and <c>num_batches_tracked</c> exist and evaluation uses them.
/// </summary>
/// <remarks>A channel count other than <c>numFeatures</c> is refused (PyTorch only warns when affine is off).</remarks>
public abstract class InstanceNormBase : Module
{
    private readonly int spatial;

    /// <summary>Creates the layer for inputs with <paramref name="spatial"/> spatial dimensions.</summary>
    protected InstanceNormBase(int numFeatures, double eps, double momentum, bool affine, bool trackRunningStats, int spatial, DType dtype)
    {
        if (numFeatures < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(numFeatures), $"{TypeName}: numFeatures must be at least 1, got {numFeatures}");
        }

        (NumFeatures, Eps, Momentum, this.spatial) = (numFeatures, eps, momentum, spatial);
        var c = new Shape(numFeatures);
        Weight = affine ? RegisterParameter("weight", Tensor.Ones(c, dtype)) : null;
        Bias = affine ? RegisterParameter("bias", Tensor.Zeros(c, dtype)) : null;
        if (trackRunningStats)
        {
            RunningMean = RegisterBuffer("running_mean", Tensor.Zeros(c, dtype));
            RunningVar = RegisterBuffer("running_var", Tensor.Ones(c, dtype));

            // PyTorch registers the counter for instance norm too but never advances it.
            RegisterBuffer("num_batches_tracked", Tensor.Zeros(Shape.Scalar, DType.Int64));
        }
    }

    /// <summary>C.</summary>
    public int NumFeatures { get; }

    /// <summary>ε.</summary>
    public double Eps { get; }

    /// <summary>The running-average factor.</summary>
    public double Momentum { get; }

    /// <summary>γ, or null without affine.</summary>
    public Tensor? Weight { get; }

    /// <summary>β, or null without affine.</summary>
    public Tensor? Bias { get; }

    /// <summary>The running mean, or null.</summary>
    public Tensor? RunningMean { get; }

    /// <summary>The running (unbiased) variance, or null.</summary>
    public Tensor? RunningVar { get; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input)
    {
        bool unbatched = input.Rank == spatial + 1;
        string layout = spatial == 1 ? $"(N, {NumFeatures}, L) or ({NumFeatures}, L)" : $"(N, {NumFeatures}, H, W) or ({NumFeatures}, H, W)";
        if ((input.Rank != spatial + 2 && !unbatched) || input.Shape[unbatched ? 0 : 1] != NumFeatures)
        {
            throw new ArgumentException($"{TypeName}: expected input {layout}, got {input.Shape}");
        }

        var x = unbatched ? input.Unsqueeze(0) : input;
        var y = F.InstanceNorm(x, RunningMean, RunningVar, Weight, Bias, IsTraining || RunningMean is null, Momentum, Eps);
        return unbatched ? y.Squeeze(0) : y;
    }

    /// <inheritdoc/>
    public override Shape OutputShape(Shape input) => input;

    /// <inheritdoc/>
    public override string ExtraRepr() =>
        $"{NumFeatures}, eps={Eps}, momentum={Momentum}, affine={(Weight is not null ? "True" : "False")}, trackRunningStats={(RunningMean is not null ? "True" : "False")}";
}

/// <summary>Instance normalisation of (N, C, L) or (C, L) inputs (<c>nn.InstanceNorm1d</c>).</summary>
public sealed class InstanceNorm1d(int numFeatures, double eps = 1e-5, double momentum = 0.1, bool affine = false,
    bool trackRunningStats = false, DType dtype = DType.Float32)
    : InstanceNormBase(numFeatures, eps, momentum, affine, trackRunningStats, 1, dtype);

/// <summary>Instance normalisation of (N, C, H, W) or (C, H, W) inputs (<c>nn.InstanceNorm2d</c>).</summary>
public sealed class InstanceNorm2d(int numFeatures, double eps = 1e-5, double momentum = 0.1, bool affine = false,
    bool trackRunningStats = false, DType dtype = DType.Float32)
    : InstanceNormBase(numFeatures, eps, momentum, affine, trackRunningStats, 2, dtype);

/// <summary>What the two instance-norm descriptors share.</summary>
public abstract class InstanceNormDescriptor<TModule>(int spatial) : LayerDescriptor<TModule>(
    [new("numFeatures", ArgKind.Int, null, true), new("eps", ArgKind.Double, 1e-5), new("momentum", ArgKind.Double, 0.1),
     new("affine", ArgKind.Bool, false), new("trackRunningStats", ArgKind.Bool, false)])
    where TModule : InstanceNormBase
{
    /// <inheritdoc/>
    public override IReadOnlyList<LayerExample> Examples =>
    [
        new(LayerSpec.Of(Name, ("numFeatures", 3)), new Shape([3, .. Enumerable.Repeat(4, spatial)])),
        new(LayerSpec.Of(Name, ("numFeatures", 2), ("eps", 1e-3), ("momentum", 0.2), ("affine", true), ("trackRunningStats", true)), new Shape([2, .. Enumerable.Repeat(3, spatial)])),
    ];

    /// <inheritdoc/>
    public override LayerFacts Analyze(LayerSpec spec, Shape input)
    {
        int c = spec.Int("numFeatures");
        if (input.Rank != spatial + 2 || input[1] != c)
        {
            throw new ModelShapeException($"expects input {(spatial == 1 ? "(C, L)" : "(C, H, W)")} with C = {c} but its input has shape {PerSample(input)}");
        }

        return new(input, spec.Bool("affine") ? 2L * c : 0, spec.Bool("trackRunningStats") ? 2L * c : 0, 0);
    }

    /// <inheritdoc/>
    public override string Formula(LayerSpec spec, Module layer, bool train) =>
        $"y = γ·(x − mean)/√(var + ε) + β over the positions, per sample and channel{(spec.Bool("trackRunningStats") && !train ? ", running statistics" : string.Empty)}";

    /// <inheritdoc/>
    protected override LayerSpec Describe(TModule m) =>
        SpecOf(("numFeatures", m.NumFeatures), ("eps", m.Eps), ("momentum", m.Momentum), ("affine", m.Weight is not null), ("trackRunningStats", m.RunningMean is not null));
}

/// <summary><c>nn.InstanceNorm1d</c>.</summary>
public sealed class InstanceNorm1dDescriptor() : InstanceNormDescriptor<InstanceNorm1d>(1)
{
    /// <inheritdoc/>
    public override Module Build(LayerSpec s) => new InstanceNorm1d(s.Int("numFeatures"), s.Double("eps"), s.Double("momentum"), s.Bool("affine"), s.Bool("trackRunningStats"));
}

/// <summary><c>nn.InstanceNorm2d</c>.</summary>
public sealed class InstanceNorm2dDescriptor() : InstanceNormDescriptor<InstanceNorm2d>(2)
{
    /// <inheritdoc/>
    public override Module Build(LayerSpec s) => new InstanceNorm2d(s.Int("numFeatures"), s.Double("eps"), s.Double("momentum"), s.Bool("affine"), s.Bool("trackRunningStats"));
}
