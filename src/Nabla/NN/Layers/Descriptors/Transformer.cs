namespace Nabla.NN;

/// <summary>
/// <c>nn.TransformerEncoderLayer</c> on a sequence (L, E) per sample, without masks (a model file's layers take one
/// input). Parameters: 4E² + 2EF + 9E + F with biases (4E² + 2EF + 2E without). MACs per sample:
/// L·(4E² + 2EF) for the projections and the feed-forward, plus 2L²E for the scores QKᵀ and the weighted values;
/// per position (the row's MACs per step) 4E² + 2EF + 2LE (Note [Transformer MACs] in <see cref="TransformerFigures"/>).
/// </summary>
public sealed class TransformerEncoderLayerDescriptor() : LayerDescriptor<TransformerEncoderLayer>(TransformerArgs.Layer)
{
    /// <inheritdoc/>
    public override IReadOnlyList<LayerExample> Examples =>
    [
        new(LayerSpec.Of("TransformerEncoderLayer", ("dModel", 8), ("nhead", 2), ("dimFeedforward", 16), ("batchFirst", true), ("normFirst", true), ("activation", "gelu")), new Shape(5, 8)),
        new(LayerSpec.Of("TransformerEncoderLayer", ("dModel", 6), ("nhead", 3), ("dimFeedforward", 4), ("bias", false), ("layerNormEps", 1e-3), ("dropout", 0.0)), new Shape(4, 6)),
    ];

    /// <inheritdoc/>
    public override Module Build(LayerSpec s) =>
        new TransformerEncoderLayer(s.Int("dModel"), s.Int("nhead"), s.Int("dimFeedforward"), s.Double("dropout"), s.Str("activation"),
            s.Double("layerNormEps"), s.Bool("batchFirst"), s.Bool("normFirst"), s.Bool("bias"));

    /// <inheritdoc/>
    public override LayerFacts Analyze(LayerSpec s, Shape x)
    {
        long e = s.Int("dModel"), f = s.Int("dimFeedforward");
        TransformerArgs.RequireSequence(x, e, "a sequence");
        long l = x[1], macs = TransformerFigures.EncoderLayerMacs(l, e, f);
        return new(x, TransformerFigures.EncoderLayerParams(e, f, s.Bool("bias")), 0, x[0] * macs, MacsPerStep: macs / l);
    }

    /// <inheritdoc/>
    public override string Formula(LayerSpec spec, Module layer, bool train) => spec.Bool("normFirst")
        ? "y = x + SA(LN1(x)), then y + FF(LN2(y)); SA = softmax(QKᵀ/√d)V over " + spec.Int("nhead") + " heads"
        : "y = LN1(x + SA(x)), then LN2(y + FF(y)); SA = softmax(QKᵀ/√d)V over " + spec.Int("nhead") + " heads";

    /// <inheritdoc/>
    protected override LayerSpec Describe(TransformerEncoderLayer m) => TransformerArgs.Describe(this, m);
}

/// <summary><c>nn.TransformerEncoder</c>: <c>numLayers</c> copies of <c>encoderLayer</c>, then an optional <c>norm</c>.</summary>
public sealed class TransformerEncoderDescriptor() : ContainerDescriptor<TransformerEncoder>([new("numLayers", ArgKind.Int, null, true)], "encoderLayer", "norm")
{
    /// <inheritdoc/>
    public override IReadOnlyList<LayerExample> Examples =>
    [
        new(new LayerSpec("TransformerEncoder", new Dictionary<string, object> { ["numLayers"] = 2 })
        {
            Branches =
            [
                new("encoderLayer", LayerSpec.Of("TransformerEncoderLayer", ("dModel", 8), ("nhead", 2), ("dimFeedforward", 12), ("batchFirst", true))),
                new("norm", LayerSpec.Of("LayerNorm", ("normalizedShape", 8))),
            ],
        }, new Shape(3, 8)),
    ];

    /// <inheritdoc/>
    public override Module Build(LayerSpec s)
    {
        var layer = BuildBlock(s, "encoderLayer") as TransformerEncoderLayer ?? throw new ModelShapeException("a TransformerEncoder needs 'encoderLayer:', a TransformerEncoderLayer");
        var norm = BuildBlock(s, "norm");
        return new TransformerEncoder(layer, s.Int("numLayers"), norm is null ? null : norm as LayerNorm ?? throw new ModelShapeException("its 'norm:' must be a LayerNorm"));
    }

    /// <inheritdoc/>
    public override LayerSpec Expand(LayerSpec s)
    {
        var layer = s.Block("encoderLayer") ?? throw new ModelShapeException("a TransformerEncoder needs 'encoderLayer:', a TransformerEncoderLayer");
        CheckExpansion("numLayers", s.Int("numLayers"), 1);
        var layers = LayerSpec.Sequential([.. Enumerable.Range(0, s.Int("numLayers")).Select(_ => layer with { Key = null })]).As("layers");
        return s.Block("norm") is { } norm ? LayerSpec.Inline(layers, norm.As("norm")) : LayerSpec.Inline(layers);
    }

    /// <inheritdoc/>
    public override string Formula(LayerSpec spec, Module layer, bool train) =>
        $"y = {spec.Int("numLayers")} encoder layers in turn" + (spec.Block("norm") is null ? string.Empty : ", then a LayerNorm");

    /// <inheritdoc/>
    protected override LayerSpec Describe(TransformerEncoder m)
    {
        var blocks = new List<KeyValuePair<string, LayerSpec>> { new("encoderLayer", LayerRegistry.Describe(m.Layers[0])) };
        if (m.Norm is { } norm)
        {
            blocks.Add(new("norm", LayerRegistry.Describe(norm)));
        }

        return SpecOf(("numLayers", m.NumLayers)) with { Branches = blocks };
    }
}

/// <summary>The sinusoidal positional encoding (a fixed buffer <c>pe</c> of (maxLen, 1, dModel), dropout after the sum).</summary>
public sealed class PositionalEncodingDescriptor() : LayerDescriptor<PositionalEncoding>(
    [new("dModel", ArgKind.Int, null, true), new("dropout", ArgKind.Double, 0.1), new("maxLen", ArgKind.Int, 5000), new("batchFirst", ArgKind.Bool, false)])
{
    /// <inheritdoc/>
    public override IReadOnlyList<LayerExample> Examples =>
        [new(LayerSpec.Of("PositionalEncoding", ("dModel", 6), ("maxLen", 10), ("batchFirst", true), ("dropout", 0.2)), new Shape(7, 6))];

    /// <inheritdoc/>
    public override Module Build(LayerSpec s) => new PositionalEncoding(s.Int("dModel"), s.Double("dropout"), s.Int("maxLen"), s.Bool("batchFirst"));

    /// <inheritdoc/>
    public override LayerFacts Analyze(LayerSpec s, Shape x) =>
        x[-1] == s.Int("dModel") ? new(x, 0, (long)s.Int("maxLen") * s.Int("dModel"), 0)
            : throw new ModelShapeException($"expects {s.Int("dModel")} features (last dimension) but its input has shape {PerSample(x)}");

    /// <inheritdoc/>
    public override string Formula(LayerSpec spec, Module layer, bool train) => "y = x + PE[pos], PE[pos, 2i] = sin(pos/10000^(2i/d)), PE[pos, 2i+1] = cos(pos/10000^(2i/d))";

    /// <inheritdoc/>
    protected override LayerSpec Describe(PositionalEncoding m) =>
        SpecOf(("dModel", m.DModel), ("dropout", ((Dropout)m.NamedChildren().First(c => c.Name == "dropout").Module).P), ("maxLen", m.MaxLen), ("batchFirst", m.BatchFirst));
}

/// <summary>A learned vector per position added to the sequence (<c>weight</c> of (maxLen, dModel); GPT's <c>wpe</c>).</summary>
public sealed class LearnedPositionalEmbeddingDescriptor() : LayerDescriptor<LearnedPositionalEmbedding>(
    [new("maxLen", ArgKind.Int, null, true), new("dModel", ArgKind.Int, null, true), new("batchFirst", ArgKind.Bool, false)])
{
    /// <inheritdoc/>
    public override IReadOnlyList<LayerExample> Examples => [new(LayerSpec.Of("LearnedPositionalEmbedding", ("maxLen", 9), ("dModel", 4), ("batchFirst", true)), new Shape(5, 4))];

    /// <inheritdoc/>
    public override Module Build(LayerSpec s) => new LearnedPositionalEmbedding(s.Int("maxLen"), s.Int("dModel"), s.Bool("batchFirst"));

    /// <inheritdoc/>
    public override LayerFacts Analyze(LayerSpec s, Shape x) =>
        x[-1] == s.Int("dModel") ? new(x, (long)s.Int("maxLen") * s.Int("dModel"), 0, 0)
            : throw new ModelShapeException($"expects {s.Int("dModel")} features (last dimension) but its input has shape {PerSample(x)}");

    /// <inheritdoc/>
    public override string Formula(LayerSpec spec, Module layer, bool train) => "y = x + W[pos], W learned";

    /// <inheritdoc/>
    protected override LayerSpec Describe(LearnedPositionalEmbedding m) => SpecOf(("maxLen", m.MaxLen), ("dModel", m.DModel), ("batchFirst", m.BatchFirst));
}
