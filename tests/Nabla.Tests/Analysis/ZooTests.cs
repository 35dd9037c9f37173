using static Nabla.Tests.Analysis.AnalysisTestHelpers;
using Nabla.Analysis;
using Nabla.Models;

namespace Nabla.Tests.Analysis;

/// <summary>
/// The classic model zoo (examples/models, torchvision's function names): <c>nabla summary</c> gives torchvision's
/// published parameter counts exactly and its published "GFLOPS" (multiply-accumulates) to 1%.
/// </summary>
public class ZooTests
{
    /// <summary>torchvision's docs pages (num_params, GFLOPS at 3×224×224; torchvision's GFLOPS count MACs).</summary>
    public static TheoryData<string, long, double> Published { get; } = new()
    {
        { "alexnet", 61_100_840, 0.71 },
        { "vgg11", 132_863_336, 7.61 },
        { "vgg16", 138_357_544, 15.47 },
        { "resnet18", 11_689_512, 1.81 },
        { "resnet34", 21_797_672, 3.66 },
        { "resnet50", 25_557_032, 4.09 },
        { "googlenet", 6_624_904, 1.50 },
        { "mobilenet_v2", 3_504_872, 0.30 },
        { "densenet121", 7_978_856, 2.83 },
        { "squeezenet1_0", 1_248_424, 0.82 },
        { "squeezenet1_1", 1_235_496, 0.35 },
    };

    [Theory]
    [MemberData(nameof(Published))]
    public void Summary_gives_torchvisions_parameters_and_macs(string name, long parameters, double gmacs)
    {
        var s = ModelFile.Load(ExamplePath(name)).Summarize();
        Assert.Equal(name, s.Name);
        Assert.Equal(new Shape(1000), s.OutputShape);
        Assert.Equal(parameters, s.Totals.Params);

        double ours = s.Totals.Macs / 1e9;
        Assert.True(Math.Abs(ours - gmacs) <= 0.01 * gmacs, $"{name}: {ours:F4} G MACs, published {gmacs}");
    }

    [Theory]
    [InlineData("resnet50")]
    [InlineData("mobilenet_v2")]
    [InlineData("squeezenet1_1")]
    public void Cli_summary_finds_the_zoo_by_name(string name)
    {
        var (code, output, err) = RunCli(name);
        Assert.True(code == 0, err);
        Assert.Contains(name, output, StringComparison.Ordinal);
    }
}
