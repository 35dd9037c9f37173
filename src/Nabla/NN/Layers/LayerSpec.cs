namespace Nabla.NN;

/// <summary>
/// A layer or block described by its type and arguments, without allocating any tensor: the common form of
/// the model file, of the summaries' analysis and of a <see cref="Module"/> written back out.
/// </summary>
/// <remarks>
/// <para><see cref="Type"/> is a PyTorch class name (<c>Conv2d</c>) or one of Nabla's blocks (<c>BasicBlock</c>,
/// <c>Branches</c>, <c>Residual</c>); <see cref="Args"/> holds the constructor arguments by their Nabla
/// (camelCase) names. Absent arguments take PyTorch's defaults (<see cref="LayerRegistry"/>). Values are
/// <see cref="int"/>, <see cref="double"/>, <see cref="bool"/>, <see cref="string"/> or <c>int[]</c>.</para>
/// <para>Containers: <c>Sequential</c> keeps its children in <see cref="Layers"/>; <c>Branches</c> and
/// <c>Residual</c> keep named sub-blocks in <see cref="Branches"/> (<c>body</c>, <c>shortcut</c>, <c>activation</c>
/// for a residual).</para>
/// </remarks>
public sealed record LayerSpec
{
    /// <summary>Creates a spec.</summary>
    public LayerSpec(string type, IReadOnlyDictionary<string, object>? args = null)
    {
        Type = type;
        Args = args ?? new Dictionary<string, object>();
    }

    /// <summary>The layer type (PyTorch class name).</summary>
    public string Type { get; }

    /// <summary>Constructor arguments by camelCase name; absent ones take their defaults.</summary>
    public IReadOnlyDictionary<string, object> Args { get; }

    /// <summary>An optional label (the model file's <c>name:</c>), shown in summaries; paths stay PyTorch-like.</summary>
    public string? Name { get; init; }

    /// <summary>
    /// The layer's name in its parent's state dict (the model file's <c>as:</c>), as <c>nn.Sequential(OrderedDict(...))</c>
    /// or a module attribute names it (torchvision's <c>conv1</c>, <c>layer1</c>, <c>fc</c>); null for the default: its
    /// position in a Sequential, its branch's name in a block.
    /// </summary>
    /// <remarks>
    /// In a block's expansion (<see cref="LayerDescriptor.Expand"/>) the empty string marks a container
    /// whose children are named directly in the block, as torchvision's blocks name theirs (<c>conv1</c>, not
    /// <c>body.conv1</c>); a model file cannot give it.
    /// </remarks>
    public string? Key { get; init; }

    /// <summary>Children of a <c>Sequential</c>, in order.</summary>
    public IReadOnlyList<LayerSpec> Layers { get; init; } = [];

    /// <summary>Named sub-blocks of <c>Branches</c> (its branches) or <c>Residual</c> (body, shortcut, activation).</summary>
    public IReadOnlyList<KeyValuePair<string, LayerSpec>> Branches { get; init; } = [];

    /// <summary>For a module with no known description: the module itself, analysed through its own shapes and tensors.</summary>
    public Module? Opaque { get; init; }

    /// <summary>Where the layer was written in a model file (1-based line; 0 when built in code).</summary>
    public int Line { get; init; }

    /// <summary>The 1-based column in the model file (0 when built in code).</summary>
    public int Column { get; init; }

    /// <summary>A Sequential of the given layers.</summary>
    public static LayerSpec Sequential(params LayerSpec[] layers) => new("Sequential") { Layers = layers };

    /// <summary>
    /// A Sequential whose children are named in its parent's namespace (<see cref="Key"/> ""), for a block's
    /// expansion: torchvision's <c>BasicBlock</c> runs <c>conv1</c>, <c>bn1</c>, … in its own forward.
    /// </summary>
    public static LayerSpec Inline(params LayerSpec[] layers) => new("Sequential") { Layers = layers, Key = string.Empty };

    /// <summary>This spec under the state-dict name <paramref name="key"/>.</summary>
    public LayerSpec As(string key) => this with { Key = key };

    /// <summary>The name of the child at <paramref name="index"/> of a Sequential: its key, else its position.</summary>
    public static string ChildName(LayerSpec child, int index) => child.Key ?? index.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Shorthand: a spec from a type and (name, value) argument pairs.</summary>
    public static LayerSpec Of(string type, params (string Name, object Value)[] args) =>
        new(type, args.ToDictionary(a => a.Name, a => a.Value));

    /// <summary>" (line L, column C)" when the spec came from a file, else empty.</summary>
    internal string Where => Line > 0 ? $" (line {Line}, column {Column})" : string.Empty;
}
