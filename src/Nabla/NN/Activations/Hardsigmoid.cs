namespace Nabla.NN;

public static partial class F
{
    /// <summary>
    /// Hard sigmoid: y = min(max(x + 3, 0), 6) / 6 (0 for x ≤ −3, 1 for x ≥ 3, (x + 3)/6 between). The gradient is
    /// 1/6 strictly inside (−3, 3) and 0 at and beyond the breakpoints, as PyTorch's hardsigmoid_backward.
    /// </summary>
    public static Tensor Hardsigmoid(Tensor x)
    {
        var xd = x.Detach();
        var inside = xd.Gt(-3.0).LogicalAnd(xd.Lt(3.0));
        return Tensor.Where(inside, (x + 3.0) / 6.0, (xd + 3.0).Clamp(0, 6) / 6.0);
    }
}

/// <summary>Hard sigmoid: y = min(max(x + 3, 0), 6) / 6 (PyTorch's <c>nn.Hardsigmoid</c>).</summary>
public sealed class Hardsigmoid : ElementwiseModule
{
    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => F.Hardsigmoid(input);
}

/// <summary><c>nn.Hardsigmoid</c>.</summary>
public sealed class HardsigmoidDescriptor() : SimpleDescriptor<Hardsigmoid>("y = min(max(x + 3, 0), 6)/6");
