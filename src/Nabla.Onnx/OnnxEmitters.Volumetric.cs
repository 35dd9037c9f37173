using Nabla.NN;

namespace Nabla.Onnx;

// The 3-D layers on (N, C, D, H, W): Conv, MaxPool, AveragePool and the global pool with three spatial axes.
public static partial class OnnxEmitters
{
    private static int[] Axes((int D, int H, int W) t) => [t.D, t.H, t.W];

    /// <summary>Conv with 3-D attributes; "same" pads d·(k − 1) on each axis, the odd one at the end, as F.Conv3d does.</summary>
    private static string Conv3d(Module m, OnnxGraph g, string x)
    {
        var c = (Conv3d)m;
        var k = c.Geometry3d;
        int[] kernel = Axes(k.Kernel), dilation = Axes(k.Dilation), padding = Axes(k.Padding);
        int[] begin = [.. kernel.Select((n, a) => c.PaddingMode == "same" ? dilation[a] * (n - 1) / 2 : padding[a])];
        int[] end = [.. kernel.Select((n, a) => c.PaddingMode == "same" ? (dilation[a] * (n - 1)) - begin[a] : padding[a])];
        string[] inputs = c.Bias is null ? [x, g.Initializer("weight", c.Weight)] : [x, g.Initializer("weight", c.Weight), g.Initializer("bias", c.Bias)];
        return g.Node("Conv", inputs, ("kernel_shape", kernel), ("strides", Axes(k.Stride)), ("pads", (int[])[.. begin, .. end]),
            ("dilations", dilation), ("group", c.Groups));
    }

    /// <summary>
    /// MaxPool and AveragePool in floor mode. Ceil mode is refused: ONNX runtimes before opset 19 differ from PyTorch on
    /// a last window that starts in the padding, and the 2-D emitters' rewrite of it is not written for three axes.
    /// A divisor override d is the mean over the full window times k_d·k_h·k_w/d (every window has that many elements,
    /// padding counted, in floor mode).
    /// </summary>
    private static string Pool3d(Module m, OnnxGraph g, string x)
    {
        var p = (Pool3dBase)m;
        if (p.CeilMode)
        {
            throw g.Refuse(m, "ceilMode is not exported for the 3-D pools (floor mode only)");
        }

        var k = p.Geometry;
        int[] kernel = Axes(k.Kernel), padding = Axes(k.Padding);
        var window = (Kernel: ("kernel_shape", kernel), Strides: ("strides", Axes(k.Stride)), Pads: ("pads", (int[])[.. padding, .. padding]));
        if (p is MaxPool3d)
        {
            return g.Node("MaxPool", x, window.Kernel, window.Strides, window.Pads, ("dilations", Axes(k.Dilation)));
        }

        var a = (AvgPool3d)p;
        string y = g.Node("AveragePool", x, window.Kernel, window.Strides, window.Pads,
            ("count_include_pad", a.CountIncludePad || a.DivisorOverride is not null ? 1 : 0));
        return a.DivisorOverride is int d ? g.Node("Mul", [y, g.Scalar("divisor_override", kernel.Aggregate(1, (u, v) => u * v) / (float)d)]) : y;
    }

    /// <summary>AdaptiveAvgPool3d: global when the output is 1×1×1, a fixed pool when each input size is a multiple of the output's.</summary>
    private static string AdaptiveAvgPool3d(Module m, OnnxGraph g, string x)
    {
        int[] outSize = Axes(((AdaptiveAvgPool3d)m).OutputSize);
        var s = g.ShapeOf(x);
        if (s.Count != 5 || s.Skip(2).Any(n => n < 0))
        {
            throw g.Refuse(m, $"expected (N, C, D, H, W) with the batch first, got {OnnxGraph.Format(s)}");
        }

        int[] inSize = [.. s.Skip(2)];
        if (outSize.All(o => o == 1))
        {
            return g.Node("GlobalAveragePool", x);
        }

        if (!inSize.Zip(outSize).All(q => q.First % q.Second == 0))
        {
            throw g.Refuse(m, $"input sizes {string.Join("×", inSize)} are not multiples of the output's {string.Join("×", outSize)} (uneven windows are not exported in 3-D)");
        }

        int[] kernel = [.. inSize.Zip(outSize).Select(q => q.First / q.Second)];
        return g.Node("AveragePool", x, ("kernel_shape", kernel), ("strides", kernel));
    }
}
