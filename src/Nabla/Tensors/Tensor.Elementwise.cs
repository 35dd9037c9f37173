using Nabla.Ops;

namespace Nabla;

public sealed partial class Tensor
{
    /// <summary>eˣ element-wise.</summary>
    public Tensor Exp() => Ops.Exp.Instance.Apply(this);

    /// <summary>Natural logarithm element-wise.</summary>
    public Tensor Log() => Ops.Log.Instance.Apply(this);

    /// <summary>ln(1 + x) element-wise, accurate where x is small (PyTorch's log1p).</summary>
    public Tensor Log1p() => Ops.Log1p.Instance.Apply(this);

    /// <summary>Square root element-wise.</summary>
    public Tensor Sqrt() => Ops.Sqrt.Instance.Apply(this);

    /// <summary>1/√x element-wise.</summary>
    public Tensor Rsqrt() => 1.0 / Sqrt();

    /// <summary>Absolute value element-wise.</summary>
    public Tensor Abs() => Ops.Abs.Instance.Apply(this);

    /// <summary>−1, 0 or 1 by the sign of each element.</summary>
    public Tensor Sign() => Ops.Sign.Instance.Apply(this);

    /// <summary>Hyperbolic tangent element-wise.</summary>
    public Tensor Tanh() => Ops.Tanh.Instance.Apply(this);

    /// <summary>Logistic sigmoid σ(x) = 1/(1 + e⁻ˣ) element-wise.</summary>
    public Tensor Sigmoid() => Ops.Sigmoid.Instance.Apply(this);

    /// <summary>max(x, 0) element-wise.</summary>
    public Tensor Relu() => Ops.Relu.Instance.Apply(this);

    /// <summary>Sine element-wise.</summary>
    public Tensor Sin() => Ops.Sin.Instance.Apply(this);

    /// <summary>Cosine element-wise.</summary>
    public Tensor Cos() => Ops.Cos.Instance.Apply(this);

    /// <summary>The error function element-wise.</summary>
    public Tensor Erf() => Ops.Erf.Instance.Apply(this);

    /// <summary>x² element-wise.</summary>
    public Tensor Square() => this * this;

    /// <summary>xᵖ element-wise.</summary>
    public Tensor Pow(double exponent) => Ops.Pow.Instance.Apply(this, ScalarOf(exponent, this));

    /// <summary>xʸ element-wise with broadcasting.</summary>
    public Tensor Pow(Tensor exponent) => Ops.Pow.Instance.Apply(this, exponent);

    /// <summary>Clamps into [min, max] (either bound may be omitted); the gradient passes inside the bounds.</summary>
    public Tensor Clamp(double? min = null, double? max = null) =>
        new Clamp(min ?? double.NegativeInfinity, max ?? double.PositiveInfinity).Apply(this);

    /// <summary>Element-wise maximum with broadcasting (ties split the gradient, as PyTorch).</summary>
    public Tensor Maximum(Tensor other) => Ops.Maximum.Instance.Apply(this, other);

    /// <summary>Element-wise minimum with broadcasting: −max(−a, −b).</summary>
    public Tensor Minimum(Tensor other) => -Ops.Maximum.Instance.Apply(-this, -other);

    /// <summary>Leaky ReLU: x for x &gt; 0, slope·x otherwise (PyTorch default slope 0.01).</summary>
    public Tensor LeakyRelu(double negativeSlope = 0.01) => Where(Detach().Gt(0.0), this, this * negativeSlope);

    /// <summary>ELU: x for x &gt; 0, α(eˣ − 1) otherwise.</summary>
    public Tensor Elu(double alpha = 1.0) => Where(Detach().Gt(0.0), this, (Clamp(max: 0).Exp() - 1.0) * alpha);

    /// <summary>GELU, exact form x·Φ(x) = x/2·(1 + erf(x/√2)) (PyTorch's default), or the tanh approximation.</summary>
    public Tensor Gelu(bool tanhApproximation = false) => tanhApproximation
        ? 0.5 * this * (1.0 + ((this + (0.044715 * this.Pow(3))) * Math.Sqrt(2 / Math.PI)).Tanh())
        : 0.5 * this * (1.0 + (this * (1 / Math.Sqrt(2))).Erf());

    /// <summary>
    /// Softplus log(1 + eˣ), computed stably as max(x, 0) + log1p(e^−|x|) (no overflow for large x, no lost digits for
    /// very negative x), with −|x| written as where(x &gt; 0, −x, x) so that the derivative at 0 is σ(0) = ½ (|x| would
    /// give 0 there). Both branches are finite everywhere, so the gradient has no 0·∞.
    /// </summary>
    public Tensor Softplus() => Relu() + Where(Detach().Gt(0.0), -this, this).Exp().Log1p();

    /// <summary>Element-wise equality (Bool result, no gradient).</summary>
    public Tensor Eq(Tensor other) => Compare.Apply(this, other, Compare.Kind.Eq);

    /// <summary>Element-wise equality with a scalar.</summary>
    public Tensor Eq(double other) => Compare.Apply(this, ScalarOfDType(other), Compare.Kind.Eq);

    /// <summary>Element-wise inequality.</summary>
    public Tensor Ne(Tensor other) => Compare.Apply(this, other, Compare.Kind.Ne);

    /// <summary>Element-wise inequality with a scalar.</summary>
    public Tensor Ne(double other) => Compare.Apply(this, ScalarOfDType(other), Compare.Kind.Ne);

    /// <summary>Element-wise a &gt; b.</summary>
    public Tensor Gt(Tensor other) => Compare.Apply(this, other, Compare.Kind.Gt);

    /// <summary>Element-wise a &gt; scalar.</summary>
    public Tensor Gt(double other) => Compare.Apply(this, ScalarOfDType(other), Compare.Kind.Gt);

    /// <summary>Element-wise a ≥ b.</summary>
    public Tensor Ge(Tensor other) => Compare.Apply(this, other, Compare.Kind.Ge);

    /// <summary>Element-wise a ≥ scalar.</summary>
    public Tensor Ge(double other) => Compare.Apply(this, ScalarOfDType(other), Compare.Kind.Ge);

    /// <summary>Element-wise a &lt; b.</summary>
    public Tensor Lt(Tensor other) => Compare.Apply(this, other, Compare.Kind.Lt);

    /// <summary>Element-wise a &lt; scalar.</summary>
    public Tensor Lt(double other) => Compare.Apply(this, ScalarOfDType(other), Compare.Kind.Lt);

    /// <summary>Element-wise a ≤ b.</summary>
    public Tensor Le(Tensor other) => Compare.Apply(this, other, Compare.Kind.Le);

    /// <summary>Element-wise a ≤ scalar.</summary>
    public Tensor Le(double other) => Compare.Apply(this, ScalarOfDType(other), Compare.Kind.Le);

    /// <summary>Element-wise logical and of two Bool tensors.</summary>
    public Tensor LogicalAnd(Tensor other) => Compare.Apply(To(DType.Int64), other.To(DType.Int64), Compare.Kind.And);

    /// <summary>Element-wise logical or of two Bool tensors.</summary>
    public Tensor LogicalOr(Tensor other) => Compare.Apply(To(DType.Int64), other.To(DType.Int64), Compare.Kind.Or);

    /// <summary>Element-wise logical not of a Bool tensor.</summary>
    public Tensor LogicalNot() => Eq(0.0);

    private Tensor ScalarOfDType(double value) => Scalar(value, DType == DType.Bool ? DType.Int64 : DType);
}
