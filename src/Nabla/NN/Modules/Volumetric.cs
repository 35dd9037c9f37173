using System.Globalization;

namespace Nabla.NN;

/// <summary>
/// Kernel, stride, padding and dilation of a 3-D layer, each a (depth, height, width) triple: the volumetric
/// <see cref="SpatialGeometry"/>. <see cref="Plane"/> is its (height, width) part and <see cref="DepthAxis"/> the third axis,
/// the two pieces the receptive-field analysis reads.
/// </summary>
public readonly record struct SpatialGeometry3d((int D, int H, int W) Kernel, (int D, int H, int W) Stride, (int D, int H, int W) Padding, (int D, int H, int W) Dilation)
{
    /// <summary>The (height, width) part.</summary>
    public SpatialGeometry Plane => new((Kernel.H, Kernel.W), (Stride.H, Stride.W), (Padding.H, Padding.W), (Dilation.H, Dilation.W));

    /// <summary>The depth axis: kernel, stride, padding, dilation.</summary>
    public (int Kernel, int Stride, int Padding, int Dilation) DepthAxis => (Kernel.D, Stride.D, Padding.D, Dilation.D);

    /// <summary>An int n as (n, n, n).</summary>
    public static (int D, int H, int W) Cube(int n) => (n, n, n);

    /// <summary>Output sizes for an input (d, h, w) (see <see cref="SpatialGeometry.OutSize"/>); throws naming <paramref name="layer"/> when one is below 1.</summary>
    public (int D, int H, int W) OutSizes(string layer, int d, int h, int w, bool ceilMode = false)
    {
        var o = (SpatialGeometry.OutSize(d, Kernel.D, Stride.D, Padding.D, Dilation.D, ceilMode),
            SpatialGeometry.OutSize(h, Kernel.H, Stride.H, Padding.H, Dilation.H, ceilMode),
            SpatialGeometry.OutSize(w, Kernel.W, Stride.W, Padding.W, Dilation.W, ceilMode));
        return o.Item1 >= 1 && o.Item2 >= 1 && o.Item3 >= 1 ? o
            : throw new ArgumentException($"{layer}: input ({d}, {h}, {w}) is smaller than the window {Kernel} (padding {Padding}, dilation {Dilation}): output would be {o}");
    }

    /// <summary>"n" when all three are n, else "(d, h, w)".</summary>
    public static string Text((int D, int H, int W) t) =>
        t.D == t.H && t.H == t.W ? t.D.ToString(CultureInfo.InvariantCulture) : $"({t.D}, {t.H}, {t.W})";
}

/// <summary>3-D convolution over (N, C_in, D, H, W) (PyTorch's <c>nn.Conv3d</c>).</summary>
/// <remarks>
/// Weight (C_out, C_in/groups, kD, kH, kW), bias (C_out). Output (N, C_out, D_out, H_out, W_out) with
/// D_out = ⌊(D + 2p − d(k − 1) − 1)/s⌋ + 1 per axis. Parameters: C_out·C_in/groups·kD·kH·kW + C_out. Each of kernel, stride,
/// padding and dilation is one int or a (depth, height, width) triple; padding may also be "same" or "valid".
/// </remarks>
public sealed class Conv3d : ConvBase
{
    private readonly SpatialGeometry3d geometry3d;

    /// <summary>Creates the layer with cubic kernel, stride, padding and dilation.</summary>
    public Conv3d(int inChannels, int outChannels, int kernelSize, int stride = 1, int padding = 0, int dilation = 1,
        int groups = 1, bool bias = true, Generator? generator = null, DType dtype = DType.Float32)
        : this(inChannels, outChannels, SpatialGeometry3d.Cube(kernelSize), SpatialGeometry3d.Cube(stride), SpatialGeometry3d.Cube(padding),
            SpatialGeometry3d.Cube(dilation), groups, bias, generator, dtype)
    {
    }

    /// <summary>Creates the layer with padding "same" (output size = input size, stride 1) or "valid" (no padding).</summary>
    public Conv3d(int inChannels, int outChannels, (int D, int H, int W) kernelSize, string padding, (int D, int H, int W)? dilation = null,
        int groups = 1, bool bias = true, Generator? generator = null, DType dtype = DType.Float32)
        : this(inChannels, outChannels, kernelSize, (1, 1, 1), SamePadding(padding, kernelSize, dilation ?? (1, 1, 1)), dilation ?? (1, 1, 1),
            groups, bias, generator, dtype)
    {
        PaddingMode = padding;
    }

    /// <summary>Creates the layer with (depth, height, width) triples.</summary>
    public Conv3d(int inChannels, int outChannels, (int D, int H, int W) kernelSize, (int D, int H, int W) stride, (int D, int H, int W) padding,
        (int D, int H, int W) dilation, int groups = 1, bool bias = true, Generator? generator = null, DType dtype = DType.Float32)
        : base(CheckedWeightShape(inChannels, outChannels, kernelSize, groups), bias, outChannels, generator, dtype)
    {
        (InChannels, OutChannels, Groups) = (inChannels, outChannels, groups);
        geometry3d = new SpatialGeometry3d(kernelSize, stride, padding, dilation);
    }

    /// <summary>C_in.</summary>
    public int InChannels { get; }

    /// <summary>C_out.</summary>
    public int OutChannels { get; }

    /// <summary>Number of groups.</summary>
    public int Groups { get; }

    /// <summary>"same" or "valid" when created with a padding string, else null (numeric padding).</summary>
    public string? PaddingMode { get; }

    /// <summary>Kernel, stride, padding and dilation as (depth, height, width) triples.</summary>
    public SpatialGeometry3d Geometry3d => geometry3d;

    /// <summary>The (height, width) part of <see cref="Geometry3d"/>.</summary>
    public override SpatialGeometry Geometry => geometry3d.Plane;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input)
    {
        CheckChannels(input.Shape, 3, InChannels, $"(N, {InChannels}, D, H, W)");
        var g = geometry3d;
        return PaddingMode == "same"
            ? F.Conv3d(input, Weight, Bias, "same", 1, g.Dilation, Groups)
            : F.Conv3d(input, Weight, Bias, g.Stride, g.Padding, g.Dilation, Groups);
    }

    /// <inheritdoc/>
    public override Shape OutputShape(Shape input)
    {
        CheckChannels(input, 3, InChannels, $"(N, {InChannels}, D, H, W)");
        var o = PaddingMode == "same" ? (input[-3], input[-2], input[-1]) : geometry3d.OutSizes(TypeName, input[-3], input[-2], input[-1]);
        return input.Rank == 5 ? new Shape(input[0], OutChannels, o.Item1, o.Item2, o.Item3) : new Shape(OutChannels, o.Item1, o.Item2, o.Item3);
    }

    /// <inheritdoc/>
    public override string ExtraRepr()
    {
        var g = geometry3d;
        return $"{InChannels}, {OutChannels}, kernelSize={g.Kernel}, stride={g.Stride}" +
            (PaddingMode is not null ? $", padding='{PaddingMode}'" : $", padding={g.Padding}") +
            (g.Dilation != (1, 1, 1) ? $", dilation={g.Dilation}" : string.Empty) +
            (Groups != 1 ? $", groups={Groups}" : string.Empty) + (Bias is null ? ", bias=False" : string.Empty);
    }

    private static Shape CheckedWeightShape(int inChannels, int outChannels, (int D, int H, int W) k, int groups)
    {
        var plane = Conv2d.CheckedWeightShape(inChannels, outChannels, (k.H, k.W), groups);
        return k.D >= 1 ? new Shape(plane[0], plane[1], k.D, k.H, k.W)
            : throw new ArgumentException($"Conv3d: kernel size {k} must be positive");
    }

    private static (int D, int H, int W) SamePadding(string padding, (int D, int H, int W) k, (int D, int H, int W) d) =>
        (Conv2d.SamePadding(padding, k.D, d.D).Item1, Conv2d.SamePadding(padding, k.H, d.H).Item1, Conv2d.SamePadding(padding, k.W, d.W).Item1);
}

/// <summary>Base of the 3-D fixed-window pooling modules: geometry and output-shape arithmetic (with ceil mode).</summary>
public abstract class Pool3dBase(SpatialGeometry3d geometry, bool ceilMode) : Module
{
    /// <summary>Kernel, stride, padding and dilation as (depth, height, width) triples.</summary>
    public SpatialGeometry3d Geometry { get; } = geometry;

    /// <summary>Whether output sizes round up.</summary>
    public bool CeilMode { get; } = ceilMode;

    /// <inheritdoc/>
    public override Shape OutputShape(Shape input)
    {
        if (input.Rank is not (4 or 5))
        {
            throw new ArgumentException($"{TypeName}: expected input (N, C, D, H, W) or (C, D, H, W), got {input}");
        }

        var (d, h, w) = Geometry.OutSizes(TypeName, input[-3], input[-2], input[-1], CeilMode);
        return input.With(-3, d).With(-2, h).With(-1, w);
    }

    /// <inheritdoc/>
    public override string ExtraRepr() =>
        $"kernelSize={Geometry.Kernel}, stride={Geometry.Stride}, padding={Geometry.Padding}" + (CeilMode ? ", ceilMode=True" : string.Empty);
}

/// <summary>Max over kD×kH×kW windows of (N, C, D, H, W) (PyTorch's <c>nn.MaxPool3d</c>); padding counts as −∞.</summary>
/// <remarks>Each of kernel, stride, padding and dilation is one int or a (depth, height, width) triple, as in PyTorch.</remarks>
public sealed class MaxPool3d : Pool3dBase
{
    /// <summary>Cubic window: every argument the same along every axis.</summary>
    public MaxPool3d(int kernelSize, int? stride = null, int padding = 0, int dilation = 1, bool ceilMode = false, bool returnIndices = false)
        : this(SpatialGeometry3d.Cube(kernelSize), stride is int s ? SpatialGeometry3d.Cube(s) : null, SpatialGeometry3d.Cube(padding),
            SpatialGeometry3d.Cube(dilation), ceilMode, returnIndices)
    {
    }

    /// <summary>Window, stride, padding and dilation each as (depth, height, width); stride null means the kernel size.</summary>
    public MaxPool3d((int D, int H, int W) kernelSize, (int D, int H, int W)? stride = null, (int D, int H, int W)? padding = null,
        (int D, int H, int W)? dilation = null, bool ceilMode = false, bool returnIndices = false)
        : base(new(kernelSize, stride ?? kernelSize, padding ?? (0, 0, 0), dilation ?? (1, 1, 1)), ceilMode) => ReturnIndices = returnIndices;

    /// <summary>Whether the layer was made to return the maxima's indices (PyTorch's <c>return_indices</c>): use <see cref="ForwardWithIndices"/>.</summary>
    public bool ReturnIndices { get; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => ReturnIndices
        ? throw new InvalidOperationException("MaxPool3d(returnIndices: true) returns (values, indices): call ForwardWithIndices")
        : F.MaxPool3d(input, Geometry.Kernel, Geometry.Stride, Geometry.Padding, Geometry.Dilation, CeilMode);

    /// <summary>The maxima and their Int64 flat positions (d·H + h)·W + w within each input volume.</summary>
    /// <param name="input">Input (N, C, D, H, W) or (C, D, H, W).</param>
    /// <returns>Values and indices, both (N, C, D_out, H_out, W_out).</returns>
    public (Tensor Values, Tensor Indices) ForwardWithIndices(Tensor input) =>
        F.MaxPool3dWithIndices(input, Geometry.Kernel, Geometry.Stride, Geometry.Padding, Geometry.Dilation, CeilMode);
}

/// <summary>Mean over kD×kH×kW windows of (N, C, D, H, W) (PyTorch's <c>nn.AvgPool3d</c>).</summary>
/// <remarks>Kernel, stride and padding are each one int or a (depth, height, width) triple; <c>divisorOverride</c> replaces the window size as divisor.</remarks>
public sealed class AvgPool3d : Pool3dBase
{
    /// <summary>Cubic window: every argument the same along every axis.</summary>
    public AvgPool3d(int kernelSize, int? stride = null, int padding = 0, bool ceilMode = false, bool countIncludePad = true, int? divisorOverride = null)
        : this(SpatialGeometry3d.Cube(kernelSize), stride is int s ? SpatialGeometry3d.Cube(s) : null, SpatialGeometry3d.Cube(padding), ceilMode,
            countIncludePad, divisorOverride)
    {
    }

    /// <summary>Window, stride and padding each as (depth, height, width); stride null means the kernel size.</summary>
    public AvgPool3d((int D, int H, int W) kernelSize, (int D, int H, int W)? stride = null, (int D, int H, int W)? padding = null, bool ceilMode = false,
        bool countIncludePad = true, int? divisorOverride = null)
        : base(new(kernelSize, stride ?? kernelSize, padding ?? (0, 0, 0), (1, 1, 1)), ceilMode)
    {
        if (divisorOverride is <= 0)
        {
            throw new ArgumentException($"AvgPool3d: divisorOverride must be positive, got {divisorOverride}", nameof(divisorOverride));
        }

        (CountIncludePad, DivisorOverride) = (countIncludePad, divisorOverride);
    }

    /// <summary>The divisor used instead of the window size, or null.</summary>
    public int? DivisorOverride { get; }

    /// <summary>Whether zero padding counts in the window size that divides each sum.</summary>
    public bool CountIncludePad { get; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) =>
        F.AvgPool3d(input, Geometry.Kernel, Geometry.Stride, Geometry.Padding, CeilMode, CountIncludePad, DivisorOverride);
}

/// <summary>Mean pooling of (N, C, D, H, W) to a fixed (D_out, H_out, W_out), windows [⌊i·D/D_out⌋, ⌈(i + 1)·D/D_out⌉) per axis.</summary>
public sealed class AdaptiveAvgPool3d((int D, int H, int W) outputSize) : Module
{
    /// <summary>Pools to outputSize along every axis.</summary>
    public AdaptiveAvgPool3d(int outputSize)
        : this(SpatialGeometry3d.Cube(outputSize))
    {
    }

    /// <summary>The output size (each at least 1).</summary>
    public (int D, int H, int W) OutputSize { get; } = outputSize.D >= 1 && outputSize.H >= 1 && outputSize.W >= 1 ? outputSize
        : throw new ArgumentException($"AdaptiveAvgPool3d: outputSize must be at least 1, got {outputSize}", nameof(outputSize));

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => F.AdaptiveAvgPool3d(input, OutputSize);

    /// <inheritdoc/>
    public override Shape OutputShape(Shape input) => input.Rank is 4 or 5
        ? input.With(-3, OutputSize.D).With(-2, OutputSize.H).With(-1, OutputSize.W)
        : throw new ArgumentException($"AdaptiveAvgPool3d: expected input (N, C, D, H, W) or (C, D, H, W), got {input}");

    /// <inheritdoc/>
    public override string ExtraRepr() => $"outputSize={OutputSize}";
}
