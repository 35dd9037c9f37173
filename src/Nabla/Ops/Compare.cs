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
        // One loop per kind, so the comparison is not re-dispatched per element (relu's backward mask is hot).
        switch (kind)
        {
            case Kind.Eq: Loop<T, EqOp<T>>(a, b, scalar, y); break;
            case Kind.Ne: Loop<T, NeOp<T>>(a, b, scalar, y); break;
            case Kind.Gt: Loop<T, GtOp<T>>(a, b, scalar, y); break;
            case Kind.Ge: Loop<T, GeOp<T>>(a, b, scalar, y); break;
            case Kind.Lt: Loop<T, LtOp<T>>(a, b, scalar, y); break;
            case Kind.Le: Loop<T, LeOp<T>>(a, b, scalar, y); break;
            case Kind.And: Loop<T, AndOp<T>>(a, b, scalar, y); break;
            default: Loop<T, OrOp<T>>(a, b, scalar, y); break;
        }
    }

    private static void Loop<T, TOp>(ReadOnlySpan<T> a, ReadOnlySpan<T> b, bool scalar, Span<bool> y)
        where T : INumber<T>
        where TOp : struct, ICmp<T>
    {
        if (scalar)
        {
            T z = b[0];
            for (int i = 0; i < y.Length; i++)
            {
                y[i] = TOp.Test(a[i], z);
            }
        }
        else
        {
            for (int i = 0; i < y.Length; i++)
            {
                y[i] = TOp.Test(a[i], b[i]);
            }
        }
    }

    private interface ICmp<T>
    {
        static abstract bool Test(T x, T z);
    }

    private readonly struct EqOp<T> : ICmp<T> where T : INumber<T>
    {
        public static bool Test(T x, T z) => x == z;
    }

    private readonly struct NeOp<T> : ICmp<T> where T : INumber<T>
    {
        public static bool Test(T x, T z) => x != z;
    }

    private readonly struct GtOp<T> : ICmp<T> where T : INumber<T>
    {
        public static bool Test(T x, T z) => x > z;
    }

    private readonly struct GeOp<T> : ICmp<T> where T : INumber<T>
    {
        public static bool Test(T x, T z) => x >= z;
    }

    private readonly struct LtOp<T> : ICmp<T> where T : INumber<T>
    {
        public static bool Test(T x, T z) => x < z;
    }

    private readonly struct LeOp<T> : ICmp<T> where T : INumber<T>
    {
        public static bool Test(T x, T z) => x <= z;
    }

    private readonly struct AndOp<T> : ICmp<T> where T : INumber<T>
    {
        public static bool Test(T x, T z) => x != T.Zero && z != T.Zero;
    }

    private readonly struct OrOp<T> : ICmp<T> where T : INumber<T>
    {
        public static bool Test(T x, T z) => x != T.Zero || z != T.Zero;
    }
}
