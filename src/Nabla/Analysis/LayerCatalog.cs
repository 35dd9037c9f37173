using Nabla.NN;

namespace Nabla.Analysis;

/// <summary>The kinds of value a layer argument takes.</summary>
public enum ArgKind
{
    /// <summary>An integer.</summary>
    Int,

    /// <summary>An integer or an optional integer (absent = null).</summary>
    OptionalInt,

    /// <summary>An integer or a [height, width] pair.</summary>
    IntPair,

    /// <summary>An integer, a [height, width] pair, or 'same' / 'valid' (convolution padding).</summary>
    Padding,

    /// <summary>A list of integers (or one integer).</summary>
    IntList,

    /// <summary>A floating-point number.</summary>
    Double,

    /// <summary>true or false.</summary>
    Bool,

    /// <summary>A string.</summary>
    String,
}

/// <summary>One constructor argument of a layer: camelCase name, kind, and default (null with <paramref name="Required"/>).</summary>
public sealed record ArgDef(string Name, ArgKind Kind, object? Default, bool Required = false);

/// <summary>A layer type the model file and the analysis know: its arguments and how to build the module.</summary>
public sealed record LayerKind(string Name, IReadOnlyList<ArgDef> Args, Func<LayerSpec, Module> Build)
{
    /// <summary>The argument named <paramref name="name"/>, or null.</summary>
    public ArgDef? Arg(string name) => Args.FirstOrDefault(a => a.Name == name);
}

/// <summary>
/// The layer types known to the model file and to <see cref="ModelSummary"/>, with PyTorch's argument names
/// (camelCase) and defaults, and the code that builds each <see cref="Module"/> from a <see cref="LayerSpec"/>.
/// </summary>
public static class LayerCatalog
{
    private static readonly ArgDef[] ConvArgs =
    [
        new("inChannels", ArgKind.Int, null, true), new("outChannels", ArgKind.Int, null, true), new("kernelSize", ArgKind.IntPair, null, true),
        new("stride", ArgKind.IntPair, 1), new("padding", ArgKind.Padding, 0), new("dilation", ArgKind.IntPair, 1),
        new("groups", ArgKind.Int, 1), new("bias", ArgKind.Bool, true),
    ];

    private static readonly ArgDef[] MaxPoolArgs =
    [
        new("kernelSize", ArgKind.IntPair, null, true), new("stride", ArgKind.OptionalInt, null), new("padding", ArgKind.IntPair, 0),
        new("dilation", ArgKind.IntPair, 1), new("ceilMode", ArgKind.Bool, false),
    ];

    private static readonly ArgDef[] AvgPoolArgs =
    [
        new("kernelSize", ArgKind.IntPair, null, true), new("stride", ArgKind.OptionalInt, null), new("padding", ArgKind.IntPair, 0),
        new("ceilMode", ArgKind.Bool, false), new("countIncludePad", ArgKind.Bool, true),
    ];

    private static readonly ArgDef[] BatchNormArgs =
    [
        new("numFeatures", ArgKind.Int, null, true), new("eps", ArgKind.Double, 1e-5), new("momentum", ArgKind.Double, 0.1),
        new("affine", ArgKind.Bool, true), new("trackRunningStats", ArgKind.Bool, true),
    ];

    private static readonly ArgDef[] RecurrentArgs =
    [
        new("inputSize", ArgKind.Int, null, true), new("hiddenSize", ArgKind.Int, null, true), new("numLayers", ArgKind.Int, 1),
        new("bias", ArgKind.Bool, true), new("batchFirst", ArgKind.Bool, false), new("dropout", ArgKind.Double, 0.0),
        new("bidirectional", ArgKind.Bool, false),
    ];

    private static readonly ArgDef[] ResNetBlockArgs = [new("inPlanes", ArgKind.Int, null, true), new("planes", ArgKind.Int, null, true), new("stride", ArgKind.Int, 1)];

    private static readonly Dictionary<string, LayerKind> Kinds = new List<LayerKind>
    {
        new("Linear", [new("inFeatures", ArgKind.Int, null, true), new("outFeatures", ArgKind.Int, null, true), new("bias", ArgKind.Bool, true)],
            s => new Linear(s.Int("inFeatures"), s.Int("outFeatures"), s.Bool("bias"))),
        new("Conv1d", ConvArgs, BuildConv1d),
        new("Conv2d", ConvArgs, BuildConv2d),
        new("ConvTranspose2d", [.. ConvArgs.Take(5), new("outputPadding", ArgKind.Int, 0), .. ConvArgs.Skip(5)], s =>
            new ConvTranspose2d(s.Int("inChannels"), s.Int("outChannels"), s.Int("kernelSize"), s.Int("stride"), s.Int("padding"),
                s.Int("outputPadding"), s.Int("groups"), s.Bool("bias"), s.Int("dilation"))),
        new("MaxPool1d", MaxPoolArgs, s => new MaxPool1d(s.Int("kernelSize"), s.OptionalInt("stride"), s.Int("padding"), s.Int("dilation"), s.Bool("ceilMode"))),
        new("MaxPool2d", MaxPoolArgs, s => new MaxPool2d(s.Int("kernelSize"), s.OptionalInt("stride"), s.Int("padding"), s.Int("dilation"), s.Bool("ceilMode"))),
        new("AvgPool1d", AvgPoolArgs, s => new AvgPool1d(s.Int("kernelSize"), s.OptionalInt("stride"), s.Int("padding"), s.Bool("ceilMode"), s.Bool("countIncludePad"))),
        new("AvgPool2d", AvgPoolArgs, s => new AvgPool2d(s.Int("kernelSize"), s.OptionalInt("stride"), s.Int("padding"), s.Bool("ceilMode"), s.Bool("countIncludePad"))),
        new("AdaptiveAvgPool1d", [new("outputSize", ArgKind.Int, null, true)], s => new AdaptiveAvgPool1d(s.Int("outputSize"))),
        new("AdaptiveAvgPool2d", [new("outputSize", ArgKind.IntPair, null, true)], s => new AdaptiveAvgPool2d(s.Pair("outputSize"))),
        new("AdaptiveMaxPool2d", [new("outputSize", ArgKind.IntPair, null, true)], s => new AdaptiveMaxPool2d(s.Pair("outputSize"))),
        new("ZeroPad2d", [new("padding", ArgKind.IntList, null, true)], s => s.IntList("padding") is [var p] ? new ZeroPad2d(p) : new ZeroPad2d(s.IntList("padding")[0], s.IntList("padding")[1], s.IntList("padding")[2], s.IntList("padding")[3])),
        new("BatchNorm1d", BatchNormArgs, s => new BatchNorm1d(s.Int("numFeatures"), s.Double("eps"), s.Double("momentum"), s.Bool("affine"), s.Bool("trackRunningStats"))),
        new("BatchNorm2d", BatchNormArgs, s => new BatchNorm2d(s.Int("numFeatures"), s.Double("eps"), s.Double("momentum"), s.Bool("affine"), s.Bool("trackRunningStats"))),
        new("LayerNorm", [new("normalizedShape", ArgKind.IntList, null, true), new("eps", ArgKind.Double, 1e-5), new("elementwiseAffine", ArgKind.Bool, true), new("bias", ArgKind.Bool, true)],
            s => new LayerNorm(new Shape(s.IntList("normalizedShape")), s.Double("eps"), s.Bool("elementwiseAffine"), s.Bool("bias"))),
        new("GroupNorm", [new("numGroups", ArgKind.Int, null, true), new("numChannels", ArgKind.Int, null, true), new("eps", ArgKind.Double, 1e-5), new("affine", ArgKind.Bool, true)],
            s => new GroupNorm(s.Int("numGroups"), s.Int("numChannels"), s.Double("eps"), s.Bool("affine"))),
        new("Embedding", [new("numEmbeddings", ArgKind.Int, null, true), new("embeddingDim", ArgKind.Int, null, true), new("paddingIdx", ArgKind.OptionalInt, null)],
            s => new Embedding(s.Int("numEmbeddings"), s.Int("embeddingDim"), s.OptionalInt("paddingIdx"))),
        new("Dropout", [new("p", ArgKind.Double, 0.5)], s => new Dropout(s.Double("p"))),
        new("Dropout2d", [new("p", ArgKind.Double, 0.5)], s => new Dropout2d(s.Double("p"))),
        new("ReLU", [], _ => new ReLU()),
        new("Tanh", [], _ => new Tanh()),
        new("Sigmoid", [], _ => new Sigmoid()),
        new("Identity", [], _ => new Identity()),
        new("LeakyReLU", [new("negativeSlope", ArgKind.Double, 0.01)], s => new LeakyReLU(s.Double("negativeSlope"))),
        new("ELU", [new("alpha", ArgKind.Double, 1.0)], s => new ELU(s.Double("alpha"))),
        new("GELU", [new("approximate", ArgKind.String, "none")], s => new GELU(s.Str("approximate"))),
        new("Softmax", [new("dim", ArgKind.Int, -1)], s => new Softmax(s.Int("dim"))),
        new("LogSoftmax", [new("dim", ArgKind.Int, -1)], s => new LogSoftmax(s.Int("dim"))),
        new("Flatten", [new("startDim", ArgKind.Int, 1), new("endDim", ArgKind.Int, -1)], s => new Flatten(s.Int("startDim"), s.Int("endDim"))),
        new("Unflatten", [new("dim", ArgKind.Int, null, true), new("unflattenedSize", ArgKind.IntList, null, true)], s => new Unflatten(s.Int("dim"), s.IntList("unflattenedSize"))),
        new("Reshape", [new("shape", ArgKind.IntList, null, true)], s => new Reshape(s.IntList("shape"))),
        new("Permute", [new("dims", ArgKind.IntList, null, true)], s => new Permute(s.IntList("dims"))),
        new("Sequential", [], s => new Sequential([.. s.Layers.Select(Build)])),
        new("Branches", [new("join", ArgKind.String, null, true), new("dim", ArgKind.Int, 1)],
            s => new Branches(s.Str("join"), s.Branches.Select(b => (b.Key, Build(b.Value))), s.Int("dim"))),
        new("Residual", [], s => new Residual(Build(Branch(s, "body")!), Branch(s, "shortcut") is { } sc ? Build(sc) : null, Branch(s, "activation") is { } act ? Build(act) : null)),
        new("BasicBlock", ResNetBlockArgs, s => new BasicBlock(s.Int("inPlanes"), s.Int("planes"), s.Int("stride"))),
        new("Bottleneck", ResNetBlockArgs, s => new Bottleneck(s.Int("inPlanes"), s.Int("planes"), s.Int("stride"))),
        new("InceptionV1", [.. new[] { "inChannels", "ch1x1", "ch3x3Reduce", "ch3x3", "ch5x5Reduce", "ch5x5", "poolProj" }.Select(n => new ArgDef(n, ArgKind.Int, null, true))],
            s => new InceptionV1(s.Int("inChannels"), s.Int("ch1x1"), s.Int("ch3x3Reduce"), s.Int("ch3x3"), s.Int("ch5x5Reduce"), s.Int("ch5x5"), s.Int("poolProj"))),
        new("RNN", [.. RecurrentArgs, new("nonlinearity", ArgKind.String, "tanh")], RecurrentModules.Build),
        new("LSTM", RecurrentArgs, RecurrentModules.Build),
        new("GRU", RecurrentArgs, RecurrentModules.Build),
    }.ToDictionary(k => k.Name);

    /// <summary>All known layer kinds, by name.</summary>
    public static IReadOnlyDictionary<string, LayerKind> All => Kinds;

    /// <summary>The kind named <paramref name="name"/> (exact PyTorch spelling), or null.</summary>
    public static LayerKind? Find(string name) => Kinds.GetValueOrDefault(name);

    /// <summary>Builds the module a spec describes (allocating and initialising its parameters).</summary>
    /// <exception cref="ArgumentException">The type is unknown or an argument is missing or of the wrong kind.</exception>
    public static Module Build(LayerSpec spec)
    {
        if (spec.Opaque is { } m)
        {
            return m;
        }

        var kind = Find(spec.Type) ?? throw new ArgumentException($"unknown layer type '{spec.Type}'{spec.Where}");
        try
        {
            return kind.Build(spec);
        }
        catch (ArgumentException e) when (e is not ModelShapeException)
        {
            // A module's constructor refused an argument the file gave (a negative size, p outside [0, 1]).
            throw new ModelShapeException($"layer {spec.Type}{spec.Where}", e.Message.Split(" (Parameter")[0]);
        }
    }

    /// <summary>The named sub-block of a Branches or Residual spec, or null.</summary>
    internal static LayerSpec? Branch(LayerSpec s, string name) => s.Branches.FirstOrDefault(b => b.Key == name).Value;

    private static Module BuildConv2d(LayerSpec s)
    {
        if (s.Arg("padding") is string mode)
        {
            return new Conv2d(s.Int("inChannels"), s.Int("outChannels"), s.Int("kernelSize"), mode, s.Int("dilation"), s.Int("groups"), s.Bool("bias"));
        }

        return new Conv2d(s.Int("inChannels"), s.Int("outChannels"), s.Pair("kernelSize"), s.Pair("stride"), s.Pair("padding"), s.Pair("dilation"), s.Int("groups"), s.Bool("bias"));
    }

    private static Module BuildConv1d(LayerSpec s) => s.Arg("padding") is string mode
        ? new Conv1d(s.Int("inChannels"), s.Int("outChannels"), s.Int("kernelSize"), mode, s.Int("dilation"), s.Int("groups"), s.Bool("bias"))
        : new Conv1d(s.Int("inChannels"), s.Int("outChannels"), s.Int("kernelSize"), s.Int("stride"), s.Int("padding"), s.Int("dilation"), s.Int("groups"), s.Bool("bias"));
}
