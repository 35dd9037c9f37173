namespace Nabla.NN;

/// <summary>The ResNet blocks' arguments.</summary>
internal static class ResNetArgs
{
    public static readonly ArgDef[] Args = [new("inPlanes", ArgKind.Int, null, true), new("planes", ArgKind.Int, null, true), new("stride", ArgKind.Int, 1)];

    /// <summary>torchvision's projection shortcut (1x1 convolution without bias + BatchNorm), when the stride or width changes; else null.</summary>
    public static LayerSpec? Downsample(int inPlanes, int outPlanes, int stride) =>
        stride != 1 || inPlanes != outPlanes
            ? LayerSpec.Sequential(
                LayerRegistry.Find("Conv2d")!.SpecOf(("inChannels", inPlanes), ("outChannels", outPlanes), ("kernelSize", 1), ("stride", stride), ("bias", false)),
                LayerSpec.Of("BatchNorm2d", ("numFeatures", outPlanes))).As("downsample")
            : null;
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
    /// <remarks>The ReLUs (functional in this module; torchvision's one <c>relu</c> module holds nothing) change no figure and are left out.</remarks>
    public override LayerSpec Expand(LayerSpec s)
    {
        int inPlanes = s.Int("inPlanes"), planes = s.Int("planes"), stride = s.Int("stride");
        return Residual(
            LayerSpec.Inline(Conv(inPlanes, planes, 3, stride, 1, bias: false).As("conv1"), Bn(planes).As("bn1"),
                Conv(planes, planes, 3, 1, 1, bias: false).As("conv2"), Bn(planes).As("bn2")),
            ResNetArgs.Downsample(inPlanes, planes * BasicBlock.Expansion, stride), null);
    }

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
    public override LayerSpec Expand(LayerSpec s)
    {
        int inPlanes = s.Int("inPlanes"), planes = s.Int("planes"), stride = s.Int("stride"), outPlanes = planes * Bottleneck.Expansion;
        return Residual(
            LayerSpec.Inline(Conv(inPlanes, planes, 1, bias: false).As("conv1"), Bn(planes).As("bn1"),
                Conv(planes, planes, 3, stride, 1, bias: false).As("conv2"), Bn(planes).As("bn2"),
                Conv(planes, outPlanes, 1, bias: false).As("conv3"), Bn(outPlanes).As("bn3")),
            ResNetArgs.Downsample(inPlanes, outPlanes, stride), null);
    }

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
    public override LayerSpec Expand(LayerSpec s)
    {
        int inC = s.Int("inChannels"), r3 = s.Int("ch3x3Reduce"), r5 = s.Int("ch5x5Reduce");
        var relu = new LayerSpec("ReLU");
        return Concat(
            ("branch1", LayerSpec.Sequential(Conv(inC, s.Int("ch1x1"), 1), relu)),
            ("branch2", LayerSpec.Sequential(Conv(inC, r3, 1), relu, Conv(r3, s.Int("ch3x3"), 3, padding: 1), relu)),
            ("branch3", LayerSpec.Sequential(Conv(inC, r5, 1), relu, Conv(r5, s.Int("ch5x5"), 5, padding: 2), relu)),
            ("branch4", LayerSpec.Sequential(LayerSpec.Of("MaxPool2d", ("kernelSize", 3), ("stride", 1), ("padding", 1)), Conv(inC, s.Int("poolProj"), 1), relu)));
    }

    /// <inheritdoc/>
    protected override LayerSpec Describe(InceptionV1 i)
    {
        static Conv2d Conv(Sequential s, int index) => (Conv2d)s[index];
        return SpecOf(("inChannels", Conv(i.Branch1, 0).InChannels), ("ch1x1", Conv(i.Branch1, 0).OutChannels),
            ("ch3x3Reduce", Conv(i.Branch2, 0).OutChannels), ("ch3x3", Conv(i.Branch2, 2).OutChannels),
            ("ch5x5Reduce", Conv(i.Branch3, 0).OutChannels), ("ch5x5", Conv(i.Branch3, 2).OutChannels), ("poolProj", Conv(i.Branch4, 1).OutChannels));
    }
}
