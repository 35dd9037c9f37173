using System.Numerics;
using System.Runtime.Intrinsics;

namespace Nabla.Ops;

// Fused backward kernels of the hot activations: one pass instead of three or four element-wise ops and
// their temporaries. Each is itself a primitive with a backward rule in tensor ops, so double backward
// through relu, tanh and sigmoid stays exact (Note [Backward in tensor ops]). Their composite definitions
// are the oracles in the op table.

/// <summary>A fused op y = dy ⊙ f'(s), where s is the forward's input or output.</summary>
internal abstract class ActivationGradOp : Op
{
    /// <summary>Runs the kernel on contiguous copies and records the node.</summary>
    public Tensor Apply(Tensor dy, Tensor s)
    {
        if (dy.Shape != s.Shape || dy.DType != s.DType)
        {
            throw new ArgumentException($"{Name}: gradient {dy.Shape} ({dy.DType}) must match the saved tensor {s.Shape} ({s.DType})");
        }

        s.RequireFloat(Name);
        var (dc, sc) = (dy.Contiguous(), s.Contiguous());
        var y = Tensor.Empty(s.Shape, s.DType);
        var (dOff, sOff) = (dc.Offset, sc.Offset);
        if (s.DType == DType.Float32)
        {
            var (da, sa, ya) = (dc.Elements<float>(), sc.Elements<float>(), y.Elements<float>());
            Chunks.For((int)y.Numel, (i, n) => Kernel<float>(da.AsSpan(dOff + i, n), sa.AsSpan(sOff + i, n), ya.AsSpan(i, n)));
        }
        else
        {
            var (da, sa, ya) = (dc.Elements<double>(), sc.Elements<double>(), y.Elements<double>());
            Chunks.For((int)y.Numel, (i, n) => Kernel<double>(da.AsSpan(dOff + i, n), sa.AsSpan(sOff + i, n), ya.AsSpan(i, n)));
        }

        return Record(y, [dy, s], g => [dy.RequiresGrad ? Apply(g, s) : null, s.RequiresGrad ? SavedGrad(g, dy, s) : null]);
    }

    /// <summary>y = dy ⊙ f'(s) element-wise.</summary>
    protected abstract void Kernel<T>(ReadOnlySpan<T> dy, ReadOnlySpan<T> s, Span<T> y) where T : unmanaged, IFloatingPointIeee754<T>;

    /// <summary>∂(g·y)/∂s = g ⊙ dy ⊙ f''(s).</summary>
    protected abstract Tensor SavedGrad(Tensor g, Tensor dy, Tensor s);
}

/// <summary>y = dy ⊙ 1[x &gt; 0] (PyTorch's threshold_backward).</summary>
internal sealed class ReluGrad : ActivationGradOp
{
    public static readonly ReluGrad Instance = new();
    public override string Name => "relu_backward";
    public override string Formula => "y = dy ⊙ 1[x > 0]";
    public override string GradFormula => "d(dy) = g ⊙ 1[x > 0], dx = 0";

    protected override void Kernel<T>(ReadOnlySpan<T> dy, ReadOnlySpan<T> x, Span<T> y)
    {
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; i <= y.Length - Vector512<T>.Count; i += Vector512<T>.Count)
            {
                var mask = Vector512.GreaterThan(Vector512.Create(x[i..]), Vector512<T>.Zero);
                Vector512.ConditionalSelect(mask, Vector512.Create(dy[i..]), Vector512<T>.Zero).CopyTo(y[i..]);
            }
        }

        for (; i < y.Length; i++)
        {
            y[i] = x[i] > T.Zero ? dy[i] : T.Zero;
        }
    }

    protected override Tensor SavedGrad(Tensor g, Tensor dy, Tensor s) => Tensor.ZerosLike(s);
}

/// <summary>y = dy ⊙ (1 − t²) for t = tanh(x).</summary>
internal sealed class TanhGrad : ActivationGradOp
{
    public static readonly TanhGrad Instance = new();
    public override string Name => "tanh_backward";
    public override string Formula => "y = dy ⊙ (1 - t²)";
    public override string GradFormula => "d(dy) = g ⊙ (1 - t²), dt = -2 g ⊙ dy ⊙ t";

    protected override void Kernel<T>(ReadOnlySpan<T> dy, ReadOnlySpan<T> t, Span<T> y)
    {
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; i <= y.Length - Vector512<T>.Count; i += Vector512<T>.Count)
            {
                var tv = Vector512.Create(t[i..]);
                (Vector512.Create(dy[i..]) * (Vector512<T>.One - (tv * tv))).CopyTo(y[i..]);
            }
        }

        for (; i < y.Length; i++)
        {
            y[i] = dy[i] * (T.One - (t[i] * t[i]));
        }
    }

    protected override Tensor SavedGrad(Tensor g, Tensor dy, Tensor s) => g * dy * s * -2.0;
}

/// <summary>y = dy ⊙ σ(1 − σ) for σ = sigmoid(x).</summary>
internal sealed class SigmoidGrad : ActivationGradOp
{
    public static readonly SigmoidGrad Instance = new();
    public override string Name => "sigmoid_backward";
    public override string Formula => "y = dy ⊙ σ ⊙ (1 - σ)";
    public override string GradFormula => "d(dy) = g ⊙ σ(1 - σ), dσ = g ⊙ dy ⊙ (1 - 2σ)";

    protected override void Kernel<T>(ReadOnlySpan<T> dy, ReadOnlySpan<T> s, Span<T> y)
    {
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; i <= y.Length - Vector512<T>.Count; i += Vector512<T>.Count)
            {
                var sv = Vector512.Create(s[i..]);
                (Vector512.Create(dy[i..]) * sv * (Vector512<T>.One - sv)).CopyTo(y[i..]);
            }
        }

        for (; i < y.Length; i++)
        {
            y[i] = dy[i] * s[i] * (T.One - s[i]);
        }
    }

    protected override Tensor SavedGrad(Tensor g, Tensor dy, Tensor s) => g * dy * (1.0 - (s * 2.0));
}
