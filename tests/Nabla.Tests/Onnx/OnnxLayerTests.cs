using Nabla.NN;
using Xunit.Abstractions;

namespace Nabla.Tests.Onnx;

/// <summary>
/// Each layer kind the export writes, with arguments away from the defaults, exported and run in ONNX Runtime: its
/// outputs match Nabla's at batch sizes 1 and 3 (the dynamic batch).
/// </summary>
public class OnnxLayerTests(ITestOutputHelper output)
{
    private static readonly Dictionary<string, (Func<Generator, Module> Build, int[] PerSample)> Cases = new()
    {
        ["Conv2d groups dilation stride"] = (g => new Conv2d(4, 6, (3, 2), (2, 1), (1, 2), (2, 1), groups: 2, generator: g), [4, 11, 9]),
        ["Conv2d same, even kernel"] = (g => new Conv2d(3, 4, 4, "same", generator: g), [3, 8, 7]),
        ["Conv2d same, dilated"] = (g => new Conv2d(3, 4, 3, "same", dilation: 2, generator: g), [3, 8, 7]),
        ["Conv2d valid, no bias"] = (g => new Conv2d(3, 5, 3, "valid", bias: false, generator: g), [3, 6, 6]),
        ["Conv1d groups dilation stride"] = (g => new Conv1d(4, 6, 3, stride: 2, padding: 1, dilation: 2, groups: 2, generator: g), [4, 17]),
        ["Conv1d same, even kernel"] = (g => new Conv1d(3, 4, 4, "same", generator: g), [3, 10]),
        ["Conv2d depthwise"] = (g => new Conv2d(4, 8, 3, padding: 1, groups: 4, generator: g), [4, 6, 6]),
        ["ConvTranspose2d"] = (g => new ConvTranspose2d(4, 6, 3, stride: 2, padding: 1, outputPadding: 1, groups: 2, dilation: 2, generator: g), [4, 5, 6]),
        ["ConvTranspose2d no bias"] = (g => new ConvTranspose2d(3, 2, 2, stride: 2, bias: false, generator: g), [3, 4, 4]),
        ["Linear"] = (g => new Linear(7, 5, generator: g), [7]),
        ["Linear no bias"] = (g => new Linear(7, 5, bias: false, generator: g), [7]),
        ["Linear on 3-D input"] = (g => new Linear(8, 3, generator: g), [4, 8]),
        ["Linear on 4-D input, no bias"] = (g => new Linear(8, 3, bias: false, generator: g), [2, 4, 8]),
        ["MaxPool2d padding dilation"] = (_ => new MaxPool2d(3, 2, 1, dilation: 2), [2, 11, 9]),
        ["MaxPool2d ceil mode"] = (_ => new MaxPool2d(3, 2, 1, ceilMode: true), [2, 10, 9]),
        ["MaxPool2d ceil mode, no padding"] = (_ => new MaxPool2d(2, 2, ceilMode: true), [2, 7, 5]),
        ["MaxPool2d ceil mode, last window dropped"] = (_ => new MaxPool2d(2, 2, 1, ceilMode: true), [2, 5, 5]), // PyTorch drops a window starting in the right padding
        ["AvgPool2d ceil mode, last window dropped"] = (_ => new AvgPool2d(2, 2, 1, ceilMode: true), [2, 5, 5]),
        ["MaxPool2d ceil mode, dilated"] = (_ => new MaxPool2d(2, 2, 1, dilation: 3, ceilMode: true), [2, 7, 7]), // end padding would reach the kernel: ceil_mode
        ["MaxPool1d ceil mode"] = (_ => new MaxPool1d(3, 2, 1, ceilMode: true), [3, 10]),
        ["AvgPool2d padding"] = (_ => new AvgPool2d(3, 2, 1), [2, 9, 8]),
        ["AvgPool2d padding not counted"] = (_ => new AvgPool2d(3, 2, 1, countIncludePad: false), [2, 9, 8]),
        ["AvgPool2d ceil mode"] = (_ => new AvgPool2d(3, 2, 1, ceilMode: true), [2, 10, 9]),
        ["AvgPool2d ceil mode, padding not counted"] = (_ => new AvgPool2d(3, 2, 1, ceilMode: true, countIncludePad: false), [2, 10, 9]),
        ["AvgPool2d ceil mode, no padding"] = (_ => new AvgPool2d(2, 2, ceilMode: true), [2, 7, 5]),
        ["AvgPool2d divisor override"] = (_ => new AvgPool2d(3, 2, 1, divisorOverride: 5), [2, 9, 8]),
        ["AvgPool1d ceil mode"] = (_ => new AvgPool1d(3, 2, 1, ceilMode: true, countIncludePad: false), [3, 10]),
        ["AdaptiveAvgPool2d global"] = (_ => new AdaptiveAvgPool2d(1), [3, 5, 7]),
        ["AdaptiveAvgPool2d divisible"] = (_ => new AdaptiveAvgPool2d((2, 3)), [3, 8, 9]),
        ["AdaptiveAvgPool2d not divisible"] = (_ => new AdaptiveAvgPool2d((3, 5)), [3, 8, 9]),
        ["AdaptiveAvgPool2d upsampling"] = (_ => new AdaptiveAvgPool2d(7), [3, 2, 3]),
        ["AdaptiveMaxPool2d global"] = (_ => new AdaptiveMaxPool2d(1), [3, 5, 7]),
        ["AdaptiveMaxPool2d divisible"] = (_ => new AdaptiveMaxPool2d(2), [3, 6, 8]),
        ["AdaptiveMaxPool2d not divisible"] = (_ => new AdaptiveMaxPool2d((3, 5)), [3, 8, 9]),
        ["AdaptiveAvgPool1d not divisible"] = (_ => new AdaptiveAvgPool1d(4), [3, 10]),
        ["BatchNorm2d"] = (_ => new BatchNorm2d(3, eps: 1e-3), [3, 4, 5]),
        ["BatchNorm2d without affine"] = (_ => new BatchNorm2d(3, affine: false), [3, 4, 5]),
        ["BatchNorm2d without running stats"] = (_ => new BatchNorm2d(3, trackRunningStats: false), [3, 4, 5]),
        ["BatchNorm1d on (N, C)"] = (_ => new BatchNorm1d(6), [6]),
        ["BatchNorm1d on (N, C, L)"] = (_ => new BatchNorm1d(4), [4, 7]),
        ["LayerNorm last dim"] = (_ => new LayerNorm(new Shape(6), eps: 1e-3), [4, 6]),
        ["LayerNorm two dims"] = (_ => new LayerNorm(new Shape(4, 6)), [3, 4, 6]),
        ["LayerNorm without affine"] = (_ => new LayerNorm(new Shape(6), elementwiseAffine: false), [4, 6]),
        ["LayerNorm without bias"] = (_ => new LayerNorm(new Shape(6), bias: false), [4, 6]),
        ["GroupNorm"] = (_ => new GroupNorm(2, 6, eps: 1e-4), [6, 4, 5]),
        ["GroupNorm (N, C, L) without affine"] = (_ => new GroupNorm(3, 6, affine: false), [6, 7]),
        ["ReLU"] = (_ => new ReLU(), [4, 5]),
        ["Tanh"] = (_ => new Tanh(), [4, 5]),
        ["Sigmoid"] = (_ => new Sigmoid(), [4, 5]),
        ["LeakyReLU"] = (_ => new LeakyReLU(0.2), [4, 5]),
        ["ELU"] = (_ => new ELU(0.7), [4, 5]),
        ["GELU"] = (_ => new GELU(), [4, 5]),
        ["GELU tanh"] = (_ => new GELU("tanh"), [4, 5]),
        ["Softmax dim 1"] = (_ => new Softmax(1), [4, 5]),
        ["Softmax dim -1"] = (_ => new Softmax(-1), [3, 4, 5]),
        ["LogSoftmax dim 2"] = (_ => new LogSoftmax(2), [3, 4, 5]),
        ["Dropout"] = (_ => new Sequential(new Dropout(0.5), new Tanh()), [4, 5]),
        ["Dropout2d"] = (_ => new Sequential(new Dropout2d(0.3), new Tanh()), [2, 4, 5]),
        ["Identity"] = (_ => new Identity(), [4, 5]),
        ["Flatten"] = (_ => new Flatten(), [3, 4, 5]),
        ["Flatten middle dims"] = (_ => new Flatten(2, 3), [3, 4, 5, 2]),
        ["Unflatten"] = (_ => new Unflatten(1, [2, 3]), [6, 4]),
        ["Reshape"] = (_ => new Reshape([5, -1]), [4, 5]),
        ["Permute"] = (_ => new Permute([0, 2, 1, -1]), [3, 4, 2]),
        ["ZeroPad2d"] = (_ => new ZeroPad2d(1, 2, 0, 3), [2, 4, 5]),
        ["Upsample nearest scale"] = (_ => new Upsample(2.0), [2, 3, 4]),
        ["Upsample nearest scale 3"] = (_ => new Upsample(null, [3.0, 2.0]), [2, 3, 4]),
        ["Upsample nearest size"] = (_ => new Upsample([5, 7]), [2, 3, 4]),
        ["Upsample bilinear align corners"] = (_ => new Upsample(2.0, "bilinear", true), [2, 3, 4]),
        ["Upsample bilinear"] = (_ => new Upsample(2.0, "bilinear"), [2, 3, 4]),
        ["Upsample bilinear size"] = (_ => new Upsample([5, 7], mode: "bilinear"), [2, 3, 4]),
        ["Upsample bilinear size, align corners"] = (_ => new Upsample([5, 7], mode: "bilinear", alignCorners: true), [2, 3, 4]),
        ["Upsample bilinear to one pixel"] = (_ => new Upsample([1, 2], mode: "bilinear"), [2, 3, 4]),
        ["Upsample linear 1-D"] = (_ => new Upsample(2.5, "linear"), [2, 6]),
        ["Upsample nearest 1-D"] = (_ => new Upsample([9]), [2, 6]),
        ["LSTM batch first, bidirectional, 2 layers"] = (g => new LSTM(5, 4, numLayers: 2, batchFirst: true, dropout: 0.3, bidirectional: true, generator: g), [6, 5]),
        ["LSTM time major"] = (g => new LSTM(5, 3, generator: g), [2, 5]),
        ["LSTM without bias"] = (g => new LSTM(5, 3, bias: false, batchFirst: true, generator: g), [6, 5]),
        ["LSTM unbatched"] = (g => new LSTM(5, 3, generator: g), [5]),
        ["GRU batch first, bidirectional"] = (g => new GRU(5, 4, batchFirst: true, bidirectional: true, generator: g), [6, 5]),
        ["GRU 2 layers, time major"] = (g => new GRU(5, 4, numLayers: 2, generator: g), [3, 5]),
        ["RNN relu, bidirectional, 2 layers"] = (g => new RNN(5, 4, numLayers: 2, nonlinearity: "relu", batchFirst: true, bidirectional: true, generator: g), [6, 5]),
        ["RNN tanh without bias"] = (g => new RNN(5, 4, bias: false, batchFirst: true, generator: g), [6, 5]),
        ["Residual with shortcut and activation"] = (g => new Residual(new Linear(6, 4, generator: g), new Linear(6, 4, generator: g), new ReLU()), [6]),
        ["Residual identity"] = (g => new Residual(new Sequential(new Linear(6, 6, generator: g), new Tanh())), [6]),
        ["Branches add"] = (g => new Branches("add", [("a", new Conv2d(4, 4, 3, padding: 1, generator: g)), ("b", new Conv2d(4, 4, 1, generator: g)), ("c", new Sequential())]), [4, 5, 5]),
        ["Branches concat"] = (g => new Branches("concat", [("a", new Conv2d(3, 4, 3, padding: 1, generator: g)), ("b", new MaxPool2d(3, 1, 1))]), [3, 5, 5]),
        ["Branches concat last dim"] = (g => new Branches("concat", [("a", new Linear(4, 2, generator: g)), ("b", new Identity())], dim: -1), [3, 4]),
        ["BasicBlock"] = (g => new BasicBlock(4, 4, generator: g), [4, 6, 6]),
        ["BasicBlock with projection"] = (g => new BasicBlock(4, 8, 2, generator: g), [4, 7, 7]),
        ["Bottleneck with projection"] = (g => new Bottleneck(8, 4, 2, generator: g), [8, 7, 7]),
        ["Bottleneck"] = (g => new Bottleneck(16, 4, generator: g), [16, 5, 5]),
        ["InceptionV1"] = (g => new InceptionV1(6, 4, 3, 5, 2, 3, 2, generator: g), [6, 7, 7]),
        ["Sequential nested"] = (g => new Sequential(new Sequential(new Conv2d(2, 3, 3, generator: g), new ReLU()), new Flatten(), new Sequential(new Linear(48, 4, generator: g))), [2, 6, 6]),
    };

    public static TheoryData<string> Names => [.. Cases.Keys];

    [Theory]
    [MemberData(nameof(Names))]
    public void Layer_matches_onnx_runtime(string name)
    {
        var (build, perSample) = Cases[name];
        var model = OnnxParity.Perturb(build(new Generator(42)));
        output.WriteLine($"{name}: largest difference {OnnxParity.AssertMatches(model, new Shape(perSample)):E2}");
    }

    [Fact]
    public void Embedding_reads_int64_token_ids()
    {
        var model = new Sequential(new Embedding(20, 4, paddingIdx: 3, generator: new Generator(1)), new Flatten(), new Linear(24, 2, generator: new Generator(2)));
        OnnxParity.AssertMatches(model, new Shape(6), vocabulary: 20);
    }
}
