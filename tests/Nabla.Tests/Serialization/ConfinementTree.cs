namespace Nabla.Tests.Serialization;

/// <summary>
/// A temporary tree for the confinement tests: <c>ex/</c> (the folder of the file naming paths, with
/// <c>ex/sub/model.yaml</c>) beside <c>outside/</c>, which holds a planted secret that must never be read or printed.
/// </summary>
internal sealed class ConfinementTree : IDisposable
{
    public const string Secret = "hunter2-7f3a9c";

    public ConfinementTree()
    {
        Root = Path.Combine(Path.GetTempPath(), $"nabla-conf-{Guid.NewGuid():N}");
        Directory.CreateDirectory(Path.Combine(Ex, "sub"));
        Directory.CreateDirectory(Outside);
        File.WriteAllText(Path.Combine(Ex, "sub", "model.yaml"), "input: [2]\nlayers:\n  - Linear: {inFeatures: 2, outFeatures: 1}\n");
        File.WriteAllText(SecretFile, $"NABLA_SECRET={Secret}\n");
    }

    public string Root { get; }

    public string Ex => Path.Combine(Root, "ex");

    public string Outside => Path.Combine(Root, "outside");

    /// <summary>outside/secret.txt: one line "NABLA_SECRET=…", as an environment dump would read.</summary>
    public string SecretFile => Path.Combine(Outside, "secret.txt");

    /// <summary>Writes <paramref name="text"/> to ex/<paramref name="name"/> and returns its path.</summary>
    public string Write(string name, string text)
    {
        string path = Path.Combine(Ex, name);
        File.WriteAllText(path, text);
        return path;
    }

    public void Dispose() => Directory.Delete(Root, recursive: true);
}
