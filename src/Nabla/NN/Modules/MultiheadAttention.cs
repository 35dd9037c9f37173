using Nabla.Ops;

namespace Nabla.NN;

/// <summary>
/// Multi-head attention (PyTorch's <c>nn.MultiheadAttention</c>): out = concat(head₁, …, head_h)·W_oᵀ + b_o with
/// headᵢ = softmax(qᵢ·kᵢᵀ/√d + mask)·vᵢ, where q, k, v are the projections of the query, key and value split into h
/// heads of d = embedDim/h features.
/// </summary>
/// <remarks>
/// Parameters with PyTorch's state-dict names: <c>in_proj_weight</c> (3E, E) when key and value have E features, else
/// <c>q_proj_weight</c> (E, E), <c>k_proj_weight</c> (E, kdim), <c>v_proj_weight</c> (E, vdim); <c>in_proj_bias</c> (3E);
/// <c>out_proj.weight</c>, <c>out_proj.bias</c>. Initialisation as PyTorch: Xavier-uniform projections, zero biases,
/// out_proj's weight as a <see cref="Linear"/> layer's. Inputs are (L, N, E) sequence-first, (N, L, E) with
/// <c>batchFirst</c>, or unbatched (L, E). Without weights requested the heads run the fused attention kernel
/// (<see cref="F.ScaledDotProductAttention"/>); with weights they run the composite softmax that returns them.
/// A query whose keys are all masked out gets 0 (PyTorch gives NaN there on the weights path).
/// </remarks>
public sealed class MultiheadAttention : Module
{
    private readonly Generator? generator;

    /// <summary>Creates the layer.</summary>
    /// <exception cref="NotSupportedException"><paramref name="addBiasKv"/> or <paramref name="addZeroAttn"/> (not implemented).</exception>
    public MultiheadAttention(int embedDim, int numHeads, double dropout = 0, bool bias = true, bool addBiasKv = false, bool addZeroAttn = false,
        int? kdim = null, int? vdim = null, bool batchFirst = false, Generator? generator = null, DType dtype = DType.Float32)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(embedDim);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(numHeads);
        if (embedDim % numHeads != 0)
        {
            throw new ArgumentException($"MultiheadAttention: embed_dim ({embedDim}) must be divisible by num_heads ({numHeads})");
        }

        if (addBiasKv || addZeroAttn)
        {
            throw new NotSupportedException("MultiheadAttention: add_bias_kv and add_zero_attn are not implemented");
        }

        (EmbedDim, NumHeads, Dropout, BatchFirst, this.generator) = (embedDim, numHeads, F.CheckProbability(dropout), batchFirst, generator);
        (KDim, VDim) = (kdim ?? embedDim, vdim ?? embedDim);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(KDim, nameof(kdim));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(VDim, nameof(vdim));

        // PyTorch builds out_proj (drawing its Kaiming-uniform weight) before it draws the Xavier projections.
        var outProj = new Linear(embedDim, embedDim, bias, generator, dtype);
        if (KDim == embedDim && VDim == embedDim)
        {
            InProjWeight = RegisterParameter("in_proj_weight", Init.XavierUniform(new Shape(3 * embedDim, embedDim), generator: generator, dtype: dtype));
        }
        else
        {
            QProjWeight = RegisterParameter("q_proj_weight", Init.XavierUniform(new Shape(embedDim, embedDim), generator: generator, dtype: dtype));
            KProjWeight = RegisterParameter("k_proj_weight", Init.XavierUniform(new Shape(embedDim, KDim), generator: generator, dtype: dtype));
            VProjWeight = RegisterParameter("v_proj_weight", Init.XavierUniform(new Shape(embedDim, VDim), generator: generator, dtype: dtype));
        }

        InProjBias = bias ? RegisterParameter("in_proj_bias", Tensor.Zeros(new Shape(3 * embedDim), dtype)) : null;
        using (GradMode.NoGrad())
        {
            outProj.Bias?.ZeroInPlace();
        }

        OutProj = RegisterModule("out_proj", outProj);
    }

    /// <summary>Features of the query and of the output (E).</summary>
    public int EmbedDim { get; }

    /// <summary>Number of heads h; each has E/h features.</summary>
    public int NumHeads { get; }

    /// <summary>Features of the key.</summary>
    public int KDim { get; }

    /// <summary>Features of the value.</summary>
    public int VDim { get; }

    /// <summary>Dropout probability on the attention weights (in training only).</summary>
    public double Dropout { get; }

    /// <summary>Whether batched inputs are (N, L, E) rather than (L, N, E).</summary>
    public bool BatchFirst { get; }

    /// <summary>The packed q, k, v projection (3E, E), or null when kdim or vdim differ from E.</summary>
    public Tensor? InProjWeight { get; }

    /// <summary>The query projection (E, E) when kdim or vdim differ from E.</summary>
    public Tensor? QProjWeight { get; }

    /// <summary>The key projection (E, kdim) when kdim or vdim differ from E.</summary>
    public Tensor? KProjWeight { get; }

    /// <summary>The value projection (E, vdim) when kdim or vdim differ from E.</summary>
    public Tensor? VProjWeight { get; }

    /// <summary>The packed q, k, v bias (3E), or null.</summary>
    public Tensor? InProjBias { get; }

    /// <summary>The output projection.</summary>
    public Linear OutProj { get; }

    /// <summary>Self-attention of <paramref name="input"/> (query = key = value); the output only.</summary>
    public override Tensor Forward(Tensor input) => Forward(input, input, input, needWeights: false).Output;

    /// <summary>Attends <paramref name="query"/> to <paramref name="key"/>/<paramref name="value"/>.</summary>
    /// <param name="query">(L, N, E), (N, L, E) with batchFirst, or (L, E).</param>
    /// <param name="key">(S, N, kdim), (N, S, kdim) or (S, kdim).</param>
    /// <param name="value">(S, N, vdim), (N, S, vdim) or (S, vdim).</param>
    /// <param name="keyPaddingMask">(N, S) or (S): Bool, true = this key is padding and ignored; or float, added.</param>
    /// <param name="needWeights">Return the attention weights too.</param>
    /// <param name="attnMask">(L, S) or (N·h, L, S): Bool, true = NOT allowed to attend (PyTorch's MHA convention, the
    /// opposite of <see cref="F.ScaledDotProductAttention"/>); or float, added to the logits.</param>
    /// <param name="averageAttnWeights">Average the returned weights over heads: (N, L, S) rather than (N, h, L, S).</param>
    /// <param name="isCausal">A hint that <paramref name="attnMask"/> is the causal mask (required with it, as PyTorch).</param>
    /// <returns>The output, shaped as the query with E features, and the weights when requested (null otherwise).</returns>
    public (Tensor Output, Tensor? Weights) Forward(Tensor query, Tensor key, Tensor value, Tensor? keyPaddingMask = null, bool needWeights = true,
        Tensor? attnMask = null, bool averageAttnWeights = true, bool isCausal = false)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(value);
        bool batched = CheckShapes(query, key, value, keyPaddingMask);
        if (isCausal && attnMask is null)
        {
            throw new ArgumentException("MultiheadAttention: need attn_mask if specifying the is_causal hint");
        }

        if (!batched)
        {
            (query, key, value) = (query.Unsqueeze(1), key.Unsqueeze(1), value.Unsqueeze(1));
            keyPaddingMask = keyPaddingMask?.Unsqueeze(0);
        }
        else if (BatchFirst)
        {
            (query, key, value) = (query.Transpose(0, 1), key.Transpose(0, 1), value.Transpose(0, 1));
        }

        var (output, weights) = Attend(query, key, value, keyPaddingMask, needWeights, attnMask, averageAttnWeights, isCausal);
        output = !batched ? output.Squeeze(1) : BatchFirst ? output.Transpose(0, 1) : output;
        return (output, batched ? weights : weights?.Squeeze(0));
    }

    /// <summary>The sequence-first (L, N, ·) computation.</summary>
    private (Tensor Output, Tensor? Weights) Attend(Tensor query, Tensor key, Tensor value, Tensor? keyPaddingMask, bool needWeights,
        Tensor? attnMask, bool average, bool isCausal)
    {
        int l = query.Shape[0], n = query.Shape[1], s = key.Shape[0], h = NumHeads, d = EmbedDim / h;
        var (q, k, v) = Project(query, key, value);
        var heads = (Tensor t, int len) => t.Reshape(len, n, h, d).Permute(1, 2, 0, 3); // (N, h, len, d)
        (q, k, v) = (heads(q, l), heads(k, s), heads(v, s));
        double p = IsTraining ? Dropout : 0;

        // PyTorch passes is_causal on to attention (and ignores the mask) only when nothing else needs the mask.
        bool causalKernel = isCausal && keyPaddingMask is null && !needWeights;
        var mask = causalKernel ? null : MergedMask(attnMask, keyPaddingMask, n, l, s, query.DType);
        Tensor o;
        Tensor? weights = null;
        if (needWeights)
        {
            weights = ScaledDotProductAttentionOp.Weights(q, k, mask, 1 / Math.Sqrt(d), false);
            if (p > 0)
            {
                weights = F.Dropout(weights, p, true, generator);
            }

            o = weights.MatMul(v);
            weights = average ? weights.Mean(1) : weights;
        }
        else
        {
            o = F.ScaledDotProductAttention(q, k, v, mask, p, causalKernel, generator: generator);
        }

        var merged = o.Permute(2, 0, 1, 3).Reshape(l, n, EmbedDim);
        return (OutProj.Forward(merged), weights);
    }

    private (Tensor Q, Tensor K, Tensor V) Project(Tensor query, Tensor key, Tensor value)
    {
        int e = EmbedDim;
        var b = InProjBias;
        Tensor? Bias(int i) => b?.Narrow(0, i * e, e);
        return InProjWeight is { } w
            ? (F.Linear(query, w.Narrow(0, 0, e), Bias(0)), F.Linear(key, w.Narrow(0, e, e), Bias(1)), F.Linear(value, w.Narrow(0, 2 * e, e), Bias(2)))
            : (F.Linear(query, QProjWeight!, Bias(0)), F.Linear(key, KProjWeight!, Bias(1)), F.Linear(value, VProjWeight!, Bias(2)));
    }

    /// <summary>attn_mask and key_padding_mask as one additive float mask broadcastable to (N, h, L, S), or null.</summary>
    private Tensor? MergedMask(Tensor? attnMask, Tensor? keyPaddingMask, int n, int l, int s, DType dtype)
    {
        Tensor? mask = null;
        if (attnMask is not null)
        {
            var m = Additive(attnMask, dtype, "attn_mask");
            mask = m.Rank == 2 && m.Shape == new Shape(l, s) ? m
                : m.Rank == 3 && m.Shape == new Shape(n * NumHeads, l, s) ? m.Reshape(n, NumHeads, l, s)
                : throw new ArgumentException($"MultiheadAttention: attn_mask should be ({l}, {s}) or ({n * NumHeads}, {l}, {s}), got {m.Shape}");
        }

        if (keyPaddingMask is not null)
        {
            var kp = Additive(keyPaddingMask, dtype, "key_padding_mask").Reshape(n, 1, 1, s);
            mask = mask is null ? kp : mask + kp;
        }

        return mask;
    }

    /// <summary>A Bool mask (true = masked out) as −∞/0, or a float mask of the query's dtype as it is.</summary>
    private static Tensor Additive(Tensor mask, DType dtype, string name) =>
        mask.DType == DType.Bool ? Tensor.Where(mask, Tensor.Scalar(double.NegativeInfinity, dtype), Tensor.Scalar(0, dtype))
        : mask.DType == dtype ? mask
        : throw new ArgumentException($"MultiheadAttention: {name} must be Bool or of the query's dtype {dtype}, got {mask.DType}");

    /// <summary>Checks ranks and feature sizes; returns whether the inputs are batched.</summary>
    private bool CheckShapes(Tensor query, Tensor key, Tensor value, Tensor? keyPaddingMask)
    {
        bool batched = query.Rank == 3;
        int r = batched ? 3 : 2;
        string lead = !batched ? "" : BatchFirst ? "N, " : "";
        string mid = batched && !BatchFirst ? ", N" : "";
        bool ok = query.Rank is 2 or 3 && key.Rank == r && value.Rank == r && query.Shape[-1] == EmbedDim && key.Shape[-1] == KDim && value.Shape[-1] == VDim
            && key.Shape.ToArray().AsSpan(0, r - 1).SequenceEqual(value.Shape.ToArray().AsSpan(0, r - 1))
            && (!batched || query.Shape[BatchFirst ? 0 : 1] == key.Shape[BatchFirst ? 0 : 1]);
        if (!ok)
        {
            throw new ArgumentException($"MultiheadAttention: expected query ({lead}L{mid}, {EmbedDim}), key ({lead}S{mid}, {KDim}), value ({lead}S{mid}, {VDim}), got {query.Shape}, {key.Shape}, {value.Shape}");
        }

        int n = batched ? query.Shape[BatchFirst ? 0 : 1] : 1, s = key.Shape[batched && !BatchFirst ? 0 : batched ? 1 : 0];
        if (keyPaddingMask is not null && keyPaddingMask.Shape != (batched ? new Shape(n, s) : new Shape(s)))
        {
            throw new ArgumentException($"MultiheadAttention: key_padding_mask should be {(batched ? $"({n}, {s})" : $"({s})")}, got {keyPaddingMask.Shape}");
        }

        return batched;
    }

    /// <inheritdoc/>
    public override string ExtraRepr() => $"embedDim={EmbedDim}, numHeads={NumHeads}, dropout={Dropout}, batchFirst={BatchFirst}";
}
