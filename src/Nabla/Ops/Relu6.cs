using System.Numerics.Tensors;

namespace Nabla.Ops;

/// <summary>y = min(max(x, 0), 6) (PyTorch's <c>relu6</c>, a <c>hardtanh(x, 0, 6)</c>).</summary>
/// <remarks>
/// The gradient passes strictly inside (0, 6), as PyTorch's <c>hardtanh_backward</c> does (clamp's passes at the
/// bounds too). The mask is a constant of x, so the derivative stays exact under double backward.
/// </remarks>
internal sealed class Relu6 : UnaryOp
{
    public static readonly Relu6 Instance = new();
    public override string Name => "relu6";
    public override string Formula => "y = min(max(x, 0), 6)";
    public override string GradFormula => "dx = dy ⊙ 1[0 < x < 6]";

    protected override void Kernel<T>(ReadOnlySpan<T> x, Span<T> y)
    {
        TensorPrimitives.Max(x, T.Zero, y);
        TensorPrimitives.Min(y, T.CreateChecked(6), y);
    }

    public override Tensor Backward(Tensor dy, Tensor x, Tensor y)
    {
        var xd = x.Detach();
        return dy * xd.Gt(0).LogicalAnd(xd.Lt(6)).To(dy.DType);
    }
}
