using Nabla.Ops;
using Nabla.Ops.Kernels;

namespace Nabla.NN;

public static partial class F
{
    /// <summary>2-D max pooling (<c>torch.nn.functional.max_pool2d</c>).</summary>
    /// <remarks>
    /// <para>y[n, c, i, j] = max over ki &lt; kH, kj &lt; kW of x[n, c, i·sH − pH + ki·dH, j·sW − pW + kj·dW], the padding
    /// counting as −∞ (NaN propagates; among equal maxima the first in row-major order wins).</para>
    /// <para>Input: (N, C, H, W) or (C, H, W). Output: (N, C, H_out, W_out) with
    /// H_out = floor((H + 2·padding − dilation·(kH − 1) − 1) / stride) + 1 (ceil with <paramref name="ceilMode"/>, where the
    /// last window must still start inside the input or the left padding). Padding must be at most half the kernel.</para>
    /// </remarks>
    /// <param name="input">Input (N, C, H, W), or (C, H, W).</param>
    /// <param name="kernelSize">Window size.</param>
    /// <param name="stride">Window stride; null (the default) means <paramref name="kernelSize"/>.</param>
    /// <param name="padding">Implicit −∞ padding on both sides (default 0).</param>
    /// <param name="dilation">Spacing between window elements (default 1).</param>
    /// <param name="ceilMode">Use ceil instead of floor for the output size (default false).</param>
    /// <example><code>
    /// var y = F.MaxPool2d(Tensor.Randn(new Shape(1, 1, 4, 4)), 2);   // (1, 1, 2, 2)
    /// </code></example>
    public static Tensor MaxPool2d(Tensor input, int kernelSize, int? stride = null, int padding = 0, int dilation = 1, bool ceilMode = false) =>
        MaxPool2d(input, (kernelSize, kernelSize), (stride ?? kernelSize, stride ?? kernelSize), (padding, padding), (dilation, dilation), ceilMode);

    /// <inheritdoc cref="MaxPool2d(Tensor, int, int?, int, int, bool)"/>
    /// <param name="input">Input (N, C, H, W), or (C, H, W).</param>
    /// <param name="kernelSize">Window size (height, width).</param>
    /// <param name="stride">Stride (height, width); null means <paramref name="kernelSize"/>.</param>
    /// <param name="padding">Padding (height, width); null means (0, 0).</param>
    /// <param name="dilation">Dilation (height, width); null means (1, 1).</param>
    /// <param name="ceilMode">Use ceil instead of floor for the output size.</param>
    public static Tensor MaxPool2d(Tensor input, (int H, int W) kernelSize, (int H, int W)? stride = null, (int H, int W)? padding = null,
        (int H, int W)? dilation = null, bool ceilMode = false) =>
        MaxPool2dCore(input, kernelSize, stride, padding, dilation, ceilMode, withIndices: false).Output;

    /// <summary>
    /// 2-D max pooling that also returns the indices of the maxima (<c>max_pool2d(..., return_indices=True)</c>, PyTorch's
    /// <c>max_pool2d_with_indices</c>).
    /// </summary>
    /// <remarks>
    /// Indices are Int64 positions h·W + w within each input plane, the layout <c>MaxUnpool2d</c> expects. Input and output
    /// shapes as <see cref="MaxPool2d(Tensor, int, int?, int, int, bool)"/>.
    /// </remarks>
    /// <param name="input">Input (N, C, H, W), or (C, H, W).</param>
    /// <param name="kernelSize">Window size.</param>
    /// <param name="stride">Window stride; null means <paramref name="kernelSize"/>.</param>
    /// <param name="padding">Implicit −∞ padding on both sides.</param>
    /// <param name="dilation">Spacing between window elements.</param>
    /// <param name="ceilMode">Use ceil instead of floor for the output size.</param>
    public static (Tensor Output, Tensor Indices) MaxPool2dWithIndices(Tensor input, int kernelSize, int? stride = null, int padding = 0,
        int dilation = 1, bool ceilMode = false)
    {
        int s = stride ?? kernelSize;
        return MaxPool2dWithIndices(input, (kernelSize, kernelSize), (s, s), (padding, padding), (dilation, dilation), ceilMode);
    }

    /// <inheritdoc cref="MaxPool2dWithIndices(Tensor, int, int?, int, int, bool)"/>
    /// <param name="input">Input (N, C, H, W), or (C, H, W).</param>
    /// <param name="kernelSize">Window size (height, width).</param>
    /// <param name="stride">Stride (height, width); null means <paramref name="kernelSize"/>.</param>
    /// <param name="padding">Padding (height, width); null means (0, 0).</param>
    /// <param name="dilation">Dilation (height, width); null means (1, 1).</param>
    /// <param name="ceilMode">Use ceil instead of floor for the output size.</param>
    public static (Tensor Output, Tensor Indices) MaxPool2dWithIndices(Tensor input, (int H, int W) kernelSize, (int H, int W)? stride = null,
        (int H, int W)? padding = null, (int H, int W)? dilation = null, bool ceilMode = false)
    {
        var (y, indices) = MaxPool2dCore(input, kernelSize, stride, padding, dilation, ceilMode, withIndices: true);
        return (y, indices!);
    }

    // Max pooling; the indices are computed only when asked for or when a gradient will need them.
    private static (Tensor Output, Tensor? Indices) MaxPool2dCore(Tensor input, (int H, int W) kernelSize, (int H, int W)? stride,
        (int H, int W)? padding, (int H, int W)? dilation, bool ceilMode, bool withIndices)
    {
        var (s, p, d) = (stride ?? kernelSize, padding ?? (0, 0), dilation ?? (1, 1));
        CheckPool("max_pool2d", kernelSize, s, p, d);
        Tensor? indices = null;
        var y = Unbatched(input, 3, "max_pool2d", "(N, C, H, W) or (C, H, W)", x =>
        {
            int oh = PoolOut("max_pool2d", x.Shape[2], kernelSize.H, s.H, p.H, d.H, ceilMode, x.Shape);
            int ow = PoolOut("max_pool2d", x.Shape[3], kernelSize.W, s.W, p.W, d.W, ceilMode, x.Shape);
            var plan = new PoolPlan(PoolAxis.Max(x.Shape[2], kernelSize.H, s.H, p.H, d.H, oh), PoolAxis.Max(x.Shape[3], kernelSize.W, s.W, p.W, d.W, ow),
                $"kernel={kernelSize}, stride={s}, padding={p}, dilation={d}, ceil_mode={ceilMode}");
            var (v, i) = new Ops.MaxPool2d(plan).Apply(x, withIndices);
            indices = i;
            return v;
        });
        return (y, indices is not null && input.Rank == 3 ? indices.Squeeze(0) : indices);
    }

    /// <summary>1-D max pooling (<c>torch.nn.functional.max_pool1d</c>), as 2-D pooling of height 1.</summary>
    /// <remarks>
    /// y[n, c, i] = max over k of x[n, c, i·s − p + k·d]. Input: (N, C, L) or (C, L). Output: (N, C, L_out),
    /// L_out = floor-or-ceil((L + 2·padding − dilation·(kernelSize − 1) − 1) / stride) + 1.
    /// </remarks>
    /// <param name="input">Input (N, C, L), or (C, L).</param>
    /// <param name="kernelSize">Window size.</param>
    /// <param name="stride">Window stride; null means <paramref name="kernelSize"/>.</param>
    /// <param name="padding">Implicit −∞ padding on both sides.</param>
    /// <param name="dilation">Spacing between window elements.</param>
    /// <param name="ceilMode">Use ceil instead of floor for the output size.</param>
    public static Tensor MaxPool1d(Tensor input, int kernelSize, int? stride = null, int padding = 0, int dilation = 1, bool ceilMode = false) =>
        MaxPool1dWithIndices(input, kernelSize, stride, padding, dilation, ceilMode).Output;

    /// <summary>1-D max pooling with the Int64 positions of the maxima along L (<c>max_pool1d_with_indices</c>).</summary>
    /// <remarks>Input: (N, C, L) or (C, L). Output and indices: (N, C, L_out).</remarks>
    /// <param name="input">Input (N, C, L), or (C, L).</param>
    /// <param name="kernelSize">Window size.</param>
    /// <param name="stride">Window stride; null means <paramref name="kernelSize"/>.</param>
    /// <param name="padding">Implicit −∞ padding on both sides.</param>
    /// <param name="dilation">Spacing between window elements.</param>
    /// <param name="ceilMode">Use ceil instead of floor for the output size.</param>
    public static (Tensor Output, Tensor Indices) MaxPool1dWithIndices(Tensor input, int kernelSize, int? stride = null, int padding = 0,
        int dilation = 1, bool ceilMode = false)
    {
        int s = stride ?? kernelSize;
        RequirePoolRank("max_pool1d", input, 2, "(N, C, L) or (C, L)");
        var (y, i) = MaxPool2dWithIndices(input.Unsqueeze(-2), (1, kernelSize), (1, s), (0, padding), (1, dilation), ceilMode);
        return (y.Squeeze(-2), i.Squeeze(-2));
    }

    /// <summary>2-D average pooling (<c>torch.nn.functional.avg_pool2d</c>).</summary>
    /// <remarks>
    /// <para>y[n, c, i, j] = Σ of the window / divisor, where the window is rows [i·sH − pH, i·sH − pH + kH) and columns
    /// likewise, the zero padding contributing nothing to the sum. The divisor is <paramref name="divisorOverride"/> if
    /// given, else the window size counting padding (<paramref name="countIncludePad"/>, windows that stick out past the
    /// padding in ceil mode are cut) or the number of input elements in the window.</para>
    /// <para>Input: (N, C, H, W) or (C, H, W). Output: (N, C, H_out, W_out), H_out = floor-or-ceil((H + 2·padding − kH) / stride) + 1.</para>
    /// </remarks>
    /// <param name="input">Input (N, C, H, W), or (C, H, W).</param>
    /// <param name="kernelSize">Window size.</param>
    /// <param name="stride">Window stride; null (the default) means <paramref name="kernelSize"/>.</param>
    /// <param name="padding">Zero padding on both sides (default 0), at most half the kernel.</param>
    /// <param name="ceilMode">Use ceil instead of floor for the output size (default false).</param>
    /// <param name="countIncludePad">Count padding positions in the divisor (default true).</param>
    /// <param name="divisorOverride">If given, the divisor of every window.</param>
    public static Tensor AvgPool2d(Tensor input, int kernelSize, int? stride = null, int padding = 0, bool ceilMode = false,
        bool countIncludePad = true, int? divisorOverride = null)
    {
        int s = stride ?? kernelSize;
        return AvgPool2d(input, (kernelSize, kernelSize), (s, s), (padding, padding), ceilMode, countIncludePad, divisorOverride);
    }

    /// <inheritdoc cref="AvgPool2d(Tensor, int, int?, int, bool, bool, int?)"/>
    /// <param name="input">Input (N, C, H, W), or (C, H, W).</param>
    /// <param name="kernelSize">Window size (height, width).</param>
    /// <param name="stride">Stride (height, width); null means <paramref name="kernelSize"/>.</param>
    /// <param name="padding">Padding (height, width); null means (0, 0).</param>
    /// <param name="ceilMode">Use ceil instead of floor for the output size.</param>
    /// <param name="countIncludePad">Count padding positions in the divisor.</param>
    /// <param name="divisorOverride">If given, the divisor of every window.</param>
    public static Tensor AvgPool2d(Tensor input, (int H, int W) kernelSize, (int H, int W)? stride = null, (int H, int W)? padding = null,
        bool ceilMode = false, bool countIncludePad = true, int? divisorOverride = null)
    {
        var (s, p) = (stride ?? kernelSize, padding ?? (0, 0));
        CheckPool("avg_pool2d", kernelSize, s, p, (1, 1));
        if (divisorOverride is <= 0)
        {
            throw new ArgumentException($"avg_pool2d: divisorOverride must be positive, got {divisorOverride}", nameof(divisorOverride));
        }

        return Unbatched(input, 3, "avg_pool2d", "(N, C, H, W) or (C, H, W)", x =>
        {
            int oh = PoolOut("avg_pool2d", x.Shape[2], kernelSize.H, s.H, p.H, 1, ceilMode, x.Shape);
            int ow = PoolOut("avg_pool2d", x.Shape[3], kernelSize.W, s.W, p.W, 1, ceilMode, x.Shape);
            var plan = new PoolPlan(PoolAxis.Avg(x.Shape[2], kernelSize.H, s.H, p.H, oh), PoolAxis.Avg(x.Shape[3], kernelSize.W, s.W, p.W, ow),
                $"kernel={kernelSize}, stride={s}, padding={p}, ceil_mode={ceilMode}, count_include_pad={countIncludePad}",
                countIncludePad, divisorOverride ?? 0);
            return new Ops.AvgPool2d(plan).Apply(x);
        });
    }

    /// <summary>1-D average pooling (<c>torch.nn.functional.avg_pool1d</c>), as 2-D pooling of height 1.</summary>
    /// <remarks>Input: (N, C, L) or (C, L). Output: (N, C, L_out), L_out = floor-or-ceil((L + 2·padding − kernelSize) / stride) + 1.</remarks>
    /// <param name="input">Input (N, C, L), or (C, L).</param>
    /// <param name="kernelSize">Window size.</param>
    /// <param name="stride">Window stride; null means <paramref name="kernelSize"/>.</param>
    /// <param name="padding">Zero padding on both sides.</param>
    /// <param name="ceilMode">Use ceil instead of floor for the output size.</param>
    /// <param name="countIncludePad">Count padding positions in the divisor.</param>
    public static Tensor AvgPool1d(Tensor input, int kernelSize, int? stride = null, int padding = 0, bool ceilMode = false, bool countIncludePad = true)
    {
        RequirePoolRank("avg_pool1d", input, 2, "(N, C, L) or (C, L)");
        int s = stride ?? kernelSize;
        return AvgPool2d(input.Unsqueeze(-2), (1, kernelSize), (1, s), (0, padding), ceilMode, countIncludePad).Squeeze(-2);
    }

    /// <summary>2-D adaptive average pooling (<c>torch.nn.functional.adaptive_avg_pool2d</c>).</summary>
    /// <remarks>
    /// Output cell (i, j) averages rows [floor(i·H / oH), ceil((i + 1)·H / oH)) and the matching columns, so windows may
    /// overlap and differ in size. Input: (N, C, H, W) or (C, H, W). Output: (N, C, oH, oW).
    /// </remarks>
    /// <param name="input">Input (N, C, H, W), or (C, H, W).</param>
    /// <param name="outputSize">Output size (oH, oW).</param>
    public static Tensor AdaptiveAvgPool2d(Tensor input, (int H, int W) outputSize)
    {
        CheckAdaptive("adaptive_avg_pool2d", outputSize);
        return Unbatched(input, 3, "adaptive_avg_pool2d", "(N, C, H, W) or (C, H, W)", x =>
            new Ops.AvgPool2d(AdaptivePlan(x, outputSize)).Apply(x));
    }

    /// <inheritdoc cref="AdaptiveAvgPool2d(Tensor, ValueTuple{int, int})"/>
    /// <param name="input">Input (N, C, H, W), or (C, H, W).</param>
    /// <param name="outputSize">Output size, the same for height and width.</param>
    public static Tensor AdaptiveAvgPool2d(Tensor input, int outputSize) => AdaptiveAvgPool2d(input, (outputSize, outputSize));

    /// <summary>1-D adaptive average pooling (<c>torch.nn.functional.adaptive_avg_pool1d</c>).</summary>
    /// <remarks>Output i averages [floor(i·L / oL), ceil((i + 1)·L / oL)). Input: (N, C, L) or (C, L). Output: (N, C, oL).</remarks>
    /// <param name="input">Input (N, C, L), or (C, L).</param>
    /// <param name="outputSize">Output length oL.</param>
    public static Tensor AdaptiveAvgPool1d(Tensor input, int outputSize)
    {
        RequirePoolRank("adaptive_avg_pool1d", input, 2, "(N, C, L) or (C, L)");
        return AdaptiveAvgPool2d(input.Unsqueeze(-2), (1, outputSize)).Squeeze(-2);
    }

    /// <summary>2-D adaptive max pooling (<c>torch.nn.functional.adaptive_max_pool2d</c>).</summary>
    /// <remarks>
    /// Output cell (i, j) is the maximum over rows [floor(i·H / oH), ceil((i + 1)·H / oH)) and the matching columns.
    /// Input: (N, C, H, W) or (C, H, W). Output: (N, C, oH, oW).
    /// </remarks>
    /// <param name="input">Input (N, C, H, W), or (C, H, W).</param>
    /// <param name="outputSize">Output size (oH, oW).</param>
    public static Tensor AdaptiveMaxPool2d(Tensor input, (int H, int W) outputSize) => AdaptiveMaxPool2dCore(input, outputSize, withIndices: false).Output;

    /// <inheritdoc cref="AdaptiveMaxPool2d(Tensor, ValueTuple{int, int})"/>
    /// <param name="input">Input (N, C, H, W), or (C, H, W).</param>
    /// <param name="outputSize">Output size, the same for height and width.</param>
    public static Tensor AdaptiveMaxPool2d(Tensor input, int outputSize) => AdaptiveMaxPool2d(input, (outputSize, outputSize));

    /// <summary>2-D adaptive max pooling that also returns the Int64 positions h·W + w of the maxima (<c>return_indices=True</c>).</summary>
    /// <remarks>Input: (N, C, H, W) or (C, H, W). Output and indices: (N, C, oH, oW).</remarks>
    /// <param name="input">Input (N, C, H, W), or (C, H, W).</param>
    /// <param name="outputSize">Output size (oH, oW).</param>
    public static (Tensor Output, Tensor Indices) AdaptiveMaxPool2dWithIndices(Tensor input, (int H, int W) outputSize)
    {
        var (y, indices) = AdaptiveMaxPool2dCore(input, outputSize, withIndices: true);
        return (y, indices!);
    }

    private static (Tensor Output, Tensor? Indices) AdaptiveMaxPool2dCore(Tensor input, (int H, int W) outputSize, bool withIndices)
    {
        CheckAdaptive("adaptive_max_pool2d", outputSize);
        Tensor? indices = null;
        var y = Unbatched(input, 3, "adaptive_max_pool2d", "(N, C, H, W) or (C, H, W)", x =>
        {
            var (v, i) = new Ops.MaxPool2d(AdaptivePlan(x, outputSize)).Apply(x, withIndices);
            indices = i;
            return v;
        });
        return (y, indices is not null && input.Rank == 3 ? indices.Squeeze(0) : indices);
    }

    private static PoolPlan AdaptivePlan(Tensor x, (int H, int W) outputSize) =>
        new(PoolAxis.Adaptive(x.Shape[2], outputSize.H), PoolAxis.Adaptive(x.Shape[3], outputSize.W),
            $"adaptive, output_size={outputSize}", CountIncludePad: false);

    private static void CheckAdaptive(string op, (int H, int W) outputSize)
    {
        if (outputSize.H < 1 || outputSize.W < 1)
        {
            throw new ArgumentException($"{op}: outputSize must be positive, got {outputSize}", nameof(outputSize));
        }
    }

    private static void CheckPool(string op, (int H, int W) k, (int H, int W) s, (int H, int W) p, (int H, int W) d)
    {
        if (k.H < 1 || k.W < 1 || s.H < 1 || s.W < 1 || d.H < 1 || d.W < 1 || p.H < 0 || p.W < 0)
        {
            throw new ArgumentException($"{op}: kernel {k}, stride {s} and dilation {d} must be positive and padding {p} non-negative");
        }

        if (p.H > k.H / 2 || p.W > k.W / 2)
        {
            throw new ArgumentException($"{op}: padding {p} should be at most half of the kernel size {k}");
        }
    }

    private static int PoolOut(string op, int n, int k, int s, int p, int d, bool ceilMode, Shape x)
    {
        int o = PoolAxis.OutputSize(n, k, s, p, d, ceilMode);
        if (o < 1)
        {
            throw new ArgumentException($"{op}: input {x} is too small for kernel {k} (dilation {d}, padding {p}): output size would be {o}");
        }

        return o;
    }

    private static void RequirePoolRank(string op, Tensor input, int unbatchedRank, string expected)
    {
        if (input.Rank != unbatchedRank && input.Rank != unbatchedRank + 1)
        {
            throw new ArgumentException($"{op}: expected input {expected}, got shape {input.Shape}", nameof(input));
        }
    }
}
