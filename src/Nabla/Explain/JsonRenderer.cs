using System.Text.Json;
using System.Text.Json.Nodes;
using Nabla.Explain.Sections;

namespace Nabla.Explain;

/// <summary>The solution as JSON: every named quantity at full precision (the format is documented in docs/explain.md).</summary>
internal static class JsonRenderer
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    private static readonly string[] LastKeys = ["models", "perceptron", "after"];

    public static string Render(Solution sol) => ToJson(sol).ToJsonString(Indented);

    public static JsonObject ToJson(Solution sol)
    {
        var ex = sol.Exercise;
        var root = new JsonObject { ["id"] = ex.Id };
        if (ex.Title is not null)
        {
            root["title"] = ex.Title;
        }

        foreach (var section in ExerciseSections.All)
        {
            section.Json(sol, root);
        }

        // The keys keep the order of earlier versions, which wrote these three last (outputs stay byte-identical).
        foreach (var key in LastKeys.Where(root.ContainsKey))
        {
            var node = root[key];
            root.Remove(key);
            root[key] = node;
        }

        root["trace"] = new JsonObject
        {
            ["forward_ops"] = sol.Trace.Count(s => s.Phase == TracePhase.Forward),
            ["backward_ops"] = sol.Trace.Count(s => s.Phase == TracePhase.Backward),
        };
        return root;
    }

    internal static JsonObject Obj(IEnumerable<(string Key, JsonNode? Value)> items)
    {
        var o = new JsonObject();
        foreach (var (k, v) in items)
        {
            o[k] = v;
        }

        return o;
    }

    internal static JsonArray Array(IEnumerable<double> values) => new(values.Select(v => (JsonNode?)Num(v)).ToArray());

    internal static JsonNode? Num(double v) => double.IsFinite(v) ? JsonValue.Create(v) : JsonValue.Create(v.ToString(System.Globalization.CultureInfo.InvariantCulture));

    /// <summary>A tensor as a number (scalar) or nested arrays.</summary>
    public static JsonNode? Value(Tensor t)
    {
        var values = t.Detach().ToDoubleArray();
        if (t.Rank == 0)
        {
            return Num(values[0]);
        }

        int index = 0;
        return Nest(t.Shape.ToArray(), 0, values, ref index);
    }

    private static JsonArray Nest(int[] shape, int dim, double[] values, ref int index)
    {
        var a = new JsonArray();
        for (int i = 0; i < shape[dim]; i++)
        {
            a.Add(dim == shape.Length - 1 ? Num(values[index++]) : Nest(shape, dim + 1, values, ref index));
        }

        return a;
    }
}
