namespace Nabla.Tests;

/// <summary>
/// A fact that reads a file from ../shared (beside the repository root) and is skipped, with the reason shown,
/// when that file is absent: a fresh clone elsewhere has no ../shared.
/// </summary>
public sealed class SharedFactAttribute : FactAttribute
{
    /// <summary>Skips unless ../shared/<paramref name="relativePath"/> exists.</summary>
    public SharedFactAttribute(string relativePath)
    {
        if (!File.Exists(SharedPath(relativePath)))
        {
            Skip = $"../shared/{relativePath} not found (it sits beside the repository root on the project's machines; a fresh clone elsewhere has none)";
        }
    }

    /// <summary>The full path of ../shared/<paramref name="relativePath"/>, relative to the folder holding Nabla.slnx.</summary>
    public static string SharedPath(string relativePath)
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Nabla.slnx")))
        {
            dir = dir.Parent;
        }

        return Path.Combine(dir?.FullName ?? AppContext.BaseDirectory, "..", "shared", relativePath);
    }
}
