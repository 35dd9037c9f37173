using Nabla.Ops;
using Nabla.Ops.Kernels;

namespace Nabla;

public sealed partial class Tensor
{
    /// <summary>
    /// The same elements in a new shape; one size may be −1 (inferred). A view when the tensor is contiguous,
    /// else a copy (PyTorch's <c>reshape</c>).
    /// </summary>
    public Tensor Reshape(params int[] shape) => new Reshape(InferShape(shape)).Apply(this);

    /// <summary>The same elements in a new shape.</summary>
    public Tensor Reshape(Shape shape) => new Reshape(shape).Apply(this);

    /// <summary>Alias of <see cref="Reshape(int[])"/> (PyTorch's <c>view</c>).</summary>
    public Tensor View(params int[] shape) => Reshape(shape);

    /// <summary>Flattens dimensions startDim..endDim into one.</summary>
    public Tensor Flatten(int startDim = 0, int endDim = -1)
    {
        if (Rank == 0)
        {
            return Reshape(1);
        }

        int s = Shape.NormalizeDim(startDim), e = Shape.NormalizeDim(endDim);
        var dims = new List<int>();
        for (int i = 0; i < s; i++)
        {
            dims.Add(Shape.Dims[i]);
        }

        int prod = 1;
        for (int i = s; i <= e; i++)
        {
            prod *= Shape.Dims[i];
        }

        dims.Add(prod);
        for (int i = e + 1; i < Rank; i++)
        {
            dims.Add(Shape.Dims[i]);
        }

        return Reshape(new Shape(dims.ToArray()));
    }

    /// <summary>Reorders the dimensions (a view).</summary>
    public Tensor Permute(params int[] dims) => new Permute(dims).Apply(this);

    /// <summary>Swaps two dimensions (a view).</summary>
    public Tensor Transpose(int dim0, int dim1)
    {
        var p = Enumerable.Range(0, Rank).ToArray();
        int a = Shape.NormalizeDim(dim0), b = Shape.NormalizeDim(dim1);
        (p[a], p[b]) = (p[b], p[a]);
        return Permute(p);
    }

    /// <summary>The transpose of a matrix (rank ≤ 2), like PyTorch's <c>.T</c>.</summary>
    public Tensor T => Rank < 2 ? this : Transpose(0, 1);

    /// <summary>The transpose of the last two dimensions (PyTorch's <c>.mT</c>).</summary>
    public Tensor MT => Transpose(-2, -1);

    /// <summary>Repeats size-1 dimensions to <paramref name="shape"/> without copying; −1 keeps a size.</summary>
    public Tensor Expand(params int[] shape)
    {
        var s = (int[])shape.Clone();
        for (int i = 0; i < s.Length; i++)
        {
            if (s[i] == -1)
            {
                s[i] = Shape.Dims[i - (s.Length - Rank)];
            }
        }

        return Expand(new Shape(s));
    }

    /// <summary>Repeats size-1 dimensions to <paramref name="shape"/> without copying.</summary>
    public Tensor Expand(Shape shape) => new Expand(shape).Apply(this);

    /// <summary>Expands to the shape of <paramref name="other"/>.</summary>
    public Tensor ExpandAs(Tensor other) => Expand(other.Shape);

    /// <summary>Elements start..start+length−1 along a dimension (a view).</summary>
    public Tensor Narrow(int dim, int start, int length) => new Narrow(dim, start, length).Apply(this);

    /// <summary>Elements start..end−1 along a dimension (Python's <c>x[start:end]</c>); negatives count from the end.</summary>
    public Tensor Slice(int dim, int start, int end)
    {
        int size = Shape[dim];
        int s = Math.Clamp(start < 0 ? start + size : start, 0, size);
        int e = Math.Clamp(end < 0 ? end + size : end, 0, size);
        return Narrow(dim, s, Math.Max(0, e - s));
    }

    /// <summary>The sub-tensor at <paramref name="index"/> along a dimension, which is removed (<c>select</c>).</summary>
    public Tensor Select(int dim, int index)
    {
        int size = Shape[dim];
        int i = index < 0 ? index + size : index;
        return Narrow(dim, i, 1).Squeeze(dim);
    }

    /// <summary>Indexes leading dimensions: <c>x[1, 2]</c> is <c>x.Select(0, 1).Select(0, 2)</c>.</summary>
    [System.Runtime.CompilerServices.IndexerName("At")]
    public Tensor this[params int[] indices]
    {
        get
        {
            var t = this;
            foreach (var i in indices)
            {
                t = t.Select(0, i);
            }

            return t;
        }
    }

    /// <summary>Removes a size-1 dimension, or all of them when <paramref name="dim"/> is null.</summary>
    public Tensor Squeeze(int? dim = null)
    {
        if (dim is int d)
        {
            int n = Shape.NormalizeDim(d);
            return Rank == 0 || Shape.Dims[n] != 1 ? this : Reshape(new Shape(Shape.ToArray().Where((_, i) => i != n).ToArray()));
        }

        return Reshape(new Shape(Shape.ToArray().Where(s => s != 1).ToArray()));
    }

    /// <summary>Inserts a size-1 dimension at <paramref name="dim"/> (−1 appends).</summary>
    public Tensor Unsqueeze(int dim)
    {
        int d = dim < 0 ? dim + Rank + 1 : dim;
        if (d < 0 || d > Rank)
        {
            throw new ArgumentOutOfRangeException(nameof(dim), $"unsqueeze: dimension {dim} is out of range for shape {Shape}");
        }

        var s = Shape.ToArray().ToList();
        s.Insert(d, 1);
        return Reshape(new Shape(s.ToArray()));
    }

    /// <summary>A contiguous tensor with the same values (itself when already contiguous).</summary>
    public Tensor Contiguous() => Ops.Contiguous.Instance.Apply(this);

    /// <summary>A copy that does not share data; gradients flow through it (<c>clone</c>).</summary>
    public Tensor Clone() => !DType.IsFloatingPoint() ? CloneNoGrad() : IsContiguous ? this * 1.0 : Contiguous();

    /// <summary>Converts to another dtype (differentiable between Float32 and Float64).</summary>
    public Tensor To(DType dtype) => new Cast(dtype).Apply(this);

    /// <summary>
    /// Pads with a constant, PyTorch's <c>F.pad</c> order: (left, right) of the last dimension first, then
    /// (top, bottom) of the one before, and so on.
    /// </summary>
    public Tensor Pad(int[] pad, double value = 0)
    {
        if (pad.Length % 2 != 0 || pad.Length / 2 > Rank)
        {
            throw new ArgumentException($"pad: expected pairs for at most {Rank} dimensions, got {pad.Length} values", nameof(pad));
        }

        var pairs = new (int, int)[Rank];
        for (int i = 0; i < pad.Length / 2; i++)
        {
            pairs[Rank - 1 - i] = (pad[2 * i], pad[(2 * i) + 1]);
        }

        return Pad(pairs, value);
    }

    /// <summary>Pads each dimension i with pads[i] = (before, after) copies of a constant.</summary>
    public Tensor Pad((int Before, int After)[] pads, double value = 0) => new Pad(pads, value).Apply(this);

    /// <summary>Joins tensors along an existing dimension.</summary>
    public static Tensor Cat(IReadOnlyList<Tensor> tensors, int dim = 0) => new Cat(dim).Apply(tensors.ToArray());

    /// <summary>Joins tensors of equal shape along a new dimension.</summary>
    public static Tensor Stack(IReadOnlyList<Tensor> tensors, int dim = 0) =>
        Cat(tensors.Select(t => t.Unsqueeze(dim)).ToArray(), dim);

    /// <summary>Splits into pieces of <paramref name="splitSize"/> along a dimension (the last may be smaller).</summary>
    public Tensor[] Split(int splitSize, int dim = 0)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(splitSize, 1);
        int size = Shape[dim];
        var parts = new List<Tensor>();
        for (int s = 0; s < size; s += splitSize)
        {
            parts.Add(Narrow(dim, s, Math.Min(splitSize, size - s)));
        }

        return parts.ToArray();
    }

    /// <summary>Splits into <paramref name="chunks"/> pieces of size ⌈n / chunks⌉ along a dimension.</summary>
    public Tensor[] Chunk(int chunks, int dim = 0)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(chunks, 1);
        return Split(Math.Max(1, (Shape[dim] + chunks - 1) / chunks), dim);
    }

    private Shape InferShape(int[] shape)
    {
        int infer = -1;
        long known = 1;
        for (int i = 0; i < shape.Length; i++)
        {
            if (shape[i] == -1)
            {
                if (infer >= 0)
                {
                    throw new ArgumentException($"reshape: only one dimension can be -1, got [{string.Join(", ", shape)}]");
                }

                infer = i;
            }
            else
            {
                known *= shape[i];
            }
        }

        if (infer < 0)
        {
            return new Shape(shape);
        }

        if (known == 0 || Numel % known != 0)
        {
            throw new ArgumentException($"reshape: cannot reshape a tensor of shape {Shape} ({Numel} elements) into [{string.Join(", ", shape)}]");
        }

        var s = (int[])shape.Clone();
        s[infer] = (int)(Numel / known);
        return new Shape(s);
    }

    // Internal graph-free helpers used inside primitive ops.

    internal Tensor ReshapeNoGrad(Shape shape)
    {
        var c = ContiguousNoGrad();
        return new Tensor(c.Data, DType, shape, shape.ContiguousStrides(), c.Offset);
    }

    internal Tensor ContiguousNoGrad()
    {
        if (IsContiguous)
        {
            return GradFn is null && !RequiresGrad ? this : Detach();
        }

        var y = Empty(Shape, DType);
        CopyElements(this, y);
        return y;
    }

    internal Tensor CloneNoGrad()
    {
        var y = Empty(Shape, DType);
        CopyElements(this, y);
        return y;
    }

    internal Tensor NarrowNoGrad(int dim, int start, int length) =>
        new(Data, DType, Shape.With(dim, length), Strides, Offset + (start * Strides[Shape.NormalizeDim(dim)]));

    internal Tensor ExpandNoGrad(Shape shape)
    {
        using (GradMode.NoGrad())
        {
            return Detach().Expand(shape);
        }
    }

    /// <summary>Copies the elements of <paramref name="src"/> into the (possibly strided) view <paramref name="dst"/> of the same shape and dtype.</summary>
    internal static void CopyElements(Tensor src, Tensor dst)
    {
        var shape = src.Shape.Dims;
        switch (dst.Data)
        {
            case float[] f: Strided.Copy(src.Elements<float>(), src.Offset, src.Strides, f, dst.Offset, dst.Strides, shape); break;
            case double[] d: Strided.Copy(src.Elements<double>(), src.Offset, src.Strides, d, dst.Offset, dst.Strides, shape); break;
            case long[] l: Strided.Copy(src.Elements<long>(), src.Offset, src.Strides, l, dst.Offset, dst.Strides, shape); break;
            case bool[] b: Strided.Copy(src.Elements<bool>(), src.Offset, src.Strides, b, dst.Offset, dst.Strides, shape); break;
        }
    }

    /// <summary>Converts the elements of contiguous <paramref name="src"/> into contiguous <paramref name="dst"/> of another dtype.</summary>
    internal static void ConvertElements(Tensor src, Tensor dst)
    {
        int n = (int)src.Numel;
        switch (src.Data, dst.Data)
        {
            case (float[] f, double[] d):
                System.Numerics.Tensors.TensorPrimitives.ConvertChecked<float, double>(f.AsSpan(src.Offset, n), d.AsSpan(dst.Offset, n));
                return;
            case (double[] d, float[] f):
                System.Numerics.Tensors.TensorPrimitives.ConvertTruncating<double, float>(d.AsSpan(src.Offset, n), f.AsSpan(dst.Offset, n));
                return;
            case (bool[] b, float[] f):
                ConvertBool(b.AsSpan(src.Offset, n), f.AsSpan(dst.Offset, n));
                return;
            case (bool[] b, double[] d):
                ConvertBool(b.AsSpan(src.Offset, n), d.AsSpan(dst.Offset, n));
                return;
        }

        for (int i = 0; i < n; i++)
        {
            dst.SetFlat(i, src.GetAsDouble(src.Offset + i));
        }
    }

    // Masks to 0/1 floats: bool is one byte, 0 or 1, so a widening conversion of the bytes is exact.
    private static void ConvertBool<T>(ReadOnlySpan<bool> b, Span<T> y) where T : unmanaged, System.Numerics.INumberBase<T>
    {
        var bytes = System.Runtime.InteropServices.MemoryMarshal.Cast<bool, byte>(b);
        System.Numerics.Tensors.TensorPrimitives.ConvertChecked<byte, T>(bytes, y);
    }
}
