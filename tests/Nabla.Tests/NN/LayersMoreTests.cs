using Nabla.NN;

namespace Nabla.Tests.NN;

/// <summary>
/// The activations and layers of issue 16 item 3 beyond their PyTorch goldens (LayersMoreParityTests): first and
/// second derivatives by finite differences in Float64 for every new function, accuracy where PyTorch's formulas
/// lose digits, hand-derived values, the dropouts' statistics, and refusals.
/// </summary>
public sealed class LayersMoreTests
{
    // Off every breakpoint (±3, ±1, 0, −0.5, 0.1, 0.75, 2), where finite differences would straddle a kink.
    private static readonly double[] Points = [-4.3, -3.4, -2.6, -1.7, -0.9, -0.35, 0.23, 0.61, 1.3, 2.2, 2.8, 3.6];

    private static readonly Dictionary<string, Func<Tensor[], Tensor>> Functions = new()
    {
        ["hardtanh"] = t => F.Hardtanh(t[0]),
        ["hardtanh_-0.5_2"] = t => F.Hardtanh(t[0], -0.5, 2),
        ["hardswish"] = t => F.Hardswish(t[0]),
        ["hardsigmoid"] = t => F.Hardsigmoid(t[0]),
        ["silu"] = t => F.Silu(t[0]),
        ["mish"] = t => F.Mish(t[0]),
        ["selu"] = t => F.Selu(t[0]),
        ["celu_0.7"] = t => F.Celu(t[0], 0.7),
        ["softplus"] = t => F.Softplus(t[0]),
        ["softplus_2_1.5"] = t => F.Softplus(t[0], 2, 1.5),
        ["softplus_-1.5"] = t => F.Softplus(t[0], -1.5),
        ["softsign"] = t => F.Softsign(t[0]),
        ["logsigmoid"] = t => F.LogSigmoid(t[0]),
        ["threshold"] = t => F.Threshold(t[0], 0.1, 20),
        ["log1p"] = t => (t[0] * 0.2).Log1p(),
    };

    public static TheoryData<string> FunctionNames => [.. Functions.Keys];

    [Theory]
    [MemberData(nameof(FunctionNames))]
    public void Activation_first_and_second_derivatives_match_finite_differences(string name)
    {
        var x = Tensor.FromArray(Points, new Shape(3, 4)).RequireGrad();
        var first = GradCheck.Check(Functions[name], [x]);
        Assert.True(first.Passed, first.Message);
        var second = GradCheck.CheckSecondOrder(Functions[name], [x]);
        Assert.True(second.Passed, second.Message);
    }

    public static TheoryData<string> LayerNames => ["prelu", "instance_norm", "lrn", "pixel_shuffle", "pixel_unshuffle", "bilinear", "cosine", "dropout1d", "alpha_dropout"];

    [Theory]
    [MemberData(nameof(LayerNames))]
    public void Layer_first_and_second_derivatives_match_finite_differences(string name)
    {
        Tensor N(int seed, params int[] shape) => Tensor.Randn(new Shape(shape), new Generator(seed), DType.Float64).RequireGrad();
        (Func<Tensor[], Tensor> f, Tensor[] inputs) = name switch
        {
            "prelu" => ((Func<Tensor[], Tensor>)(t => F.Prelu(t[0], t[1])), new[] { N(1, 2, 3, 2), N(2, 3) }),
            "instance_norm" => (t => F.InstanceNorm(t[0], weight: t[1], bias: t[2]), [N(3, 2, 2, 4), N(4, 2), N(5, 2)]),
            "lrn" => (t => F.LocalResponseNorm(t[0], 3, 0.5, 0.75, 1), [N(6, 1, 5, 3)]),
            "pixel_shuffle" => (t => F.PixelShuffle(t[0], 2) * F.PixelShuffle(t[0], 2), [N(7, 1, 4, 2, 2)]),
            "pixel_unshuffle" => (t => F.PixelUnshuffle(t[0], 2) * F.PixelUnshuffle(t[0], 2), [N(8, 1, 1, 4, 2)]),
            "bilinear" => (t => F.Bilinear(t[0], t[1], t[2], t[3]), [N(9, 2, 3), N(10, 2, 2), N(11, 2, 3, 2), N(12, 2)]),
            "cosine" => (t => F.CosineSimilarity(t[0], t[1], 1, 1e-8), [N(13, 3, 4), N(14, 3, 4)]),
            "dropout1d" => (t => F.Dropout1d(t[0], 0.5, true, new Generator(3)) * t[0], [N(15, 2, 3, 2)]),
            _ => (t => F.AlphaDropout(t[0], 0.3, true, new Generator(4)) * t[0], [N(16, 3, 4)]),
        };
        var first = GradCheck.Check(f, inputs);
        Assert.True(first.Passed, first.Message);
        var second = GradCheck.CheckSecondOrder(f, inputs);
        Assert.True(second.Passed, second.Message);
    }

    [Fact]
    public void Softplus_LogSigmoid_and_Mish_keep_their_digits_in_float32_at_large_magnitudes()
    {
        // log(1 + e⁻²⁰) = e⁻²⁰ − e⁻⁴⁰/2 + … ≈ e⁻²⁰ to 1e-9 relative; PyTorch's log1p gives the same.
        double e20 = Math.Exp(-20);
        var x = Tensor.FromArray(new[] { -20.0, 20.0 }).To(DType.Float32);
        double soft = F.Softplus(x).ToDoubleArray()[0];
        double logSig = F.LogSigmoid(x).ToDoubleArray()[1];
        double mish = F.Mish(x).ToDoubleArray()[0];
        Assert.Equal(e20, soft, e20 * 1e-5);
        Assert.Equal(-e20, logSig, e20 * 1e-5);
        Assert.Equal(-20 * Math.Tanh(e20), mish, 20 * e20 * 1e-5);

        // Past float32's e^x overflow (x > 88) the value stays finite where PyTorch's log1p(exp(βx)) overflows.
        Assert.Equal(100.0, F.Softplus(Tensor.FromArray(new[] { 100.0 }).To(DType.Float32), 1, 1000).ToDoubleArray()[0], 1e-4);
    }

    [Fact]
    public void Local_response_norm_matches_the_formula_by_hand()
    {
        // One position, C = 3, n = 3, α = 3, β = 1, k = 1: the window of c is c − 1 … c + 1 (zero outside), so
        // y = x / (1 + 3/3·Σx²): 1/(1 + 1 + 4) = 1/6, 2/(1 + 1 + 4 + 9) = 2/15, 3/(1 + 4 + 9) = 3/14.
        var y = F.LocalResponseNorm(Tensor.FromArray(new[] { 1.0, 2, 3 }, new Shape(1, 3, 1)), 3, 3, 1, 1).ToDoubleArray();
        Assert.Equal([1.0 / 6, 2.0 / 15, 3.0 / 14], y, (a, b) => Math.Abs(a - b) < 1e-12);
    }

    [Fact]
    public void Bilinear_and_cosine_similarity_match_values_by_hand()
    {
        // [1, 1]·[[1, 2], [3, 4]]·[1, 0]ᵀ = 1 + 3 = 4, plus the bias 0.5.
        var w = Tensor.FromArray(new[] { 1.0, 2, 3, 4 }, new Shape(1, 2, 2));
        var y = F.Bilinear(Tensor.FromArray(new[] { 1.0, 1 }, new Shape(1, 2)), Tensor.FromArray(new[] { 1.0, 0 }, new Shape(1, 2)), w, Tensor.FromArray(new[] { 0.5 }));
        Assert.Equal([4.5], y.ToDoubleArray());
        Assert.Equal([1, 1], y.Shape.ToArray());

        var cos = new CosineSimilarity(dim: 0).Forward(Tensor.FromArray(new[] { 1.0, 0 }), Tensor.FromArray(new[] { 1.0, 1 }));
        Assert.Equal(1 / Math.Sqrt(2), cos.Item(), 12);
        Assert.Throws<InvalidOperationException>(() => new CosineSimilarity().Forward(Tensor.Zeros(new Shape(2, 2))));
        Assert.Throws<InvalidOperationException>(() => new Bilinear(2, 2, 1).Forward(Tensor.Zeros(new Shape(2, 2))));
    }

    [Fact]
    public void Pixel_unshuffle_inverts_pixel_shuffle()
    {
        var x = Tensor.Randn(new Shape(2, 18, 2, 3), new Generator(1));
        Assert.Equal(x.ToDoubleArray(), F.PixelUnshuffle(F.PixelShuffle(x, 3), 3).ToDoubleArray());
        Assert.Equal([2, 2, 6, 9], F.PixelShuffle(x, 3).Shape.ToArray());
        Assert.Throws<ArgumentException>(() => F.PixelShuffle(Tensor.Zeros(new Shape(1, 5, 2, 2)), 2));
    }

    [Fact]
    public void Dropout1d_drops_whole_channels_and_scales_the_rest()
    {
        var layer = new Dropout1d(0.5, new Generator(2));
        var y = layer.Forward(Tensor.Ones(new Shape(4, 8, 16)));
        var rows = y.ToDoubleArray().Chunk(16).ToList();
        Assert.All(rows, r => Assert.True(r.All(v => v == 0) || r.All(v => v == 2)));
        Assert.Contains(rows, r => r[0] == 0);
        Assert.Contains(rows, r => r[0] == 2);
        layer.Eval();
        Assert.Equal(Enumerable.Repeat(1.0, 4 * 8 * 16), layer.Forward(Tensor.Ones(new Shape(4, 8, 16))).ToDoubleArray());
        Assert.Throws<ArgumentException>(() => F.Dropout1d(Tensor.Ones(new Shape(2, 2, 2, 2))));
    }

    [Fact]
    public void Alpha_dropout_keeps_zero_mean_and_unit_variance()
    {
        // Klambauer et al.: with a = ((1 − p)(1 + pλ²α²))^(−½), b = aλαp, kept units are a·x + b and dropped ones
        // a·(−λα) + b, and N(0, 1) inputs keep mean 0 and variance 1. 200,000 samples: standard errors about 0.003.
        const double p = 0.2, la = 1.7580993408473766;
        double a = 1 / Math.Sqrt((1 - p) * (1 + (p * la * la))), b = a * la * p;
        var x = Tensor.Randn(new Shape(200_000), new Generator(5), DType.Float64);
        var y = F.AlphaDropout(x, p, true, new Generator(6)).ToDoubleArray();
        var xs = x.ToDoubleArray();
        int dropped = 0;
        for (int i = 0; i < y.Length; i++)
        {
            bool kept = Math.Abs(y[i] - ((a * xs[i]) + b)) < 1e-12;
            dropped += kept ? 0 : 1;
            Assert.True(kept || Math.Abs(y[i] - ((-la * a) + b)) < 1e-12, $"element {i}: {y[i]} is neither kept nor dropped");
        }

        Assert.InRange(dropped / 200_000.0, p - 0.005, p + 0.005);
        Assert.InRange(y.Average(), -0.01, 0.01);
        Assert.InRange(y.Select(v => v * v).Average() - Math.Pow(y.Average(), 2), 0.98, 1.02);
        Assert.Equal(xs, F.AlphaDropout(x, p, training: false).ToDoubleArray());
        Assert.All(F.AlphaDropout(x, 1).ToDoubleArray(), v => Assert.Equal(0, v));
    }

    [Fact]
    public void Instance_norm_of_an_unbatched_input_equals_the_batched_one_and_refuses_other_channel_counts()
    {
        var x = Tensor.Randn(new Shape(3, 4, 5), new Generator(8));
        var layer = new InstanceNorm2d(3, affine: true);
        Assert.Equal(layer.Forward(x.Unsqueeze(0)).ToDoubleArray(), layer.Forward(x).ToDoubleArray());
        Assert.Throws<ArgumentException>(() => new InstanceNorm1d(4).Forward(Tensor.Zeros(new Shape(2, 3, 5))));
        Assert.Throws<ArgumentException>(() => new InstanceNorm1d(3).Forward(Tensor.Zeros(new Shape(2, 3, 1))));
    }

    [Fact]
    public void Arguments_PyTorch_refuses_are_refused()
    {
        Assert.Throws<ArgumentException>(() => new Hardtanh(1, 1));
        Assert.Throws<ArgumentException>(() => new CELU(0));
        Assert.Throws<ArgumentException>(() => new Softplus(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new PReLU(0));
        Assert.Throws<ArgumentException>(() => new PReLU(3).Forward(Tensor.Zeros(new Shape(2, 4))));
        Assert.Throws<ArgumentOutOfRangeException>(() => new AlphaDropout(1.5));
        Assert.Throws<ArgumentOutOfRangeException>(() => new LocalResponseNorm(0));
    }
}
