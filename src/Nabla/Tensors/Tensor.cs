using System.Numerics;

namespace Nabla;

/// <summary>
/// An n-dimensional array of <see cref="DType"/> elements that records the operations applied to it, so that
/// gradients can be computed by reverse-mode automatic differentiation (PyTorch's <c>torch.Tensor</c>).
/// </summary>
/// <remarks>
/// A tensor is a strided view of a managed array: <c>element(i₀..iₙ) = data[offset + Σ iₖ·strideₖ]</c>.
/// Views (reshape of a contiguous tensor, permute, expand, narrow) share the array. Tensors are not
/// <see cref="IDisposable"/>: memory is managed and the GC sees it.
/// The class is split by concern into <c>Tensor.*.cs</c> files; the logic lives in <c>Nabla.Ops</c>.
/// </remarks>
public sealed partial class Tensor
{
    private bool requiresGrad;

    internal Tensor(Array data, DType dtype, Shape shape, int[] strides, int offset)
    {
        Data = data;
        DType = dtype;
        Shape = shape;
        Strides = strides;
        Offset = offset;
    }

    internal Tensor(Array data, DType dtype, Shape shape)
        : this(data, dtype, shape, shape.ContiguousStrides(), 0)
    {
    }

    /// <summary>The element type.</summary>
    public DType DType { get; private set; }

    /// <summary>The sizes of the dimensions.</summary>
    public Shape Shape { get; }

    /// <summary>Number of dimensions (<c>dim()</c> in PyTorch).</summary>
    public int Rank => Shape.Rank;

    /// <summary>Number of elements.</summary>
    public long Numel => Shape.Numel;

    /// <summary>The backing array (<c>float[]</c>, <c>double[]</c>, <c>long[]</c> or <c>bool[]</c>).</summary>
    internal Array Data { get; private set; }

    /// <summary>Element strides, in elements (0 for broadcast dimensions).</summary>
    internal int[] Strides { get; private set; }

    /// <summary>Index in <see cref="Data"/> of the first element.</summary>
    internal int Offset { get; private set; }

    /// <summary>The node that produced this tensor, or null for a leaf (PyTorch's <c>grad_fn</c>).</summary>
    public Node? GradFn { get; internal set; }

    /// <summary>The accumulated gradient of a leaf after <see cref="Backward"/>, or null.</summary>
    public Tensor? Grad { get; set; }

    /// <summary>An optional name shown in explanations and error messages (see <see cref="Named"/>).</summary>
    public string? Name { get; set; }

    /// <summary>
    /// Whether gradients flow to this tensor. Leaves set it; results of operations on tensors that require
    /// gradients require them too.
    /// </summary>
    /// <exception cref="InvalidOperationException">Set on a non-leaf tensor, or on a non-float tensor.</exception>
    public bool RequiresGrad
    {
        get => requiresGrad || GradFn is not null;
        set
        {
            if (GradFn is not null)
            {
                throw new InvalidOperationException(
                    "RequiresGrad can only be changed on leaf tensors; use Detach() to get a leaf copy of a result");
            }

            if (value && !DType.IsFloatingPoint())
            {
                throw new InvalidOperationException($"only floating-point tensors can require gradients, this one is {DType}");
            }

            requiresGrad = value;
        }
    }

    /// <summary>True when the tensor has no <see cref="GradFn"/> (created by the user, or detached).</summary>
    public bool IsLeaf => GradFn is null;

    /// <summary>True when the elements are laid out in row-major order without gaps.</summary>
    public bool IsContiguous
    {
        get
        {
            int expected = 1;
            for (int i = Rank - 1; i >= 0; i--)
            {
                int size = Shape.Dims[i];
                if (size != 1 && Strides[i] != expected)
                {
                    return false;
                }

                expected *= size;
            }

            return true;
        }
    }

    /// <summary>
    /// Replaces a leaf's elements by a copy converted to <paramref name="dtype"/>, keeping the object (PyTorch's
    /// <c>param.data = param.data.to(dtype)</c>, what <c>module.to(dtype)</c> does): a module's references to its
    /// parameters stay valid. Views of the old storage keep the old elements; a gradient is converted too.
    /// </summary>
    /// <exception cref="InvalidOperationException">The tensor is not a leaf.</exception>
    internal void ConvertStorageInPlace(DType dtype)
    {
        if (GradFn is not null)
        {
            throw new InvalidOperationException("only a leaf tensor (a parameter or buffer) can change its dtype in place");
        }

        if (dtype == DType)
        {
            return;
        }

        Tensor converted;
        using (GradMode.NoGrad())
        {
            converted = Detach().To(dtype).Contiguous();
            Grad = Grad?.Detach().To(dtype);
        }

        Data = converted.Data;
        DType = dtype;
        Strides = converted.Strides;
        Offset = converted.Offset;
    }

    /// <summary>Sets <see cref="RequiresGrad"/> and returns this tensor (fluent, like <c>requires_grad_()</c>).</summary>
    public Tensor RequireGrad(bool requires = true)
    {
        RequiresGrad = requires;
        return this;
    }

    /// <summary>Sets <see cref="Name"/> and returns this tensor.</summary>
    public Tensor Named(string name)
    {
        Name = name;
        return this;
    }

    /// <summary>Size of dimension <paramref name="dim"/> (negative counts from the end).</summary>
    public int Size(int dim) => Shape[dim];

    /// <summary>The typed backing array.</summary>
    internal T[] Elements<T>() => (T[])Data;

    /// <summary>The elements of a contiguous tensor as a span.</summary>
    internal Span<T> Span<T>()
    {
        System.Diagnostics.Debug.Assert(IsContiguous, "Span() needs a contiguous tensor");
        return new Span<T>((T[])Data, Offset, checked((int)Numel));
    }

    /// <summary>Throws unless the dtype is Float32 or Float64, naming the operation.</summary>
    internal void RequireFloat(string op)
    {
        if (!DType.IsFloatingPoint())
        {
            throw new ArgumentException($"{op}: expected a Float32 or Float64 tensor, got {DType}; convert with .To(DType.Float32)");
        }
    }

    /// <summary>The value of a one-element tensor as a double (<c>item()</c>).</summary>
    /// <exception cref="InvalidOperationException">The tensor has more than one element.</exception>
    public double Item()
    {
        if (Numel != 1)
        {
            throw new InvalidOperationException($"Item() needs a tensor with one element, this one has shape {Shape}");
        }

        return GetAsDouble(Offset);
    }

    /// <summary>Element at a raw index of <see cref="Data"/>, converted to double.</summary>
    internal double GetAsDouble(int index) => Data switch
    {
        float[] f => f[index],
        double[] d => d[index],
        long[] l => l[index],
        bool[] b => b[index] ? 1 : 0,
        _ => throw new InvalidOperationException("unknown storage"),
    };

    /// <summary>The elements in row-major order, converted to double.</summary>
    public double[] ToDoubleArray()
    {
        var c = Contiguous();
        var r = new double[c.Numel];
        for (int i = 0; i < r.Length; i++)
        {
            r[i] = c.GetAsDouble(c.Offset + i);
        }

        return r;
    }

    /// <summary>The elements in row-major order as float.</summary>
    public float[] ToFloatArray() => Contiguous() is { Data: float[] f } c
        ? f.AsSpan(c.Offset, (int)c.Numel).ToArray() // a float tensor: one copy, no detour through double (large weights)
        : Array.ConvertAll(ToDoubleArray(), v => (float)v);

    /// <summary>The elements in row-major order as long (truncating floats).</summary>
    public long[] ToInt64Array() => Array.ConvertAll(ToDoubleArray(), v => (long)v);

    /// <summary>Returns a tensor sharing the data but cut from the graph (<c>detach()</c>).</summary>
    public Tensor Detach() => new(Data, DType, Shape, Strides, Offset) { Name = Name };

    /// <summary>Calls <paramref name="f"/> with the element type of a float tensor (generic dispatch).</summary>
    internal static TResult DispatchFloat<TResult>(DType dtype, string op, IFloatFunc<TResult> f) => dtype switch
    {
        DType.Float32 => f.Invoke<float>(),
        DType.Float64 => f.Invoke<double>(),
        _ => throw new ArgumentException($"{op}: expected a Float32 or Float64 tensor, got {dtype}"),
    };
}

/// <summary>A function generic in a floating-point element type, for dtype dispatch.</summary>
internal interface IFloatFunc<out TResult>
{
    TResult Invoke<T>() where T : unmanaged, IFloatingPointIeee754<T>;
}
