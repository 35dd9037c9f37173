namespace Nabla.NN;

public static partial class F
{
    /// <summary>Resizes an input by nearest-neighbour or (bi)linear interpolation (<c>torch.nn.functional.interpolate</c>).</summary>
    /// <remarks>
    /// <para>Input: (N, C, L) for mode "nearest" or "linear", (N, C, H, W) for "nearest" or "bilinear". Output: (N, C, oL) or
    /// (N, C, oH, oW), the size given by <paramref name="size"/> or floor(input size · <paramref name="scaleFactor"/>).</para>
    /// <para>Both modes are separable linear maps, y = A_H · x · A_Wᵀ, applied as two matrix products (so the result is
    /// differentiable to any order). With scale = in / out (or 1 / scaleFactor when that was given):
    /// nearest reads source floor(dst · scale); linear reads src = (dst + 0.5)·scale − 0.5 (clamped at 0), or
    /// src = dst·(in − 1)/(out − 1) with <paramref name="alignCorners"/>, and mixes floor(src) and the next index with
    /// weights 1 − λ and λ, λ = src − floor(src) (PyTorch's <c>area_pixel_compute_source_index</c>).</para>
    /// </remarks>
    /// <param name="input">Input (N, C, L) or (N, C, H, W).</param>
    /// <param name="size">Output spatial size (one value per spatial dimension, or one for all); or null to use <paramref name="scaleFactor"/>.</param>
    /// <param name="scaleFactor">Multiplier per spatial dimension (or one for all); used when <paramref name="size"/> is null.</param>
    /// <param name="mode">"nearest" (default), "linear" (3-D input) or "bilinear" (4-D input).</param>
    /// <param name="alignCorners">For the linear modes: align the corner pixels' centres (default false); must be null for "nearest".</param>
    public static Tensor Interpolate(Tensor input, int[]? size = null, double[]? scaleFactor = null, string mode = "nearest", bool? alignCorners = null)
    {
        int spatial = input.Rank - 2;
        if (spatial is not (1 or 2))
        {
            throw new ArgumentException($"interpolate: expected input (N, C, L) or (N, C, H, W), got shape {input.Shape}", nameof(input));
        }

        bool linear = mode switch
        {
            "nearest" => false,
            "linear" when spatial == 1 => true,
            "bilinear" when spatial == 2 => true,
            _ => throw new ArgumentException($"interpolate: mode \"{mode}\" is not supported for a {input.Rank}-D input (use \"nearest\", \"linear\" for 3-D, \"bilinear\" for 4-D)", nameof(mode)),
        };
        if (!linear && alignCorners is not null)
        {
            throw new ArgumentException("interpolate: alignCorners can only be set with the linear interpolating modes", nameof(alignCorners));
        }

        if ((size is null) == (scaleFactor is null))
        {
            throw new ArgumentException("interpolate: give exactly one of size and scaleFactor");
        }

        var y = input;
        for (int a = 0; a < spatial; a++)
        {
            int dim = 2 + a, inSize = input.Shape[dim];
            double? sf = scaleFactor is null ? null : scaleFactor[scaleFactor.Length == 1 ? 0 : a];
            int outSize = size is not null ? size[size.Length == 1 ? 0 : a] : (int)Math.Floor(inSize * sf!.Value);
            if (outSize < 1 || (size?.Length ?? scaleFactor!.Length) is not 1 && (size?.Length ?? scaleFactor!.Length) != spatial)
            {
                throw new ArgumentException($"interpolate: invalid output size {outSize} for input {input.Shape}, or the wrong number of sizes/scale factors");
            }

            double scale = sf is { } f ? 1.0 / f : (double)inSize / outSize;
            var matrix = InterpolationMatrix(inSize, outSize, scale, linear, alignCorners ?? false, input.DType);
            // Apply along `dim`: move it last, multiply by Aᵀ (in × out), move it back.
            y = dim == input.Rank - 1
                ? y.MatMul(matrix.T)
                : y.Transpose(dim, -1).MatMul(matrix.T).Transpose(dim, -1);
        }

        return y;
    }

    /// <summary>Resizes an input (<c>torch.nn.functional.upsample</c>, the older name of <see cref="Interpolate"/>).</summary>
    /// <remarks>Same arguments, shapes and formulas as <see cref="Interpolate"/>.</remarks>
    /// <param name="input">Input (N, C, L) or (N, C, H, W).</param>
    /// <param name="size">Output spatial size; or null to use <paramref name="scaleFactor"/>.</param>
    /// <param name="scaleFactor">Multiplier per spatial dimension (or one for all).</param>
    /// <param name="mode">"nearest" (default), "linear" or "bilinear".</param>
    /// <param name="alignCorners">For the linear modes: align the corner pixels' centres.</param>
    public static Tensor Upsample(Tensor input, int[]? size = null, double[]? scaleFactor = null, string mode = "nearest", bool? alignCorners = null) =>
        Interpolate(input, size, scaleFactor, mode, alignCorners);

    // A[out, in]: row o holds the weights with which output o reads the input.
    private static Tensor InterpolationMatrix(int inSize, int outSize, double scale, bool linear, bool alignCorners, DType dtype)
    {
        var a = new double[outSize, inSize];
        for (int o = 0; o < outSize; o++)
        {
            if (!linear)
            {
                // PyTorch's nearest_idx: exact for equal sizes and 2× upsampling, else floor(o · scale) in float.
                int src = outSize == inSize ? o : outSize == 2 * inSize ? o >> 1 : Math.Min((int)MathF.Floor(o * (float)scale), inSize - 1);
                a[o, src] = 1;
                continue;
            }

            double s = alignCorners
                ? (outSize > 1 ? (double)(inSize - 1) / (outSize - 1) : 0) * o
                : Math.Max((scale * (o + 0.5)) - 0.5, 0);
            int i0 = Math.Min((int)s, inSize - 1);
            int i1 = i0 + (i0 < inSize - 1 ? 1 : 0);
            double lambda = Math.Min(s - i0, 1);
            a[o, i0] += 1 - lambda;
            a[o, i1] += lambda;
        }

        var m = Tensor.FromArray(a);
        return dtype == DType.Float64 ? m : m.To(dtype);
    }
}
