using Nabla.NN;

namespace Nabla.Tests.NN;

public class NormalizationTests
{
    private static void Close(double[] expected, Tensor actual, double tol) => Expect.AllClose(expected, actual, tol, 0);

    [Theory]
    [InlineData(0.0)]
    [InlineData(1e-5)]
    public void S3_Q6_batchnorm_with_BatchNorm1d(double eps)
    {
        // μ = 6, σ² = (16 + 4 + 0 + 4 + 16)/5 = 8 (biased); y = 2·(x − 6)/√(8 + ε) + 1, e.g. y₀ = 1 − 8/√8 = −1.82842712475.
        var bn = new BatchNorm1d(1, eps: eps, dtype: DType.Float64);
        using (GradMode.NoGrad())
        {
            bn.Weight!.FillInPlace(2);
            bn.Bias!.FillInPlace(1);
        }

        var x = Tensor.FromArray([2.0, 4, 6, 8, 10], new Shape(5, 1));
        var y = bn.Forward(x);
        double[] expected = eps == 0
            ? [-1.82842712475, -0.414213562373, 1.0, 2.41421356237, 3.82842712475]
            : [-1.82842535698, -0.41421267849, 1.0, 2.41421267849, 3.82842535698];
        Close(expected, y, 1e-5);

        // Running statistics: r ← 0.9·r + 0.1·stat with the unbiased variance 40/4 = 10.
        Close([0.6], bn.RunningMean!, 1e-12);
        Close([(0.9 * 1) + (0.1 * 10)], bn.RunningVar!, 1e-12);
        Assert.Equal(1, bn.NumBatchesTracked!.Item());

        // Evaluation uses the running statistics.
        bn.Eval();
        Close([(2 * (2 - 0.6) / Math.Sqrt(1.9 + eps)) + 1], bn.Forward(Tensor.FromArray([2.0], new Shape(1, 1))), 1e-9);
    }

    [Fact]
    public void Batchnorm_buffers_are_not_trainable()
    {
        // S1-EC3-3a: BatchNorm over 64 channels has 128 trainable and 128 non-trainable values (+ the batch counter).
        var bn = new BatchNorm1d(64);
        Assert.Equal(128, bn.Parameters().Sum(p => p.Numel));
        Assert.Equal(128, bn.NamedBuffers().Where(b => b.Name != "num_batches_tracked").Sum(b => b.Buffer.Numel));
        Assert.Equal(["weight", "bias", "running_mean", "running_var", "num_batches_tracked"], bn.StateDict().Keys);
    }

    [Fact]
    public void Normalization_layers_pass_gradcheck()
    {
        var g = new Generator(3);
        var x = Tensor.Randn(new Shape(4, 3, 2), g, DType.Float64).RequireGrad();
        var w = Tensor.Randn(new Shape(3), g, DType.Float64).RequireGrad();
        var b = Tensor.Randn(new Shape(3), g, DType.Float64).RequireGrad();
        Assert.True(GradCheck.Check(t => F.BatchNorm(t[0], null, null, t[1], t[2], training: true), [x, w, b]).Passed);
        Assert.True(GradCheck.CheckSecondOrder(t => F.BatchNorm(t[0], null, null, t[1], t[2], training: true), [x, w, b]).Passed);
        var lw = Tensor.Randn(new Shape(2), g, DType.Float64).RequireGrad();
        Assert.True(GradCheck.Check(t => F.LayerNorm(t[0], new Shape(2), t[1]), [x, lw]).Passed);
        Assert.True(GradCheck.Check(t => F.GroupNorm(t[0].Reshape(2, 6, 2), 3), [x]).Passed);
    }

    [Theory]
    [InlineData(DType.Float32, 1e-5)]
    [InlineData(DType.Float64, 1e-12)]
    public void Fused_batch_norm_backward_matches_its_differentiable_form(DType dtype, double tol)
    {
        // The fused kernel (no graph recorded) against the same formula in tensor ops (createGraph: true), on
        // 9·11 = 99 values per image and channel: whole vectors and a tail in both precisions.
        var g = new Generator(5);
        var x = (Tensor.Randn(new Shape(4, 3, 9, 11), g, dtype) * 3.0 + 1.0).Detach().RequireGrad();
        var w = Tensor.Randn(new Shape(3), g, dtype).RequireGrad();
        var b = Tensor.Randn(new Shape(3), g, dtype).RequireGrad();
        var dy = Tensor.Randn(x.Shape, g, dtype);
        Tensor[] Grads(bool createGraph)
        {
            var y = F.BatchNorm(x, null, null, w, b, training: true);
            return Autograd.Grad([y], [x, w, b], [dy], createGraph: createGraph).Select(t => t!).ToArray();
        }

        var fused = Grads(false);
        var composite = Grads(true);
        for (int i = 0; i < 3; i++)
        {
            Expect.AllClose(composite[i].ToDoubleArray(), fused[i], tol, tol);
        }
    }

    [Fact]
    public void Layer_norm_normalises_each_sample()
    {
        var y = new LayerNorm(new Shape(4), dtype: DType.Float64).Forward(Tensor.FromArray([1.0, 2, 3, 4, 10, 20, 30, 40], new Shape(2, 4)));
        // Row 1: μ = 2.5, σ² = 1.25, so (1 − 2.5)/√(1.25 + 1e-5) = −1.341635...
        Assert.Equal(-1.5 / Math.Sqrt(1.25 + 1e-5), y[0, 0].Item(), 9);
        Assert.Equal(-15 / Math.Sqrt(125 + 1e-5), y[1, 0].Item(), 9);
    }

    [Fact]
    public void Embedding_looks_up_rows_and_padding_gets_no_gradient()
    {
        var e = new Embedding(5, 3, paddingIdx: 0, generator: new Generator(1));
        Assert.Equal(new double[3], e.Weight[0].ToDoubleArray());
        var idx = Tensor.FromArray([0L, 2, 2, 4], new Shape(2, 2));
        var y = e.Forward(idx);
        Assert.Equal(new Shape(2, 2, 3), y.Shape);
        Assert.Equal(e.Weight[2].ToDoubleArray(), y[0, 1].ToDoubleArray());
        y.Sum().Backward();
        Assert.Equal(new double[3], e.Weight.Grad![0].ToDoubleArray());
        Assert.Equal([2.0, 2, 2], e.Weight.Grad![2].ToDoubleArray());
        Assert.Throws<ArgumentException>(() => e.Forward(Tensor.FromArray([5L])));
    }
}
