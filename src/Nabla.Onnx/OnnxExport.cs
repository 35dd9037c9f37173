using System.Reflection;
using Google.Protobuf;
using Nabla.Formats;
using Nabla.NN;
using Nabla.Onnx.Proto;
using Module = Nabla.NN.Module;

namespace Nabla.Onnx;

/// <summary>Settings of <see cref="OnnxExport"/>.</summary>
public sealed record OnnxExportOptions
{
    /// <summary>The graph input's name (default <c>input</c>).</summary>
    public string InputName { get; init; } = "input";

    /// <summary>The graph output's name (default <c>output</c>).</summary>
    public string OutputName { get; init; } = "output";

    /// <summary>
    /// The input's element type: Float32, or Int64 for token ids. Default: Int64 when the model's first layer is an
    /// <see cref="Embedding"/>, else Float32.
    /// </summary>
    public DType? InputDType { get; init; }

    /// <summary>The graph's name (default: the model's type name).</summary>
    public string? GraphName { get; init; }
}

/// <summary>
/// Writes a Nabla model as an ONNX model (opset <see cref="Opset"/>, IR version <see cref="IrVersion"/>) for ONNX
/// Runtime and the other tools that serve ONNX: the graph computes the model in evaluation mode (dropout is the
/// identity, batch norm uses its running statistics), its input is (batch, …per-sample shape) with the batch a symbolic
/// dimension named <c>batch</c>, and its weights are float32 initializers named by their state-dict keys.
/// </summary>
/// <remarks>
/// Each module type is written by its entry in <see cref="OnnxEmitters.Table"/>; a module with none (or with settings
/// ONNX cannot express exactly) is refused with a <see cref="NotSupportedException"/> that names the layer and its
/// path. The model itself is not changed (its training mode included). See docs/onnx.md.
/// </remarks>
public static class OnnxExport
{
    /// <summary>The ONNX operator set the graph uses (default domain).</summary>
    public const int Opset = 17;

    /// <summary>The ONNX IR version written: 8, the one released with opset 17 (ONNX 1.12).</summary>
    public const long IrVersion = 8;

    /// <summary>A protobuf message, so a whole model, must stay under 2 GiB (ONNX's external-data files are not written).</summary>
    private const long MaxWeightBytes = int.MaxValue - (64L << 20);

    /// <summary>The ONNX model as bytes (an <c>.onnx</c> file's content).</summary>
    /// <param name="model">The model; not changed.</param>
    /// <param name="inputPerSample">One sample's input shape, without the batch (e.g. [1, 28, 28]; [50] for 50 token ids).</param>
    /// <param name="options">Names and the input type, or null for the defaults.</param>
    /// <exception cref="NotSupportedException">A layer cannot be exported; the message names it and its path.</exception>
    /// <exception cref="ArgumentException">The input shape does not fit the model.</exception>
    public static byte[] ToBytes(Module model, Shape inputPerSample, OnnxExportOptions? options = null) =>
        Build(model, inputPerSample, options).ToByteArray();

    /// <summary>Writes the ONNX model to <paramref name="output"/>.</summary>
    /// <param name="model">The model; not changed.</param>
    /// <param name="inputPerSample">One sample's input shape, without the batch.</param>
    /// <param name="options">Names and the input type, or null for the defaults.</param>
    /// <exception cref="NotSupportedException">A layer cannot be exported; the message names it and its path.</exception>
    /// <param name="output">The stream written to (left open).</param>
    public static void Export(Module model, Shape inputPerSample, Stream output, OnnxExportOptions? options = null) =>
        Build(model, inputPerSample, options).WriteTo(output);

    /// <summary>Writes the ONNX model to the file <paramref name="path"/>, atomically (a failure leaves any earlier file intact).</summary>
    /// <param name="model">The model; not changed.</param>
    /// <param name="inputPerSample">One sample's input shape, without the batch.</param>
    /// <param name="options">Names and the input type, or null for the defaults.</param>
    /// <exception cref="NotSupportedException">A layer cannot be exported; the message names it and its path.</exception>
    /// <param name="path">The .onnx file.</param>
    public static void Export(Module model, Shape inputPerSample, string path, OnnxExportOptions? options = null) =>
        AtomicFile.Write(path, ToBytes(model, inputPerSample, options));

    internal static ModelProto Build(Module model, Shape inputPerSample, OnnxExportOptions? options)
    {
        options ??= new OnnxExportOptions();
        if (!BitConverter.IsLittleEndian)
        {
            throw new PlatformNotSupportedException("ONNX export writes weights as raw little-endian bytes and needs a little-endian machine");
        }

        CheckWeights(model);
        var inputType = options.InputDType ?? (FirstLeaf(model) is Embedding ? DType.Int64 : DType.Float32);
        if (inputType is not (DType.Float32 or DType.Int64))
        {
            throw new ArgumentException($"ONNX export: the input type must be Float32 or Int64 (token ids), not {inputType}", nameof(options));
        }

        using var noGrad = GradMode.NoGrad();
        var g = new OnnxGraph(options.InputName, inputPerSample, inputType, options.OutputName);
        string y = g.Emit(model, options.InputName);
        var (outShape, outType) = (g.ShapeOf(y).ToArray(), g.DTypeOf(y));
        Rename(g.Proto, y, options.OutputName, options.InputName);
        g.Proto.Name = options.GraphName ?? model.TypeName;
        g.Proto.Input.Add(ValueInfo(options.InputName, inputType, [-1, .. inputPerSample.ToArray()]));
        g.Proto.Output.Add(ValueInfo(options.OutputName, outType, outShape));
        var proto = new ModelProto
        {
            IrVersion = IrVersion, ProducerName = "Nabla", Graph = g.Proto,
            ProducerVersion = typeof(Module).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "",
        };
        proto.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = Opset });
        return proto;
    }

    /// <summary>Refuses float64 weights (the graph is float32 throughout) and models over protobuf's 2 GiB.</summary>
    private static void CheckWeights(Module model)
    {
        var tensors = model.NamedParameters().Concat(model.NamedBuffers()).Where(t => t.Item2.DType.IsFloatingPoint()).ToList();
        if (tensors.FirstOrDefault(t => t.Item2.DType != DType.Float32) is { Item2: not null } wide)
        {
            throw new NotSupportedException($"ONNX export writes float32, but '{wide.Item1}' is {wide.Item2.DType}: convert the model first (model.To(DType.Float32))");
        }

        long bytes = tensors.Sum(t => t.Item2.Numel * 4);
        if (bytes > MaxWeightBytes)
        {
            throw new NotSupportedException($"the model's weights take {bytes >> 20} MiB, more than a protobuf message (an .onnx file without external data) can hold (2 GiB)");
        }
    }

    /// <summary>The first module with no children in registration order: the first layer to see the input in a Sequential.</summary>
    private static Module FirstLeaf(Module m) => m.Children().FirstOrDefault() is { } child ? FirstLeaf(child) : m;

    /// <summary>
    /// Gives the graph's result the output name: renames the value everywhere, or, when the result is the input or a
    /// weight (a model that is the identity), adds an Identity node.
    /// </summary>
    private static void Rename(GraphProto graph, string value, string name, string input)
    {
        if (value == input || graph.Initializer.Any(t => t.Name == value))
        {
            graph.Node.Add(new NodeProto { OpType = "Identity", Name = name, Input = { value }, Output = { name } });
            return;
        }

        foreach (var node in graph.Node)
        {
            for (int i = 0; i < node.Output.Count; i++)
            {
                node.Output[i] = node.Output[i] == value ? name : node.Output[i];
            }

            for (int i = 0; i < node.Input.Count; i++)
            {
                node.Input[i] = node.Input[i] == value ? name : node.Input[i];
            }
        }
    }

    private static ValueInfoProto ValueInfo(string name, DType dtype, int[] shape)
    {
        var tensor = new TypeProto.Types.Tensor
        {
            ElemType = (int)(dtype == DType.Int64 ? TensorProto.Types.DataType.Int64 : TensorProto.Types.DataType.Float),
            Shape = new TensorShapeProto(),
        };
        foreach (int d in shape)
        {
            tensor.Shape.Dim.Add(d < 0 ? new TensorShapeProto.Types.Dimension { DimParam = "batch" } : new TensorShapeProto.Types.Dimension { DimValue = d });
        }

        return new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = tensor } };
    }
}
