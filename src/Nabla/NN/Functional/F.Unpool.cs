namespace Nabla.NN;

public static partial class F
{
    /// <summary>Partial inverse of max pooling (<c>torch.nn.functional.max_unpool2d</c>): puts each value back where its maximum came from.</summary>
    /// <remarks>
    /// <para>y[n, c] = 0 except y[n, c].flat[indices[n, c, i, j]] = x[n, c, i, j], the indices being flat positions h·W_out + w
    /// within each output plane, as <see cref="MaxPool2dWithIndices(Tensor, ValueTuple{int, int}, ValueTuple{int, int}?, ValueTuple{int, int}?, ValueTuple{int, int}?, bool)"/>
    /// returns them. When an index repeats (overlapping pooling windows pick the same maximum) the last value in row-major
    /// order is kept, as PyTorch's CPU kernel does; its gradient then goes to that value only (the derivative of what was
    /// computed), where PyTorch gives every copy the gradient.</para>
    /// <para>Input and indices: (N, C, H, W) or (C, H, W). Output: (N, C, H_out, W_out), by default
    /// H_out = (H − 1)·stride − 2·padding + kernel; an <paramref name="outputSize"/> must lie strictly between that minus and
    /// plus the stride (PyTorch's rule). dx = gather(dy, indices).</para>
    /// </remarks>
    /// <param name="input">The pooled values (N, C, H, W), or (C, H, W).</param>
    /// <param name="indices">Int64 flat positions of the maxima within each output plane, the shape of <paramref name="input"/>.</param>
    /// <param name="kernelSize">The pooling window (height, width).</param>
    /// <param name="stride">The pooling stride; null means <paramref name="kernelSize"/>.</param>
    /// <param name="padding">The pooling padding; null means (0, 0).</param>
    /// <param name="outputSize">The output (height, width); null means the default size.</param>
    /// <example><code>
    /// var (v, i) = F.MaxPool2dWithIndices(x, (2, 2));
    /// var y = F.MaxUnpool2d(v, i, (2, 2));   // x's shape, zeros except at the maxima
    /// </code></example>
    public static Tensor MaxUnpool2d(Tensor input, Tensor indices, (int H, int W) kernelSize, (int H, int W)? stride = null, (int H, int W)? padding = null,
        (int H, int W)? outputSize = null)
    {
        var (s, p) = (stride ?? kernelSize, padding ?? (0, 0));
        if (kernelSize.H < 1 || kernelSize.W < 1 || s.H < 1 || s.W < 1 || p.H < 0 || p.W < 0)
        {
            throw new ArgumentException($"max_unpool2d: kernel {kernelSize} and stride {s} must be positive and padding {p} non-negative");
        }

        if (indices.DType != DType.Int64 || indices.Shape != input.Shape)
        {
            throw new ArgumentException($"max_unpool2d: indices must be Int64 of the input's shape {input.Shape}, got {indices.DType} {indices.Shape}", nameof(indices));
        }

        bool unbatched = input.Rank == 3;
        if (!unbatched && input.Rank != 4)
        {
            throw new ArgumentException($"max_unpool2d: expected input (N, C, H, W) or (C, H, W), got shape {input.Shape}", nameof(input));
        }

        var (x, idx) = unbatched ? (input.Unsqueeze(0), indices.Unsqueeze(0)) : (input, indices);
        int oh = UnpoolSize(x.Shape[2], kernelSize.H, s.H, p.H, outputSize?.H, "height");
        int ow = UnpoolSize(x.Shape[3], kernelSize.W, s.W, p.W, outputSize?.W, "width");
        var mask = LastWriters(idx, oh * ow);
        if (mask is not null)
        {
            x = x * Tensor.FromArray(mask, x.Shape).To(x.DType);
        }

        var y = new Ops.MaxPool2dBackward(new Shape(x.Shape[0], x.Shape[1], oh, ow)).Apply(x, idx.Contiguous());
        return unbatched ? y.Squeeze(0) : y;
    }

    /// <summary>Partial inverse of 1-D max pooling (<c>torch.nn.functional.max_unpool1d</c>), as 2-D unpooling of height 1.</summary>
    /// <remarks>
    /// y[n, c, indices[n, c, i]] = x[n, c, i], zeros elsewhere. Input and indices: (N, C, L) or (C, L). Output: (N, C, L_out),
    /// L_out = (L − 1)·stride − 2·padding + kernelSize unless <paramref name="outputSize"/> is given.
    /// </remarks>
    /// <param name="input">The pooled values (N, C, L), or (C, L).</param>
    /// <param name="indices">Int64 positions of the maxima along L_out, the shape of <paramref name="input"/>.</param>
    /// <param name="kernelSize">The pooling window.</param>
    /// <param name="stride">The pooling stride; null means <paramref name="kernelSize"/>.</param>
    /// <param name="padding">The pooling padding.</param>
    /// <param name="outputSize">The output length; null means the default.</param>
    public static Tensor MaxUnpool1d(Tensor input, Tensor indices, int kernelSize, int? stride = null, int padding = 0, int? outputSize = null)
    {
        RequirePoolRank("max_unpool1d", input, 2, "(N, C, L) or (C, L)");
        int s = stride ?? kernelSize;
        return MaxUnpool2d(input.Unsqueeze(-2), indices.Unsqueeze(-2), (1, kernelSize), (1, s), (0, padding), outputSize is int o ? (1, o) : null).Squeeze(-2);
    }

    /// <inheritdoc cref="MaxUnpool2d(Tensor, Tensor, ValueTuple{int, int}, ValueTuple{int, int}?, ValueTuple{int, int}?, ValueTuple{int, int}?)"/>
    /// <param name="input">The pooled values (N, C, H, W), or (C, H, W).</param>
    /// <param name="indices">Int64 flat positions of the maxima within each output plane.</param>
    /// <param name="kernelSize">The pooling window, the same for height and width.</param>
    /// <param name="stride">The pooling stride; null means <paramref name="kernelSize"/>.</param>
    /// <param name="padding">The pooling padding.</param>
    public static Tensor MaxUnpool2d(Tensor input, Tensor indices, int kernelSize, int? stride = null, int padding = 0)
    {
        int s = stride ?? kernelSize;
        return MaxUnpool2d(input, indices, (kernelSize, kernelSize), (s, s), (padding, padding));
    }

    private static int UnpoolSize(int n, int k, int s, int p, int? requested, string axis)
    {
        int size = ((n - 1) * s) - (2 * p) + k;
        if (requested is int r && (r <= size - s || r >= size + s))
        {
            throw new ArgumentException($"max_unpool: output {axis} {r} must be between {size - s} and {size + s} (exclusive) for input {axis} {n}");
        }

        int o = requested ?? size;
        return o >= 1 ? o : throw new ArgumentException($"max_unpool: the output {axis} would be {o}; padding {p} is too large");
    }

    // Checks the indices and marks which input positions are the last to write their target (null: no index repeats).
    private static double[]? LastWriters(Tensor indices, int planeSize)
    {
        var ic = indices.Contiguous();
        var idx = ic.Elements<long>().AsSpan(ic.Offset, (int)ic.Shape.Numel);
        int perPlane = indices.Shape[2] * indices.Shape[3];
        var last = new int[planeSize];
        double[]? mask = null;
        for (int start = 0; start < idx.Length; start += perPlane)
        {
            Array.Fill(last, -1);
            for (int j = start; j < start + perPlane; j++)
            {
                long k = idx[j];
                if (k < 0 || k >= planeSize)
                {
                    throw new ArgumentOutOfRangeException(nameof(indices), $"max_unpool: index {k} is outside the output plane of {planeSize} elements");
                }

                if (last[k] >= 0)
                {
                    mask ??= CreateOnes(idx.Length);
                    mask[last[k]] = 0;
                }

                last[k] = j;
            }
        }

        return mask;
    }

    private static double[] CreateOnes(int n)
    {
        var a = new double[n];
        Array.Fill(a, 1.0);
        return a;
    }
}
