namespace Nabla.NN;

public static partial class F
{
    /// <summary>
    /// Hard swish (MobileNetV3): y = x·min(max(x + 3, 0), 6) / 6, i.e. 0 for x ≤ −3, x for x ≥ 3, x(x + 3)/6 between.
    /// </summary>
    /// <remarks>
    /// The gradient is x/3 + ½ strictly inside (−3, 3), 0 for x ≤ −3 and 1 for x ≥ 3, as libtorch 2.10's
    /// hardswish_backward (checked against it at both breakpoints); each piece is written out so that autograd
    /// takes the same side at the breakpoints.
    /// </remarks>
    public static Tensor Hardswish(Tensor x)
    {
        var xd = x.Detach();
        return Tensor.Where(xd.Le(-3.0), Tensor.Scalar(0.0, x.DType), Tensor.Where(xd.Lt(3.0), x * (x + 3.0) / 6.0, x));
    }
}

/// <summary>Hard swish: y = x·min(max(x + 3, 0), 6) / 6 (PyTorch's <c>nn.Hardswish</c>).</summary>
public sealed class Hardswish : ElementwiseModule
{
    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => F.Hardswish(input);
}

/// <summary><c>nn.Hardswish</c>.</summary>
public sealed class HardswishDescriptor() : SimpleDescriptor<Hardswish>("y = x·min(max(x + 3, 0), 6)/6");
