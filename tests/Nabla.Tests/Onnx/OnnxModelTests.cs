using Nabla.Analysis;
using Nabla.Cli.Commands;
using Nabla.NN;
using Nabla.Training;
using Xunit.Abstractions;

namespace Nabla.Tests.Onnx;

/// <summary>
/// Every built-in model (those of <c>nabla train</c> and the example model files of <c>nabla summary</c>) exported with
/// its seeded initialisation (batch norms given non-default statistics) and run in ONNX Runtime at two batch sizes.
/// </summary>
[Collection(GlobalStateCollection.Name)] // model files are built from the seeded Generator.Default
public class OnnxModelTests(ITestOutputHelper output)
{
    public static TheoryData<string> TrainModels => [.. BuiltinModels.Names];

    // The zoo's larger models at a reduced input size (their layers are the same at any size; ONNX Runtime and Nabla
    // take seconds instead of tens of seconds at 224×224 on 2 cores); vgg11 is left out: VGG-16 has its layer kinds, and
    // most of its time is its 130 M classifier weights, which no input size reduces.
    private static readonly Dictionary<string, int[]> Reduced = new()
    {
        ["googlenet"] = [3, 64, 64], ["mobilenet_v2"] = [3, 64, 64], ["densenet121"] = [3, 64, 64], ["squeezenet1_0"] = [3, 64, 64],
        ["squeezenet1_1"] = [3, 64, 64], ["resnet34"] = [3, 64, 64], ["resnet50"] = [3, 64, 64],
    };

    private static readonly string[] CoveredByOthers = ["vgg11"];

    public static TheoryData<string> ModelFiles => [.. SummaryCommand.Builtins.Except(CoveredByOthers)];

    [Theory]
    [MemberData(nameof(TrainModels))]
    public void Train_builtin_matches_onnx_runtime(string name)
    {
        var model = BuiltinModels.Create(name, new Generator(5));
        int size = BuiltinModels.InputSize(name);
        double worst = OnnxParity.AssertMatches(model, new Shape(1, size, size));
        output.WriteLine($"{name}: largest difference {worst:E2}");
    }

    [Theory]
    [MemberData(nameof(ModelFiles))]
    public void Model_file_matches_onnx_runtime(string name)
    {
        var definition = SummaryCommand.Resolve(name);
        Generator.Default.ManualSeed(3);
        var model = OnnxParity.Perturb(definition.Build());
        var input = Reduced.TryGetValue(name, out var reduced) ? new Shape(reduced) : definition.InputShape!.Value;
        int vocabulary = model.NamedModules().Select(m => m.Module).OfType<Embedding>().FirstOrDefault()?.NumEmbeddings ?? 0;
        double worst = OnnxParity.AssertMatches(model, input, [1, 2], vocabulary);
        output.WriteLine($"{name} {input}: largest difference {worst:E2}");
    }

    [Fact]
    public void Model_file_with_a_layer_without_emitter_is_refused_naming_it()
    {
        // Every registered layer has an emitter now: a zoo model with a module of the test's own after it.
        var model = new Sequential(SummaryCommand.Resolve("squeezenet1_1").Build(), new Doubled());
        var e = Assert.Throws<NotSupportedException>(() => Nabla.Onnx.OnnxExport.ToBytes(model, new Shape(3, 64, 64)));
        Assert.StartsWith("Doubled at '1': ONNX export has no emitter for Doubled", e.Message, StringComparison.Ordinal);
    }

    private sealed class Doubled : Module
    {
        public override Tensor Forward(Tensor input) => input * 2;
    }
}
