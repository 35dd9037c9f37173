using System.CommandLine;
using Nabla.Explain;
using Nabla.Formats;

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
    public const string Examples = """
        Examples:
          nabla check examples/exercises/S0-Q3b-bptt-gradients.yaml --claims examples/exercises/checks/S0-Q3b-h4-wrong.claims.yaml
          nabla check exercise.yaml                              (the exercise's own claims: section)
          nabla check exercise.yaml --claims answers.yaml --format html > report.html
          nabla check exercise.yaml --claims students/ --report grades/   (grades.md and grades.csv)

        Exit status: 0 every claim right; 1 some claim wrong; 2 a bad argument or a bad exercise or claims file.
        """;

    /// <summary>Runs <c>nabla check</c> with <paramref name="args"/> (the words after <c>check</c>).</summary>
    public static int Run(string[] args, TextWriter output, TextWriter error) => NablaCommandLine.Invoke(["check", .. args], output, error);

    /// <summary>The <c>check</c> command: its options and the action that runs <see cref="Check"/>.</summary>
    internal static Command Create()
    {
        var (file, digits, allow) = ExplainCommand.Common();
        var claims = CliOptions.Text("--claims", "claims.yaml|FOLDER", "the claimed values (default: the exercise's own claims:); a FOLDER of claims files, one per student, gives a grade table");
        var report = CliOptions.Text("--report", "DIR", "where a FOLDER's grades.md and grades.csv go (default: that folder)");
        var format = CliOptions.Choice("--format", "output format for one claims file", "text", false, "text", "html");
        var command = new Command("check", "Right or wrong for each claimed value; blames the first wrong step and says why.")
        {
            file, claims, report, format, digits, allow,
        };
        command.SetAction(r => Check(r.GetValue(file)!, r.GetValue(claims), r.GetValue(report), r.GetValue(format)!, r.GetValue(digits), r.GetValue(allow) ?? [],
            r.InvocationConfiguration.Output, r.InvocationConfiguration.Error));
        return command;
    }

    private static int Check(string file, string? claimsFile, string? reportDir, string format, int? digits, string[] allowPaths, TextWriter output, TextWriter error)
    {
        try
        {
            var allowed = allowPaths.Select(ExplainCommand.AllowedFolder).ToList();
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
