using System.CommandLine;
using Nabla.Explain;
using Nabla.Formats;

namespace Nabla.Cli.Commands;

/// <summary>
/// <c>nabla explain &lt;exercise.yaml&gt; [--format text|markdown|json|dot|html] [--digits N] [--png DIR] [--allow-path DIR]...</c>:
/// prints the worked solution of an exercise, computed by the engine. The files the exercise names are read only
/// inside its folder and the <c>--allow-path</c> folders. Bad files print one message with the file, line and
/// column, exit code 2.
/// </summary>
internal static class ExplainCommand
{
    public const string Examples = """
        Examples:
          nabla explain examples/exercises/S0-Q3b-bptt-gradients.yaml
          nabla explain exercise.yaml --format=markdown --digits 6
          nabla explain exercise.yaml --format html --png pictures > page.html
          nabla explain examples/exercises/lenet5-forward-backward.yaml --allow-path examples/models

        Exit status: 0 explained; 2 a bad argument or a bad exercise file (one line: file, line, column, problem).
        """;

    /// <summary>Runs <c>nabla explain</c> with <paramref name="args"/> (the words after <c>explain</c>).</summary>
    public static int Run(string[] args, TextWriter output, TextWriter error) => NablaCommandLine.Invoke(["explain", .. args], output, error);

    /// <summary>The options shared by <c>explain</c> and <c>check</c>.</summary>
    internal static (Argument<string> File, Option<int?> Digits, Option<string[]> AllowPath) Common() =>
        (CliOptions.Positional("exercise", "exercise.yaml", "the exercise file"),
         CliOptions.Int("--digits", "N", "significant digits shown (default: the exercise's, else 4)", min: 1, max: 17),
         CliOptions.Repeated("--allow-path", "DIR", "a further folder the exercise may read files from (repeatable; docs/security.md)"));

    /// <summary>The <c>explain</c> command: its options and the action that runs <see cref="Explain"/>.</summary>
    internal static Command Create()
    {
        var (file, digits, allow) = Common();
        var format = CliOptions.Choice("--format", "output format", "text", false, "text", "markdown", "json", "dot", "html");
        var png = CliOptions.Text("--png", "DIR", "also draw the exercise's pictures (kernels, feature maps) as PNGs into DIR");
        var command = new Command("explain", "The worked solution of an exercise (forward, loss, chain rule, BPTT table, updates, Hessians), computed by the engine.")
        {
            file, format, digits, png, allow,
        };
        command.SetAction(r => Explain(r.GetValue(file)!, r.GetValue(format)!, r.GetValue(digits), r.GetValue(png), r.GetValue(allow) ?? [],
            r.InvocationConfiguration.Output, r.InvocationConfiguration.Error));
        return command;
    }

    private static int Explain(string file, string format, int? digits, string? png, string[] allowPaths, TextWriter output, TextWriter error)
    {
        try
        {
            var allowed = allowPaths.Select(AllowedFolder).ToList();
            var exercise = Exercise.Load(file, allowed);
            var solution = Solve(exercise, digits, file);
            output.Write(format switch
            {
                "json" => JsonRenderer.Render(solution) + Environment.NewLine,
                "markdown" => TextRenderer.Render(solution, markdown: true),
                "dot" => DotRenderer.Render(solution),
                "html" => HtmlRenderer.Render(solution),
                _ => TextRenderer.Render(solution, markdown: false),
            });
            if (png is not null)
            {
                foreach (var written in Pictures.Write(solution, png))
                {
                    error.WriteLine($"wrote {written}");
                }
            }

            return 0;
        }
        catch (Exception e) when (e is InvalidFileException or ArgumentException or IOException or NotSupportedException or UnauthorizedAccessException or InvalidOperationException)
        {
            error.WriteLine($"nabla explain: {e.Message}");
            return 2;
        }
    }

    /// <summary>The folder of <c>--allow-path DIR</c>, which must exist.</summary>
    internal static string AllowedFolder(string dir) =>
        Directory.Exists(dir) ? dir : throw new ArgumentException($"--allow-path {dir}: no such folder");

    /// <summary>Solves the exercise; an error at a position in it names <paramref name="file"/>.</summary>
    internal static Solution Solve(Exercise exercise, int? digits, string file)
    {
        try
        {
            return Solver.Solve(exercise, digits);
        }
        catch (YamlException e) when (e.File is null)
        {
            throw new YamlException(file, e);
        }
    }
}
