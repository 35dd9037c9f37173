using Nabla.Analysis;
using Nabla.Formats;
using Nabla.Models;
using Nabla.NN;
using static Nabla.Tests.Analysis.AnalysisTestHelpers;

namespace Nabla.Tests.Analysis;

/// <summary>3-D layers in model files and summaries: triples in the file, shapes, parameters, MACs and the depth axis of the receptive field.</summary>
public class VolumetricModelTests
{
    // A small C3D-style network on a 3×16×32×32 clip (PyTorch's snake_case spelling accepted for conv2).
    private const string Yaml = """
        input: [3, 16, 32, 32]
        layers:
          - Conv3d: {inChannels: 3, outChannels: 8, kernelSize: 3, padding: 1}
            name: conv1
          - MaxPool3d: {kernelSize: [1, 2, 2]}
            name: pool1
          - Conv3d: {in_channels: 8, out_channels: 16, kernel_size: [3, 3, 3], padding: [1, 1, 1]}
            name: conv2
          - MaxPool3d: {kernelSize: 2}
            name: pool2
          - AdaptiveAvgPool3d: {outputSize: 1}
            name: gap
          - Flatten
          - Linear: {inFeatures: 16, outFeatures: 10}
            name: fc
        """;

    [Fact]
    public void Summary_gives_shapes_parameters_and_macs_by_hand()
    {
        var s = Summary(Yaml);
        Assert.Equal(new Shape(8, 16, 32, 32), s["conv1"].OutputShape);
        Assert.Equal(new Shape(8, 16, 16, 16), s["pool1"].OutputShape);
        Assert.Equal(new Shape(16, 8, 8, 8), s["pool2"].OutputShape);
        Assert.Equal(new Shape(16, 1, 1, 1), s["gap"].OutputShape);

        // conv1: 8·3·27 + 8 = 656 parameters, 8·16·32·32 outputs × 81 MACs = 10,616,832.
        // conv2: 16·8·27 + 16 = 3,472, 16·16·16·16 outputs × 216 = 14,155,776. fc: 170 and 160.
        Assert.Equal((656L, 10_616_832L), (s["conv1"].Params, s["conv1"].Macs));
        Assert.Equal((3_472L, 14_155_776L), (s["conv2"].Params, s["conv2"].Macs));
        Assert.Equal(656 + 3_472 + 170, s.Totals.Params);
        Assert.Equal(10_616_832 + 14_155_776 + 160, s.Totals.Macs);
        var built = ModelFile.Parse(Yaml).Build();
        Assert.Equal(s.Totals.Params, built.Parameters().Sum(p => p.Numel));
        Assert.Equal(new Shape(2, 10), built.Forward(Tensor.Zeros(new Shape(2, 3, 16, 32, 32))).Shape);
    }

    [Fact]
    public void Receptive_field_has_a_depth_axis()
    {
        // Depth (kernel, stride): conv 3 → 3; pool 1 → 3; conv 3 → 3 + 2 = 5; pool 2/2 → 6 (jump 2); gap over 8 planes,
        // a kernel of 8 with jump 2 → 6 + 7·2 = 20 (jump 16). Height and width: 3; 4 (jump 2); 8; 10 (jump 4); 10 + 7·4 = 38.
        var s = Summary(Yaml);
        var pool1 = s["pool1"].ReceptiveField!;
        Assert.Equal((3.0, 4.0, 4.0), (pool1.Depth!.Value.Size, pool1.Height.Size, pool1.Width.Size));
        var gap = s["gap"].ReceptiveField!;
        Assert.Equal((20.0, 38.0, 38.0), (gap.Depth!.Value.Size, gap.Height.Size, gap.Width.Size));
        Assert.Equal((16.0, 32.0), (gap.Depth!.Value.Jump, gap.Height.Jump));
        Assert.Equal(3, gap.SpatialDims);
        Assert.StartsWith("20x38x38/32/", s.Totals.ReceptiveField!.ToString());
        var json = CliJson(Yaml);
        var rf = Layer(json, "gap").GetProperty("receptive_field");
        Assert.Equal([20.0, 38.0, 38.0], rf.GetProperty("size_dhw").EnumerateArray().Select(e => e.GetDouble()));
    }

    [Fact]
    public void Module_built_in_code_round_trips_through_the_file()
    {
        var model = new Sequential(
            new Conv3d(2, 4, (1, 3, 3), (1, 2, 2), (0, 1, 1), (1, 1, 1), bias: false), new Conv3d(4, 4, (3, 2, 1), "same", (2, 1, 1), groups: 2),
            new MaxPool3d((2, 3, 3), (1, 2, 2), (1, 1, 1), (1, 1, 1), ceilMode: true), new AvgPool3d((2, 2, 2), padding: (1, 0, 0), countIncludePad: false, divisorOverride: 3),
            new AdaptiveAvgPool3d((1, 2, 3)), new Flatten(), new Linear(24, 5));
        var input = new Shape(2, 5, 9, 8);
        string yaml = ModelFile.Write(model, input, "volume");
        Assert.Contains("kernelSize: [1, 3, 3]", yaml);
        var rebuilt = ModelFile.Parse(yaml).Build();
        Assert.Equal(model.ToString(), rebuilt.ToString());
        Assert.Equal(yaml, ModelFile.Write(rebuilt, input, "volume"));
        rebuilt.LoadStateDict(model.StateDict());
        var x = Tensor.Randn(new Shape(2, 2, 5, 9, 8), new Generator(3));
        Assert.Equal(model.Forward(x).ToDoubleArray(), rebuilt.Forward(x).ToDoubleArray());
        Assert.Equal(ModelSummary.Of(model, input).Totals.Macs, ModelFile.Parse(yaml).Summarize().Totals.Macs);
    }

    [Theory]
    [InlineData("input: [1, 4, 4, 4]\nlayers:\n  - Conv3d: {inChannels: 1, outChannels: 1, kernelSize: [2, 2]}\n", "[depth, height, width] triple; found 2 numbers")]
    [InlineData("input: [1, 4, 4, 4]\nlayers:\n  - MaxPool3d: {kernelSize: 2, padding: [1, 2, 1]}\n", "at most half of the kernel size")]
    [InlineData("input: [1, 4, 4]\nlayers:\n  - AvgPool3d: {kernelSize: 2}\n", "expects input of shape (C, D, H, W)")]
    [InlineData("input: [1, 4, 4, 4]\nlayers:\n  - Conv3d: {inChannels: 1, outChannels: 1, kernelSize: 5}\n", "larger than its input")]
    [InlineData("input: [1, 4, 4, 4]\nlayers:\n  - MaxPool3d: {kernelSize: 2, returnIndices: true}\n", "ForwardWithIndices")]
    public void Bad_3d_layers_are_refused_with_the_reason(string yaml, string what)
    {
        var e = Record.Exception(() => ModelFile.Parse(yaml).Summarize());
        Assert.True(e is YamlException or ModelShapeException, $"unexpected {e?.GetType().Name}: {e?.Message}");
        Assert.Contains(what, e!.Message);
    }
}
