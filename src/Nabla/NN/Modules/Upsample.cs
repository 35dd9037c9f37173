namespace Nabla.NN;

/// <summary>
/// Resizes (N, C, L) or (N, C, H, W) inputs by nearest-neighbour or (bi)linear interpolation (PyTorch's
/// <c>nn.Upsample</c>); see <see cref="F.Interpolate"/> for the formulas. Give exactly one of size and scale factor.
/// </summary>
public sealed class Upsample : Module
{
    /// <summary>Creates the layer.</summary>
    /// <param name="size">Output spatial size (one value per spatial dimension, or one for all), or null.</param>
    /// <param name="scaleFactor">Multiplier per spatial dimension (or one for all), or null.</param>
    /// <param name="mode">"nearest" (default), "linear" (3-D input) or "bilinear" (4-D input).</param>
    /// <param name="alignCorners">For the linear modes: align the corner pixels' centres; null (= false) for "nearest".</param>
    public Upsample(int[]? size = null, double[]? scaleFactor = null, string mode = "nearest", bool? alignCorners = null)
    {
        if ((size is null) == (scaleFactor is null))
        {
            throw new ArgumentException("Upsample: give exactly one of size and scaleFactor");
        }

        (Size, ScaleFactor, Mode, AlignCorners) = (size, scaleFactor, mode, alignCorners);
    }

    /// <summary>Creates the layer with one scale factor for every spatial dimension.</summary>
    public Upsample(double scaleFactor, string mode = "nearest", bool? alignCorners = null)
        : this(null, [scaleFactor], mode, alignCorners)
    {
    }

    /// <summary>The output size, or null.</summary>
    public int[]? Size { get; }

    /// <summary>The scale factors, or null.</summary>
    public double[]? ScaleFactor { get; }

    /// <summary>"nearest", "linear" or "bilinear".</summary>
    public string Mode { get; }

    /// <summary>Whether corner pixels are aligned (linear modes), or null.</summary>
    public bool? AlignCorners { get; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => F.Interpolate(input, Size, ScaleFactor, Mode, AlignCorners);

    /// <inheritdoc/>
    public override Shape OutputShape(Shape input)
    {
        if (input.Rank is not (3 or 4))
        {
            throw new ArgumentException($"{TypeName}: expected input (N, C, L) or (N, C, H, W), got {input}");
        }

        var dims = input.ToArray();
        for (int a = 0; a < input.Rank - 2; a++)
        {
            dims[2 + a] = Size is not null ? Size[Size.Length == 1 ? 0 : a]
                : (int)Math.Floor(dims[2 + a] * ScaleFactor![ScaleFactor.Length == 1 ? 0 : a]);
        }

        return new Shape(dims);
    }

    /// <inheritdoc/>
    public override string ExtraRepr() =>
        (Size is not null ? $"size=({string.Join(", ", Size)})" : $"scaleFactor=({string.Join(", ", ScaleFactor!)})") +
        $", mode='{Mode}'" + (AlignCorners is bool b ? $", alignCorners={(b ? "True" : "False")}" : string.Empty);
}
