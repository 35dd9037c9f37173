using Nabla.NN;

namespace Nabla.Onnx;

// InstanceNorm1d/2d (InstanceNormalization, or BatchNormalization with running statistics), LocalResponseNorm (LRN, or an
// AveragePool of the squares for an even size), PixelShuffle (DepthToSpace in CRD mode) and PixelUnshuffle (Reshape, Transpose, Reshape).
public static partial class OnnxEmitters
{
    /// <summary>
    /// Instance norm in evaluation mode: with running statistics (trackRunningStats) a per-channel affine map, as
    /// BatchNormalization; without, InstanceNormalization (per sample and channel over the positions, biased variance),
    /// unit scale and zero shift when there is no affine γ, β. An unbatched (C, …) input gets a batch of one around it.
    /// </summary>
    private static string InstanceNorm(Module m, OnnxGraph g, string x)
    {
        var n = (InstanceNormBase)m;
        int c = n.NumFeatures, spatial = m is InstanceNorm1d ? 1 : 2;
        var s = g.ShapeOf(x);
        bool unbatched = s.Count == spatial + 1;
        if (s[unbatched ? 0 : 1] < 0)
        {
            throw g.Refuse(m, $"its channels would be the batch dimension (input {OnnxGraph.Format(s)}, {c} channels expected)");
        }

        string v = unbatched ? g.Node("Unsqueeze", [x, g.Int64s("axes", 0)]) : x;
        string scale = n.Weight is null ? g.Initializer("ones", Filled(c, 1), c) : g.Initializer("weight", n.Weight);
        string shift = n.Bias is null ? g.Initializer("zeros", new float[c], c) : g.Initializer("bias", n.Bias);
        string y = n.RunningMean is { } mean && n.RunningVar is { } variance
            ? g.Node("BatchNormalization", [v, scale, shift, g.Initializer("running_mean", mean), g.Initializer("running_var", variance)], ("epsilon", n.Eps))
            : g.Node("InstanceNormalization", [v, scale, shift], ("epsilon", n.Eps));
        return unbatched ? g.Node("Squeeze", [y, g.Int64s("axes", 0)]) : y;
    }

    /// <summary>
    /// LocalResponseNorm, b = a/(k + α/n·Σ a²)^β over the channels c − ⌊n/2⌋ … c + ⌊(n − 1)/2⌋. An odd size n: ONNX's LRN,
    /// whose window c − ⌊(n − 1)/2⌋ … c + ⌈(n − 1)/2⌉ is then the same, on (N, C, H, W) (other ranks reshaped to
    /// (N, C, ·, 1) around it: ONNX Runtime's LRN takes 4-D inputs only). An even size, where ONNX's window is PyTorch's
    /// shifted by one channel and ONNX Runtime refuses the LRN: the mean of the squares over PyTorch's window, padding
    /// counted (Σ/n), by an AveragePool of kernel (n, 1) on the input reshaped to (N, 1, C, ·), then Mul, Add, Pow, Div.
    /// </summary>
    private static string LocalResponseNorm(Module m, OnnxGraph g, string x)
    {
        var l = (LocalResponseNorm)m;
        var s = g.ShapeOf(x);
        if (s.Count < 3 || s[1] < 0)
        {
            throw g.Refuse(m, $"expected (N, C, …) with fixed channels, got {OnnxGraph.Format(s)}");
        }

        int n = l.Size;
        if (n % 2 == 1)
        {
            bool four = s.Count == 4;
            string v = four ? x : g.Node("Reshape", [x, g.Int64s("shape", 0, 0, -1, 1)]);
            string y = g.Node("LRN", v, ("size", n), ("alpha", (float)l.Alpha), ("beta", (float)l.Beta), ("bias", (float)l.K));
            return four ? y : g.Reshape(y, s);
        }

        string a = g.Node("Reshape", [x, g.Int64s("shape", 0, 1, s[1], -1)]);
        string mean = g.Node("AveragePool", g.Node("Mul", [a, a]), ("kernel_shape", new[] { n, 1 }), ("strides", new[] { 1, 1 }),
            ("pads", new[] { n / 2, 0, (n - 1) / 2, 0 }), ("count_include_pad", 1));
        string denominator = g.Node("Pow", [g.Node("Add", [g.Node("Mul", [mean, g.Scalar("alpha", (float)l.Alpha)]), g.Scalar("k", (float)l.K)]), g.Scalar("beta", (float)l.Beta)]);
        return g.Reshape(g.Node("Div", [a, denominator]), s);
    }

    /// <summary>
    /// PixelShuffle, y[c, h·r + i, w·r + j] = x[c·r² + i·r + j, h, w]: DepthToSpace in CRD mode (column-row-depth, the same
    /// order) on (N, C·r², H, W); on other ranks (…, C·r², H, W) the same by Reshape to (…, C, r, r, H, W), Transpose to
    /// (…, C, H, r, W, r) and Reshape.
    /// </summary>
    private static string PixelShuffle(Module m, OnnxGraph g, string x)
    {
        int r = ((PixelShuffle)m).UpscaleFactor;
        var s = g.ShapeOf(x);
        var outShape = g.OutputShape(m, x); // refuses a channel or spatial size that is the batch
        if (s.Count == 4 && s[0] < 0)
        {
            return g.Node("DepthToSpace", x, ("blocksize", r), ("mode", "CRD"));
        }

        int b = s.Count - 3;
        string split = g.Reshape(x, [.. s.Take(b), s[b] / (r * r), r, r, s[b + 1], s[b + 2]]);
        int[] perm = [.. Enumerable.Range(0, b + 1), b + 3, b + 1, b + 4, b + 2];
        return g.Reshape(g.Node("Transpose", split, ("perm", perm)), outShape);
    }

    /// <summary>
    /// PixelUnshuffle, (…, C, H·r, W·r) → (…, C·r², H, W) with channel c·r² + i·r + j: Reshape to (…, C, H, r, W, r),
    /// Transpose to (…, C, r, r, H, W), Reshape. ONNX's SpaceToDepth orders the channels (i·r + j)·C + c instead.
    /// </summary>
    private static string PixelUnshuffle(Module m, OnnxGraph g, string x)
    {
        int r = ((PixelUnshuffle)m).DownscaleFactor;
        var s = g.ShapeOf(x);
        var outShape = g.OutputShape(m, x);
        int b = s.Count - 3;
        string split = g.Reshape(x, [.. s.Take(b), s[b], s[b + 1] / r, r, s[b + 2] / r, r]);
        int[] perm = [.. Enumerable.Range(0, b + 1), b + 2, b + 4, b + 1, b + 3];
        return g.Reshape(g.Node("Transpose", split, ("perm", perm)), outShape);
    }
}
