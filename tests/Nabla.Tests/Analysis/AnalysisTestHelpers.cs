using System.Text.Json;
using Nabla.Analysis;
using Nabla.Cli.Commands;
using Nabla.Models;

namespace Nabla.Tests.Analysis;

/// <summary>Shared helpers: model files from text, the CLI in-process, the repository's examples.</summary>
internal static class AnalysisTestHelpers
{
    public static ModelSummary Summary(string yaml, Shape? input = null) => ModelFile.Parse(yaml).Summarize(input);

    /// <summary>Runs <c>nabla summary</c> in-process; returns the exit code, stdout and stderr.</summary>
    public static (int Code, string Out, string Err) RunCli(params string[] args)
    {
        using var o = new StringWriter();
        using var e = new StringWriter();
        int code = SummaryCommand.Run(args, o, e);
        return (code, o.ToString(), e.ToString());
    }

    /// <summary>Writes <paramref name="yaml"/> to a temporary file, runs <c>nabla summary FILE --format json</c> and parses the output.</summary>
    public static JsonElement CliJson(string yaml, params string[] extra)
    {
        string path = Path.Combine(Path.GetTempPath(), $"nabla-summary-{Guid.NewGuid():N}.yaml");
        File.WriteAllText(path, yaml);
        try
        {
            var (code, output, err) = RunCli([path, "--format", "json", .. extra]);
            Assert.True(code == 0, err);
            return JsonDocument.Parse(output).RootElement.Clone();
        }
        finally
        {
            File.Delete(path);
        }
    }

    /// <summary>The JSON layer whose name or path is <paramref name="label"/>.</summary>
    public static JsonElement Layer(JsonElement summary, string label) =>
        summary.GetProperty("layers").EnumerateArray().First(l => l.GetProperty("name").ValueEquals(label) || l.GetProperty("path").ValueEquals(label));

    public static int[] Shape(JsonElement layer, string field = "output_shape") => [.. layer.GetProperty(field).EnumerateArray().Select(e => e.GetInt32())];

    public static string ExamplePath(string name)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string p = Path.Combine(dir.FullName, "examples", "models", name + ".yaml");
            if (File.Exists(p))
            {
                return p;
            }
        }

        throw new FileNotFoundException($"examples/models/{name}.yaml not found above {AppContext.BaseDirectory}");
    }
}
