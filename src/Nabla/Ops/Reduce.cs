using Nabla.Ops.Kernels;

namespace Nabla.Ops;

/// <summary>y = Σ x over the given dimensions (all when none are given), optionally keeping them as size 1.</summary>
internal sealed class Sum(int[] dims, bool keepDim) : Op
{
    public override string Name => "sum";
    public override string Formula => $"y = Σ x over dims ({string.Join(", ", dims)})";
    public override string GradFormula => "dx = dy broadcast back to the shape of x";

    public Tensor Apply(Tensor x)
    {
        x.RequireFloat(Name);
        var reduced = Normalize(x.Shape, dims);
        var kept = KeptShape(x.Shape, reduced);
        var y = x.Contiguous();

        // Reduce runs of adjacent dimensions at once, from the last run to the first, on [outer, n, inner] views.
        for (int d = x.Rank - 1; d >= 0; d--)
        {
            if (!reduced[d])
            {
                continue;
            }

            int start = d;
            while (start > 0 && reduced[start - 1])
            {
                start--;
            }

            y = SumRun(y, start, d);
            d = start;
        }

        y = y.ReshapeNoGrad(keepDim ? kept : DroppedShape(x.Shape, reduced));
        var shape = x.Shape;
        return Record(y, [x], dy => [(keepDim ? dy : dy.Reshape(kept)).Expand(shape)]);
    }

    internal static bool[] Normalize(Shape s, int[] dims)
    {
        var r = new bool[s.Rank];
        if (dims.Length == 0)
        {
            Array.Fill(r, true);
        }

        foreach (var d in dims)
        {
            int n = s.NormalizeDim(d);
            if (s.Rank > 0)
            {
                r[n] = true;
            }
        }

        return r;
    }

    internal static Shape KeptShape(Shape s, bool[] reduced)
    {
        var k = s.ToArray();
        for (int i = 0; i < k.Length; i++)
        {
            k[i] = reduced[i] ? 1 : k[i];
        }

        return new Shape(k);
    }

    internal static Shape DroppedShape(Shape s, bool[] reduced)
    {
        var k = new List<int>();
        for (int i = 0; i < s.Rank; i++)
        {
            if (!reduced[i])
            {
                k.Add(s.Dims[i]);
            }
        }

        return new Shape(k.ToArray());
    }

    // Sums dims first..last (inclusive) of a contiguous tensor, keeping them as size 1.
    private static Tensor SumRun(Tensor x, int first, int last)
    {
        var (outer, n, inner) = Split(x.Shape, first, last);
        var outShape = x.Shape.ToArray();
        for (int i = first; i <= last; i++)
        {
            outShape[i] = 1;
        }

        var y = Tensor.Empty(new Shape(outShape), x.DType);
        if (x.DType == DType.Float32)
        {
            Reduce.Sum(x.Span<float>(), outer, n, inner, y.Span<float>());
        }
        else
        {
            Reduce.Sum(x.Span<double>(), outer, n, inner, y.Span<double>());
        }

        return y;
    }

    internal static (int Outer, int N, int Inner) Split(Shape s, int first, int last)
    {
        int outer = 1, n = 1, inner = 1;
        for (int i = 0; i < s.Rank; i++)
        {
            if (i < first)
            {
                outer *= s.Dims[i];
            }
            else if (i <= last)
            {
                n *= s.Dims[i];
            }
            else
            {
                inner *= s.Dims[i];
            }
        }

        return (outer, n, inner);
    }
}

/// <summary>
/// (values, indices) = max (or min) of x along one dimension. The gradient goes to the selected element only.
/// </summary>
internal sealed class MaxAlongDim(int dim, bool keepDim, bool min) : Op
{
    public override string Name => min ? "min" : "max";
    public override string Formula => $"y = {Name} of x along dim {dim}";
    public override string GradFormula => $"dx = dy at the arg{Name}, 0 elsewhere";

    public (Tensor Values, Tensor Indices) Apply(Tensor x)
    {
        x.RequireFloat(Name);
        int d = x.Shape.NormalizeDim(dim);
        int n = x.Rank == 0 ? 1 : x.Shape[d];
        if (n == 0)
        {
            throw new ArgumentException($"{Name}: cannot reduce dimension {dim} of size 0 (shape {x.Shape})");
        }

        var (outer, _, inner) = x.Rank == 0 ? (1, 1, 1) : Sum.Split(x.Shape, d, d);
        var kept = x.Rank == 0 ? x.Shape : x.Shape.With(d, 1);
        var values = Tensor.Empty(kept, x.DType);
        var indices = Tensor.Empty(kept, DType.Int64);
        var xc = x.Contiguous();
        if (x.DType == DType.Float32)
        {
            Reduce.ArgMax(xc.Span<float>(), outer, n, inner, values.Span<float>(), indices.Span<long>(), min);
        }
        else
        {
            Reduce.ArgMax(xc.Span<double>(), outer, n, inner, values.Span<double>(), indices.Span<long>(), min);
        }

        var final = keepDim || x.Rank == 0 ? kept : DroppedShapeOf(x.Shape, d);
        var v = values.ReshapeNoGrad(final);
        var shape = x.Shape;
        // A 0-d input is its own maximum: the gradient passes unchanged (there is no dimension to scatter along).
        Record(v, [x], dy => [shape.Rank == 0 ? dy : Tensor.Zeros(shape, dy.DType).ScatterAdd(d, indices, keepDim ? dy : dy.Unsqueeze(d))]);
        return (v, indices.ReshapeNoGrad(final));
    }

    private static Shape DroppedShapeOf(Shape s, int d)
    {
        var r = new bool[s.Rank];
        r[d] = true;
        return Sum.DroppedShape(s, r);
    }
}
