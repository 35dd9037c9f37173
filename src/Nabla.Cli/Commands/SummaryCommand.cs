using System.CommandLine;
using System.Globalization;
using Nabla.Analysis;
using Nabla.Formats;
using Nabla.Models;

namespace Nabla.Cli.Commands;

/// <summary>
/// <c>nabla summary &lt;model.yaml|builtin&gt; [--input 1x32x32] [--format table|markdown|json] [--compare other.yaml]</c>:
/// prints a model's layer table (shapes, parameters, MACs, receptive fields) computed by shape arithmetic,
/// without building the model. Bad files print one clear message and exit with code 2.
/// </summary>
internal static class SummaryCommand
{
    /// <summary>The built-in models (examples/models/*.yaml, embedded in the library: <see cref="BuiltinModelFiles"/>).</summary>
    public static IReadOnlyList<string> Builtins => BuiltinModelFiles.Names;

    public const string Examples = """
        Examples:
          nabla summary lenet5
          nabla summary resnet18 --input 3x224x224 --format markdown
          nabla summary examples/models/vgg16.yaml --format=json
          nabla summary vgg16 --compare resnet18
          nabla summary googlenet --set aux_logits=true

        Exit status: 0 printed; 2 a bad argument or a bad model file (one line: file, line, column, problem).
        """;

    /// <summary>Runs <c>nabla summary</c> with <paramref name="args"/> (the words after <c>summary</c>).</summary>
    public static int Run(string[] args, TextWriter output, TextWriter error) => NablaCommandLine.Invoke(["summary", .. args], output, error);

    /// <summary>The <c>summary</c> command: its options and the action that runs <see cref="Print"/>.</summary>
    internal static Command Create()
    {
        var model = CliOptions.Positional("model", "model.yaml|builtin", $"a model file, or a built-in model: {string.Join(", ", Builtins)}");
        model.CompletionSources.Add([.. Builtins]);
        var input = new Option<Shape?>("--input")
        {
            HelpName = "1x32x32", Description = "per-sample input shape, channels x height x width (default: the file's input:)",
            CustomParser = r =>
            {
                try
                {
                    return ParseShape(r.Tokens.Count > 0 ? r.Tokens[^1].Value : "");
                }
                catch (ArgumentException e)
                {
                    r.AddError(e.Message);
                    return null;
                }
            },
        };
        var format = CliOptions.Choice("--format", "output format", "table", false, "table", "markdown", "json");
        var compare = CliOptions.Text("--compare", "other.yaml|builtin", "a second model to compare with, side by side");
        var set = CliOptions.Repeated("--set", "option=true|false", "sets an option the model file declares (googlenet: aux_logits); repeatable");
        var command = new Command("summary", "A model's layer table: shapes, parameters, MACs, receptive fields, by shape arithmetic (nothing is built).")
        {
            model, input, format, compare, set,
        };
        command.SetAction(r => Print(r.GetValue(model)!, r.GetValue(input), r.GetValue(format)!, r.GetValue(compare), r.GetValue(set) ?? [],
            r.InvocationConfiguration.Output, r.InvocationConfiguration.Error));
        return command;
    }

    private static int Print(string model, Shape? input, string format, string? compare, string[] set, TextWriter output, TextWriter error)
    {
        try
        {
            return Print(model, input, format, compare, ParseOptions(set), output);
        }
        catch (Exception e) when (e is InvalidFileException or ArgumentException or IOException or NotSupportedException or UnauthorizedAccessException)
        {
            error.WriteLine($"nabla summary: {e.Message}");
            return 2;
        }
    }

    private static int Print(string model, Shape? input, string format, string? compare, IReadOnlyDictionary<string, bool> options, TextWriter output)
    {
        var summary = Summarize(model, input, options);
        if (compare is not null)
        {
            // The options are the first model's: nabla summary googlenet --set aux_logits=true --compare googlenet.
            var comparison = new ModelComparison(summary, Summarize(compare, input, new Dictionary<string, bool>()));
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

    /// <summary>Loads a model file or a built-in model by name, with some of its options set.</summary>
    public static ModelDefinition Resolve(string model, IReadOnlyDictionary<string, bool>? options = null)
    {
        if (File.Exists(model))
        {
            return ModelFile.Load(model, options);
        }

        string name = BuiltinModelFiles.Normalize(Path.GetFileNameWithoutExtension(model));
        if (!BuiltinModelFiles.Contains(name))
        {
            throw new FileNotFoundException($"no file '{model}' and no built-in model of that name{DidYouMean.Suggest(name, Builtins)} (built-in: {string.Join(", ", Builtins)})");
        }

        return BuiltinModelFiles.Load(name, options);
    }

    /// <summary>"aux_logits=true" words → options (a model file's switches).</summary>
    internal static Dictionary<string, bool> ParseOptions(IEnumerable<string> words)
    {
        var options = new Dictionary<string, bool>(StringComparer.Ordinal);
        foreach (string word in words)
        {
            int eq = word.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0 || !bool.TryParse(word[(eq + 1)..], out bool value))
            {
                throw new ArgumentException($"--set '{word}': expected option=true or option=false, as in --set aux_logits=true");
            }

            options[word[..eq]] = value;
        }

        return options;
    }

    private static ModelSummary Summarize(string model, Shape? input, IReadOnlyDictionary<string, bool> options)
    {
        var def = Resolve(model, options);
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
