namespace Nabla;

/// <summary>A tensor was refused before allocation: larger than an array can be, or than <see cref="Tensor.LimitElements"/> allows.</summary>
public sealed class TensorTooLargeException : InvalidOperationException
{
    /// <summary>Creates the error.</summary>
    public TensorTooLargeException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the error.</summary>
    public TensorTooLargeException()
    {
    }

    /// <summary>Creates the error, wrapping another.</summary>
    public TensorTooLargeException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

public sealed partial class Tensor
{
    private static readonly AsyncLocal<long?> ElementCap = new();

    // How many LimitElements scopes are open in the process: while none is, Empty skips the AsyncLocal lookup.
    private static int openCaps;

    /// <summary>
    /// Refuses, in the current thread or async flow until the result is disposed, every tensor of more than
    /// <paramref name="maxElements"/> elements with a <see cref="TensorTooLargeException"/> before it is allocated.
    /// For computations that untrusted input describes (an exercise file): a hand-sized problem never needs more,
    /// and a hostile one (<c>pad(x, 100000)</c>) is refused instead of exhausting memory.
    /// </summary>
    public static IDisposable LimitElements(long maxElements)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxElements);
        var previous = ElementCap.Value;
        ElementCap.Value = maxElements;
        Interlocked.Increment(ref openCaps);
        return new CapScope(previous);
    }

    /// <summary>An uninitialised contiguous tensor (internal: every element is written by the caller).</summary>
    internal static Tensor Empty(Shape shape, DType dtype)
    {
        if (Volatile.Read(ref openCaps) != 0 && ElementCap.Value is long cap && shape.Numel > cap)
        {
            throw new TensorTooLargeException($"a tensor of shape {shape} ({shape.Numel:N0} elements) is larger than the {cap:N0} elements allowed here");
        }

        int n = shape.Numel <= Array.MaxLength ? (int)shape.Numel
            : throw new TensorTooLargeException($"a tensor of shape {shape} ({shape.Numel:N0} elements) is larger than an array can be ({Array.MaxLength:N0} elements)");
        Array data = dtype switch
        {
            DType.Float32 => Nabla.Ops.Kernels.PooledArrays.Rent<float>(n),
            DType.Float64 => Nabla.Ops.Kernels.PooledArrays.Rent<double>(n),
            DType.Int64 => Nabla.Ops.Kernels.PooledArrays.Rent<long>(n),
            _ => new bool[n],
        };
        return new Tensor(data, dtype, shape);
    }

    /// <summary>A tensor filled with zeros (<c>torch.zeros</c>).</summary>
    public static Tensor Zeros(Shape shape, DType dtype = DType.Float32) => Full(shape, 0, dtype);

    /// <summary>A tensor filled with ones (<c>torch.ones</c>).</summary>
    public static Tensor Ones(Shape shape, DType dtype = DType.Float32) => Full(shape, 1, dtype);

    /// <summary>A tensor filled with <paramref name="value"/> (<c>torch.full</c>).</summary>
    public static Tensor Full(Shape shape, double value, DType dtype = DType.Float32)
    {
        var t = Empty(shape, dtype);
        switch (t.Data)
        {
            case float[] f: Array.Fill(f, (float)value); break;
            case double[] d: Array.Fill(d, value); break;
            case long[] l: Array.Fill(l, (long)value); break;
            case bool[] b: Array.Fill(b, value != 0); break;
        }

        return t;
    }

    /// <summary>Zeros with the shape and dtype of <paramref name="like"/>.</summary>
    public static Tensor ZerosLike(Tensor like) => Zeros(like.Shape, like.DType);

    /// <summary>Ones with the shape and dtype of <paramref name="like"/>.</summary>
    public static Tensor OnesLike(Tensor like) => Ones(like.Shape, like.DType);

    /// <summary><paramref name="value"/> with the shape and dtype of <paramref name="like"/>.</summary>
    public static Tensor FullLike(Tensor like, double value) => Full(like.Shape, value, like.DType);

    /// <summary>A zero-dimensional tensor holding one value (<c>torch.tensor(3.0)</c>).</summary>
    public static Tensor Scalar(double value, DType dtype = DType.Float64) => Full(Shape.Scalar, value, dtype);

    /// <summary>A tensor from float values, shaped [values.Length] or <paramref name="shape"/>.</summary>
    public static Tensor FromArray(float[] values, Shape? shape = null) => Wrap(values, DType.Float32, values.Length, shape);

    /// <summary>A tensor from double values, shaped [values.Length] or <paramref name="shape"/>.</summary>
    public static Tensor FromArray(double[] values, Shape? shape = null) => Wrap(values, DType.Float64, values.Length, shape);

    /// <summary>An Int64 tensor (indices, labels), shaped [values.Length] or <paramref name="shape"/>.</summary>
    public static Tensor FromArray(long[] values, Shape? shape = null) => Wrap(values, DType.Int64, values.Length, shape);

    /// <summary>A Bool tensor (a mask), shaped [values.Length] or <paramref name="shape"/>.</summary>
    public static Tensor FromArray(bool[] values, Shape? shape = null) => Wrap(values, DType.Bool, values.Length, shape);

    /// <summary>A 2-D Float64 tensor from a rectangular array.</summary>
    public static Tensor FromArray(double[,] values)
    {
        int r = values.GetLength(0), c = values.GetLength(1);
        var flat = new double[r * c];
        Buffer.BlockCopy(values, 0, flat, 0, flat.Length * sizeof(double));
        return new Tensor(flat, DType.Float64, new Shape(r, c));
    }

    /// <summary>A 2-D Float32 tensor from a rectangular array.</summary>
    public static Tensor FromArray(float[,] values)
    {
        int r = values.GetLength(0), c = values.GetLength(1);
        var flat = new float[r * c];
        Buffer.BlockCopy(values, 0, flat, 0, flat.Length * sizeof(float));
        return new Tensor(flat, DType.Float32, new Shape(r, c));
    }

    private static Tensor Wrap(Array copy, DType dtype, int length, Shape? shape)
    {
        var s = shape ?? new Shape(length);
        if (s.Numel != length)
        {
            throw new ArgumentException($"FromArray: {length} values do not fill shape {s} ({s.Numel} elements)", nameof(shape));
        }

        return new Tensor((Array)copy.Clone(), dtype, s);
    }

    /// <summary>Values start, start + step, … below end (<c>torch.arange</c>).</summary>
    public static Tensor Arange(double start, double end, double step = 1, DType dtype = DType.Float32)
    {
        if (step == 0 || double.IsNaN(start + end + step))
        {
            throw new ArgumentException($"arange: step must be non-zero and bounds finite (start {start}, end {end}, step {step})", nameof(step));
        }

        int n = Math.Max(0, (int)Math.Ceiling((end - start) / step));
        var t = Empty(new Shape(n), dtype);
        for (int i = 0; i < n; i++)
        {
            t.SetFlat(i, start + (i * step));
        }

        return t;
    }

    /// <summary>Values 0, 1, …, end − 1 (<c>torch.arange(end)</c>).</summary>
    public static Tensor Arange(int end, DType dtype = DType.Int64) => Arange(0, end, 1, dtype);

    /// <summary><paramref name="steps"/> evenly spaced values from start to end inclusive (<c>torch.linspace</c>).</summary>
    public static Tensor Linspace(double start, double end, int steps, DType dtype = DType.Float32)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(steps);
        var t = Empty(new Shape(steps), dtype);
        double step = steps > 1 ? (end - start) / (steps - 1) : 0;
        for (int i = 0; i < steps; i++)
        {
            // As PyTorch: the second half counts back from the end, so the last value is exactly `end`.
            t.SetFlat(i, i < steps / 2 || steps == 1 ? start + (i * step) : end - ((steps - 1 - i) * step));
        }

        return t;
    }

    /// <summary>The n×m identity matrix (<c>torch.eye</c>).</summary>
    public static Tensor Eye(int n, int? m = null, DType dtype = DType.Float32)
    {
        var t = Zeros(new Shape(n, m ?? n), dtype);
        for (int i = 0; i < Math.Min(n, m ?? n); i++)
        {
            t.SetFlat((i * (m ?? n)) + i, 1);
        }

        return t;
    }

    /// <summary>Uniform samples in [0, 1) (<c>torch.rand</c>).</summary>
    public static Tensor Rand(Shape shape, Generator? generator = null, DType dtype = DType.Float32) =>
        Sample(shape, dtype, g => BelowHigh(g.NextDouble(), 0, 1, dtype), generator);

    /// <summary>Uniform samples in [low, high).</summary>
    public static Tensor Uniform(Shape shape, double low, double high, Generator? generator = null, DType dtype = DType.Float32) =>
        Sample(shape, dtype, g => BelowHigh(low + ((high - low) * g.NextDouble()), low, high, dtype), generator);

    /// <summary>Standard normal samples (<c>torch.randn</c>).</summary>
    public static Tensor Randn(Shape shape, Generator? generator = null, DType dtype = DType.Float32) =>
        Sample(shape, dtype, g => g.NextNormal(), generator);

    /// <summary>Integers uniform in [low, high) (<c>torch.randint</c>), Int64 by default.</summary>
    public static Tensor Randint(long low, long high, Shape shape, Generator? generator = null, DType dtype = DType.Int64) =>
        Sample(shape, dtype, g => g.NextInt64(low, high), generator);

    /// <summary>Keeps a uniform sample below <paramref name="high"/> once rounded to the dtype (a double just below 1 rounds up to 1f).</summary>
    private static double BelowHigh(double v, double low, double high, DType dtype) => !(high > low) ? v : dtype == DType.Float32
        ? ((float)v < (float)high ? v : MathF.BitDecrement((float)high))
        : (v < high ? v : Math.BitDecrement(high));

    private static Tensor Sample(Shape shape, DType dtype, Func<Generator, double> next, Generator? generator)
    {
        var g = generator ?? Generator.Current;
        var t = Empty(shape, dtype);
        for (int i = 0; i < t.Numel; i++)
        {
            t.SetFlat(i, next(g));
        }

        return t;
    }

    /// <summary>Writes element i of a contiguous tensor (creation helpers).</summary>
    internal void SetFlat(int i, double value)
    {
        switch (Data)
        {
            case float[] f: f[Offset + i] = (float)value; break;
            case double[] d: d[Offset + i] = value; break;
            case long[] l: l[Offset + i] = (long)value; break;
            case bool[] b: b[Offset + i] = value != 0; break;
        }
    }

    private sealed class CapScope(long? previous) : IDisposable
    {
        private int disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref disposed, 1) == 0)
            {
                ElementCap.Value = previous;
                Interlocked.Decrement(ref openCaps);
            }
        }
    }
}
