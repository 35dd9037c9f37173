using Nabla.NN;
using Nabla.Optim;

namespace Nabla.Tests.NN;

/// <summary>Convolution reference problems from PROBLEMS.md, built from modules, losses and optimizers.</summary>
public class ConvProblems
{
    private static void Close(double[] expected, Tensor actual, double tol = 1e-6) => Expect.AllClose(expected, actual, tol, tol);

    private static void Set(Tensor p, Tensor value) => Expect.Set(p, value);

    private static Tensor ThreeChannelInput() => Tensor.FromArray([1.0, -0.5, 2, -2, -2, 1, -1.5, 1, 1, 0, 0, 0], new Shape(1, 3, 2, 2));

    [Fact]
    public void S1_T5a_conv1x1_maxpool_forward()
    {
        // conv_out = ch0 + ch1 + ch2 = [[1 − 2 + 1, −0.5 + 1 + 0], [2 − 1.5, −2 + 1]] = [[0, 0.5], [0.5, −1]].
        var conv = new Conv2d(3, 1, 1, bias: false, dtype: DType.Float64);
        Set(conv.Weight, Tensor.Ones(new Shape(1, 3, 1, 1), DType.Float64));
        var y = conv.Forward(ThreeChannelInput());
        Close([0, 0.5, 0.5, -1], y);

        // Zero padding explicitly (ZeroPad2d), then a 2×2/2 max-pool: the bottom-right window holds {−1, 0, 0, 0} → 0.
        var pooled = new Sequential(new ZeroPad2d(1), new MaxPool2d(2)).Forward(y);
        Close([0, 0.5, 0.5, 0], pooled);

        // MaxPool2d's own padding is −∞, which gives −1 there instead (the trap the problem warns about).
        Close([0, 0.5, 0.5, -1], new MaxPool2d(2, 2, 1).Forward(y));
    }

    [Fact]
    public void S1_T5d_conv_weight_update()
    {
        // Only the pixels with t = 1 contribute: s(0,1) = −0.5w1 + w2, s(1,0) = 2w1 − 1.5w2, each with dL/ds = −1/s = −2:
        // dL/dw1 = −2·(−0.5) − 2·2 = −3, dL/dw2 = −2·1 − 2·(−1.5) = 1, dL/dw3 = 0.
        var conv = new Conv2d(3, 1, 1, bias: false, dtype: DType.Float64);
        Set(conv.Weight, Tensor.Ones(new Shape(1, 3, 1, 1), DType.Float64));
        var model = new Sequential(conv, new ZeroPad2d(1), new MaxPool2d(2));
        var s = model.Forward(ThreeChannelInput());
        var t = Tensor.FromArray([0.0, 1, 1, 0], new Shape(1, 1, 2, 2));
        var loss = new BCELoss(reduction: Reduction.Sum).Forward(s, t);
        Assert.Equal(2 * Math.Log(2), loss.Item(), 9);
        loss.Backward();
        Close([-3, 1, 0], conv.Weight.Grad!);
        new SGD(model.Parameters(), lr: 1).Step();
        Close([4, 0, 1], conv.Weight);
    }

    [Fact]
    public void S3_Q8_edge_conv()
    {
        var row = new double[] { 10, 10, 10, 0, 0, 0 };
        var image = Tensor.FromArray(Enumerable.Repeat(row, 6).SelectMany(r => r).ToArray(), new Shape(1, 1, 6, 6));
        var conv = new Conv2d(1, 1, 3, bias: false, dtype: DType.Float64);
        Set(conv.Weight, Tensor.FromArray([1.0, 0, -1, 1, 0, -1, 1, 0, -1], new Shape(1, 1, 3, 3)));
        var y = conv.Forward(image);
        Assert.Equal(new Shape(1, 1, 4, 4), y.Shape);
        Close(Enumerable.Repeat(new double[] { 0, 30, 30, 0 }, 4).SelectMany(r => r).ToArray(), y);
    }

    [Fact]
    public void S2_Q5_conv1d_as_matrix()
    {
        var conv = new Conv1d(2, 2, 3, bias: false, dtype: DType.Float64);
        Set(conv.Weight, Tensor.FromArray([1.0, -1, 2, 0.5, 0, -1, 2, 1, 0, -1, 1, 1], new Shape(2, 2, 3)));
        var x = Tensor.FromArray([1.0, 2, -1, 0.5, 0, -2, 3, 1], new Shape(1, 2, 4)).RequireGrad();
        var y = conv.Forward(x);
        Close([-6, 2, 5, 9], y);

        // A = ∂vec(Y)/∂vec(X): the Jacobian of the layer.
        var a = Autograd.Functional.Jacobian(v => conv.Forward(v.Reshape(1, 2, 4)).Reshape(-1), x.Detach().Reshape(-1));
        Close([1, -1, 2, 0, 0.5, 0, -1, 0, 0, 1, -1, 2, 0, 0.5, 0, -1, 2, 1, 0, 0, -1, 1, 1, 0, 0, 2, 1, 0, 0, -1, 1, 1], a);

        // L = Σ dL/dY ⊙ Y, so autograd gives dL/dX = Aᵀ·dL/dY and dL/dW.
        var dy = Tensor.FromArray([1.0, -2, 0.5, 3], new Shape(1, 2, 2));
        (y * dy).Sum().Backward();
        Close([2, 3.5, 7, -4, 0, -3.5, 2.5, 5], x.Grad!);
        Close([-3, 4, -2, 4, -8, 1, 6.5, -2, 1, -6, 8, 4.5], conv.Weight.Grad!);
        Close(a.T.MatMul(dy.Reshape(-1)).ToDoubleArray(), x.Grad!);
    }

    [Fact]
    public void S3_Q15_fc_vs_conv()
    {
        // A 32×32 conv on a 32×32 image is a dense layer on the flattened image: same 5·1024 + 5 = 5125 parameters.
        var dense = new Linear(1024, 5, dtype: DType.Float64);
        var conv = new Conv2d(1, 5, 32, dtype: DType.Float64);
        Assert.Equal(5125, dense.Parameters().Sum(p => p.Numel));
        Assert.Equal(5125, conv.Parameters().Sum(p => p.Numel));
        var image = new double[1024];
        var weight = new double[5 * 1024];
        for (int i = 0; i < 32; i++)
        {
            for (int j = 0; j < 32; j++)
            {
                image[(i * 32) + j] = ((7 * i) + (3 * j)) % 11 / 10.0;
                for (int f = 0; f < 5; f++)
                {
                    weight[(f * 1024) + (i * 32) + j] = ((((f + 1) * (i + (2 * j))) % 13) - 6) / 10.0;
                }
            }
        }

        var bias = Tensor.FromArray([0.0, 0.1, 0.2, 0.3, 0.4]);
        Set(dense.Weight, Tensor.FromArray(weight, new Shape(5, 1024)));
        Set(dense.Bias!, bias);
        Set(conv.Weight, Tensor.FromArray(weight, new Shape(5, 1, 32, 32)));
        Set(conv.Bias!, bias);
        var x = Tensor.FromArray(image, new Shape(1, 1, 32, 32));
        double[] expected = [2.83, 3.45, 4.98, -4.67, 4.14];
        Close(expected, dense.Forward(x.Reshape(1, 1024)), 1e-4);
        Close(expected, conv.Forward(x), 1e-4);
    }

    [Fact]
    public void Conv_param_counts()
    {
        // S1-T7A-c: 96·3·11·11 + 96 = 34,944. S2-Q3a: 32·32·9 + 32 = 9248 with bias, 9216 without.
        Assert.Equal(34944, new Conv2d(3, 96, 11, 4, 5).Parameters().Sum(p => p.Numel));
        Assert.Equal(9248, new Conv2d(32, 32, 3, "same").Parameters().Sum(p => p.Numel));
        Assert.Equal(9216, new Conv2d(32, 32, 3, "same", bias: false).Parameters().Sum(p => p.Numel));
        Assert.Equal(18432, new BasicBlock(32, 32).Parameters().Where(p => p.Rank == 4).Sum(p => p.Numel));

        // S1-EC3-3a: Conv1D(1→64, k3) = 256; BN 128 trainable + 128 running; dense on 64·100 ('same') or 64·98 ('valid').
        foreach (var (padding, len, fc, trainable) in new[] { ("same", 100, 819328, 819712), ("valid", 98, 802944, 803328) })
        {
            var model = new Sequential(new Conv1d(1, 64, 3, padding), new BatchNorm1d(64), new Flatten(), new Linear(64 * len, 128));
            Assert.Equal(new Shape(2, 64, len), model[0].OutputShape(new Shape(2, 1, 100)));
            Assert.Equal(256, model[0].Parameters().Sum(p => p.Numel));
            Assert.Equal(fc, model[3].Parameters().Sum(p => p.Numel));
            Assert.Equal(trainable, model.Parameters().Sum(p => p.Numel));
            Assert.Equal(128, model.NamedBuffers().Where(b => b.Name.EndsWith("running_mean", StringComparison.Ordinal) || b.Name.EndsWith("running_var", StringComparison.Ordinal)).Sum(b => b.Buffer.Numel));
            Assert.Equal(new Shape(2, 128), model.Forward(Tensor.Zeros(new Shape(2, 1, 100))).Shape);
        }
    }

    [Fact]
    public void Blocks_have_the_right_shapes_and_gradients_flow()
    {
        var g = new Generator(0);
        var x = Tensor.Randn(new Shape(2, 8, 8, 8), g);
        var basic = new BasicBlock(8, 16, stride: 2, generator: g);
        Assert.Equal(new Shape(2, 16, 4, 4), basic.Forward(x).Shape);
        Assert.Equal(new Shape(2, 16, 4, 4), basic.OutputShape(x.Shape));
        var bottleneck = new Bottleneck(8, 4, generator: g);
        Assert.Equal(new Shape(2, 16, 8, 8), bottleneck.Forward(x).Shape);
        var inception = new InceptionV1(8, 4, 3, 6, 2, 5, 3, g);
        var y = inception.Forward(x);
        Assert.Equal(new Shape(2, 18, 8, 8), y.Shape);
        Assert.Equal(y.Shape, inception.OutputShape(x.Shape));
        y.Sum().Backward();
        Assert.All(inception.Parameters(), p => Assert.NotNull(p.Grad));
        var e = Assert.Throws<ArgumentException>(() => new Residual(new Conv2d(8, 4, 1)).Forward(x));
        Assert.Contains("projection", e.Message);
    }
}
