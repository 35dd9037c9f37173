using Nabla.NN;

namespace Nabla.Onnx;

/// <summary>
/// The one table from module type to the <see cref="OnnxEmitter"/> that writes it as ONNX nodes (opset
/// <see cref="OnnxExport.Opset"/>). The graph is the module in evaluation mode: dropout is the identity and batch
/// norm uses its running statistics. docs/onnx.md lists each layer's ONNX operators and what is refused.
/// </summary>
public static partial class OnnxEmitters
{
    /// <summary>The emitter of each supported module type (exact types: a subclass needs its own entry).</summary>
    public static IReadOnlyDictionary<Type, OnnxEmitter> Table { get; } = new Dictionary<Type, OnnxEmitter>
    {
        // Containers and blocks: their children's nodes, joined.
        [typeof(Sequential)] = Sequential,
        [typeof(Residual)] = Residual,
        [typeof(Branches)] = Branches,
        [typeof(BasicBlock)] = BasicBlock,
        [typeof(Bottleneck)] = Bottleneck,
        [typeof(InceptionV1)] = InceptionV1,

        // torchvision's zoo blocks (OnnxEmitters.Zoo.cs); Inception is InceptionV1's concatenation of its branches.
        [typeof(BasicConv2d)] = BasicConv2d,
        [typeof(Inception)] = InceptionV1,
        [typeof(Fire)] = Fire,
        [typeof(InvertedResidual)] = InvertedResidual,
        [typeof(DenseBlock)] = DenseBlock,

        // Transformer encoder and positional encodings (OnnxEmitters.Transformer.cs).
        [typeof(TransformerEncoderLayer)] = TransformerEncoderLayer,
        [typeof(TransformerEncoder)] = TransformerEncoder,
        [typeof(PositionalEncoding)] = PositionalEncoding,
        [typeof(LearnedPositionalEmbedding)] = LearnedPositionalEmbedding,

        // Convolution, pooling, padding, resizing (OnnxEmitters.Spatial.cs).
        [typeof(Conv1d)] = Conv,
        [typeof(Conv2d)] = Conv,
        [typeof(ConvTranspose1d)] = ConvTranspose,
        [typeof(ConvTranspose2d)] = ConvTranspose,
        [typeof(MaxPool1d)] = MaxPool,
        [typeof(MaxPool2d)] = MaxPool,
        [typeof(AvgPool1d)] = AvgPool,
        [typeof(AvgPool2d)] = AvgPool,
        [typeof(AdaptiveAvgPool1d)] = AdaptivePool,
        [typeof(AdaptiveAvgPool2d)] = AdaptivePool,
        [typeof(AdaptiveMaxPool2d)] = AdaptivePool,
        [typeof(ZeroPad2d)] = ZeroPad2d,
        [typeof(Conv3d)] = Conv3d, // the 3-D layers (OnnxEmitters.Volumetric.cs)
        [typeof(MaxPool3d)] = Pool3d,
        [typeof(AvgPool3d)] = Pool3d,
        [typeof(AdaptiveAvgPool3d)] = AdaptiveAvgPool3d,
        [typeof(Upsample)] = Upsample,

        // Dense layers and normalisation (OnnxEmitters.Dense.cs).
        [typeof(Linear)] = Linear,
        [typeof(Embedding)] = Embedding,
        [typeof(BatchNorm1d)] = BatchNorm,
        [typeof(BatchNorm2d)] = BatchNorm,
        [typeof(LayerNorm)] = LayerNorm,
        [typeof(GroupNorm)] = GroupNorm,

        // More normalisation and rearrangement (OnnxEmitters.Normalization.cs).
        [typeof(InstanceNorm1d)] = InstanceNorm,
        [typeof(InstanceNorm2d)] = InstanceNorm,
        [typeof(LocalResponseNorm)] = LocalResponseNorm,
        [typeof(PixelShuffle)] = PixelShuffle,
        [typeof(PixelUnshuffle)] = PixelUnshuffle,

        // Recurrent layers as ONNX's RNN, LSTM and GRU (OnnxEmitters.Recurrent.cs).
        [typeof(RNN)] = Recurrent,
        [typeof(LSTM)] = Recurrent,
        [typeof(GRU)] = Recurrent,

        // Activations.
        [typeof(ReLU)] = (_, g, x) => g.Node("Relu", x),
        [typeof(Tanh)] = (_, g, x) => g.Node("Tanh", x),
        [typeof(Sigmoid)] = (_, g, x) => g.Node("Sigmoid", x),
        [typeof(LeakyReLU)] = (m, g, x) => g.Node("LeakyRelu", x, ("alpha", ((LeakyReLU)m).NegativeSlope)),
        [typeof(ELU)] = (m, g, x) => g.Node("Elu", x, ("alpha", ((ELU)m).Alpha)),
        [typeof(GELU)] = Gelu,
        [typeof(Softmax)] = (m, g, x) => g.Node("Softmax", x, ("axis", ((Softmax)m).Dim)),
        [typeof(LogSoftmax)] = (m, g, x) => g.Node("LogSoftmax", x, ("axis", ((LogSoftmax)m).Dim)),

        // The later activations (OnnxEmitters.Activations.cs).
        [typeof(ReLU6)] = (_, g, x) => Clip(g, x, 0, 6),
        [typeof(Hardtanh)] = (m, g, x) => Clip(g, x, ((Hardtanh)m).MinVal, ((Hardtanh)m).MaxVal),
        [typeof(Hardsigmoid)] = Hardsigmoid,
        [typeof(Hardswish)] = (_, g, x) => g.Node("HardSwish", x),
        [typeof(SiLU)] = Silu,
        [typeof(Mish)] = Mish,
        [typeof(SELU)] = Selu,
        [typeof(CELU)] = (m, g, x) => g.Node("Celu", x, ("alpha", (float)((CELU)m).Alpha)),
        [typeof(Softplus)] = Softplus,
        [typeof(Softsign)] = (_, g, x) => g.Node("Softsign", x),
        [typeof(PReLU)] = Prelu,
        [typeof(LogSigmoid)] = LogSigmoid,
        [typeof(Threshold)] = Threshold,

        // The identity at evaluation: no node.
        [typeof(Identity)] = (_, _, x) => x,
        [typeof(Dropout)] = (_, _, x) => x,
        [typeof(Dropout2d)] = (_, _, x) => x,
        [typeof(Dropout1d)] = (_, _, x) => x,
        [typeof(AlphaDropout)] = (_, _, x) => x,

        // An auxiliary head runs in training only (torchvision's GoogLeNet aux1/aux2): at evaluation the main path goes on unchanged.
        [typeof(Auxiliary)] = (_, _, x) => x,

        // Shapes.
        [typeof(Flatten)] = Flatten,
        [typeof(Unflatten)] = (m, g, x) => g.Reshape(x, g.OutputShape(m, x)),
        [typeof(Reshape)] = (m, g, x) => g.Reshape(x, g.OutputShape(m, x)),
        [typeof(Permute)] = (m, g, x) => g.Node("Transpose", x, ("perm", ((Permute)m).Dims.Select(d => d < 0 ? d + g.ShapeOf(x).Count : d).ToArray())),
    };

    private static string Sequential(Module m, OnnxGraph g, string x)
    {
        foreach (var (name, child) in m.NamedChildren())
        {
            x = g.Emit(child, x, name);
        }

        return x;
    }

    private static string Residual(Module m, OnnxGraph g, string x)
    {
        var r = (Residual)m;
        string body = g.Emit(r.Body, x, "body");
        string skip = r.Shortcut is null ? x : g.Emit(r.Shortcut, x, "shortcut");
        string y = g.Node("Add", [body, skip]);
        if (r.Activation is null)
        {
            return y;
        }

        // The activation reads the sum, a value no module produced: give it the body's shape (the sum's).
        g.SetShape(y, [.. g.ShapeOf(body)], g.DTypeOf(body));
        return g.Emit(r.Activation, y, "activation");
    }

    private static string Branches(Module m, OnnxGraph g, string x)
    {
        var b = (Branches)m;
        var outs = b.NamedChildren().Select(c => g.Emit(c.Module, x, c.Name)).ToArray();
        if (b.Join == "concat")
        {
            return g.Node("Concat", outs, ("axis", b.Dim));
        }

        string y = outs[0];
        for (int i = 1; i < outs.Length; i++)
        {
            y = g.Node("Add", [y, outs[i]]);
        }

        return y;
    }

    // ResNet blocks: the same nodes as their Forward (conv-BN-ReLU-conv-BN, plus the input or the projection, ReLU).
    private static string BasicBlock(Module m, OnnxGraph g, string x)
    {
        var b = (BasicBlock)m;
        string y = ConvBnRelu(g, b.Conv1, b.Bn1, x, "1");
        y = g.Emit(b.Bn2, g.Emit(b.Conv2, y, "conv2"), "bn2");
        string skip = b.Downsample is null ? x : g.Emit(b.Downsample, x, "downsample");
        return g.Node("Relu", g.Node("Add", [y, skip]));
    }

    private static string Bottleneck(Module m, OnnxGraph g, string x)
    {
        var b = (Bottleneck)m;
        string y = ConvBnRelu(g, b.Conv1, b.Bn1, x, "1");
        y = ConvBnRelu(g, b.Conv2, b.Bn2, y, "2");
        y = g.Emit(b.Bn3, g.Emit(b.Conv3, y, "conv3"), "bn3");
        string skip = b.Downsample is null ? x : g.Emit(b.Downsample, x, "downsample");
        return g.Node("Relu", g.Node("Add", [y, skip]));
    }

    private static string InceptionV1(Module m, OnnxGraph g, string x) =>
        g.Node("Concat", [.. m.NamedChildren().Select(c => g.Emit(c.Module, x, c.Name))], ("axis", 1));

    /// <summary>conv{i} → bn{i} → ReLU, the ReLU's output given the batch norm's shape so that the next layer can read it.</summary>
    private static string ConvBnRelu(OnnxGraph g, Module conv, Module bn, string x, string i)
    {
        string normed = g.Emit(bn, g.Emit(conv, x, "conv" + i), "bn" + i);
        string y = g.Node("Relu", normed);
        g.SetShape(y, [.. g.ShapeOf(normed)], g.DTypeOf(normed));
        return y;
    }

    /// <summary>GELU from Erf (exact) or Tanh (approximate "tanh"): opset 17 has no Gelu operator.</summary>
    private static string Gelu(Module m, OnnxGraph g, string x)
    {
        // exact: 0.5·x·(1 + erf(x/√2)); tanh: 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))).
        string inner = ((GELU)m).Approximate == "tanh"
            ? g.Node("Tanh", g.Node("Mul", [g.Node("Add", [x, g.Node("Mul", [g.Node("Mul", [g.Node("Mul", [x, x]), x]), g.Scalar("c", 0.044715f)])]), g.Scalar("k", (float)Math.Sqrt(2 / Math.PI))]))
            : g.Node("Erf", g.Node("Mul", [x, g.Scalar("inv_sqrt2", (float)(1 / Math.Sqrt(2)))]));
        string half = g.Node("Mul", [x, g.Scalar("half", 0.5f)]);
        return g.Node("Mul", [half, g.Node("Add", [inner, g.Scalar("one", 1f)])]);
    }

    private static string Flatten(Module m, OnnxGraph g, string x)
    {
        var f = (Flatten)m;
        var s = g.ShapeOf(x);
        var outShape = g.OutputShape(m, x);
        bool fromOne = s.Count >= 2 && s[0] < 0 && (f.StartDim == 1 || f.StartDim == 1 - s.Count) && (f.EndDim == -1 || f.EndDim == s.Count - 1);
        return fromOne ? g.Node("Flatten", x, ("axis", 1)) : g.Reshape(x, outShape);
    }
}
