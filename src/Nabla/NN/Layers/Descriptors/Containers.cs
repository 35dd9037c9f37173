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

    /// <summary>A spec's sub-block, built.</summary>
    protected static Module? BuildBlock(LayerSpec s, string name) => s.Block(name) is { } b ? LayerRegistry.Build(b) : null;
}

/// <summary><c>nn.Sequential</c>.</summary>
public sealed class SequentialDescriptor() : ContainerDescriptor<Sequential>([], "layers")
{
    /// <inheritdoc/>
    public override IReadOnlyList<LayerExample> Examples =>
        [new(LayerSpec.Sequential(LayerSpec.Of("Linear", ("inFeatures", 4), ("outFeatures", 3)), new LayerSpec("ReLU")), new Shape(4))];

    /// <inheritdoc/>
    public override Module Build(LayerSpec s) => new Sequential([.. s.Layers.Select(LayerRegistry.Build)]);

    /// <inheritdoc/>
    public override string Formula(LayerSpec spec, Module layer, bool train) => $"y = the {spec.Layers.Count} layers applied in order";

    /// <inheritdoc/>
    protected override LayerSpec Describe(Sequential s) => new("Sequential") { Layers = [.. s.Children().Select(LayerRegistry.Describe)] };
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

/// <summary>The ResNet blocks' arguments.</summary>
internal static class ResNetArgs
{
    public static readonly ArgDef[] Args = [new("inPlanes", ArgKind.Int, null, true), new("planes", ArgKind.Int, null, true), new("stride", ArgKind.Int, 1)];
}

/// <summary>ResNet's basic block (two 3x3 convolutions), torchvision's names.</summary>
public sealed class BasicBlockDescriptor() : ContainerDescriptor<BasicBlock>(ResNetArgs.Args)
{
    /// <inheritdoc/>
    public override IReadOnlyList<LayerExample> Examples =>
        [new(LayerSpec.Of("BasicBlock", ("inPlanes", 2), ("planes", 4), ("stride", 2)), new Shape(2, 6, 6)), new(LayerSpec.Of("BasicBlock", ("inPlanes", 3), ("planes", 3)), new Shape(3, 4, 4))];

    /// <inheritdoc/>
    public override Module Build(LayerSpec s) => new BasicBlock(s.Int("inPlanes"), s.Int("planes"), s.Int("stride"));

    /// <inheritdoc/>
    public override string Formula(LayerSpec spec, Module layer, bool train) => "y = relu(bn2(conv2(relu(bn1(conv1(x))))) + shortcut(x))";

    /// <inheritdoc/>
    protected override LayerSpec Describe(BasicBlock b) => SpecOf(("inPlanes", b.Conv1.InChannels), ("planes", b.Conv1.OutChannels), ("stride", b.Conv1.Geometry.Stride.H));
}

/// <summary>ResNet's bottleneck block (1x1, 3x3, 1x1 with expansion 4), torchvision's names.</summary>
public sealed class BottleneckDescriptor() : ContainerDescriptor<Bottleneck>(ResNetArgs.Args)
{
    /// <inheritdoc/>
    public override IReadOnlyList<LayerExample> Examples => [new(LayerSpec.Of("Bottleneck", ("inPlanes", 4), ("planes", 2), ("stride", 2)), new Shape(4, 5, 5))];

    /// <inheritdoc/>
    public override Module Build(LayerSpec s) => new Bottleneck(s.Int("inPlanes"), s.Int("planes"), s.Int("stride"));

    /// <inheritdoc/>
    public override string Formula(LayerSpec spec, Module layer, bool train) => "y = relu(bn3(conv3(relu(bn2(conv2(relu(bn1(conv1(x)))))))) + shortcut(x))";

    /// <inheritdoc/>
    protected override LayerSpec Describe(Bottleneck b) => SpecOf(("inPlanes", b.Conv1.InChannels), ("planes", b.Conv1.OutChannels), ("stride", b.Conv2.Geometry.Stride.H));
}

/// <summary>GoogLeNet's Inception module as in the paper (convolutions with bias, ReLU).</summary>
public sealed class InceptionV1Descriptor() : ContainerDescriptor<InceptionV1>(
    [.. new[] { "inChannels", "ch1x1", "ch3x3Reduce", "ch3x3", "ch5x5Reduce", "ch5x5", "poolProj" }.Select(n => new ArgDef(n, ArgKind.Int, null, true))])
{
    /// <inheritdoc/>
    public override IReadOnlyList<LayerExample> Examples =>
    [
        new(LayerSpec.Of("InceptionV1", ("inChannels", 3), ("ch1x1", 2), ("ch3x3Reduce", 2), ("ch3x3", 3), ("ch5x5Reduce", 1), ("ch5x5", 2), ("poolProj", 2)), new Shape(3, 6, 6)),
    ];

    /// <inheritdoc/>
    public override Module Build(LayerSpec s) =>
        new InceptionV1(s.Int("inChannels"), s.Int("ch1x1"), s.Int("ch3x3Reduce"), s.Int("ch3x3"), s.Int("ch5x5Reduce"), s.Int("ch5x5"), s.Int("poolProj"));

    /// <inheritdoc/>
    public override string Formula(LayerSpec spec, Module layer, bool train) => "y = concatenation of 1x1, 3x3, 5x5 and pooled branches along channels";

    /// <inheritdoc/>
    protected override LayerSpec Describe(InceptionV1 i)
    {
        static Conv2d Conv(Sequential s, int index) => (Conv2d)s[index];
        return SpecOf(("inChannels", Conv(i.Branch1, 0).InChannels), ("ch1x1", Conv(i.Branch1, 0).OutChannels),
            ("ch3x3Reduce", Conv(i.Branch2, 0).OutChannels), ("ch3x3", Conv(i.Branch2, 2).OutChannels),
            ("ch5x5Reduce", Conv(i.Branch3, 0).OutChannels), ("ch5x5", Conv(i.Branch3, 2).OutChannels), ("poolProj", Conv(i.Branch4, 1).OutChannels));
    }
}
