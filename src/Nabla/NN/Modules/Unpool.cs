namespace Nabla.NN;

/// <summary>
/// Partial inverse of <see cref="MaxPool2d"/> (PyTorch's <c>nn.MaxUnpool2d</c>): zeros except each value at the flat
/// position its index names; see <see cref="F.MaxUnpool2d(Tensor, Tensor, ValueTuple{int, int}, ValueTuple{int, int}?, ValueTuple{int, int}?, ValueTuple{int, int}?)"/>.
/// </summary>
/// <remarks>H_out = (H − 1)·stride − 2·padding + kernel unless an output size is passed to <see cref="Forward(Tensor, Tensor, ValueTuple{int, int}?)"/>.</remarks>
public sealed class MaxUnpool2d : Module
{
    /// <summary>Square window, stride and padding.</summary>
    public MaxUnpool2d(int kernelSize, int? stride = null, int padding = 0)
        : this((kernelSize, kernelSize), stride is int s ? (s, s) : null, (padding, padding))
    {
    }

    /// <summary>Window, stride and padding each as (height, width); stride null means the kernel size.</summary>
    public MaxUnpool2d((int H, int W) kernelSize, (int H, int W)? stride = null, (int H, int W)? padding = null) =>
        (KernelSize, Stride, Padding) = (kernelSize, stride ?? kernelSize, padding ?? (0, 0));

    /// <summary>The pooling window (height, width).</summary>
    public (int H, int W) KernelSize { get; }

    /// <summary>The pooling stride (height, width).</summary>
    public (int H, int W) Stride { get; }

    /// <summary>The pooling padding (height, width).</summary>
    public (int H, int W) Padding { get; }

    /// <summary>Unpools <paramref name="input"/> by its <paramref name="indices"/> (from <see cref="MaxPool2d.ForwardWithIndices"/>).</summary>
    /// <param name="input">The pooled values (N, C, H, W) or (C, H, W).</param>
    /// <param name="indices">Their Int64 flat positions within each output plane.</param>
    /// <param name="outputSize">The output (height, width), or null for the default size.</param>
    /// <returns>(N, C, H_out, W_out).</returns>
    public Tensor Forward(Tensor input, Tensor indices, (int H, int W)? outputSize = null) =>
        F.MaxUnpool2d(input, indices, KernelSize, Stride, Padding, outputSize);

    /// <summary>Refused: unpooling needs the indices too.</summary>
    public override Tensor Forward(Tensor input) =>
        throw new InvalidOperationException("MaxUnpool2d needs the pooling indices: call Forward(input, indices)");

    /// <inheritdoc/>
    public override string ExtraRepr() => $"kernelSize={KernelSize}, stride={Stride}, padding={Padding}";
}

/// <summary>Partial inverse of <see cref="MaxPool1d"/> (PyTorch's <c>nn.MaxUnpool1d</c>): y[n, c, indices[n, c, i]] = x[n, c, i], zeros elsewhere.</summary>
/// <remarks>L_out = (L − 1)·stride − 2·padding + kernelSize unless an output size is passed to <see cref="Forward(Tensor, Tensor, int?)"/>.</remarks>
public sealed class MaxUnpool1d(int kernelSize, int? stride = null, int padding = 0) : Module
{
    /// <summary>The pooling window.</summary>
    public int KernelSize { get; } = kernelSize;

    /// <summary>The pooling stride.</summary>
    public int Stride { get; } = stride ?? kernelSize;

    /// <summary>The pooling padding.</summary>
    public int Padding { get; } = padding;

    /// <summary>Unpools <paramref name="input"/> by its <paramref name="indices"/> (from <see cref="MaxPool1d.ForwardWithIndices"/>).</summary>
    /// <param name="input">The pooled values (N, C, L) or (C, L).</param>
    /// <param name="indices">Their Int64 positions along the output length.</param>
    /// <param name="outputSize">The output length, or null for the default.</param>
    /// <returns>(N, C, L_out).</returns>
    public Tensor Forward(Tensor input, Tensor indices, int? outputSize = null) =>
        F.MaxUnpool1d(input, indices, KernelSize, Stride, Padding, outputSize);

    /// <summary>Refused: unpooling needs the indices too.</summary>
    public override Tensor Forward(Tensor input) =>
        throw new InvalidOperationException("MaxUnpool1d needs the pooling indices: call Forward(input, indices)");

    /// <inheritdoc/>
    public override string ExtraRepr() => $"kernelSize={KernelSize}, stride={Stride}, padding={Padding}";
}
