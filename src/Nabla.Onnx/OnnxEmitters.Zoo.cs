using Nabla.NN;

namespace Nabla.Onnx;

// The blocks of torchvision's classic models (GoogLeNet's BasicConv2d and Inception, SqueezeNet's Fire, MobileNetV2's
// InvertedResidual, DenseNet's DenseBlock): their children's nodes joined as their Forward joins them. Inception is
// written by the InceptionV1 emitter (its four branches concatenated on channels).
public static partial class OnnxEmitters
{
    /// <summary>BasicConv2d: relu(bn(conv(x))).</summary>
    private static string BasicConv2d(Module m, OnnxGraph g, string x)
    {
        var b = (BasicConv2d)m;
        return ConvBnRelu(g, b.Conv, b.Bn, x, "");
    }

    /// <summary>Fire: s = relu(squeeze(x)); concat(relu(expand1x1(s)), relu(expand3x3(s))) on channels.</summary>
    private static string Fire(Module m, OnnxGraph g, string x)
    {
        var children = m.NamedChildren().ToDictionary(c => c.Name, c => c.Module);
        string Activated(string name, string input) => g.Emit(children[name + "_activation"], g.Emit(children[name], input, name), name + "_activation");
        string s = Activated("squeeze", x);
        return g.Node("Concat", [Activated("expand1x1", s), Activated("expand3x3", s)], ("axis", 1));
    }

    /// <summary>InvertedResidual: conv(x), plus x when the stride is 1 and the channels stay.</summary>
    private static string InvertedResidual(Module m, OnnxGraph g, string x)
    {
        var b = (InvertedResidual)m;
        string y = g.Emit(b.Conv, x, "conv");
        return b.UseResConnect ? g.Node("Add", [x, y]) : y;
    }

    /// <summary>DenseBlock: layer i reads the concatenation (on channels) of the input and every earlier layer's output; the block returns the concatenation of all.</summary>
    private static string DenseBlock(Module m, OnnxGraph g, string x)
    {
        var features = new List<string> { x };
        string Joined()
        {
            if (features.Count == 1)
            {
                return x;
            }

            // A value no module produced, read by the next layer: give it its shape (channels summed).
            string c = g.Node("Concat", [.. features], ("axis", 1));
            int[] shape = [.. g.ShapeOf(x)];
            shape[1] = features.Sum(f => g.ShapeOf(f)[1]);
            g.SetShape(c, shape, g.DTypeOf(x));
            return c;
        }

        foreach (var (name, layer) in m.NamedChildren())
        {
            features.Add(g.Emit(layer, Joined(), name));
        }

        return Joined();
    }
}
