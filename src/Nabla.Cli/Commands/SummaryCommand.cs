using System.Globalization;
using Nabla.Analysis;
using Nabla.Serialization;

namespace Nabla.Cli.Commands;

/// <summary>
/// <c>nabla summary &lt;model.yaml|builtin&gt; [--input 1x32x32] [--format table|markdown|json] [--compare other.yaml]</c>:
/// prints a model's layer table (shapes, parameters, MACs, receptive fields) computed by shape arithmetic,
/// without building the model. Bad files print one clear message and exit with code 2.
/// </summary>
internal static class SummaryCommand
{
    public const string Usage = "nabla summary <model.yaml|builtin> [--input 1x32x32] [--format table|markdown|json] [--compare other.yaml]";

    /// <summary>The built-in example models (examples/models/*.yaml, embedded in the tool).</summary>
    public static IReadOnlyList<string> Builtins { get; } = [.. typeof(SummaryCommand).Assembly.GetManifestResourceNames()
        .Where(n => n.StartsWith("models/", StringComparison.Ordinal) && n.EndsWith(".yaml", StringComparison.Ordinal))
        .Select(n => n["models/".Length..^".yaml".Length]).Order(StringComparer.Ordinal)];

    public static int Run(string[] args, TextWriter output, TextWriter error)
    {
        try
        {
            return RunOrThrow(args, output);
        }
        catch (Exception e) when (e is InvalidFileException or ArgumentException or IOException or NotSupportedException or UnauthorizedAccessException)
        {
            error.WriteLine($"nabla summary: {e.Message}");
            return 2;
        }
    }

    private static int RunOrThrow(string[] args, TextWriter output)
    {
        string? model = null, compare = null, format = "table";
        Shape? input = null;
        for (int i = 0; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value ({Usage})");
            switch (args[i])
            {
                case "--input":
                    input = ParseShape(Next());
                    break;
                case "--format":
                    format = Next();
                    if (format is not ("table" or "markdown" or "json"))
                    {
                        throw new ArgumentException($"--format must be table, markdown or json, got '{format}'");
                    }

                    break;
                case "--compare":
                    compare = Next();
                    break;
                case var a when a.StartsWith('-'):
                    throw new ArgumentException($"unknown option '{a}' ({Usage})");
                default:
                    model = model is null ? args[i] : throw new ArgumentException($"one model at a time (got '{model}' and '{args[i]}'); use --compare for a second");
                    break;
            }
        }

        if (model is null)
        {
            throw new ArgumentException($"which model? {Usage}\nBuilt-in models: {string.Join(", ", Builtins)}");
        }

        var summary = Summarize(model, input);
        if (compare is not null)
        {
            var comparison = new ModelComparison(summary, Summarize(compare, input));
            switch (format)
            {
                case "json":
                    output.WriteLine(SummaryJson.ToJson(comparison));
                    break;
                default:
                    SummaryRenderer.ToText(comparison, output, markdown: format == "markdown");
                    break;
            }

            return 0;
        }

        switch (format)
        {
            case "json":
                output.WriteLine(SummaryJson.ToJson(summary));
                break;
            case "markdown":
                SummaryRenderer.ToMarkdown(summary, output);
                break;
            default:
                SummaryRenderer.ToText(summary, output);
                break;
        }

        return 0;
    }

    /// <summary>Loads a model file or a built-in model by name.</summary>
    public static ModelDefinition Resolve(string model)
    {
        if (File.Exists(model))
        {
            return ModelFile.Load(model);
        }

        string name = Path.GetFileNameWithoutExtension(model).ToLowerInvariant().Replace("-", string.Empty, StringComparison.Ordinal);
        using var stream = typeof(SummaryCommand).Assembly.GetManifestResourceStream($"models/{name}.yaml");
        if (stream is null)
        {
            throw new FileNotFoundException($"no file '{model}' and no built-in model of that name{ModelFileReader.Suggest(name, Builtins)} (built-in: {string.Join(", ", Builtins)})");
        }

        using var reader = new StreamReader(stream);
        try
        {
            return ModelFile.Parse(reader.ReadToEnd());
        }
        catch (YamlException e)
        {
            throw new YamlException($"built-in {name}", e);
        }
    }

    private static ModelSummary Summarize(string model, Shape? input)
    {
        var def = Resolve(model);
        if (input is null && def.InputShape is null)
        {
            throw new ArgumentException($"{model}: the file gives no input shape; pass one, e.g. --input 3x224x224");
        }

        return def.Summarize(input);
    }

    /// <summary>"1x32x32", "1,32,32" or "[1, 32, 32]" → a per-sample shape.</summary>
    public static Shape ParseShape(string text)
    {
        var parts = text.Trim('[', ']', '(', ')', ' ').Split(['x', 'X', ',', '×'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var dims = new int[parts.Length];
        for (int i = 0; i < parts.Length; i++)
        {
            if (!int.TryParse(parts[i], NumberStyles.None, CultureInfo.InvariantCulture, out dims[i]) || dims[i] <= 0)
            {
                throw new ArgumentException($"--input '{text}': expected positive sizes such as 1x32x32 (channels x height x width, no batch)");
            }
        }

        return parts.Length > 0 ? new Shape(dims) : throw new ArgumentException($"--input '{text}' is empty");
    }
}
