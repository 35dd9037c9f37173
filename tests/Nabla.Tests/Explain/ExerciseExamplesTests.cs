using System.Text.Json.Nodes;
using Nabla.Cli.Commands;

namespace Nabla.Tests.Explain;

/// <summary>
/// Runs <c>nabla explain examples/exercises/&lt;id&gt;.yaml --format json</c> in-process for every reference problem and
/// compares the values named in expected.json (copied from PROBLEMS.md) with max(abs, rel·|expected|) tolerance.
/// </summary>
public class ExerciseExamplesTests
{
    internal static readonly string Root = FindRoot();

    private static readonly JsonObject Expected = (JsonObject)JsonNode.Parse(File.ReadAllText(Path.Combine(Root, "tests/Nabla.Tests/Explain/expected.json")))!;

    public static TheoryData<string> Cases()
    {
        var data = new TheoryData<string>();
        foreach (var (k, _) in Expected.Where(e => !e.Key.StartsWith('_')))
        {
            data.Add(k);
        }

        return data;
    }

    [SharedFact("seed-problems/PROBLEMS.md")]
    public void Every_reference_problem_has_an_exercise_and_expected_values()
    {
        var text = File.ReadAllText(SharedFactAttribute.SharedPath("seed-problems/PROBLEMS.md"));
        var ids = System.Text.RegularExpressions.Regex.Matches(text, @"^### (\S+)", System.Text.RegularExpressions.RegexOptions.Multiline).Select(m => m.Groups[1].Value).ToList();
        Assert.Equal(34, ids.Count);
        foreach (var id in ids)
        {
            Assert.True(File.Exists(Path.Combine(Root, "examples/exercises", id + ".yaml")), $"missing examples/exercises/{id}.yaml");
            Assert.True(Expected.ContainsKey(id), $"no expected values for {id}");
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Explain_json_matches_PROBLEMS_md(string key)
    {
        var entry = (JsonObject)Expected[key]!;
        string file = entry["file"]?.GetValue<string>() ?? key;
        var tol = entry["tol"]!.AsArray();
        double abs = tol[0]!.GetValue<double>(), rel = tol[1]!.GetValue<double>();
        var json = Run(Path.Combine(Root, "examples/exercises", file + ".yaml"));
        foreach (var (path, expected) in entry["expect"]!.AsObject())
        {
            var actual = Resolve(json, path);
            if (path.EndsWith("eigenvalues", StringComparison.Ordinal))
            {
                Compare(Sorted(expected!), Sorted(actual), abs, rel, $"{key}: {path}");
            }
            else
            {
                Compare(expected, actual, abs, rel, $"{key}: {path}");
            }
        }
    }

    internal static JsonNode Run(string file, params string[] extra)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        int rc = ExplainCommand.Run([file, "--format", "json", .. extra], output, error);
        Assert.True(rc == 0, $"explain {file} failed: {error}");
        return JsonNode.Parse(output.ToString())!;
    }

    private static JsonNode? Resolve(JsonNode node, string path)
    {
        JsonNode? cur = node;
        foreach (var seg in path.Split('|'))
        {
            Assert.True(cur is not null, $"{path}: nothing at '{seg}'");
            if (seg.Contains(':', StringComparison.Ordinal) && cur is JsonArray arr)
            {
                var parts = seg.Split(':');
                int from = int.Parse(parts[0], System.Globalization.CultureInfo.InvariantCulture);
                int to = parts[1].Length == 0 ? arr.Count : int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture);
                cur = new JsonArray(arr.Skip(from).Take(to - from).Select(n => n?.DeepClone()).ToArray());
            }
            else if (cur is JsonArray a && int.TryParse(seg, out int i))
            {
                cur = a[i];
            }
            else
            {
                Assert.True(cur is JsonObject o && o.ContainsKey(seg), $"{path}: no key '{seg}' (have: {(cur as JsonObject)?.Select(kv => kv.Key).Aggregate((x, y) => x + ", " + y)})");
                cur = cur![seg];
            }
        }

        return cur;
    }

    private static JsonNode Sorted(JsonNode? n) => new JsonArray(n!.AsArray().Select(v => v!.GetValue<double>()).Order().Select(v => (JsonNode?)JsonValue.Create(v)).ToArray());

    private static void Compare(JsonNode? expected, JsonNode? actual, double abs, double rel, string where)
    {
        switch (expected)
        {
            case JsonArray e:
                var a = Assert.IsType<JsonArray>(actual);
                Assert.True(e.Count == a.Count, $"{where}: {a.Count} elements, expected {e.Count}");
                for (int i = 0; i < e.Count; i++)
                {
                    Compare(e[i], a[i], abs, rel, $"{where}[{i}]");
                }

                break;
            case JsonValue v when v.TryGetValue<bool>(out var b):
                Assert.True(actual is JsonValue av && av.TryGetValue<bool>(out var ab) && ab == b, $"{where}: expected {b}, got {actual?.ToJsonString()}");
                break;
            case JsonValue v when v.TryGetValue<string>(out var s):
                Assert.Equal(s, actual?.GetValue<string>());
                break;
            default:
                double x = expected!.GetValue<double>(), y = actual!.GetValue<double>();
                Assert.True(Math.Abs(x - y) <= Math.Max(abs, rel * Math.Abs(x)), $"{where}: expected {x}, got {y}");
                break;
        }
    }

    private static string FindRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !Directory.Exists(Path.Combine(dir.FullName, "examples/exercises")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new DirectoryNotFoundException("examples/exercises not found above the test binaries");
    }
}
