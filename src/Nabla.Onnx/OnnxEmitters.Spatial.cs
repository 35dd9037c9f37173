using Nabla.NN;

namespace Nabla.Onnx;

// Convolution, pooling, padding and resizing: Conv, ConvTranspose, MaxPool, AveragePool, the global pools, Pad, Resize.
public static partial class OnnxEmitters
{
    private static string Conv(Module m, OnnxGraph g, string x)
    {
        var c = (ConvBase)m;
        var (groups, mode, oneD) = m switch
        {
            Conv2d c2 => (c2.Groups, c2.PaddingMode, false),
            Conv1d c1 => (c1.Groups, c1.PaddingMode, true),
            _ => throw g.Refuse(m, "not a convolution"),
        };
        var k = c.Geometry;

        // "same" pads d·(k − 1) in all, the extra one of an odd total at the end (bottom/right), as F.Conv2d does.
        (int Begin, int End) Pad(int kernel, int dilation, int padding) =>
            mode == "same" ? (dilation * (kernel - 1) / 2, (dilation * (kernel - 1)) - (dilation * (kernel - 1) / 2)) : (padding, padding);
        var (h, w) = (Pad(k.Kernel.H, k.Dilation.H, k.Padding.H), Pad(k.Kernel.W, k.Dilation.W, k.Padding.W));
        string[] inputs = c.Bias is null ? [x, g.Initializer("weight", c.Weight)] : [x, g.Initializer("weight", c.Weight), g.Initializer("bias", c.Bias)];
        return g.Node("Conv", inputs,
            ("kernel_shape", oneD ? [k.Kernel.W] : new[] { k.Kernel.H, k.Kernel.W }),
            ("strides", oneD ? [k.Stride.W] : new[] { k.Stride.H, k.Stride.W }),
            ("pads", oneD ? [w.Begin, w.End] : new[] { h.Begin, w.Begin, h.End, w.End }),
            ("dilations", oneD ? [k.Dilation.W] : new[] { k.Dilation.H, k.Dilation.W }),
            ("group", groups));
    }

    /// <summary>ConvTranspose: stride, padding, output padding, dilation, groups; a 1-D one on (N, C, L) with 1-D attributes.</summary>
    private static string ConvTranspose(Module m, OnnxGraph g, string x)
    {
        var c = (ConvBase)m;
        var (groups, outputPadding, oneD) = m switch
        {
            ConvTranspose2d t => (t.Groups, t.OutputPadding, false),
            ConvTranspose1d t => (t.Groups, (H: 0, W: t.OutputPadding), true),
            _ => throw g.Refuse(m, "not a transposed convolution"),
        };
        var k = c.Geometry;
        int[] Pair((int H, int W) p) => oneD ? [p.W] : [p.H, p.W];
        string[] inputs = c.Bias is null ? [x, g.Initializer("weight", c.Weight)] : [x, g.Initializer("weight", c.Weight), g.Initializer("bias", c.Bias)];
        return g.Node("ConvTranspose", inputs,
            ("kernel_shape", Pair(k.Kernel)), ("strides", Pair(k.Stride)), ("pads", (int[])[.. Pair(k.Padding), .. Pair(k.Padding)]),
            ("dilations", Pair(k.Dilation)), ("output_padding", Pair(outputPadding)), ("group", groups));
    }

    /// <summary>
    /// MaxPool in floor mode: PyTorch's ceil mode (a last window that would start in the right padding dropped) is
    /// written as extra padding at the end (<see cref="PoolWindows"/>), which the max ignores, so that the output size does
    /// not depend on how a runtime reads ceil_mode (ONNX tools before 1.16 keep that last window).
    /// </summary>
    private static string MaxPool(Module m, OnnxGraph g, string x)
    {
        var w = PoolWindows((PoolBase)m, g.ShapeOf(x));
        return g.Node("MaxPool", x, ("kernel_shape", w.Kernel), ("strides", w.Strides), ("pads", w.Pads), ("dilations", w.Dilations),
            ("ceil_mode", w.CeilMode ? 1 : 0));
    }

    /// <summary>
    /// AveragePool in floor mode (see <see cref="MaxPool"/>). The divisor: the elements inside the input
    /// (count_include_pad 0); the window counting the padding but not what sticks out past it in ceil mode (PyTorch's
    /// count_include_pad): an explicit zero Pad, then an AveragePool that counts only what is inside the padded input;
    /// a divisor override d: the mean over the full window (no ceil mode) times k_h·k_w/d.
    /// </summary>
    private static string AvgPool(Module m, OnnxGraph g, string x)
    {
        var p = (PoolBase)m;
        var (countIncludePad, divisor) = m switch
        {
            AvgPool2d a => (a.CountIncludePad, a.DivisorOverride),
            AvgPool1d a => (a.CountIncludePad, (int?)null),
            _ => throw g.Refuse(m, "not an average pool"),
        };
        if (divisor is not null && p.CeilMode)
        {
            throw g.Refuse(m, "divisorOverride with ceilMode: windows cut by the edge have no ONNX equivalent");
        }

        var w = PoolWindows(p, g.ShapeOf(x));
        int n = w.Kernel.Length, rank = g.ShapeOf(x).Count;
        bool overhang = w.Pads.Skip(n).Zip(w.Pads).Any(e => e.First > e.Second);
        if (countIncludePad && overhang && !w.CeilMode)
        {
            var pads = new long[2 * rank];
            for (int a = 0; a < n; a++)
            {
                (pads[rank - n + a], pads[(2 * rank) - n + a]) = (w.Pads[a], w.Pads[a]);
            }

            x = g.Node("Pad", [x, g.Int64s("pads", pads)], ("mode", "constant"));
            w = w with { Pads = [.. new int[n], .. w.Pads.Skip(n).Zip(w.Pads).Select(e => e.First - e.Second)] };
            countIncludePad = false;
        }

        string y = g.Node("AveragePool", x, ("kernel_shape", w.Kernel), ("strides", w.Strides), ("pads", w.Pads),
            ("ceil_mode", w.CeilMode ? 1 : 0), ("count_include_pad", countIncludePad || divisor is not null ? 1 : 0));

        // Without ceil mode every window, padding counted, has k_h·k_w elements: sum / d = mean · (k_h·k_w / d).
        return divisor is int div ? g.Node("Mul", [y, g.Scalar("divisor_override", w.Kernel.Aggregate(1, (a, b) => a * b) / (float)div)]) : y;
    }

    /// <summary>A pool's ONNX window: kernel_shape, strides, dilations, pads (begins, then ends), and ceil_mode.</summary>
    private sealed record Windows(int[] Kernel, int[] Strides, int[] Dilations, int[] Pads, bool CeilMode);

    /// <summary>
    /// The window of a 1-D or 2-D pool on <paramref name="shape"/>, in floor mode: each axis gets at its end the padding
    /// p + e with e = max(0, (o − 1)·s + d·(k − 1) + 1 − (n + 2p)), o PyTorch's output size, so that
    /// ⌊(n + 2p + e − d·(k − 1) − 1)/s⌋ + 1 = o. Where p + e would reach the kernel size (a dilated kernel), ONNX
    /// runtimes refuse such padding, and ceil mode (as ONNX now defines it, the same as PyTorch) is written instead.
    /// </summary>
    private static Windows PoolWindows(PoolBase p, IReadOnlyList<int> shape)
    {
        var g = p.Geometry;
        bool oneD = p is MaxPool1d or AvgPool1d;
        (int K, int S, int P, int D)[] axes = oneD ? [(g.Kernel.W, g.Stride.W, g.Padding.W, g.Dilation.W)]
            : [(g.Kernel.H, g.Stride.H, g.Padding.H, g.Dilation.H), (g.Kernel.W, g.Stride.W, g.Padding.W, g.Dilation.W)];
        int first = shape.Count - axes.Length;
        int[] ends = [.. axes.Select((a, i) =>
        {
            int n = shape[first + i], o = SpatialGeometry.OutSize(n, a.K, a.S, a.P, a.D, p.CeilMode);
            return a.P + Math.Max(0, ((o - 1) * a.S) + (a.D * (a.K - 1)) + 1 - (n + (2 * a.P)));
        })];
        bool ceil = ends.Zip(axes).Any(e => e.First >= e.Second.K);
        return new([.. axes.Select(a => a.K)], [.. axes.Select(a => a.S)], [.. axes.Select(a => a.D)],
            [.. axes.Select(a => a.P), .. ceil ? axes.Select(a => a.P) : ends], ceil);
    }

    /// <summary>
    /// Adaptive pools: global when the output is 1 (×1), a fixed pool when each input size is a multiple of the output's,
    /// else exactly by PyTorch's windows [⌊i·n/o⌋, ⌈(i + 1)·n/o⌉), one axis at a time (a mean or max over a rectangle is
    /// the mean or max over its rows of the means or maxima over its columns): a Slice and a Reduce per output index.
    /// </summary>
    private static string AdaptivePool(Module m, OnnxGraph g, string x)
    {
        var (outSize, max) = m switch
        {
            AdaptiveAvgPool2d a => (new[] { a.OutputSize.H, a.OutputSize.W }, false),
            AdaptiveMaxPool2d a => (new[] { a.OutputSize.H, a.OutputSize.W }, true),
            AdaptiveAvgPool1d a => (new[] { a.OutputSize }, false),
            _ => throw g.Refuse(m, "not an adaptive pool"),
        };
        var s = g.ShapeOf(x);
        int first = s.Count - outSize.Length;
        int[] inSize = [.. s.Skip(first)];
        if (first < 1 || inSize.Any(n => n < 0))
        {
            throw g.Refuse(m, $"expected (N, C, {(outSize.Length == 1 ? "L" : "H, W")}) with the batch first, got {OnnxGraph.Format(s)}");
        }

        if (outSize.All(o => o == 1))
        {
            return g.Node(max ? "GlobalMaxPool" : "GlobalAveragePool", x);
        }

        if (inSize.Zip(outSize).All(p => p.First % p.Second == 0))
        {
            int[] k = [.. inSize.Zip(outSize).Select(p => p.First / p.Second)];
            return g.Node(max ? "MaxPool" : "AveragePool", x, ("kernel_shape", k), ("strides", k));
        }

        for (int a = 0; a < outSize.Length; a++)
        {
            int axis = first + a, n = inSize[a], o = outSize[a];
            var cells = Enumerable.Range(0, o).Select(i =>
            {
                long start = (long)i * n / o, end = (((long)(i + 1) * n) + o - 1) / o;
                string window = g.Node("Slice", [x, g.Int64s("starts", start), g.Int64s("ends", end), g.Int64s("axes", axis)]);
                return g.Node(max ? "ReduceMax" : "ReduceMean", window, ("axes", new[] { axis }), ("keepdims", 1));
            }).ToArray();
            x = g.Node("Concat", cells, ("axis", axis));
        }

        return x;
    }

    private static string ZeroPad2d(Module m, OnnxGraph g, string x)
    {
        var p = ((ZeroPad2d)m).Padding;
        var (left, right, top, bottom) = (p[0], p[1], p[2], p[3]);
        int r = g.ShapeOf(x).Count;
        var pads = new long[2 * r];
        (pads[r - 2], pads[r - 1], pads[(2 * r) - 2], pads[(2 * r) - 1]) = (top, left, bottom, right);
        return g.Node("Pad", [x, g.Int64s("pads", pads)], ("mode", "constant"));
    }

    /// <summary>
    /// Resize: nearest as PyTorch's floor(o·in/out) ("asymmetric", "floor"); (bi)linear with "align_corners", or
    /// "half_pixel" ((o + ½)·in/out − ½, clamped at 0 as PyTorch does; ONNX's "pytorch_half_pixel" differs at an output
    /// size of 1). A size is given as the full output shape (the batch read from the input), a scale factor as scales.
    /// </summary>
    private static string Upsample(Module m, OnnxGraph g, string x)
    {
        var u = (Upsample)m;
        var s = g.ShapeOf(x);
        int spatial = s.Count - 2;
        bool linear = u.Mode != "nearest";
        (string, object)[] attributes =
        [
            ("mode", linear ? "linear" : "nearest"),
            ("coordinate_transformation_mode", !linear ? "asymmetric" : u.AlignCorners == true ? "align_corners" : "half_pixel"),
            ("nearest_mode", "floor"),
        ];
        if (u.ScaleFactor is { } sf)
        {
            float[] scales = [1, 1, .. Enumerable.Range(0, spatial).Select(a => (float)sf[sf.Length == 1 ? 0 : a])];
            return g.Node("Resize", [x, "", g.Initializer("scales", scales, scales.Length)], attributes);
        }

        var outShape = g.OutputShape(m, x);
        string batchAndChannels = g.Node("Slice", [g.Node("Shape", x), g.Int64s("starts", 0), g.Int64s("ends", 2), g.Int64s("axes", 0)]);
        string sizes = g.Node("Concat", [batchAndChannels, g.Int64s("size", [.. outShape.Skip(2).Select(d => (long)d)])], ("axis", 0));
        return g.Node("Resize", [x, "", "", sizes], attributes);
    }
}
