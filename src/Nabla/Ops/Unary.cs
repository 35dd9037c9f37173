using System.Numerics;
using System.Numerics.Tensors;
using Nabla.Ops.Kernels;

namespace Nabla.Ops;

// The element-wise primitives of one tensor. Each derivative is the textbook one; the comments give
// it where the code does not read as the formula.

/// <summary>y = −x.</summary>
internal sealed class Neg : UnaryOp
{
    public static readonly Neg Instance = new();
    public override string Name => "neg";
    public override string Formula => "y = -x";
    public override string GradFormula => "dx = -dy";
    protected override void Kernel<T>(ReadOnlySpan<T> x, Span<T> y) => TensorPrimitives.Negate(x, y);
    public override Tensor Backward(Tensor dy, Tensor x, Tensor y) => -dy;
}

/// <summary>y = eˣ.</summary>
internal sealed class Exp : UnaryOp
{
    public static readonly Exp Instance = new();
    public override string Name => "exp";
    public override string Formula => "y = exp(x)";
    public override string GradFormula => "dx = dy ⊙ y";
    protected override void Kernel<T>(ReadOnlySpan<T> x, Span<T> y)
    {
        if (!FastMath.TryFloat(x, y, FastMath.Exp))
        {
            TensorPrimitives.Exp(x, y);
        }
    }

    public override Tensor Backward(Tensor dy, Tensor x, Tensor y) => dy * y;
}

/// <summary>y = ln x.</summary>
internal sealed class Log : UnaryOp
{
    public static readonly Log Instance = new();
    public override string Name => "log";
    public override string Formula => "y = ln(x)";
    public override string GradFormula => "dx = dy / x";
    protected override void Kernel<T>(ReadOnlySpan<T> x, Span<T> y) => TensorPrimitives.Log(x, y);
    public override Tensor Backward(Tensor dy, Tensor x, Tensor y) => dy / x;
}

/// <summary>y = ln(1 + x), accurate for small |x| where 1 + x rounds (PyTorch's log1p).</summary>
internal sealed class Log1p : UnaryOp
{
    public static readonly Log1p Instance = new();
    public override string Name => "log1p";
    public override string Formula => "y = ln(1 + x)";
    public override string GradFormula => "dx = dy / (1 + x)";

    // Goldberg's correction: with u = fl(1 + x), ln(u)·x/(u − 1) is accurate to a few ulps, because the
    // rounding error of u cancels between ln(u) and u − 1 (What Every Computer Scientist Should Know, Thm 4).
    protected override void Kernel<T>(ReadOnlySpan<T> x, Span<T> y)
    {
        for (int i = 0; i < x.Length; i++)
        {
            T u = T.One + x[i];
            y[i] = u == T.One ? x[i] : T.IsPositiveInfinity(u) ? u : T.Log(u) * x[i] / (u - T.One);
        }
    }

    public override Tensor Backward(Tensor dy, Tensor x, Tensor y) => dy / (x + 1.0);
}

/// <summary>y = √x.</summary>
internal sealed class Sqrt : UnaryOp
{
    public static readonly Sqrt Instance = new();
    public override string Name => "sqrt";
    public override string Formula => "y = sqrt(x)";
    public override string GradFormula => "dx = dy / (2 y)";
    protected override void Kernel<T>(ReadOnlySpan<T> x, Span<T> y) => TensorPrimitives.Sqrt(x, y);
    public override Tensor Backward(Tensor dy, Tensor x, Tensor y) => dy / (y * 2.0);
}

/// <summary>y = |x|.</summary>
internal sealed class Abs : UnaryOp
{
    public static readonly Abs Instance = new();
    public override string Name => "abs";
    public override string Formula => "y = |x|";
    public override string GradFormula => "dx = dy ⊙ sign(x)";
    protected override void Kernel<T>(ReadOnlySpan<T> x, Span<T> y) => TensorPrimitives.Abs(x, y);
    public override Tensor Backward(Tensor dy, Tensor x, Tensor y) => dy * x.Sign();
}

/// <summary>y = sign(x) ∈ {−1, 0, 1}; its derivative is zero wherever it exists.</summary>
internal sealed class Sign : UnaryOp
{
    public static readonly Sign Instance = new();
    public override string Name => "sign";
    public override string Formula => "y = sign(x)";
    public override string GradFormula => "dx = 0";

    protected override void Kernel<T>(ReadOnlySpan<T> x, Span<T> y)
    {
        for (int i = 0; i < x.Length; i++)
        {
            y[i] = T.IsNaN(x[i]) ? x[i] : x[i] > T.Zero ? T.One : x[i] < T.Zero ? -T.One : T.Zero;
        }
    }

    public override Tensor Backward(Tensor dy, Tensor x, Tensor y) => Tensor.ZerosLike(dy);
}

/// <summary>y = tanh x.</summary>
internal sealed class Tanh : UnaryOp
{
    public static readonly Tanh Instance = new();
    public override string Name => "tanh";
    public override string Formula => "y = tanh(x)";
    public override string GradFormula => "dx = dy ⊙ (1 - y²)";
    protected override void Kernel<T>(ReadOnlySpan<T> x, Span<T> y)
    {
        if (!FastMath.TryFloat(x, y, FastMath.Tanh))
        {
            TensorPrimitives.Tanh(x, y);
        }
    }

    public override Tensor Backward(Tensor dy, Tensor x, Tensor y) => TanhGrad.Instance.Apply(dy, y);
}

/// <summary>y = σ(x) = 1 / (1 + e⁻ˣ).</summary>
internal sealed class Sigmoid : UnaryOp
{
    public static readonly Sigmoid Instance = new();
    public override string Name => "sigmoid";
    public override string Formula => "y = 1 / (1 + exp(-x))";
    public override string GradFormula => "dx = dy ⊙ y ⊙ (1 - y)";
    protected override void Kernel<T>(ReadOnlySpan<T> x, Span<T> y)
    {
        if (!FastMath.TryFloat(x, y, FastMath.Sigmoid))
        {
            TensorPrimitives.Sigmoid(x, y);
        }
    }

    public override Tensor Backward(Tensor dy, Tensor x, Tensor y) => SigmoidGrad.Instance.Apply(dy, y);
}

/// <summary>y = max(x, 0).</summary>
internal sealed class Relu : UnaryOp
{
    public static readonly Relu Instance = new();
    public override string Name => "relu";
    public override string Formula => "y = max(x, 0)";
    public override string GradFormula => "dx = dy ⊙ 1[x > 0]";
    protected override void Kernel<T>(ReadOnlySpan<T> x, Span<T> y) => TensorPrimitives.Max(x, T.Zero, y);

    // The mask is a constant of x (its own derivative is zero almost everywhere), so this stays exact
    // under double backward.
    public override Tensor Backward(Tensor dy, Tensor x, Tensor y) => ReluGrad.Instance.Apply(dy, x.Detach());
}

/// <summary>y = sin x.</summary>
internal sealed class Sin : UnaryOp
{
    public static readonly Sin Instance = new();
    public override string Name => "sin";
    public override string Formula => "y = sin(x)";
    public override string GradFormula => "dx = dy ⊙ cos(x)";
    protected override void Kernel<T>(ReadOnlySpan<T> x, Span<T> y) => TensorPrimitives.Sin(x, y);
    public override Tensor Backward(Tensor dy, Tensor x, Tensor y) => dy * x.Cos();
}

/// <summary>y = cos x.</summary>
internal sealed class Cos : UnaryOp
{
    public static readonly Cos Instance = new();
    public override string Name => "cos";
    public override string Formula => "y = cos(x)";
    public override string GradFormula => "dx = -dy ⊙ sin(x)";
    protected override void Kernel<T>(ReadOnlySpan<T> x, Span<T> y) => TensorPrimitives.Cos(x, y);
    public override Tensor Backward(Tensor dy, Tensor x, Tensor y) => -(dy * x.Sin());
}

/// <summary>y = erf(x) = 2/√π ∫₀ˣ e^(−t²) dt (used by the exact GELU).</summary>
internal sealed class Erf : UnaryOp
{
    public static readonly Erf Instance = new();
    public override string Name => "erf";
    public override string Formula => "y = erf(x)";
    public override string GradFormula => "dx = dy ⊙ 2/√π · exp(-x²)";

    protected override void Kernel<T>(ReadOnlySpan<T> x, Span<T> y)
    {
        for (int i = 0; i < x.Length; i++)
        {
            y[i] = T.CreateTruncating(SpecialFunctions.Erf(double.CreateTruncating(x[i])));
        }
    }

    public override Tensor Backward(Tensor dy, Tensor x, Tensor y) => dy * ((-(x * x)).Exp() * (2.0 / Math.Sqrt(Math.PI)));
}

/// <summary>y = min(max(x, lo), hi); the gradient passes where lo ≤ x ≤ hi (PyTorch's clamp).</summary>
internal sealed class Clamp(double min, double max) : UnaryOp
{
    public override string Name => "clamp";
    public override string Formula => $"y = min(max(x, {min}), {max})";
    public override string GradFormula => $"dx = dy ⊙ 1[{min} <= x <= {max}]";

    protected override void Kernel<T>(ReadOnlySpan<T> x, Span<T> y)
    {
        TensorPrimitives.Max(x, T.CreateSaturating(min), y);
        TensorPrimitives.Min(y, T.CreateSaturating(max), y);
    }

    public override Tensor Backward(Tensor dy, Tensor x, Tensor y)
    {
        var xd = x.Detach();
        return dy * (xd.Ge(min).LogicalAnd(xd.Le(max))).To(dy.DType);
    }
}
