using Nabla.Explain;
using Nabla.Formats;

namespace Nabla.Cli.Commands;

/// <summary>
/// <c>nabla check &lt;exercise.yaml&gt; --claims FOLDER [--report DIR]</c>: grades every claims file of the folder (one
/// per student, <c>*.yaml</c> and <c>*.yml</c>, read only inside the folder) and writes the table students × questions
/// as <c>grades.md</c> and <c>grades.csv</c> into <c>--report DIR</c> (default: the claims folder), printing the
/// Markdown. Exit code 0 when every student has every answer right, 1 otherwise.
/// </summary>
internal static class GradeCommand
{
    public static int Run(Solution solution, string folder, string? reportDir, TextWriter output, TextWriter error)
    {
        var confined = new ConfinedFolder(Path.GetFullPath(folder));
        var files = Directory.EnumerateFiles(folder)
            .Select(Path.GetFileName).OfType<string>()
            .Where(n => n.EndsWith(".yaml", StringComparison.OrdinalIgnoreCase) || n.EndsWith(".yml", StringComparison.OrdinalIgnoreCase))
            .Order(StringComparer.Ordinal).ToList();
        if (files.Count == 0)
        {
            throw new ArgumentException($"--claims {folder}: the folder has no .yaml or .yml claims files");
        }

        var students = files.Select(n => Read(confined, folder, n)).ToList();
        var table = Grading.Grade(solution, students);
        string markdown = Grading.Markdown(table);
        string dir = reportDir ?? folder;
        Directory.CreateDirectory(dir);
        string md = Path.Combine(dir, "grades.md"), csv = Path.Combine(dir, "grades.csv");
        File.WriteAllText(md, markdown);
        File.WriteAllText(csv, Grading.Csv(table));
        output.Write(markdown);
        error.WriteLine($"wrote {md} and {csv}");
        return table.AllRight ? 0 : 1;
    }

    // A file that cannot be read or parsed becomes the student's error; the other students are still graded.
    private static StudentClaims Read(ConfinedFolder confined, string folder, string name)
    {
        string student = Path.GetFileNameWithoutExtension(name);
        student = student.EndsWith(".claims", StringComparison.Ordinal) ? student[..^".claims".Length] : student;
        string path = Path.Combine(folder, name);
        try
        {
            var root = YamlParser.Parse(ConfinedFolder.Decode(confined.ReadAllBytes(name)));
            return new StudentClaims(student, path, root is YamlMapping m && m["claims"] is { } inner ? inner : root, null);
        }
        catch (YamlException e) when (e.File is null)
        {
            return new StudentClaims(student, path, null, new YamlException(path, e).Message);
        }
        catch (InvalidFileException e)
        {
            return new StudentClaims(student, path, null, e.Message);
        }
    }
}
