using Nabla.Explain;
using Nabla.Serialization;

namespace Nabla.Cli.Commands;

/// <summary>
/// <c>nabla explain &lt;exercise.yaml&gt; [--format text|markdown|json|dot|html] [--digits N] [--png DIR] [--allow-path DIR]...</c>:
/// prints the worked solution of an exercise, computed by the engine. The files the exercise names are read only
/// inside its folder and the <c>--allow-path</c> folders. Bad files print one message with the file, line and
/// column, exit code 2.
/// </summary>
internal static class ExplainCommand
{
    public const string Usage = "nabla explain <exercise.yaml> [--format text|markdown|json|dot|html] [--digits N] [--png DIR] [--allow-path DIR]...";

    public static int Run(string[] args, TextWriter output, TextWriter error)
    {
        try
        {
            string? file = null, format = "text", png = null;
            int? digits = null;
            var allowed = new List<string>();
            for (int i = 0; i < args.Length; i++)
            {
                string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value ({Usage})");
                switch (args[i])
                {
                    case "--format":
                        format = Next();
                        if (format is not ("text" or "markdown" or "json" or "dot" or "html"))
                        {
                            throw new ArgumentException($"--format must be text, markdown, json, dot or html, got '{format}'");
                        }

                        break;
                    case "--digits":
                        digits = int.TryParse(Next(), out int d) && d is > 0 and <= 17 ? d : throw new ArgumentException("--digits must be 1..17");
                        break;
                    case "--png":
                        png = Next();
                        break;
                    case "--allow-path":
                        allowed.Add(AllowedFolder(Next()));
                        break;
                    case var a when a.StartsWith('-'):
                        throw new ArgumentException($"unknown option '{a}' ({Usage})");
                    default:
                        file = file is null ? args[i] : throw new ArgumentException($"one exercise at a time ({Usage})");
                        break;
                }
            }

            if (file is null)
            {
                throw new ArgumentException($"which exercise? {Usage}");
            }

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
