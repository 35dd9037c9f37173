using Nabla.Analysis;
using Nabla.NN;
using static Nabla.Tests.Analysis.AnalysisTestHelpers;

namespace Nabla.Tests.Analysis;

/// <summary>Topic cnn-shapes: output shapes by shape inference, through ModelSummary and through `nabla summary --format json`.</summary>
public class ShapeProblems
{
    private const string LeNetS0Q1 = """
        input: [1, 32, 32]
        layers:
          - Conv2d: {in_channels: 1, out_channels: 6, kernel_size: 5}   # snake_case is accepted too
            name: C1
          - Tanh
          - AvgPool2d: {kernelSize: 2, stride: 2}
            name: S2
          - Conv2d: {inChannels: 6, outChannels: 16, kernelSize: 5}
            name: C3
          - Tanh
          - AvgPool2d: {kernelSize: 2, stride: 2}
            name: S4
          - Conv2d: {inChannels: 16, outChannels: 120, kernelSize: 5}
            name: C5
          - Flatten
          - Linear: {inFeatures: 120, outFeatures: 64}
            name: D6
          - Linear: {inFeatures: 64, outFeatures: 10}
            name: D7
          - Softmax: {dim: 1}
        """;

    [Fact]
    public void S0_Q1_lenet_shapes()
    {
        // Sizes: 32 −5+1 = 28; /2 = 14; −5+1 = 10; /2 = 5; −5+1 = 1. Params: C1 6·(25+1) = 156, C3 16·(6·25+1) = 2416,
        // C5 120·(16·25+1) = 48120, D6 64·(120+1) = 7744, D7 10·(64+1) = 650; total 59086.
        var s = Summary(LeNetS0Q1);
        var expected = new Dictionary<string, (int[] Shape, long Params)>
        {
            ["C1"] = ([6, 28, 28], 156), ["S2"] = ([6, 14, 14], 0), ["C3"] = ([16, 10, 10], 2416), ["S4"] = ([16, 5, 5], 0),
            ["C5"] = ([120, 1, 1], 48120), ["D6"] = ([64], 7744), ["D7"] = ([10], 650),
        };
        var json = CliJson(LeNetS0Q1);
        foreach (var (name, (shape, parameters)) in expected)
        {
            Assert.Equal(new Shape(shape), s[name].OutputShape);
            Assert.Equal(parameters, s[name].Params);
            Assert.Equal(shape, Shape(Layer(json, name)));
            Assert.Equal(parameters, Layer(json, name).GetProperty("params").GetInt64());
        }

        Assert.Equal(59086, s.Totals.Params);
        Assert.Equal(59086, json.GetProperty("totals").GetProperty("params").GetInt64());
    }

    [Fact]
    public void S1_T4b_conv_output_shape()
    {
        // ⌊(26 + 2·1 − 7)/3⌋ + 1 = ⌊21/3⌋ + 1 = 8: HWC [8, 8, 5], CHW [5, 8, 8].
        var s = ModelSummary.Of(new Conv2d(26, 5, 7, stride: 3, padding: 1), new Shape(26, 26, 26));
        Assert.Equal(new Shape(5, 8, 8), s.OutputShape);
        var json = CliJson("input: [26, 26, 26]\nlayers:\n  - Conv2d: {inChannels: 26, outChannels: 5, kernelSize: 7, stride: 3, padding: 1}\n");
        Assert.Equal([5, 8, 8], Shape(json, "output_shape"));
    }

    private const string LeNetFeatures = """
        layers:
          - Conv2d: {inChannels: 1, outChannels: 6, kernelSize: 5}
          - MaxPool2d: {kernelSize: 2, stride: 2}
          - Conv2d: {inChannels: 6, outChannels: 16, kernelSize: 5}
          - MaxPool2d: {kernelSize: 2, stride: 2}
          - Flatten
        """;

    [Theory]
    [InlineData(32, new[] { 28, 14, 10, 5 }, 400)]
    [InlineData(68, new[] { 64, 32, 28, 14 }, 3136)]
    public void S1_T7L_c_lenet_68_input(int size, int[] sizes, int f1In)
    {
        // 68 − 4 = 64, /2 = 32, − 4 = 28, /2 = 14; f1 sees 16·14·14 = 3136 (400 = 16·5·5 at 32×32).
        var s = Summary(LeNetFeatures, new Shape(1, size, size));
        Assert.Equal(sizes, s.Layers.Take(4).Select(r => r.OutputShape[-1]).ToArray());
        Assert.Equal(new Shape(f1In), s.OutputShape);
        var json = CliJson(LeNetFeatures, "--input", $"1x{size}x{size}");
        Assert.Equal([f1In], Shape(json, "output_shape"));

        // A dense layer sized for 32×32 does not fit the 68×68 map: the error names the layer and both shapes.
        if (size == 68)
        {
            var e = Assert.Throws<ModelShapeException>(() => Summary(LeNetFeatures + "\n  - Linear: {inFeatures: 400, outFeatures: 120}\n    name: f1\n", new Shape(1, 68, 68)));
            Assert.Contains("'f1'", e.Message, StringComparison.Ordinal);
            Assert.Contains("400", e.Message, StringComparison.Ordinal);
            Assert.Contains("[3136]", e.Message, StringComparison.Ordinal);

            // (ii) an extra conv 5×5 + pool 2×2 in front maps 68×68 to 64×64, then 32×32.
            var prefix = ModelSummary.Of(new Sequential(new Conv2d(1, 6, 5), new MaxPool2d(2, 2)), new Shape(1, 68, 68));
            Assert.Equal([64, 32], prefix.Layers.Select(r => r.OutputShape[-1]).ToArray());
        }
    }

    [Fact]
    public void S1_T7A_b_conv1_shape()
    {
        // ⌊(256 + 2·5 − 11)/4⌋ + 1 = ⌊255/4⌋ + 1 = 64: HWC [64, 64, 96].
        var s = ModelSummary.Of(new Conv2d(3, 96, 11, stride: 4, padding: 5), new Shape(3, 256, 256));
        Assert.Equal(new Shape(96, 64, 64), s.OutputShape);
    }
}
