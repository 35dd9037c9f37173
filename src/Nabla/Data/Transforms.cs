namespace Nabla.Data;

/// <summary>
/// A function applied to a batch of inputs by the <see cref="DataLoader"/> (torchvision's transforms, applied per
/// batch): normalisation, padding, augmentation. Random transforms draw from the generator they are given, so a
/// seeded loader gives the same augmented batches every run.
/// </summary>
public abstract class Transform
{
    /// <summary>Transforms a batch (images: <c>(N, C, H, W)</c>, Float32 or Float64).</summary>
    public abstract Tensor Apply(Tensor batch, Generator generator);

    /// <summary>Checks that <paramref name="batch"/> is a floating-point (N, C, H, W) tensor.</summary>
    protected static Tensor Images(Tensor batch, string name)
    {
        if (batch.Rank != 4 || !batch.DType.IsFloatingPoint())
        {
            throw new ArgumentException($"{name}: expected a float batch of images (N, C, H, W), got {batch.DType} {batch.Shape}");
        }

        return batch.IsContiguous ? batch : batch.Contiguous();
    }
}

/// <summary>Applies several transforms in order.</summary>
public sealed class Compose(params Transform[] transforms) : Transform
{
    /// <summary>The transforms.</summary>
    public IReadOnlyList<Transform> Transforms { get; } = transforms;

    /// <inheritdoc/>
    public override Tensor Apply(Tensor batch, Generator generator)
    {
        foreach (var t in Transforms)
        {
            batch = t.Apply(batch, generator);
        }

        return batch;
    }
}

/// <summary>x ← (x − mean) / std, per channel (one value for all channels if a single value is given).</summary>
public sealed class Normalize(double[] mean, double[] std) : Transform
{
    /// <summary>The same mean and std for every channel.</summary>
    public Normalize(double mean, double std)
        : this([mean], [std])
    {
    }

    /// <inheritdoc/>
    public override Tensor Apply(Tensor batch, Generator generator)
    {
        using var _ = GradMode.NoGrad();
        int c = batch.Rank >= 2 ? batch.Shape[1] : 1;
        if (mean.Length == 1)
        {
            return (batch - mean[0]) * (1 / std[0]);
        }

        if (mean.Length != c || std.Length != c)
        {
            throw new ArgumentException($"Normalize: {mean.Length} means and {std.Length} stds for {c} channels");
        }

        var shape = new int[batch.Rank];
        Array.Fill(shape, 1);
        shape[1] = c;
        var m = Tensor.FromArray(mean, new Shape(shape)).To(batch.DType);
        var s = Tensor.FromArray(std.Select(v => 1 / v).ToArray(), new Shape(shape)).To(batch.DType);
        return (batch - m) * s;
    }
}

/// <summary>Pads the two spatial dimensions by <c>padding</c> pixels of <c>value</c> on every side (MNIST 28 → 32 with padding 2).</summary>
public sealed class Pad(int padding, double value = 0) : Transform
{
    /// <inheritdoc/>
    public override Tensor Apply(Tensor batch, Generator generator)
    {
        using var _ = GradMode.NoGrad();
        return Images(batch, "Pad").Pad([padding, padding, padding, padding], value);
    }
}

/// <summary>Crops a random <c>size</c>×<c>size</c> window from each image, after optional zero padding (torchvision's <c>RandomCrop</c>).</summary>
public sealed class RandomCrop(int size, int padding = 0) : Transform
{
    /// <inheritdoc/>
    public override Tensor Apply(Tensor batch, Generator generator)
    {
        using var _ = GradMode.NoGrad();
        var x = Images(batch, "RandomCrop");
        if (padding > 0)
        {
            x = x.Pad([padding, padding, padding, padding]);
        }

        int n = x.Shape[0], c = x.Shape[1], h = x.Shape[2], w = x.Shape[3];
        if (size > h || size > w)
        {
            throw new ArgumentException($"RandomCrop: crop size {size} is larger than the (padded) image {h}×{w}");
        }

        var rows = new List<Tensor>(n);
        for (int i = 0; i < n; i++)
        {
            int top = (int)generator.NextInt64(0, h - size + 1), left = (int)generator.NextInt64(0, w - size + 1);
            rows.Add(x.Select(0, i).Narrow(1, top, size).Narrow(2, left, size));
        }

        return n == 0 ? Tensor.Zeros(new Shape(0, c, size, size), x.DType) : Tensor.Stack(rows);
    }
}

/// <summary>Mirrors each image left-right with probability <c>p</c> (torchvision's <c>RandomHorizontalFlip</c>).</summary>
public sealed class RandomHorizontalFlip(double p = 0.5) : Transform
{
    /// <inheritdoc/>
    public override Tensor Apply(Tensor batch, Generator generator)
    {
        var x = Images(batch, "RandomHorizontalFlip");
        int n = x.Shape[0], plane = x.Shape[1] * x.Shape[2], w = x.Shape[3];
        var result = x.DType == DType.Float32 ? (Array)x.ToFloatArray() : x.ToDoubleArray();
        for (int i = 0; i < n; i++)
        {
            if (generator.NextDouble() >= p)
            {
                continue;
            }

            for (int r = 0; r < plane; r++)
            {
                Array.Reverse(result, ((i * plane) + r) * w, w);
            }
        }

        return new Tensor(result, x.DType, x.Shape);
    }
}

/// <summary>
/// Resizes each image to <c>height</c>×<c>width</c> by bilinear interpolation: torchvision's
/// <c>Resize((height, width), antialias=False)</c>, which is <c>F.interpolate(x, size, mode="bilinear",
/// align_corners=False)</c>. (torchvision's default <c>antialias=True</c> differs when shrinking: it averages
/// over the source pixels an output pixel covers.)
/// </summary>
/// <remarks>
/// Separable: y = A_H · x · A_Wᵀ. Row i of A (out × in) reads source s = max((i + 0.5)·in/out − 0.5, 0) and puts
/// weight 1 − λ on floor(s) and λ = s − floor(s) on min(floor(s) + 1, in − 1) (PyTorch's
/// <c>area_pixel_compute_source_index</c>).
/// </remarks>
public sealed class Resize : Transform
{
    /// <summary>Resizes to <paramref name="height"/>×<paramref name="width"/> (both at least 1).</summary>
    public Resize(int height, int width)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        (Height, Width) = (height, width);
    }

    /// <summary>The output height.</summary>
    public int Height { get; }

    /// <summary>The output width.</summary>
    public int Width { get; }

    /// <inheritdoc/>
    public override Tensor Apply(Tensor batch, Generator generator)
    {
        using var _ = GradMode.NoGrad();
        var x = Images(batch, "Resize");
        int h = x.Shape[2], w = x.Shape[3];
        if (h == Height && w == Width)
        {
            return x;
        }

        return Weights(Height, h, x.DType).MatMul(x).MatMul(Weights(Width, w, x.DType).MT);
    }

    /// <summary>The (out × in) interpolation matrix of one dimension.</summary>
    private static Tensor Weights(int outSize, int inSize, DType dtype)
    {
        var a = new double[outSize * inSize];
        double scale = (double)inSize / outSize;
        for (int i = 0; i < outSize; i++)
        {
            double s = Math.Max(((i + 0.5) * scale) - 0.5, 0);
            int lo = Math.Min((int)s, inSize - 1), hi = Math.Min(lo + 1, inSize - 1);
            double lambda = s - lo;
            a[(i * inSize) + lo] += 1 - lambda;
            a[(i * inSize) + hi] += lambda;
        }

        return Tensor.FromArray(a, new Shape(outSize, inSize)).To(dtype);
    }
}
