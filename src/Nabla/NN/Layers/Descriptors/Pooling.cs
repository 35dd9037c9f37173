using System.Globalization;

namespace Nabla.NN;

/// <summary>Shared arguments and shape rules of the fixed-window pools.</summary>
internal static class PoolRules
{
    public static readonly ArgDef[] MaxArgs =
    [
        new("kernelSize", ArgKind.IntPair, null, true), new("stride", ArgKind.IntPair, null), new("padding", ArgKind.IntPair, 0),
        new("dilation", ArgKind.IntPair, 1), new("ceilMode", ArgKind.Bool, false), new("returnIndices", ArgKind.Bool, false),
    ];

    public static readonly ArgDef[] AvgArgs =
    [
        new("kernelSize", ArgKind.IntPair, null, true), new("stride", ArgKind.IntPair, null), new("padding", ArgKind.IntPair, 0),
        new("ceilMode", ArgKind.Bool, false), new("countIncludePad", ArgKind.Bool, true),
    ];

    public static LayerFacts Analyze(LayerSpec s, Shape x, bool two, bool max)
    {
        if (x.Rank != (two ? 4 : 3))
        {
            throw new ModelShapeException($"expects input of shape {(two ? "(C, H, W)" : "(C, L)")} but its input has shape {LayerDescriptor.PerSample(x)}");
        }

        var (k, st, p, d) = Geometry(s, two, max);
        bool ceil = s.Bool("ceilMode");

        int h = two ? SpatialGeometry.OutSize(x[2], k.H, st.Item1, p.H, d.Item1, ceil) : 1;
        int w = SpatialGeometry.OutSize(x[-1], k.W, st.Item2, p.W, d.Item2, ceil);
        if (h <= 0 || w <= 0)
        {
            throw new ModelShapeException($"the {(two ? $"{k.H}x{k.W}" : $"{k.W}")} window is larger than its input {LayerDescriptor.PerSample(x)}");
        }

        var shape = two ? x.With(2, h).With(3, w) : x.With(2, w);
        return new(shape, 0, 0, 0, RfRule.Window, new SpatialGeometry(k, st, p, d));
    }

    /// <summary>Kernel, stride, padding and dilation of a pool spec; a 1-D pool's as height-1 pairs, refusing a [height, width] pair.</summary>
    public static ((int H, int W) K, (int H, int W) S, (int H, int W) P, (int H, int W) D) Geometry(LayerSpec s, bool two, bool max)
    {
        if (max && s.Bool("returnIndices"))
        {
            throw new ModelShapeException("returnIndices: true makes the layer return (values, indices), which the next layer of a model file cannot take; " +
                "leave it false here and call ForwardWithIndices in code");
        }

        (int H, int W) Get(string name, (int H, int W) fallback)
        {
            if (s.Arg(name) is null)
            {
                return fallback;
            }

            var v = s.Pair(name);
            return two ? v : s.Arg(name) is int[] { Length: 2 } ? throw new ModelShapeException($"{name} of a 1-D pool must be one integer, got [{v.H}, {v.W}]") : (v.W, v.W);
        }

        var k = Get("kernelSize", (1, 1));
        (int H, int W) st = Get("stride", k), p = Get("padding", (0, 0)), d = max ? Get("dilation", (1, 1)) : (1, 1);
        return two ? (k, st, p, d) : ((1, k.W), (1, st.W), (0, p.W), (1, d.W));
    }

    public static string Formula(LayerSpec s, string what)
    {
        bool two = s.Type.EndsWith("2d", StringComparison.Ordinal);
        var (k, st, _, _) = Geometry(s, two, max: false);
        string size = two ? $"{k.H}x{k.W}" : $"{k.W}";
        return $"y = {what} over {size} windows, stride {(two ? ConvRules.Text(st) : st.W.ToString(CultureInfo.InvariantCulture))}";
    }

    public static LayerSpec Describe(LayerDescriptor d, PoolBase p, bool two, bool max, (string, object?)[] extra)
    {
        var g = p.Geometry;
        object P((int H, int W) v) => two ? (v.H == v.W ? v.H : new[] { v.H, v.W }) : v.W;
        object? stride = (two ? g.Stride == g.Kernel : g.Stride.W == g.Kernel.W) ? null : P(g.Stride);
        var args = new List<(string, object?)> { ("kernelSize", P(g.Kernel)), ("stride", stride), ("padding", P(g.Padding)), ("ceilMode", p.CeilMode) };
        if (max)
        {
            args.Add(("dilation", P(g.Dilation)));
            args.Add(("returnIndices", p is MaxPool2d { ReturnIndices: true } or MaxPool1d { ReturnIndices: true }));
        }

        return d.SpecOf([.. args, .. extra]);
    }
}

/// <summary><c>nn.MaxPool2d</c>.</summary>
public sealed class MaxPool2dDescriptor() : LayerDescriptor<MaxPool2d>(PoolRules.MaxArgs)
{
    /// <inheritdoc/>
    public override IReadOnlyList<LayerExample> Examples =>
    [
        new(LayerSpec.Of("MaxPool2d", ("kernelSize", 3), ("stride", 2), ("padding", 1), ("dilation", 2), ("ceilMode", true)), new Shape(2, 9, 8)),
        new(LayerSpec.Of("MaxPool2d", ("kernelSize", new[] { 3, 2 }), ("stride", new[] { 2, 1 }), ("padding", new[] { 1, 0 }), ("dilation", new[] { 1, 2 })), new Shape(2, 7, 9)),
    ];

    /// <inheritdoc/>
    public override Module Build(LayerSpec s)
    {
        var (k, st, p, d) = PoolRules.Geometry(s, two: true, max: true);
        return new MaxPool2d(k, st, p, d, s.Bool("ceilMode"));
    }

    /// <inheritdoc/>
    public override LayerFacts Analyze(LayerSpec spec, Shape input) => PoolRules.Analyze(spec, input, two: true, max: true);

    /// <inheritdoc/>
    public override string Formula(LayerSpec spec, Module layer, bool train) => PoolRules.Formula(spec, "max");

    /// <inheritdoc/>
    protected override LayerSpec Describe(MaxPool2d p) => PoolRules.Describe(this, p, two: true, max: true, []);
}

/// <summary><c>nn.MaxPool1d</c>.</summary>
public sealed class MaxPool1dDescriptor() : LayerDescriptor<MaxPool1d>(PoolRules.MaxArgs)
{
    /// <inheritdoc/>
    public override IReadOnlyList<LayerExample> Examples =>
        [new(LayerSpec.Of("MaxPool1d", ("kernelSize", 3), ("stride", 2), ("padding", 1), ("dilation", 2), ("ceilMode", true)), new Shape(2, 10))];

    /// <inheritdoc/>
    public override Module Build(LayerSpec s)
    {
        var (k, st, p, d) = PoolRules.Geometry(s, two: false, max: true);
        return new MaxPool1d(k.W, st.W, p.W, d.W, s.Bool("ceilMode"));
    }

    /// <inheritdoc/>
    public override LayerFacts Analyze(LayerSpec spec, Shape input) => PoolRules.Analyze(spec, input, two: false, max: true);

    /// <inheritdoc/>
    public override string Formula(LayerSpec spec, Module layer, bool train) => PoolRules.Formula(spec, "max");

    /// <inheritdoc/>
    protected override LayerSpec Describe(MaxPool1d p) => PoolRules.Describe(this, p, two: false, max: true, []);
}

/// <summary><c>nn.AvgPool2d</c>.</summary>
public sealed class AvgPool2dDescriptor() : LayerDescriptor<AvgPool2d>([.. PoolRules.AvgArgs, new("divisorOverride", ArgKind.OptionalInt, null)])
{
    /// <inheritdoc/>
    public override IReadOnlyList<LayerExample> Examples =>
    [
        new(LayerSpec.Of("AvgPool2d", ("kernelSize", 3), ("stride", 2), ("padding", 1), ("ceilMode", true), ("countIncludePad", false)), new Shape(2, 9, 8)),
        new(LayerSpec.Of("AvgPool2d", ("kernelSize", 2), ("divisorOverride", 3)), new Shape(1, 4, 6)),
        new(LayerSpec.Of("AvgPool2d", ("kernelSize", new[] { 2, 3 }), ("stride", new[] { 1, 2 }), ("padding", new[] { 1, 0 })), new Shape(2, 5, 8)),
    ];

    /// <inheritdoc/>
    public override Module Build(LayerSpec s)
    {
        var (k, st, p, _) = PoolRules.Geometry(s, two: true, max: false);
        return new AvgPool2d(k, st, p, s.Bool("ceilMode"), s.Bool("countIncludePad"), s.OptionalInt("divisorOverride"));
    }

    /// <inheritdoc/>
    public override LayerFacts Analyze(LayerSpec spec, Shape input) => PoolRules.Analyze(spec, input, two: true, max: false);

    /// <inheritdoc/>
    public override string Formula(LayerSpec spec, Module layer, bool train) => PoolRules.Formula(spec, "mean");

    /// <inheritdoc/>
    protected override LayerSpec Describe(AvgPool2d p) =>
        PoolRules.Describe(this, p, two: true, max: false, [("countIncludePad", p.CountIncludePad), ("divisorOverride", p.DivisorOverride)]);
}

/// <summary><c>nn.AvgPool1d</c>.</summary>
public sealed class AvgPool1dDescriptor() : LayerDescriptor<AvgPool1d>(PoolRules.AvgArgs)
{
    /// <inheritdoc/>
    public override IReadOnlyList<LayerExample> Examples =>
        [new(LayerSpec.Of("AvgPool1d", ("kernelSize", 3), ("stride", 2), ("padding", 1), ("ceilMode", true), ("countIncludePad", false)), new Shape(2, 10))];

    /// <inheritdoc/>
    public override Module Build(LayerSpec s)
    {
        var (k, st, p, _) = PoolRules.Geometry(s, two: false, max: false);
        return new AvgPool1d(k.W, st.W, p.W, s.Bool("ceilMode"), s.Bool("countIncludePad"));
    }

    /// <inheritdoc/>
    public override LayerFacts Analyze(LayerSpec spec, Shape input) => PoolRules.Analyze(spec, input, two: false, max: false);

    /// <inheritdoc/>
    public override string Formula(LayerSpec spec, Module layer, bool train) => PoolRules.Formula(spec, "mean");

    /// <inheritdoc/>
    protected override LayerSpec Describe(AvgPool1d p) => PoolRules.Describe(this, p, two: false, max: false, [("countIncludePad", p.CountIncludePad)]);
}

/// <summary>Shape and receptive field of the adaptive pools.</summary>
internal static class AdaptiveRules
{
    public static LayerFacts Analyze(LayerSpec s, Shape x, bool two)
    {
        if (x.Rank != (two ? 4 : 3))
        {
            throw new ModelShapeException($"expects input of shape {(two ? "(C, H, W)" : "(C, L)")} but its input has shape {LayerDescriptor.PerSample(x)}");
        }

        var o = s.Pair("outputSize");
        if (o.H < 1 || o.W < 1)
        {
            throw new ModelShapeException($"outputSize must be at least 1, got {(o.H == o.W ? $"{o.H}" : $"[{o.H}, {o.W}]")}");
        }

        if (!two)
        {
            o = (1, o.W);
        }

        int inH = two ? x[2] : 1, inW = x[-1];

        // Windows of an adaptive pool: stride ⌊in/out⌋, and the window covering what remains; none when upsizing.
        static (int K, int S) Axis(int n, int m) => m >= n ? (1, 1) : (n - ((m - 1) * (n / m)), n / m);
        var (kh, sh) = Axis(inH, o.H);
        var (kw, sw) = Axis(inW, o.W);
        var shape = two ? x.With(2, o.H).With(3, o.W) : x.With(2, o.W);
        return new(shape, 0, 0, 0, RfRule.Window, new SpatialGeometry((kh, kw), (sh, sw), (0, 0), (1, 1)));
    }

    public static string Formula(LayerSpec s, string what) =>
        $"y = {what} over windows giving the output size {(s.Arg("outputSize") is int[] a ? $"[{string.Join(", ", a)}]" : Convert.ToString(s.Arg("outputSize"), CultureInfo.InvariantCulture))}";
}

/// <summary><c>nn.AdaptiveAvgPool2d</c>.</summary>
public sealed class AdaptiveAvgPool2dDescriptor() : LayerDescriptor<AdaptiveAvgPool2d>([new("outputSize", ArgKind.IntPair, null, true)])
{
    /// <inheritdoc/>
    public override IReadOnlyList<LayerExample> Examples =>
        [new(LayerSpec.Of("AdaptiveAvgPool2d", ("outputSize", new[] { 3, 2 })), new Shape(2, 7, 5)), new(LayerSpec.Of("AdaptiveAvgPool2d", ("outputSize", 1)), new Shape(3, 4, 4))];

    /// <inheritdoc/>
    public override Module Build(LayerSpec s) => new AdaptiveAvgPool2d(s.Pair("outputSize"));

    /// <inheritdoc/>
    public override LayerFacts Analyze(LayerSpec spec, Shape input) => AdaptiveRules.Analyze(spec, input, two: true);

    /// <inheritdoc/>
    public override string Formula(LayerSpec spec, Module layer, bool train) => AdaptiveRules.Formula(spec, "mean");

    /// <inheritdoc/>
    protected override LayerSpec Describe(AdaptiveAvgPool2d p) => SpecOf(("outputSize", PairValue(p.OutputSize)));
}

/// <summary><c>nn.AdaptiveMaxPool2d</c>.</summary>
public sealed class AdaptiveMaxPool2dDescriptor() : LayerDescriptor<AdaptiveMaxPool2d>([new("outputSize", ArgKind.IntPair, null, true)])
{
    /// <inheritdoc/>
    public override IReadOnlyList<LayerExample> Examples => [new(LayerSpec.Of("AdaptiveMaxPool2d", ("outputSize", new[] { 2, 4 })), new Shape(2, 5, 9))];

    /// <inheritdoc/>
    public override Module Build(LayerSpec s) => new AdaptiveMaxPool2d(s.Pair("outputSize"));

    /// <inheritdoc/>
    public override LayerFacts Analyze(LayerSpec spec, Shape input) => AdaptiveRules.Analyze(spec, input, two: true);

    /// <inheritdoc/>
    public override string Formula(LayerSpec spec, Module layer, bool train) => AdaptiveRules.Formula(spec, "max");

    /// <inheritdoc/>
    protected override LayerSpec Describe(AdaptiveMaxPool2d p) => SpecOf(("outputSize", PairValue(p.OutputSize)));
}

/// <summary><c>nn.AdaptiveAvgPool1d</c>.</summary>
public sealed class AdaptiveAvgPool1dDescriptor() : LayerDescriptor<AdaptiveAvgPool1d>([new("outputSize", ArgKind.Int, null, true)])
{
    /// <inheritdoc/>
    public override IReadOnlyList<LayerExample> Examples => [new(LayerSpec.Of("AdaptiveAvgPool1d", ("outputSize", 3)), new Shape(2, 7))];

    /// <inheritdoc/>
    public override Module Build(LayerSpec s) => new AdaptiveAvgPool1d(s.Int("outputSize"));

    /// <inheritdoc/>
    public override LayerFacts Analyze(LayerSpec spec, Shape input) => AdaptiveRules.Analyze(spec, input, two: false);

    /// <inheritdoc/>
    public override string Formula(LayerSpec spec, Module layer, bool train) => AdaptiveRules.Formula(spec, "mean");

    /// <inheritdoc/>
    protected override LayerSpec Describe(AdaptiveAvgPool1d p) => SpecOf(("outputSize", p.OutputSize));
}

/// <summary><c>nn.ZeroPad2d</c>: one padding for every side, or [left, right, top, bottom].</summary>
public sealed class ZeroPad2dDescriptor() : LayerDescriptor<ZeroPad2d>([new("padding", ArgKind.IntList, null, true)])
{
    /// <inheritdoc/>
    public override IReadOnlyList<LayerExample> Examples =>
        [new(LayerSpec.Of("ZeroPad2d", ("padding", new[] { 1, 2, 0, 3 })), new Shape(2, 3, 4)), new(LayerSpec.Of("ZeroPad2d", ("padding", 2)), new Shape(1, 3, 3))];

    /// <inheritdoc/>
    public override Module Build(LayerSpec s)
    {
        var p = Sides(s);
        return new ZeroPad2d(p[0], p[1], p[2], p[3]);
    }

    /// <inheritdoc/>
    public override LayerFacts Analyze(LayerSpec s, Shape x)
    {
        var p = Sides(s);
        RequireRank(x, 4, "(C, H, W)");
        var shape = x.With(-1, x[-1] + p[0] + p[1]).With(-2, x[-2] + p[2] + p[3]);

        // The receptive field moves by the top and left padding; a 1x1 window keeps its size.
        return new(shape, 0, 0, 0, RfRule.Window, new SpatialGeometry((1, 1), (1, 1), (p[2], p[0]), (1, 1)));
    }

    /// <inheritdoc/>
    public override string Formula(LayerSpec spec, Module layer, bool train) => $"y = x padded with zeros [{string.Join(", ", Sides(spec))}] (left, right, top, bottom)";

    /// <inheritdoc/>
    protected override LayerSpec Describe(ZeroPad2d z) =>
        SpecOf(("padding", z.Padding.Distinct().Count() == 1 ? z.Padding[0] : z.Padding.ToArray()));

    private static int[] Sides(LayerSpec s) => s.IntList("padding") switch
    {
        [var a] => [a, a, a, a],
        [_, _, _, _] p => p,
        var p => throw new ModelShapeException($"padding must be one number or [left, right, top, bottom], got {p.Length} numbers"),
    };
}
