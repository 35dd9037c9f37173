using System.Globalization;
using System.Text;
using Nabla.Formats;

namespace Nabla.Explain;

/// <summary>One student's claims file: its name, and the claims or why it could not be read.</summary>
/// <param name="Student">The file name without <c>.yaml</c>/<c>.yml</c> and without a <c>.claims</c> suffix.</param>
/// <param name="File">The file's path, for messages.</param>
/// <param name="Claims">The claims mapping (a file's <c>claims:</c> or the file itself), or null when <paramref name="Error"/> says why.</param>
/// <param name="Error">Why the file could not be read or checked ("file: line L, column C: problem"), or null.</param>
internal sealed record StudentClaims(string Student, string File, YamlNode? Claims, string? Error);

/// <summary>One cell of the grade table.</summary>
/// <param name="Verdict">right, wrong or missing.</param>
/// <param name="Note">For a wrong claim: why (the blamed step) or which wrong claim it follows from; else empty.</param>
internal sealed record GradeCell(string Verdict, string Note)
{
    /// <summary>The cell as the table shows it: <c>right</c>, <c>missing</c>, <c>WRONG: why</c>, <c>wrong (because of x)</c>.</summary>
    public string Text => Note.Length == 0 ? Verdict : $"{Verdict}: {Note}";
}

/// <summary>One student's row: a cell per question, the number right, and a file error if any.</summary>
internal sealed record GradeRow(string Student, IReadOnlyList<GradeCell> Cells, int Right, string? Error);

/// <summary>The grade table of a folder of claims files: students × questions.</summary>
internal sealed record GradeTable(IReadOnlyList<string> Questions, IReadOnlyList<GradeRow> Rows)
{
    /// <summary>True when every student answered every question right and every file was read.</summary>
    public bool AllRight => Rows.All(r => r.Error is null && r.Right == Questions.Count);
}

/// <summary>
/// Grades the claims of several students against one solution with <see cref="Checker"/>. The questions are the names
/// claimed in any file, in the order they first appear (files in the given order); a student who leaves one out gets
/// <c>missing</c>. A
/// wrong claim that no other wrong claim explains is <c>WRONG</c> with the checker's reason (the blamed step); one that
/// follows from it is <c>wrong (because of x)</c>. A file that cannot be read or names an unknown quantity gets a row
/// with its error instead of aborting the others.
/// </summary>
internal static class Grading
{
    public static GradeTable Grade(Solution sol, IReadOnlyList<StudentClaims> students)
    {
        var reports = new List<(StudentClaims S, CheckReport? Report, string? Error)>();
        foreach (var s in students)
        {
            if (s.Error is not null || s.Claims is null)
            {
                reports.Add((s, null, s.Error ?? "no claims"));
                continue;
            }

            try
            {
                reports.Add((s, Checker.Check(sol, s.Claims), null));
            }
            catch (YamlException e)
            {
                reports.Add((s, null, (e.File is null ? new YamlException(s.File, e) : e).Message));
            }
        }

        var questions = reports.Where(r => r.Report is not null).SelectMany(r => r.Report!.Results.Select(c => c.Name))
            .Distinct(StringComparer.Ordinal).ToList();
        var rows = new List<GradeRow>();
        foreach (var (s, report, error) in reports)
        {
            if (report is null)
            {
                rows.Add(new GradeRow(s.Student, [.. questions.Select(_ => new GradeCell("missing", string.Empty))], 0, error));
                continue;
            }

            var cells = questions.Select(q => Cell(report, q)).ToList();
            rows.Add(new GradeRow(s.Student, cells, cells.Count(c => c.Verdict == "right"), null));
        }

        return new GradeTable(questions, rows);
    }

    private static GradeCell Cell(CheckReport report, string question)
    {
        var result = report.Results.FirstOrDefault(r => r.Name == question);
        if (result is null)
        {
            return new GradeCell("missing", string.Empty);
        }

        if (result.Right)
        {
            return new GradeCell("right", string.Empty);
        }

        if (report.Blames.FirstOrDefault(b => b.Name == question) is { } blame)
        {
            return new GradeCell("WRONG", blame.Why);
        }

        var causes = report.Blames.Where(b => b.Downstream.Contains(question)).Select(b => b.Name).ToList();
        return new GradeCell("wrong", causes.Count > 0 ? $"because of {string.Join(", ", causes)}" : string.Empty);
    }

    /// <summary>The table in Markdown: a row per student, a column per question, the score, then the file errors.</summary>
    public static string Markdown(GradeTable table)
    {
        static string Esc(string s) => s.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("|", "\\|", StringComparison.Ordinal).ReplaceLineEndings(" ");
        var sb = new StringBuilder();
        sb.Append("| student | ").Append(string.Join(" | ", table.Questions.Select(q => $"`{q}`"))).Append(" | score |\n");
        sb.Append("|---|").Append(string.Concat(table.Questions.Select(_ => "---|"))).Append("---|\n");
        foreach (var r in table.Rows)
        {
            var cells = r.Error is null ? r.Cells.Select(c => Esc(c.Text)) : table.Questions.Select(_ => "file error");
            sb.Append(CultureInfo.InvariantCulture, $"| {Esc(r.Student)} | {string.Join(" | ", cells)} | {r.Right}/{table.Questions.Count} |\n");
        }

        foreach (var r in table.Rows.Where(r => r.Error is not null))
        {
            sb.Append(CultureInfo.InvariantCulture, $"\n{Esc(r.Student)}: {Esc(r.Error!)}\n");
        }

        int perfect = table.Rows.Count(r => r.Error is null && r.Right == table.Questions.Count);
        sb.Append(CultureInfo.InvariantCulture, $"\n{perfect} of {table.Rows.Count} students have every answer right\n");
        return sb.ToString();
    }

    /// <summary>The table as CSV (RFC 4180): student, a column per question, right, questions, error.</summary>
    public static string Csv(GradeTable table)
    {
        static string Q(string s) => s.IndexOfAny([',', '"', '\n', '\r']) < 0 ? s : $"\"{s.Replace("\"", "\"\"", StringComparison.Ordinal)}\"";
        var sb = new StringBuilder();
        sb.Append(string.Join(",", ((string[])["student", .. table.Questions, "right", "questions", "error"]).Select(Q))).Append("\r\n");
        foreach (var r in table.Rows)
        {
            var cells = r.Error is null ? r.Cells.Select(c => c.Text) : table.Questions.Select(_ => "file error");
            sb.Append(string.Join(",", ((string[])[r.Student, .. cells, r.Right.ToString(CultureInfo.InvariantCulture),
                table.Questions.Count.ToString(CultureInfo.InvariantCulture), r.Error ?? string.Empty]).Select(Q))).Append("\r\n");
        }

        return sb.ToString();
    }
}
