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

    public static TheoryData<string> ModelFiles => [.. SummaryCommand.Builtins];

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
        var input = definition.InputShape!.Value;
        int vocabulary = model.NamedModules().Select(m => m.Module).OfType<Embedding>().FirstOrDefault()?.NumEmbeddings ?? 0;
        double worst = OnnxParity.AssertMatches(model, input, [1, 2], vocabulary);
        output.WriteLine($"{name} {input}: largest difference {worst:E2}");
    }
}
