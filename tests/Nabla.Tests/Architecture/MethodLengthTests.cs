using System.Text.RegularExpressions;

namespace Nabla.Tests.Architecture;

/// <summary>
/// The method-length ratchet: methods of more than <see cref="MaxLines"/> lines (signature to closing brace) may not
/// grow in number. Lower <see cref="Allowed"/> when one is split; never raise it.
/// </summary>
public partial class MethodLengthTests
{
    private const int MaxLines = 60;

    // 31 on 2026-12-06, when the ratchet was set (issue 16).
    private const int Allowed = 31;

    // A member with a parameter list whose body is a block on the following lines (Allman braces, as the code is written).
    [GeneratedRegex(@"^(\s+)(?:(?:public|private|internal|protected|static|override|virtual|abstract|sealed|async|unsafe|new|extern|partial|readonly)\s+)+[^=;{}]*?\b\w+(?:<[^>()]*>)?\((?!.*\)\s*;\s*$)")]
    private static partial Regex Signature();

    [Fact]
    public void Long_methods_do_not_grow_in_number()
    {
        var root = RepoRoot();
        var longOnes = Directory.EnumerateFiles(Path.Combine(root, "src"), "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .SelectMany(f => LongMethods(File.ReadAllLines(f)).Select(m => $"{Path.GetRelativePath(root, f)}:{m.Line}: {m.Lines} lines"))
            .ToList();
        Assert.True(longOnes.Count <= Allowed,
            $"{longOnes.Count} methods are over {MaxLines} lines, {Allowed} allowed (split the new one):\n" + string.Join("\n", longOnes));
    }

    [Fact]
    public void The_counter_measures_a_block_body_from_signature_to_closing_brace()
    {
        string[] code =
        [
            "public static class C",
            "{",
            "    public static int F(int x)",
            "    {",
            .. Enumerable.Repeat("        x++;", 60),
            "        return x;",
            "    }",
            "",
            "    private static int G(int x) => x switch",
            "    {",
            "        _ => x,",
            "    };",
            "}",
        ];
        var found = LongMethods(code).ToList();
        Assert.Equal([(3, 64)], found);
    }

    /// <summary>(1-based line of the signature, lines from signature to closing brace) of each method over the limit.</summary>
    internal static IEnumerable<(int Line, int Lines)> LongMethods(string[] lines)
    {
        for (int i = 0; i < lines.Length; i++)
        {
            var m = Signature().Match(lines[i]);
            if (!m.Success || Regex.IsMatch(lines[i], @"\b(class|record|struct|interface)\b"))
            {
                continue;
            }

            string indent = m.Groups[1].Value;
            int open = i;
            while (open < lines.Length && open < i + 15 && lines[open] != indent + "{" && !lines[open].TrimEnd().EndsWith(';'))
            {
                open++;
            }

            if (open >= lines.Length || lines[open] != indent + "{")
            {
                continue;
            }

            int close = open + 1;
            while (close < lines.Length && lines[close].TrimEnd() != indent + "}" && lines[close].TrimEnd() != indent + "};")
            {
                close++;
            }

            if (close - i + 1 > MaxLines)
            {
                yield return (i + 1, close - i + 1);
            }

            i = close;
        }
    }

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
}
