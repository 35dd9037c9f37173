using Nabla.NN;

namespace Nabla.Tests.NN;

/// <summary>
/// The losses of issue 16 and the distances: first and second derivatives against finite differences (float64,
/// points away from hinges and masks), CTC's refusal of second derivatives and its infinite cases, and the refusal
/// of every unsupported argument. Values are checked against PyTorch in Golden/LossesMoreParityTests.
/// </summary>
public sealed class LossesMoreTests
{
    private static readonly Nabla.NN.Reduction None = Nabla.NN.Reduction.None;

    public static TheoryData<string> Names => [.. Functions.Keys.Order(StringComparer.Ordinal)];

    // Each entry: the function of the checked tensors, and the tensors (those requiring grad are checked).
    private static readonly Dictionary<string, (Func<Tensor[], Tensor> F, Func<Tensor[]> Inputs)> Functions = new()
    {
        ["margin_ranking"] = (t => F.MarginRankingLoss(t[0], t[1], Sign(6, 1), 0.3, None), () => [X(6, 2), X(6, 3)]),
        ["hinge_embedding"] = (t => F.HingeEmbeddingLoss(t[0], Sign(8, 4), 0.7, None), () => [X(8, 5)]),
        ["cosine_embedding"] = (t => F.CosineEmbeddingLoss(t[0], t[1], Sign(3, 6), 0.1, None), () => [X(3, 4, 7), X(3, 4, 8)]),
        ["triplet_p2_swap"] = (t => F.TripletMarginLoss(t[0], t[1], t[2], 2.0, 2, swap: true, reduction: None), () => [X(3, 4, 9), X(3, 4, 10), X(3, 4, 11)]),
        ["triplet_p1"] = (t => F.TripletMarginLoss(t[0], t[1], t[2], 3.0, 1, reduction: None), () => [X(3, 4, 12), X(3, 4, 13), X(3, 4, 14)]),
        ["triplet_p1.5"] = (t => F.TripletMarginLoss(t[0], t[1], t[2], 3.0, 1.5, reduction: None), () => [X(3, 4, 15), X(3, 4, 16), X(3, 4, 17)]),
        ["multilabel_soft_margin"] = (t => F.MultilabelSoftMarginLoss(t[0], t[1], Positive(4, 18), None), () => [X(3, 4, 19), X(3, 4, 20)]),
        ["multi_margin_p1"] = (t => F.MultiMarginLoss(t[0], Classes(), 1, 1.0, Positive(4, 21), None), () => [X(3, 4, 22)]),
        ["multi_margin_p2"] = (t => F.MultiMarginLoss(t[0], Classes(), 2, 0.8, null, Nabla.NN.Reduction.Sum), () => [X(3, 4, 23)]),
        ["soft_margin"] = (t => F.SoftMarginLoss(t[0], t[1], None), () => [X(2, 3, 24), X(2, 3, 25)]),
        ["poisson_log"] = (t => F.PoissonNllLoss(t[0], t[1], reduction: None), () => [X(2, 3, 26), X(2, 3, 27)]),
        ["poisson_rate"] = (t => F.PoissonNllLoss(t[0], t[1], logInput: false, reduction: None), () => [Positive(6, 28, 0.2).Reshape(2, 3).RequireGrad(), X(2, 3, 29)]),

        // Stirling's term is discontinuous at y = 1 (it jumps from 0 to ½·log 2π − 1): targets stay above 1.5.
        ["poisson_full"] = (t => F.PoissonNllLoss(t[0], t[1], full: true, reduction: None), () => [X(2, 3, 30), (Positive(6, 31) + 1.5).Reshape(2, 3).RequireGrad()]),
        ["gaussian"] = (t => F.GaussianNllLoss(t[0], t[1], t[2], full: true, reduction: None), () => [X(2, 3, 32), X(2, 3, 33), Positive(6, 34, 0.3).Reshape(2, 3).RequireGrad()]),
        ["gaussian_rows"] = (t => F.GaussianNllLoss(t[0], t[1], t[2]), () => [X(2, 3, 35), X(2, 3, 36), Positive(2, 37, 0.3).RequireGrad()]),
        ["cosine_similarity"] = (t => F.CosineSimilarity(t[0], t[1]), () => [X(3, 4, 38), X(1, 4, 39)]),
        ["pairwise_distance_p2"] = (t => F.PairwiseDistance(t[0], t[1]), () => [X(3, 4, 40), X(3, 4, 41)]),
        ["pairwise_distance_p3_keepdim"] = (t => F.PairwiseDistance(t[0], t[1], 3, keepDim: true), () => [X(3, 4, 42), X(3, 4, 43)]),
        ["pairwise_distance_p0.5"] = (t => F.PairwiseDistance(t[0], t[1], 0.5), () => [X(3, 4, 44), X(3, 4, 45)]),
    };

    [Theory]
    [MemberData(nameof(Names))]
    public void Gradcheck_and_gradgradcheck(string name)
    {
        var (f, inputs) = Functions[name];
        var first = GradCheck.Check(f, inputs());
        Assert.True(first.Passed, $"{name}: {first.Message}");
        var second = GradCheck.CheckSecondOrder(f, inputs(), seed: 7);
        Assert.True(second.Passed, $"{name} (second order): {second.Message}");
    }

    [Fact]
    public void Ctc_gradcheck_passes_for_each_reduction_and_second_derivatives_are_refused()
    {
        var targets = Tensor.FromArray(new long[] { 1, 2, 2, 1, 3, 0 }, new Shape(2, 3));
        var il = Tensor.FromArray(new long[] { 5, 4 });
        var tl = Tensor.FromArray(new long[] { 3, 2 });
        foreach (var r in new[] { None, Nabla.NN.Reduction.Mean, Nabla.NN.Reduction.Sum })
        {
            Tensor Loss(Tensor[] t) => F.CtcLoss(t[0].LogSoftmax(-1), targets, il, tl, reduction: r);
            var check = GradCheck.Check(Loss, [X(5, 2, 4, 50)]);
            Assert.True(check.Passed, $"{r}: {check.Message}");
            Assert.ThrowsAny<NotSupportedException>(() => GradCheck.CheckSecondOrder(Loss, [X(5, 2, 4, 50)]));
        }
    }

    [Fact]
    public void Ctc_of_an_impossible_target_is_infinite_and_zero_infinity_zeroes_it_and_its_gradient()
    {
        // Sample 0: target (1, 1) needs 3 steps (1, blank, 1) and has 2; sample 1 is possible.
        var lp = X(2, 2, 3, 51);
        var targets = Tensor.FromArray(new long[] { 1, 1, 2, 0 }, new Shape(2, 2));
        var il = Tensor.FromArray(new long[] { 2, 2 });
        var tl = Tensor.FromArray(new long[] { 2, 1 });
        var plain = F.CtcLoss(lp.LogSoftmax(-1), targets, il, tl, reduction: None).ToDoubleArray();
        Assert.True(double.IsPositiveInfinity(plain[0]) && double.IsFinite(plain[1]));

        var zeroed = F.CtcLoss(lp.LogSoftmax(-1), targets, il, tl, reduction: None, zeroInfinity: true);
        Assert.Equal([0, plain[1]], zeroed.ToDoubleArray());
        zeroed.Sum().Backward();
        var g = lp.Grad!;
        Assert.All(g.Select(1, 0).ToDoubleArray(), v => Assert.Equal(0, v));
        Assert.Contains(g.Select(1, 1).ToDoubleArray(), v => v != 0);
    }

    [Fact]
    public void Ctc_of_one_step_is_minus_the_log_probability_of_that_label()
    {
        // T = 1: the only alignment of target (2) is the label itself; of the empty target, the blank.
        var lp = Tensor.FromArray(new[] { -1.5, -0.5, -2.0, -0.25, -3.0, -1.0 }, new Shape(1, 2, 3));
        var loss = F.CtcLoss(lp, Tensor.FromArray(new long[] { 2 }), Tensor.FromArray(new long[] { 1, 1 }), Tensor.FromArray(new long[] { 1, 0 }), reduction: None);
        Assert.Equal([2.0, 0.25], loss.ToDoubleArray());
    }

    [Fact]
    public void Unsupported_arguments_are_refused()
    {
        var x = X(3, 4, 60);
        var cls = Classes();
        Assert.Throws<ArgumentException>(() => F.MultiMarginLoss(x, cls, p: 3));
        Assert.Throws<ArgumentException>(() => F.MultiMarginLoss(x, Tensor.FromArray(new long[] { 0, 4, 1 })));
        Assert.Throws<ArgumentException>(() => F.MultiMarginLoss(x, cls.To(DType.Float64)));
        Assert.Throws<ArgumentException>(() => F.MultiMarginLoss(x, cls, weight: Positive(3, 61)));
        Assert.Throws<ArgumentException>(() => F.MarginRankingLoss(x, x, Sign(3, 62)));
        Assert.Throws<ArgumentException>(() => F.MarginRankingLoss(x, x, Sign(3, 62).Reshape(3, 1).Expand(3, 4), reduction: Nabla.NN.Reduction.BatchMean));
        Assert.Throws<ArgumentException>(() => F.CosineEmbeddingLoss(x.Reshape(3, 2, 2), x.Reshape(3, 2, 2), Sign(3, 63)));
        Assert.Throws<ArgumentException>(() => F.CosineEmbeddingLoss(x, x, Sign(3, 63).Reshape(3, 1)));
        Assert.Throws<ArgumentException>(() => F.TripletMarginLoss(x, x, x.Reshape(12)));
        Assert.Throws<ArgumentException>(() => F.PairwiseDistance(x, x, p: 0));
        Assert.Throws<ArgumentException>(() => F.PairwiseDistance(x, x, p: double.PositiveInfinity));
        Assert.Throws<ArgumentException>(() => F.MultilabelSoftMarginLoss(x, x.Reshape(4, 3)));
        Assert.Throws<ArgumentException>(() => F.GaussianNllLoss(x, x, Positive(4, 64)));
        Assert.Throws<ArgumentException>(() => F.GaussianNllLoss(x, x, -Positive(12, 65).Reshape(3, 4)));
    }

    [Fact]
    public void Ctc_refuses_inconsistent_lengths_labels_and_shapes()
    {
        var lp = X(4, 2, 3, 70).LogSoftmax(-1);
        var targets = Tensor.FromArray(new long[] { 1, 2, 2, 0 }, new Shape(2, 2));
        var il = Tensor.FromArray(new long[] { 4, 3 });
        var tl = Tensor.FromArray(new long[] { 2, 1 });
        Tensor Ctc(Tensor? t = null, Tensor? i = null, Tensor? l = null, int blank = 0, Nabla.NN.Reduction r = Nabla.NN.Reduction.Mean) =>
            F.CtcLoss(lp, t ?? targets, i ?? il, l ?? tl, blank, r);

        Assert.True(double.IsFinite(Ctc().Item()));
        Assert.Throws<ArgumentException>(() => Ctc(blank: 3));
        Assert.Throws<ArgumentException>(() => Ctc(i: Tensor.FromArray(new long[] { 5, 3 })));
        Assert.Throws<ArgumentException>(() => Ctc(i: Tensor.FromArray(new long[] { 0, 3 })));
        Assert.Throws<ArgumentException>(() => Ctc(i: Tensor.FromArray(new long[] { 4 })));
        Assert.Throws<ArgumentException>(() => Ctc(l: Tensor.FromArray(new long[] { 3, 1 })));
        Assert.Throws<ArgumentException>(() => Ctc(t: Tensor.FromArray(new long[] { 1, 0, 2, 0 }, new Shape(2, 2))));
        Assert.Throws<ArgumentException>(() => Ctc(t: Tensor.FromArray(new long[] { 1, 3, 2, 0 }, new Shape(2, 2))));
        Assert.Throws<ArgumentException>(() => Ctc(t: Tensor.FromArray(new long[] { 1, 2, 2, 2 })));
        Assert.Throws<ArgumentException>(() => Ctc(t: targets.To(DType.Float64)));
        Assert.Throws<ArgumentException>(() => Ctc(r: Nabla.NN.Reduction.BatchMean));
        Assert.Throws<ArgumentException>(() => F.CtcLoss(lp.Reshape(4, 2, 3, 1), targets, il, tl));

        // Concatenated targets of the right total are the padded ones.
        Assert.Equal(Ctc().Item(), Ctc(t: Tensor.FromArray(new long[] { 1, 2, 2 })).Item(), 12);
    }

    [Fact]
    public void Multi_input_loss_modules_refuse_the_two_tensor_call()
    {
        var x = X(3, 4, 80);
        Assert.Throws<InvalidOperationException>(() => new MarginRankingLoss().Forward(x, x));
        Assert.Throws<InvalidOperationException>(() => new CosineEmbeddingLoss().Forward(x, x));
        Assert.Throws<InvalidOperationException>(() => new TripletMarginLoss().Forward(x, x));
        Assert.Throws<InvalidOperationException>(() => new GaussianNLLLoss().Forward(x, x));
        Assert.Throws<InvalidOperationException>(() => new CTCLoss().Forward(x, x));
        Assert.Throws<InvalidOperationException>(() => new CosineSimilarity().Forward(x));
        Assert.Throws<InvalidOperationException>(() => new PairwiseDistance().Forward(x));
    }

    private static Tensor X(int n, int seed) => Tensor.Randn(new Shape(n), new Generator(seed), DType.Float64).RequireGrad();

    private static Tensor X(int a, int b, int seed) => Tensor.Randn(new Shape(a, b), new Generator(seed), DType.Float64).RequireGrad();

    private static Tensor X(int a, int b, int c, int seed) => Tensor.Randn(new Shape(a, b, c), new Generator(seed), DType.Float64).RequireGrad();

    // Values in [shift, shift + 1).
    private static Tensor Positive(int n, int seed, double shift = 0.5) => Tensor.Rand(new Shape(n), new Generator(seed), DType.Float64) + shift;

    private static Tensor Sign(int n, int seed) => Tensor.Where(Tensor.Rand(new Shape(n), new Generator(seed), DType.Float64).Gt(0.5),
        Tensor.Full(new Shape(n), 1, DType.Float64), Tensor.Full(new Shape(n), -1, DType.Float64));

    private static Tensor Classes() => Tensor.FromArray(new long[] { 2, 0, 3 });
}
