namespace Nabla.NN;

/// <summary>
/// Batch normalisation over the channel dimension (PyTorch's <c>_BatchNorm</c>): learnable γ (<c>weight</c>, ones)
/// and β (<c>bias</c>, zeros) when affine; buffers <c>running_mean</c> (zeros), <c>running_var</c> (ones) and
/// <c>num_batches_tracked</c> when tracking running statistics. Buffers are not trainable.
/// </summary>
public abstract class BatchNormBase : Module
{
    private readonly int[] ranks;

    /// <summary>Creates the layer for inputs of the given ranks.</summary>
    protected BatchNormBase(int numFeatures, double eps, double momentum, bool affine, bool trackRunningStats, int[] ranks, DType dtype)
    {
        (NumFeatures, Eps, Momentum, this.ranks) = (numFeatures, eps, momentum, ranks);
        var c = new Shape(numFeatures);
        Weight = affine ? RegisterParameter("weight", Tensor.Ones(c, dtype)) : null;
        Bias = affine ? RegisterParameter("bias", Tensor.Zeros(c, dtype)) : null;
        if (trackRunningStats)
        {
            RunningMean = RegisterBuffer("running_mean", Tensor.Zeros(c, dtype));
            RunningVar = RegisterBuffer("running_var", Tensor.Ones(c, dtype));
            NumBatchesTracked = RegisterBuffer("num_batches_tracked", Tensor.Zeros(Shape.Scalar, DType.Int64));
        }
    }

    /// <summary>Number of channels C.</summary>
    public int NumFeatures { get; }

    /// <summary>ε added to the variance.</summary>
    public double Eps { get; }

    /// <summary>The running-average factor m.</summary>
    public double Momentum { get; }

    /// <summary>γ, or null without affine.</summary>
    public Tensor? Weight { get; }

    /// <summary>β, or null without affine.</summary>
    public Tensor? Bias { get; }

    /// <summary>Running mean buffer, or null.</summary>
    public Tensor? RunningMean { get; }

    /// <summary>Running (unbiased) variance buffer, or null.</summary>
    public Tensor? RunningVar { get; }

    /// <summary>Number of training batches seen, or null.</summary>
    public Tensor? NumBatchesTracked { get; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input)
    {
        CheckInput(input, null, ranks.Length == 1 ? $"(N, {NumFeatures}, H, W)" : $"(N, {NumFeatures}) or (N, {NumFeatures}, L)",
            s => ranks.Contains(s.Rank) && s[1] == NumFeatures);
        if (IsTraining && NumBatchesTracked is not null)
        {
            using (GradMode.NoGrad())
            {
                NumBatchesTracked.FillInPlace(NumBatchesTracked.Item() + 1);
            }
        }

        return F.BatchNorm(input, RunningMean, RunningVar, Weight, Bias, IsTraining || RunningMean is null, Momentum, Eps);
    }

    /// <inheritdoc/>
    public override Shape OutputShape(Shape input) => input;

    /// <inheritdoc/>
    public override string ExtraRepr() =>
        $"{NumFeatures}, eps={Eps}, momentum={Momentum}, affine={(Weight is not null ? "True" : "False")}, trackRunningStats={(RunningMean is not null ? "True" : "False")}";
}

/// <summary>Batch normalisation of (N, C) or (N, C, L) inputs.</summary>
public sealed class BatchNorm1d(int numFeatures, double eps = 1e-5, double momentum = 0.1, bool affine = true,
    bool trackRunningStats = true, DType dtype = DType.Float32)
    : BatchNormBase(numFeatures, eps, momentum, affine, trackRunningStats, [2, 3], dtype);

/// <summary>Batch normalisation of (N, C, H, W) inputs.</summary>
public sealed class BatchNorm2d(int numFeatures, double eps = 1e-5, double momentum = 0.1, bool affine = true,
    bool trackRunningStats = true, DType dtype = DType.Float32)
    : BatchNormBase(numFeatures, eps, momentum, affine, trackRunningStats, [4], dtype);

/// <summary>Layer normalisation over the trailing <c>normalizedShape</c>, with learnable γ, β of that shape.</summary>
public sealed class LayerNorm : Module
{
    /// <summary>Creates the layer.</summary>
    public LayerNorm(Shape normalizedShape, double eps = 1e-5, bool elementwiseAffine = true, bool bias = true, DType dtype = DType.Float32)
    {
        (NormalizedShape, Eps) = (normalizedShape, eps);
        Weight = elementwiseAffine ? RegisterParameter("weight", Tensor.Ones(normalizedShape, dtype)) : null;
        Bias = elementwiseAffine && bias ? RegisterParameter("bias", Tensor.Zeros(normalizedShape, dtype)) : null;
    }

    /// <summary>The normalised trailing shape.</summary>
    public Shape NormalizedShape { get; }

    /// <summary>ε.</summary>
    public double Eps { get; }

    /// <summary>γ or null.</summary>
    public Tensor? Weight { get; }

    /// <summary>β or null.</summary>
    public Tensor? Bias { get; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => F.LayerNorm(input, NormalizedShape, Weight, Bias, Eps);

    /// <inheritdoc/>
    public override Shape OutputShape(Shape input) => input;

    /// <inheritdoc/>
    public override string ExtraRepr() => $"{NormalizedShape}, eps={Eps}, elementwiseAffine={(Weight is not null ? "True" : "False")}";
}

/// <summary>Group normalisation with per-channel learnable γ, β.</summary>
public sealed class GroupNorm : Module
{
    /// <summary>Creates the layer.</summary>
    public GroupNorm(int numGroups, int numChannels, double eps = 1e-5, bool affine = true, DType dtype = DType.Float32)
    {
        if (numChannels % numGroups != 0)
        {
            throw new ArgumentException($"GroupNorm: numChannels {numChannels} must be divisible by numGroups {numGroups}");
        }

        (NumGroups, NumChannels, Eps) = (numGroups, numChannels, eps);
        Weight = affine ? RegisterParameter("weight", Tensor.Ones(new Shape(numChannels), dtype)) : null;
        Bias = affine ? RegisterParameter("bias", Tensor.Zeros(new Shape(numChannels), dtype)) : null;
    }

    /// <summary>G.</summary>
    public int NumGroups { get; }

    /// <summary>C.</summary>
    public int NumChannels { get; }

    /// <summary>ε.</summary>
    public double Eps { get; }

    /// <summary>γ or null.</summary>
    public Tensor? Weight { get; }

    /// <summary>β or null.</summary>
    public Tensor? Bias { get; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => F.GroupNorm(input, NumGroups, Weight, Bias, Eps);

    /// <inheritdoc/>
    public override Shape OutputShape(Shape input) => input;

    /// <inheritdoc/>
    public override string ExtraRepr() => $"{NumGroups}, {NumChannels}, eps={Eps}";
}

/// <summary>A lookup table of <c>numEmbeddings</c> vectors of size <c>embeddingDim</c>, initialised N(0, 1).</summary>
public sealed class Embedding : Module
{
    /// <summary>Creates the table; the row at <paramref name="paddingIdx"/> starts at zero and gets no gradient.</summary>
    public Embedding(int numEmbeddings, int embeddingDim, int? paddingIdx = null, Generator? generator = null, DType dtype = DType.Float32)
    {
        (NumEmbeddings, EmbeddingDim, PaddingIdx) = (numEmbeddings, embeddingDim, paddingIdx);
        var w = Tensor.Randn(new Shape(numEmbeddings, embeddingDim), generator, dtype);
        if (paddingIdx is int p)
        {
            w.Narrow(0, p, 1).ZeroInPlace();
        }

        Weight = RegisterParameter("weight", w);
    }

    /// <summary>Number of rows V.</summary>
    public int NumEmbeddings { get; }

    /// <summary>Vector size D.</summary>
    public int EmbeddingDim { get; }

    /// <summary>The padding row, or null.</summary>
    public int? PaddingIdx { get; }

    /// <summary>The table (V, D).</summary>
    public Tensor Weight { get; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => F.Embedding(input, Weight, PaddingIdx);

    /// <inheritdoc/>
    public override Shape OutputShape(Shape input) => new([.. input.ToArray(), EmbeddingDim]);

    /// <inheritdoc/>
    public override string ExtraRepr() => $"{NumEmbeddings}, {EmbeddingDim}" + (PaddingIdx is int p ? $", paddingIdx={p}" : string.Empty);
}
