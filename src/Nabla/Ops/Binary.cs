using System.Numerics.Tensors;

namespace Nabla.Ops;

// The element-wise primitives of two tensors. Gradients are returned in the broadcast shape; the base
// class sums them back to each operand's shape (Note [Broadcasting in backward]).

/// <summary>y = a + b.</summary>
internal sealed class Add : BinaryOp
{
    public static readonly Add Instance = new();
    public override string Name => "add";
    public override string Formula => "y = a + b";
    public override string GradFormula => "da = dy, db = dy";
    protected override void Kernel<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> y) => TensorPrimitives.Add(a, b, y);
    protected override void Kernel<T>(ReadOnlySpan<T> a, T b, Span<T> y) => TensorPrimitives.Add(a, b, y);
    protected override void Kernel<T>(T a, ReadOnlySpan<T> b, Span<T> y) => TensorPrimitives.Add(b, a, y);
    public override (Tensor?, Tensor?) Backward(Tensor dy, Tensor a, Tensor b, Tensor y) => (dy, dy);
}

/// <summary>y = a − b.</summary>
internal sealed class Sub : BinaryOp
{
    public static readonly Sub Instance = new();
    public override string Name => "sub";
    public override string Formula => "y = a - b";
    public override string GradFormula => "da = dy, db = -dy";
    protected override void Kernel<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> y) => TensorPrimitives.Subtract(a, b, y);
    protected override void Kernel<T>(ReadOnlySpan<T> a, T b, Span<T> y) => TensorPrimitives.Subtract(a, b, y);
    protected override void Kernel<T>(T a, ReadOnlySpan<T> b, Span<T> y) => TensorPrimitives.Subtract(a, b, y);
    public override (Tensor?, Tensor?) Backward(Tensor dy, Tensor a, Tensor b, Tensor y) => (dy, b.RequiresGrad ? -dy : null);
}

/// <summary>y = a ⊙ b.</summary>
internal sealed class Mul : BinaryOp
{
    public static readonly Mul Instance = new();
    public override string Name => "mul";
    public override string Formula => "y = a ⊙ b";
    public override string GradFormula => "da = dy ⊙ b, db = dy ⊙ a";
    protected override void Kernel<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> y) => TensorPrimitives.Multiply(a, b, y);
    protected override void Kernel<T>(ReadOnlySpan<T> a, T b, Span<T> y) => TensorPrimitives.Multiply(a, b, y);
    protected override void Kernel<T>(T a, ReadOnlySpan<T> b, Span<T> y) => TensorPrimitives.Multiply(b, a, y);

    public override (Tensor?, Tensor?) Backward(Tensor dy, Tensor a, Tensor b, Tensor y) =>
        (a.RequiresGrad ? dy * b : null, b.RequiresGrad ? dy * a : null);
}

/// <summary>y = a / b.</summary>
internal sealed class Div : BinaryOp
{
    public static readonly Div Instance = new();
    public override string Name => "div";
    public override string Formula => "y = a / b";
    public override string GradFormula => "da = dy / b, db = -dy ⊙ a / b²";
    protected override void Kernel<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> y) => TensorPrimitives.Divide(a, b, y);
    protected override void Kernel<T>(ReadOnlySpan<T> a, T b, Span<T> y) => TensorPrimitives.Divide(a, b, y);
    protected override void Kernel<T>(T a, ReadOnlySpan<T> b, Span<T> y) => TensorPrimitives.Divide(a, b, y);

    public override (Tensor?, Tensor?) Backward(Tensor dy, Tensor a, Tensor b, Tensor y) =>
        (a.RequiresGrad ? dy / b : null, b.RequiresGrad ? -(dy * a) / (b * b) : null);
}

/// <summary>y = aᵇ.</summary>
internal sealed class Pow : BinaryOp
{
    public static readonly Pow Instance = new();
    public override string Name => "pow";
    public override string Formula => "y = a^b";
    public override string GradFormula => "da = dy ⊙ b ⊙ a^(b-1), db = dy ⊙ y ⊙ ln(a)";
    protected override void Kernel<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> y) => TensorPrimitives.Pow(a, b, y);

    protected override void Kernel<T>(ReadOnlySpan<T> a, T b, Span<T> y)
    {
        // Squares are common (losses, norms) and exact as a product.
        if (b == T.CreateTruncating(2))
        {
            TensorPrimitives.Multiply(a, a, y);
        }
        else
        {
            TensorPrimitives.Pow(a, b, y);
        }
    }

    protected override void Kernel<T>(T a, ReadOnlySpan<T> b, Span<T> y) => TensorPrimitives.Pow(a, b, y);

    public override (Tensor?, Tensor?) Backward(Tensor dy, Tensor a, Tensor b, Tensor y)
    {
        // d(aᵇ)/da = b·aᵇ⁻¹, defined as 0 where b = 0 (as PyTorch): at a = 0 the product would be 0·∞ = NaN.
        // A constant non-zero scalar exponent (x.Pow(2), the common case) needs no mask.
        Tensor? da = null;
        if (a.RequiresGrad)
        {
            var g = b * a.Pow(b - 1.0);
            bool mask = b.RequiresGrad || b.Numel != 1 || b.Item() == 0;
            da = dy * (mask ? Tensor.Where(b.Detach().Eq(0.0), Tensor.ZerosLike(g), g) : g);
        }

        // d(aᵇ)/db = aᵇ ln a; PyTorch defines it as 0 where a = 0 (and b ≥ 0), where ln a = −∞.
        var db = b.RequiresGrad ? dy * Tensor.Where(a.Detach().Eq(0.0), Tensor.ZerosLike(y), y * a.Log()) : null;
        return (da, db);
    }
}

/// <summary>y = max(a, b) element-wise; at ties each side gets half the gradient (as PyTorch).</summary>
internal sealed class Maximum : BinaryOp
{
    public static readonly Maximum Instance = new();
    public override string Name => "maximum";
    public override string Formula => "y = max(a, b)";
    public override string GradFormula => "da = dy ⊙ 1[a > b], db = dy ⊙ 1[b > a] (ties: ½ each)";
    protected override void Kernel<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> y) => TensorPrimitives.Max(a, b, y);
    protected override void Kernel<T>(ReadOnlySpan<T> a, T b, Span<T> y) => TensorPrimitives.Max(a, b, y);
    protected override void Kernel<T>(T a, ReadOnlySpan<T> b, Span<T> y) => TensorPrimitives.Max(b, a, y);

    public override (Tensor?, Tensor?) Backward(Tensor dy, Tensor a, Tensor b, Tensor y)
    {
        var (ad, bd) = (a.Detach(), b.Detach());
        var wa = ad.Gt(bd).To(dy.DType) + ad.Eq(bd).To(dy.DType) * 0.5;
        return (a.RequiresGrad ? dy * wa : null, b.RequiresGrad ? dy * (1.0 - wa) : null);
    }
}
