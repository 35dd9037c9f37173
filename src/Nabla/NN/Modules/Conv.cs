namespace Nabla.NN;

/// <summary>
/// Kernel, stride, padding and dilation of a spatial layer (height, width; 1-D layers use height 1), the
/// data the receptive-field analysis reads.
/// </summary>
public readonly record struct SpatialGeometry((int H, int W) Kernel, (int H, int W) Stride, (int H, int W) Padding, (int H, int W) Dilation)
{
    /// <summary>Output size along one axis: ⌊(n + 2p − d(k − 1) − 1)/s⌋ + 1, or with ceil for pooling's ceil mode.</summary>
    public static int OutSize(int n, int k, int s, int p, int d, bool ceilMode = false)
    {
        if (k < 1 || s < 1 || d < 1 || p < 0)
        {
            throw new ArgumentException($"kernel size {k}, stride {s} and dilation {d} must be positive and padding {p} non-negative");
        }

        // In 64 bits: a padding or dilation near 2^31 (a hostile model file) must give an error, not a wrapped size.
        long span = (long)n + (2L * p) - ((long)d * (k - 1)) - 1;
        long o = (ceilMode ? (long)Math.Ceiling(span / (double)s) : (long)Math.Floor(span / (double)s)) + 1;

        // PyTorch: with ceil mode the last window must start inside the input or the left padding.
        if (ceilMode && (o - 1) * s >= (long)n + p)
        {
            o--;
        }

        return o <= int.MaxValue ? (int)o
            : throw new ArgumentException($"the output size {o:N0} (input {n}, kernel {k}, stride {s}, padding {p}, dilation {d}) is larger than a dimension can be");
    }
}

/// <summary>Base of the convolution modules: weight and bias registration with PyTorch's default initialisation.</summary>
public abstract class ConvBase : Module
{
    /// <summary>Registers weight (and bias) with Kaiming-uniform (a = √5) and U(±1/√fan_in).</summary>
    protected ConvBase(Shape weightShape, bool bias, int biasSize, Generator? generator, DType dtype)
    {
        Weight = RegisterParameter("weight", Init.KaimingUniform(weightShape, Math.Sqrt(5), generator: generator, dtype: dtype));
        Bias = bias ? RegisterParameter("bias", Init.FanInUniform(new Shape(biasSize), Init.Fans(weightShape).FanIn, generator, dtype)) : null;
    }

    /// <summary>The filters.</summary>
    public Tensor Weight { get; }

    /// <summary>The bias, or null.</summary>
    public Tensor? Bias { get; }

    /// <summary>Kernel, stride, padding and dilation.</summary>
    public abstract SpatialGeometry Geometry { get; }

    /// <summary>Throws naming this layer unless the input has the given rank and channel count at dimension rank − spatial − 1.</summary>
    protected void CheckChannels(Shape input, int spatialDims, int channels, string layout)
    {
        int r = input.Rank;
        bool ok = (r == spatialDims + 2 && input[1] == channels) || (r == spatialDims + 1 && input[0] == channels);
        if (!ok)
        {
            throw new ArgumentException($"{TypeName}: expected input of shape {layout} with {channels} channels, got {input}");
        }
    }
}

/// <summary>2-D convolution over (N, C_in, H, W) (PyTorch's <c>nn.Conv2d</c>).</summary>
/// <remarks>
/// Weight (C_out, C_in/groups, kH, kW), bias (C_out). Output (N, C_out, H_out, W_out) with
/// H_out = ⌊(H + 2p − d(k − 1) − 1)/s⌋ + 1. Parameters: C_out·C_in/groups·kH·kW + C_out.
/// </remarks>
public sealed class Conv2d : ConvBase
{
    private readonly string? paddingMode;

    /// <summary>Creates the layer with square kernel, stride, padding and dilation.</summary>
    public Conv2d(int inChannels, int outChannels, int kernelSize, int stride = 1, int padding = 0, int dilation = 1,
        int groups = 1, bool bias = true, Generator? generator = null, DType dtype = DType.Float32)
        : this(inChannels, outChannels, (kernelSize, kernelSize), (stride, stride), (padding, padding), (dilation, dilation), groups, bias, generator, dtype)
    {
    }

    /// <summary>Creates the layer with padding "same" (output size = input size, stride 1) or "valid" (no padding).</summary>
    public Conv2d(int inChannels, int outChannels, int kernelSize, string padding, int dilation = 1, int groups = 1,
        bool bias = true, Generator? generator = null, DType dtype = DType.Float32)
        : this(inChannels, outChannels, (kernelSize, kernelSize), (1, 1), SamePadding(padding, kernelSize, dilation), (dilation, dilation), groups, bias, generator, dtype)
    {
        paddingMode = padding;
    }

    /// <summary>Creates the layer with (height, width) pairs.</summary>
    public Conv2d(int inChannels, int outChannels, (int H, int W) kernelSize, (int H, int W) stride, (int H, int W) padding,
        (int H, int W) dilation, int groups = 1, bool bias = true, Generator? generator = null, DType dtype = DType.Float32)
        : base(CheckedWeightShape(inChannels, outChannels, kernelSize, groups), bias, outChannels, generator, dtype)
    {
        (InChannels, OutChannels, Groups) = (inChannels, outChannels, groups);
        Geometry = new SpatialGeometry(kernelSize, stride, padding, dilation);
    }

    /// <summary>C_in.</summary>
    public int InChannels { get; }

    /// <summary>C_out.</summary>
    public int OutChannels { get; }

    /// <summary>Number of groups.</summary>
    public int Groups { get; }

    /// <summary>"same" or "valid" when created with a padding string, else null (numeric padding).</summary>
    public string? PaddingMode => paddingMode;

    /// <inheritdoc/>
    public override SpatialGeometry Geometry { get; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input)
    {
        CheckChannels(input.Shape, 2, InChannels, $"(N, {InChannels}, H, W)");
        var g = Geometry;
        return paddingMode == "same"
            ? F.Conv2d(input, Weight, Bias, "same", 1, g.Dilation.H, Groups)
            : F.Conv2d(input, Weight, Bias, g.Stride, g.Padding, g.Dilation, Groups);
    }

    /// <inheritdoc/>
    public override Shape OutputShape(Shape input)
    {
        CheckChannels(input, 2, InChannels, $"(N, {InChannels}, H, W)");
        var g = Geometry;
        int h = paddingMode == "same" ? input[-2] : SpatialGeometry.OutSize(input[-2], g.Kernel.H, g.Stride.H, g.Padding.H, g.Dilation.H);
        int w = paddingMode == "same" ? input[-1] : SpatialGeometry.OutSize(input[-1], g.Kernel.W, g.Stride.W, g.Padding.W, g.Dilation.W);
        if (h <= 0 || w <= 0)
        {
            throw new ArgumentException($"{TypeName}: input {input} is smaller than the kernel {g.Kernel} (with padding {g.Padding}, dilation {g.Dilation})");
        }

        return input.Rank == 4 ? new Shape(input[0], OutChannels, h, w) : new Shape(OutChannels, h, w);
    }

    /// <inheritdoc/>
    public override string ExtraRepr() =>
        $"{InChannels}, {OutChannels}, kernelSize={Geometry.Kernel}, stride={Geometry.Stride}" +
        (paddingMode is not null ? $", padding='{paddingMode}'" : $", padding={Geometry.Padding}") +
        (Geometry.Dilation != (1, 1) ? $", dilation={Geometry.Dilation}" : string.Empty) +
        (Groups != 1 ? $", groups={Groups}" : string.Empty) + (Bias is null ? ", bias=False" : string.Empty);

    internal static Shape CheckedWeightShape(int inChannels, int outChannels, (int H, int W) k, int groups)
    {
        if (groups < 1 || inChannels % groups != 0 || outChannels % groups != 0)
        {
            throw new ArgumentException($"Conv: inChannels ({inChannels}) and outChannels ({outChannels}) must be divisible by groups ({groups})");
        }

        return new Shape(outChannels, inChannels / groups, k.H, k.W);
    }

    internal static (int, int) SamePadding(string padding, int k, int d) => padding switch
    {
        "valid" => (0, 0),
        "same" => (d * (k - 1) / 2, d * (k - 1) / 2),
        _ => throw new ArgumentException($"padding must be 'same' or 'valid', got '{padding}'", nameof(padding)),
    };
}

/// <summary>1-D convolution over (N, C_in, L) (PyTorch's <c>nn.Conv1d</c>); weight (C_out, C_in/groups, k).</summary>
public sealed class Conv1d : ConvBase
{
    private readonly string? paddingMode;

    /// <summary>Creates the layer.</summary>
    public Conv1d(int inChannels, int outChannels, int kernelSize, int stride = 1, int padding = 0, int dilation = 1,
        int groups = 1, bool bias = true, Generator? generator = null, DType dtype = DType.Float32)
        : base(new Shape(outChannels, inChannels / Math.Max(groups, 1), kernelSize), bias, outChannels, generator, dtype)
    {
        Conv2d.CheckedWeightShape(inChannels, outChannels, (1, kernelSize), groups);
        (InChannels, OutChannels, Groups) = (inChannels, outChannels, groups);
        Geometry = new SpatialGeometry((1, kernelSize), (1, stride), (0, padding), (1, dilation));
    }

    /// <summary>Creates the layer with padding "same" or "valid".</summary>
    public Conv1d(int inChannels, int outChannels, int kernelSize, string padding, int dilation = 1, int groups = 1,
        bool bias = true, Generator? generator = null, DType dtype = DType.Float32)
        : this(inChannels, outChannels, kernelSize, 1, Conv2d.SamePadding(padding, kernelSize, dilation).Item1, dilation, groups, bias, generator, dtype)
    {
        paddingMode = padding;
    }

    /// <summary>C_in.</summary>
    public int InChannels { get; }

    /// <summary>C_out.</summary>
    public int OutChannels { get; }

    /// <summary>Number of groups.</summary>
    public int Groups { get; }

    /// <summary>"same" or "valid" when created with a padding string, else null (numeric padding).</summary>
    public string? PaddingMode => paddingMode;

    /// <inheritdoc/>
    public override SpatialGeometry Geometry { get; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input)
    {
        CheckChannels(input.Shape, 1, InChannels, $"(N, {InChannels}, L)");
        var g = Geometry;
        return paddingMode == "same"
            ? F.Conv1d(input, Weight, Bias, "same", 1, g.Dilation.W, Groups)
            : F.Conv1d(input, Weight, Bias, g.Stride.W, g.Padding.W, g.Dilation.W, Groups);
    }

    /// <inheritdoc/>
    public override Shape OutputShape(Shape input)
    {
        CheckChannels(input, 1, InChannels, $"(N, {InChannels}, L)");
        var g = Geometry;
        int l = paddingMode == "same" ? input[-1] : SpatialGeometry.OutSize(input[-1], g.Kernel.W, g.Stride.W, g.Padding.W, g.Dilation.W);
        if (l <= 0)
        {
            throw new ArgumentException($"{TypeName}: input {input} is shorter than the kernel {g.Kernel.W}");
        }

        return input.Rank == 3 ? new Shape(input[0], OutChannels, l) : new Shape(OutChannels, l);
    }

    /// <inheritdoc/>
    public override string ExtraRepr() =>
        $"{InChannels}, {OutChannels}, kernelSize={Geometry.Kernel.W}, stride={Geometry.Stride.W}, padding={(paddingMode is null ? Geometry.Padding.W.ToString(System.Globalization.CultureInfo.InvariantCulture) : $"'{paddingMode}'")}" +
        (Bias is null ? ", bias=False" : string.Empty);
}

/// <summary>
/// Transposed 2-D convolution (the adjoint of <see cref="Conv2d"/>, PyTorch's <c>nn.ConvTranspose2d</c>).
/// Weight (C_in, C_out/groups, kH, kW); H_out = (H − 1)s − 2p + d(k − 1) + outputPadding + 1.
/// </summary>
public sealed class ConvTranspose2d : ConvBase
{
    /// <summary>Creates the layer with the same kernel, stride, padding, output padding and dilation for height and width.</summary>
    public ConvTranspose2d(int inChannels, int outChannels, int kernelSize, int stride = 1, int padding = 0,
        int outputPadding = 0, int groups = 1, bool bias = true, int dilation = 1, Generator? generator = null, DType dtype = DType.Float32)
        : this(inChannels, outChannels, (kernelSize, kernelSize), (stride, stride), (padding, padding), (outputPadding, outputPadding), groups, bias,
            (dilation, dilation), generator, dtype)
    {
    }

    /// <summary>Creates the layer with kernel, stride, padding, output padding and dilation each as (height, width).</summary>
    public ConvTranspose2d(int inChannels, int outChannels, (int H, int W) kernelSize, (int H, int W) stride, (int H, int W) padding,
        (int H, int W) outputPadding = default, int groups = 1, bool bias = true, (int H, int W)? dilation = null, Generator? generator = null,
        DType dtype = DType.Float32)
        : base(new Shape(inChannels, outChannels / Math.Max(groups, 1), kernelSize.H, kernelSize.W), bias, outChannels, generator, dtype)
    {
        Conv2d.CheckedWeightShape(inChannels, outChannels, kernelSize, groups);
        (InChannels, OutChannels, Groups, OutputPadding) = (inChannels, outChannels, groups, outputPadding);
        Geometry = new SpatialGeometry(kernelSize, stride, padding, dilation ?? (1, 1));
    }

    /// <summary>C_in.</summary>
    public int InChannels { get; }

    /// <summary>C_out.</summary>
    public int OutChannels { get; }

    /// <summary>Number of groups.</summary>
    public int Groups { get; }

    /// <summary>Extra size added to the bottom and right of the output (height, width).</summary>
    public (int H, int W) OutputPadding { get; }

    /// <inheritdoc/>
    public override SpatialGeometry Geometry { get; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input)
    {
        CheckChannels(input.Shape, 2, InChannels, $"(N, {InChannels}, H, W)");
        var g = Geometry;
        return F.ConvTranspose2d(input, Weight, Bias, g.Stride, g.Padding, OutputPadding, Groups, g.Dilation);
    }

    /// <inheritdoc/>
    public override Shape OutputShape(Shape input)
    {
        CheckChannels(input, 2, InChannels, $"(N, {InChannels}, H, W)");
        var g = Geometry;
        int h = ((input[-2] - 1) * g.Stride.H) - (2 * g.Padding.H) + (g.Dilation.H * (g.Kernel.H - 1)) + OutputPadding.H + 1;
        int w = ((input[-1] - 1) * g.Stride.W) - (2 * g.Padding.W) + (g.Dilation.W * (g.Kernel.W - 1)) + OutputPadding.W + 1;
        return input.Rank == 4 ? new Shape(input[0], OutChannels, h, w) : new Shape(OutChannels, h, w);
    }

    /// <inheritdoc/>
    public override string ExtraRepr() =>
        $"{InChannels}, {OutChannels}, kernelSize={Geometry.Kernel}, stride={Geometry.Stride}, padding={Geometry.Padding}" +
        (OutputPadding != (0, 0) ? $", outputPadding={OutputPadding}" : string.Empty);
}

/// <summary>
/// Transposed 1-D convolution (the adjoint of <see cref="Conv1d"/>, PyTorch's <c>nn.ConvTranspose1d</c>), computed as
/// <see cref="ConvTranspose2d"/> of height 1. Weight (C_in, C_out/groups, k); L_out = (L − 1)s − 2p + d(k − 1) + outputPadding + 1.
/// </summary>
public sealed class ConvTranspose1d : ConvBase
{
    /// <summary>Creates the layer.</summary>
    public ConvTranspose1d(int inChannels, int outChannels, int kernelSize, int stride = 1, int padding = 0,
        int outputPadding = 0, int groups = 1, bool bias = true, int dilation = 1, Generator? generator = null, DType dtype = DType.Float32)
        : base(new Shape(inChannels, outChannels / Math.Max(groups, 1), kernelSize), bias, outChannels, generator, dtype)
    {
        Conv2d.CheckedWeightShape(inChannels, outChannels, (1, kernelSize), groups);
        (InChannels, OutChannels, Groups, OutputPadding) = (inChannels, outChannels, groups, outputPadding);
        Geometry = new SpatialGeometry((1, kernelSize), (1, stride), (0, padding), (1, dilation));
    }

    /// <summary>C_in.</summary>
    public int InChannels { get; }

    /// <summary>C_out.</summary>
    public int OutChannels { get; }

    /// <summary>Number of groups.</summary>
    public int Groups { get; }

    /// <summary>Extra length added to the end of the output.</summary>
    public int OutputPadding { get; }

    /// <inheritdoc/>
    public override SpatialGeometry Geometry { get; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input)
    {
        CheckChannels(input.Shape, 1, InChannels, $"(N, {InChannels}, L)");
        var g = Geometry;
        return F.ConvTranspose1d(input, Weight, Bias, g.Stride.W, g.Padding.W, OutputPadding, Groups, g.Dilation.W);
    }

    /// <inheritdoc/>
    public override Shape OutputShape(Shape input)
    {
        CheckChannels(input, 1, InChannels, $"(N, {InChannels}, L)");
        var g = Geometry;
        int l = ((input[-1] - 1) * g.Stride.W) - (2 * g.Padding.W) + (g.Dilation.W * (g.Kernel.W - 1)) + OutputPadding + 1;
        return input.Rank == 3 ? new Shape(input[0], OutChannels, l) : new Shape(OutChannels, l);
    }

    /// <inheritdoc/>
    public override string ExtraRepr() =>
        $"{InChannels}, {OutChannels}, kernelSize={Geometry.Kernel.W}, stride={Geometry.Stride.W}, padding={Geometry.Padding.W}" +
        (OutputPadding != 0 ? $", outputPadding={OutputPadding}" : string.Empty);
}
