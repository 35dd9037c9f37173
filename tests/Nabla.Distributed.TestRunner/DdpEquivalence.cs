using Nabla;
using Nabla.Data;
using Nabla.NN;
using Nabla.Optim;

namespace DistributedRunner;

/// <summary>
/// 20 SGD steps of a small CNN with batch norm, data-parallel (DistributedDataParallel + SyncBatchNorm +
/// DistributedSampler, global batch 64 split over the ranks), against the same 20 steps in one process with batch 64,
/// plain BatchNorm2d and the plain loader: the oracle shares no distributed code. Both draw the same samples: the
/// sampler's shards of a step's order are together that step's single-process batch.
/// </summary>
internal static class DdpEquivalence
{
    private const int GlobalBatch = 64, Samples = 640, Epochs = 2; // 10 steps per epoch: 20 steps, two permutations

    public static List<string> Run(DType dtype)
    {
        var failures = new List<string>();
        var data = Data(dtype);
        var model = SyncBatchNorm.ConvertSyncBatchNorm(Model(dtype));
        // Tiny buckets (about 600 bytes): several buckets, each all-reduced while backward goes on.
        var ddp = new DistributedDataParallel(model, bucketCapMb: 0.0006);
        if (ddp.BucketSizes.Count < 3)
        {
            failures.Add($"expected several buckets, got {ddp.BucketSizes.Count}");
        }

        var loader = new DataLoader(data, GlobalBatch / Distributed.WorldSize, shuffle: true, generator: new Generator(7), prefetch: 0,
            sampler: new DistributedSampler());
        Train(ddp, loader);

        var reference = Model(dtype);
        Train(reference, new DataLoader(data, GlobalBatch, shuffle: true, generator: new Generator(7), prefetch: 0));
        double tol = dtype == DType.Float64 ? 1e-9 : 1e-5;
        var expected = reference.StateDict();
        double worst = 0;
        foreach (var (name, t) in model.StateDict())
        {
            double diff = (t.To(DType.Float64) - expected[name].To(DType.Float64)).Abs().Max().Item();
            Check.Close(failures, $"{dtype} {name} max |Δ| against one process", diff, 0, tol);
            worst = Math.Max(worst, diff);
        }

        Console.Error.WriteLine($"rank {Distributed.Rank}: {dtype}: {model.StateDict().Count} tensors, max |Δ| {worst:G3} (tolerance {tol:G1}), buckets {string.Join('+', ddp.BucketSizes)}");
        return failures;
    }

    /// <summary>
    /// Gradient accumulation: two half-batches, the first under NoSync, give the same weights as one full batch
    /// (a mean loss over each half, so each backward is scaled by 1/2).
    /// </summary>
    public static List<string> RunNoSync()
    {
        var failures = new List<string>();
        var data = Data(DType.Float64);
        var model = Model(DType.Float64, batchNorm: false);
        var ddp = new DistributedDataParallel(model);
        var reference = Model(DType.Float64, batchNorm: false);
        var shard = new DistributedSampler().Order(Samples, false, new Generator(0)).Take(GlobalBatch / Distributed.WorldSize).ToArray();
        var (x, y) = data.GetBatch(shard);
        var (xs, ys) = data.GetBatch(Enumerable.Range(0, GlobalBatch).Select(i => i % Samples).ToArray());
        ddp.ZeroGrad();
        int half = x.Shape[0] / 2;
        using (ddp.NoSync())
        {
            (F.CrossEntropy(ddp.Forward(x.Narrow(0, 0, half)), y.Narrow(0, 0, half)) * 0.5).Backward();
        }

        // Inside NoSync the gradients stay this process's own: those of a plain replica on the same half-batch.
        var local = Model(DType.Float64, batchNorm: false);
        (F.CrossEntropy(local.Forward(x.Narrow(0, 0, half)), y.Narrow(0, 0, half)) * 0.5).Backward();
        var localGrads = local.NamedParameters().ToDictionary(p => p.Name, p => p.Parameter.Grad!);
        foreach (var (name, p) in model.NamedParameters())
        {
            Check.Close(failures, $"NoSync: local gradient of {name}", (p.Grad! - localGrads[name]).Abs().Max().Item(), 0, 1e-15);
        }

        (F.CrossEntropy(ddp.Forward(x.Narrow(0, half, half)), y.Narrow(0, half, half)) * 0.5).Backward();
        F.CrossEntropy(reference.Forward(xs), ys).Backward();
        var expected = reference.NamedParameters().ToDictionary(p => p.Name, p => p.Parameter.Grad!);
        foreach (var (name, p) in model.NamedParameters())
        {
            double diff = (p.Grad! - expected[name]).Abs().Max().Item();
            Check.Close(failures, $"NoSync: gradient of {name}", diff, 0, 1e-12);
        }

        return failures;
    }

    private static TensorDataset Data(DType dtype)
    {
        var g = new Generator(11);
        var x = Tensor.Randn(new Shape(Samples, 1, 8, 8), g, dtype);
        var y = (Tensor.Rand(new Shape(Samples), g) * 4).To(DType.Int64); // truncation: classes 0..3
        return new TensorDataset(x, y);
    }

    private static Sequential Model(DType dtype, bool batchNorm = true)
    {
        var g = new Generator(5);
        return batchNorm
            ? new Sequential(new Conv2d(1, 4, 3, padding: 1, generator: g, dtype: dtype), new BatchNorm2d(4, dtype: dtype), new ReLU(),
                new MaxPool2d(2), new Flatten(), new Linear(64, 16, generator: g, dtype: dtype), new ReLU(), new Linear(16, 4, generator: g, dtype: dtype))
            : new Sequential(new Conv2d(1, 4, 3, padding: 1, generator: g, dtype: dtype), new ReLU(),
                new MaxPool2d(2), new Flatten(), new Linear(64, 4, generator: g, dtype: dtype));
    }

    private static void Train(Module model, DataLoader loader)
    {
        var optimizer = new SGD(model.Parameters(), lr: 0.1, momentum: 0.9);
        for (int epoch = 0; epoch < Epochs; epoch++)
        {
            foreach (var (x, y) in loader)
            {
                optimizer.ZeroGrad();
                F.CrossEntropy(model.Forward(x), y).Backward();
                optimizer.Step();
            }
        }
    }
}
