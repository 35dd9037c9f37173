using Nabla.Ops;

namespace Nabla.NN;

// Scaled dot-product attention (PyTorch's torch.nn.functional.scaled_dot_product_attention) over the fused flash-style
// op (Note [Fused attention] in Ops/Attention.cs).
public static partial class F
{
    /// <summary>
    /// Attention(q, k, v) = dropout(softmax(scale·q·kᵀ + mask)) · v, with PyTorch's semantics: query (..., L, E),
    /// key (..., S, E), value (..., S, Ev) → (..., L, Ev); batch dimensions broadcast.
    /// </summary>
    /// <param name="query">(..., L, E).</param>
    /// <param name="key">(..., S, E).</param>
    /// <param name="value">(..., S, Ev).</param>
    /// <param name="attnMask">
    /// Broadcastable to (..., L, S): a Bool mask (true = the key takes part in the query's attention) or a float mask
    /// of the inputs' dtype added to the logits (it may require a gradient). Not together with <paramref name="isCausal"/>.
    /// </param>
    /// <param name="dropoutP">Probability of zeroing each attention weight (the rest scaled by 1/(1 − p)); PyTorch applies
    /// it whenever it is positive, so pass 0 in evaluation.</param>
    /// <param name="isCausal">Query i attends keys j ≤ i only (the mask's top-left aligned lower triangle).</param>
    /// <param name="scale">The factor of q·kᵀ; 1/√E when null.</param>
    /// <param name="generator">The source of the dropout mask; <see cref="Generator.Current"/> when null.</param>
    /// <returns>(..., L, Ev). A query whose keys are all masked out gets 0 (PyTorch's safe softmax).</returns>
    /// <remarks>
    /// Runs a fused kernel tiled as flash attention (no L×S matrix in forward or first-order backward). When a graph of
    /// the gradient is requested (<c>createGraph</c>) or a float mask requires a gradient, the backward (or the whole
    /// call) runs the composite form in primitive ops, which holds L×S matrices but is differentiable to any order.
    /// </remarks>
    public static Tensor ScaledDotProductAttention(Tensor query, Tensor key, Tensor value, Tensor? attnMask = null, double dropoutP = 0,
        bool isCausal = false, double? scale = null, Generator? generator = null)
    {
        const string op = "scaled_dot_product_attention";
        ArgumentNullException.ThrowIfNull(query);
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(value);
        CheckProbability(dropoutP);
        if (query.Rank < 2 || key.Rank < 2 || value.Rank < 2 || query.Shape[-1] != key.Shape[-1] || key.Shape[-2] != value.Shape[-2])
        {
            throw new ArgumentException($"{op}: expected query (..., L, E), key (..., S, E), value (..., S, Ev), got {query.Shape}, {key.Shape}, {value.Shape}");
        }

        query.RequireFloat(op);
        if (key.DType != query.DType || value.DType != query.DType)
        {
            throw new ArgumentException($"{op}: query, key and value must have one dtype, got {query.DType}, {key.DType}, {value.DType}");
        }

        int l = query.Shape[-2], s = key.Shape[-2], e = query.Shape[-1];
        var batch = Shape.Broadcast(Shape.Broadcast(BatchOf(query), BatchOf(key), op), BatchOf(value), op);
        var (q, k, v) = (Broadcast(query, batch), Broadcast(key, batch), Broadcast(value, batch));
        var mask = AttentionMask(attnMask, isCausal, batch, l, s, query.DType, op);
        double sc = scale ?? 1 / Math.Sqrt(e);
        ulong seed = dropoutP > 0 ? (generator ?? Generator.Current).NextUInt64() : 0;
        using var group = Trace.Group(op);
        return mask is not null && mask.RequiresGrad
            ? ScaledDotProductAttentionOp.Composite(q, k, v, mask, sc, isCausal, dropoutP, seed)
            : new ScaledDotProductAttentionOp(sc, isCausal, dropoutP, seed).Apply(q, k, v, mask);
    }

    private static Shape BatchOf(Tensor t) => new(t.Shape.ToArray()[..^2]);

    private static Tensor Broadcast(Tensor t, Shape batch) =>
        BatchOf(t) == batch ? t : t.Expand(new Shape([.. batch.ToArray(), t.Shape[-2], t.Shape[-1]]));

    /// <summary>The mask as an additive float tensor (a Bool mask becomes 0 / −∞), checked to broadcast to (batch, L, S).</summary>
    private static Tensor? AttentionMask(Tensor? mask, bool causal, Shape batch, int l, int s, DType dtype, string op)
    {
        if (mask is null)
        {
            return null;
        }

        if (causal)
        {
            throw new ArgumentException($"{op}: an explicit attn_mask cannot be combined with is_causal (PyTorch refuses it too)");
        }

        var full = new Shape([.. batch.ToArray(), l, s]);
        bool fits = mask.Rank <= full.Rank && Enumerable.Range(1, mask.Rank).All(d => mask.Shape[-d] == 1 || mask.Shape[-d] == full[-d]);
        if (!fits)
        {
            throw new ArgumentException($"{op}: attn_mask {mask.Shape} does not broadcast to the attention's shape {full}");
        }

        if (mask.DType == DType.Bool)
        {
            return Tensor.Where(mask, Tensor.Scalar(0, dtype), Tensor.Scalar(double.NegativeInfinity, dtype));
        }

        return mask.DType == dtype ? mask
            : throw new ArgumentException($"{op}: attn_mask must be Bool or of the query's dtype {dtype}, got {mask.DType}");
    }
}
