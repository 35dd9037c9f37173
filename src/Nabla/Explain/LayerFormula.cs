using System.Globalization;
using System.Text.Json.Nodes;
using Nabla.Analysis;
using Nabla.NN;

namespace Nabla.Explain;

/// <summary>What a layer computes, as a short formula with its settings (<c>y = conv2d(x, W) + b, 5x5, stride 1</c>).</summary>
internal static class LayerFormula
{
    public static string Of(LayerSpec spec, Module layer, bool train)
    {
        string P((int H, int W) p) => p.H == p.W ? p.H.ToString(CultureInfo.InvariantCulture) : $"{p.H}x{p.W}";
        string Window(string name)
        {
            var k = spec.Pair("kernelSize");
            int? stride = spec.OptionalInt("stride");
            return $"{name} over {P(k)}{(k.H == k.W && spec.Type.EndsWith("2d", StringComparison.Ordinal) ? $"x{k.W}" : string.Empty)} windows, stride {stride?.ToString(CultureInfo.InvariantCulture) ?? P(k)}";
        }

        string Bias(string core) => layer.NamedParameters(recurse: false).Any(p => p.Name == "bias") ? $"{core} + b" : core;
        string Conv(string op) => Bias($"y = {op}(x, W)") +
            $", kernel {P(spec.Pair("kernelSize"))}, stride {P(spec.Pair("stride"))}, padding {(spec.Arg("padding") is string mode ? mode : P(spec.Pair("padding")))}";
        string Norm(string over) => $"y = γ·(x − mean)/√(var + ε) + β over {over}, {(train ? "batch statistics" : "running statistics")}";
        return spec.Type switch
        {
            "Linear" => Bias("y = W·x") + $", W [{spec.Int("outFeatures")}, {spec.Int("inFeatures")}]",
            "Conv1d" => Conv("conv1d"),
            "Conv2d" => Conv("conv2d"),
            "ConvTranspose2d" => Conv("conv_transpose2d"),
            "MaxPool1d" or "MaxPool2d" => "y = " + Window("max"),
            "AvgPool1d" or "AvgPool2d" => "y = " + Window("mean"),
            "AdaptiveAvgPool1d" or "AdaptiveAvgPool2d" => "y = mean over windows giving the output size " + ArgText(spec, "outputSize"),
            "AdaptiveMaxPool2d" => "y = max over windows giving the output size " + ArgText(spec, "outputSize"),
            "ReLU" => "y = max(0, x)",
            "Tanh" => "y = tanh(x)",
            "Sigmoid" => "y = 1/(1 + e^(−x))",
            "LeakyReLU" => $"y = x if x > 0 else {Num(spec.Double("negativeSlope"))}·x",
            "ELU" => $"y = x if x > 0 else {Num(spec.Double("alpha"))}·(e^x − 1)",
            "GELU" => "y = x·Φ(x)" + (spec.Str("approximate") == "tanh" ? " (tanh approximation)" : string.Empty),
            "Softmax" => $"y = e^x / Σ e^x over dim {spec.Int("dim")}",
            "LogSoftmax" => $"y = x − log Σ e^x over dim {spec.Int("dim")}",
            "Flatten" => $"y = x reshaped, dims {spec.Int("startDim")}..{spec.Int("endDim")} joined",
            "Unflatten" => $"y = x reshaped, dim {spec.Int("dim")} split into {ArgText(spec, "unflattenedSize")}",
            "Reshape" => $"y = x reshaped, each sample to {ArgText(spec, "shape")}",
            "Permute" => $"y = x with its dims reordered to {ArgText(spec, "dims")}",
            "BatchNorm1d" or "BatchNorm2d" => Norm("the batch, per channel"),
            "LayerNorm" => Norm("the last dims " + ArgText(spec, "normalizedShape")).Replace("batch statistics", "per sample", StringComparison.Ordinal).Replace("running statistics", "per sample", StringComparison.Ordinal),
            "Dropout" or "Dropout2d" => train ? $"y = x·mask/(1 − p), p = {Num(spec.Double("p"))} (training mode)" : "y = x (evaluation mode)",
            "Identity" => "y = x",
            "ZeroPad2d" => "y = x padded with zeros " + ArgText(spec, "padding"),
            _ => $"y = {spec.Type}(x)",
        };
    }

    private static string ArgText(LayerSpec spec, string name) => spec.Arg(name) switch
    {
        int[] a => $"[{string.Join(", ", a)}]",
        var v => Convert.ToString(v, CultureInfo.InvariantCulture) ?? string.Empty,
    };

    private static string Num(double v) => Format.Number(v, 6);
}

/// <summary>A tensor in a few words: all values when small; else min, max, mean and the first values; gradients with their norm.</summary>
internal static class TensorSummary
{
    /// <summary>Tensors up to this many elements are shown in full (text) .</summary>
    public const int FullText = 12;

    /// <summary>Tensors up to this many elements are written in full in JSON.</summary>
    public const int FullJson = 64;

    /// <summary>How many leading values a summary shows.</summary>
    public const int First = 5;

    public static string Text(Tensor t, int digits)
    {
        if (t.Numel <= FullText)
        {
            return Format.Tensor(t, digits);
        }

        var v = t.Detach().ToDoubleArray();
        return $"min {Format.Number(v.Min(), digits)}, max {Format.Number(v.Max(), digits)}, mean {Format.Number(v.Average(), digits)}, first {Firsts(v, digits)}";
    }

    /// <summary>‖t‖ and, for a large tensor, its first values.</summary>
    public static string Gradient(Tensor g, int digits)
    {
        var v = g.Detach().ToDoubleArray();
        string norm = $"‖·‖ = {Format.Number(Norm(v), digits)}";
        return g.Numel <= FullText ? $"{norm}: {Format.Tensor(g, digits)}" : $"{norm}, first {Firsts(v, digits)}";
    }

    public static double Norm(double[] v) => Math.Sqrt(v.Sum(x => x * x));

    private static string Firsts(double[] v, int digits) => $"[{string.Join(", ", v.Take(First).Select(x => Format.Number(x, digits)))}, …]";

    public static JsonObject Json(Tensor t)
    {
        var v = t.Detach().ToDoubleArray();
        var o = new JsonObject
        {
            ["shape"] = new JsonArray(t.Shape.ToArray().Select(d => (JsonNode?)JsonValue.Create(d)).ToArray()),
            ["min"] = v.Length > 0 ? v.Min() : null,
            ["max"] = v.Length > 0 ? v.Max() : null,
            ["mean"] = v.Length > 0 ? v.Average() : null,
            ["norm"] = Norm(v),
            ["first"] = new JsonArray(v.Take(First).Select(x => (JsonNode?)JsonValue.Create(x)).ToArray()),
        };
        if (t.Numel <= FullJson)
        {
            o["values"] = JsonRenderer.Value(t);
        }

        return o;
    }
}
