namespace Nabla.NN;

/// <summary>
/// A stack of <see cref="TransformerEncoderLayer"/>s and an optional final norm (PyTorch's <c>nn.TransformerEncoder</c>).
/// </summary>
/// <remarks>
/// As PyTorch, the layers are copies of <c>encoderLayer</c> (same settings, same initial parameters, separate storage;
/// the given layer itself is not part of the stack). State-dict names: <c>layers.0.self_attn.in_proj_weight</c>, …,
/// <c>layers.{numLayers−1}.norm2.bias</c>, and <c>norm.weight</c>, <c>norm.bias</c> when a norm is given.
/// PyTorch's inference fast path (nested tensors, which returns 0 at padded positions in evaluation without
/// gradients) has no counterpart: padded positions always get the regular values, as in PyTorch's training path.
/// </remarks>
public sealed class TransformerEncoder : Module
{
    /// <summary>Creates the stack.</summary>
    /// <param name="encoderLayer">The layer to copy <paramref name="numLayers"/> times.</param>
    /// <param name="numLayers">Number of layers.</param>
    /// <param name="norm">Applied to the last layer's output when not null (registered as is, as PyTorch).</param>
    public TransformerEncoder(TransformerEncoderLayer encoderLayer, int numLayers, LayerNorm? norm = null)
    {
        ArgumentNullException.ThrowIfNull(encoderLayer);
        ArgumentOutOfRangeException.ThrowIfNegative(numLayers);
        Layers = RegisterModule("layers", new ModuleList());
        for (int i = 0; i < numLayers; i++)
        {
            Layers.Add(encoderLayer.CloneLayer());
        }

        (NumLayers, DModel) = (numLayers, encoderLayer.DModel);
        Norm = norm is null ? null : RegisterModule("norm", norm);
    }

    /// <summary>The layers (each a <see cref="TransformerEncoderLayer"/>).</summary>
    public ModuleList Layers { get; }

    /// <summary>Number of layers.</summary>
    public int NumLayers { get; }

    /// <summary>Features of every position.</summary>
    public int DModel { get; }

    /// <summary>The final norm, or null.</summary>
    public LayerNorm? Norm { get; }

    /// <summary>The stack without masks.</summary>
    public override Tensor Forward(Tensor input) => Forward(input, null, null, false);

    /// <summary>Runs every layer with the same masks, then the norm.</summary>
    /// <param name="src">(L, N, E), (N, L, E) with batchFirst, or (L, E).</param>
    /// <param name="mask">The self-attention mask, as <see cref="TransformerEncoderLayer.Forward(Tensor, Tensor?, Tensor?, bool)"/>'s srcMask.</param>
    /// <param name="srcKeyPaddingMask">(N, L): true = padding.</param>
    /// <param name="isCausal">A hint that <paramref name="mask"/> is the causal mask.</param>
    public Tensor Forward(Tensor src, Tensor? mask = null, Tensor? srcKeyPaddingMask = null, bool isCausal = false)
    {
        ArgumentNullException.ThrowIfNull(src);
        var x = src;
        for (int i = 0; i < Layers.Count; i++)
        {
            x = ((TransformerEncoderLayer)Layers[i]).Forward(x, mask, srcKeyPaddingMask, isCausal);
        }

        return Norm is null ? x : Norm.Forward(x);
    }

    /// <inheritdoc/>
    public override Shape OutputShape(Shape input) =>
        input.Rank is 2 or 3 && input[-1] == DModel ? input : throw new ArgumentException($"{TypeName}: expected input of shape (*, L, {DModel}), got {input}");

    /// <inheritdoc/>
    public override string ExtraRepr() => $"numLayers={NumLayers}";
}

/// <summary>
/// A stack of <see cref="TransformerDecoderLayer"/>s and an optional final norm (PyTorch's <c>nn.TransformerDecoder</c>).
/// </summary>
/// <remarks>
/// The layers are copies of <c>decoderLayer</c>, as in <see cref="TransformerEncoder"/>. State-dict names:
/// <c>layers.0.self_attn.in_proj_weight</c>, <c>layers.0.multihead_attn.*</c>, …, <c>norm.weight</c>, <c>norm.bias</c>.
/// </remarks>
public sealed class TransformerDecoder : Module
{
    /// <summary>Creates the stack.</summary>
    /// <param name="decoderLayer">The layer to copy <paramref name="numLayers"/> times.</param>
    /// <param name="numLayers">Number of layers.</param>
    /// <param name="norm">Applied to the last layer's output when not null.</param>
    public TransformerDecoder(TransformerDecoderLayer decoderLayer, int numLayers, LayerNorm? norm = null)
    {
        ArgumentNullException.ThrowIfNull(decoderLayer);
        ArgumentOutOfRangeException.ThrowIfNegative(numLayers);
        Layers = RegisterModule("layers", new ModuleList());
        for (int i = 0; i < numLayers; i++)
        {
            Layers.Add(decoderLayer.CloneLayer());
        }

        (NumLayers, DModel) = (numLayers, decoderLayer.DModel);
        Norm = norm is null ? null : RegisterModule("norm", norm);
    }

    /// <summary>The layers (each a <see cref="TransformerDecoderLayer"/>).</summary>
    public ModuleList Layers { get; }

    /// <summary>Number of layers.</summary>
    public int NumLayers { get; }

    /// <summary>Features of every position.</summary>
    public int DModel { get; }

    /// <summary>The final norm, or null.</summary>
    public LayerNorm? Norm { get; }

    /// <summary>Refused: a decoder needs the memory as well.</summary>
    /// <exception cref="NotSupportedException">Always.</exception>
    public override Tensor Forward(Tensor input) =>
        throw new NotSupportedException($"{TypeName} needs the memory too: call Forward(tgt, memory, ...)");

    /// <summary>Runs every layer with the same memory and masks, then the norm (arguments as
    /// <see cref="TransformerDecoderLayer.Forward(Tensor, Tensor, Tensor?, Tensor?, Tensor?, Tensor?, bool, bool)"/>'s).</summary>
    public Tensor Forward(Tensor tgt, Tensor memory, Tensor? tgtMask = null, Tensor? memoryMask = null, Tensor? tgtKeyPaddingMask = null,
        Tensor? memoryKeyPaddingMask = null, bool tgtIsCausal = false, bool memoryIsCausal = false)
    {
        ArgumentNullException.ThrowIfNull(tgt);
        var x = tgt;
        for (int i = 0; i < Layers.Count; i++)
        {
            x = ((TransformerDecoderLayer)Layers[i]).Forward(x, memory, tgtMask, memoryMask, tgtKeyPaddingMask, memoryKeyPaddingMask, tgtIsCausal, memoryIsCausal);
        }

        return Norm is null ? x : Norm.Forward(x);
    }

    /// <inheritdoc/>
    public override Shape OutputShape(Shape input) =>
        input.Rank is 2 or 3 && input[-1] == DModel ? input : throw new ArgumentException($"{TypeName}: expected input of shape (*, T, {DModel}), got {input}");

    /// <inheritdoc/>
    public override string ExtraRepr() => $"numLayers={NumLayers}";
}

/// <summary>
/// The encoder-decoder Transformer (PyTorch's <c>nn.Transformer</c>, Vaswani et al. 2017):
/// memory = encoder(src), out = decoder(tgt, memory), both stacks ending in a layer norm.
/// </summary>
/// <remarks>
/// State-dict names as PyTorch: <c>encoder.layers.{i}.*</c>, <c>encoder.norm.*</c>, <c>decoder.layers.{i}.*</c>,
/// <c>decoder.norm.*</c>. As PyTorch, every parameter with two or more dimensions is re-initialised Xavier-uniform
/// after construction (custom encoders and decoders included); biases and norms keep their initial values.
/// There are no embeddings or output projection: inputs are already (·, d_model) vectors.
/// </remarks>
public sealed class Transformer : Module
{
    /// <summary>Creates the model with PyTorch's defaults (the base model of the paper).</summary>
    /// <param name="dModel">Features of every position.</param>
    /// <param name="nhead">Attention heads.</param>
    /// <param name="numEncoderLayers">Encoder layers (unused with <paramref name="customEncoder"/>).</param>
    /// <param name="numDecoderLayers">Decoder layers (unused with <paramref name="customDecoder"/>).</param>
    /// <param name="dimFeedforward">Hidden features of the feed-forward blocks.</param>
    /// <param name="dropout">Dropout probability.</param>
    /// <param name="activation">"relu" or "gelu".</param>
    /// <param name="customEncoder">An encoder to use instead of building one.</param>
    /// <param name="customDecoder">A decoder to use instead of building one.</param>
    /// <param name="layerNormEps">ε of every layer norm.</param>
    /// <param name="batchFirst">Batched inputs are (N, L, E) rather than (L, N, E).</param>
    /// <param name="normFirst">Pre-norm layers.</param>
    /// <param name="bias">Biases in linear layers, attention and layer norms.</param>
    /// <param name="generator">Initialisation and dropout draws.</param>
    /// <param name="dtype">Parameter dtype.</param>
    public Transformer(int dModel = 512, int nhead = 8, int numEncoderLayers = 6, int numDecoderLayers = 6, int dimFeedforward = 2048,
        double dropout = 0.1, string activation = "relu", TransformerEncoder? customEncoder = null, TransformerDecoder? customDecoder = null,
        double layerNormEps = 1e-5, bool batchFirst = false, bool normFirst = false, bool bias = true, Generator? generator = null, DType dtype = DType.Float32)
    {
        var norm = () => new LayerNorm(new Shape(dModel), layerNormEps, bias: bias, dtype: dtype);
        Encoder = RegisterModule("encoder", customEncoder ?? new TransformerEncoder(
            new TransformerEncoderLayer(dModel, nhead, dimFeedforward, dropout, activation, layerNormEps, batchFirst, normFirst, bias, generator, dtype),
            numEncoderLayers, norm()));
        Decoder = RegisterModule("decoder", customDecoder ?? new TransformerDecoder(
            new TransformerDecoderLayer(dModel, nhead, dimFeedforward, dropout, activation, layerNormEps, batchFirst, normFirst, bias, generator, dtype),
            numDecoderLayers, norm()));
        (DModel, NHead, BatchFirst) = (dModel, nhead, batchFirst);
        using (GradMode.NoGrad())
        {
            foreach (var p in Parameters().Where(p => p.Rank > 1))
            {
                p.CopyInPlace(Init.XavierUniform(p.Shape, generator: generator, dtype: p.DType));
            }
        }
    }

    /// <summary>The encoder.</summary>
    public TransformerEncoder Encoder { get; }

    /// <summary>The decoder.</summary>
    public TransformerDecoder Decoder { get; }

    /// <summary>Features of every position.</summary>
    public int DModel { get; }

    /// <summary>Attention heads.</summary>
    public int NHead { get; }

    /// <summary>Whether batched inputs are (N, L, E).</summary>
    public bool BatchFirst { get; }

    /// <summary>
    /// The causal mask (PyTorch's <c>Transformer.generate_square_subsequent_mask</c>): a float (sz, sz) matrix with −∞
    /// above the diagonal (position i may not attend to j &gt; i) and 0 on and below it.
    /// </summary>
    public static Tensor GenerateSquareSubsequentMask(int sz, DType dtype = DType.Float32)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(sz);
        var m = new double[sz * sz];
        for (int i = 0; i < sz; i++)
        {
            for (int j = i + 1; j < sz; j++)
            {
                m[(i * sz) + j] = double.NegativeInfinity;
            }
        }

        return Tensor.FromArray(m, new Shape(sz, sz)).To(dtype);
    }

    /// <summary>Refused: the Transformer takes a source and a target.</summary>
    /// <exception cref="NotSupportedException">Always.</exception>
    public override Tensor Forward(Tensor input) =>
        throw new NotSupportedException($"{TypeName} takes a source and a target: call Forward(src, tgt, ...)");

    /// <summary>memory = encoder(src), then decoder(tgt, memory).</summary>
    /// <param name="src">(S, N, E), (N, S, E) with batchFirst, or (S, E).</param>
    /// <param name="tgt">(T, N, E), (N, T, E) or (T, E).</param>
    /// <param name="srcMask">(S, S) or (N·nhead, S, S): the encoder's self-attention mask.</param>
    /// <param name="tgtMask">(T, T) or (N·nhead, T, T): the decoder's self-attention mask (usually the causal one).</param>
    /// <param name="memoryMask">(T, S) or (N·nhead, T, S): the decoder's memory-attention mask.</param>
    /// <param name="srcKeyPaddingMask">(N, S): true = padding.</param>
    /// <param name="tgtKeyPaddingMask">(N, T): true = padding.</param>
    /// <param name="memoryKeyPaddingMask">(N, S): true = padding.</param>
    /// <param name="srcIsCausal">Hint: <paramref name="srcMask"/> is causal.</param>
    /// <param name="tgtIsCausal">Hint: <paramref name="tgtMask"/> is causal.</param>
    /// <param name="memoryIsCausal">Hint: <paramref name="memoryMask"/> is causal.</param>
    /// <returns>(T, N, E), (N, T, E) or (T, E).</returns>
    public Tensor Forward(Tensor src, Tensor tgt, Tensor? srcMask = null, Tensor? tgtMask = null, Tensor? memoryMask = null,
        Tensor? srcKeyPaddingMask = null, Tensor? tgtKeyPaddingMask = null, Tensor? memoryKeyPaddingMask = null,
        bool srcIsCausal = false, bool tgtIsCausal = false, bool memoryIsCausal = false)
    {
        ArgumentNullException.ThrowIfNull(src);
        ArgumentNullException.ThrowIfNull(tgt);
        int batchDim = BatchFirst ? 0 : 1;
        if (src.Rank == 3 && (tgt.Rank != 3 || src.Shape[batchDim] != tgt.Shape[batchDim]))
        {
            throw new ArgumentException($"Transformer: the batch number of src and tgt must be equal, got {src.Shape} and {tgt.Shape}");
        }

        if (src.Shape[-1] != DModel || tgt.Shape[-1] != DModel)
        {
            throw new ArgumentException($"Transformer: the feature number of src and tgt must be equal to d_model ({DModel}), got {src.Shape} and {tgt.Shape}");
        }

        var memory = Encoder.Forward(src, srcMask, srcKeyPaddingMask, srcIsCausal);
        return Decoder.Forward(tgt, memory, tgtMask, memoryMask, tgtKeyPaddingMask, memoryKeyPaddingMask, tgtIsCausal, memoryIsCausal);
    }

    /// <inheritdoc/>
    public override Shape OutputShape(Shape input) => Decoder.OutputShape(input);

    /// <inheritdoc/>
    public override string ExtraRepr() => $"dModel={DModel}, nhead={NHead}, batchFirst={BatchFirst}";
}
