using Nabla.Formats;


namespace Nabla.Tests.Serialization;

/// <summary>
/// <see cref="ConfinedFolder"/>: paths named inside a file stay in its folder (or an allowed one), with links
/// resolved as the system resolves them, and only regular files are read.
/// </summary>
public class ConfinedFolderTests
{
    [Fact]
    public void A_path_inside_the_folder_resolves_to_its_real_path()
    {
        using var t = new ConfinementTree();
        var folder = new ConfinedFolder(t.Ex);
        string expected = Path.Combine(t.Ex, "sub", "model.yaml");
        Assert.Equal(expected, folder.Resolve("sub/model.yaml"));
        Assert.Equal(expected, folder.Resolve("sub/../sub/./model.yaml")); // '..' that stays inside is fine
        Assert.Equal(File.ReadAllBytes(expected), folder.ReadAllBytes("sub/model.yaml"));
    }

    [Theory]
    [InlineData("../outside/secret.txt", "leaves the folder")]
    [InlineData("sub/../../outside/secret.txt", "leaves the folder")]
    [InlineData("sub", "is a folder")]
    [InlineData("missing.yaml", "no such file")]
    [InlineData("", "not a valid path")]
    public void Escapes_folders_and_missing_files_are_refused_naming_the_path(string name, string problem)
    {
        using var t = new ConfinementTree();
        var e = Assert.Throws<InvalidFileException>(() => new ConfinedFolder(t.Ex).Resolve(name));
        Assert.Equal(name, e.File);
        Assert.Contains(problem, e.Problem, StringComparison.Ordinal);
        Assert.DoesNotContain(ConfinementTree.Secret, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_absolute_path_is_refused_unless_an_allowed_folder_holds_it()
    {
        using var t = new ConfinementTree();
        var e = Assert.Throws<InvalidFileException>(() => new ConfinedFolder(t.Ex).Resolve(t.SecretFile));
        Assert.Contains("absolute path", e.Problem, StringComparison.Ordinal);
        Assert.Equal(t.SecretFile, new ConfinedFolder(t.Ex, [t.Outside]).Resolve(t.SecretFile));
    }

    [Fact]
    public void Allowed_folders_widen_the_confinement()
    {
        using var t = new ConfinementTree();
        var folder = new ConfinedFolder(t.Ex, [t.Outside]);
        Assert.Equal(t.SecretFile, folder.Resolve("../outside/secret.txt"));
        Assert.Equal(File.ReadAllBytes(t.SecretFile), folder.ReadAllBytes("../outside/secret.txt"));
    }

    [Fact]
    public void A_link_leaving_the_folder_is_refused_and_one_inside_is_followed()
    {
        using var t = new ConfinementTree();
        File.CreateSymbolicLink(Path.Combine(t.Ex, "escape.yaml"), t.SecretFile);
        File.CreateSymbolicLink(Path.Combine(t.Ex, "relative-escape.yaml"), "../outside/secret.txt");
        Directory.CreateSymbolicLink(Path.Combine(t.Ex, "dir"), t.Outside);
        File.CreateSymbolicLink(Path.Combine(t.Ex, "inner.yaml"), "sub/model.yaml");
        var folder = new ConfinedFolder(t.Ex);
        foreach (var name in new[] { "escape.yaml", "relative-escape.yaml", "dir/secret.txt" })
        {
            var e = Assert.Throws<InvalidFileException>(() => folder.Resolve(name));
            Assert.Contains("leaves the folder", e.Problem, StringComparison.Ordinal);
        }

        Assert.Equal(Path.Combine(t.Ex, "sub", "model.yaml"), folder.Resolve("inner.yaml"));
    }

    [Fact]
    public void Dot_dot_after_a_link_is_the_parent_of_the_target_as_the_system_reads_it()
    {
        // ex/deep -> outside/sub, so ex/deep/../secret.txt opens outside/secret.txt; a lexical clean-up would give
        // ex/secret.txt (planted here as a decoy that must not be what Resolve answers).
        using var t = new ConfinementTree();
        Directory.CreateDirectory(Path.Combine(t.Outside, "sub"));
        Directory.CreateSymbolicLink(Path.Combine(t.Ex, "deep"), Path.Combine(t.Outside, "sub"));
        t.Write("secret.txt", "decoy: 1\n");
        var e = Assert.Throws<InvalidFileException>(() => new ConfinedFolder(t.Ex).Resolve("deep/../secret.txt"));
        Assert.Contains("leaves the folder", e.Problem, StringComparison.Ordinal);
        Assert.Equal(t.SecretFile, new ConfinedFolder(t.Ex, [t.Outside]).Resolve("deep/../secret.txt"));
    }

    [Fact]
    public void A_link_loop_is_refused()
    {
        using var t = new ConfinementTree();
        File.CreateSymbolicLink(Path.Combine(t.Ex, "a"), "b");
        File.CreateSymbolicLink(Path.Combine(t.Ex, "b"), "a");
        var e = Assert.Throws<InvalidFileException>(() => new ConfinedFolder(t.Ex).Resolve("a"));
        Assert.Contains("symbolic links", e.Problem, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/dev/zero")]
    [InlineData("/dev/null")]
    [InlineData("/proc/self/environ")]
    public void Devices_and_proc_files_are_not_regular_files_even_when_allowed(string path)
    {
        if (!File.Exists(path))
        {
            return; // not a Linux machine: nothing of the kind to refuse
        }

        using var t = new ConfinementTree();
        var folder = new ConfinedFolder(t.Ex, [Path.GetDirectoryName(path)!, "/proc"]);
        var e = Assert.Throws<InvalidFileException>(() => folder.ReadAllBytes(path));
        Assert.Contains("not a regular file", e.Problem, StringComparison.Ordinal);
        Assert.Throws<InvalidFileException>(() => ConfinedFolder.ReadFile(path));
    }
}
