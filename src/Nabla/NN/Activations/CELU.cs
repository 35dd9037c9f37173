namespace Nabla.NN;

public static partial class F
{
    /// <summary>
    /// CELU: y = max(0, x) + min(0, α(e^(x/α) − 1)), continuously differentiable for every α. At x = 0 the gradient
    /// is 1 from both sides.
    /// </summary>
    /// <exception cref="ArgumentException">α is 0 (PyTorch: "alpha cannot be 0 for CELU").</exception>
    public static Tensor Celu(Tensor x, double alpha = 1.0)
    {
        if (alpha == 0)
        {
            throw new ArgumentException("celu: alpha cannot be 0", nameof(alpha));
        }

        return Tensor.Where(x.Detach().Gt(0.0), x, ((x.Clamp(max: 0) * (1 / alpha)).Exp() - 1.0) * alpha);
    }
}

/// <summary>CELU: y = max(0, x) + min(0, α(e^(x/α) − 1)) (PyTorch's <c>nn.CELU</c>).</summary>
public sealed class CELU(double alpha = 1.0) : ElementwiseModule
{
    /// <summary>α (not 0).</summary>
    public double Alpha { get; } = ActivationRules.Finite(alpha, "CELU", nameof(alpha)) != 0 ? alpha
        : throw new ArgumentException("CELU: alpha cannot be 0", nameof(alpha));

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => F.Celu(input, Alpha);

    /// <inheritdoc/>
    public override string ExtraRepr() => $"alpha={Alpha}";
}

/// <summary><c>nn.CELU</c>.</summary>
public sealed class CELUDescriptor() : OneArgDescriptor<CELU>(new("alpha", ArgKind.Double, 1.0), s => new CELU(s.Double("alpha")),
    m => m.Alpha, (s, _) => $"y = max(0, x) + min(0, {Num(s.Double("alpha"))}·(e^(x/{Num(s.Double("alpha"))}) − 1))", 0.5);
