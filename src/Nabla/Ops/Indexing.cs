namespace Nabla.Ops;

// Index-driven primitives. Gather and ScatterAdd are each other's adjoints, so both are differentiable to
// any order; IndexSelect and MaskedFill are composites of these.

/// <summary>y[i] = x[i with coordinate dim replaced by index[i]] (PyTorch's gather).</summary>
internal sealed class Gather(int dim) : Op
{
    public override string Name => "gather";
    public override string Formula => $"y[..., j, ...] = x[..., index[..., j, ...], ...] along dim {dim}";
    public override string GradFormula => "dx = zeros.scatter_add(dim, index, dy)";

    public Tensor Apply(Tensor x, Tensor index)
    {
        int d = CheckIndex(Name, x, dim, index, index.Shape);
        var y = Tensor.Empty(index.Shape, x.DType);
        var xc = x.ContiguousNoGrad();
        var ic = index.ContiguousNoGrad();
        var idx = ic.Elements<long>();
        int io = ic.Offset;
        var xs = xc.Shape.ContiguousStrides();
        ForEach(index.Shape, d, xs, (p, baseOffset) =>
        {
            long k = idx[io + p];
            CheckRange(Name, k, x.Shape.Dims[d], d);
            CopyOne(xc, xc.Offset + baseOffset + ((int)k * xs[d]), y, p);
        });

        var shape = x.Shape;
        return Record(y, [x], dy => [Tensor.Zeros(shape, dy.DType).ScatterAdd(d, index, dy)]);
    }

    internal static int CheckIndex(string op, Tensor x, int dim, Tensor index, Shape srcShape)
    {
        int d = x.Shape.NormalizeDim(dim);
        if (index.DType != DType.Int64)
        {
            throw new ArgumentException($"{op}: index must be Int64, got {index.DType}");
        }

        if (index.Rank != x.Rank || srcShape.Rank != x.Rank)
        {
            throw new ArgumentException($"{op}: index {index.Shape} must have the rank of the input {x.Shape}");
        }

        for (int i = 0; i < x.Rank; i++)
        {
            if (i != d && index.Shape.Dims[i] > x.Shape.Dims[i])
            {
                throw new ArgumentException($"{op}: index {index.Shape} is larger than the input {x.Shape} in dimension {i}");
            }
        }

        return d;
    }

    internal static void CheckRange(string op, long k, int size, int dim)
    {
        if (k < 0 || k >= size)
        {
            throw new ArgumentOutOfRangeException(nameof(k), $"{op}: index {k} is out of bounds for dimension {dim} with size {size}");
        }
    }

    // Calls body(p, offset) for every position p of `shape` (row-major), where offset is the element's offset
    // in a tensor with `strides`, leaving out dimension `skip`.
    internal static void ForEach(Shape shape, int skip, int[] strides, Action<int, int> body)
    {
        int n = (int)shape.Numel;
        int rank = shape.Rank;
        var index = new int[rank];
        int offset = 0;
        for (int p = 0; p < n; p++)
        {
            body(p, offset);
            for (int k = rank - 1; k >= 0; k--)
            {
                index[k]++;
                if (k != skip)
                {
                    offset += strides[k];
                }

                if (index[k] < shape.Dims[k])
                {
                    break;
                }

                if (k != skip)
                {
                    offset -= strides[k] * shape.Dims[k];
                }

                index[k] = 0;
            }
        }
    }

    // Any dtype: integer tensors (labels, indices) are gathered too, as in PyTorch.
    private static void CopyOne(Tensor src, int at, Tensor dst, int p)
    {
        switch (src.Data)
        {
            case float[] f: dst.Elements<float>()[p] = f[at]; break;
            case double[] d: dst.Elements<double>()[p] = d[at]; break;
            case long[] l: dst.Elements<long>()[p] = l[at]; break;
            default: dst.Elements<bool>()[p] = src.Elements<bool>()[at]; break;
        }
    }
}

/// <summary>y = x, then y[i with dim replaced by index[i]] += src[i] for every i of index (PyTorch's scatter_add).</summary>
internal sealed class ScatterAdd(int dim) : Op
{
    public override string Name => "scatter_add";
    public override string Formula => $"y = x; y[..., index[..., j, ...], ...] += src[..., j, ...] along dim {dim}";
    public override string GradFormula => "dx = dy, dsrc = dy.gather(dim, index)";

    public Tensor Apply(Tensor x, Tensor index, Tensor src)
    {
        int d = Gather.CheckIndex(Name, x, dim, index, src.Shape);
        if (src.Shape != index.Shape || src.DType != x.DType || x.DType == DType.Bool)
        {
            throw new ArgumentException($"{Name}: src {src.Shape} ({src.DType}) must have the index's shape {index.Shape} and the input's dtype {x.DType} (Float32, Float64 or Int64)");
        }

        var y = x.ContiguousNoGrad().CloneNoGrad();
        var sc = src.ContiguousNoGrad();
        var ic = index.ContiguousNoGrad();
        var idx = ic.Elements<long>();
        var ys = y.Shape.ContiguousStrides();
        Gather.ForEach(index.Shape, d, ys, (p, baseOffset) =>
        {
            long k = idx[ic.Offset + p];
            Gather.CheckRange(Name, k, x.Shape.Dims[d], d);
            int at = baseOffset + ((int)k * ys[d]);
            switch (y.Data)
            {
                case float[] f: f[at] += sc.Elements<float>()[sc.Offset + p]; break;
                case double[] dd: dd[at] += sc.Elements<double>()[sc.Offset + p]; break;
                default: y.Elements<long>()[at] += sc.Elements<long>()[sc.Offset + p]; break; // Int64 counts
            }
        });

        return Record(y, [x, src], dy => [dy, src.RequiresGrad ? dy.Gather(d, index) : null]);
    }
}

/// <summary>y = condition ? a : b, element-wise with broadcasting of all three.</summary>
internal sealed class Where : Op
{
    public static readonly Where Instance = new();
    public override string Name => "where";
    public override string Formula => "y = cond ? a : b";
    public override string GradFormula => "da = cond ? dy : 0, db = cond ? 0 : dy";

    public Tensor Apply(Tensor condition, Tensor a, Tensor b)
    {
        if (condition.DType != DType.Bool)
        {
            throw new ArgumentException($"where: condition must be Bool, got {condition.DType}");
        }

        a.RequireFloat(Name);
        if (a.DType != b.DType)
        {
            var t = DTypeExtensions.Promote(a.DType, b.DType);
            (a, b) = (a.To(t), b.To(t));
        }

        var shape = Shape.Broadcast(Shape.Broadcast(condition.Shape, a.Shape, Name), b.Shape, Name);
        var c = condition.ExpandNoGrad(shape).ContiguousNoGrad();
        var ac = a.ExpandNoGrad(shape).ContiguousNoGrad();
        var bc = b.ExpandNoGrad(shape).ContiguousNoGrad();
        var y = Tensor.Empty(shape, a.DType);
        var cs = c.Span<bool>();
        if (a.DType == DType.Float32)
        {
            Select(cs, ac.Span<float>(), bc.Span<float>(), y.Span<float>());
        }
        else
        {
            Select(cs, ac.Span<double>(), bc.Span<double>(), y.Span<double>());
        }

        var (sa, sb) = (a.Shape, b.Shape);
        return Record(y, [a, b], dy =>
        {
            var zero = Tensor.ZerosLike(dy);
            return [a.RequiresGrad ? Tensor.Where(condition, dy, zero).SumTo(sa) : null,
                    b.RequiresGrad ? Tensor.Where(condition, zero, dy).SumTo(sb) : null];
        });
    }

    private static void Select<T>(ReadOnlySpan<bool> c, ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> y)
    {
        for (int i = 0; i < y.Length; i++)
        {
            y[i] = c[i] ? a[i] : b[i];
        }
    }
}
