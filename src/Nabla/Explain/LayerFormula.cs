using System.Globalization;
using System.Text.Json.Nodes;
using Nabla.Analysis;
using Nabla.NN;

namespace Nabla.Explain;

/// <summary>What a layer computes, as a short formula with its settings (<c>y = conv2d(x, W) + b, 5x5, stride 1</c>): its descriptor's.</summary>
internal static class LayerFormula
{
    public static string Of(LayerSpec spec, Module layer, bool train) =>
        LayerRegistry.Find(spec.Type)?.Formula(spec, layer, train) ?? $"y = {spec.Type}(x)";
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
