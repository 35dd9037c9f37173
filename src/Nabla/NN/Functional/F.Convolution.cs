using Nabla.Ops;
using Nabla.Ops.Kernels;

namespace Nabla.NN;

public static partial class F
{
    /// <summary>2-D convolution (cross-correlation) over an input of several planes (<c>torch.nn.functional.conv2d</c>).</summary>
    /// <remarks>
    /// <para>y[n, o, i, j] = b[o] + Σ_{c, ki, kj} w[o, c, ki, kj] · x[n, g·C/G + c, i·s − p + ki·d, j·s − p + kj·d], where g is the
    /// group of output channel o and positions in the padding read zero.</para>
    /// <para>Input: (N, C, H, W) or unbatched (C, H, W). Weight: (O, C/groups, kH, kW). Bias: (O). Output: (N, O, H_out, W_out)
    /// with H_out = floor((H + 2·padding − dilation·(kH − 1) − 1) / stride) + 1, and likewise for W.</para>
    /// <para>Computed by im2col and GEMM; the backward is two more primitive ops (the input and weight adjoints), so
    /// gradients of gradients work.</para>
    /// </remarks>
    /// <param name="input">Input (N, C, H, W), or (C, H, W).</param>
    /// <param name="weight">Filters (O, C/groups, kH, kW).</param>
    /// <param name="bias">Optional bias (O).</param>
    /// <param name="stride">Stride of the window (default 1).</param>
    /// <param name="padding">Zero padding on each side (default 0).</param>
    /// <param name="dilation">Spacing between kernel elements (default 1).</param>
    /// <param name="groups">Number of blocked connections from input to output channels; C and O must be divisible by it.</param>
    /// <exception cref="ArgumentException">Wrong rank, channel count, bias shape, or an input smaller than the dilated kernel.</exception>
    /// <example><code>
    /// var x = Tensor.Randn(new Shape(1, 3, 8, 8));
    /// var w = Tensor.Randn(new Shape(4, 3, 3, 3));
    /// var y = F.Conv2d(x, w, padding: 1);   // (1, 4, 8, 8)
    /// </code></example>
    public static Tensor Conv2d(Tensor input, Tensor weight, Tensor? bias = null, int stride = 1, int padding = 0, int dilation = 1, int groups = 1) =>
        Conv2d(input, weight, bias, (stride, stride), (padding, padding), (dilation, dilation), groups);

    /// <inheritdoc cref="Conv2d(Tensor, Tensor, Tensor?, int, int, int, int)"/>
    /// <param name="input">Input (N, C, H, W), or (C, H, W).</param>
    /// <param name="weight">Filters (O, C/groups, kH, kW).</param>
    /// <param name="bias">Optional bias (O).</param>
    /// <param name="stride">Stride (height, width).</param>
    /// <param name="padding">Zero padding (height, width), on both sides.</param>
    /// <param name="dilation">Dilation (height, width); null means (1, 1).</param>
    /// <param name="groups">Number of blocked connections from input to output channels.</param>
    public static Tensor Conv2d(Tensor input, Tensor weight, Tensor? bias, (int H, int W) stride, (int H, int W) padding,
        (int H, int W)? dilation = null, int groups = 1)
    {
        var d = dilation ?? (1, 1);
        RequireRank("conv2d", weight, 4, "weight", "(O, C/groups, kH, kW)");
        var g = new ConvGeometry(weight.Shape[2], weight.Shape[3], stride.H, stride.W, padding.H, padding.W, d.H, d.W, groups);
        return Unbatched(input, 3, "conv2d", "(N, C, H, W) or (C, H, W)", x => new Ops.Conv2d(g).Apply(x, weight, bias));
    }

    /// <summary>2-D convolution with padding given as <c>"valid"</c> (none) or <c>"same"</c> (output size = input size).</summary>
    /// <remarks>
    /// <para>"same" pads a total of dilation·(k − 1) per axis, the left/top side getting half (rounded down) and the
    /// right/bottom side the rest, exactly as PyTorch; it requires stride 1. Padding comes before stride in this overload
    /// because "same" allows no other stride.</para>
    /// <para>Input: (N, C, H, W) or (C, H, W). Weight: (O, C/groups, kH, kW). Output: (N, O, H_out, W_out).</para>
    /// </remarks>
    /// <param name="input">Input (N, C, H, W), or (C, H, W).</param>
    /// <param name="weight">Filters (O, C/groups, kH, kW).</param>
    /// <param name="bias">Optional bias (O).</param>
    /// <param name="padding">"valid" or "same".</param>
    /// <param name="stride">Stride (must be 1 with "same").</param>
    /// <param name="dilation">Spacing between kernel elements.</param>
    /// <param name="groups">Number of blocked connections from input to output channels.</param>
    public static Tensor Conv2d(Tensor input, Tensor weight, Tensor? bias, string padding, int stride = 1, int dilation = 1, int groups = 1)
    {
        RequireRank("conv2d", weight, 4, "weight", "(O, C/groups, kH, kW)");
        if (!SamePadding("conv2d", padding, stride))
        {
            return Conv2d(input, weight, bias, stride, 0, dilation, groups);
        }

        int th = dilation * (weight.Shape[2] - 1), tw = dilation * (weight.Shape[3] - 1);
        var (lh, lw) = (th / 2, tw / 2);
        if (th % 2 == 0 && tw % 2 == 0)
        {
            return Conv2d(input, weight, bias, (1, 1), (lh, lw), (dilation, dilation), groups);
        }

        // Odd total padding: the extra row/column goes on the bottom/right (PyTorch's _conv_forward with "same").
        var padded = input.Pad([0, tw - (2 * lw), 0, th - (2 * lh)]);
        return Conv2d(padded, weight, bias, (1, 1), (lh, lw), (dilation, dilation), groups);
    }

    /// <summary>1-D convolution (<c>torch.nn.functional.conv1d</c>), computed as a 2-D convolution of height 1.</summary>
    /// <remarks>
    /// y[n, o, i] = b[o] + Σ_{c, k} w[o, c, k] · x[n, g·C/G + c, i·s − p + k·d].
    /// Input: (N, C, L) or (C, L). Weight: (O, C/groups, kL). Bias: (O). Output: (N, O, L_out) with
    /// L_out = floor((L + 2·padding − dilation·(kL − 1) − 1) / stride) + 1.
    /// </remarks>
    /// <param name="input">Input (N, C, L), or (C, L).</param>
    /// <param name="weight">Filters (O, C/groups, kL).</param>
    /// <param name="bias">Optional bias (O).</param>
    /// <param name="stride">Stride (default 1).</param>
    /// <param name="padding">Zero padding on both sides (default 0).</param>
    /// <param name="dilation">Spacing between kernel elements (default 1).</param>
    /// <param name="groups">Number of blocked connections from input to output channels.</param>
    public static Tensor Conv1d(Tensor input, Tensor weight, Tensor? bias = null, int stride = 1, int padding = 0, int dilation = 1, int groups = 1)
    {
        RequireRank("conv1d", weight, 3, "weight", "(O, C/groups, kL)");
        return Unbatched(input, 2, "conv1d", "(N, C, L) or (C, L)", x =>
            Conv2d(x.Unsqueeze(2), weight.Unsqueeze(2), bias, (1, stride), (0, padding), (1, dilation), groups).Squeeze(2));
    }

    /// <summary>1-D convolution with padding <c>"valid"</c> or <c>"same"</c> (see the 2-D overload for the rule).</summary>
    /// <remarks>Input: (N, C, L) or (C, L). Weight: (O, C/groups, kL). Output: (N, O, L_out).</remarks>
    /// <param name="input">Input (N, C, L), or (C, L).</param>
    /// <param name="weight">Filters (O, C/groups, kL).</param>
    /// <param name="bias">Optional bias (O).</param>
    /// <param name="padding">"valid" or "same".</param>
    /// <param name="stride">Stride (must be 1 with "same").</param>
    /// <param name="dilation">Spacing between kernel elements.</param>
    /// <param name="groups">Number of blocked connections from input to output channels.</param>
    public static Tensor Conv1d(Tensor input, Tensor weight, Tensor? bias, string padding, int stride = 1, int dilation = 1, int groups = 1)
    {
        RequireRank("conv1d", weight, 3, "weight", "(O, C/groups, kL)");
        return Unbatched(input, 2, "conv1d", "(N, C, L) or (C, L)", x =>
            Conv2d(x.Unsqueeze(2), weight.Unsqueeze(2), bias, padding, stride, dilation, groups).Squeeze(2));
    }

    /// <summary>2-D transposed convolution (<c>torch.nn.functional.conv_transpose2d</c>), the adjoint of <see cref="Conv2d(Tensor, Tensor, Tensor?, int, int, int, int)"/>.</summary>
    /// <remarks>
    /// <para>y = conv2d_input_grad(x, w) + b: every input element x[n, c, i, j] adds x·w[c, o, ki, kj] at output position
    /// (i·s − p + ki·d, j·s − p + kj·d).</para>
    /// <para>Input: (N, C_in, H, W) or (C_in, H, W). Weight: (C_in, C_out/groups, kH, kW) (PyTorch's layout). Bias: (C_out).
    /// Output: (N, C_out, H_out, W_out) with H_out = (H − 1)·stride − 2·padding + dilation·(kH − 1) + outputPadding + 1.
    /// outputPadding must be smaller than the stride.</para>
    /// </remarks>
    /// <param name="input">Input (N, C_in, H, W), or (C_in, H, W).</param>
    /// <param name="weight">Filters (C_in, C_out/groups, kH, kW).</param>
    /// <param name="bias">Optional bias (C_out).</param>
    /// <param name="stride">Stride (default 1).</param>
    /// <param name="padding">Implicit padding removed from both sides of the output (default 0).</param>
    /// <param name="outputPadding">Extra rows/columns added to the bottom/right of the output (default 0).</param>
    /// <param name="groups">Number of blocked connections (default 1).</param>
    /// <param name="dilation">Spacing between kernel elements (default 1).</param>
    public static Tensor ConvTranspose2d(Tensor input, Tensor weight, Tensor? bias = null, int stride = 1, int padding = 0,
        int outputPadding = 0, int groups = 1, int dilation = 1) =>
        ConvTranspose2d(input, weight, bias, (stride, stride), (padding, padding), (outputPadding, outputPadding), groups, (dilation, dilation));

    /// <inheritdoc cref="ConvTranspose2d(Tensor, Tensor, Tensor?, int, int, int, int, int)"/>
    /// <param name="input">Input (N, C_in, H, W), or (C_in, H, W).</param>
    /// <param name="weight">Filters (C_in, C_out/groups, kH, kW).</param>
    /// <param name="bias">Optional bias (C_out).</param>
    /// <param name="stride">Stride (height, width).</param>
    /// <param name="padding">Padding (height, width).</param>
    /// <param name="outputPadding">Output padding (height, width); null means (0, 0).</param>
    /// <param name="groups">Number of blocked connections.</param>
    /// <param name="dilation">Dilation (height, width); null means (1, 1).</param>
    public static Tensor ConvTranspose2d(Tensor input, Tensor weight, Tensor? bias, (int H, int W) stride, (int H, int W) padding,
        (int H, int W)? outputPadding = null, int groups = 1, (int H, int W)? dilation = null)
    {
        var (op, d) = (outputPadding ?? (0, 0), dilation ?? (1, 1));
        RequireRank("conv_transpose2d", weight, 4, "weight", "(C_in, C_out/groups, kH, kW)");
        if (op.H < 0 || op.W < 0 || op.H >= stride.H || op.W >= stride.W)
        {
            throw new ArgumentException($"conv_transpose2d: outputPadding {op} must be non-negative and smaller than the stride {stride}", nameof(outputPadding));
        }

        var g = new ConvGeometry(weight.Shape[2], weight.Shape[3], stride.H, stride.W, padding.H, padding.W, d.H, d.W, groups);
        return Unbatched(input, 3, "conv_transpose2d", "(N, C_in, H, W) or (C_in, H, W)", x =>
        {
            int cOut = weight.Shape[1] * groups;
            int h = ((x.Shape[2] - 1) * stride.H) - (2 * padding.H) + (d.H * (g.KernelH - 1)) + op.H + 1;
            int w = ((x.Shape[3] - 1) * stride.W) - (2 * padding.W) + (d.W * (g.KernelW - 1)) + op.W + 1;
            if (x.Shape[1] != weight.Shape[0])
            {
                throw new ArgumentException($"conv_transpose2d: weight {weight.Shape} expects input [N, {weight.Shape[0]}, H, W], got {x.Shape}", nameof(input));
            }

            if (h < 1 || w < 1)
            {
                throw new ArgumentException($"conv_transpose2d: input {x.Shape} with this geometry gives an empty output {h}×{w}", nameof(input));
            }

            var y = new Conv2dInputGrad(g, new Shape(x.Shape[0], cOut, h, w)).Apply(x, weight);
            return bias is null ? y : y + bias.Reshape(1, cOut, 1, 1);
        });
    }

    // Applies f to a batched input; an unbatched one (rank batchedRank − 1) gets a batch dimension of 1 around it.
    /// <summary>Transposed 1-D convolution (<c>torch.nn.functional.conv_transpose1d</c>), as the 2-D one of height 1.</summary>
    /// <remarks>
    /// The adjoint of <see cref="Conv1d(Tensor, Tensor, Tensor?, int, int, int, int)"/>: each input position scatters
    /// x[n, c_in, i]·W[c_in, c_out, k] to output position i·s − p + k·d. Input: (N, C_in, L) or (C_in, L); weight
    /// (C_in, C_out/groups, k). Output: (N, C_out, L_out), L_out = (L − 1)s − 2p + d(k − 1) + outputPadding + 1.
    /// </remarks>
    /// <param name="input">Input (N, C_in, L), or (C_in, L).</param>
    /// <param name="weight">Filters (C_in, C_out/groups, k).</param>
    /// <param name="bias">Optional bias (C_out).</param>
    /// <param name="stride">Stride (default 1).</param>
    /// <param name="padding">Padding removed from both ends of the output (default 0).</param>
    /// <param name="outputPadding">Extra length added to the end of the output, smaller than the stride (default 0).</param>
    /// <param name="groups">Number of blocked connections (default 1).</param>
    /// <param name="dilation">Spacing between kernel elements (default 1).</param>
    public static Tensor ConvTranspose1d(Tensor input, Tensor weight, Tensor? bias = null, int stride = 1, int padding = 0,
        int outputPadding = 0, int groups = 1, int dilation = 1)
    {
        RequireRank("conv_transpose1d", weight, 3, "weight", "(C_in, C_out/groups, k)");
        if (input.Rank is not (2 or 3))
        {
            throw new ArgumentException($"conv_transpose1d: expected input (N, C_in, L) or (C_in, L), got shape {input.Shape}", nameof(input));
        }

        return ConvTranspose2d(input.Unsqueeze(-2), weight.Unsqueeze(-2), bias, (1, stride), (0, padding), (0, outputPadding), groups, (1, dilation)).Squeeze(-2);
    }

    private static Tensor Unbatched(Tensor input, int unbatchedRank, string op, string expected, Func<Tensor, Tensor> f)
    {
        if (input.Rank == unbatchedRank)
        {
            return f(input.Unsqueeze(0)).Squeeze(0);
        }

        if (input.Rank != unbatchedRank + 1)
        {
            throw new ArgumentException($"{op}: expected input {expected}, got shape {input.Shape}", nameof(input));
        }

        return f(input);
    }

    private static void RequireRank(string op, Tensor t, int rank, string name, string layout)
    {
        if (t.Rank != rank)
        {
            throw new ArgumentException($"{op}: expected {name} of rank {rank} {layout}, got shape {t.Shape}", name);
        }
    }

    // True for "same", false for "valid"; throws otherwise or for "same" with a stride.
    private static bool SamePadding(string op, string padding, int stride)
    {
        switch (padding)
        {
            case "valid":
                return false;
            case "same" when stride != 1:
                throw new ArgumentException($"{op}: padding='same' is not supported for strided convolutions (stride={stride})", nameof(padding));
            case "same":
                return true;
            default:
                throw new ArgumentException($"{op}: padding must be \"valid\", \"same\" or a number, got \"{padding}\"", nameof(padding));
        }
    }
}
