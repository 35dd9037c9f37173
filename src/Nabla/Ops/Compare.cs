using System.Numerics;

namespace Nabla.Ops;

/// <summary>Element-wise comparisons and logical ops with broadcasting; Bool results carry no gradient.</summary>
internal static class Compare
{
    public enum Kind
    {
        Eq,
        Ne,
        Gt,
        Ge,
        Lt,
        Le,
        And,
        Or,
    }

    public static Tensor Apply(Tensor a, Tensor b, Kind kind)
    {
        if (a.DType == DType.Bool)
        {
            a = a.To(DType.Int64);
        }

        if (b.DType == DType.Bool)
        {
            b = b.To(DType.Int64);
        }

        var t = DTypeExtensions.Promote(a.DType, b.DType);
        a = a.Detach().To(t);
        b = b.Detach().To(t);
        var shape = Shape.Broadcast(a.Shape, b.Shape, kind.ToString().ToLowerInvariant());
        var y = Tensor.Empty(shape, DType.Bool);
        var ac = a.ExpandNoGrad(shape).ContiguousNoGrad();
        bool scalar = b.Numel == 1;
        var bc = scalar ? b.ContiguousNoGrad() : b.ExpandNoGrad(shape).ContiguousNoGrad();
        switch (t)
        {
            case DType.Float32: Run(ac.Span<float>(), bc.Span<float>(), scalar, y.Span<bool>(), kind); break;
            case DType.Float64: Run(ac.Span<double>(), bc.Span<double>(), scalar, y.Span<bool>(), kind); break;
            default: Run(ac.Span<long>(), bc.Span<long>(), scalar, y.Span<bool>(), kind); break;
        }

        return y;
    }

    private static void Run<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> b, bool scalar, Span<bool> y, Kind kind)
        where T : INumber<T>
    {
        for (int i = 0; i < y.Length; i++)
        {
            T x = a[i], z = scalar ? b[0] : b[i];
            y[i] = kind switch
            {
                Kind.Eq => x == z,
                Kind.Ne => x != z,
                Kind.Gt => x > z,
                Kind.Ge => x >= z,
                Kind.Lt => x < z,
                Kind.Le => x <= z,
                Kind.And => x != T.Zero && z != T.Zero,
                _ => x != T.Zero || z != T.Zero,
            };
        }
    }
}
