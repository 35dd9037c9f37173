namespace Nabla.NN;

/// <summary>
/// <c>nn.RNN</c>, <c>nn.LSTM</c> and <c>nn.GRU</c>: G gate blocks of hiddenSize rows (1, 4, 3). Summaries take a
/// per-sample input (L, inputSize); parameters and MACs come from the arguments alone.
/// </summary>
/// <typeparam name="TModule">The layer class.</typeparam>
public abstract class RecurrentDescriptor<TModule>(int gates, params ArgDef[] extra) : LayerDescriptor<TModule>([.. Common, .. extra])
    where TModule : RNNBase
{
    private static readonly ArgDef[] Common =
    [
        new("inputSize", ArgKind.Int, null, true), new("hiddenSize", ArgKind.Int, null, true), new("numLayers", ArgKind.Int, 1),
        new("bias", ArgKind.Bool, true), new("batchFirst", ArgKind.Bool, false), new("dropout", ArgKind.Double, 0.0),
        new("bidirectional", ArgKind.Bool, false),
    ];

    /// <summary>The gate count G.</summary>
    public int Gates => gates;

    /// <inheritdoc/>
    public override IReadOnlyList<LayerExample> Examples =>
    [
        new(LayerSpec.Of(Name, ("inputSize", 3), ("hiddenSize", 4), ("numLayers", 2), ("bidirectional", true), ("batchFirst", true), ("dropout", 0.5)), new Shape(5, 3)),
        new(LayerSpec.Of(Name, ("inputSize", 2), ("hiddenSize", 3), ("bias", false)), new Shape(4, 2)),
    ];

    /// <inheritdoc/>
    public override LayerFacts Analyze(LayerSpec s, Shape x)
    {
        int inputSize = s.Int("inputSize"), hidden = s.Int("hiddenSize"), layers = s.Int("numLayers");
        if (x.Rank != 3 || x[2] != inputSize)
        {
            throw new ModelShapeException($"expects a sequence of shape (L, {inputSize}) but its input has shape {PerSample(x)}");
        }

        int dirs = s.Bool("bidirectional") ? 2 : 1;
        long parameters = 0, perStep = 0;
        for (int l = 0; l < layers; l++)
        {
            long inL = l == 0 ? inputSize : (long)hidden * dirs;
            long gh = (long)gates * hidden;
            parameters += dirs * ((gh * inL) + (gh * hidden) + (s.Bool("bias") ? 2 * gh : 0));
            perStep += dirs * gh * (inL + hidden);
        }

        return new(x.With(2, hidden * dirs), parameters, 0, perStep * x[1], RfRule.Keep, null, perStep);
    }

    /// <inheritdoc/>
    public override string Formula(LayerSpec spec, Module layer, bool train) =>
        $"h_t = {Name} cell(x_t, h_(t−1)) over the sequence, {gates} gate block{(gates == 1 ? string.Empty : "s")} of {spec.Int("hiddenSize")} units, {spec.Int("numLayers")} layer{(spec.Int("numLayers") == 1 ? string.Empty : "s")}";

    /// <summary>The arguments every recurrent layer has, read from <paramref name="m"/>.</summary>
    protected (string, object?)[] CommonArgs(RNNBase m) =>
        [("inputSize", m.InputSize), ("hiddenSize", m.HiddenSize), ("numLayers", m.NumLayers), ("bias", m.Bias), ("batchFirst", m.BatchFirst),
            ("dropout", m.Dropout), ("bidirectional", m.Bidirectional)];
}

/// <summary><c>nn.RNN</c> (tanh or relu).</summary>
public sealed class RNNDescriptor() : RecurrentDescriptor<RNN>(1, new ArgDef("nonlinearity", ArgKind.String, "tanh"))
{
    /// <inheritdoc/>
    public override Module Build(LayerSpec s) =>
        new RNN(s.Int("inputSize"), s.Int("hiddenSize"), s.Int("numLayers"), s.Str("nonlinearity"), s.Bool("bias"), s.Bool("batchFirst"), s.Double("dropout"), s.Bool("bidirectional"));

    /// <inheritdoc/>
    protected override LayerSpec Describe(RNN m) => SpecOf([.. CommonArgs(m), ("nonlinearity", m.Nonlinearity)]);
}

/// <summary><c>nn.LSTM</c>.</summary>
public sealed class LSTMDescriptor() : RecurrentDescriptor<LSTM>(4)
{
    /// <inheritdoc/>
    public override Module Build(LayerSpec s) =>
        new LSTM(s.Int("inputSize"), s.Int("hiddenSize"), s.Int("numLayers"), s.Bool("bias"), s.Bool("batchFirst"), s.Double("dropout"), s.Bool("bidirectional"));

    /// <inheritdoc/>
    protected override LayerSpec Describe(LSTM m) => SpecOf(CommonArgs(m));
}

/// <summary><c>nn.GRU</c>.</summary>
public sealed class GRUDescriptor() : RecurrentDescriptor<GRU>(3)
{
    /// <inheritdoc/>
    public override Module Build(LayerSpec s) =>
        new GRU(s.Int("inputSize"), s.Int("hiddenSize"), s.Int("numLayers"), s.Bool("bias"), s.Bool("batchFirst"), s.Double("dropout"), s.Bool("bidirectional"));

    /// <inheritdoc/>
    protected override LayerSpec Describe(GRU m) => SpecOf(CommonArgs(m));
}
