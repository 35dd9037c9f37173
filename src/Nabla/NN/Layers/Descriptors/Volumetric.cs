using System.Globalization;

namespace Nabla.NN;

/// <summary>Shared arguments and shape rules of the 3-D layers: every size an integer or a [depth, height, width] triple.</summary>
/// <remarks>MACs follow Note [MAC convention] in ConvRules: one per weight per output value of Conv3d, none for pooling.</remarks>
internal static class VolumeRules
{
    public static readonly ArgDef[] ConvArgs =
    [
        new("inChannels", ArgKind.Int, null, true), new("outChannels", ArgKind.Int, null, true), new("kernelSize", ArgKind.IntTriple, null, true),
        new("stride", ArgKind.IntTriple, 1), new("padding", ArgKind.Padding3d, 0), new("dilation", ArgKind.IntTriple, 1),
        new("groups", ArgKind.Int, 1), new("bias", ArgKind.Bool, true),
    ];

    public static readonly ArgDef[] MaxArgs =
    [
        new("kernelSize", ArgKind.IntTriple, null, true), new("stride", ArgKind.IntTriple, null), new("padding", ArgKind.IntTriple, 0),
        new("dilation", ArgKind.IntTriple, 1), new("returnIndices", ArgKind.Bool, false), new("ceilMode", ArgKind.Bool, false),
    ];

    public static readonly ArgDef[] AvgArgs =
    [
        new("kernelSize", ArgKind.IntTriple, null, true), new("stride", ArgKind.IntTriple, null), new("padding", ArgKind.IntTriple, 0),
        new("ceilMode", ArgKind.Bool, false), new("countIncludePad", ArgKind.Bool, true), new("divisorOverride", ArgKind.OptionalInt, null),
    ];

    /// <summary>The facts of a window layer: its (height, width) part as the window, its depth axis beside it.</summary>
    public static LayerFacts Window(Shape output, long parameters, long macs, SpatialGeometry3d g) =>
        new(output, parameters, 0, macs, RfRule.Window, g.Plane, DepthWindow: g.DepthAxis);

    /// <summary>Output (D, H, W) of a window over a batched (N, C, D, H, W) input, as a model-file error when it does not fit.</summary>
    public static (int D, int H, int W) OutSizes(SpatialGeometry3d g, Shape x, bool ceilMode)
    {
        var (k, s, p, d) = (g.Kernel, g.Stride, g.Padding, g.Dilation);
        if (k.D < 1 || k.H < 1 || k.W < 1 || s.D < 1 || s.H < 1 || s.W < 1 || d.D < 1 || d.H < 1 || d.W < 1 || p.D < 0 || p.H < 0 || p.W < 0)
        {
            throw new ModelShapeException($"kernel size {T(k)}, stride {T(s)} and dilation {T(d)} must be positive and padding {T(p)} non-negative");
        }

        try
        {
            return g.OutSizes("window", x[2], x[3], x[4], ceilMode);
        }
        catch (ArgumentException)
        {
            throw new ModelShapeException($"the {k.D}x{k.H}x{k.W} window (padding {T(p)}, dilation {T(d)}) is larger than its input {LayerDescriptor.PerSample(x)}");
        }
    }

    /// <summary>Kernel, stride, padding and dilation of a 3-D pool spec (stride defaults to the kernel).</summary>
    public static SpatialGeometry3d PoolGeometry(LayerSpec s, bool max)
    {
        if (max && s.Bool("returnIndices"))
        {
            throw new ModelShapeException("returnIndices: true makes the layer return (values, indices), which the next layer of a model file cannot take; " +
                "leave it false here and call ForwardWithIndices in code");
        }

        var k = s.Triple("kernelSize");
        var p = s.Triple("padding");
        if (p.D > k.D / 2 || p.H > k.H / 2 || p.W > k.W / 2)
        {
            throw new ModelShapeException($"padding {T(p)} should be at most half of the kernel size {T(k)}");
        }

        return new(k, s.Arg("stride") is null ? k : s.Triple("stride"), p, max ? s.Triple("dilation") : (1, 1, 1));
    }

    public static LayerSpec DescribePool(LayerDescriptor d, Pool3dBase p, bool max, (string, object?)[] extra)
    {
        var g = p.Geometry;
        var args = new List<(string, object?)>
        {
            ("kernelSize", Value(g.Kernel)), ("stride", g.Stride == g.Kernel ? null : Value(g.Stride)), ("padding", Value(g.Padding)), ("ceilMode", p.CeilMode),
        };
        if (max)
        {
            args.Add(("dilation", Value(g.Dilation)));
            args.Add(("returnIndices", p is MaxPool3d { ReturnIndices: true }));
        }

        return d.SpecOf([.. args, .. extra]);
    }

    public static object Value((int D, int H, int W) t) => t.D == t.H && t.H == t.W ? t.D : new[] { t.D, t.H, t.W };

    public static string T((int D, int H, int W) t) => t.D == t.H && t.H == t.W ? t.D.ToString(CultureInfo.InvariantCulture) : $"{t.D}x{t.H}x{t.W}";

    public static void RequireVolume(Shape x)
    {
        if (x.Rank != 5)
        {
            throw new ModelShapeException($"expects input of shape (C, D, H, W) but its input has shape {LayerDescriptor.PerSample(x)}");
        }
    }
}

/// <summary><c>nn.Conv3d</c>: kernel, stride, padding and dilation each one integer or [depth, height, width]; padding also 'same' or 'valid'.</summary>
public sealed class Conv3dDescriptor() : LayerDescriptor<Conv3d>(VolumeRules.ConvArgs)
{
    /// <inheritdoc/>
    public override IReadOnlyList<LayerExample> Examples =>
    [
        new(LayerSpec.Of("Conv3d", ("inChannels", 4), ("outChannels", 6), ("kernelSize", new[] { 2, 3, 1 }), ("stride", new[] { 1, 2, 1 }), ("padding", new[] { 1, 0, 1 }), ("dilation", new[] { 2, 1, 1 }), ("groups", 2), ("bias", false)), new Shape(4, 5, 7, 4)),
        new(LayerSpec.Of("Conv3d", ("inChannels", 2), ("outChannels", 3), ("kernelSize", 3), ("stride", 2), ("padding", 1)), new Shape(2, 4, 5, 6)),
        new(LayerSpec.Of("Conv3d", ("inChannels", 2), ("outChannels", 2), ("kernelSize", new[] { 2, 3, 4 }), ("padding", "same"), ("dilation", new[] { 1, 2, 1 })), new Shape(2, 3, 6, 5)),
        new(LayerSpec.Of("Conv3d", ("inChannels", 1), ("outChannels", 2), ("kernelSize", 2), ("padding", "valid")), new Shape(1, 3, 3, 3)),
    ];

    /// <inheritdoc/>
    public override Module Build(LayerSpec s) => s.Arg("padding") is string mode
        ? new Conv3d(s.Int("inChannels"), s.Int("outChannels"), s.Triple("kernelSize"), mode, s.Triple("dilation"), s.Int("groups"), s.Bool("bias"))
        : new Conv3d(s.Int("inChannels"), s.Int("outChannels"), s.Triple("kernelSize"), s.Triple("stride"), s.Triple("padding"), s.Triple("dilation"),
            s.Int("groups"), s.Bool("bias"));

    /// <inheritdoc/>
    public override LayerFacts Analyze(LayerSpec s, Shape x)
    {
        VolumeRules.RequireVolume(x);
        ConvRules.CheckChannels(s, x);
        int inC = s.Int("inChannels"), outC = s.Int("outChannels"), groups = s.Int("groups");
        var (k, d) = (s.Triple("kernelSize"), s.Triple("dilation"));
        var mode = s.Arg("padding") as string;
        if (mode == "same" && s.Triple("stride") != (1, 1, 1))
        {
            throw new ModelShapeException("padding 'same' needs stride 1 (PyTorch's too)");
        }

        var p = mode switch
        {
            "same" => (d.D * (k.D - 1) / 2, d.H * (k.H - 1) / 2, d.W * (k.W - 1) / 2),
            "valid" => (0, 0, 0),
            null => s.Triple("padding"),
            _ => throw new ModelShapeException($"padding must be a number, [depth, height, width], 'same' or 'valid', got '{mode}'"),
        };
        var g = new SpatialGeometry3d(k, mode is null ? s.Triple("stride") : (1, 1, 1), p, d);
        var o = mode == "same" ? (x[2], x[3], x[4]) : VolumeRules.OutSizes(g, x, ceilMode: false);
        var outShape = new Shape(x[0], outC, o.Item1, o.Item2, o.Item3);
        long perOutput = (long)(inC / groups) * k.D * k.H * k.W;
        return VolumeRules.Window(outShape, (outC * perOutput) + (s.Bool("bias") ? outC : 0), outShape.Numel * perOutput, g);
    }

    /// <inheritdoc/>
    public override string Formula(LayerSpec s, Module layer, bool train)
    {
        string bias = layer.NamedParameters(recurse: false).Any(p => p.Name == "bias") ? " + b" : string.Empty;
        string padding = s.Arg("padding") is string mode ? mode : VolumeRules.T(s.Triple("padding"));
        return $"y = conv3d(x, W){bias}, kernel {VolumeRules.T(s.Triple("kernelSize"))}, stride {VolumeRules.T(s.Triple("stride"))}, padding {padding}";
    }

    /// <inheritdoc/>
    protected override LayerSpec Describe(Conv3d c)
    {
        var g = c.Geometry3d;
        return SpecOf(("inChannels", c.InChannels), ("outChannels", c.OutChannels), ("kernelSize", TripleValue(g.Kernel)), ("stride", TripleValue(g.Stride)),
            ("padding", c.PaddingMode ?? TripleValue(g.Padding)), ("dilation", TripleValue(g.Dilation)), ("groups", c.Groups), ("bias", c.Bias is not null));
    }
}

/// <summary><c>nn.MaxPool3d</c>.</summary>
public sealed class MaxPool3dDescriptor() : LayerDescriptor<MaxPool3d>(VolumeRules.MaxArgs)
{
    /// <inheritdoc/>
    public override IReadOnlyList<LayerExample> Examples =>
    [
        new(LayerSpec.Of("MaxPool3d", ("kernelSize", 3), ("stride", 2), ("padding", 1), ("dilation", 2), ("ceilMode", true)), new Shape(2, 7, 9, 8)),
        new(LayerSpec.Of("MaxPool3d", ("kernelSize", new[] { 2, 3, 2 }), ("stride", new[] { 1, 2, 2 }), ("padding", new[] { 1, 1, 0 }), ("dilation", new[] { 1, 1, 2 })), new Shape(2, 4, 7, 9)),
    ];

    /// <inheritdoc/>
    public override Module Build(LayerSpec s)
    {
        var g = VolumeRules.PoolGeometry(s, max: true);
        return new MaxPool3d(g.Kernel, g.Stride, g.Padding, g.Dilation, s.Bool("ceilMode"));
    }

    /// <inheritdoc/>
    public override LayerFacts Analyze(LayerSpec s, Shape x)
    {
        VolumeRules.RequireVolume(x);
        var g = VolumeRules.PoolGeometry(s, max: true);
        var (d, h, w) = VolumeRules.OutSizes(g, x, s.Bool("ceilMode"));
        return VolumeRules.Window(x.With(2, d).With(3, h).With(4, w), 0, 0, g);
    }

    /// <inheritdoc/>
    public override string Formula(LayerSpec s, Module layer, bool train) =>
        $"y = max over {VolumeRules.T(s.Triple("kernelSize"))} windows, stride {VolumeRules.T(VolumeRules.PoolGeometry(s, max: false).Stride)}";

    /// <inheritdoc/>
    protected override LayerSpec Describe(MaxPool3d p) => VolumeRules.DescribePool(this, p, max: true, []);
}

/// <summary><c>nn.AvgPool3d</c>.</summary>
public sealed class AvgPool3dDescriptor() : LayerDescriptor<AvgPool3d>(VolumeRules.AvgArgs)
{
    /// <inheritdoc/>
    public override IReadOnlyList<LayerExample> Examples =>
    [
        new(LayerSpec.Of("AvgPool3d", ("kernelSize", 3), ("stride", 2), ("padding", 1), ("ceilMode", true), ("countIncludePad", false)), new Shape(2, 6, 9, 8)),
        new(LayerSpec.Of("AvgPool3d", ("kernelSize", 2), ("divisorOverride", 3)), new Shape(1, 4, 4, 6)),
        new(LayerSpec.Of("AvgPool3d", ("kernelSize", new[] { 2, 3, 1 }), ("stride", new[] { 1, 2, 1 }), ("padding", new[] { 1, 0, 0 })), new Shape(2, 3, 5, 4)),
    ];

    /// <inheritdoc/>
    public override Module Build(LayerSpec s)
    {
        var g = VolumeRules.PoolGeometry(s, max: false);
        return new AvgPool3d(g.Kernel, g.Stride, g.Padding, s.Bool("ceilMode"), s.Bool("countIncludePad"), s.OptionalInt("divisorOverride"));
    }

    /// <inheritdoc/>
    public override LayerFacts Analyze(LayerSpec s, Shape x)
    {
        VolumeRules.RequireVolume(x);
        var g = VolumeRules.PoolGeometry(s, max: false);
        if (s.OptionalInt("divisorOverride") is <= 0)
        {
            throw new ModelShapeException($"divisorOverride must be positive, got {s.OptionalInt("divisorOverride")}");
        }

        var (d, h, w) = VolumeRules.OutSizes(g, x, s.Bool("ceilMode"));
        return VolumeRules.Window(x.With(2, d).With(3, h).With(4, w), 0, 0, g);
    }

    /// <inheritdoc/>
    public override string Formula(LayerSpec s, Module layer, bool train) =>
        $"y = mean over {VolumeRules.T(s.Triple("kernelSize"))} windows, stride {VolumeRules.T(VolumeRules.PoolGeometry(s, max: false).Stride)}";

    /// <inheritdoc/>
    protected override LayerSpec Describe(AvgPool3d p) =>
        VolumeRules.DescribePool(this, p, max: false, [("countIncludePad", p.CountIncludePad), ("divisorOverride", p.DivisorOverride)]);
}

/// <summary><c>nn.AdaptiveAvgPool3d</c>.</summary>
public sealed class AdaptiveAvgPool3dDescriptor() : LayerDescriptor<AdaptiveAvgPool3d>([new("outputSize", ArgKind.IntTriple, null, true)])
{
    /// <inheritdoc/>
    public override IReadOnlyList<LayerExample> Examples =>
        [new(LayerSpec.Of("AdaptiveAvgPool3d", ("outputSize", new[] { 2, 3, 2 })), new Shape(2, 5, 7, 4)), new(LayerSpec.Of("AdaptiveAvgPool3d", ("outputSize", 1)), new Shape(3, 2, 4, 4))];

    /// <inheritdoc/>
    public override Module Build(LayerSpec s) => new AdaptiveAvgPool3d(s.Triple("outputSize"));

    /// <inheritdoc/>
    public override LayerFacts Analyze(LayerSpec s, Shape x)
    {
        VolumeRules.RequireVolume(x);
        var o = s.Triple("outputSize");
        if (o.D < 1 || o.H < 1 || o.W < 1)
        {
            throw new ModelShapeException($"outputSize must be at least 1, got {VolumeRules.T(o)}");
        }

        // Windows of an adaptive pool: stride ⌊in/out⌋ and the window covering what remains; none when upsizing (as AdaptiveRules).
        static (int K, int S) Axis(int n, int m) => m >= n ? (1, 1) : (n - ((m - 1) * (n / m)), n / m);
        var (kd, sd) = Axis(x[2], o.D);
        var (kh, sh) = Axis(x[3], o.H);
        var (kw, sw) = Axis(x[4], o.W);
        var g = new SpatialGeometry3d((kd, kh, kw), (sd, sh, sw), (0, 0, 0), (1, 1, 1));
        return VolumeRules.Window(x.With(2, o.D).With(3, o.H).With(4, o.W), 0, 0, g);
    }

    /// <inheritdoc/>
    public override string Formula(LayerSpec s, Module layer, bool train) => $"y = mean over windows giving the output size {VolumeRules.T(s.Triple("outputSize"))}";

    /// <inheritdoc/>
    protected override LayerSpec Describe(AdaptiveAvgPool3d p) => SpecOf(("outputSize", TripleValue(p.OutputSize)));
}
