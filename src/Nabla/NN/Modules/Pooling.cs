namespace Nabla.NN;

/// <summary>Base of the fixed-window pooling modules: geometry and output-shape arithmetic (with ceil mode).</summary>
public abstract class PoolBase(SpatialGeometry geometry, bool ceilMode, int spatialDims) : Module
{
    /// <summary>Kernel, stride, padding and dilation.</summary>
    public SpatialGeometry Geometry { get; } = geometry;

    /// <summary>Whether output sizes round up.</summary>
    public bool CeilMode { get; } = ceilMode;

    /// <inheritdoc/>
    public override Shape OutputShape(Shape input)
    {
        if (input.Rank != spatialDims + 1 && input.Rank != spatialDims + 2)
        {
            throw new ArgumentException($"{TypeName}: expected input of rank {spatialDims + 1} or {spatialDims + 2}, got {input}");
        }

        var g = Geometry;
        var dims = input.ToArray();
        if (spatialDims == 2)
        {
            dims[^2] = SpatialGeometry.OutSize(dims[^2], g.Kernel.H, g.Stride.H, g.Padding.H, g.Dilation.H, CeilMode);
        }

        dims[^1] = SpatialGeometry.OutSize(dims[^1], g.Kernel.W, g.Stride.W, g.Padding.W, g.Dilation.W, CeilMode);
        if (dims[^1] <= 0 || dims[^2] <= 0)
        {
            throw new ArgumentException($"{TypeName}: input {input} is smaller than the window {g.Kernel}");
        }

        return new Shape(dims);
    }

    /// <inheritdoc/>
    public override string ExtraRepr() =>
        $"kernelSize={Geometry.Kernel}, stride={Geometry.Stride}, padding={Geometry.Padding}" + (CeilMode ? ", ceilMode=True" : string.Empty);
}

/// <summary>Max over kH×kW windows of (N, C, H, W) (PyTorch's <c>nn.MaxPool2d</c>); padding counts as −∞.</summary>
/// <remarks>
/// y[n, c, i, j] = max over ki &lt; kH, kj &lt; kW of x[n, c, i·sH − pH + ki·dH, j·sW − pW + kj·dW]. Each of kernel, stride,
/// padding and dilation is one int for both axes or a (height, width) pair, as in PyTorch.
/// </remarks>
public sealed class MaxPool2d : PoolBase
{
    /// <summary>Square window: every argument the same for height and width.</summary>
    public MaxPool2d(int kernelSize, int? stride = null, int padding = 0, int dilation = 1, bool ceilMode = false, bool returnIndices = false)
        : this((kernelSize, kernelSize), stride is int s ? (s, s) : null, (padding, padding), (dilation, dilation), ceilMode, returnIndices)
    {
    }

    /// <summary>Window, stride, padding and dilation each as (height, width); stride null means the kernel size.</summary>
    public MaxPool2d((int H, int W) kernelSize, (int H, int W)? stride = null, (int H, int W)? padding = null, (int H, int W)? dilation = null,
        bool ceilMode = false, bool returnIndices = false)
        : base(new(kernelSize, stride ?? kernelSize, padding ?? (0, 0), dilation ?? (1, 1)), ceilMode, 2) => ReturnIndices = returnIndices;

    /// <summary>Whether the layer was made to return the maxima's indices (PyTorch's <c>return_indices</c>): use <see cref="ForwardWithIndices"/>.</summary>
    public bool ReturnIndices { get; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => ReturnIndices
        ? throw new InvalidOperationException("MaxPool2d(returnIndices: true) returns (values, indices): call ForwardWithIndices")
        : F.MaxPool2d(input, Geometry.Kernel, Geometry.Stride, Geometry.Padding, Geometry.Dilation, CeilMode);

    /// <summary>The maxima and their Int64 flat positions h·W + w within each input plane (the layout <see cref="MaxUnpool2d"/> takes).</summary>
    /// <param name="input">Input (N, C, H, W) or (C, H, W).</param>
    /// <returns>Values and indices, both (N, C, H_out, W_out).</returns>
    public (Tensor Values, Tensor Indices) ForwardWithIndices(Tensor input) =>
        F.MaxPool2dWithIndices(input, Geometry.Kernel, Geometry.Stride, Geometry.Padding, Geometry.Dilation, CeilMode);
}

/// <summary>Max over windows of (N, C, L) (PyTorch's <c>nn.MaxPool1d</c>): y[n, c, i] = max over k of x[n, c, i·s − p + k·d].</summary>
public sealed class MaxPool1d(int kernelSize, int? stride = null, int padding = 0, int dilation = 1, bool ceilMode = false, bool returnIndices = false)
    : PoolBase(new((1, kernelSize), (1, stride ?? kernelSize), (0, padding), (1, dilation)), ceilMode, 1)
{
    /// <summary>Whether the layer was made to return the maxima's indices (PyTorch's <c>return_indices</c>): use <see cref="ForwardWithIndices"/>.</summary>
    public bool ReturnIndices => returnIndices;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => ReturnIndices
        ? throw new InvalidOperationException("MaxPool1d(returnIndices: true) returns (values, indices): call ForwardWithIndices")
        : F.MaxPool1d(input, Geometry.Kernel.W, Geometry.Stride.W, Geometry.Padding.W, Geometry.Dilation.W, CeilMode);

    /// <summary>The maxima and their Int64 positions along L (the layout <see cref="MaxUnpool1d"/> takes).</summary>
    /// <param name="input">Input (N, C, L) or (C, L).</param>
    /// <returns>Values and indices, both (N, C, L_out).</returns>
    public (Tensor Values, Tensor Indices) ForwardWithIndices(Tensor input) =>
        F.MaxPool1dWithIndices(input, Geometry.Kernel.W, Geometry.Stride.W, Geometry.Padding.W, Geometry.Dilation.W, CeilMode);
}

/// <summary>Mean over kH×kW windows of (N, C, H, W) (PyTorch's <c>nn.AvgPool2d</c>).</summary>
/// <remarks>
/// Kernel, stride and padding are each one int or a (height, width) pair. With <c>divisorOverride</c> every window sum is
/// divided by that number instead of the window size.
/// </remarks>
public sealed class AvgPool2d : PoolBase
{
    /// <summary>Square window: every argument the same for height and width.</summary>
    public AvgPool2d(int kernelSize, int? stride = null, int padding = 0, bool ceilMode = false, bool countIncludePad = true, int? divisorOverride = null)
        : this((kernelSize, kernelSize), stride is int s ? (s, s) : null, (padding, padding), ceilMode, countIncludePad, divisorOverride)
    {
    }

    /// <summary>Window, stride and padding each as (height, width); stride null means the kernel size.</summary>
    public AvgPool2d((int H, int W) kernelSize, (int H, int W)? stride = null, (int H, int W)? padding = null, bool ceilMode = false,
        bool countIncludePad = true, int? divisorOverride = null)
        : base(new(kernelSize, stride ?? kernelSize, padding ?? (0, 0), (1, 1)), ceilMode, 2) =>
        (CountIncludePad, DivisorOverride) = (countIncludePad, divisorOverride);

    /// <summary>The divisor used instead of the window size, or null.</summary>
    public int? DivisorOverride { get; }

    /// <summary>Whether zero padding counts in the window size that divides each sum.</summary>
    public bool CountIncludePad { get; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) =>
        F.AvgPool2d(input, Geometry.Kernel, Geometry.Stride, Geometry.Padding, CeilMode, CountIncludePad, DivisorOverride);
}

/// <summary>Mean over windows of (N, C, L).</summary>
public sealed class AvgPool1d(int kernelSize, int? stride = null, int padding = 0, bool ceilMode = false, bool countIncludePad = true)
    : PoolBase(new((1, kernelSize), (1, stride ?? kernelSize), (0, padding), (1, 1)), ceilMode, 1)
{
    /// <summary>Whether zero padding counts in the window size that divides each sum.</summary>
    public bool CountIncludePad => countIncludePad;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) =>
        F.AvgPool1d(input, Geometry.Kernel.W, Geometry.Stride.W, Geometry.Padding.W, CeilMode, countIncludePad);
}

/// <summary>Mean pooling to a fixed (H_out, W_out), windows [⌊i·H/H_out⌋, ⌈(i + 1)·H/H_out⌉).</summary>
public sealed class AdaptiveAvgPool2d((int H, int W) outputSize) : Module
{
    /// <summary>Pools to outputSize × outputSize.</summary>
    public AdaptiveAvgPool2d(int outputSize)
        : this((outputSize, outputSize))
    {
    }

    /// <summary>The output size (each at least 1).</summary>
    public (int H, int W) OutputSize { get; } = CheckOutputSize("AdaptiveAvgPool2d", outputSize);

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => F.AdaptiveAvgPool2d(input, OutputSize);

    /// <summary>Refuses an adaptive pool's output size below 1 (a zero-sized output would divide by zero).</summary>
    internal static (int H, int W) CheckOutputSize(string layer, (int H, int W) size) =>
        size.H >= 1 && size.W >= 1 ? size : throw new ArgumentException($"{layer}: outputSize must be at least 1, got {size}", nameof(size));

    /// <inheritdoc/>
    public override Shape OutputShape(Shape input) => input.With(-2, OutputSize.H).With(-1, OutputSize.W);

    /// <inheritdoc/>
    public override string ExtraRepr() => $"outputSize={OutputSize}";
}

/// <summary>Mean pooling of (N, C, L) to a fixed length.</summary>
public sealed class AdaptiveAvgPool1d(int outputSize) : Module
{
    /// <summary>The output length (at least 1).</summary>
    public int OutputSize { get; } = AdaptiveAvgPool2d.CheckOutputSize("AdaptiveAvgPool1d", (1, outputSize)).W;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => F.AdaptiveAvgPool1d(input, OutputSize);

    /// <inheritdoc/>
    public override Shape OutputShape(Shape input) => input.With(-1, OutputSize);

    /// <inheritdoc/>
    public override string ExtraRepr() => $"outputSize={OutputSize}";
}

/// <summary>Max pooling to a fixed (H_out, W_out).</summary>
public sealed class AdaptiveMaxPool2d((int H, int W) outputSize) : Module
{
    /// <summary>Pools to outputSize × outputSize.</summary>
    public AdaptiveMaxPool2d(int outputSize)
        : this((outputSize, outputSize))
    {
    }

    /// <summary>The output size (each at least 1).</summary>
    public (int H, int W) OutputSize { get; } = AdaptiveAvgPool2d.CheckOutputSize("AdaptiveMaxPool2d", outputSize);

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => F.AdaptiveMaxPool2d(input, OutputSize);

    /// <inheritdoc/>
    public override Shape OutputShape(Shape input) => input.With(-2, OutputSize.H).With(-1, OutputSize.W);

    /// <inheritdoc/>
    public override string ExtraRepr() => $"outputSize={OutputSize}";
}

/// <summary>Pads the last two dimensions with zeros: (left, right, top, bottom).</summary>
public sealed class ZeroPad2d(int left, int right, int top, int bottom) : Module
{
    /// <summary>Pads every side by <paramref name="padding"/>.</summary>
    public ZeroPad2d(int padding)
        : this(padding, padding, padding, padding)
    {
    }

    /// <summary>The padding: left, right, top, bottom.</summary>
    public IReadOnlyList<int> Padding { get; } = [left, right, top, bottom];

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => input.Pad([left, right, top, bottom]);

    /// <inheritdoc/>
    public override Shape OutputShape(Shape input) => input.With(-1, input[-1] + left + right).With(-2, input[-2] + top + bottom);

    /// <inheritdoc/>
    public override string ExtraRepr() => $"({left}, {right}, {top}, {bottom})";
}
