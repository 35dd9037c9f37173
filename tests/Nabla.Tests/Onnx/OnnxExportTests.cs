using Microsoft.ML.OnnxRuntime;
using Nabla.NN;
using Nabla.Onnx;
using Nabla.Onnx.Proto;
using Nabla.Training;

namespace Nabla.Tests.Onnx;

/// <summary>What the exported file says about itself, and what the export refuses (with the layer and its path named).</summary>
public class OnnxExportTests
{
    [Fact]
    public void Model_declares_opset_17_ir_8_and_a_dynamic_batch()
    {
        var proto = ModelProto.Parser.ParseFrom(OnnxExport.ToBytes(BuiltinModels.LeNet5(new Generator(0)), new Shape(1, 32, 32)));
        Assert.Equal(8, proto.IrVersion);
        var opset = Assert.Single(proto.OpsetImport);
        Assert.Equal(("", 17L), (opset.Domain, opset.Version));
        var input = Assert.Single(proto.Graph.Input).Type.TensorType;
        Assert.Equal((int)TensorProto.Types.DataType.Float, input.ElemType);
        Assert.Equal("batch", input.Shape.Dim[0].DimParam);
        Assert.Equal([1L, 32, 32], input.Shape.Dim.Skip(1).Select(d => d.DimValue));
        var output = Assert.Single(proto.Graph.Output);
        Assert.Equal("output", output.Name);
        Assert.Equal("batch", output.Type.TensorType.Shape.Dim[0].DimParam);
        Assert.Equal(10, output.Type.TensorType.Shape.Dim[1].DimValue);
    }

    [Fact]
    public void Weights_are_initializers_named_by_their_state_dict_keys()
    {
        var model = new Sequential(new Conv2d(1, 2, 3, generator: new Generator(1)), new BatchNorm2d(2), new Flatten(), new Linear(8, 3, generator: new Generator(2)));
        var proto = ModelProto.Parser.ParseFrom(OnnxExport.ToBytes(model, new Shape(1, 4, 4)));
        var names = proto.Graph.Initializer.Select(t => t.Name).ToHashSet();
        foreach (var key in model.StateDict().Keys.Where(k => !k.EndsWith("num_batches_tracked", StringComparison.Ordinal)))
        {
            Assert.Contains(key, names);
        }

        var weight = proto.Graph.Initializer.Single(t => t.Name == "3.weight");
        Assert.Equal([3L, 8], weight.Dims);
        Assert.Equal(model.StateDict()["3.weight"].ToFloatArray(), System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(weight.RawData.Span).ToArray());
    }

    [Theory]
    [InlineData(5, 1, 1)] // ceil: 3 windows; PyTorch drops a 4th that would start in the right padding; floor gives 3 with no extra padding
    [InlineData(10, 1, 2)] // k 3, s 2, p 1 on 10: ceil gives 6 windows, floor 5: one more row of padding at the end
    public void Ceil_mode_pools_are_written_in_floor_mode_with_end_padding(int size, int padding, int endPadding)
    {
        var pool = new MaxPool2d(size == 5 ? 2 : 3, 2, padding, ceilMode: true);
        var proto = ModelProto.Parser.ParseFrom(OnnxExport.ToBytes(pool, new Shape(1, size, size)));
        var node = Assert.Single(proto.Graph.Node);
        Assert.Equal(0, node.Attribute.Single(a => a.Name == "ceil_mode").I);
        Assert.Equal([padding, padding, endPadding, endPadding], node.Attribute.Single(a => a.Name == "pads").Ints);
    }

    [Fact]
    public void Export_leaves_the_model_in_training_mode_and_writes_a_file_onnx_runtime_loads()
    {
        var model = new Sequential(new Linear(3, 2, generator: new Generator(1)), new Dropout(0.5));
        string path = Path.Combine(Path.GetTempPath(), $"nabla-onnx-{Guid.NewGuid():N}.onnx");
        try
        {
            OnnxExport.Export(model, new Shape(3), path);
            Assert.True(model.IsTraining);
            using var session = new InferenceSession(path);
            var x = Tensor.FromArray([1f, -2f, 0.5f], new Shape(1, 3));
            var (y, shape) = OnnxParity.Run(session, x);
            Assert.Equal([1L, 2], shape);
            Assert.Equal(F.Linear(x, ((Linear)model[0]).Weight, ((Linear)model[0]).Bias).ToFloatArray(), y); // dropout is the identity
        }
        finally
        {
            File.Delete(path);
        }
    }

    private sealed class Custom : Module
    {
        public override Tensor Forward(Tensor input) => input * 2;
    }

    public static TheoryData<string, Func<Module>, int[], string> Refused => new()
    {
        { "an unknown layer", () => new Sequential(new Linear(4, 4, generator: new Generator(1)), new Sequential(new ReLU(), new Custom())), [4], "Custom at '1.1': ONNX export has no emitter for Custom" },
        { "attention", () => new Sequential(new MultiheadAttention(4, 2, batchFirst: true, generator: new Generator(1))), [3, 4], "MultiheadAttention at '0': ONNX export has no emitter" },
        { "the model itself", () => new Custom(), [4], "Custom at '(the model)'" },
        { "a flatten over the batch", () => new Sequential(new Linear(4, 4, generator: new Generator(1)), new Flatten(0)), [4], "Flatten at '1': its output dimension 0 depends on the batch size" },
        { "a divisor with ceil mode", () => new AvgPool2d(3, 2, ceilMode: true, divisorOverride: 2), [1, 6, 6], "AvgPool2d at '(the model)': divisorOverride with ceilMode" },
        { "an instance norm whose channels are the batch", () => new InstanceNorm1d(4), [7], "InstanceNorm1d at '(the model)': its channels would be the batch dimension" },
        { "a 3-D pool in ceil mode", () => new MaxPool3d(2, ceilMode: true), [1, 5, 5, 5], "MaxPool3d at '(the model)': ceilMode is not exported" },
        { "uneven 3-D adaptive windows", () => new AdaptiveAvgPool3d(2), [1, 5, 4, 4], "AdaptiveAvgPool3d at '(the model)': input sizes 5×4×4 are not multiples" },
        { "float64 weights", () => new Sequential(new Linear(2, 2, generator: new Generator(1))).To(DType.Float64), [2], "'0.weight' is Float64" },
    };

    [Theory]
    [MemberData(nameof(Refused))]
    public void Unsupported_model_is_refused_naming_the_layer(string what, Func<Module> build, int[] perSample, string message)
    {
        var e = Assert.Throws<NotSupportedException>(() => OnnxExport.ToBytes(build(), new Shape(perSample)));
        Assert.True(e.Message.Contains(message, StringComparison.Ordinal), $"{what}: {e.Message}");
    }

    [Fact]
    public void Input_shape_that_does_not_fit_is_an_argument_error()
    {
        var e = Assert.ThrowsAny<ArgumentException>(() => OnnxExport.ToBytes(new Linear(4, 2, generator: new Generator(1)), new Shape(5)));
        Assert.Contains("Linear", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Every_layer_of_the_model_file_has_an_emitter()
    {
        // A layer added to the model file's catalog needs an emitter (or an entry here, with the reason, and in docs/onnx.md).
        // The Transformer decoder layers need the memory, a second input: a model file's chain cannot run them either.
        string[] notExported = ["TransformerDecoderLayer", "TransformerDecoder", "Transformer"];
        var missing = LayerRegistry.All.Where(d => !OnnxEmitters.Table.ContainsKey(d.ModuleType)).Select(d => d.Name).Except(notExported).ToArray();
        Assert.True(missing.Length == 0, "no ONNX emitter for: " + string.Join(", ", missing));
    }
}
