using Nabla.Explain;
using Nabla.Serialization;

namespace Nabla.Cli.Commands;

/// <summary>
/// <c>nabla explain &lt;exercise.yaml&gt; [--format text|markdown|json|dot|html] [--digits N] [--png DIR]</c>: prints the worked
/// solution of an exercise, computed by the engine. Bad files print one message with line and column, exit code 2.
/// </summary>
internal static class ExplainCommand
{
    public const string Usage = "nabla explain <exercise.yaml> [--format text|markdown|json|dot|html] [--digits N] [--png DIR]";

    public static int Run(string[] args, TextWriter output, TextWriter error)
    {
        try
        {
            string? file = null, format = "text", png = null;
            int? digits = null;
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

            var exercise = Exercise.Load(file);
            var solution = Solver.Solve(exercise, digits);
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
        catch (Exception e) when (e is YamlException or ArgumentException or IOException or NotSupportedException or UnauthorizedAccessException or InvalidOperationException)
        {
            error.WriteLine($"nabla explain: {e.Message}");
            return 2;
        }
    }
}
