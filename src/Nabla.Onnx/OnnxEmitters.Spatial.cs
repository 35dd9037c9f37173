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

    private static string ConvTranspose2d(Module m, OnnxGraph g, string x)
    {
        var c = (ConvTranspose2d)m;
        var k = c.Geometry;
        string[] inputs = c.Bias is null ? [x, g.Initializer("weight", c.Weight)] : [x, g.Initializer("weight", c.Weight), g.Initializer("bias", c.Bias)];
        return g.Node("ConvTranspose", inputs,
            ("kernel_shape", new[] { k.Kernel.H, k.Kernel.W }), ("strides", new[] { k.Stride.H, k.Stride.W }),
            ("pads", new[] { k.Padding.H, k.Padding.W, k.Padding.H, k.Padding.W }), ("dilations", new[] { k.Dilation.H, k.Dilation.W }),
            ("output_padding", new[] { c.OutputPadding, c.OutputPadding }), ("group", c.Groups));
    }

    private static string MaxPool(Module m, OnnxGraph g, string x)
    {
        var p = (PoolBase)m;
        var (kernel, strides, pads) = PoolGeometry(p, m is MaxPool1d);
        var d = p.Geometry.Dilation;
        return g.Node("MaxPool", x, ("kernel_shape", kernel), ("strides", strides), ("pads", pads),
            ("dilations", m is MaxPool1d ? [d.W] : new[] { d.H, d.W }), ("ceil_mode", p.CeilMode ? 1 : 0));
    }

    private static string AvgPool(Module m, OnnxGraph g, string x)
    {
        var p = (PoolBase)m;
        var (countIncludePad, divisor) = m switch
        {
            AvgPool2d a => (a.CountIncludePad, a.DivisorOverride),
            AvgPool1d a => (a.CountIncludePad, (int?)null),
            _ => throw g.Refuse(m, "not an average pool"),
        };
        var (kernel, strides, pads) = PoolGeometry(p, m is AvgPool1d);
        if (divisor is not null && p.CeilMode)
        {
            throw g.Refuse(m, "divisorOverride with ceilMode: windows cut by the edge have no ONNX equivalent");
        }

        string y = g.Node("AveragePool", x, ("kernel_shape", kernel), ("strides", strides), ("pads", pads),
            ("ceil_mode", p.CeilMode ? 1 : 0), ("count_include_pad", countIncludePad || divisor is not null ? 1 : 0));

        // Without ceil mode every window, padding counted, has k_h·k_w elements: sum / d = mean · (k_h·k_w / d).
        return divisor is int div ? g.Node("Mul", [y, g.Scalar("divisor_override", kernel.Aggregate(1, (a, b) => a * b) / (float)div)]) : y;
    }

    /// <summary>ONNX's kernel_shape, strides and pads (begins, then ends) of a 1-D or 2-D pool.</summary>
    private static (int[] Kernel, int[] Strides, int[] Pads) PoolGeometry(PoolBase p, bool oneD)
    {
        var (k, s, pad) = (p.Geometry.Kernel, p.Geometry.Stride, p.Geometry.Padding);
        return oneD ? ([k.W], [s.W], [pad.W, pad.W]) : ([k.H, k.W], [s.H, s.W], [pad.H, pad.W, pad.H, pad.W]);
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
        var (left, right, top, bottom) = ((ZeroPad2d)m).Padding;
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
