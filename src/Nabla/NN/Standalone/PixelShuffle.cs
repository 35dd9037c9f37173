namespace Nabla.NN;

public static partial class F
{
    /// <summary>
    /// Pixel shuffle (sub-pixel convolution, Shi et al. 2016): (*, C·r², H, W) → (*, C, H·r, W·r) with
    /// y[c, h·r + i, w·r + j] = x[c·r² + i·r + j, h, w].
    /// </summary>
    /// <exception cref="ArgumentException">The input has fewer than 3 dimensions, r is below 1, or C is not divisible by r².</exception>
    public static Tensor PixelShuffle(Tensor input, int upscaleFactor)
    {
        var (lead, ch, h, w) = Split(input, upscaleFactor, "pixel_shuffle");
        int r = upscaleFactor;
        if (ch % (r * r) != 0)
        {
            throw new ArgumentException($"pixel_shuffle: the channel count {ch} of input {input.Shape} is not divisible by upscaleFactor² = {r * r}");
        }

        int b = lead.Length;
        var x = input.Reshape(new Shape([.. lead, ch / (r * r), r, r, h, w]));
        var y = x.Permute([.. Enumerable.Range(0, b + 1), b + 3, b + 1, b + 4, b + 2]);
        return y.Reshape(new Shape([.. lead, ch / (r * r), h * r, w * r]));
    }

    /// <summary>The inverse of <see cref="PixelShuffle"/>: (*, C, H·r, W·r) → (*, C·r², H, W).</summary>
    /// <exception cref="ArgumentException">The input has fewer than 3 dimensions, r is below 1, or H or W is not divisible by r.</exception>
    public static Tensor PixelUnshuffle(Tensor input, int downscaleFactor)
    {
        var (lead, ch, h, w) = Split(input, downscaleFactor, "pixel_unshuffle");
        int r = downscaleFactor;
        if (h % r != 0 || w % r != 0)
        {
            throw new ArgumentException($"pixel_unshuffle: height {h} and width {w} of input {input.Shape} must be divisible by downscaleFactor {r}");
        }

        int b = lead.Length;
        var x = input.Reshape(new Shape([.. lead, ch, h / r, r, w / r, r]));
        var y = x.Permute([.. Enumerable.Range(0, b + 1), b + 2, b + 4, b + 1, b + 3]);
        return y.Reshape(new Shape([.. lead, ch * r * r, h / r, w / r]));
    }

    private static (int[] Lead, int C, int H, int W) Split(Tensor input, int factor, string name)
    {
        if (input.Rank < 3)
        {
            throw new ArgumentException($"{name}: expected input (*, C, H, W) of 3 or more dimensions, got {input.Shape}");
        }

        if (factor < 1)
        {
            throw new ArgumentException($"{name}: the factor must be at least 1, got {factor}");
        }

        var d = input.Shape.ToArray();
        return (d[..^3], d[^3], d[^2], d[^1]);
    }
}

/// <summary>Rearranges (*, C·r², H, W) into (*, C, H·r, W·r) (<c>nn.PixelShuffle</c>).</summary>
public sealed class PixelShuffle(int upscaleFactor) : Module
{
    /// <summary>r.</summary>
    public int UpscaleFactor { get; } = upscaleFactor >= 1 ? upscaleFactor
        : throw new ArgumentOutOfRangeException(nameof(upscaleFactor), $"PixelShuffle: upscaleFactor must be at least 1, got {upscaleFactor}");

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => F.PixelShuffle(input, UpscaleFactor);

    /// <inheritdoc/>
    public override string ExtraRepr() => $"upscaleFactor={UpscaleFactor}";
}

/// <summary>Rearranges (*, C, H·r, W·r) into (*, C·r², H, W) (<c>nn.PixelUnshuffle</c>).</summary>
public sealed class PixelUnshuffle(int downscaleFactor) : Module
{
    /// <summary>r.</summary>
    public int DownscaleFactor { get; } = downscaleFactor >= 1 ? downscaleFactor
        : throw new ArgumentOutOfRangeException(nameof(downscaleFactor), $"PixelUnshuffle: downscaleFactor must be at least 1, got {downscaleFactor}");

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => F.PixelUnshuffle(input, DownscaleFactor);

    /// <inheritdoc/>
    public override string ExtraRepr() => $"downscaleFactor={DownscaleFactor}";
}

/// <summary><c>nn.PixelShuffle</c>.</summary>
public sealed class PixelShuffleDescriptor() : LayerDescriptor<PixelShuffle>([new("upscaleFactor", ArgKind.Int, null, true)])
{
    /// <inheritdoc/>
    public override IReadOnlyList<LayerExample> Examples =>
        [new(LayerSpec.Of(Name, ("upscaleFactor", 2)), new Shape(8, 3, 2)), new(LayerSpec.Of(Name, ("upscaleFactor", 3)), new Shape(9, 2, 2))];

    /// <inheritdoc/>
    public override Module Build(LayerSpec s) => new PixelShuffle(s.Int("upscaleFactor"));

    /// <inheritdoc/>
    public override LayerFacts Analyze(LayerSpec s, Shape x)
    {
        int r = s.Int("upscaleFactor");
        if (x.Rank < 4 || x[-3] % (r * r) != 0)
        {
            throw new ModelShapeException($"expects (C, H, W) input with C divisible by {r * r} but its input has shape {PerSample(x)}");
        }

        var d = x.ToArray();
        (d[^3], d[^2], d[^1]) = (d[^3] / (r * r), d[^2] * r, d[^1] * r);
        return new(new Shape(d), 0, 0, 0, RfRule.Reset);
    }

    /// <inheritdoc/>
    public override string Formula(LayerSpec s, Module layer, bool train) => $"y = x rearranged: y[c, h·r + i, w·r + j] = x[c·r² + i·r + j, h, w], r = {s.Int("upscaleFactor")}";

    /// <inheritdoc/>
    protected override LayerSpec Describe(PixelShuffle m) => SpecOf(("upscaleFactor", m.UpscaleFactor));
}

/// <summary><c>nn.PixelUnshuffle</c>.</summary>
public sealed class PixelUnshuffleDescriptor() : LayerDescriptor<PixelUnshuffle>([new("downscaleFactor", ArgKind.Int, null, true)])
{
    /// <inheritdoc/>
    public override IReadOnlyList<LayerExample> Examples =>
        [new(LayerSpec.Of(Name, ("downscaleFactor", 2)), new Shape(3, 4, 6)), new(LayerSpec.Of(Name, ("downscaleFactor", 3)), new Shape(1, 6, 3))];

    /// <inheritdoc/>
    public override Module Build(LayerSpec s) => new PixelUnshuffle(s.Int("downscaleFactor"));

    /// <inheritdoc/>
    public override LayerFacts Analyze(LayerSpec s, Shape x)
    {
        int r = s.Int("downscaleFactor");
        if (x.Rank < 4 || x[-2] % r != 0 || x[-1] % r != 0)
        {
            throw new ModelShapeException($"expects (C, H, W) input with H and W divisible by {r} but its input has shape {PerSample(x)}");
        }

        var d = x.ToArray();
        (d[^3], d[^2], d[^1]) = (d[^3] * r * r, d[^2] / r, d[^1] / r);
        return new(new Shape(d), 0, 0, 0, RfRule.Reset);
    }

    /// <inheritdoc/>
    public override string Formula(LayerSpec s, Module layer, bool train) => $"y = x rearranged: y[c·r² + i·r + j, h, w] = x[c, h·r + i, w·r + j], r = {s.Int("downscaleFactor")}";

    /// <inheritdoc/>
    protected override LayerSpec Describe(PixelUnshuffle m) => SpecOf(("downscaleFactor", m.DownscaleFactor));
}
