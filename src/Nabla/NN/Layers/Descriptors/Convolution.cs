namespace Nabla.NN;

/// <summary>Shared arguments and shape rules of the convolutions.</summary>
/// <remarks>
/// Note [MAC convention]: one MAC per weight per output value of Linear, ConvNd and ConvTranspose2d
/// (H_out·W_out·C_out·k·k·C_in/groups for a convolution), and of the recurrent layers' gate matrices. Bias
/// additions, normalisation, pooling, activations and element-wise joins are not counted (they are O(outputs),
/// and BatchNorm folds into the preceding convolution at inference). FLOPs = 2·MACs.
/// </remarks>
internal static class ConvRules
{
    public static readonly ArgDef[] Args =
    [
        new("inChannels", ArgKind.Int, null, true), new("outChannels", ArgKind.Int, null, true), new("kernelSize", ArgKind.IntPair, null, true),
        new("stride", ArgKind.IntPair, 1), new("padding", ArgKind.Padding, 0), new("dilation", ArgKind.IntPair, 1),
        new("groups", ArgKind.Int, 1), new("bias", ArgKind.Bool, true),
    ];

    public static void CheckChannels(LayerSpec s, Shape x)
    {
        int inC = s.Int("inChannels"), outC = s.Int("outChannels"), groups = s.Int("groups");
        if (x[1] != inC)
        {
            throw new ModelShapeException($"expects {inC} input channels but its input has shape {LayerDescriptor.PerSample(x)} ({x[1]} channels)");
        }

        if (groups < 1 || inC % groups != 0 || outC % groups != 0)
        {
            throw new ModelShapeException($"inChannels ({inC}) and outChannels ({outC}) must be divisible by groups ({groups})");
        }
    }

    /// <summary>Conv1d and Conv2d: output, parameters, MACs and window, with padding 'same' and 'valid'.</summary>
    public static LayerFacts Analyze(LayerSpec s, Shape x, bool two)
    {
        if (x.Rank != (two ? 4 : 3))
        {
            throw new ModelShapeException($"expects input of shape {(two ? "(C, H, W)" : "(C, L)")} but its input has shape {LayerDescriptor.PerSample(x)}");
        }

        CheckChannels(s, x);
        int inC = s.Int("inChannels"), outC = s.Int("outChannels"), groups = s.Int("groups");
        var k = s.Pair("kernelSize");
        var d = s.Pair("dilation");
        bool same = s.Arg("padding") is "same";
        var st = same ? (1, 1) : s.Pair("stride");
        var p = s.Arg("padding") switch
        {
            "same" => (d.H * (k.H - 1) / 2, d.W * (k.W - 1) / 2),
            "valid" => (0, 0),
            _ => s.Pair("padding"),
        };
        if (!two)
        {
            (k, d, st, p) = ((1, k.W), (1, d.W), (1, st.Item2), (0, p.Item2));
        }

        int h = two ? (same ? x[2] : SpatialGeometry.OutSize(x[2], k.H, st.Item1, p.Item1, d.H)) : 1;
        int w = same ? x[-1] : SpatialGeometry.OutSize(x[-1], k.W, st.Item2, p.Item2, d.W);
        if (h <= 0 || w <= 0)
        {
            string kernel = two ? $"{k.H}x{k.W}" : $"{k.W}";
            throw new ModelShapeException(
                $"the {kernel} kernel (padding {(two ? $"{p.Item1}x{p.Item2}" : $"{p.Item2}")}, dilation {(two ? $"{d.H}x{d.W}" : $"{d.W}")}) is larger than its input {LayerDescriptor.PerSample(x)}: the output would be {(two ? $"[{outC}, {h}, {w}]" : $"[{outC}, {w}]")}");
        }

        var outShape = two ? new Shape(x[0], outC, h, w) : new Shape(x[0], outC, w);
        long perOutput = (long)(inC / groups) * k.H * k.W;
        return new(outShape, (outC * perOutput) + (s.Bool("bias") ? outC : 0), 0, outShape.Numel * perOutput, RfRule.Window, new SpatialGeometry(k, st, p, d));
    }

    public static string Formula(LayerSpec s, Module layer, string op)
    {
        string bias = layer.NamedParameters(recurse: false).Any(p => p.Name == "bias") ? " + b" : string.Empty;
        return $"y = {op}(x, W){bias}, kernel {Text(s.Pair("kernelSize"))}, stride {Text(s.Pair("stride"))}, padding {(s.Arg("padding") is string mode ? mode : Text(s.Pair("padding")))}";
    }

    public static string Text((int H, int W) p) => p.H == p.W ? p.H.ToString(System.Globalization.CultureInfo.InvariantCulture) : $"{p.H}x{p.W}";
}

/// <summary><c>nn.Conv2d</c>.</summary>
public sealed class Conv2dDescriptor() : LayerDescriptor<Conv2d>(ConvRules.Args)
{
    /// <inheritdoc/>
    public override IReadOnlyList<LayerExample> Examples =>
    [
        new(LayerSpec.Of("Conv2d", ("inChannels", 4), ("outChannels", 6), ("kernelSize", new[] { 3, 2 }), ("stride", new[] { 2, 1 }), ("padding", new[] { 1, 0 }), ("dilation", new[] { 1, 2 }), ("groups", 2), ("bias", false)), new Shape(4, 9, 8)),
        new(LayerSpec.Of("Conv2d", ("inChannels", 3), ("outChannels", 4), ("kernelSize", 4), ("padding", "same"), ("dilation", 2)), new Shape(3, 7, 6)),
        new(LayerSpec.Of("Conv2d", ("inChannels", 2), ("outChannels", 3), ("kernelSize", 3), ("padding", "valid")), new Shape(2, 5, 5)),
    ];

    /// <inheritdoc/>
    public override Module Build(LayerSpec s) => s.Arg("padding") is string mode
        ? new Conv2d(s.Int("inChannels"), s.Int("outChannels"), s.Int("kernelSize"), mode, s.Int("dilation"), s.Int("groups"), s.Bool("bias"))
        : new Conv2d(s.Int("inChannels"), s.Int("outChannels"), s.Pair("kernelSize"), s.Pair("stride"), s.Pair("padding"), s.Pair("dilation"), s.Int("groups"), s.Bool("bias"));

    /// <inheritdoc/>
    public override LayerFacts Analyze(LayerSpec spec, Shape input) => ConvRules.Analyze(spec, input, two: true);

    /// <inheritdoc/>
    public override string Formula(LayerSpec spec, Module layer, bool train) => ConvRules.Formula(spec, layer, "conv2d");

    /// <inheritdoc/>
    protected override LayerSpec Describe(Conv2d c)
    {
        var g = c.Geometry;
        return SpecOf(("inChannels", c.InChannels), ("outChannels", c.OutChannels), ("kernelSize", PairValue(g.Kernel)), ("stride", PairValue(g.Stride)),
            ("padding", c.PaddingMode ?? PairValue(g.Padding)), ("dilation", PairValue(g.Dilation)), ("groups", c.Groups), ("bias", c.Bias is not null));
    }
}

/// <summary><c>nn.Conv1d</c>.</summary>
public sealed class Conv1dDescriptor() : LayerDescriptor<Conv1d>(ConvRules.Args)
{
    /// <inheritdoc/>
    public override IReadOnlyList<LayerExample> Examples =>
    [
        new(LayerSpec.Of("Conv1d", ("inChannels", 4), ("outChannels", 2), ("kernelSize", 3), ("stride", 2), ("padding", 1), ("dilation", 2), ("groups", 2), ("bias", false)), new Shape(4, 11)),
        new(LayerSpec.Of("Conv1d", ("inChannels", 2), ("outChannels", 3), ("kernelSize", 4), ("padding", "same")), new Shape(2, 9)),
    ];

    /// <inheritdoc/>
    public override Module Build(LayerSpec s) => s.Arg("padding") is string mode
        ? new Conv1d(s.Int("inChannels"), s.Int("outChannels"), s.Int("kernelSize"), mode, s.Int("dilation"), s.Int("groups"), s.Bool("bias"))
        : new Conv1d(s.Int("inChannels"), s.Int("outChannels"), s.Int("kernelSize"), s.Int("stride"), s.Int("padding"), s.Int("dilation"), s.Int("groups"), s.Bool("bias"));

    /// <inheritdoc/>
    public override LayerFacts Analyze(LayerSpec spec, Shape input) => ConvRules.Analyze(spec, input, two: false);

    /// <inheritdoc/>
    public override string Formula(LayerSpec spec, Module layer, bool train) => ConvRules.Formula(spec, layer, "conv1d");

    /// <inheritdoc/>
    protected override LayerSpec Describe(Conv1d c)
    {
        var g = c.Geometry;
        return SpecOf(("inChannels", c.InChannels), ("outChannels", c.OutChannels), ("kernelSize", g.Kernel.W), ("stride", g.Stride.W),
            ("padding", c.PaddingMode ?? (object)g.Padding.W), ("dilation", g.Dilation.W), ("groups", c.Groups), ("bias", c.Bias is not null));
    }
}

/// <summary><c>nn.ConvTranspose2d</c>: kernel, stride, padding, output padding and dilation each one integer or [height, width].</summary>
public sealed class ConvTranspose2dDescriptor() : LayerDescriptor<ConvTranspose2d>([.. ConvRules.Args.Take(5), new("outputPadding", ArgKind.IntPair, 0), .. ConvRules.Args.Skip(5)])
{
    /// <inheritdoc/>
    public override IReadOnlyList<LayerExample> Examples =>
    [
        new(LayerSpec.Of("ConvTranspose2d", ("inChannels", 4), ("outChannels", 6), ("kernelSize", 3), ("stride", 2), ("padding", 1), ("outputPadding", 1), ("groups", 2), ("bias", false), ("dilation", 2)), new Shape(4, 5, 4)),
        new(LayerSpec.Of("ConvTranspose2d", ("inChannels", 2), ("outChannels", 3), ("kernelSize", new[] { 3, 2 }), ("stride", new[] { 2, 3 }), ("padding", new[] { 1, 0 }), ("outputPadding", new[] { 1, 2 }), ("dilation", new[] { 1, 2 })), new Shape(2, 4, 5)),
    ];

    /// <inheritdoc/>
    public override Module Build(LayerSpec s)
    {
        if (s.Arg("padding") is string mode)
        {
            throw new ModelShapeException($"padding '{mode}' is not supported by ConvTranspose2d (PyTorch's neither); give numbers");
        }

        return new ConvTranspose2d(s.Int("inChannels"), s.Int("outChannels"), s.Pair("kernelSize"), s.Pair("stride"), s.Pair("padding"),
            s.Pair("outputPadding"), s.Int("groups"), s.Bool("bias"), s.Pair("dilation"));
    }

    /// <inheritdoc/>
    public override LayerFacts Analyze(LayerSpec s, Shape x)
    {
        RequireRank(x, 4, "(C, H, W)");
        ConvRules.CheckChannels(s, x);
        int inC = s.Int("inChannels"), outC = s.Int("outChannels"), groups = s.Int("groups");
        if (s.Arg("padding") is string mode)
        {
            throw new ModelShapeException($"padding '{mode}' is not supported by ConvTranspose2d (PyTorch's neither); give numbers");
        }

        var (k, st, p, d, op) = (s.Pair("kernelSize"), s.Pair("stride"), s.Pair("padding"), s.Pair("dilation"), s.Pair("outputPadding"));
        if (k.H < 1 || k.W < 1 || st.H < 1 || st.W < 1 || d.H < 1 || d.W < 1 || p.H < 0 || p.W < 0 || op.H < 0 || op.W < 0 || op.H >= st.H || op.W >= st.W)
        {
            throw new ModelShapeException($"kernel size {ConvRules.Text(k)}, stride {ConvRules.Text(st)} and dilation {ConvRules.Text(d)} must be positive, " +
                $"padding {ConvRules.Text(p)} non-negative, and output padding {ConvRules.Text(op)} non-negative and smaller than the stride");
        }

        int h = ((x[2] - 1) * st.H) - (2 * p.H) + (d.H * (k.H - 1)) + op.H + 1;
        int w = ((x[3] - 1) * st.W) - (2 * p.W) + (d.W * (k.W - 1)) + op.W + 1;
        var outShape = new Shape(x[0], outC, h, w);
        if (h <= 0 || w <= 0)
        {
            throw new ModelShapeException($"padding {ConvRules.Text(p)} is too large for its input {LayerDescriptor.PerSample(x)}: the output would be {LayerDescriptor.PerSample(outShape)}");
        }

        long perInput = (long)(outC / groups) * k.H * k.W;
        return new(outShape, (inC * perInput) + (s.Bool("bias") ? outC : 0), 0, x.Numel * perInput, RfRule.Transposed, new SpatialGeometry(k, st, p, d));
    }

    /// <inheritdoc/>
    public override string Formula(LayerSpec spec, Module layer, bool train) => ConvRules.Formula(spec, layer, "conv_transpose2d");

    /// <inheritdoc/>
    protected override LayerSpec Describe(ConvTranspose2d c)
    {
        var g = c.Geometry;
        return SpecOf(("inChannels", c.InChannels), ("outChannels", c.OutChannels), ("kernelSize", PairValue(g.Kernel)), ("stride", PairValue(g.Stride)),
            ("padding", PairValue(g.Padding)), ("outputPadding", PairValue(c.OutputPadding)), ("groups", c.Groups), ("bias", c.Bias is not null), ("dilation", PairValue(g.Dilation)));
    }
}

/// <summary><c>nn.ConvTranspose1d</c>.</summary>
public sealed class ConvTranspose1dDescriptor() : LayerDescriptor<ConvTranspose1d>(
    [.. ConvRules.Args.Take(2), new("kernelSize", ArgKind.Int, null, true), new("stride", ArgKind.Int, 1), new("padding", ArgKind.Int, 0),
     new("outputPadding", ArgKind.Int, 0), new("dilation", ArgKind.Int, 1), .. ConvRules.Args.Skip(6)])
{
    /// <inheritdoc/>
    public override IReadOnlyList<LayerExample> Examples =>
    [
        new(LayerSpec.Of("ConvTranspose1d", ("inChannels", 4), ("outChannels", 6), ("kernelSize", 3), ("stride", 3), ("padding", 1), ("outputPadding", 2), ("groups", 2), ("bias", false), ("dilation", 2)), new Shape(4, 5)),
        new(LayerSpec.Of("ConvTranspose1d", ("inChannels", 2), ("outChannels", 3), ("kernelSize", 4)), new Shape(2, 6)),
    ];

    /// <inheritdoc/>
    public override Module Build(LayerSpec s) =>
        new ConvTranspose1d(s.Int("inChannels"), s.Int("outChannels"), s.Int("kernelSize"), s.Int("stride"), s.Int("padding"),
            s.Int("outputPadding"), s.Int("groups"), s.Bool("bias"), s.Int("dilation"));

    /// <inheritdoc/>
    public override LayerFacts Analyze(LayerSpec s, Shape x)
    {
        RequireRank(x, 3, "(C, L)");
        ConvRules.CheckChannels(s, x);
        int inC = s.Int("inChannels"), outC = s.Int("outChannels"), groups = s.Int("groups");
        int k = s.Int("kernelSize"), st = s.Int("stride"), p = s.Int("padding"), d = s.Int("dilation"), op = s.Int("outputPadding");
        if (k < 1 || st < 1 || d < 1 || p < 0 || op < 0 || op >= st)
        {
            throw new ModelShapeException($"kernel size {k}, stride {st} and dilation {d} must be positive, padding {p} non-negative, " +
                $"and output padding {op} non-negative and smaller than the stride");
        }

        int l = ((x[2] - 1) * st) - (2 * p) + (d * (k - 1)) + op + 1;
        var outShape = new Shape(x[0], outC, l);
        if (l <= 0)
        {
            throw new ModelShapeException($"padding {p} is too large for its input {LayerDescriptor.PerSample(x)}: the output would be {LayerDescriptor.PerSample(outShape)}");
        }

        long perInput = (long)(outC / groups) * k;
        return new(outShape, (inC * perInput) + (s.Bool("bias") ? outC : 0), 0, x.Numel * perInput, RfRule.Transposed,
            new SpatialGeometry((1, k), (1, st), (0, p), (1, d)));
    }

    /// <inheritdoc/>
    public override string Formula(LayerSpec spec, Module layer, bool train) => ConvRules.Formula(spec, layer, "conv_transpose1d");

    /// <inheritdoc/>
    protected override LayerSpec Describe(ConvTranspose1d c)
    {
        var g = c.Geometry;
        return SpecOf(("inChannels", c.InChannels), ("outChannels", c.OutChannels), ("kernelSize", g.Kernel.W), ("stride", g.Stride.W),
            ("padding", g.Padding.W), ("outputPadding", c.OutputPadding), ("dilation", g.Dilation.W), ("groups", c.Groups), ("bias", c.Bias is not null));
    }
}
