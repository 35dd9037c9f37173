namespace Nabla.NN;

/// <summary>
/// The Transformer's figures in one place: parameters and multiply-accumulates of an encoder and a decoder layer
/// (PyTorch's <c>nn.TransformerEncoderLayer</c>, <c>nn.TransformerDecoderLayer</c>; E = d_model, F = dim_feedforward,
/// attention with kdim = vdim = E).
/// </summary>
/// <remarks>
/// Note [Transformer MACs]: per sample, a target of T positions and a memory of S positions.
/// <list type="bullet">
/// <item>Self-attention: the in-projection 3·T·E², the scores QKᵀ T·T·E (over all heads: h·T·T·(E/h)), the weighted
/// values T·T·E, the out-projection T·E²: 4TE² + 2T²E. The T² term is the scores and the weighted values.</item>
/// <item>Attention to the memory (decoder): the query projection T·E², key and value projections 2·S·E², scores and
/// weighted values 2·T·S·E, out-projection T·E²: 2TE² + 2SE² + 2TSE.</item>
/// <item>Feed-forward: 2·T·E·F.</item>
/// </list>
/// Encoder layer: T(4E² + 2EF) + 2T²E, per position 4E² + 2EF + 2TE. Decoder layer: T(6E² + 2EF) + 2SE² + 2T²E + 2TSE,
/// per position with S = T: 8E² + 2EF + 4TE. Softmax, scaling, masks, norms, biases and residual additions are left out
/// (Note [MAC convention]). Parameters (biases on): self-attention 4E² + 4E, each feed-forward linear EF + F or FE + E,
/// each norm 2E: encoder 4E² + 2EF + 9E + F, decoder 8E² + 2EF + 15E + F; without biases 4E² + 2EF + 2E and 8E² + 2EF + 3E
/// (the norms keep their weight).
/// </remarks>
public static class TransformerFigures
{
    /// <summary>Parameters of an encoder layer.</summary>
    public static long EncoderLayerParams(long e, long f, bool bias) => (4 * e * e) + (2 * e * f) + (bias ? (9 * e) + f : 2 * e);

    /// <summary>Parameters of a decoder layer.</summary>
    public static long DecoderLayerParams(long e, long f, bool bias) => (8 * e * e) + (2 * e * f) + (bias ? (15 * e) + f : 3 * e);

    /// <summary>MACs of an encoder layer on a sequence of <paramref name="t"/> positions.</summary>
    public static long EncoderLayerMacs(long t, long e, long f) => (t * ((4 * e * e) + (2 * e * f))) + (2 * t * t * e);

    /// <summary>MACs of a decoder layer on a target of <paramref name="t"/> positions and a memory of <paramref name="s"/>.</summary>
    public static long DecoderLayerMacs(long t, long s, long e, long f) => (t * ((6 * e * e) + (2 * e * f))) + (2 * s * e * e) + (2 * t * t * e) + (2 * t * s * e);
}

/// <summary>
/// <c>nn.TransformerDecoderLayer</c> in model files and summaries. It takes two inputs, the target and the encoder's
/// memory, and a model file's layers take one: the file describes it (built, written back, summarised), and the
/// built module is run in code with <c>Forward(tgt, memory, ...)</c>; the file's single-input chain refuses to run it.
/// The summary's input is the target (T, E) and takes the memory as long as the target (S = T; Note [Transformer MACs]
/// gives the figures for any S).
/// </summary>
public sealed class TransformerDecoderLayerDescriptor() : LayerDescriptor<TransformerDecoderLayer>(TransformerArgs.Layer)
{
    /// <inheritdoc/>
    public override IReadOnlyList<LayerExample> Examples =>
    [
        new(LayerSpec.Of("TransformerDecoderLayer", ("dModel", 8), ("nhead", 2), ("dimFeedforward", 16), ("batchFirst", true), ("normFirst", true), ("activation", "gelu")), new Shape(5, 8)),
        new(LayerSpec.Of("TransformerDecoderLayer", ("dModel", 6), ("nhead", 3), ("dimFeedforward", 4), ("bias", false), ("layerNormEps", 1e-3), ("dropout", 0.0)), new Shape(4, 6)),
    ];

    /// <inheritdoc/>
    public override Module Build(LayerSpec s) =>
        new TransformerDecoderLayer(s.Int("dModel"), s.Int("nhead"), s.Int("dimFeedforward"), s.Double("dropout"), s.Str("activation"),
            s.Double("layerNormEps"), s.Bool("batchFirst"), s.Bool("normFirst"), s.Bool("bias"));

    /// <inheritdoc/>
    public override LayerFacts Analyze(LayerSpec s, Shape x)
    {
        long e = s.Int("dModel"), f = s.Int("dimFeedforward");
        TransformerArgs.RequireSequence(x, e, "a target sequence");
        long t = x[1], macs = TransformerFigures.DecoderLayerMacs(t, t, e, f);
        return new(x, TransformerFigures.DecoderLayerParams(e, f, s.Bool("bias")), 0, x[0] * macs, MacsPerStep: macs / t);
    }

    /// <inheritdoc/>
    public override string Formula(LayerSpec spec, Module layer, bool train) => spec.Bool("normFirst")
        ? $"y = x + SA(LN1(x)), y = y + MHA(LN2(y), memory), then y + FF(LN3(y)); attention softmax(QKᵀ/√d)V over {spec.Int("nhead")} heads"
        : $"y = LN1(x + SA(x)), y = LN2(y + MHA(y, memory)), then LN3(y + FF(y)); attention softmax(QKᵀ/√d)V over {spec.Int("nhead")} heads";

    /// <inheritdoc/>
    protected override LayerSpec Describe(TransformerDecoderLayer m) => TransformerArgs.Describe(this, m);
}

/// <summary><c>nn.TransformerDecoder</c>: <c>numLayers</c> copies of <c>decoderLayer</c>, then an optional <c>norm</c> (two inputs, as its layer).</summary>
public sealed class TransformerDecoderDescriptor() : ContainerDescriptor<TransformerDecoder>([new("numLayers", ArgKind.Int, null, true)], "decoderLayer", "norm")
{
    /// <inheritdoc/>
    public override IReadOnlyList<LayerExample> Examples =>
    [
        new(new LayerSpec("TransformerDecoder", new Dictionary<string, object> { ["numLayers"] = 2 })
        {
            Branches =
            [
                new("decoderLayer", LayerSpec.Of("TransformerDecoderLayer", ("dModel", 8), ("nhead", 2), ("dimFeedforward", 12), ("batchFirst", true))),
                new("norm", LayerSpec.Of("LayerNorm", ("normalizedShape", 8))),
            ],
        }, new Shape(3, 8)),
    ];

    /// <inheritdoc/>
    public override Module Build(LayerSpec s)
    {
        var layer = BuildBlock(s, "decoderLayer") as TransformerDecoderLayer ?? throw new ModelShapeException("a TransformerDecoder needs 'decoderLayer:', a TransformerDecoderLayer");
        var norm = BuildBlock(s, "norm");
        return new TransformerDecoder(layer, s.Int("numLayers"), norm is null ? null : norm as LayerNorm ?? throw new ModelShapeException("its 'norm:' must be a LayerNorm"));
    }

    /// <inheritdoc/>
    public override LayerSpec Expand(LayerSpec s)
    {
        var layer = s.Block("decoderLayer") ?? throw new ModelShapeException("a TransformerDecoder needs 'decoderLayer:', a TransformerDecoderLayer");
        CheckExpansion("numLayers", s.Int("numLayers"), 1);
        var layers = LayerSpec.Sequential([.. Enumerable.Range(0, s.Int("numLayers")).Select(_ => layer with { Key = null })]).As("layers");
        return s.Block("norm") is { } norm ? LayerSpec.Inline(layers, norm.As("norm")) : LayerSpec.Inline(layers);
    }

    /// <inheritdoc/>
    public override string Formula(LayerSpec spec, Module layer, bool train) =>
        $"y = {spec.Int("numLayers")} decoder layers in turn, each attending to the same memory" + (spec.Block("norm") is null ? string.Empty : ", then a LayerNorm");

    /// <inheritdoc/>
    protected override LayerSpec Describe(TransformerDecoder m)
    {
        var blocks = new List<KeyValuePair<string, LayerSpec>> { new("decoderLayer", LayerRegistry.Describe(m.Layers[0])) };
        if (m.Norm is { } norm)
        {
            blocks.Add(new("norm", LayerRegistry.Describe(norm)));
        }

        return SpecOf(("numLayers", m.NumLayers)) with { Branches = blocks };
    }
}

/// <summary>
/// <c>nn.Transformer</c> with PyTorch's arguments and defaults (the base model of the paper: 44,140,544 parameters);
/// a custom encoder or decoder is not a model-file argument, and a module built with one that differs from what the
/// arguments build is described as opaque (summarised from its tensors, refused by the writer). Two inputs, as the
/// decoder: the summary's input shape is taken for the source and the target alike (S = T).
/// </summary>
public sealed class TransformerDescriptor() : ContainerDescriptor<Transformer>(
[
    new("dModel", ArgKind.Int, 512), new("nhead", ArgKind.Int, 8), new("numEncoderLayers", ArgKind.Int, 6), new("numDecoderLayers", ArgKind.Int, 6),
    new("dimFeedforward", ArgKind.Int, 2048), new("dropout", ArgKind.Double, 0.1), new("activation", ArgKind.String, "relu"),
    new("layerNormEps", ArgKind.Double, 1e-5), new("batchFirst", ArgKind.Bool, false), new("normFirst", ArgKind.Bool, false), new("bias", ArgKind.Bool, true),
])
{
    private static readonly string[] LayerArgs = ["dModel", "nhead", "dimFeedforward", "dropout", "activation", "layerNormEps", "batchFirst", "normFirst", "bias"];

    /// <inheritdoc/>
    public override IReadOnlyList<LayerExample> Examples =>
    [
        new(LayerSpec.Of("Transformer", ("dModel", 8), ("nhead", 2), ("numEncoderLayers", 2), ("numDecoderLayers", 1), ("dimFeedforward", 12), ("batchFirst", true)), new Shape(4, 8)),
        new(LayerSpec.Of("Transformer", ("dModel", 6), ("nhead", 3), ("numEncoderLayers", 1), ("numDecoderLayers", 2), ("dimFeedforward", 4), ("bias", false), ("normFirst", true), ("activation", "gelu")), new Shape(3, 6)),
    ];

    /// <inheritdoc/>
    public override Module Build(LayerSpec s) =>
        new Transformer(s.Int("dModel"), s.Int("nhead"), s.Int("numEncoderLayers"), s.Int("numDecoderLayers"), s.Int("dimFeedforward"), s.Double("dropout"),
            s.Str("activation"), layerNormEps: s.Double("layerNormEps"), batchFirst: s.Bool("batchFirst"), normFirst: s.Bool("normFirst"), bias: s.Bool("bias"));

    /// <inheritdoc/>
    /// <remarks>memory = encoder(src) flows into the decoder, which stands for the target of the same shape (S = T).</remarks>
    public override LayerSpec Expand(LayerSpec s)
    {
        var layerArgs = LayerArgs.Select(a => (a, s.Arg(a))).ToArray();
        var norm = LayerRegistry.Find("LayerNorm")!.SpecOf(("normalizedShape", new[] { s.Int("dModel") }), ("eps", s.Double("layerNormEps")), ("bias", s.Bool("bias")));
        LayerSpec Stack(string type, string layerKey, string count) => new LayerSpec(type, new Dictionary<string, object> { ["numLayers"] = s.Int(count) })
        {
            Branches = [new(layerKey, LayerRegistry.Find(type + "Layer")!.SpecOf(layerArgs)), new("norm", norm)],
        };

        return LayerSpec.Inline(
            Stack("TransformerEncoder", "encoderLayer", "numEncoderLayers").As("encoder"), Stack("TransformerDecoder", "decoderLayer", "numDecoderLayers").As("decoder"));
    }

    /// <inheritdoc/>
    public override string Formula(LayerSpec spec, Module layer, bool train) =>
        $"y = decoder(tgt, memory), memory = encoder(src): {spec.Int("numEncoderLayers")} encoder and {spec.Int("numDecoderLayers")} decoder layers, each stack ending in a LayerNorm";

    /// <inheritdoc/>
    protected override LayerSpec Describe(Transformer m)
    {
        var first = (TransformerLayerBase?)(m.Encoder.Layers.Count > 0 ? m.Encoder.Layers[0] : m.Decoder.Layers.Count > 0 ? m.Decoder.Layers[0] : null);
        if (first is null)
        {
            return new LayerSpec(m.TypeName) { Opaque = m };
        }

        var spec = SpecOf(("dModel", m.DModel), ("nhead", m.NHead), ("numEncoderLayers", m.Encoder.NumLayers), ("numDecoderLayers", m.Decoder.NumLayers),
            ("dimFeedforward", first.DimFeedforward), ("dropout", first.DropoutP), ("activation", first.ActivationName), ("layerNormEps", first.LayerNormEps),
            ("batchFirst", m.BatchFirst), ("normFirst", first.NormFirst), ("bias", first.HasBias));

        // A custom encoder or decoder that the arguments do not rebuild is described as what it is, not as the standard model.
        var expected = Expand(spec);
        bool standard = Same(LayerRegistry.Describe(m.Encoder), expected.Layers[0]) && Same(LayerRegistry.Describe(m.Decoder), expected.Layers[1]);
        return standard ? spec : new LayerSpec(m.TypeName) { Opaque = m };
    }

    private static bool Same(LayerSpec a, LayerSpec b) =>
        a.Type == b.Type && a.Args.Count == b.Args.Count && a.Args.All(kv => b.Args.TryGetValue(kv.Key, out var v) && Equal(kv.Value, v))
        && a.Branches.Count == b.Branches.Count && a.Branches.Zip(b.Branches).All(p => p.First.Key == p.Second.Key && Same(p.First.Value, p.Second.Value));

    private static bool Equal(object x, object y) => x is int[] a && y is int[] b ? a.SequenceEqual(b) : Equals(x, y);
}

/// <summary>The arguments and the description shared by the encoder and decoder layers' descriptors.</summary>
internal static class TransformerArgs
{
    public static readonly ArgDef[] Layer =
    [
        new("dModel", ArgKind.Int, null, true), new("nhead", ArgKind.Int, null, true), new("dimFeedforward", ArgKind.Int, 2048),
        new("dropout", ArgKind.Double, 0.1), new("activation", ArgKind.String, "relu"), new("layerNormEps", ArgKind.Double, 1e-5),
        new("batchFirst", ArgKind.Bool, false), new("normFirst", ArgKind.Bool, false), new("bias", ArgKind.Bool, true),
    ];

    public static LayerSpec Describe(LayerDescriptor d, TransformerLayerBase m) =>
        d.SpecOf(("dModel", m.DModel), ("nhead", m.NHead), ("dimFeedforward", m.DimFeedforward), ("dropout", m.DropoutP), ("activation", m.ActivationName),
            ("layerNormEps", m.LayerNormEps), ("batchFirst", m.BatchFirst), ("normFirst", m.NormFirst), ("bias", m.HasBias));

    /// <summary>Refuses an input that is not a sequence (L, E) per sample.</summary>
    public static void RequireSequence(Shape x, long e, string what)
    {
        if (x.Rank != 3 || x[2] != e)
        {
            throw new ModelShapeException($"expects {what} of shape (L, {e}) but its input has shape {new Shape(x.ToArray()[1..])}");
        }
    }
}
