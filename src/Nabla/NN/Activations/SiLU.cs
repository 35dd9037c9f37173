namespace Nabla.NN;

public static partial class F
{
    /// <summary>SiLU (swish): y = x·σ(x); dy/dx = σ(x)·(1 + x·(1 − σ(x))).</summary>
    public static Tensor Silu(Tensor x) => x * x.Sigmoid();
}

/// <summary>SiLU (swish): y = x·σ(x) (PyTorch's <c>nn.SiLU</c>).</summary>
public sealed class SiLU : ElementwiseModule
{
    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => F.Silu(input);
}

/// <summary><c>nn.SiLU</c>.</summary>
public sealed class SiLUDescriptor() : SimpleDescriptor<SiLU>("y = x·σ(x)");
