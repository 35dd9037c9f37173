using System.Globalization;
using System.Runtime.InteropServices;
using Google.Protobuf;
using Nabla.NN;
using Nabla.Onnx.Proto;

namespace Nabla.Onnx;

/// <summary>Turns one module into ONNX nodes: reads <paramref name="input"/>, adds nodes to <paramref name="graph"/>, returns the output's name.</summary>
/// <param name="module">The module (of the type the emitter is registered for).</param>
/// <param name="graph">The graph being built.</param>
/// <param name="input">The name of the value the module reads.</param>
/// <returns>The name of the value the module's output is.</returns>
public delegate string OnnxEmitter(Module module, OnnxGraph graph, string input);

/// <summary>
/// The ONNX graph under construction: nodes, initializers (the weights, named by their state-dict keys), and the
/// shape of every module's input and output. Emitters (<see cref="OnnxEmitters"/>) add to it.
/// </summary>
/// <remarks>
/// Shapes are known per sample at export time; only the batch is left open (the graph's input has the symbolic first
/// dimension <c>batch</c>). <see cref="ShapeOf"/> marks the batch dimension with −1. It is found by asking each module
/// for its output shape at batch 1 and at batch 2: a dimension that follows the batch is the batch, one that does
/// not change is fixed, and any other (a layer that folds the batch into another dimension) is refused, because the
/// graph could not keep the batch open.
/// </remarks>
public sealed class OnnxGraph
{
    private readonly Dictionary<string, int[]> shapes = [];
    private readonly Dictionary<string, DType> dtypes = [];
    private readonly HashSet<string> names = [];
    private readonly List<string> path = [];

    internal OnnxGraph(string input, Shape perSample, DType dtype, string output)
    {
        shapes[input] = [-1, .. perSample.ToArray()];
        dtypes[input] = dtype;
        names.Add(input);
        names.Add(output); // the name the result gets at the end
    }

    internal GraphProto Proto { get; } = new();

    /// <summary>The dotted path of the module being emitted (its state-dict prefix; "" for the model itself).</summary>
    public string Path => string.Join('.', path.Where(p => p.Length > 0));

    /// <summary>The shape of a module's input or output, −1 marking the (dynamic) batch dimension.</summary>
    /// <exception cref="KeyNotFoundException">The value is not a module's input or output (an emitter's intermediate).</exception>
    public IReadOnlyList<int> ShapeOf(string value) => shapes[value];

    /// <summary>The element type of a module's input or output.</summary>
    public DType DTypeOf(string value) => dtypes[value];

    /// <summary>
    /// Emits <paramref name="module"/> (a child named <paramref name="name"/> of the module being emitted) on
    /// <paramref name="input"/> with the emitter <see cref="OnnxEmitters.Table"/> holds for its type, and records its
    /// output's shape.
    /// </summary>
    /// <exception cref="NotSupportedException">No emitter for the module's type, or the emitter refuses its settings; the message names the layer and its path.</exception>
    public string Emit(Module module, string input, string name = "")
    {
        path.Add(name);
        try
        {
            if (!OnnxEmitters.Table.TryGetValue(module.GetType(), out var emit))
            {
                throw Refuse(module, $"ONNX export has no emitter for {module.TypeName} (supported: {string.Join(", ", OnnxEmitters.Table.Keys.Select(t => t.Name).Order(StringComparer.Ordinal))})");
            }

            // Children first: a layer inside that cannot be exported is named, not its container.
            string output = emit(module, this, input);
            shapes[output] = OutputShape(module, input);
            if (!dtypes.ContainsKey(output))
            {
                // Every layer keeps its input's element type but the embedding, which turns int64 ids into float32 vectors.
                dtypes[output] = module.NamedModules().Any(m => m.Module is Embedding) ? DType.Float32 : dtypes[input];
            }
            return output;
        }
        finally
        {
            path.RemoveAt(path.Count - 1);
        }
    }

    /// <summary>
    /// The output shape of <paramref name="module"/> on <paramref name="input"/>, −1 marking the batch (see the remarks
    /// on <see cref="OnnxGraph"/>).
    /// </summary>
    /// <exception cref="NotSupportedException">The module folds the batch into another dimension.</exception>
    public int[] OutputShape(Module module, string input)
    {
        int[] x = shapes[input];
        int[] At(int batch) => module.OutputShape(new Shape([.. x.Select(d => d < 0 ? batch : d)])).ToArray();
        int[] one = At(1), two = At(2);
        var result = new int[one.Length];
        for (int i = 0; i < one.Length; i++)
        {
            result[i] = one[i] == two[i] ? one[i]
                : one[i] == 1 && two[i] == 2 && x.Contains(-1) ? -1
                : throw Refuse(module, $"its output dimension {i} depends on the batch size but is not the batch (input {Format(x)}): an ONNX graph with a dynamic batch cannot express that");
        }

        return result.Count(d => d < 0) <= 1 ? result
            : throw Refuse(module, $"its output {Format(result)} repeats the batch dimension");
    }

    /// <summary>The exception for a module the export cannot write: names the layer's type and path, and why.</summary>
    public NotSupportedException Refuse(Module module, string why) =>
        new($"{module.TypeName} at '{(Path.Length == 0 ? "(the model)" : Path)}': {why}");

    /// <summary>Adds a node with one output and returns the output's name.</summary>
    /// <param name="opType">The ONNX operator (opset <see cref="OnnxExport.Opset"/>, default domain).</param>
    /// <param name="inputs">Input names; "" for an optional input left out.</param>
    /// <param name="attributes">Attributes: int or long, float or double, string, int[] or long[], float[], string[].</param>
    public string Node(string opType, string[] inputs, params (string Name, object Value)[] attributes) =>
        Node(opType, inputs, 1, attributes)[0];

    /// <summary>Adds a node with one output reading one input.</summary>
    public string Node(string opType, string input, params (string Name, object Value)[] attributes) =>
        Node(opType, [input], 1, attributes)[0];

    /// <summary>Adds a node with <paramref name="outputs"/> outputs and returns their names.</summary>
    public string[] Node(string opType, string[] inputs, int outputs, params (string Name, object Value)[] attributes)
    {
        string name = Unique($"{(Path.Length == 0 ? "" : Path + "/")}{opType}");
        var node = new NodeProto { OpType = opType, Name = name };
        node.Input.Add(inputs);
        var outs = Enumerable.Range(0, outputs).Select(i => i == 0 ? name : Unique($"{name}:{i}")).ToArray();
        node.Output.Add(outs);
        node.Attribute.Add(attributes.Select(a => Attribute(a.Name, a.Value)));
        Proto.Node.Add(node);
        return outs;
    }

    /// <summary>Adds a float32 initializer named <c>{path}.{name}</c> (a state-dict key when <paramref name="name"/> is the parameter's).</summary>
    public string Initializer(string name, float[] values, params int[] dims)
    {
        if (values.Length != dims.Aggregate(1L, (a, b) => a * b))
        {
            throw new ArgumentException($"initializer {name}: {values.Length} values for shape {Format(dims)}");
        }

        var t = new TensorProto { Name = Unique(Path.Length == 0 ? name : $"{Path}.{name}"), DataType = (int)TensorProto.Types.DataType.Float };
        t.Dims.Add(dims.Select(d => (long)d));
        t.RawData = UnsafeByteOperations.UnsafeWrap(new FloatBytes(values).Memory); // little-endian, as raw_data must be: no copy
        Proto.Initializer.Add(t);
        return t.Name;
    }

    /// <summary>Adds a float32 tensor (a parameter or buffer) as an initializer of its own shape.</summary>
    public string Initializer(string name, Tensor tensor) => Initializer(name, tensor.ToFloatArray(), tensor.Shape.ToArray());

    /// <summary>Adds an int64 vector initializer (shapes, axes, pads for operators that take them as inputs).</summary>
    public string Int64s(string name, params long[] values)
    {
        var t = new TensorProto { Name = Unique(Path.Length == 0 ? name : $"{Path}.{name}"), DataType = (int)TensorProto.Types.DataType.Int64 };
        t.Dims.Add(values.Length);
        t.Int64Data.Add(values);
        Proto.Initializer.Add(t);
        return t.Name;
    }

    /// <summary>A float32 scalar initializer (a constant operand of Mul, Add, Div, Pow).</summary>
    public string Scalar(string name, float value)
    {
        var t = new TensorProto { Name = Unique(Path.Length == 0 ? name : $"{Path}.{name}"), DataType = (int)TensorProto.Types.DataType.Float };
        t.FloatData.Add(value);
        Proto.Initializer.Add(t);
        return t.Name;
    }

    /// <summary>
    /// Reshapes <paramref name="input"/> to <paramref name="shape"/> (−1 = the batch): the batch is copied (0) where it
    /// stays in place, inferred (−1) where it moves; every other size is fixed.
    /// </summary>
    public string Reshape(string input, IReadOnlyList<int> shape)
    {
        int from = shapes.TryGetValue(input, out var s) ? Array.IndexOf(s, -1) : -1;
        var target = shape.Select((d, i) => d >= 0 ? d : i == from ? 0L : -1L).ToArray();
        return Node("Reshape", [input, Int64s("shape", target)]);
    }

    internal void SetShape(string value, int[] shape, DType dtype) => (shapes[value], dtypes[value]) = (shape, dtype);

    internal static string Format(IEnumerable<int> shape) => "[" + string.Join(", ", shape.Select(d => d < 0 ? "batch" : d.ToString(CultureInfo.InvariantCulture))) + "]";

    private string Unique(string name)
    {
        string n = name;
        for (int i = 1; !names.Add(n); i++)
        {
            n = $"{name}_{i}";
        }

        return n;
    }

    private static AttributeProto Attribute(string name, object value)
    {
        var a = new AttributeProto { Name = name };
        switch (value)
        {
            case int or long:
                (a.Type, a.I) = (AttributeProto.Types.AttributeType.Int, Convert.ToInt64(value, CultureInfo.InvariantCulture));
                break;
            case float or double:
                (a.Type, a.F) = (AttributeProto.Types.AttributeType.Float, Convert.ToSingle(value, CultureInfo.InvariantCulture));
                break;
            case string s:
                (a.Type, a.S) = (AttributeProto.Types.AttributeType.String, ByteString.CopyFromUtf8(s));
                break;
            case int[] or long[]:
                a.Type = AttributeProto.Types.AttributeType.Ints;
                a.Ints.Add(((System.Collections.IEnumerable)value).Cast<object>().Select(v => Convert.ToInt64(v, CultureInfo.InvariantCulture)));
                break;
            case float[] fs:
                a.Type = AttributeProto.Types.AttributeType.Floats;
                a.Floats.Add(fs);
                break;
            case string[] ss:
                a.Type = AttributeProto.Types.AttributeType.Strings;
                a.Strings.Add(ss.Select(ByteString.CopyFromUtf8));
                break;
            default:
                throw new ArgumentException($"attribute {name}: unsupported value type {value.GetType().Name}", nameof(value));
        }

        return a;
    }
}

/// <summary>The bytes of a float array as <see cref="Memory{T}"/>, so that a weight goes into the protobuf without a copy.</summary>
internal sealed class FloatBytes(float[] values) : System.Buffers.MemoryManager<byte>
{
    public override Span<byte> GetSpan() => MemoryMarshal.AsBytes(values.AsSpan());

    // Each pin holds its own handle, which the returned MemoryHandle frees when it is disposed.
    public override unsafe System.Buffers.MemoryHandle Pin(int elementIndex = 0)
    {
        var handle = GCHandle.Alloc(values, GCHandleType.Pinned);
        return new((byte*)handle.AddrOfPinnedObject() + elementIndex, handle);
    }

    public override void Unpin()
    {
    }

    protected override void Dispose(bool disposing)
    {
    }
}
