using Nabla.Explain;
using Nabla.Serialization;

namespace Nabla.Cli.Commands;

/// <summary>
/// <c>nabla check &lt;exercise.yaml&gt; [--claims claims.yaml|FOLDER] [--report DIR] [--digits N] [--format text|html] [--allow-path DIR]...</c>:
/// compares claimed values (from the claims file, or the exercise's own <c>claims:</c>) with the computed ones, reports
/// each as right or wrong, blames the earliest wrong quantity others depend on and says why. The files the exercise
/// names are read only inside its folder and the <c>--allow-path</c> folders. Exit code 0 when all claims are right, 1
/// when any is wrong, 2 on a bad file (one line: file, line, column, problem). With <c>--claims FOLDER</c> it grades
/// every claims file of the folder instead (<see cref="GradeCommand"/>).
/// </summary>
internal static class CheckCommand
{
    public const string Usage = "nabla check <exercise.yaml> [--claims claims.yaml|FOLDER] [--report DIR] [--digits N] [--format text|html] [--allow-path DIR]...";

    public static int Run(string[] args, TextWriter output, TextWriter error)
    {
        try
        {
            string? file = null, claimsFile = null, reportDir = null, format = "text";
            int? digits = null;
            var allowed = new List<string>();
            for (int i = 0; i < args.Length; i++)
            {
                string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value ({Usage})");
                switch (args[i])
                {
                    case "--claims":
                        claimsFile = Next();
                        break;
                    case "--format":
                        format = Next();
                        if (format is not ("text" or "html"))
                        {
                            throw new ArgumentException($"--format must be text or html, got '{format}'");
                        }

                        break;
                    case "--digits":
                        digits = int.TryParse(Next(), out int d) && d is > 0 and <= 17 ? d : throw new ArgumentException("--digits must be 1..17");
                        break;
                    case "--report":
                        reportDir = Next();
                        break;
                    case "--allow-path":
                        allowed.Add(ExplainCommand.AllowedFolder(Next()));
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
            if (claimsFile is not null && Directory.Exists(claimsFile))
            {
                if (format != "text")
                {
                    throw new ArgumentException("--format html is for one claims file; a folder is graded into Markdown and CSV tables");
                }

                return GradeCommand.Run(ExplainCommand.Solve(exercise, digits, file), claimsFile, reportDir, output, error);
            }

            if (reportDir is not null)
            {
                throw new ArgumentException("--report DIR is for grading a folder of claims files (--claims FOLDER)");
            }

            YamlNode claims;
            if (claimsFile is not null)
            {
                var root = ParseClaims(claimsFile);
                claims = root is YamlMapping m && m["claims"] is { } inner ? inner : root;
            }
            else
            {
                claims = exercise.Claims ?? throw new ArgumentException($"{file} has no 'claims:' and no --claims file was given");
            }

            var solution = ExplainCommand.Solve(exercise, digits, file);
            CheckReport report;
            try
            {
                report = Checker.Check(solution, claims);
            }
            catch (YamlException e) when (e.File is null)
            {
                throw new YamlException(claimsFile ?? file, e);
            }

            output.Write(format == "html" ? HtmlRenderer.RenderCheck(report, solution) : CheckRenderer.Render(report, solution.Digits));
            return report.AllRight ? 0 : 1;
        }
        catch (Exception e) when (e is InvalidFileException or ArgumentException or IOException or NotSupportedException or UnauthorizedAccessException or InvalidOperationException)
        {
            error.WriteLine($"nabla check: {e.Message}");
            return 2;
        }
    }

    private static YamlNode ParseClaims(string claimsFile)
    {
        string text = ConfinedFolder.ReadText(claimsFile);
        try
        {
            return YamlParser.Parse(text);
        }
        catch (YamlException e)
        {
            throw new YamlException(claimsFile, e);
        }
    }
}
