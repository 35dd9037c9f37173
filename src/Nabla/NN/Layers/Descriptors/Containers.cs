namespace Nabla.NN;

/// <summary>
/// A layer made of other layers: the analysis walks its children itself (paths, rows, joins), so a container's
/// descriptor builds and describes it and gives examples; <see cref="Analyze"/> is never called.
/// </summary>
/// <typeparam name="TModule">The module class.</typeparam>
public abstract class ContainerDescriptor<TModule>(IReadOnlyList<ArgDef> args, params string[] blockKeys) : LayerDescriptor<TModule>(args)
    where TModule : Module
{
    /// <inheritdoc/>
    public override bool IsContainer => true;

    /// <inheritdoc/>
    public override IReadOnlyList<string> BlockKeys => blockKeys;

    /// <inheritdoc/>
    public override LayerFacts Analyze(LayerSpec spec, Shape input) =>
        throw new InvalidOperationException($"{Name} is a container: the analysis walks its children");

    /// <summary>The specs of a module's named children.</summary>
    protected static KeyValuePair<string, LayerSpec>[] NamedChildren(Module m) =>
        [.. m.NamedChildren().Select(c => new KeyValuePair<string, LayerSpec>(c.Name, LayerRegistry.Describe(c.Module)))];

    /// <summary>A residual <c>activation(body(x) + shortcut(x))</c> for an expansion (shortcut and activation optional).</summary>
    protected static LayerSpec Residual(LayerSpec body, LayerSpec? shortcut, LayerSpec? activation) => new("Residual")
    {
        Branches = [new("body", body), .. shortcut is null ? [] : new[] { new KeyValuePair<string, LayerSpec>("shortcut", shortcut) },
            .. activation is null ? [] : new[] { new KeyValuePair<string, LayerSpec>("activation", activation) }],
    };

    /// <summary>Named branches joined by concatenation along the channels, for an expansion.</summary>
    protected static LayerSpec Concat(params (string Name, LayerSpec Branch)[] branches) =>
        new("Branches", new Dictionary<string, object> { ["join"] = "concat" }) { Branches = [.. branches.Select(b => new KeyValuePair<string, LayerSpec>(b.Name, b.Branch))] };

    /// <summary>A <c>Conv2d</c> spec (PyTorch's defaults left out).</summary>
    protected static LayerSpec Conv(int inC, int outC, int k, int stride = 1, int padding = 0, int groups = 1, bool bias = true) =>
        LayerRegistry.Find("Conv2d")!.SpecOf(("inChannels", inC), ("outChannels", outC), ("kernelSize", k), ("stride", stride), ("padding", padding), ("groups", groups), ("bias", bias));

    /// <summary>A <c>BatchNorm2d</c> spec.</summary>
    protected static LayerSpec Bn(int c, double eps = 1e-5) => LayerRegistry.Find("BatchNorm2d")!.SpecOf(("numFeatures", c), ("eps", eps));

    /// <summary>A layer without arguments (<c>ReLU</c>) under a state-dict name.</summary>
    protected static LayerSpec Plain(string type, string key) => new LayerSpec(type).As(key);

    /// <summary>A spec's sub-block, built.</summary>
    protected static Module? BuildBlock(LayerSpec s, string name) => s.Block(name) is { } b ? LayerRegistry.Build(b) : null;
}

/// <summary><c>nn.Sequential</c>.</summary>
public sealed class SequentialDescriptor() : ContainerDescriptor<Sequential>([], "layers")
{
    /// <inheritdoc/>
    public override IReadOnlyList<LayerExample> Examples =>
    [
        new(LayerSpec.Sequential(LayerSpec.Of("Linear", ("inFeatures", 4), ("outFeatures", 3)), new LayerSpec("ReLU")), new Shape(4)),
        new(LayerSpec.Sequential(
            LayerSpec.Of("Linear", ("inFeatures", 4), ("outFeatures", 3)).As("fc1"), new LayerSpec("ReLU").As("relu"),
            LayerSpec.Sequential(LayerSpec.Of("Linear", ("inFeatures", 3), ("outFeatures", 2)), new LayerSpec("Tanh").As("act")).As("head")), new Shape(4)),
    ];

    /// <inheritdoc/>
    public override Module Build(LayerSpec s) => new Sequential(s.Layers.Select((l, i) => (LayerSpec.ChildName(l, i), LayerRegistry.Build(l))));

    /// <inheritdoc/>
    public override string Formula(LayerSpec spec, Module layer, bool train) => $"y = the {spec.Layers.Count} layers applied in order";

    /// <inheritdoc/>
    protected override LayerSpec Describe(Sequential s) => new("Sequential")
    {
        // A child named by its position needs no key; any other name is written as 'as:'.
        Layers = [.. s.NamedChildren().Select((c, i) => LayerRegistry.Describe(c.Module) is var d && c.Name != LayerSpec.ChildName(d, i) ? d.As(c.Name) : d)],
    };
}

/// <summary>Named branches applied to the same input and joined by <c>add</c> or <c>concat</c> (along <c>dim</c>).</summary>
public sealed class BranchesDescriptor() : ContainerDescriptor<Branches>([new("join", ArgKind.String, null, true), new("dim", ArgKind.Int, 1)], "branches")
{
    /// <inheritdoc/>
    public override IReadOnlyList<LayerExample> Examples =>
    [
        new(new LayerSpec("Branches", new Dictionary<string, object> { ["join"] = "concat" })
        {
            Branches = [new("a", LayerSpec.Of("Conv2d", ("inChannels", 2), ("outChannels", 3), ("kernelSize", 1))), new("b", LayerSpec.Sequential())],
        }, new Shape(2, 4, 4)),
        new(new LayerSpec("Branches", new Dictionary<string, object> { ["join"] = "add" })
        {
            Branches = [new("a", new LayerSpec("ReLU")), new("b", new LayerSpec("Tanh"))],
        }, new Shape(3)),
    ];

    /// <inheritdoc/>
    public override Module Build(LayerSpec s) => new Branches(s.Str("join"), s.Branches.Select(b => (b.Key, LayerRegistry.Build(b.Value))), s.Int("dim"));

    /// <inheritdoc/>
    public override string Formula(LayerSpec spec, Module layer, bool train) =>
        $"y = {(spec.Str("join") == "add" ? "the sum" : $"the concatenation along dim {spec.Int("dim")}")} of the branches {string.Join(", ", spec.Branches.Select(b => b.Key))}";

    /// <inheritdoc/>
    protected override LayerSpec Describe(Branches b) => SpecOf(("join", b.Join), ("dim", b.Dim)) with { Branches = NamedChildren(b) };
}

/// <summary>y = activation(body(x) + shortcut(x)); the shortcut defaults to the identity.</summary>
public sealed class ResidualDescriptor() : ContainerDescriptor<Residual>([], "body", "shortcut", "activation")
{
    /// <inheritdoc/>
    public override IReadOnlyList<LayerExample> Examples =>
    [
        new(new LayerSpec("Residual")
        {
            Branches =
            [
                new("body", LayerSpec.Sequential(LayerSpec.Of("Conv2d", ("inChannels", 2), ("outChannels", 3), ("kernelSize", 3), ("padding", 1)))),
                new("shortcut", LayerSpec.Of("Conv2d", ("inChannels", 2), ("outChannels", 3), ("kernelSize", 1))), new("activation", new LayerSpec("ReLU")),
            ],
        }, new Shape(2, 5, 5)),
        new(new LayerSpec("Residual") { Branches = [new("body", LayerSpec.Sequential(new LayerSpec("Tanh")))] }, new Shape(4)),
    ];

    /// <inheritdoc/>
    public override Module Build(LayerSpec s) =>
        new Residual(BuildBlock(s, "body") ?? throw new ModelShapeException("a Residual needs a body"), BuildBlock(s, "shortcut"), BuildBlock(s, "activation"));

    /// <inheritdoc/>
    public override string Formula(LayerSpec spec, Module layer, bool train) =>
        spec.Block("activation") is null ? "y = body(x) + shortcut(x)" : "y = activation(body(x) + shortcut(x))";

    /// <inheritdoc/>
    protected override LayerSpec Describe(Residual r) => new("Residual") { Branches = NamedChildren(r) };
}

/// <summary>A head that leaves the main path (y = x) and, in training mode, gives an extra output (see <see cref="Auxiliary"/>).</summary>
public sealed class AuxiliaryDescriptor() : ContainerDescriptor<Auxiliary>([], "layers")
{
    /// <inheritdoc/>
    public override IReadOnlyList<LayerExample> Examples =>
    [
        new(new LayerSpec("Auxiliary")
        {
            Layers = [new LayerSpec("Flatten"), LayerSpec.Of("Linear", ("inFeatures", 8), ("outFeatures", 3)).As("fc")],
        }, new Shape(2, 2, 2)),
    ];

    /// <inheritdoc/>
    public override Module Build(LayerSpec s) => new Auxiliary(s.Layers.Select((l, i) => (LayerSpec.ChildName(l, i), LayerRegistry.Build(l))));

    /// <inheritdoc/>
    public override string Formula(LayerSpec spec, Module layer, bool train) =>
        $"y = x; in training mode also aux = the {spec.Layers.Count} head layers applied to x (an extra output, not on the main path)";

    /// <inheritdoc/>
    protected override LayerSpec Describe(Auxiliary a) => new("Auxiliary")
    {
        Layers = [.. a.NamedChildren().Select((c, i) => LayerRegistry.Describe(c.Module) is var d && c.Name != LayerSpec.ChildName(d, i) ? d.As(c.Name) : d)],
    };
}
