using System.Text.Json.Nodes;
using Nabla.Formats;

namespace Nabla.Explain.Sections;

/// <summary>
/// <c>sensitivities: {of: h, wrt: [w1, w2]}</c>: the forward-mode recursion dh[t]/dw of a recurrent family
/// (rendered in the loss section's BPTT table).
/// </summary>
internal sealed class SensitivitiesSection : IExerciseSection
{
    public IReadOnlyList<string> Keys { get; } = ["sensitivities"];

    public void Parse(Exercise ex, YamlMapping top, ConfinedFolder folder)
    {
        if (top["sensitivities"] is YamlMapping sens)
        {
            ex.Sensitivities.Add((Exercise.Str(sens["of"]) ?? throw new YamlException("sensitivities needs 'of: family'", sens),
                Exercise.Names(sens["wrt"] ?? throw new YamlException("sensitivities needs 'wrt: [names]'", sens), "wrt")));
        }
    }

    public void Solve(Solution sol, SolveContext ctx) => Calculus.Sensitivities(sol, sol.Evaluation);

    public void Json(Solution sol, JsonObject root)
    {
        if (sol.Sensitivities.Count > 0)
        {
            root["sensitivities"] = JsonRenderer.Obj(sol.Sensitivities.Select(s => ($"d{s.Family}/d{s.Wrt}", (JsonNode?)new JsonArray(s.Values.Select(v => (JsonNode)JsonValue.Create(v.Value)!).ToArray()))));
        }
    }
}
