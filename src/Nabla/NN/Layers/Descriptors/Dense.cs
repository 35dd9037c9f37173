namespace Nabla.NN;

/// <summary><c>nn.Linear</c>: y = x·Wᵀ + b over the last dimension.</summary>
public sealed class LinearDescriptor() : LayerDescriptor<Linear>(
    [new("inFeatures", ArgKind.Int, null, true), new("outFeatures", ArgKind.Int, null, true), new("bias", ArgKind.Bool, true)])
{
    /// <inheritdoc/>
    public override IReadOnlyList<LayerExample> Examples =>
        [new(LayerSpec.Of("Linear", ("inFeatures", 5), ("outFeatures", 3)), new Shape(5)), new(LayerSpec.Of("Linear", ("inFeatures", 4), ("outFeatures", 2), ("bias", false)), new Shape(3, 4))];

    /// <inheritdoc/>
    public override Module Build(LayerSpec s) => new Linear(s.Int("inFeatures"), s.Int("outFeatures"), s.Bool("bias"));

    /// <inheritdoc/>
    public override LayerFacts Analyze(LayerSpec s, Shape x)
    {
        int inF = s.Int("inFeatures"), outF = s.Int("outFeatures");
        if (x[-1] != inF)
        {
            string hint = x.Rank > 2 ? " (add a Flatten before it?)" : string.Empty;
            throw new ModelShapeException($"expects {inF} input features (last dimension) but its input has shape {PerSample(x)}{hint}");
        }

        long positions = x.Numel / inF;
        return new(x.WithLastDim(outF), ((long)inF * outF) + (s.Bool("bias") ? outF : 0), 0, positions * inF * outF, RfRule.Dense);
    }

    /// <inheritdoc/>
    public override string Formula(LayerSpec spec, Module layer, bool train) =>
        (layer.NamedParameters(recurse: false).Any(p => p.Name == "bias") ? "y = W·x + b" : "y = W·x") + $", W [{spec.Int("outFeatures")}, {spec.Int("inFeatures")}]";

    /// <inheritdoc/>
    protected override LayerSpec Describe(Linear l) => SpecOf(("inFeatures", l.InFeatures), ("outFeatures", l.OutFeatures), ("bias", l.Bias is not null));
}

/// <summary><c>nn.Embedding</c>: row lookup of integer indices.</summary>
public sealed class EmbeddingDescriptor() : LayerDescriptor<Embedding>(
    [new("numEmbeddings", ArgKind.Int, null, true), new("embeddingDim", ArgKind.Int, null, true), new("paddingIdx", ArgKind.OptionalInt, null)])
{
    /// <inheritdoc/>
    public override IReadOnlyList<LayerExample> Examples => [new(LayerSpec.Of("Embedding", ("numEmbeddings", 10), ("embeddingDim", 3), ("paddingIdx", 0)), new Shape(4), IndexBound: 10)];

    /// <inheritdoc/>
    public override Module Build(LayerSpec s) => new Embedding(s.Int("numEmbeddings"), s.Int("embeddingDim"), s.OptionalInt("paddingIdx"));

    /// <inheritdoc/>
    public override LayerFacts Analyze(LayerSpec s, Shape x) =>
        new(new Shape([.. x.ToArray(), s.Int("embeddingDim")]), (long)s.Int("numEmbeddings") * s.Int("embeddingDim"), 0, 0);

    /// <inheritdoc/>
    public override string Formula(LayerSpec spec, Module layer, bool train) => $"y = W[x], the row of W [{spec.Int("numEmbeddings")}, {spec.Int("embeddingDim")}] for each index";

    /// <inheritdoc/>
    protected override LayerSpec Describe(Embedding e) => SpecOf(("numEmbeddings", e.NumEmbeddings), ("embeddingDim", e.EmbeddingDim), ("paddingIdx", e.PaddingIdx));
}
