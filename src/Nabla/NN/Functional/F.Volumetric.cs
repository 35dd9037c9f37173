using Nabla.Ops;
using Nabla.Ops.Kernels;

namespace Nabla.NN;

public static partial class F
{
    /// <summary>3-D convolution (cross-correlation) over volumes (<c>torch.nn.functional.conv3d</c>).</summary>
    /// <remarks>
    /// <para>y[n, o, i, j, l] = b[o] + Σ_{c, kd, kh, kw} w[o, c, kd, kh, kw] · x[n, g·C/G + c, i·sD − pD + kd·dD, j·sH − pH + kh·dH,
    /// l·sW − pW + kw·dW], where g is the group of output channel o and positions in the padding read zero.</para>
    /// <para>Input: (N, C, D, H, W) or unbatched (C, D, H, W). Weight: (O, C/groups, kD, kH, kW). Bias: (O). Output:
    /// (N, O, D_out, H_out, W_out) with D_out = floor((D + 2·padding − dilation·(kD − 1) − 1) / stride) + 1, and likewise for
    /// H and W.</para>
    /// <para>Computed by vol2col and GEMM, one volume at a time; the backward is two more primitive ops (the input and weight
    /// adjoints), so gradients of gradients work.</para>
    /// </remarks>
    /// <param name="input">Input (N, C, D, H, W), or (C, D, H, W).</param>
    /// <param name="weight">Filters (O, C/groups, kD, kH, kW).</param>
    /// <param name="bias">Optional bias (O).</param>
    /// <param name="stride">Stride of the window along every axis (default 1).</param>
    /// <param name="padding">Zero padding on each side of every axis (default 0).</param>
    /// <param name="dilation">Spacing between kernel elements (default 1).</param>
    /// <param name="groups">Number of blocked connections from input to output channels; C and O must be divisible by it.</param>
    /// <exception cref="ArgumentException">Wrong rank, channel count, bias shape, or an input smaller than the dilated kernel.</exception>
    /// <example><code>
    /// var y = F.Conv3d(Tensor.Randn(new Shape(1, 2, 5, 6, 6)), Tensor.Randn(new Shape(4, 2, 3, 3, 3)), padding: 1);   // (1, 4, 5, 6, 6)
    /// </code></example>
    public static Tensor Conv3d(Tensor input, Tensor weight, Tensor? bias = null, int stride = 1, int padding = 0, int dilation = 1, int groups = 1) =>
        Conv3d(input, weight, bias, (stride, stride, stride), (padding, padding, padding), (dilation, dilation, dilation), groups);

    /// <inheritdoc cref="Conv3d(Tensor, Tensor, Tensor?, int, int, int, int)"/>
    /// <param name="input">Input (N, C, D, H, W), or (C, D, H, W).</param>
    /// <param name="weight">Filters (O, C/groups, kD, kH, kW).</param>
    /// <param name="bias">Optional bias (O).</param>
    /// <param name="stride">Stride (depth, height, width).</param>
    /// <param name="padding">Zero padding (depth, height, width), on both sides.</param>
    /// <param name="dilation">Dilation (depth, height, width); null means (1, 1, 1).</param>
    /// <param name="groups">Number of blocked connections from input to output channels.</param>
    public static Tensor Conv3d(Tensor input, Tensor weight, Tensor? bias, (int D, int H, int W) stride, (int D, int H, int W) padding,
        (int D, int H, int W)? dilation = null, int groups = 1)
    {
        RequireRank("conv3d", weight, 5, "weight", "(O, C/groups, kD, kH, kW)");
        var g = new Conv3dGeometry((weight.Shape[2], weight.Shape[3], weight.Shape[4]), stride, padding, dilation ?? (1, 1, 1), groups);
        return Unbatched(input, 4, "conv3d", "(N, C, D, H, W) or (C, D, H, W)", x => new Ops.Conv3d(g).Apply(x, weight, bias));
    }

    /// <summary>3-D convolution with padding given as <c>"valid"</c> (none) or <c>"same"</c> (output size = input size).</summary>
    /// <remarks>
    /// "same" pads a total of dilation·(k − 1) per axis, the front/top/left side getting half (rounded down) and the other
    /// side the rest, exactly as PyTorch; it requires stride 1. Input: (N, C, D, H, W) or (C, D, H, W).
    /// </remarks>
    /// <param name="input">Input (N, C, D, H, W), or (C, D, H, W).</param>
    /// <param name="weight">Filters (O, C/groups, kD, kH, kW).</param>
    /// <param name="bias">Optional bias (O).</param>
    /// <param name="padding">"valid" or "same".</param>
    /// <param name="stride">Stride (must be 1 with "same").</param>
    /// <param name="dilation">Dilation (depth, height, width); null means (1, 1, 1).</param>
    /// <param name="groups">Number of blocked connections from input to output channels.</param>
    public static Tensor Conv3d(Tensor input, Tensor weight, Tensor? bias, string padding, int stride = 1, (int D, int H, int W)? dilation = null, int groups = 1)
    {
        RequireRank("conv3d", weight, 5, "weight", "(O, C/groups, kD, kH, kW)");
        var d = dilation ?? (1, 1, 1);
        if (!SamePadding("conv3d", padding, stride))
        {
            return Conv3d(input, weight, bias, (stride, stride, stride), (0, 0, 0), d, groups);
        }

        int td = d.D * (weight.Shape[2] - 1), th = d.H * (weight.Shape[3] - 1), tw = d.W * (weight.Shape[4] - 1);
        var lo = (td / 2, th / 2, tw / 2);
        if (td % 2 == 0 && th % 2 == 0 && tw % 2 == 0)
        {
            return Conv3d(input, weight, bias, (1, 1, 1), lo, d, groups);
        }

        // Odd total padding: the extra plane/row/column goes on the back/bottom/right (PyTorch's _conv_forward with "same").
        var padded = input.Pad([0, tw % 2, 0, th % 2, 0, td % 2]);
        return Conv3d(padded, weight, bias, (1, 1, 1), lo, d, groups);
    }

    /// <summary>3-D max pooling (<c>torch.nn.functional.max_pool3d</c>).</summary>
    /// <remarks>
    /// <para>y[n, c, i, j, l] = max over the kD×kH×kW window at (i·sD − pD, j·sH − pH, l·sW − pW) with dilation d, the padding
    /// counting as −∞ (NaN propagates; among equal maxima the first in (d, h, w) order wins).</para>
    /// <para>Input: (N, C, D, H, W) or (C, D, H, W). Output: (N, C, D_out, H_out, W_out) with
    /// D_out = floor((D + 2·padding − dilation·(kD − 1) − 1) / stride) + 1 (ceil with <paramref name="ceilMode"/>, where the last
    /// window must still start inside the input or the left padding). Padding must be at most half the kernel.</para>
    /// </remarks>
    /// <param name="input">Input (N, C, D, H, W), or (C, D, H, W).</param>
    /// <param name="kernelSize">Window size.</param>
    /// <param name="stride">Window stride; null (the default) means <paramref name="kernelSize"/>.</param>
    /// <param name="padding">Implicit −∞ padding on both sides (default 0).</param>
    /// <param name="dilation">Spacing between window elements (default 1).</param>
    /// <param name="ceilMode">Use ceil instead of floor for the output size (default false).</param>
    public static Tensor MaxPool3d(Tensor input, int kernelSize, int? stride = null, int padding = 0, int dilation = 1, bool ceilMode = false) =>
        MaxPool3dWithIndices(input, kernelSize, stride, padding, dilation, ceilMode).Output;

    /// <inheritdoc cref="MaxPool3d(Tensor, int, int?, int, int, bool)"/>
    /// <param name="input">Input (N, C, D, H, W), or (C, D, H, W).</param>
    /// <param name="kernelSize">Window size (depth, height, width).</param>
    /// <param name="stride">Stride (depth, height, width); null means <paramref name="kernelSize"/>.</param>
    /// <param name="padding">Padding (depth, height, width); null means none.</param>
    /// <param name="dilation">Dilation (depth, height, width); null means (1, 1, 1).</param>
    /// <param name="ceilMode">Use ceil instead of floor for the output size.</param>
    public static Tensor MaxPool3d(Tensor input, (int D, int H, int W) kernelSize, (int D, int H, int W)? stride = null,
        (int D, int H, int W)? padding = null, (int D, int H, int W)? dilation = null, bool ceilMode = false) =>
        MaxPool3dWithIndices(input, kernelSize, stride, padding, dilation, ceilMode).Output;

    /// <summary>3-D max pooling that also returns the Int64 indices of the maxima (<c>max_pool3d(..., return_indices=True)</c>).</summary>
    /// <remarks>Indices are positions (d·H + h)·W + w within each input volume, as PyTorch's. Shapes as <see cref="MaxPool3d(Tensor, int, int?, int, int, bool)"/>.</remarks>
    /// <param name="input">Input (N, C, D, H, W), or (C, D, H, W).</param>
    /// <param name="kernelSize">Window size.</param>
    /// <param name="stride">Window stride; null means <paramref name="kernelSize"/>.</param>
    /// <param name="padding">Implicit −∞ padding on both sides.</param>
    /// <param name="dilation">Spacing between window elements.</param>
    /// <param name="ceilMode">Use ceil instead of floor for the output size.</param>
    public static (Tensor Output, Tensor Indices) MaxPool3dWithIndices(Tensor input, int kernelSize, int? stride = null, int padding = 0,
        int dilation = 1, bool ceilMode = false)
    {
        int s = stride ?? kernelSize;
        return MaxPool3dWithIndices(input, (kernelSize, kernelSize, kernelSize), (s, s, s), (padding, padding, padding), (dilation, dilation, dilation), ceilMode);
    }

    /// <inheritdoc cref="MaxPool3dWithIndices(Tensor, int, int?, int, int, bool)"/>
    /// <param name="input">Input (N, C, D, H, W), or (C, D, H, W).</param>
    /// <param name="kernelSize">Window size (depth, height, width).</param>
    /// <param name="stride">Stride (depth, height, width); null means <paramref name="kernelSize"/>.</param>
    /// <param name="padding">Padding (depth, height, width); null means none.</param>
    /// <param name="dilation">Dilation (depth, height, width); null means (1, 1, 1).</param>
    /// <param name="ceilMode">Use ceil instead of floor for the output size.</param>
    public static (Tensor Output, Tensor Indices) MaxPool3dWithIndices(Tensor input, (int D, int H, int W) kernelSize, (int D, int H, int W)? stride = null,
        (int D, int H, int W)? padding = null, (int D, int H, int W)? dilation = null, bool ceilMode = false)
    {
        var (k, s, p, d) = (kernelSize, stride ?? kernelSize, padding ?? (0, 0, 0), dilation ?? (1, 1, 1));
        CheckPool3d("max_pool3d", k, s, p, d);
        Tensor? indices = null;
        var y = Unbatched(input, 4, "max_pool3d", "(N, C, D, H, W) or (C, D, H, W)", x =>
        {
            var o = Pool3dOut("max_pool3d", x.Shape, k, s, p, d, ceilMode);
            var axes = new PoolAxes3d(PoolAxis.Max(x.Shape[2], k.D, s.D, p.D, d.D, o.D), PoolAxis.Max(x.Shape[3], k.H, s.H, p.H, d.H, o.H),
                PoolAxis.Max(x.Shape[4], k.W, s.W, p.W, d.W, o.W));
            var (v, i) = new Ops.MaxPool3d(new PoolPlan3d(axes, $"kernel={k}, stride={s}, padding={p}, dilation={d}, ceil_mode={ceilMode}")).Apply(x);
            indices = i;
            return v;
        });
        return (y, input.Rank == 4 ? indices!.Squeeze(0) : indices!);
    }

    /// <summary>3-D average pooling (<c>torch.nn.functional.avg_pool3d</c>).</summary>
    /// <remarks>
    /// <para>y[n, c, i, j, l] = Σ of the kD×kH×kW window at (i·sD − pD, j·sH − pH, l·sW − pW) / divisor, the zero padding
    /// contributing nothing to the sum. The divisor is <paramref name="divisorOverride"/> if given, else the window size counting
    /// padding (<paramref name="countIncludePad"/>; windows that stick out past the padding in ceil mode are cut) or the number
    /// of input elements in the window.</para>
    /// <para>Input: (N, C, D, H, W) or (C, D, H, W). Output: (N, C, D_out, H_out, W_out),
    /// D_out = floor-or-ceil((D + 2·padding − kD) / stride) + 1.</para>
    /// </remarks>
    /// <param name="input">Input (N, C, D, H, W), or (C, D, H, W).</param>
    /// <param name="kernelSize">Window size.</param>
    /// <param name="stride">Window stride; null (the default) means <paramref name="kernelSize"/>.</param>
    /// <param name="padding">Zero padding on both sides (default 0), at most half the kernel.</param>
    /// <param name="ceilMode">Use ceil instead of floor for the output size (default false).</param>
    /// <param name="countIncludePad">Count padding positions in the divisor (default true).</param>
    /// <param name="divisorOverride">If given, the divisor of every window.</param>
    public static Tensor AvgPool3d(Tensor input, int kernelSize, int? stride = null, int padding = 0, bool ceilMode = false,
        bool countIncludePad = true, int? divisorOverride = null)
    {
        int s = stride ?? kernelSize;
        return AvgPool3d(input, (kernelSize, kernelSize, kernelSize), (s, s, s), (padding, padding, padding), ceilMode, countIncludePad, divisorOverride);
    }

    /// <inheritdoc cref="AvgPool3d(Tensor, int, int?, int, bool, bool, int?)"/>
    /// <param name="input">Input (N, C, D, H, W), or (C, D, H, W).</param>
    /// <param name="kernelSize">Window size (depth, height, width).</param>
    /// <param name="stride">Stride (depth, height, width); null means <paramref name="kernelSize"/>.</param>
    /// <param name="padding">Padding (depth, height, width); null means none.</param>
    /// <param name="ceilMode">Use ceil instead of floor for the output size.</param>
    /// <param name="countIncludePad">Count padding positions in the divisor.</param>
    /// <param name="divisorOverride">If given, the divisor of every window.</param>
    public static Tensor AvgPool3d(Tensor input, (int D, int H, int W) kernelSize, (int D, int H, int W)? stride = null,
        (int D, int H, int W)? padding = null, bool ceilMode = false, bool countIncludePad = true, int? divisorOverride = null)
    {
        var (k, s, p) = (kernelSize, stride ?? kernelSize, padding ?? (0, 0, 0));
        CheckPool3d("avg_pool3d", k, s, p, (1, 1, 1));
        if (divisorOverride is <= 0)
        {
            throw new ArgumentException($"avg_pool3d: divisorOverride must be positive, got {divisorOverride}", nameof(divisorOverride));
        }

        return Unbatched(input, 4, "avg_pool3d", "(N, C, D, H, W) or (C, D, H, W)", x =>
        {
            var o = Pool3dOut("avg_pool3d", x.Shape, k, s, p, (1, 1, 1), ceilMode);
            var axes = new PoolAxes3d(PoolAxis.Avg(x.Shape[2], k.D, s.D, p.D, o.D), PoolAxis.Avg(x.Shape[3], k.H, s.H, p.H, o.H),
                PoolAxis.Avg(x.Shape[4], k.W, s.W, p.W, o.W));
            var plan = new PoolPlan3d(axes, $"kernel={k}, stride={s}, padding={p}, ceil_mode={ceilMode}, count_include_pad={countIncludePad}",
                countIncludePad, divisorOverride ?? 0);
            return new Ops.AvgPool3d(plan).Apply(x);
        });
    }

    /// <summary>3-D adaptive average pooling (<c>torch.nn.functional.adaptive_avg_pool3d</c>).</summary>
    /// <remarks>
    /// Output cell (i, j, l) averages planes [floor(i·D / oD), ceil((i + 1)·D / oD)) and the matching rows and columns, so
    /// windows may overlap and differ in size. Input: (N, C, D, H, W) or (C, D, H, W). Output: (N, C, oD, oH, oW).
    /// </remarks>
    /// <param name="input">Input (N, C, D, H, W), or (C, D, H, W).</param>
    /// <param name="outputSize">Output size (oD, oH, oW).</param>
    public static Tensor AdaptiveAvgPool3d(Tensor input, (int D, int H, int W) outputSize)
    {
        if (outputSize.D < 1 || outputSize.H < 1 || outputSize.W < 1)
        {
            throw new ArgumentException($"adaptive_avg_pool3d: outputSize must be positive, got {outputSize}", nameof(outputSize));
        }

        return Unbatched(input, 4, "adaptive_avg_pool3d", "(N, C, D, H, W) or (C, D, H, W)", x =>
        {
            var axes = new PoolAxes3d(PoolAxis.Adaptive(x.Shape[2], outputSize.D), PoolAxis.Adaptive(x.Shape[3], outputSize.H),
                PoolAxis.Adaptive(x.Shape[4], outputSize.W));
            return new Ops.AvgPool3d(new PoolPlan3d(axes, $"adaptive, output_size={outputSize}", CountIncludePad: false)).Apply(x);
        });
    }

    /// <inheritdoc cref="AdaptiveAvgPool3d(Tensor, ValueTuple{int, int, int})"/>
    /// <param name="input">Input (N, C, D, H, W), or (C, D, H, W).</param>
    /// <param name="outputSize">Output size, the same along every axis.</param>
    public static Tensor AdaptiveAvgPool3d(Tensor input, int outputSize) => AdaptiveAvgPool3d(input, (outputSize, outputSize, outputSize));

    private static void CheckPool3d(string op, (int D, int H, int W) k, (int D, int H, int W) s, (int D, int H, int W) p, (int D, int H, int W) d)
    {
        if (k.D < 1 || k.H < 1 || k.W < 1 || s.D < 1 || s.H < 1 || s.W < 1 || d.D < 1 || d.H < 1 || d.W < 1 || p.D < 0 || p.H < 0 || p.W < 0)
        {
            throw new ArgumentException($"{op}: kernel {k}, stride {s} and dilation {d} must be positive and padding {p} non-negative");
        }

        if (p.D > k.D / 2 || p.H > k.H / 2 || p.W > k.W / 2)
        {
            throw new ArgumentException($"{op}: padding {p} should be at most half of the kernel size {k}");
        }
    }

    private static (int D, int H, int W) Pool3dOut(string op, Shape x, (int D, int H, int W) k, (int D, int H, int W) s,
        (int D, int H, int W) p, (int D, int H, int W) d, bool ceilMode) =>
        (PoolOut(op, x[2], k.D, s.D, p.D, d.D, ceilMode, x), PoolOut(op, x[3], k.H, s.H, p.H, d.H, ceilMode, x), PoolOut(op, x[4], k.W, s.W, p.W, d.W, ceilMode, x));
}
