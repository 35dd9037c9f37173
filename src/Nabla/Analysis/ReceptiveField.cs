namespace Nabla.Analysis;

/// <summary>
/// The receptive field of one output unit along one axis, in input pixels: its <see cref="Size"/>, the
/// <see cref="Jump"/> between neighbouring units (the effective stride) and the <see cref="Start"/>, the centre
/// of the first unit's field (pixel i spans [i, i + 1), so the input itself has size 1, jump 1, start 0.5).
/// </summary>
/// <remarks>
/// The standard recurrence, for a layer with kernel k, stride s, padding p, dilation d:
/// <c>size' = size + (k − 1)·d·jump</c>, <c>jump' = jump·s</c>, <c>start' = start + ((k − 1)·d/2 − p)·jump</c>.
/// Sizes may exceed the input (padding pixels count), as in the usual tables (AlexNet 195, VGG-16 212).
/// </remarks>
public readonly record struct RfAxis(double Size, double Jump, double Start)
{
    /// <summary>The field of the input itself.</summary>
    public static RfAxis Input => new(1, 1, 0.5);

    /// <summary>The field after a layer with the given window.</summary>
    public RfAxis Through(int kernel, int stride, int padding, int dilation) =>
        new(Size + ((kernel - 1) * dilation * Jump), Jump * stride, Start + ((((kernel - 1) * dilation / 2.0) - padding) * Jump));

    /// <summary>
    /// The field after a transposed convolution (stride s spreads each input over s outputs): each output sees
    /// ⌈k·d/s⌉ neighbouring inputs at most, so size' = size + (⌈((k − 1)·d + 1)/s⌉ − 1)·jump and jump' = jump/s.
    /// </summary>
    public RfAxis ThroughTransposed(int kernel, int stride, int padding, int dilation)
    {
        int span = ((kernel - 1) * dilation) + 1;
        int inputsSeen = (span + stride - 1) / stride;
        return new(Size + ((inputsSeen - 1) * Jump), Jump / stride, Start + ((padding - ((kernel - 1) * dilation / 2.0)) / stride * Jump));
    }
}

/// <summary>A receptive field over one, two or three spatial axes.</summary>
/// <param name="Height">The vertical axis (for 1-D layers: size 1, jump 1).</param>
/// <param name="Width">The horizontal (or only) axis.</param>
/// <param name="SpatialDims">1 for sequences (Conv1d, pools over L), 2 for images, 3 for volumes (Conv3d, 3-D pools).</param>
/// <param name="Depth">The depth axis of a volume (<paramref name="SpatialDims"/> 3); else null.</param>
public sealed record ReceptiveField(RfAxis Height, RfAxis Width, int SpatialDims, RfAxis? Depth = null)
{
    /// <summary>The field of the input itself.</summary>
    public static ReceptiveField Input(int spatialDims) => new(RfAxis.Input, RfAxis.Input, spatialDims, spatialDims == 3 ? RfAxis.Input : null);

    /// <summary>The size, per side (the larger axis when they differ).</summary>
    public double Size => SpatialDims == 1 ? Width.Size : Math.Max(Depth?.Size ?? 0, Math.Max(Height.Size, Width.Size));

    /// <summary>The jump (effective stride), the larger axis when they differ.</summary>
    public double Jump => SpatialDims == 1 ? Width.Jump : Math.Max(Depth?.Jump ?? 0, Math.Max(Height.Jump, Width.Jump));

    /// <summary>The start offset along the width axis (equal to the height's for square layers).</summary>
    public double Start => Width.Start;

    /// <summary>"size/jump/start", with "HxW" (or "DxHxW") sizes when the axes differ.</summary>
    public override string ToString()
    {
        static string N(double v) => v.ToString("0.##", System.Globalization.CultureInfo.InvariantCulture);
        string size = SpatialDims switch
        {
            3 when Depth is { } d && (d.Size != Height.Size || Height.Size != Width.Size) => $"{N(d.Size)}x{N(Height.Size)}x{N(Width.Size)}",
            2 when Height.Size != Width.Size => $"{N(Height.Size)}x{N(Width.Size)}",
            _ => N(Size),
        };
        return $"{size}/{N(Jump)}/{N(Start)}";
    }
}
