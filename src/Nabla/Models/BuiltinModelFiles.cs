using Nabla.Formats;

namespace Nabla.Models;

/// <summary>
/// The built-in model files (examples/models/*.yaml, embedded in the library): the classic zoo under torchvision's
/// names and LeNet-5. They are the one source of each built-in model: <c>nabla summary lenet5</c> reads the file, and
/// <c>Nabla.Training.BuiltinModels</c> (what <c>nabla train</c> trains) builds from it.
/// </summary>
public static class BuiltinModelFiles
{
    private const string Prefix = "Nabla.Models.Builtin.", Extension = ".yaml";

    /// <summary>The names, sorted (<c>alexnet</c>, <c>lenet5</c>, <c>resnet18</c>, ...).</summary>
    public static IReadOnlyList<string> Names { get; } = [.. typeof(BuiltinModelFiles).Assembly.GetManifestResourceNames()
        .Where(n => n.StartsWith(Prefix, StringComparison.Ordinal) && n.EndsWith(Extension, StringComparison.Ordinal))
        .Select(n => n[Prefix.Length..^Extension.Length]).Order(StringComparer.Ordinal)];

    /// <summary>The name as the files spell it: lower case, without <c>-</c> (<c>ResNet-18</c> → <c>resnet18</c>).</summary>
    public static string Normalize(string name) => name.ToLowerInvariant().Replace("-", string.Empty, StringComparison.Ordinal);

    /// <summary>Whether <paramref name="name"/> (see <see cref="Normalize"/>) is a built-in model.</summary>
    public static bool Contains(string name) => Names.Contains(Normalize(name));

    /// <summary>The model file's text.</summary>
    /// <exception cref="ArgumentException">No built-in model of that name (the message suggests the nearest).</exception>
    public static string Text(string name)
    {
        string key = Normalize(name);
        using var stream = typeof(BuiltinModelFiles).Assembly.GetManifestResourceStream(Prefix + key + Extension)
            ?? throw new ArgumentException($"no built-in model '{name}'{DidYouMean.Suggest(key, Names)} (built-in: {string.Join(", ", Names)})", nameof(name));
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    /// <summary>The model file <paramref name="name"/>, read (not built), with its switches set as given (see <see cref="ModelFile.Parse(string, IReadOnlyDictionary{string, bool}?)"/>).</summary>
    /// <exception cref="ArgumentException">No built-in model of that name.</exception>
    public static ModelDefinition Load(string name, IReadOnlyDictionary<string, bool>? options = null)
    {
        string text = Text(name);
        try
        {
            return ModelFile.Parse(text, options);
        }
        catch (YamlException e)
        {
            throw new YamlException($"built-in {Normalize(name)}", e);
        }
    }
}
