using System.Reflection;
using System.Text.RegularExpressions;

namespace Nabla.Tests.Architecture;

/// <summary>Layering and size rules from the DESIGN (Layering; Principle 8).</summary>
public partial class ArchitectureTests
{
    private const int MaxLines = 600;

    [GeneratedRegex(@"\bTensor\b")]
    private static partial Regex TensorWord();

    private static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Nabla.slnx")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"no Nabla.slnx above {AppContext.BaseDirectory}");
    }

    private static IEnumerable<string> SourceFiles(string under) =>
        Directory.EnumerateFiles(Path.Combine(RepoRoot(), under), "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                     && !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal));

    [Fact]
    public void Kernel_sources_do_not_mention_Tensor()
    {
        var offenders = new List<string>();
        foreach (var file in SourceFiles(Path.Combine("src", "Nabla", "Ops", "Kernels")))
        {
            var lines = File.ReadAllLines(file);
            for (int i = 0; i < lines.Length; i++)
            {
                if (TensorWord().IsMatch(lines[i]))
                {
                    offenders.Add($"{Path.GetFileName(file)}:{i + 1}: {lines[i].Trim()}");
                }
            }
        }

        Assert.True(offenders.Count == 0, "Ops/Kernels must work on spans only:\n" + string.Join("\n", offenders));
    }

    [Fact]
    public void Kernel_types_do_not_reference_Tensor()
    {
        const BindingFlags all = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;
        var offenders = new List<string>();
        foreach (var t in typeof(Tensor).Assembly.GetTypes().Where(t => t.Namespace == "Nabla.Ops.Kernels"))
        {
            var used = t.GetFields(all).Select(f => f.FieldType)
                .Concat(t.GetProperties(all).Select(p => p.PropertyType))
                .Concat(t.GetMethods(all).SelectMany(m => m.GetParameters().Select(p => p.ParameterType).Append(m.ReturnType)))
                .Concat(t.GetConstructors(all).SelectMany(c => c.GetParameters().Select(p => p.ParameterType)));
            foreach (var u in used)
            {
                var e = u.HasElementType ? u.GetElementType()! : u;
                if (e == typeof(Tensor) || (e.IsGenericType && e.GetGenericArguments().Contains(typeof(Tensor))))
                {
                    offenders.Add($"{t.FullName} uses {u}");
                }
            }
        }

        Assert.True(offenders.Count == 0, string.Join("\n", offenders));
    }

    [Fact]
    public void No_arrow_points_up_or_sideways_between_folders()
    {
        var violations = Layering.Violations(typeof(Tensor).Assembly);
        Assert.True(violations.Count == 0, "layering (tests/Nabla.Tests/Architecture/Layering.cs):\n" + string.Join("\n", violations));
    }

    [Fact]
    public void Namespaces_follow_folders()
    {
        var wrong = Layering.MisplacedNamespaces(LibrarySources());
        Assert.True(wrong.Count == 0, string.Join("\n", wrong));
    }

    [Theory]
    [InlineData("Nabla.NN", "Nabla.Analysis", false)] // up
    [InlineData("Nabla.Training", "Nabla.Explain", false)] // sideways between siblings
    [InlineData("Nabla.Data", "Nabla.NN", false)] // sideways between siblings
    [InlineData("Nabla.Formats", "Nabla.Models", false)] // up
    [InlineData("Nabla.Ops.Kernels", "Nabla", false)] // kernels below Core
    [InlineData("Nabla.Analysis", "Nabla.NN", true)] // down
    [InlineData("Nabla.Ops", "Nabla", true)] // within Core
    [InlineData("Nabla.Training.Plots", "Nabla.Training", true)] // within a folder
    public void The_layering_rule_allows_only_downward_arrows(string from, string to, bool allowed) =>
        Assert.Equal(allowed, Layering.Allowed(Layering.LayerOf(from)!.Value, Layering.LayerOf(to)!.Value));

    private static List<(string Path, string Text)> LibrarySources()
    {
        string root = Path.Combine(RepoRoot(), "src", "Nabla");
        return [.. SourceFiles(Path.Combine("src", "Nabla")).Select(f => (Path.GetRelativePath(root, f).Replace('\\', '/'), File.ReadAllText(f)))];
    }

    [Fact]
    public void No_source_file_is_over_the_size_budget()
    {
        var tooLong = SourceFiles("src").Concat(SourceFiles("tests"))
            .Select(f => (File: Path.GetRelativePath(RepoRoot(), f), Lines: File.ReadLines(f).Count()))
            .Where(f => f.Lines > MaxLines)
            .Select(f => $"{f.File}: {f.Lines} lines")
            .ToList();
        Assert.True(tooLong.Count == 0, $"files over {MaxLines} lines:\n" + string.Join("\n", tooLong));
    }
}
