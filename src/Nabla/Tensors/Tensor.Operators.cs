using Nabla.Ops;

namespace Nabla;

public sealed partial class Tensor
{
    /// <summary>Element-wise sum with broadcasting.</summary>
    public static Tensor operator +(Tensor a, Tensor b) => Ops.Add.Instance.Apply(a, b);

    /// <summary>Adds a scalar.</summary>
    public static Tensor operator +(Tensor a, double b) => Ops.Add.Instance.Apply(a, ScalarOf(b, a));

    /// <summary>Adds a scalar.</summary>
    public static Tensor operator +(double a, Tensor b) => Ops.Add.Instance.Apply(ScalarOf(a, b), b);

    /// <summary>Element-wise difference with broadcasting.</summary>
    public static Tensor operator -(Tensor a, Tensor b) => Ops.Sub.Instance.Apply(a, b);

    /// <summary>Subtracts a scalar.</summary>
    public static Tensor operator -(Tensor a, double b) => Ops.Sub.Instance.Apply(a, ScalarOf(b, a));

    /// <summary>A scalar minus a tensor.</summary>
    public static Tensor operator -(double a, Tensor b) => Ops.Sub.Instance.Apply(ScalarOf(a, b), b);

    /// <summary>Element-wise (Hadamard) product with broadcasting.</summary>
    public static Tensor operator *(Tensor a, Tensor b) => Ops.Mul.Instance.Apply(a, b);

    /// <summary>Multiplies by a scalar.</summary>
    public static Tensor operator *(Tensor a, double b) => Ops.Mul.Instance.Apply(a, ScalarOf(b, a));

    /// <summary>Multiplies by a scalar.</summary>
    public static Tensor operator *(double a, Tensor b) => Ops.Mul.Instance.Apply(ScalarOf(a, b), b);

    /// <summary>Element-wise quotient with broadcasting.</summary>
    public static Tensor operator /(Tensor a, Tensor b) => Ops.Div.Instance.Apply(a, b);

    /// <summary>Divides by a scalar.</summary>
    public static Tensor operator /(Tensor a, double b) => Ops.Div.Instance.Apply(a, ScalarOf(b, a));

    /// <summary>A scalar divided by a tensor.</summary>
    public static Tensor operator /(double a, Tensor b) => Ops.Div.Instance.Apply(ScalarOf(a, b), b);

    /// <summary>Negation.</summary>
    public static Tensor operator -(Tensor x) => Neg.Instance.Apply(x);

    /// <summary>Element-wise sum (the named form of <c>+</c>).</summary>
    public Tensor Add(Tensor other) => this + other;

    /// <summary>Element-wise difference (the named form of <c>-</c>).</summary>
    public Tensor Sub(Tensor other) => this - other;

    /// <summary>Element-wise product (the named form of <c>*</c>).</summary>
    public Tensor Mul(Tensor other) => this * other;

    /// <summary>Element-wise quotient (the named form of <c>/</c>).</summary>
    public Tensor Div(Tensor other) => this / other;

    /// <summary>A constant 0-d tensor with the (float) dtype of <paramref name="like"/>.</summary>
    private static Tensor ScalarOf(double value, Tensor like) =>
        Scalar(value, like.DType.IsFloatingPoint() ? like.DType : DType.Float32);
}
