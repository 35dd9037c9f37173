using Nabla.Tests.Reference;

namespace Nabla.Tests.Ops;

/// <summary>How a float sample input is laid out in memory (the DESIGN's non-contiguous sample inputs).</summary>
internal enum View
{
    /// <summary>A fresh row-major tensor.</summary>
    Contiguous,

    /// <summary>The transpose of a row-major tensor of the swapped shape (rank ≥ 2): strides are not row-major.</summary>
    Transposed,

    /// <summary>A narrow of a tensor one wider on each side of the last dimension: non-zero offset, gapped rows.</summary>
    Narrowed,

    /// <summary>A size-1 first dimension expanded (stride 0): every row shares the same memory.</summary>
    Expanded,
}

/// <summary>One input of a sample: its shape and how to make it.</summary>
internal abstract record Arg(int[] Shape)
{
    public string ShapeText => "[" + string.Join(",", Shape) + "]";
}

/// <summary>A float input with values uniform in [Lo, Hi] and |x| ≥ MinAbs (to keep off kinks such as |x| at 0).</summary>
internal sealed record F(int[] Shape) : Arg(Shape)
{
    public View View { get; init; } = View.Contiguous;

    public double Lo { get; init; } = -2;

    public double Hi { get; init; } = 2;

    public double MinAbs { get; init; }

    /// <summary>Values rounded to multiples of 1/8, exact in float32 (for the dtype-conversion gradient check).</summary>
    public bool Dyadic { get; init; }

    /// <summary>A dtype that does not follow the test's dtype (mixed-dtype promotion).</summary>
    public DType? Fixed { get; init; }

    /// <summary>Hand-picked values (forward-only samples: ties, zeros, boundaries, large magnitudes).</summary>
    public double[]? Values { get; init; }

    public override string ToString() => $"F{ShapeText}{(View == View.Contiguous ? "" : " " + View)}{(Fixed is { } d ? " " + d : "")}";
}

/// <summary>An Int64 index input with values in [0, High), or the given values.</summary>
internal sealed record I(int[] Shape, int High) : Arg(Shape)
{
    public long[]? Values { get; init; }

    /// <summary>A transposed (non-contiguous) index tensor of rank ≥ 2.</summary>
    public bool Transposed { get; init; }

    public override string ToString() => $"I{ShapeText}<{High}{(Transposed ? " Transposed" : "")}";
}

/// <summary>A random Bool mask input.</summary>
internal sealed record B(int[] Shape) : Arg(Shape)
{
    public override string ToString() => $"B{ShapeText}";
}

/// <summary>
/// One entry of the op database (PyTorch's OpInfo): how to apply a primitive or composite, an independent naive
/// double-precision reference, and the sample inputs. Parameters such as dims are fixed in the delegates, so a
/// case name identifies one behaviour (<c>sum_dims_keepdim</c>).
/// </summary>
/// <param name="Name">Unique; a registry op is covered by a case named as it or starting with its name and '_'.</param>
/// <param name="Apply">The op under test.</param>
/// <param name="Reference">Plain loops over doubles, given the inputs' values.</param>
/// <param name="Samples">Sample inputs used for forward and gradient checks.</param>
internal sealed record OpCase(string Name, Func<Tensor[], Tensor> Apply, Func<R[], R> Reference, Arg[][] Samples)
{
    /// <summary>Forward-only samples: points where the derivative does not exist or finite differences fail.</summary>
    public Arg[][] ForwardOnly { get; init; } = [];

    public double Atol32 { get; init; } = 1e-5;

    public double Rtol32 { get; init; } = 1e-4;

    public double Atol64 { get; init; } = 1e-11;

    public double Rtol64 { get; init; } = 1e-10;

    /// <summary>False for ops whose result carries no gradient (comparisons, indices, integer casts).</summary>
    public bool Differentiable { get; init; } = true;

    /// <summary>Whether the backward is itself differentiable (gradgradcheck); when false, the test expects a throw.</summary>
    public bool SupportsGradGrad { get; init; } = true;

    /// <summary>Whether the result has the dtype of the (float) inputs.</summary>
    public bool KeepsDType { get; init; } = true;

    public double GradEps { get; init; } = 1e-6;

    public double GradAtol { get; init; } = 1e-5;

    public double GradRtol { get; init; } = 1e-3;
}

/// <summary>The table of op cases and the sample builder (the OpInfo analogue of the DESIGN's Testing strategy).</summary>
internal static partial class OpDb
{
    private static readonly Lazy<Dictionary<string, OpCase>> ByName = new(() =>
    {
        var d = new Dictionary<string, OpCase>(StringComparer.Ordinal);
        foreach (var c in UnaryCases().Concat(BinaryCases()).Concat(ReduceCases()).Concat(MovementCases())
                     .Concat(IndexingCases()).Concat(LinalgCases()).Concat(ConvCases()).Concat(PoolCases()).Concat(CompareCases()).Concat(IntegerCases()).Concat(RecurrentCases()).Concat(NormalizationCases()).Concat(AttentionCases()).Concat(CtcCases()).Concat(VolumeConvCases()).Concat(VolumePoolCases()))
        {
            if (!d.TryAdd(c.Name, c))
            {
                throw new InvalidOperationException($"OpDb: duplicate case name {c.Name}");
            }
        }

        return d;
    });

    public static IReadOnlyCollection<OpCase> All => ByName.Value.Values;

    public static OpCase Get(string name) => ByName.Value[name];

    /// <summary>One theory row per case name (delegates would not serialise into separate test cases).</summary>
    public static TheoryData<string> Names
    {
        get
        {
            var t = new TheoryData<string>();
            foreach (var n in ByName.Value.Keys.Order(StringComparer.Ordinal))
            {
                t.Add(n);
            }

            return t;
        }
    }

    /// <summary>A stable seed per case (string.GetHashCode is randomised per process).</summary>
    public static long Seed(string name)
    {
        ulong h = 14695981039346656037UL;
        foreach (char ch in name)
        {
            h = (h ^ ch) * 1099511628211UL;
        }

        return (long)(h >> 1);
    }

    public static string Describe(Arg[] args) => string.Join(", ", args.Select(a => a.ToString()));

    /// <summary>Builds the tensors of one sample; float inputs get <paramref name="dtype"/> unless fixed.</summary>
    public static Tensor[] Make(Arg[] args, Generator g, DType dtype) => args.Select(a => Make(a, g, dtype)).ToArray();

    private static Tensor Make(Arg a, Generator g, DType dtype) => a switch
    {
        F f => MakeFloat(f, g, f.Fixed ?? dtype),
        I i => MakeIndex(i, g),
        B b => Tensor.FromArray(Enumerable.Range(0, R.Numel(b.Shape)).Select(_ => g.NextDouble() < 0.5).ToArray(), new Shape(b.Shape)),
        _ => throw new ArgumentException($"unknown arg {a}"),
    };

    private static Tensor MakeIndex(I i, Generator g)
    {
        var values = i.Values ?? Enumerable.Range(0, R.Numel(i.Shape)).Select(_ => g.NextInt64(0, i.High)).ToArray();
        var s = i.Shape;
        return i.Transposed
            ? Tensor.FromArray(values, new Shape([.. s[..^2], s[^1], s[^2]])).Transpose(-2, -1)
            : Tensor.FromArray(values, new Shape(s));
    }

    private static Tensor MakeFloat(F f, Generator g, DType dtype)
    {
        var s = f.Shape;
        int r = s.Length;
        var baseShape = f.View switch
        {
            View.Transposed when r >= 2 => [.. s[..^2], s[^1], s[^2]],
            View.Narrowed when r >= 1 => [.. s[..^1], s[^1] + 2],
            View.Expanded when r >= 1 => [1, .. s[1..]],
            View.Contiguous => s,
            _ => throw new ArgumentException($"view {f.View} needs a larger rank than {f.ShapeText}"),
        };

        var values = f.Values ?? Enumerable.Range(0, R.Numel(baseShape)).Select(_ => Sample(f, g)).ToArray();
        var t = Tensor.FromArray(values, new Shape(baseShape)).To(dtype);
        return f.View switch
        {
            View.Transposed => t.Transpose(-2, -1),
            View.Narrowed => t.Narrow(-1, 1, s[^1]),
            View.Expanded => t.Expand(new Shape(s)),
            _ => t,
        };
    }

    private static double Sample(F f, Generator g)
    {
        double v;
        do
        {
            v = f.Lo + ((f.Hi - f.Lo) * g.NextDouble());
            if (f.Dyadic)
            {
                v = Math.Round(v * 8) / 8;
            }
        }
        while (Math.Abs(v) < f.MinAbs);
        return v;
    }

    // Sample-building shorthands used by the case files.

    private static F X(params int[] shape) => new(shape);

    private static F Xt(params int[] shape) => new(shape) { View = View.Transposed };

    private static F Xn(params int[] shape) => new(shape) { View = View.Narrowed };

    private static F Xe(params int[] shape) => new(shape) { View = View.Expanded };

    private static Arg[] S(params Arg[] args) => args;

    /// <summary>Applies a value domain to every float arg of the samples.</summary>
    private static Arg[][] Domain(Arg[][] samples, double lo, double hi, double minAbs = 0) =>
        samples.Select(s => s.Select(a => a is F f ? f with { Lo = lo, Hi = hi, MinAbs = minAbs } : a).ToArray()).ToArray();

    /// <summary>Scalar, vector, matrix, zero-size and the three non-contiguous layouts.</summary>
    private static Arg[][] ElementwiseSamples() =>
    [
        S(X(3, 4)), S(X()), S(X(5)), S(X(0, 3)), S(Xt(2, 3, 2)), S(Xn(2, 3)), S(Xe(3, 2)),
    ];
}
