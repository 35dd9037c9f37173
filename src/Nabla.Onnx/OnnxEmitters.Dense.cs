using Nabla.NN;

namespace Nabla.Onnx;

// Linear, Embedding and the normalisation layers: Gemm / MatMul + Add, Gather, BatchNormalization, LayerNormalization,
// and GroupNorm by InstanceNormalization (opset 17 has no GroupNormalization).
public static partial class OnnxEmitters
{
    /// <summary>Gemm (y = x·Wᵀ + b) for (N, in); MatMul with the stored Wᵀ and Add for (N, …, in), which Gemm does not take.</summary>
    private static string Linear(Module m, OnnxGraph g, string x)
    {
        var l = (Linear)m;
        if (g.ShapeOf(x).Count == 2)
        {
            string w = g.Initializer("weight", l.Weight);
            return g.Node("Gemm", l.Bias is null ? [x, w] : [x, w, g.Initializer("bias", l.Bias)], ("transB", 1));
        }

        string y = g.Node("MatMul", [x, g.Initializer("weight_transposed", l.Weight.T.ToFloatArray(), l.InFeatures, l.OutFeatures)]);
        return l.Bias is null ? y : g.Node("Add", [y, g.Initializer("bias", l.Bias)]);
    }

    private static string Embedding(Module m, OnnxGraph g, string x) =>
        g.Node("Gather", [g.Initializer("weight", ((Embedding)m).Weight), x], ("axis", 0));

    /// <summary>
    /// BatchNormalization with the running statistics (evaluation mode). A layer without them (trackRunningStats false)
    /// normalises with each batch's own mean and biased variance, written out as ReduceMean, Sub, Mul, Sqrt, Div.
    /// </summary>
    private static string BatchNorm(Module m, OnnxGraph g, string x)
    {
        var bn = (BatchNormBase)m;
        int c = bn.NumFeatures, rank = g.ShapeOf(x).Count;
        if (bn.RunningMean is { } mean && bn.RunningVar is { } variance)
        {
            string scale = bn.Weight is null ? g.Initializer("ones", Filled(c, 1), c) : g.Initializer("weight", bn.Weight);
            string shift = bn.Bias is null ? g.Initializer("zeros", new float[c], c) : g.Initializer("bias", bn.Bias);
            return g.Node("BatchNormalization", [x, scale, shift, g.Initializer("running_mean", mean), g.Initializer("running_var", variance)],
                ("epsilon", bn.Eps));
        }

        int[] axes = [0, .. Enumerable.Range(2, rank - 2)];
        string centred = g.Node("Sub", [x, g.Node("ReduceMean", x, ("axes", axes), ("keepdims", 1))]);
        string var = g.Node("ReduceMean", g.Node("Mul", [centred, centred]), ("axes", axes), ("keepdims", 1));
        string y = g.Node("Div", [centred, g.Node("Sqrt", g.Node("Add", [var, g.Scalar("eps", (float)bn.Eps)]))]);
        return Affine(g, y, bn.Weight, bn.Bias, rank);
    }

    private static string LayerNorm(Module m, OnnxGraph g, string x)
    {
        var ln = (LayerNorm)m;
        int[] shape = ln.NormalizedShape.ToArray();
        string scale = ln.Weight is null ? g.Initializer("ones", Filled((int)ln.NormalizedShape.Numel, 1), shape) : g.Initializer("weight", ln.Weight);
        string[] inputs = ln.Bias is null ? [x, scale] : [x, scale, g.Initializer("bias", ln.Bias)];
        return g.Node("LayerNormalization", inputs, ("axis", -shape.Length), ("epsilon", ln.Eps));
    }

    /// <summary>
    /// GroupNorm: (N, C, …) reshaped to (N, G, C/G·…) is normalised per (n, g) by InstanceNormalization (unit scale,
    /// zero shift), reshaped back, then scaled and shifted per channel.
    /// </summary>
    private static string GroupNorm(Module m, OnnxGraph g, string x)
    {
        var gn = (GroupNorm)m;
        var s = g.ShapeOf(x);
        if (s.Count < 2 || s[0] >= 0)
        {
            throw g.Refuse(m, $"expected (N, C, …) with the batch first, got {OnnxGraph.Format(s)}");
        }

        int groups = gn.NumGroups, perGroup = s.Skip(1).Aggregate(1, (a, b) => a * b) / groups;
        string grouped = g.Reshape(x, [-1, groups, perGroup]);
        string normed = g.Node("InstanceNormalization", [grouped, g.Initializer("ones", Filled(groups, 1), groups), g.Initializer("zeros", new float[groups], groups)],
            ("epsilon", gn.Eps));
        return Affine(g, g.Reshape(normed, s), gn.Weight, gn.Bias, s.Count);
    }

    /// <summary>y·γ + β with per-channel γ, β (dimension 1) stored as (C, 1, …, 1) to broadcast over the rank-<paramref name="rank"/> input.</summary>
    private static string Affine(OnnxGraph g, string y, Tensor? weight, Tensor? bias, int rank)
    {
        int[] dims = [.. Enumerable.Repeat(1, rank - 1)];
        if (weight is not null)
        {
            dims[0] = weight.Shape[0];
            y = g.Node("Mul", [y, g.Initializer("weight", weight.ToFloatArray(), dims)]);
        }

        if (bias is not null)
        {
            dims[0] = bias.Shape[0];
            y = g.Node("Add", [y, g.Initializer("bias", bias.ToFloatArray(), dims)]);
        }

        return y;
    }

    private static float[] Filled(int n, float value) => Enumerable.Repeat(value, n).ToArray();
}
