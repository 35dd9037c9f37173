namespace Nabla.Ops;

// Primitives that move or view data without arithmetic. Views (reshape of contiguous data, permute,
// expand, narrow) share the input's array; their backward rules are the inverse movements.

/// <summary>y = x with a new shape of the same element count (a view when x is contiguous).</summary>
internal sealed class Reshape(Shape shape) : Op
{
    public override string Name => "reshape";
    public override string Formula => $"y = reshape(x, {shape})";
    public override string GradFormula => "dx = reshape(dy, shape of x)";

    public Tensor Apply(Tensor x)
    {
        if (x.Numel != shape.Numel)
        {
            throw new ArgumentException($"reshape: cannot reshape a tensor of shape {x.Shape} ({x.Numel} elements) into {shape} ({shape.Numel} elements)");
        }

        var from = x.Shape;
        return Record(x.ContiguousNoGrad().ReshapeNoGrad(shape), [x], dy => [dy.Reshape(from)]);
    }
}

/// <summary>y = x with its dimensions reordered (a view).</summary>
internal sealed class Permute(int[] dims) : Op
{
    public override string Name => "permute";
    public override string Formula => $"y = permute(x, ({string.Join(", ", dims)}))";
    public override string GradFormula => "dx = permute(dy, inverse order)";

    public Tensor Apply(Tensor x)
    {
        if (dims.Length != x.Rank)
        {
            throw new ArgumentException($"permute: {dims.Length} dimensions given for a tensor of shape {x.Shape}");
        }

        var perm = new int[dims.Length];
        var seen = new bool[dims.Length];
        var sizes = new int[dims.Length];
        var strides = new int[dims.Length];
        for (int i = 0; i < dims.Length; i++)
        {
            int d = x.Shape.NormalizeDim(dims[i]);
            if (seen[d])
            {
                throw new ArgumentException($"permute: dimension {d} repeated in ({string.Join(", ", dims)})");
            }

            seen[d] = true;
            perm[i] = d;
            sizes[i] = x.Shape.Dims[d];
            strides[i] = x.Strides[d];
        }

        var inverse = new int[perm.Length];
        for (int i = 0; i < perm.Length; i++)
        {
            inverse[perm[i]] = i;
        }

        var y = new Tensor(x.Data, x.DType, new Shape(sizes), strides, x.Offset);
        return Record(y, [x], dy => [dy.Permute(inverse)]);
    }
}

/// <summary>y = x repeated along its size-1 dimensions (and new leading ones) without copying (stride 0).</summary>
internal sealed class Expand(Shape shape) : Op
{
    public override string Name => "expand";
    public override string Formula => $"y = expand(x, {shape})";
    public override string GradFormula => "dx = dy summed over the expanded dimensions";

    public Tensor Apply(Tensor x)
    {
        if (x.Shape == shape)
        {
            return x;
        }

        int pad = shape.Rank - x.Rank;
        if (pad < 0)
        {
            throw new ArgumentException($"expand: cannot expand shape {x.Shape} to the smaller rank of {shape}");
        }

        var strides = new int[shape.Rank];
        for (int i = 0; i < shape.Rank; i++)
        {
            if (i < pad)
            {
                continue;
            }

            int size = x.Shape.Dims[i - pad];
            if (size == shape.Dims[i])
            {
                strides[i] = x.Strides[i - pad];
            }
            else if (size != 1)
            {
                throw new ArgumentException($"expand: cannot expand shape {x.Shape} to {shape} (dimension {i}: {size} is neither {shape.Dims[i]} nor 1)");
            }
        }

        var from = x.Shape;
        return Record(new Tensor(x.Data, x.DType, shape, strides, x.Offset), [x], dy => [dy.SumTo(from)]);
    }
}

/// <summary>y = x[..., start:start+length, ...] along one dimension (a view).</summary>
internal sealed class Narrow(int dim, int start, int length) : Op
{
    public override string Name => "narrow";
    public override string Formula => $"y = x[{start}:{start + length}] along dim {dim}";
    public override string GradFormula => "dx = dy padded with zeros back to the shape of x";

    public Tensor Apply(Tensor x)
    {
        int d = x.Shape.NormalizeDim(dim);
        int size = x.Shape.Dims[d];
        if (start < 0 || length < 0 || start + length > size)
        {
            throw new ArgumentOutOfRangeException(nameof(x), $"narrow: range [{start}, {start + length}) is outside dimension {dim} of size {size} (shape {x.Shape})");
        }

        var y = new Tensor(x.Data, x.DType, x.Shape.With(d, length), x.Strides, x.Offset + (start * x.Strides[d]));
        var pads = new (int, int)[x.Rank];
        pads[d] = (start, size - start - length);
        return Record(y, [x], dy => [dy.Pad(pads)]);
    }
}

/// <summary>y = x surrounded by a constant: pads[i] = (before, after) for dimension i.</summary>
internal sealed class Pad((int Before, int After)[] pads, double value) : Op
{
    public override string Name => "pad";
    public override string Formula => $"y = pad(x, value {value})";
    public override string GradFormula => "dx = dy with the padding cut off";

    public Tensor Apply(Tensor x)
    {
        if (pads.Length != x.Rank)
        {
            throw new ArgumentException($"pad: {pads.Length} (before, after) pairs given for a tensor of shape {x.Shape}");
        }

        var sizes = x.Shape.ToArray();
        for (int i = 0; i < sizes.Length; i++)
        {
            if (pads[i].Before < 0 || pads[i].After < 0)
            {
                throw new ArgumentException($"pad: negative padding ({pads[i].Before}, {pads[i].After}) for dimension {i}");
            }

            sizes[i] += pads[i].Before + pads[i].After;
        }

        var y = Tensor.Full(new Shape(sizes), value, x.DType);
        var interior = y;
        for (int i = 0; i < pads.Length; i++)
        {
            interior = interior.NarrowNoGrad(i, pads[i].Before, x.Shape.Dims[i]);
        }

        Tensor.CopyElements(x, interior);
        var shape = x.Shape;
        return Record(y, [x], dy =>
        {
            var g = dy;
            for (int i = 0; i < pads.Length; i++)
            {
                g = g.Narrow(i, pads[i].Before, shape.Dims[i]);
            }

            return [g];
        });
    }
}

/// <summary>y = the tensors joined along one dimension.</summary>
internal sealed class Cat(int dim) : Op
{
    public override string Name => "cat";
    public override string Formula => $"y = cat(x₁, …, xₙ) along dim {dim}";
    public override string GradFormula => "dxᵢ = the slice of dy that came from xᵢ";

    public Tensor Apply(Tensor[] xs)
    {
        if (xs.Length == 0)
        {
            throw new ArgumentException("cat: expected at least one tensor");
        }

        var first = xs[0].Shape;
        int d = first.NormalizeDim(dim);
        int total = 0;
        foreach (var t in xs)
        {
            if (t.Rank != first.Rank || t.DType != xs[0].DType)
            {
                throw new ArgumentException($"cat: tensors must have the same rank and dtype; got {first} ({xs[0].DType}) and {t.Shape} ({t.DType})");
            }

            for (int i = 0; i < first.Rank; i++)
            {
                if (i != d && t.Shape.Dims[i] != first.Dims[i])
                {
                    throw new ArgumentException($"cat: sizes must match except in dimension {d}; got {first} and {t.Shape}");
                }
            }

            total += t.Shape.Dims[d];
        }

        var y = Tensor.Empty(first.With(d, total), xs[0].DType);
        var starts = new int[xs.Length];
        for (int i = 0, at = 0; i < xs.Length; i++)
        {
            starts[i] = at;
            Tensor.CopyElements(xs[i], y.NarrowNoGrad(d, at, xs[i].Shape.Dims[d]));
            at += xs[i].Shape.Dims[d];
        }

        return Record(y, xs, dy =>
        {
            var g = new Tensor?[xs.Length];
            for (int i = 0; i < xs.Length; i++)
            {
                g[i] = xs[i].RequiresGrad ? dy.Narrow(d, starts[i], xs[i].Shape.Dims[d]) : null;
            }

            return g;
        });
    }
}

/// <summary>y = a contiguous copy of x (identity for autograd).</summary>
internal sealed class Contiguous : Op
{
    public static readonly Contiguous Instance = new();
    public override string Name => "contiguous";
    public override string Formula => "y = x (row-major copy)";
    public override string GradFormula => "dx = dy";

    public Tensor Apply(Tensor x) => x.IsContiguous ? x : Record(x.ContiguousNoGrad(), [x], dy => [dy]);
}

/// <summary>y = x converted to another dtype; differentiable between the float types.</summary>
internal sealed class Cast(DType dtype) : Op
{
    public override string Name => "to";
    public override string Formula => $"y = x as {dtype}";
    public override string GradFormula => "dx = dy converted back";

    public Tensor Apply(Tensor x)
    {
        if (x.DType == dtype)
        {
            return x;
        }

        var y = Tensor.Empty(x.Shape, dtype);
        var src = x.ContiguousNoGrad();
        Tensor.ConvertElements(src, y);
        if (!dtype.IsFloatingPoint())
        {
            return y;
        }

        var from = x.DType;
        return Record(y, [x], dy => [dy.To(from)]);
    }
}
