namespace Nabla.NN;

public static partial class F
{
    /// <summary>SELU's α (Klambauer et al. 2017, to PyTorch's digits).</summary>
    public const double SeluAlpha = 1.6732632423543772848170429916717;

    /// <summary>SELU's scale λ.</summary>
    public const double SeluScale = 1.0507009873554804934193349852946;

    /// <summary>
    /// SELU: y = λ·x for x &gt; 0, λα(eˣ − 1) otherwise, with the self-normalising constants α ≈ 1.6733 and
    /// λ ≈ 1.0507. At x = 0 the gradient is λα, as PyTorch's elu_backward.
    /// </summary>
    public static Tensor Selu(Tensor x) =>
        Tensor.Where(x.Detach().Gt(0.0), x * SeluScale, (x.Clamp(max: 0).Exp() - 1.0) * (SeluAlpha * SeluScale));
}

/// <summary>SELU: y = λ·(max(0, x) + min(0, α(eˣ − 1))) (PyTorch's <c>nn.SELU</c>).</summary>
public sealed class SELU : ElementwiseModule
{
    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => F.Selu(input);
}

/// <summary><c>nn.SELU</c>.</summary>
public sealed class SELUDescriptor() : SimpleDescriptor<SELU>("y = λ·x if x > 0 else λα·(e^x − 1), α = 1.6733, λ = 1.0507");
