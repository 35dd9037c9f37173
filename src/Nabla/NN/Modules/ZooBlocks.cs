namespace Nabla.NN;

// The blocks of torchvision's classic models, with torchvision's child names, so that its state dicts load as
// they are. Each is described by a descriptor in NN/Layers/Descriptors/ZooBlocks.cs, whose expansion into
// Sequential, Branches and Residual is what the analysis walks.

/// <summary>min(max(x, 0), 6) (PyTorch's <c>nn.ReLU6</c>; MobileNetV2's activation).</summary>
public sealed class ReLU6 : ElementwiseModule
{
    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => Ops.Relu6.Instance.Apply(input);
}

/// <summary>
/// torchvision's GoogLeNet <c>BasicConv2d</c>: y = relu(bn(conv(x))), the convolution without bias, the batch norm
/// with eps = 0.001. Children <c>conv</c> and <c>bn</c>.
/// </summary>
public sealed class BasicConv2d : Module
{
    /// <summary>Creates the block.</summary>
    public BasicConv2d(int inChannels, int outChannels, int kernelSize, int stride = 1, int padding = 0, Generator? generator = null, DType dtype = DType.Float32)
    {
        Conv = RegisterModule("conv", new Conv2d(inChannels, outChannels, kernelSize, stride, padding, bias: false, generator: generator, dtype: dtype));
        Bn = RegisterModule("bn", new BatchNorm2d(outChannels, eps: 0.001, dtype: dtype));
    }

    /// <summary>The convolution (no bias).</summary>
    public Conv2d Conv { get; }

    /// <summary>The batch norm (eps 0.001).</summary>
    public BatchNorm2d Bn { get; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => Bn.Forward(Conv.Forward(input)).Relu();

    /// <inheritdoc/>
    public override Shape OutputShape(Shape input) => Conv.OutputShape(input);
}

/// <summary>
/// torchvision's GoogLeNet <c>Inception</c> block: four branches of <see cref="BasicConv2d"/> concatenated on
/// channels: 1×1; 1×1 then 3×3; 1×1 then 3×3 (torchvision's; the paper's is 5×5); 3×3 max pool (stride 1, pad 1,
/// ceil mode) then 1×1. Output channels ch1x1 + ch3x3 + ch5x5 + poolProj.
/// </summary>
public sealed class Inception : Module
{
    /// <summary>Creates the block (torchvision's argument order).</summary>
    public Inception(int inChannels, int ch1x1, int ch3x3red, int ch3x3, int ch5x5red, int ch5x5, int poolProj, Generator? generator = null, DType dtype = DType.Float32)
    {
        BasicConv2d B(int i, int o, int k, int p = 0) => new(i, o, k, 1, p, generator, dtype);
        Branch1 = RegisterModule("branch1", B(inChannels, ch1x1, 1));
        Branch2 = RegisterModule("branch2", new Sequential(B(inChannels, ch3x3red, 1), B(ch3x3red, ch3x3, 3, 1)));
        Branch3 = RegisterModule("branch3", new Sequential(B(inChannels, ch5x5red, 1), B(ch5x5red, ch5x5, 3, 1)));
        Branch4 = RegisterModule("branch4", new Sequential(new MaxPool2d(3, 1, 1, ceilMode: true), B(inChannels, poolProj, 1)));
    }

    /// <summary>The 1×1 branch.</summary>
    public BasicConv2d Branch1 { get; }

    /// <summary>1×1 reduction, then 3×3.</summary>
    public Sequential Branch2 { get; }

    /// <summary>1×1 reduction, then 3×3 (torchvision's "5×5" branch).</summary>
    public Sequential Branch3 { get; }

    /// <summary>Max pool, then 1×1 projection.</summary>
    public Sequential Branch4 { get; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) =>
        Tensor.Cat([Branch1.Forward(input), Branch2.Forward(input), Branch3.Forward(input), Branch4.Forward(input)], 1);

    /// <inheritdoc/>
    public override Shape OutputShape(Shape input)
    {
        var shapes = new Module[] { Branch1, Branch2, Branch3, Branch4 }.Select(b => b.OutputShape(input)).ToArray();
        return shapes[0].With(1, shapes.Sum(s => s[1]));
    }
}

/// <summary>
/// SqueezeNet's Fire module (torchvision's names): s = relu(squeeze(x)) by a 1×1 convolution, then
/// y = concat(relu(expand1x1(s)), relu(expand3x3(s))) on channels (the 3×3 padded by 1).
/// </summary>
public sealed class Fire : Module
{
    /// <summary>Creates the module (torchvision's argument order).</summary>
    public Fire(int inplanes, int squeezePlanes, int expand1x1Planes, int expand3x3Planes, Generator? generator = null, DType dtype = DType.Float32)
    {
        Squeeze = RegisterModule("squeeze", new Conv2d(inplanes, squeezePlanes, 1, generator: generator, dtype: dtype));
        RegisterModule("squeeze_activation", new ReLU());
        Expand1x1 = RegisterModule("expand1x1", new Conv2d(squeezePlanes, expand1x1Planes, 1, generator: generator, dtype: dtype));
        RegisterModule("expand1x1_activation", new ReLU());
        Expand3x3 = RegisterModule("expand3x3", new Conv2d(squeezePlanes, expand3x3Planes, 3, 1, 1, generator: generator, dtype: dtype));
        RegisterModule("expand3x3_activation", new ReLU());
    }

    /// <summary>The 1×1 squeeze convolution.</summary>
    public Conv2d Squeeze { get; }

    /// <summary>The 1×1 expansion.</summary>
    public Conv2d Expand1x1 { get; }

    /// <summary>The 3×3 expansion.</summary>
    public Conv2d Expand3x3 { get; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input)
    {
        var s = Squeeze.Forward(input).Relu();
        return Tensor.Cat([Expand1x1.Forward(s).Relu(), Expand3x3.Forward(s).Relu()], 1);
    }

    /// <inheritdoc/>
    public override Shape OutputShape(Shape input)
    {
        var s = Squeeze.OutputShape(input);
        return Expand1x1.OutputShape(s).With(1, Expand1x1.OutChannels + Expand3x3.OutChannels);
    }
}

/// <summary>
/// MobileNetV2's inverted residual block (torchvision's <c>InvertedResidual</c>): <c>conv</c> = [1×1 expansion to
/// round(inp·expandRatio) + BN + ReLU6, unless expandRatio is 1], 3×3 depthwise (stride) + BN + ReLU6, 1×1 linear
/// projection to oup + BN; the input is added when stride = 1 and inp = oup. Convolutions have no bias.
/// </summary>
public sealed class InvertedResidual : Module
{
    /// <summary>Creates the block.</summary>
    /// <exception cref="ArgumentException">stride is not 1 or 2, or expandRatio is below 1.</exception>
    public InvertedResidual(int inp, int oup, int stride, int expandRatio, Generator? generator = null, DType dtype = DType.Float32)
    {
        if (stride is not (1 or 2))
        {
            throw new ArgumentException($"InvertedResidual: stride must be 1 or 2, got {stride}", nameof(stride));
        }

        if (expandRatio < 1)
        {
            throw new ArgumentException($"InvertedResidual: expandRatio must be at least 1, got {expandRatio}", nameof(expandRatio));
        }

        (Inp, Oup, Stride, ExpandRatio) = (inp, oup, stride, expandRatio);
        int hidden = inp * expandRatio;
        Sequential Cna(int i, int o, int k, int s, int groups) =>
            new(new Conv2d(i, o, k, s, (k - 1) / 2, groups: groups, bias: false, generator: generator, dtype: dtype), new BatchNorm2d(o, dtype: dtype), new ReLU6());
        var layers = new List<Module>();
        if (expandRatio != 1)
        {
            layers.Add(Cna(inp, hidden, 1, 1, 1));
        }

        layers.AddRange([Cna(hidden, hidden, 3, stride, hidden), new Conv2d(hidden, oup, 1, bias: false, generator: generator, dtype: dtype), new BatchNorm2d(oup, dtype: dtype)]);
        Conv = RegisterModule("conv", new Sequential([.. layers]));
    }

    /// <summary>Input channels.</summary>
    public int Inp { get; }

    /// <summary>Output channels.</summary>
    public int Oup { get; }

    /// <summary>The depthwise convolution's stride.</summary>
    public int Stride { get; }

    /// <summary>Hidden channels per input channel.</summary>
    public int ExpandRatio { get; }

    /// <summary>Whether the input is added (stride 1 and inp = oup).</summary>
    public bool UseResConnect => Stride == 1 && Inp == Oup;

    /// <summary>The layers.</summary>
    public Sequential Conv { get; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => UseResConnect ? input + Conv.Forward(input) : Conv.Forward(input);

    /// <inheritdoc/>
    public override Shape OutputShape(Shape input) => Conv.OutputShape(input);
}

/// <summary>
/// DenseNet's dense block (torchvision's <c>_DenseBlock</c>): layers <c>denselayer1</c> … <c>denselayerN</c>, each
/// norm1 (BN), relu1, conv1 (1×1 to bnSize·growthRate), norm2, relu2, conv2 (3×3 to growthRate), [dropout]; layer i
/// sees the concatenation of the input and all earlier layers' outputs, and the block returns the concatenation of
/// all: numInputFeatures + numLayers·growthRate channels. Convolutions have no bias.
/// </summary>
public sealed class DenseBlock : Module
{
    /// <summary>Creates the block.</summary>
    public DenseBlock(int numLayers, int numInputFeatures, int bnSize, int growthRate, double dropRate = 0, Generator? generator = null, DType dtype = DType.Float32)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(numLayers);
        (NumLayers, NumInputFeatures, BnSize, GrowthRate, DropRate) = (numLayers, numInputFeatures, bnSize, growthRate, dropRate);
        for (int i = 0; i < numLayers; i++)
        {
            int c = numInputFeatures + (i * growthRate), mid = bnSize * growthRate;
            var layer = new Sequential([
                ("norm1", new BatchNorm2d(c, dtype: dtype)), ("relu1", new ReLU()), ("conv1", new Conv2d(c, mid, 1, bias: false, generator: generator, dtype: dtype)),
                ("norm2", new BatchNorm2d(mid, dtype: dtype)), ("relu2", new ReLU()), ("conv2", new Conv2d(mid, growthRate, 3, 1, 1, bias: false, generator: generator, dtype: dtype))]);
            if (dropRate > 0)
            {
                layer.Append("dropout", new Dropout(dropRate, generator));
            }

            Layers.Add(RegisterModule($"denselayer{i + 1}", layer));
        }
    }

    /// <summary>Number of dense layers.</summary>
    public int NumLayers { get; }

    /// <summary>Input channels.</summary>
    public int NumInputFeatures { get; }

    /// <summary>The bottleneck width, in multiples of the growth rate.</summary>
    public int BnSize { get; }

    /// <summary>Channels each layer adds.</summary>
    public int GrowthRate { get; }

    /// <summary>Dropout after each layer (0: none).</summary>
    public double DropRate { get; }

    private List<Sequential> Layers { get; } = [];

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input)
    {
        var features = new List<Tensor> { input };
        foreach (var layer in Layers)
        {
            features.Add(layer.Forward(features.Count == 1 ? input : Tensor.Cat(features, 1)));
        }

        return Tensor.Cat(features, 1);
    }

    /// <inheritdoc/>
    public override Shape OutputShape(Shape input) => input.With(1, NumInputFeatures + (NumLayers * GrowthRate));
}
