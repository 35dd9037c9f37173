using Nabla.Formats;
using Nabla.NN;

namespace Nabla.Models;

/// <summary>A model as the model file describes it: a name, the per-sample input shape and the layers, not yet built.</summary>
/// <param name="Name">The model's name, or null.</param>
/// <param name="InputShape">The per-sample input shape (<c>input: [1, 32, 32]</c>), or null when the file gives none.</param>
/// <param name="Model">The layers (a Sequential at the top).</param>
/// <remarks>Summaries and checked building (<c>Summarize</c>, <c>Build</c>) are extension methods in <c>Nabla.Analysis</c>: they need the shape arithmetic.</remarks>
public sealed record ModelDefinition(string? Name, Shape? InputShape, LayerSpec Model);

/// <summary>
/// Reads and writes the model file: YAML with the layers in PyTorch's names and arguments, and the input shape.
/// </summary>
/// <remarks>
/// <code>
/// name: lenet5
/// input: [1, 32, 32]            # per sample: channels, height, width
/// layers:
///   - Conv2d: {inChannels: 1, outChannels: 6, kernelSize: 5}
///     name: C1                  # optional label shown in summaries
///   - Tanh
///   - AvgPool2d: {kernelSize: 2}
///   - Branches:                 # named branches joined by add or concat
///       join: concat
///       branches:
///         a: [ReLU]
///         b: []                 # empty: the identity
///   - Auxiliary:                # a head off the main path: an extra output in training
///       layers: [Flatten, {Linear: {inFeatures: 400, outFeatures: 10}, as: fc}]
///     as: aux1
///     if: aux_logits            # kept only when the option is on
/// options: {aux_logits: false}  # switches and their defaults
/// </code>
/// Argument names are camelCase (<c>kernelSize</c>) or PyTorch's snake_case (<c>kernel_size</c>). The layer types and
/// their arguments are those of <see cref="LayerRegistry"/>. See docs/summary.md.
/// </remarks>
public static class ModelFile
{
    /// <summary>Parses a model file's text.</summary>
    /// <exception cref="YamlException">The file is malformed or names an unknown layer or argument; the message gives line and column.</exception>
    public static ModelDefinition Parse(string yaml) => Parse(yaml, options: null);

    /// <summary>
    /// Parses a model file's text with some of its options (<c>options: {aux_logits: false}</c>) set: a layer marked
    /// <c>if: aux_logits</c> is kept only when that option is true (see docs/summary.md).
    /// </summary>
    /// <exception cref="YamlException">The file is malformed or names an unknown layer, argument or option.</exception>
    /// <exception cref="ArgumentException"><paramref name="options"/> names an option the file does not declare.</exception>
    public static ModelDefinition Parse(string yaml, IReadOnlyDictionary<string, bool>? options) => ModelFileReader.Read(YamlParser.Parse(yaml), options);

    /// <summary>Parses the text of the model file <paramref name="file"/>; errors start with the file's name.</summary>
    /// <exception cref="YamlException">The file is malformed; the message reads "file: line L, column C: problem".</exception>
    public static ModelDefinition Parse(string yaml, string file) => Parse(yaml, file, null);

    /// <summary>Parses the text of the model file <paramref name="file"/> with some of its options set; errors start with the file's name.</summary>
    /// <exception cref="YamlException">The file is malformed; the message reads "file: line L, column C: problem".</exception>
    /// <exception cref="ArgumentException"><paramref name="options"/> names an option the file does not declare.</exception>
    public static ModelDefinition Parse(string yaml, string file, IReadOnlyDictionary<string, bool>? options)
    {
        try
        {
            return Parse(yaml, options);
        }
        catch (YamlException e)
        {
            throw new YamlException(file, e);
        }
    }

    /// <summary>Reads a model file from disk (a regular file of at most <see cref="ReadLimits.MaxBytes"/>).</summary>
    /// <exception cref="InvalidFileException">
    /// The file cannot be read or is malformed (a <see cref="YamlException"/>); the message starts with the path.
    /// </exception>
    public static ModelDefinition Load(string path) => Load(path, null);

    /// <summary>Reads a model file from disk with some of its options set (see <see cref="Parse(string, IReadOnlyDictionary{string, bool})"/>).</summary>
    /// <exception cref="InvalidFileException">The file cannot be read or is malformed.</exception>
    /// <exception cref="ArgumentException"><paramref name="options"/> names an option the file does not declare.</exception>
    public static ModelDefinition Load(string path, IReadOnlyDictionary<string, bool>? options) => Parse(ConfinedFolder.ReadText(path), path, options);

    /// <summary>Writes a built module as a model file (the inverse of building it).</summary>
    /// <exception cref="NotSupportedException">The module contains a type the model file cannot describe.</exception>
    public static string Write(Module module, Shape? inputShape = null, string? name = null) =>
        Write(new ModelDefinition(name, inputShape, LayerRegistry.Describe(module)));

    /// <summary>Writes a definition as a model file.</summary>
    public static string Write(ModelDefinition definition)
    {
        var entries = new List<KeyValuePair<YamlScalar, YamlNode>>();
        if (definition.Name is string n)
        {
            entries.Add(new(new YamlScalar("name"), new YamlScalar(n)));
        }

        if (definition.InputShape is Shape s)
        {
            entries.Add(new(new YamlScalar("input"), new YamlSequence([.. s.Select(d => new YamlScalar(ModelFileReader.Format(d)))])));
        }

        var root = definition.Model.Type == "Sequential" && definition.Model.Opaque is null ? definition.Model : LayerSpec.Sequential(definition.Model);
        entries.Add(new(new YamlScalar("layers"), List(root)));
        return YamlWriter.Write(new YamlMapping(entries));
    }

    private static YamlSequence List(LayerSpec sequential) => new([.. sequential.Layers.Select(Node)]);

    private static YamlNode LayerOrList(LayerSpec s) => s.Type == "Sequential" && s.Opaque is null && s.Name is null && s.Key is null ? List(s) : Node(s);

    private static List<KeyValuePair<YamlScalar, YamlNode>> Arguments(LayerSpec s) =>
    [
        .. s.Args.Select(kv => new KeyValuePair<YamlScalar, YamlNode>(new YamlScalar(kv.Key), kv.Value switch
        {
            int[] a => new YamlSequence([.. a.Select(x => new YamlScalar(ModelFileReader.Format(x)))]),
            double[] a => new YamlSequence([.. a.Select(x => new YamlScalar(ModelFileReader.Format(x)))]),
            var v => new YamlScalar(ModelFileReader.Format(v)),
        })),
    ];

    private static YamlNode Node(LayerSpec s)
    {
        if (s.Opaque is not null)
        {
            throw new NotSupportedException($"the model file cannot describe a {s.Type} module (known layers: {string.Join(", ", LayerRegistry.Names)})");
        }

        var args = Arguments(s);
        YamlNode body;
        if (s.Type == "Sequential")
        {
            body = List(s);
        }
        else
        {
            if (s.Type == "Branches")
            {
                args.Add(new(new YamlScalar("branches"), new YamlMapping([.. s.Branches.Select(b => new KeyValuePair<YamlScalar, YamlNode>(new YamlScalar(b.Key), LayerOrList(b.Value)))])));
            }
            else
            {
                args.AddRange(s.Branches.Select(b => new KeyValuePair<YamlScalar, YamlNode>(new YamlScalar(b.Key), LayerOrList(b.Value))));
            }

            if (s.Layers.Count > 0)
            {
                // A container other than Sequential that holds a list (an Auxiliary head): 'layers:' among its arguments.
                args.Add(new(new YamlScalar("layers"), List(s)));
            }

            if (args.Count == 0 && s.Name is null && s.Key is null)
            {
                return new YamlScalar(s.Type);
            }

            body = new YamlMapping(args);
        }

        var entries = new List<KeyValuePair<YamlScalar, YamlNode>> { new(new YamlScalar(s.Type), body) };
        if (s.Name is string label)
        {
            entries.Add(new(new YamlScalar("name"), new YamlScalar(label)));
        }

        if (s.Key is string key)
        {
            entries.Add(new(new YamlScalar("as"), new YamlScalar(key)));
        }

        return new YamlMapping(entries);
    }
}
