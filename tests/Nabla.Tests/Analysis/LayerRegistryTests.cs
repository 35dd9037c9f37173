using Nabla.Analysis;
using Nabla.Models;
using Nabla.NN;

namespace Nabla.Tests.Analysis;

/// <summary>
/// The completeness test of the layer registry: every module class has a descriptor, and every descriptor's facets
/// agree with the module it builds — a model-file round trip (module → file → module) gives the same state dict and
/// the same output, and the shape arithmetic gives the shape, parameter and buffer counts that running it gives.
/// </summary>
public class LayerRegistryTests
{
    // Module classes that are not layers of a model file, and why.
    private static readonly Dictionary<Type, string> NotLayers = new()
    {
        [typeof(PairwiseDistance)] = "compares two inputs",
        [typeof(MaxUnpool1d)] = "takes the values and the indices of a max pool (two inputs)",
        [typeof(MaxUnpool2d)] = "takes the values and the indices of a max pool (two inputs)",
        [typeof(Nabla.Training.Gpt)] = "a whole language model on token ids, built by 'nabla train --model gpt-tiny'",
        [typeof(ModuleList)] = "a list of modules without a forward of its own",
        [typeof(ModuleDict)] = "a dictionary of modules without a forward of its own",
        [typeof(MultiheadAttention)] = "takes query, key and value and returns (output, weights); used inside other modules",
        [typeof(RNNCell)] = "one time step with an explicit state; the sequence layers are RNN, LSTM and GRU",
        [typeof(LSTMCell)] = "one time step with an explicit state; the sequence layers are RNN, LSTM and GRU",
        [typeof(GRUCell)] = "one time step with an explicit state; the sequence layers are RNN, LSTM and GRU",
        [typeof(Bilinear)] = "takes two inputs (x1, x2); a model file's layers take the one output of the layer before",
        [typeof(CosineSimilarity)] = "takes two inputs (x1, x2); a model file's layers take the one output of the layer before",
    };

    public static TheoryData<string> LayerNames => [.. LayerRegistry.Names];

    [Fact]
    public void Every_module_class_has_a_descriptor_or_a_reason()
    {
        var missing = typeof(Module).Assembly.GetTypes()
            .Where(t => t.IsPublic && !t.IsAbstract && t.IsSubclassOf(typeof(Module)) && !t.IsSubclassOf(typeof(Loss)))
            .Where(t => !NotLayers.ContainsKey(t) && !LayerRegistry.All.Any(d => d.ModuleType == t))
            .Select(t => t.Name).ToList();
        Assert.True(missing.Count == 0, "module classes without a LayerDescriptor: " + string.Join(", ", missing));
    }

    [Theory]
    [MemberData(nameof(LayerNames))]
    public void Descriptor_has_every_facet(string name)
    {
        var d = LayerRegistry.Find(name)!;
        Assert.NotEmpty(d.Examples);
        Assert.Equal(d.Name, LayerRegistry.For(d.Build(d.Examples[0].Spec))!.Name);
        foreach (var e in d.Examples)
        {
            Assert.Equal(name, e.Spec.Type);
            var formula = d.Formula(e.Spec, d.Build(e.Spec), train: false);
            Assert.Matches("^[yh]_?t? = ", formula);
            Assert.NotEqual($"y = {name}(x)", formula); // the generic fallback: the descriptor says nothing
        }
    }

    [Theory]
    [MemberData(nameof(LayerNames))]
    public void Model_file_round_trip_gives_the_same_state_and_output(string name)
    {
        foreach (var example in LayerRegistry.Find(name)!.Examples)
        {
            // A model file's layers form a Sequential: wrap the layer so that both sides name their tensors "0.weight".
            var layer = LayerRegistry.Build(example.Spec);
            var original = layer is Sequential ? layer : new Sequential([layer]);
            string yaml = ModelFile.Write(original, example.Input, name);
            var definition = ModelFile.Parse(yaml);
            var rebuilt = definition.Build();

            var a = original.StateDict();
            var b = rebuilt.StateDict();
            Assert.Equal(a.Keys.Order(), b.Keys.Order());
            Assert.All(a, kv => Assert.Equal(kv.Value.Shape, b[kv.Key].Shape));
            rebuilt.LoadStateDict(a);
            Assert.Equal(yaml, ModelFile.Write(rebuilt, example.Input, name)); // describing the rebuilt module changes nothing

            original.Eval();
            rebuilt.Eval();
            var x = Input(example);
            var expected = Run(original, x).ToDoubleArray();
            var actual = Run(rebuilt, x).ToDoubleArray();
            Assert.Equal(expected, actual);
        }
    }

    [Theory]
    [MemberData(nameof(LayerNames))]
    public void Shape_arithmetic_agrees_with_running_the_module(string name)
    {
        foreach (var example in LayerRegistry.Find(name)!.Examples)
        {
            var module = LayerRegistry.Build(example.Spec);
            module.Eval();
            var output = Run(module, Input(example));
            var summary = ModelSummary.Of(example.Spec, example.Input);

            Assert.Equal(output.Shape.ToArray()[1..], summary.OutputShape.ToArray());
            Assert.Equal(module.Parameters().Sum(p => p.Numel), summary.Totals.Params);
            long statistics = module.Buffers().Where(t => t.DType is DType.Float32 or DType.Float64).Sum(t => t.Numel);
            Assert.Equal(statistics, summary.Totals.NonTrainable);

            // The rows name the layers as the module's state dict does (a block's expansion included): every row is a
            // module of that name, and every parameter belongs to a leaf row (a leaf such as an encoder layer may hold
            // modules of its own, analysed as one row).
            var modules = module.NamedModules().Select(m => m.Name).ToHashSet();
            Assert.All(summary.Rows.Select(r => r.Path).Where(n => n.Length > 0), p => Assert.Contains(p, modules));
            var leaves = summary.Layers.Select(r => r.Path).ToList();
            foreach (var (parameter, _) in module.NamedParameters())
            {
                string owner = parameter.Contains('.', StringComparison.Ordinal) ? parameter[..parameter.LastIndexOf('.')] : string.Empty;
                Assert.True(leaves.Any(l => l == owner || l.Length == 0 || owner.StartsWith(l + ".", StringComparison.Ordinal)), $"{parameter} belongs to no row");
            }
        }
    }

    [Fact]
    public void Registering_a_second_descriptor_for_a_name_is_refused()
    {
        var e = Assert.Throws<ArgumentException>(() => LayerRegistry.Register(new ReLUDescriptor()));
        Assert.Contains("'ReLU' is already registered", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unknown_type_is_refused_with_a_suggestion()
    {
        var e = Assert.Throws<ModelShapeException>(() => LayerRegistry.Build(new LayerSpec("Conv2D")));
        Assert.Contains("did you mean 'Conv2d'?", e.Message, StringComparison.Ordinal);
    }

    // The two-input layers run with one sequence as both inputs (a decoder's target and memory, a Transformer's source
    // and target), as their summaries take them (S = T); every other layer is run as the model file runs it.
    private static Tensor Run(Module module, Tensor x) => (module is Sequential { Count: 1 } s ? s[0] : module) switch
    {
        TransformerDecoderLayer d => d.Forward(x, x),
        TransformerDecoder d => d.Forward(x, x),
        Transformer t => t.Forward(x, x),
        _ => module.Forward(x),
    };

    // A batch of two samples: seeded normal values, or indices below the example's bound.
    private static Tensor Input(LayerExample e)
    {
        var shape = new Shape([2, .. e.Input.ToArray()]);
        if (e.IndexBound > 0)
        {
            var rng = new Random(7);
            return Tensor.FromArray([.. Enumerable.Range(0, (int)shape.Numel).Select(_ => (long)rng.Next(e.IndexBound))], shape);
        }

        return Tensor.Randn(shape, new Generator(11));
    }
}
