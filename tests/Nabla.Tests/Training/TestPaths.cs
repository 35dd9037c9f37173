namespace Nabla.Tests.Training;

/// <summary>Paths the training tests need: the repository root, the shared MNIST folder, scratch folders.</summary>
internal static class TestPaths
{
    /// <summary>The folder holding Nabla.slnx, found by walking up from the test binaries.</summary>
    public static string RepoRoot()
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

    /// <summary>../shared/data/mnist relative to the repository root, or null when it is absent.</summary>
    public static string? MnistDir()
    {
        string dir = Path.GetFullPath(Path.Combine(RepoRoot(), "..", "shared", "data", "mnist"));
        return File.Exists(Path.Combine(dir, "t10k-images-idx3-ubyte.gz")) ? dir : null;
    }

    /// <summary>A new empty scratch folder.</summary>
    public static string TempDir()
    {
        string dir = Path.Combine(Path.GetTempPath(), "nabla-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        return dir;
    }
}

/// <summary>A fact that is skipped, with the reason shown, when the real MNIST digits are not in ../shared/data/mnist.</summary>
public sealed class MnistFactAttribute : FactAttribute
{
    /// <summary>Sets <see cref="FactAttribute.Skip"/> when the data folder is absent.</summary>
    public MnistFactAttribute()
    {
        if (TestPaths.MnistDir() is null)
        {
            Skip = "MNIST data not found: this test reads ../shared/data/mnist (relative to the folder holding Nabla.slnx), " +
                "which a fresh clone does not have; copy t10k-images-idx3-ubyte.gz and t10k-labels-idx1-ubyte.gz there to run it";
        }
    }
}
