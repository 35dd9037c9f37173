namespace Nabla.NN;

/// <summary><c>nn.ReLU6</c>.</summary>
public sealed class ReLU6Descriptor() : SimpleDescriptor<ReLU6>("y = min(max(0, x), 6)");

/// <summary>torchvision's GoogLeNet <c>BasicConv2d</c>: conv (no bias) + BatchNorm (eps 0.001) + ReLU.</summary>
public sealed class BasicConv2dDescriptor() : ContainerDescriptor<BasicConv2d>(
    [new("inChannels", ArgKind.Int, null, true), new("outChannels", ArgKind.Int, null, true), new("kernelSize", ArgKind.Int, null, true), new("stride", ArgKind.Int, 1), new("padding", ArgKind.Int, 0)])
{
    /// <inheritdoc/>
    public override IReadOnlyList<LayerExample> Examples =>
        [new(LayerSpec.Of("BasicConv2d", ("inChannels", 2), ("outChannels", 3), ("kernelSize", 3), ("stride", 2), ("padding", 1)), new Shape(2, 7, 6))];

    /// <inheritdoc/>
    public override Module Build(LayerSpec s) => new BasicConv2d(s.Int("inChannels"), s.Int("outChannels"), s.Int("kernelSize"), s.Int("stride"), s.Int("padding"));

    /// <inheritdoc/>
    public override string Formula(LayerSpec spec, Module layer, bool train) => "y = relu(bn(conv(x))), conv without bias, bn with eps = 0.001";

    /// <inheritdoc/>
    /// <remarks>The ReLU is functional in torchvision (no module, no figure) and left out.</remarks>
    public override LayerSpec Expand(LayerSpec s) =>
        LayerSpec.Inline(Conv(s.Int("inChannels"), s.Int("outChannels"), s.Int("kernelSize"), s.Int("stride"), s.Int("padding"), bias: false).As("conv"), Bn(s.Int("outChannels"), 0.001).As("bn"));

    /// <inheritdoc/>
    protected override LayerSpec Describe(BasicConv2d b) => SpecOf(("inChannels", b.Conv.InChannels), ("outChannels", b.Conv.OutChannels),
        ("kernelSize", b.Conv.Geometry.Kernel.H), ("stride", b.Conv.Geometry.Stride.H), ("padding", b.Conv.Geometry.Padding.H));
}

/// <summary>torchvision's GoogLeNet <c>Inception</c> block (BasicConv2d branches; the "5×5" branch is 3×3 as in torchvision).</summary>
public sealed class InceptionDescriptor() : ContainerDescriptor<Inception>(
    [.. new[] { "inChannels", "ch1x1", "ch3x3red", "ch3x3", "ch5x5red", "ch5x5", "poolProj" }.Select(n => new ArgDef(n, ArgKind.Int, null, true))])
{
    /// <inheritdoc/>
    public override IReadOnlyList<LayerExample> Examples =>
        [new(LayerSpec.Of("Inception", ("inChannels", 3), ("ch1x1", 2), ("ch3x3red", 2), ("ch3x3", 3), ("ch5x5red", 1), ("ch5x5", 2), ("poolProj", 2)), new Shape(3, 5, 5))];

    /// <inheritdoc/>
    public override Module Build(LayerSpec s) =>
        new Inception(s.Int("inChannels"), s.Int("ch1x1"), s.Int("ch3x3red"), s.Int("ch3x3"), s.Int("ch5x5red"), s.Int("ch5x5"), s.Int("poolProj"));

    /// <inheritdoc/>
    public override string Formula(LayerSpec spec, Module layer, bool train) =>
        "y = concatenation along channels of branch1 (1x1), branch2 (1x1, 3x3), branch3 (1x1, 3x3) and branch4 (3x3 max pool, 1x1), each conv a BasicConv2d";

    /// <inheritdoc/>
    public override LayerSpec Expand(LayerSpec s)
    {
        int inC = s.Int("inChannels"), r3 = s.Int("ch3x3red"), r5 = s.Int("ch5x5red");
        LayerSpec B(int i, int o, int k, int p = 0) => LayerSpec.Of("BasicConv2d", ("inChannels", i), ("outChannels", o), ("kernelSize", k), ("padding", p));
        return Concat(
            ("branch1", B(inC, s.Int("ch1x1"), 1)),
            ("branch2", LayerSpec.Sequential(B(inC, r3, 1), B(r3, s.Int("ch3x3"), 3, 1))),
            ("branch3", LayerSpec.Sequential(B(inC, r5, 1), B(r5, s.Int("ch5x5"), 3, 1))),
            ("branch4", LayerSpec.Sequential(LayerSpec.Of("MaxPool2d", ("kernelSize", 3), ("stride", 1), ("padding", 1), ("ceilMode", true)), B(inC, s.Int("poolProj"), 1))));
    }

    /// <inheritdoc/>
    protected override LayerSpec Describe(Inception i)
    {
        static Conv2d C(Module m) => ((BasicConv2d)m).Conv;
        return SpecOf(("inChannels", C(i.Branch1).InChannels), ("ch1x1", C(i.Branch1).OutChannels), ("ch3x3red", C(i.Branch2[0]).OutChannels),
            ("ch3x3", C(i.Branch2[1]).OutChannels), ("ch5x5red", C(i.Branch3[0]).OutChannels), ("ch5x5", C(i.Branch3[1]).OutChannels), ("poolProj", C(i.Branch4[1]).OutChannels));
    }
}

/// <summary>SqueezeNet's Fire module (torchvision's names).</summary>
public sealed class FireDescriptor() : ContainerDescriptor<Fire>(
    [.. new[] { "inplanes", "squeezePlanes", "expand1x1Planes", "expand3x3Planes" }.Select(n => new ArgDef(n, ArgKind.Int, null, true))])
{
    /// <inheritdoc/>
    public override IReadOnlyList<LayerExample> Examples =>
        [new(LayerSpec.Of("Fire", ("inplanes", 4), ("squeezePlanes", 2), ("expand1x1Planes", 3), ("expand3x3Planes", 2)), new Shape(4, 5, 5))];

    /// <inheritdoc/>
    public override Module Build(LayerSpec s) => new Fire(s.Int("inplanes"), s.Int("squeezePlanes"), s.Int("expand1x1Planes"), s.Int("expand3x3Planes"));

    /// <inheritdoc/>
    public override string Formula(LayerSpec spec, Module layer, bool train) =>
        "y = concat(relu(expand1x1(s)), relu(expand3x3(s))) along channels, s = relu(squeeze(x)) (1x1 convolutions but the 3x3)";

    /// <inheritdoc/>
    public override LayerSpec Expand(LayerSpec s)
    {
        int sq = s.Int("squeezePlanes"), e1 = s.Int("expand1x1Planes"), e3 = s.Int("expand3x3Planes");
        return LayerSpec.Inline(
            Conv(s.Int("inplanes"), sq, 1).As("squeeze"), Plain("ReLU", "squeeze_activation"),
            Concat(
                ("expand1x1", LayerSpec.Inline(Conv(sq, e1, 1).As("expand1x1"), Plain("ReLU", "expand1x1_activation"))),
                ("expand3x3", LayerSpec.Inline(Conv(sq, e3, 3, padding: 1).As("expand3x3"), Plain("ReLU", "expand3x3_activation")))).As(string.Empty));
    }

    /// <inheritdoc/>
    protected override LayerSpec Describe(Fire f) => SpecOf(("inplanes", f.Squeeze.InChannels), ("squeezePlanes", f.Squeeze.OutChannels),
        ("expand1x1Planes", f.Expand1x1.OutChannels), ("expand3x3Planes", f.Expand3x3.OutChannels));
}

/// <summary>MobileNetV2's inverted residual block (torchvision's <c>InvertedResidual</c>).</summary>
public sealed class InvertedResidualDescriptor() : ContainerDescriptor<InvertedResidual>(
    [new("inp", ArgKind.Int, null, true), new("oup", ArgKind.Int, null, true), new("stride", ArgKind.Int, null, true), new("expandRatio", ArgKind.Int, null, true)])
{
    /// <inheritdoc/>
    public override IReadOnlyList<LayerExample> Examples =>
    [
        new(LayerSpec.Of("InvertedResidual", ("inp", 4), ("oup", 4), ("stride", 1), ("expandRatio", 2)), new Shape(4, 5, 5)),
        new(LayerSpec.Of("InvertedResidual", ("inp", 3), ("oup", 2), ("stride", 2), ("expandRatio", 1)), new Shape(3, 5, 4)),
    ];

    /// <inheritdoc/>
    public override Module Build(LayerSpec s) => new InvertedResidual(s.Int("inp"), s.Int("oup"), s.Int("stride"), s.Int("expandRatio"));

    /// <inheritdoc/>
    public override string Formula(LayerSpec spec, Module layer, bool train) =>
        "y = [x +] bn(conv1x1(relu6(bn(dwconv3x3(relu6(bn(conv1x1(x)))))))), the input added when stride = 1 and inp = oup";

    /// <inheritdoc/>
    public override LayerSpec Expand(LayerSpec s)
    {
        int inp = s.Int("inp"), oup = s.Int("oup"), stride = s.Int("stride"), t = s.Int("expandRatio"), hidden = inp * t;
        static LayerSpec Cna(int i, int o, int k, int st, int groups) =>
            LayerSpec.Sequential(Conv(i, o, k, st, (k - 1) / 2, groups, bias: false), Bn(o), new LayerSpec("ReLU6"));
        var conv = LayerSpec.Sequential([.. t == 1 ? [] : new[] { Cna(inp, hidden, 1, 1, 1) }, Cna(hidden, hidden, 3, stride, hidden), Conv(hidden, oup, 1, bias: false), Bn(oup)]).As("conv");
        return stride == 1 && inp == oup ? Residual(conv, null, null) : LayerSpec.Inline(conv);
    }

    /// <inheritdoc/>
    protected override LayerSpec Describe(InvertedResidual b) => SpecOf(("inp", b.Inp), ("oup", b.Oup), ("stride", b.Stride), ("expandRatio", b.ExpandRatio));
}

/// <summary>DenseNet's dense block (torchvision's <c>_DenseBlock</c> with its <c>_DenseLayer</c>s).</summary>
public sealed class DenseBlockDescriptor() : ContainerDescriptor<DenseBlock>(
    [new("numLayers", ArgKind.Int, null, true), new("numInputFeatures", ArgKind.Int, null, true), new("bnSize", ArgKind.Int, null, true),
        new("growthRate", ArgKind.Int, null, true), new("dropRate", ArgKind.Double, 0.0)])
{
    /// <inheritdoc/>
    public override IReadOnlyList<LayerExample> Examples =>
    [
        new(LayerSpec.Of("DenseBlock", ("numLayers", 3), ("numInputFeatures", 4), ("bnSize", 2), ("growthRate", 3)), new Shape(4, 5, 5)),
        new(LayerSpec.Of("DenseBlock", ("numLayers", 2), ("numInputFeatures", 2), ("bnSize", 1), ("growthRate", 2), ("dropRate", 0.25)), new Shape(2, 3, 3)),
    ];

    /// <inheritdoc/>
    public override Module Build(LayerSpec s) => new DenseBlock(s.Int("numLayers"), s.Int("numInputFeatures"), s.Int("bnSize"), s.Int("growthRate"), s.Double("dropRate"));

    /// <inheritdoc/>
    public override string Formula(LayerSpec spec, Module layer, bool train) =>
        $"y = x_n, x_(i+1) = concat(x_i, conv2(relu(norm2(conv1(relu(norm1(x_i))))))) along channels, n = {spec.Int("numLayers")}";

    /// <inheritdoc/>
    /// <remarks>Each dense layer is a branch beside the identity, concatenated: the input of layer i is everything so far.</remarks>
    public override LayerSpec Expand(LayerSpec s)
    {
        int n = s.Int("numLayers"), c = s.Int("numInputFeatures"), bn = s.Int("bnSize"), g = s.Int("growthRate");
        double drop = s.Double("dropRate");
        CheckExpansion("numLayers", n, 8);
        var layers = Enumerable.Range(0, n).Select(i =>
        {
            int inC = c + (i * g);
            LayerSpec[] body =
            [
                Bn(inC).As("norm1"), Plain("ReLU", "relu1"), Conv(inC, bn * g, 1, bias: false).As("conv1"),
                Bn(bn * g).As("norm2"), Plain("ReLU", "relu2"), Conv(bn * g, g, 3, padding: 1, bias: false).As("conv2"),
                .. drop > 0 ? new[] { LayerSpec.Of("Dropout", ("p", drop)).As("dropout") } : [],
            ];
            return Concat(("input", LayerSpec.Inline()), ("new", LayerSpec.Sequential(body).As($"denselayer{i + 1}"))).As(string.Empty);
        });
        return LayerSpec.Inline([.. layers]);
    }

    /// <inheritdoc/>
    protected override LayerSpec Describe(DenseBlock b) =>
        SpecOf(("numLayers", b.NumLayers), ("numInputFeatures", b.NumInputFeatures), ("bnSize", b.BnSize), ("growthRate", b.GrowthRate), ("dropRate", b.DropRate));
}
