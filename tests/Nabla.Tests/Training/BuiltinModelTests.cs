using Nabla.Analysis;
using Nabla.Cli.Commands;
using Nabla.Models;
using Nabla.NN;
using Nabla.Training;

namespace Nabla.Tests.Training;

/// <summary>
/// One source per built-in model: the LeNet-5 that <c>nabla train</c> trains and the one <c>nabla summary lenet5</c>
/// summarises come from one model file and are the same architecture, and its seeded initialisation is the one a
/// module-by-module construction with the same generator gives.
/// </summary>
[Collection(GlobalStateCollection.Name)] // checks that building leaves Generator.Default alone
public sealed class BuiltinModelTests
{
    [Fact]
    public void Train_and_summary_build_the_same_lenet5()
    {
        var trained = BuiltinModels.Create("lenet5", new Generator(0));
        var definition = SummaryCommand.Resolve("lenet5");
        var summarised = definition.Build();
        Assert.Equal(Shapes(trained), Shapes(summarised));

        // LeCun et al. 1998's LeNet-5 with full C3 connections: 156 + 2,416 + 48,120 + 10,164 + 850 = 61,706 parameters.
        Assert.Equal(61_706, trained.Parameters().Sum(p => p.Numel));
        Assert.Equal(61_706, definition.Summarize().Totals.Params);
        Assert.Contains("lenet5", BuiltinModelFiles.Names);
        Assert.Equal(SummaryCommand.Builtins, BuiltinModelFiles.Names);
    }

    /// <summary>
    /// The file-built LeNet-5 initialises exactly as LeNet-5 written out module by module with the same generator
    /// (PyTorch's order: each layer's weight, then its bias), and leaves the default generator alone.
    /// </summary>
    [Theory]
    [InlineData(0, 10)]
    [InlineData(7, 4)]
    public void Seeded_lenet5_matches_a_module_by_module_construction(long seed, int classes)
    {
        var state = Generator.Default.GetState();
        var built = BuiltinModels.LeNet5(new Generator(seed), classes);
        Assert.Equal(state, Generator.Default.GetState());
        var g = new Generator(seed);
        var reference = new Sequential(
            new Conv2d(1, 6, 5, generator: g), new Tanh(), new AvgPool2d(2),
            new Conv2d(6, 16, 5, generator: g), new Tanh(), new AvgPool2d(2),
            new Conv2d(16, 120, 5, generator: g), new Tanh(), new Flatten(),
            new Linear(120, 84, generator: g), new Tanh(), new Linear(84, classes, generator: g));
        var expected = reference.StateDict();
        var actual = built.StateDict();
        Assert.Equal(expected.Keys, actual.Keys);
        foreach (var (name, t) in expected)
        {
            Assert.Equal(t.Shape, actual[name].Shape);
            Assert.Equal(t.ToDoubleArray(), actual[name].ToDoubleArray());
        }
    }

    private static List<(string, Shape)> Shapes(Module m) => [.. m.StateDict().Select(kv => (kv.Key, kv.Value.Shape))];
}
