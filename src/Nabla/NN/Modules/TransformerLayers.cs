namespace Nabla.NN;

/// <summary>
/// What the encoder and decoder layers of a Transformer share (PyTorch's <c>nn.TransformerEncoderLayer</c> and
/// <c>nn.TransformerDecoderLayer</c>): the settings, the position-wise feed-forward block
/// ff(x) = dropout₂(linear2(dropout(activation(linear1(x))))) and the layer's own checks.
/// </summary>
public abstract class TransformerLayerBase : Module
{
    private readonly Module activation;

    /// <summary>Checks and stores the settings; the derived layer registers its modules in PyTorch's order.</summary>
    private protected TransformerLayerBase(int dModel, int nhead, int dimFeedforward, double dropout, string activation, double layerNormEps,
        bool batchFirst, bool normFirst, bool bias, Generator? generator, DType dtype)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(dModel);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(nhead);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(dimFeedforward);
        ArgumentNullException.ThrowIfNull(activation);
        this.activation = activation switch
        {
            "relu" => new ReLU(),
            "gelu" => new GELU(),
            _ => throw new ArgumentException($"{GetType().Name}: activation should be relu/gelu, not {activation}", nameof(activation)),
        };
        (DModel, NHead, DimFeedforward, DropoutP, ActivationName, LayerNormEps) = (dModel, nhead, dimFeedforward, F.CheckProbability(dropout), activation, layerNormEps);
        (BatchFirst, NormFirst, HasBias, InitGenerator, ParamDType) = (batchFirst, normFirst, bias, generator, dtype);
    }

    /// <summary>Features of every position (d_model).</summary>
    public int DModel { get; }

    /// <summary>Number of attention heads (nhead).</summary>
    public int NHead { get; }

    /// <summary>Hidden features of the feed-forward block (dim_feedforward).</summary>
    public int DimFeedforward { get; }

    /// <summary>Dropout probability, used on the attention weights, after the activation and on every residual branch.</summary>
    public double DropoutP { get; }

    /// <summary>"relu" or "gelu" (the exact, erf form).</summary>
    public string ActivationName { get; }

    /// <summary>ε of the layer norms.</summary>
    public double LayerNormEps { get; }

    /// <summary>Whether batched inputs are (N, L, E) rather than (L, N, E).</summary>
    public bool BatchFirst { get; }

    /// <summary>Pre-norm (x + f(norm(x))) rather than post-norm (norm(x + f(x))).</summary>
    public bool NormFirst { get; }

    /// <summary>Whether the linear layers and the layer norms have biases.</summary>
    public bool HasBias { get; }

    /// <summary>The generator the layer was built with (initialisation and dropout); clones share it.</summary>
    private protected Generator? InitGenerator { get; }

    /// <summary>The dtype the layer was built with.</summary>
    private protected DType ParamDType { get; }

    /// <summary>linear1: d_model → dim_feedforward.</summary>
    public Linear Linear1 { get; private protected set; } = null!;

    /// <summary>linear2: dim_feedforward → d_model.</summary>
    public Linear Linear2 { get; private protected set; } = null!;

    private protected Dropout FfDropout { get; set; } = null!;

    /// <summary>The dropout on the last residual branch (dropout2 in an encoder layer, dropout3 in a decoder layer).</summary>
    private protected Dropout FfOutDropout { get; set; } = null!;

    /// <summary>A new layer with the same settings and copies of this one's parameters (PyTorch's deepcopy in _get_clones).</summary>
    internal abstract TransformerLayerBase CloneLayer();

    /// <summary>Copies this layer's parameters and training mode into <paramref name="clone"/>.</summary>
    private protected T CopyInto<T>(T clone)
        where T : TransformerLayerBase
    {
        clone.LoadStateDict(StateDict());
        clone.Train(IsTraining);
        return clone;
    }

    private protected Linear NewLinear(int inFeatures, int outFeatures) => new(inFeatures, outFeatures, HasBias, InitGenerator, ParamDType);

    private protected LayerNorm NewNorm() => new(new Shape(DModel), LayerNormEps, bias: HasBias, dtype: ParamDType);

    private protected MultiheadAttention NewAttention() => new(DModel, NHead, DropoutP, HasBias, batchFirst: BatchFirst, generator: InitGenerator, dtype: ParamDType);

    private protected Dropout NewDropout() => new(DropoutP, InitGenerator);

    /// <summary>The feed-forward block, dropout included: dropout(linear2(dropout(activation(linear1(x))))).</summary>
    private protected Tensor FeedForward(Tensor x) => FfOutDropout.Forward(Linear2.Forward(FfDropout.Forward(activation.Forward(Linear1.Forward(x)))));

    /// <summary>Throws unless <paramref name="x"/> is (L, N, E), (N, L, E) or (L, E) with E = d_model.</summary>
    private protected void CheckSequence(Tensor x, string name)
    {
        ArgumentNullException.ThrowIfNull(x, name);
        if (x.Rank is not (2 or 3) || x.Shape[-1] != DModel)
        {
            string batched = BatchFirst ? "(N, L, " : "(L, N, ";
            throw new ArgumentException($"{TypeName}: expected {name} of shape {batched}{DModel}) or (L, {DModel}), got {x.Shape}");
        }
    }

    /// <inheritdoc/>
    public override Shape OutputShape(Shape input)
    {
        if (input.Rank is not (2 or 3) || input[-1] != DModel)
        {
            throw new ArgumentException($"{TypeName}: expected input of shape (*, L, {DModel}), got {input}");
        }

        return input;
    }

    /// <inheritdoc/>
    public override string ExtraRepr() =>
        $"dModel={DModel}, nhead={NHead}, dimFeedforward={DimFeedforward}, dropout={DropoutP}, activation={ActivationName}, batchFirst={BatchFirst}, normFirst={NormFirst}";
}

/// <summary>
/// One Transformer encoder layer (PyTorch's <c>nn.TransformerEncoderLayer</c>, Vaswani et al. 2017): self-attention,
/// then a position-wise feed-forward block, each with a residual connection and a layer norm.
/// </summary>
/// <remarks>
/// <code>
/// post-norm (default):  x = norm1(x + sa(x));        x = norm2(x + ff(x))
/// pre-norm (normFirst): x = x + sa(norm1(x));        x = x + ff(norm2(x))
/// sa(x) = dropout1(self_attn(x, x, x)),  ff(x) = dropout2(linear2(dropout(activation(linear1(x)))))
/// </code>
/// State-dict names as PyTorch: <c>self_attn.in_proj_weight</c> (3E, E), <c>self_attn.in_proj_bias</c> (3E),
/// <c>self_attn.out_proj.weight</c> (E, E), <c>self_attn.out_proj.bias</c>, <c>linear1.weight</c> (F, E),
/// <c>linear1.bias</c>, <c>linear2.weight</c> (E, F), <c>linear2.bias</c>, <c>norm1.weight</c>, <c>norm1.bias</c>,
/// <c>norm2.weight</c>, <c>norm2.bias</c> (no biases with <c>bias: false</c>). Dropout acts in training mode only.
/// </remarks>
public sealed class TransformerEncoderLayer : TransformerLayerBase
{
    /// <summary>Creates the layer with PyTorch's defaults.</summary>
    /// <param name="dModel">Features of every position (d_model); divisible by <paramref name="nhead"/>.</param>
    /// <param name="nhead">Attention heads.</param>
    /// <param name="dimFeedforward">Hidden features of the feed-forward block.</param>
    /// <param name="dropout">Dropout probability (attention weights, after the activation, residual branches).</param>
    /// <param name="activation">"relu" or "gelu".</param>
    /// <param name="layerNormEps">ε of the layer norms.</param>
    /// <param name="batchFirst">Batched inputs are (N, L, E) rather than (L, N, E).</param>
    /// <param name="normFirst">Pre-norm rather than post-norm.</param>
    /// <param name="bias">Biases in the linear layers, the attention and the layer norms.</param>
    /// <param name="generator">Initialisation and dropout draws (<see cref="Generator.Current"/> when null).</param>
    /// <param name="dtype">Parameter dtype.</param>
    public TransformerEncoderLayer(int dModel, int nhead, int dimFeedforward = 2048, double dropout = 0.1, string activation = "relu",
        double layerNormEps = 1e-5, bool batchFirst = false, bool normFirst = false, bool bias = true, Generator? generator = null, DType dtype = DType.Float32)
        : base(dModel, nhead, dimFeedforward, dropout, activation, layerNormEps, batchFirst, normFirst, bias, generator, dtype)
    {
        // Registration order = PyTorch's attribute order, so that state dicts list the same keys in the same order.
        SelfAttn = RegisterModule("self_attn", NewAttention());
        Linear1 = RegisterModule("linear1", NewLinear(dModel, dimFeedforward));
        FfDropout = RegisterModule("dropout", NewDropout());
        Linear2 = RegisterModule("linear2", NewLinear(dimFeedforward, dModel));
        Norm1 = RegisterModule("norm1", NewNorm());
        Norm2 = RegisterModule("norm2", NewNorm());
        Dropout1 = RegisterModule("dropout1", NewDropout());
        FfOutDropout = RegisterModule("dropout2", NewDropout());
    }

    /// <summary>The self-attention.</summary>
    public MultiheadAttention SelfAttn { get; }

    /// <summary>The norm around the attention block.</summary>
    public LayerNorm Norm1 { get; }

    /// <summary>The norm around the feed-forward block.</summary>
    public LayerNorm Norm2 { get; }

    private Dropout Dropout1 { get; }

    /// <summary>The layer without masks.</summary>
    public override Tensor Forward(Tensor input) => Forward(input, null, null, false);

    /// <summary>Runs the layer.</summary>
    /// <param name="src">(L, N, E), (N, L, E) with batchFirst, or (L, E).</param>
    /// <param name="srcMask">(L, L) or (N·nhead, L, L): Bool, true = not allowed to attend; or float, added to the logits.</param>
    /// <param name="srcKeyPaddingMask">(N, L) or (L): Bool, true = padding; or float, added.</param>
    /// <param name="isCausal">A hint that <paramref name="srcMask"/> is the causal mask (requires it, as PyTorch).</param>
    /// <returns>The same shape as <paramref name="src"/>.</returns>
    public Tensor Forward(Tensor src, Tensor? srcMask = null, Tensor? srcKeyPaddingMask = null, bool isCausal = false)
    {
        CheckSequence(src, "src");
        var x = src;
        if (NormFirst)
        {
            x = x + SelfAttention(Norm1.Forward(x), srcMask, srcKeyPaddingMask, isCausal);
            return x + FeedForward(Norm2.Forward(x));
        }

        x = Norm1.Forward(x + SelfAttention(x, srcMask, srcKeyPaddingMask, isCausal));
        return Norm2.Forward(x + FeedForward(x));
    }

    private Tensor SelfAttention(Tensor x, Tensor? mask, Tensor? keyPaddingMask, bool isCausal) =>
        Dropout1.Forward(SelfAttn.Forward(x, x, x, keyPaddingMask, needWeights: false, attnMask: mask, isCausal: isCausal).Output);

    internal override TransformerLayerBase CloneLayer() =>
        CopyInto(new TransformerEncoderLayer(DModel, NHead, DimFeedforward, DropoutP, ActivationName, LayerNormEps, BatchFirst, NormFirst, HasBias, InitGenerator, Linear1.Weight.DType));
}

/// <summary>
/// One Transformer decoder layer (PyTorch's <c>nn.TransformerDecoderLayer</c>): self-attention over the target,
/// attention from the target to the encoder's output (memory), then the feed-forward block; each with a residual
/// connection and a layer norm.
/// </summary>
/// <remarks>
/// <code>
/// post-norm: x = norm1(x + sa(x));  x = norm2(x + mha(x, mem));  x = norm3(x + ff(x))
/// pre-norm:  x = x + sa(norm1(x));  x = x + mha(norm2(x), mem);  x = x + ff(norm3(x))
/// sa(x) = dropout1(self_attn(x, x, x)),  mha(x, m) = dropout2(multihead_attn(x, m, m)),  ff as in the encoder with dropout3
/// </code>
/// State-dict names as PyTorch: <c>self_attn.*</c>, <c>multihead_attn.*</c> (as <see cref="MultiheadAttention"/>),
/// <c>linear1.*</c>, <c>linear2.*</c>, <c>norm1.*</c>, <c>norm2.*</c>, <c>norm3.*</c>.
/// </remarks>
public sealed class TransformerDecoderLayer : TransformerLayerBase
{
    /// <summary>Creates the layer with PyTorch's defaults (the arguments as <see cref="TransformerEncoderLayer"/>'s).</summary>
    public TransformerDecoderLayer(int dModel, int nhead, int dimFeedforward = 2048, double dropout = 0.1, string activation = "relu",
        double layerNormEps = 1e-5, bool batchFirst = false, bool normFirst = false, bool bias = true, Generator? generator = null, DType dtype = DType.Float32)
        : base(dModel, nhead, dimFeedforward, dropout, activation, layerNormEps, batchFirst, normFirst, bias, generator, dtype)
    {
        SelfAttn = RegisterModule("self_attn", NewAttention());
        MultiheadAttn = RegisterModule("multihead_attn", NewAttention());
        Linear1 = RegisterModule("linear1", NewLinear(dModel, dimFeedforward));
        FfDropout = RegisterModule("dropout", NewDropout());
        Linear2 = RegisterModule("linear2", NewLinear(dimFeedforward, dModel));
        Norm1 = RegisterModule("norm1", NewNorm());
        Norm2 = RegisterModule("norm2", NewNorm());
        Norm3 = RegisterModule("norm3", NewNorm());
        Dropout1 = RegisterModule("dropout1", NewDropout());
        Dropout2 = RegisterModule("dropout2", NewDropout());
        FfOutDropout = RegisterModule("dropout3", NewDropout());
    }

    /// <summary>The self-attention over the target.</summary>
    public MultiheadAttention SelfAttn { get; }

    /// <summary>The attention from the target to the memory.</summary>
    public MultiheadAttention MultiheadAttn { get; }

    /// <summary>The norm around the self-attention block.</summary>
    public LayerNorm Norm1 { get; }

    /// <summary>The norm around the memory-attention block.</summary>
    public LayerNorm Norm2 { get; }

    /// <summary>The norm around the feed-forward block.</summary>
    public LayerNorm Norm3 { get; }

    private Dropout Dropout1 { get; }

    private Dropout Dropout2 { get; }

    /// <summary>Refused: a decoder layer needs the memory as well.</summary>
    /// <exception cref="NotSupportedException">Always; call <see cref="Forward(Tensor, Tensor, Tensor?, Tensor?, Tensor?, Tensor?, bool, bool)"/>.</exception>
    public override Tensor Forward(Tensor input) =>
        throw new NotSupportedException($"{TypeName} needs the memory too: call Forward(tgt, memory, ...)");

    /// <summary>Runs the layer.</summary>
    /// <param name="tgt">(T, N, E), (N, T, E) with batchFirst, or (T, E).</param>
    /// <param name="memory">The encoder's output: (S, N, E), (N, S, E) or (S, E).</param>
    /// <param name="tgtMask">(T, T) or (N·nhead, T, T) for the self-attention (Bool: true = not allowed; or float, added).</param>
    /// <param name="memoryMask">(T, S) or (N·nhead, T, S) for the memory attention.</param>
    /// <param name="tgtKeyPaddingMask">(N, T): true = padding.</param>
    /// <param name="memoryKeyPaddingMask">(N, S): true = padding.</param>
    /// <param name="tgtIsCausal">A hint that <paramref name="tgtMask"/> is the causal mask.</param>
    /// <param name="memoryIsCausal">A hint that <paramref name="memoryMask"/> is the causal mask.</param>
    /// <returns>The same shape as <paramref name="tgt"/>.</returns>
    public Tensor Forward(Tensor tgt, Tensor memory, Tensor? tgtMask = null, Tensor? memoryMask = null, Tensor? tgtKeyPaddingMask = null,
        Tensor? memoryKeyPaddingMask = null, bool tgtIsCausal = false, bool memoryIsCausal = false)
    {
        CheckSequence(tgt, "tgt");
        CheckSequence(memory, "memory");
        var x = tgt;
        if (NormFirst)
        {
            x = x + SelfAttention(Norm1.Forward(x), tgtMask, tgtKeyPaddingMask, tgtIsCausal);
            x = x + MemoryAttention(Norm2.Forward(x), memory, memoryMask, memoryKeyPaddingMask, memoryIsCausal);
            return x + FeedForward(Norm3.Forward(x));
        }

        x = Norm1.Forward(x + SelfAttention(x, tgtMask, tgtKeyPaddingMask, tgtIsCausal));
        x = Norm2.Forward(x + MemoryAttention(x, memory, memoryMask, memoryKeyPaddingMask, memoryIsCausal));
        return Norm3.Forward(x + FeedForward(x));
    }

    private Tensor SelfAttention(Tensor x, Tensor? mask, Tensor? keyPaddingMask, bool isCausal) =>
        Dropout1.Forward(SelfAttn.Forward(x, x, x, keyPaddingMask, needWeights: false, attnMask: mask, isCausal: isCausal).Output);

    private Tensor MemoryAttention(Tensor x, Tensor memory, Tensor? mask, Tensor? keyPaddingMask, bool isCausal) =>
        Dropout2.Forward(MultiheadAttn.Forward(x, memory, memory, keyPaddingMask, needWeights: false, attnMask: mask, isCausal: isCausal).Output);

    internal override TransformerLayerBase CloneLayer() =>
        CopyInto(new TransformerDecoderLayer(DModel, NHead, DimFeedforward, DropoutP, ActivationName, LayerNormEps, BatchFirst, NormFirst, HasBias, InitGenerator, Linear1.Weight.DType));
}
