using Nabla.NN;

namespace Nabla.Onnx;

// The activations registered after the first exporter: ONNX's own operator where opset 17 has one with PyTorch's
// formula (HardSigmoid, HardSwish, Celu, Selu, Softsign, PRelu, Clip), else a composition of elementary operators.
public static partial class OnnxEmitters
{
    /// <summary>min(max(x, lo), hi) as Clip, whose bounds are inputs since opset 11.</summary>
    private static string Clip(OnnxGraph g, string x, double lo, double hi) =>
        g.Node("Clip", [x, g.Scalar("min", (float)lo), g.Scalar("max", (float)hi)]);

    /// <summary>Hardsigmoid: relu6(x + 3)/6 = max(0, min(1, x/6 + ½)), ONNX's HardSigmoid with α = 1/6, β = ½ (its defaults are 0.2, 0.5).</summary>
    private static string Hardsigmoid(Module m, OnnxGraph g, string x) =>
        g.Node("HardSigmoid", x, ("alpha", 1f / 6), ("beta", 0.5f));

    /// <summary>SELU with PyTorch's α and λ written out (ONNX's defaults are the same constants rounded to float32).</summary>
    private static string Selu(Module m, OnnxGraph g, string x) =>
        g.Node("Selu", x, ("alpha", (float)F.SeluAlpha), ("gamma", (float)F.SeluScale));

    /// <summary>SiLU: x·σ(x).</summary>
    private static string Silu(Module m, OnnxGraph g, string x) => g.Node("Mul", [x, g.Node("Sigmoid", x)]);

    /// <summary>Mish: x·tanh(softplus(x)); ONNX's Mish operator is opset 18.</summary>
    private static string Mish(Module m, OnnxGraph g, string x) => g.Node("Mul", [x, g.Node("Tanh", g.Node("Softplus", x))]);

    /// <summary>LogSigmoid: −softplus(−x), as Nabla computes it (ONNX has no LogSigmoid).</summary>
    private static string LogSigmoid(Module m, OnnxGraph g, string x) => g.Node("Neg", g.Node("Softplus", g.Node("Neg", x)));

    /// <summary>
    /// Softplus with β and the threshold: z = β·x; y = x where z &gt; threshold, else softplus(z)/β (ONNX's Softplus has
    /// neither: the Mul, Div and Where are left out where β = 1 makes them the identity).
    /// </summary>
    private static string Softplus(Module m, OnnxGraph g, string x)
    {
        var s = (Softplus)m;
        bool one = s.Beta == 1;
        string z = one ? x : g.Node("Mul", [x, g.Scalar("beta", (float)s.Beta)]);
        string soft = g.Node("Softplus", z);
        soft = one ? soft : g.Node("Div", [soft, g.Scalar("beta", (float)s.Beta)]);
        return g.Node("Where", [g.Node("Greater", [z, g.Scalar("threshold", (float)s.Threshold)]), x, soft]);
    }

    /// <summary>Threshold: value where x ≤ threshold, else x (LessOrEqual, so that NaN stays NaN as in Nabla and PyTorch).</summary>
    private static string Threshold(Module m, OnnxGraph g, string x)
    {
        var t = (Threshold)m;
        return g.Node("Where", [g.Node("LessOrEqual", [x, g.Scalar("threshold", (float)t.ThresholdValue)]), g.Scalar("value", (float)t.Value), x]);
    }

    /// <summary>
    /// PReLU: ONNX's PRelu, whose slope broadcasts from the right: one slope as a 1-element vector, or C slopes (one per
    /// channel, dimension 1) reshaped by a node to (C, 1, …, 1) for the input's rank (the initializer keeps the
    /// parameter's key and shape).
    /// </summary>
    private static string Prelu(Module m, OnnxGraph g, string x)
    {
        var p = (PReLU)m;
        int rank = g.ShapeOf(x).Count;
        if (p.NumParameters == 1)
        {
            return g.Node("PRelu", [x, g.Initializer("weight", p.Weight)]);
        }

        if (rank < 2)
        {
            throw g.Refuse(m, $"{p.NumParameters} slopes need an input (N, C, …), got {OnnxGraph.Format(g.ShapeOf(x))}");
        }

        long[] dims = [p.NumParameters, .. Enumerable.Repeat(1L, rank - 2)];
        return g.Node("PRelu", [x, g.Node("Reshape", [g.Initializer("weight", p.Weight), g.Int64s("shape", dims)])]);
    }
}
