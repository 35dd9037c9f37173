using System.Numerics;
using Nabla.Ops.Kernels;
using static Nabla.Ops.RecurrentOps;

namespace Nabla.Ops;

/// <summary>
/// Scaled dot-product attention, fused: o = dropout(softmax(scale·q·kᵀ + mask)) · v for q (..., L, E), k (..., S, E),
/// v (..., S, Ev) of one batch shape, an optional additive float mask broadcastable to (..., L, S) that needs no
/// gradient, and a causal flag (−∞ above the diagonal).
/// </summary>
/// <remarks>
/// Note [Fused attention]: the kernel (<see cref="FlashAttention"/>) is tiled as flash attention: an online softmax
/// over key blocks in forward, which never holds the L×S matrix, and a backward that recomputes each tile from the saved
/// log-sum-exp (FlashAttention-2). <see cref="Composite"/> is the same function in primitive tensor ops: the oracle
/// the op table checks the kernel against, and the backward used when a graph of the gradient is requested
/// (<c>createGraph: true</c>), so higher derivatives stay exact (Note [Backward in tensor ops]); that path holds
/// L×S matrices. A row whose logits are all −∞ gives 0 (and zero gradients), as PyTorch's safe softmax.
/// Dropout factors come from a hash of (<paramref name="seed"/>, row, query, key), so backward and the composite
/// regenerate the forward's mask.
/// </remarks>
internal sealed class ScaledDotProductAttentionOp(double scale, bool causal, double dropoutP = 0, ulong seed = 0) : Op
{
    public override string Name => "scaled_dot_product_attention";

    public override string Formula => "o = dropout(softmax(scale·q·kᵀ + mask)) · v";

    public override string GradFormula => "P = softmax(S); dv = Pᵀ·do; dP = do·vᵀ; dS = P⊙(dP − rowsum(do⊙o)); dq = scale·dS·k; dk = scale·dSᵀ·q";

    public Tensor Apply(Tensor q, Tensor k, Tensor v, Tensor? mask = null)
    {
        q.RequireFloat(Name);
        if (q.Rank < 2 || k.Rank != q.Rank || v.Rank != q.Rank || q.Shape[-1] != k.Shape[-1] || k.Shape[-2] != v.Shape[-2]
            || !SameBatch(q, k) || !SameBatch(q, v))
        {
            throw new ArgumentException($"{Name}: expected q (..., L, E), k (..., S, E), v (..., S, Ev) of one batch shape, got {q.Shape}, {k.Shape}, {v.Shape}");
        }

        if (k.DType != q.DType || v.DType != q.DType || (mask is not null && mask.DType != q.DType))
        {
            throw new ArgumentException($"{Name}: q, k, v and the mask must have one dtype, got {q.DType}, {k.DType}, {v.DType}{(mask is null ? "" : ", " + mask.DType)}");
        }

        if (mask is not null && mask.RequiresGrad)
        {
            throw new ArgumentException($"{Name}: the fused kernel takes a mask that needs no gradient (use the composite form)");
        }

        var a = ShapeOf(q, k, v);
        var o = Tensor.Empty(q.Shape.WithLastDim(a.Ev), q.DType);
        var inputs = new[] { q, k, v };
        var dense = inputs.Select(t => t.ContiguousNoGrad()).ToArray();
        // The log-sum-exp is only for the kernel's backward: not computed when nothing will ask for a gradient.
        bool keep = GradMode.IsEnabled && inputs.Any(t => t.RequiresGrad);
        var lse = !keep ? null : q.DType == DType.Float32 ? (Array)new float[a.Batch * a.L] : new double[a.Batch * a.L];
        if (o.Numel > 0)
        {
            if (q.DType == DType.Float32)
            {
                FlashAttention.Forward(a, Dense<float>(dense[0]), Dense<float>(dense[1]), Dense<float>(dense[2]), View<float>(mask, q, a), o.Elements<float>(), (float[]?)lse);
            }
            else
            {
                FlashAttention.Forward(a, Dense<double>(dense[0]), Dense<double>(dense[1]), Dense<double>(dense[2]), View<double>(mask, q, a), o.Elements<double>(), (double[]?)lse);
            }
        }

        return Record(o, inputs, dout => GradMode.IsEnabled || o.Numel == 0
            ? OfComposite(dout, inputs, () => Composite(inputs[0], inputs[1], inputs[2], mask, scale, causal, dropoutP, seed))
            : q.DType == DType.Float32
                ? KernelBackward<float>(a, dout, inputs, dense, mask, o, lse!)
                : KernelBackward<double>(a, dout, inputs, dense, mask, o, lse!));
    }

    /// <summary>The same function in primitive ops, holding the L×S matrices (the oracle; the double-backward path).</summary>
    public static Tensor Composite(Tensor q, Tensor k, Tensor v, Tensor? mask, double scale, bool causal, double dropoutP = 0, ulong seed = 0)
    {
        var p = Weights(q, k, mask, scale, causal);
        if (dropoutP > 0)
        {
            p = p * DropoutFactors(p.Shape, q.DType, dropoutP, seed);
        }

        return p.MatMul(v);
    }

    /// <summary>
    /// softmax(scale·q·kᵀ + mask) along the keys in primitive ops, with rows of all −∞ giving 0 (PyTorch's safe
    /// softmax). The row maximum is subtracted as a constant (detached): softmax does not depend on it.
    /// </summary>
    public static Tensor Weights(Tensor q, Tensor k, Tensor? mask, double scale, bool causal)
    {
        var s = q.MatMul(k.MT) * scale;
        if (mask is not null)
        {
            s = s + mask;
        }

        if (causal)
        {
            s = s + CausalMask(q.Shape[-2], k.Shape[-2], q.DType);
        }

        var m = s.Detach().Max(-1, keepDim: true).Values;
        m = m.MaskedFill(m.Eq(double.NegativeInfinity), 0);
        var e = (s - m).Exp();
        var sum = e.Sum(-1, keepDim: true);
        return e / sum.MaskedFill(sum.Eq(0), 1);
    }

    /// <summary>(L, S) additive mask: 0 where key j ≤ query i, −∞ above the diagonal (top-left aligned, as PyTorch).</summary>
    public static Tensor CausalMask(int l, int s, DType dtype)
    {
        var values = new double[l * s];
        for (int i = 0; i < l; i++)
        {
            for (int j = i + 1; j < s; j++)
            {
                values[(i * s) + j] = double.NegativeInfinity;
            }
        }

        return Tensor.FromArray(values, new Shape(l, s)).To(dtype);
    }

    /// <summary>The dropout factors keep/(1 − p) of the kernel, as a tensor of the attention's shape (..., L, S).</summary>
    public static Tensor DropoutFactors(Shape shape, DType dtype, double dropoutP, ulong seed)
    {
        int l = shape[-2], s = shape[-1], batch = (int)(shape.Numel / Math.Max(1L, (long)l * s));
        var a = new AttentionShape(batch, l, s, 0, 0, 1, false, dropoutP, seed);
        var values = new double[shape.Numel];
        double keep = 1 / (1 - dropoutP);
        for (int b = 0, t = 0; b < batch; b++)
        {
            for (int i = 0; i < l; i++)
            {
                for (int j = 0; j < s; j++, t++)
                {
                    values[t] = FlashAttention.Keep(a, b, i, j) ? keep : 0;
                }
            }
        }

        return Tensor.FromArray(values, shape).To(dtype);
    }

    private static bool SameBatch(Tensor a, Tensor b) => a.Shape.ToArray().AsSpan(0, a.Rank - 2).SequenceEqual(b.Shape.ToArray().AsSpan(0, b.Rank - 2));

    private AttentionShape ShapeOf(Tensor q, Tensor k, Tensor v)
    {
        int batch = (int)q.Shape.ToArray()[..^2].Aggregate(1L, (x, y) => x * y);
        return new AttentionShape(batch, q.Shape[-2], k.Shape[-2], q.Shape[-1], v.Shape[-1], scale, causal, dropoutP, seed);
    }

    /// <summary>The mask expanded (a view) to (..., L, S), with the element offset of each flattened batch row.</summary>
    private static MaskView<T>? View<T>(Tensor? mask, Tensor q, AttentionShape a)
    {
        if (mask is null)
        {
            return null;
        }

        int[] batchDims = q.Shape.ToArray()[..^2];
        var full = mask.Detach().Expand(new Shape([.. batchDims, a.L, a.S]));
        var offsets = new int[a.Batch];
        for (int b = 0; b < a.Batch; b++)
        {
            long off = full.Offset, rest = b;
            for (int d = batchDims.Length - 1; d >= 0; d--)
            {
                off += rest % batchDims[d] * full.Strides[d];
                rest /= batchDims[d];
            }

            offsets[b] = (int)off;
        }

        return new MaskView<T>(full.Elements<T>(), offsets, full.Strides[^2], full.Strides[^1]);
    }

    private static Tensor?[] KernelBackward<T>(AttentionShape a, Tensor dout, Tensor[] inputs, Tensor[] dense, Tensor? mask, Tensor o, Array lse)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var grads = dense.Select(t => Tensor.Zeros(t.Shape, t.DType)).ToArray();
        FlashAttention.Backward(a, Dense<T>(dense[0]), Dense<T>(dense[1]), Dense<T>(dense[2]), View<T>(mask, inputs[0], a), o.Elements<T>(), (T[])lse,
            Dense<T>(dout.ContiguousNoGrad()), grads[0].Elements<T>(), grads[1].Elements<T>(), grads[2].Elements<T>());
        return [.. grads.Select((g, i) => inputs[i].RequiresGrad ? g : null)];
    }
}
