using Nabla.Data;
using Nabla.NN;

namespace Nabla.Tests.DataParallel;

/// <summary>
/// Nabla.Distributed in one process (no mpirun: world size 1, MPI not loaded), and the sampler's arithmetic for any
/// world size: the parts that need no second process.
/// </summary>
public class SingleProcessTests
{
    public SingleProcessTests() => Distributed.Init();

    [Fact]
    public void Outside_mpirun_the_world_is_one_process_and_collectives_return_their_input()
    {
        Assert.False(Distributed.UsesMpi);
        Assert.Equal((0, 1, 0), (Distributed.Rank, Distributed.WorldSize, Distributed.LocalRank));
        var t = Tensor.FromArray(new[] { 1.5, -2.0, 3.0 });
        Distributed.AllReduce(t);
        Distributed.AllReduce(t, ReduceOp.Mean);
        Distributed.Broadcast(t);
        Assert.Equal([1.5, -2.0, 3.0], t.ToDoubleArray());
        var g = Distributed.AllGather(t);
        Assert.Equal(new Shape(1, 3), g.Shape);
        Assert.Equal([1.5, -2.0, 3.0], g.ToDoubleArray());
        Assert.Throws<ArgumentException>(() => Distributed.AllReduce(Tensor.Ones(new Shape(2, 3)).T));
    }

    [Theory]
    [InlineData(2, 10, 6)]
    [InlineData(3, 10, 6)]
    [InlineData(4, 64, 16)]
    public void Union_of_the_ranks_batches_at_each_step_is_the_single_process_batch(int ranks, int count, int globalBatch)
    {
        // One process, batch B: positions kB..kB+B−1 of the epoch's permutation (padded by wrapping to the start).
        var single = DataLoader.RandPerm(count, new Generator(3));
        int padded = (count + ranks - 1) / ranks * ranks;
        var shards = Enumerable.Range(0, ranks).Select(r => new DistributedSampler(ranks, r).Order(count, true, new Generator(3))).ToList();
        Assert.All(shards, s => Assert.Equal(padded / ranks, s.Length));
        int local = globalBatch / ranks;
        for (int k = 0; k * globalBatch < padded; k++)
        {
            var union = shards.SelectMany(s => s.Skip(k * local).Take(local)).Order().ToArray();
            var expected = Enumerable.Range(k * globalBatch, Math.Min(globalBatch, padded - (k * globalBatch)))
                .Select(i => single[i % count]).Order().ToArray();
            Assert.Equal(expected, union);
        }
    }

    [Fact]
    public void Sampler_drop_last_and_argument_checks()
    {
        Assert.Equal(3, new DistributedSampler(3, 0, dropLast: true).Length(10));
        Assert.Equal(4, new DistributedSampler(3, 0).Length(10));
        Assert.Equal([1, 4, 7], new DistributedSampler(3, 1, dropLast: true).Order(10, false, new Generator(0)));
        Assert.Equal([2, 5, 8, 1], new DistributedSampler(3, 2).Order(10, false, new Generator(0))); // 11 wraps to 1
        Assert.Throws<ArgumentOutOfRangeException>(() => new DistributedSampler(2, 2));
        var loader = new DataLoader(new TensorDataset(Tensor.Zeros(new Shape(10, 1)), Tensor.Zeros(new Shape(10), DType.Int64)), 2,
            sampler: new DistributedSampler(3, 0));
        Assert.Equal(2, loader.Count); // 4 samples in batches of 2
    }

    [Fact]
    public void SyncBatchNorm_in_one_process_is_BatchNorm2d_forward_backward_and_running_statistics()
    {
        var x = Tensor.Randn(new Shape(4, 3, 5, 5), new Generator(1), DType.Float64);
        var bn = new BatchNorm2d(3, momentum: 0.2, dtype: DType.Float64);
        var sync = (SyncBatchNorm)SyncBatchNorm.ConvertSyncBatchNorm(bn);
        using (GradMode.NoGrad())
        {
            bn.Weight!.CopyInPlace(Tensor.FromArray(new[] { 0.5, 1.5, -1.0 }));
            sync.Weight!.CopyInPlace(bn.Weight);
        }

        var dy = Tensor.Randn(x.Shape, new Generator(2), DType.Float64);
        var xa = x.Detach().RequireGrad();
        var xb = x.Detach().RequireGrad();
        for (int step = 0; step < 2; step++)
        {
            (bn.Forward(xa) * dy).Sum().Backward();
            (sync.Forward(xb) * dy).Sum().Backward();
        }

        Assert.True((xa.Grad! - xb.Grad!).Abs().Max().Item() < 1e-12);
        Assert.True((bn.Weight.Grad! - sync.Weight.Grad!).Abs().Max().Item() < 1e-12);
        Assert.True((bn.Bias!.Grad! - sync.Bias!.Grad!).Abs().Max().Item() < 1e-12);
        Assert.True((bn.RunningMean! - sync.RunningMean!).Abs().Max().Item() < 1e-14);
        Assert.True((bn.RunningVar! - sync.RunningVar!).Abs().Max().Item() < 1e-14);
        Assert.Equal(2.0, sync.NumBatchesTracked!.Item());
        bn.Eval();
        sync.Eval();
        Assert.True((bn.Forward(x) - sync.Forward(x)).Abs().Max().Item() < 1e-14);
    }

    [Fact]
    public void SyncBatchNorm_gradcheck_in_float64()
    {
        var sync = new SyncBatchNorm(2, dtype: DType.Float64);
        var x = Tensor.Randn(new Shape(3, 2, 4), new Generator(4), DType.Float64);
        var r = GradCheck.Check(t => (sync.Forward(t[0]) * Tensor.Arange(0, 24, 1, DType.Float64).Reshape(3, 2, 4)).Sum(), [x.RequireGrad()]);
        Assert.True(r.Passed, r.Message);
    }

    [Fact]
    public void ConvertSyncBatchNorm_replaces_nested_batch_norms_and_keeps_their_state()
    {
        var inner = new Sequential(new Conv2d(1, 2, 3), new BatchNorm2d(2));
        var model = new Sequential(inner, new Flatten(), new BatchNorm1d(8, eps: 1e-3, affine: false));
        using (GradMode.NoGrad())
        {
            ((BatchNorm2d)inner.Children().ElementAt(1)).RunningMean!.FillInPlace(0.25);
        }

        var converted = SyncBatchNorm.ConvertSyncBatchNorm(model);
        Assert.Same(model, converted);
        var syncs = model.NamedModules().Select(m => m.Module).OfType<SyncBatchNorm>().ToList();
        Assert.Equal(2, syncs.Count);
        Assert.DoesNotContain(model.NamedModules(), m => m.Module is BatchNorm1d or BatchNorm2d);
        Assert.Equal([0.25, 0.25], syncs[0].RunningMean!.ToDoubleArray());
        Assert.Equal((1e-3, false), (syncs[1].Eps, syncs[1].Weight is not null));
    }

    [Fact]
    public void Ddp_in_one_process_gives_the_plain_gradients_and_keeps_unused_parameters_without_one()
    {
        var model = new Sequential(new Linear(3, 2, generator: new Generator(1), dtype: DType.Float64));
        var unused = new Linear(2, 2, dtype: DType.Float64);
        var both = new Sequential(model, unused);
        using var ddp = new DistributedDataParallel(both, bucketCapMb: 1e-5); // one parameter per bucket
        Assert.Equal([1, 1, 1, 1], ddp.BucketSizes);
        var x = Tensor.Randn(new Shape(4, 3), new Generator(2), DType.Float64);
        model.Forward(x).Square().Sum().Backward(); // only the first Linear takes part
        var w = model.Parameters().First();
        var expected = (2 * model.Forward(x)).Detach().T.MatMul(x); // dΣy²/dW = 2yᵀx
        Assert.True((w.Grad! - expected).Abs().Max().Item() < 1e-12);
        Assert.All(unused.Parameters(), p => Assert.Null(p.Grad));
    }

    [Fact]
    public void Trainer_logs_the_global_batch_metrics_that_AllReduceSum_returns()
    {
        // Two identical "ranks" simulated by doubling every sum: loss and accuracy stay those of one rank, while each
        // batch counts twice the samples. The reducer sees [loss·n, n] per batch and [correct] per epoch.
        var x = Tensor.Randn(new Shape(8, 3), new Generator(1), DType.Float64);
        var y = Tensor.FromArray(new long[] { 0, 1, 0, 1, 1, 0, 0, 1 });
        Nabla.Training.History Run(Action<double[]>? reduce)
        {
            var model = new Linear(3, 2, generator: new Generator(2), dtype: DType.Float64);
            var trainer = new Nabla.Training.Trainer(model, new Nabla.Optim.SGD(model.Parameters(), lr: 0.1)) { AllReduceSum = reduce };
            return trainer.Fit(new DataLoader(new TensorDataset(x, y), 4, prefetch: 0), epochs: 2);
        }

        var calls = new List<int>();
        var plain = Run(null);
        var doubled = Run(v => { calls.Add(v.Length); for (int i = 0; i < v.Length; i++) { v[i] *= 2; } });
        Assert.Equal([2, 2, 1, 2, 2, 1], calls);
        Assert.All(plain["loss"].Zip(doubled["loss"]), p => Assert.Equal(p.First, p.Second, 1e-14)); // l·n·2/(2n): rounding only
        Assert.Equal(plain["accuracy"], doubled["accuracy"]);
    }
}
