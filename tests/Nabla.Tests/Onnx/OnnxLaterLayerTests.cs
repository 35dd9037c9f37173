using Nabla.NN;
using Xunit.Abstractions;

namespace Nabla.Tests.Onnx;

/// <summary>
/// The layers registered after the first exporter (activations, instance norm, LRN, pixel shuffles, the zoo's blocks,
/// the Transformer encoder and positional encodings, ConvTranspose1d), with arguments away from the defaults, exported
/// and run in ONNX Runtime: outputs match Nabla's at batch sizes 1 and 3, inputs N(0, 1) times the scale given (so that
/// clipping activations see both their flat and their linear parts).
/// </summary>
public class OnnxLaterLayerTests(ITestOutputHelper output)
{
    private static readonly Dictionary<string, (Func<Generator, Module> Build, int[] PerSample, double Scale)> Cases = new()
    {
        ["ReLU6"] = (_ => new ReLU6(), [4, 5], 5),
        ["Hardtanh -0.5 2"] = (_ => new Hardtanh(-0.5, 2), [4, 5], 3),
        ["Hardsigmoid"] = (_ => new Hardsigmoid(), [4, 5], 5),
        ["Hardswish"] = (_ => new Hardswish(), [4, 5], 5),
        ["SiLU"] = (_ => new SiLU(), [4, 5], 3),
        ["Mish"] = (_ => new Mish(), [4, 5], 5),
        ["SELU"] = (_ => new SELU(), [4, 5], 2),
        ["CELU 0.5"] = (_ => new CELU(0.5), [4, 5], 2),
        ["Softplus"] = (_ => new Softplus(), [4, 5], 5),
        ["Softplus beta 2 threshold 1"] = (_ => new Softplus(2, 1), [4, 5], 2), // βx > 1 is the identity
        ["Softplus beta -0.5"] = (_ => new Softplus(-0.5, 0.5), [4, 5], 3),
        ["Softsign"] = (_ => new Softsign(), [4, 5], 3),
        ["PReLU one slope"] = (_ => new PReLU(1, 0.1), [4, 5], 1),
        ["PReLU per channel"] = (_ => new PReLU(3), [3, 4, 5], 1),
        ["PReLU per channel on (N, C)"] = (_ => new PReLU(6), [6], 1),
        ["LogSigmoid"] = (_ => new LogSigmoid(), [4, 5], 5),
        ["Threshold 0.1 -2"] = (_ => new Threshold(0.1, -2), [4, 5], 1),
        ["Dropout1d"] = (_ => new Sequential(new Dropout1d(0.3), new Tanh()), [4, 5], 1),
        ["AlphaDropout"] = (_ => new Sequential(new AlphaDropout(0.2), new Tanh()), [4, 5], 1),
        ["InstanceNorm1d affine"] = (_ => new InstanceNorm1d(4, eps: 1e-3, affine: true), [4, 7], 1),
        ["InstanceNorm2d"] = (_ => new InstanceNorm2d(3), [3, 4, 5], 1),
        ["InstanceNorm2d running stats"] = (_ => new InstanceNorm2d(3, affine: true, trackRunningStats: true), [3, 4, 5], 1),
        ["LocalResponseNorm odd size"] = (_ => new LocalResponseNorm(5, 1e-1, 0.6, 1.5), [7, 4, 5], 2),
        ["LocalResponseNorm even size"] = (_ => new LocalResponseNorm(4, 0.5, 0.75, 2), [7, 3, 3], 2),
        ["LocalResponseNorm (N, C, L)"] = (_ => new LocalResponseNorm(3, 0.3), [6, 8], 2),
        ["LocalResponseNorm (N, C, D, H, W), even"] = (_ => new LocalResponseNorm(2, 0.3, 1, 1), [6, 2, 3, 2], 2),
        ["PixelShuffle"] = (_ => new PixelShuffle(2), [8, 3, 4], 1),
        ["PixelShuffle 3 on 5-D"] = (_ => new PixelShuffle(3), [2, 18, 2, 3], 1),
        ["PixelUnshuffle"] = (_ => new PixelUnshuffle(2), [3, 4, 6], 1),
        ["PixelUnshuffle on 5-D"] = (_ => new PixelUnshuffle(3), [2, 3, 6, 3], 1),
        ["ConvTranspose1d"] = (g => new ConvTranspose1d(4, 6, 3, stride: 2, padding: 1, outputPadding: 1, groups: 2, dilation: 2, generator: g), [4, 7], 1),
        ["ConvTranspose1d no bias"] = (g => new ConvTranspose1d(3, 2, 2, stride: 2, bias: false, generator: g), [3, 5], 1),
        ["Conv3d stride, padding, dilation, groups"] = (g => new Conv3d(4, 6, (3, 2, 3), (2, 1, 1), (1, 0, 1), (1, 2, 1), groups: 2, generator: g), [4, 5, 6, 7], 1),
        ["Conv3d same, no bias"] = (g => new Conv3d(2, 3, (2, 3, 4), "same", bias: false, generator: g), [2, 4, 5, 6], 1),
        ["MaxPool3d padding, dilation"] = (_ => new MaxPool3d((3, 2, 3), (2, 1, 2), (1, 0, 1), (1, 2, 1)), [3, 6, 7, 8], 1),
        ["AvgPool3d count_include_pad false"] = (_ => new AvgPool3d((2, 3, 3), (1, 2, 2), (1, 1, 0), countIncludePad: false), [2, 5, 6, 7], 1),
        ["AvgPool3d divisor override"] = (_ => new AvgPool3d(2, divisorOverride: 3), [2, 4, 4, 6], 1),
        ["AdaptiveAvgPool3d global"] = (_ => new AdaptiveAvgPool3d(1), [3, 4, 5, 6], 1),
        ["AdaptiveAvgPool3d even windows"] = (_ => new AdaptiveAvgPool3d((2, 1, 3)), [3, 4, 5, 6], 1),
        ["BasicConv2d"] = (g => new BasicConv2d(3, 5, 3, 2, 1, g), [3, 7, 7], 1),
        ["Inception"] = (g => new Inception(6, 4, 3, 5, 2, 3, 2, g), [6, 7, 7], 1),
        ["Fire"] = (g => new Fire(6, 3, 4, 5, g), [6, 5, 5], 1),
        ["InvertedResidual with the input added"] = (g => new InvertedResidual(4, 4, 1, 3, g), [4, 6, 6], 1),
        ["InvertedResidual stride 2, no expansion"] = (g => new InvertedResidual(4, 6, 2, 1, g), [4, 7, 7], 1),
        ["DenseBlock with dropout"] = (g => new DenseBlock(3, 4, 2, 3, 0.2, g), [4, 5, 5], 1),
        ["TransformerEncoderLayer post-norm, time major"] = (g => new TransformerEncoderLayer(8, 2, 16, generator: g), [5, 8], 1), // (L, N, E): L is the graph's batch
        ["TransformerEncoderLayer pre-norm, gelu, batch first"] = (g => new TransformerEncoderLayer(8, 4, 12, activation: "gelu", batchFirst: true, normFirst: true, generator: g), [5, 8], 1),
        ["TransformerEncoderLayer no bias, eps"] = (g => new TransformerEncoderLayer(6, 3, 4, 0.0, layerNormEps: 1e-3, batchFirst: true, bias: false, generator: g), [4, 6], 1),
        ["TransformerEncoder with norm"] = (g => new TransformerEncoder(new TransformerEncoderLayer(8, 2, 12, batchFirst: true, generator: g), 2, new LayerNorm(new Shape(8))), [5, 8], 1),
        ["TransformerEncoder time major, no norm"] = (g => new TransformerEncoder(new TransformerEncoderLayer(8, 2, 12, generator: g), 2), [3, 8], 1),
        ["PositionalEncoding batch first"] = (_ => new PositionalEncoding(6, 0.2, 10, batchFirst: true), [7, 6], 1),
        ["PositionalEncoding time major"] = (_ => new PositionalEncoding(5, maxLen: 8), [2, 5], 1), // the sequence is the graph's batch: sliced by its runtime length
        ["LearnedPositionalEmbedding batch first"] = (g => new LearnedPositionalEmbedding(9, 4, true, g), [5, 4], 1),
        ["LearnedPositionalEmbedding time major"] = (g => new LearnedPositionalEmbedding(9, 4, generator: g), [2, 4], 1),
    };

    public static TheoryData<string> Names => [.. Cases.Keys];

    [Theory]
    [MemberData(nameof(Names))]
    public void Layer_matches_onnx_runtime(string name)
    {
        var (build, perSample, scale) = Cases[name];
        var model = OnnxParity.Perturb(build(new Generator(42)));
        output.WriteLine($"{name}: largest difference {OnnxParity.AssertMatches(model, new Shape(perSample), inputScale: scale):E2}");
    }
}
