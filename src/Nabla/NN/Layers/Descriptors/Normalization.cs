namespace Nabla.NN;

/// <summary>Shared arguments and rules of the normalisation layers.</summary>
/// <remarks>
/// Note [Parameters and buffers]: BatchNorm's running_mean and running_var are non-trainable buffers (2·C);
/// the int64 counter num_batches_tracked is bookkeeping, not a statistic, and is not counted (as Keras).
/// </remarks>
internal static class NormRules
{
    public static readonly ArgDef[] BatchNormArgs =
    [
        new("numFeatures", ArgKind.Int, null, true), new("eps", ArgKind.Double, 1e-5), new("momentum", ArgKind.Double, 0.1),
        new("affine", ArgKind.Bool, true), new("trackRunningStats", ArgKind.Bool, true),
    ];

    public static LayerFacts BatchNorm(LayerSpec s, Shape x, bool two)
    {
        int c = s.Int("numFeatures");
        bool ok = (two ? x.Rank == 4 : x.Rank is 2 or 3) && x[1] == c;
        if (!ok)
        {
            throw new ModelShapeException($"expects {(two ? "(C, H, W)" : "(C) or (C, L)")} input with C = {c} but its input has shape {new Shape(x.ToArray()[1..])}");
        }

        return new(x, s.Bool("affine") ? 2L * c : 0, s.Bool("trackRunningStats") ? 2L * c : 0, 0);
    }

    public static string Formula(string over, bool train) =>
        $"y = γ·(x − mean)/√(var + ε) + β over {over}, {(train ? "batch statistics" : "running statistics")}";

    public static LayerSpec Describe(LayerDescriptor d, BatchNormBase b) =>
        d.SpecOf(("numFeatures", b.NumFeatures), ("eps", b.Eps), ("momentum", b.Momentum), ("affine", b.Weight is not null), ("trackRunningStats", b.RunningMean is not null));
}

/// <summary><c>nn.BatchNorm2d</c>.</summary>
public sealed class BatchNorm2dDescriptor() : LayerDescriptor<BatchNorm2d>(NormRules.BatchNormArgs)
{
    /// <inheritdoc/>
    public override IReadOnlyList<LayerExample> Examples =>
    [
        new(LayerSpec.Of("BatchNorm2d", ("numFeatures", 3), ("eps", 1e-3), ("momentum", 0.2)), new Shape(3, 4, 5)),
        new(LayerSpec.Of("BatchNorm2d", ("numFeatures", 2), ("affine", false), ("trackRunningStats", false)), new Shape(2, 3, 3)),
    ];

    /// <inheritdoc/>
    public override Module Build(LayerSpec s) => new BatchNorm2d(s.Int("numFeatures"), s.Double("eps"), s.Double("momentum"), s.Bool("affine"), s.Bool("trackRunningStats"));

    /// <inheritdoc/>
    public override LayerFacts Analyze(LayerSpec spec, Shape input) => NormRules.BatchNorm(spec, input, two: true);

    /// <inheritdoc/>
    public override string Formula(LayerSpec spec, Module layer, bool train) => NormRules.Formula("the batch, per channel", train);

    /// <inheritdoc/>
    protected override LayerSpec Describe(BatchNorm2d b) => NormRules.Describe(this, b);
}

/// <summary><c>nn.BatchNorm1d</c>.</summary>
public sealed class BatchNorm1dDescriptor() : LayerDescriptor<BatchNorm1d>(NormRules.BatchNormArgs)
{
    /// <inheritdoc/>
    public override IReadOnlyList<LayerExample> Examples =>
        [new(LayerSpec.Of("BatchNorm1d", ("numFeatures", 3), ("momentum", 0.3)), new Shape(3)), new(LayerSpec.Of("BatchNorm1d", ("numFeatures", 2)), new Shape(2, 5))];

    /// <inheritdoc/>
    public override Module Build(LayerSpec s) => new BatchNorm1d(s.Int("numFeatures"), s.Double("eps"), s.Double("momentum"), s.Bool("affine"), s.Bool("trackRunningStats"));

    /// <inheritdoc/>
    public override LayerFacts Analyze(LayerSpec spec, Shape input) => NormRules.BatchNorm(spec, input, two: false);

    /// <inheritdoc/>
    public override string Formula(LayerSpec spec, Module layer, bool train) => NormRules.Formula("the batch, per channel", train);

    /// <inheritdoc/>
    protected override LayerSpec Describe(BatchNorm1d b) => NormRules.Describe(this, b);
}

/// <summary><c>nn.LayerNorm</c>.</summary>
public sealed class LayerNormDescriptor() : LayerDescriptor<LayerNorm>(
    [new("normalizedShape", ArgKind.IntList, null, true), new("eps", ArgKind.Double, 1e-5), new("elementwiseAffine", ArgKind.Bool, true), new("bias", ArgKind.Bool, true)])
{
    /// <inheritdoc/>
    public override IReadOnlyList<LayerExample> Examples =>
    [
        new(LayerSpec.Of("LayerNorm", ("normalizedShape", new[] { 3, 4 }), ("eps", 1e-6)), new Shape(2, 3, 4)),
        new(LayerSpec.Of("LayerNorm", ("normalizedShape", 5), ("bias", false)), new Shape(3, 5)),
        new(LayerSpec.Of("LayerNorm", ("normalizedShape", 4), ("elementwiseAffine", false)), new Shape(4)),
    ];

    /// <inheritdoc/>
    public override Module Build(LayerSpec s) => new LayerNorm(new Shape(s.IntList("normalizedShape")), s.Double("eps"), s.Bool("elementwiseAffine"), s.Bool("bias"));

    /// <inheritdoc/>
    public override LayerFacts Analyze(LayerSpec s, Shape x)
    {
        var ns = s.IntList("normalizedShape");
        var dims = x.ToArray();
        if (dims.Length < ns.Length || !dims.AsSpan(dims.Length - ns.Length).SequenceEqual(ns))
        {
            throw new ModelShapeException($"normalizes trailing dimensions [{string.Join(", ", ns)}] but its input has shape {PerSample(x)}");
        }

        long n = ns.Aggregate(1L, (p, d) => p * d);
        return new(x, s.Bool("elementwiseAffine") ? n * (s.Bool("bias") ? 2 : 1) : 0, 0, 0);
    }

    /// <inheritdoc/>
    public override string Formula(LayerSpec spec, Module layer, bool train) =>
        $"y = γ·(x − mean)/√(var + ε) + β over the last dims [{string.Join(", ", spec.IntList("normalizedShape"))}], per sample";

    /// <inheritdoc/>
    protected override LayerSpec Describe(LayerNorm n) =>
        SpecOf(("normalizedShape", n.NormalizedShape.ToArray()), ("eps", n.Eps), ("elementwiseAffine", n.Weight is not null), ("bias", n.Weight is null || n.Bias is not null));
}

/// <summary><c>nn.GroupNorm</c>.</summary>
public sealed class GroupNormDescriptor() : LayerDescriptor<GroupNorm>(
    [new("numGroups", ArgKind.Int, null, true), new("numChannels", ArgKind.Int, null, true), new("eps", ArgKind.Double, 1e-5), new("affine", ArgKind.Bool, true)])
{
    /// <inheritdoc/>
    public override IReadOnlyList<LayerExample> Examples =>
        [new(LayerSpec.Of("GroupNorm", ("numGroups", 2), ("numChannels", 4), ("eps", 1e-4)), new Shape(4, 3, 3)), new(LayerSpec.Of("GroupNorm", ("numGroups", 3), ("numChannels", 3), ("affine", false)), new Shape(3, 5))];

    /// <inheritdoc/>
    public override Module Build(LayerSpec s) => new GroupNorm(s.Int("numGroups"), s.Int("numChannels"), s.Double("eps"), s.Bool("affine"));

    /// <inheritdoc/>
    public override LayerFacts Analyze(LayerSpec s, Shape x)
    {
        int c = s.Int("numChannels");
        if (x.Rank < 2 || x[1] != c)
        {
            throw new ModelShapeException($"expects {c} channels but its input has shape {PerSample(x)}");
        }

        return new(x, s.Bool("affine") ? 2L * c : 0, 0, 0);
    }

    /// <inheritdoc/>
    public override string Formula(LayerSpec spec, Module layer, bool train) =>
        $"y = γ·(x − mean)/√(var + ε) + β over {spec.Int("numGroups")} groups of channels, per sample";

    /// <inheritdoc/>
    protected override LayerSpec Describe(GroupNorm g) => SpecOf(("numGroups", g.NumGroups), ("numChannels", g.NumChannels), ("eps", g.Eps), ("affine", g.Weight is not null));
}
