using System.Diagnostics;
using System.Globalization;
using Nabla;
using Nabla.NN;
using Nabla.Optim;

namespace DistributedRunner;

/// <summary>
/// Throughput of data-parallel training steps (docs/distributed.md): the benchmark's lenet5_train, mlp_train and
/// resnet8_train models (bench/Nabla.Bench/ModelWorkloads.cs) at their global batch, split over the ranks, under
/// DistributedDataParallel; <c>-nooverlap</c> puts every gradient in one bucket, so communication starts only after
/// backward. Not a test: rank 0 prints one line per workload. Threads per process from the THREADS variable.
/// </summary>
internal static class Scaling
{
    public static List<string> Run(string workload, bool overlap)
    {
        if (int.TryParse(Environment.GetEnvironmentVariable("THREADS"), out int threads))
        {
            Threads.Count = threads;
        }

        var g = new Generator(0);
        var (model, input, batch, classes) = workload switch
        {
            "lenet5" => ((Module)new Sequential(
                new Conv2d(1, 6, 5, generator: g), new Tanh(), new AvgPool2d(2), new Conv2d(6, 16, 5, generator: g), new Tanh(), new AvgPool2d(2),
                new Conv2d(16, 120, 5, generator: g), new Tanh(), new Flatten(), new Linear(120, 84, generator: g), new Tanh(), new Linear(84, 10, generator: g)),
                new[] { 1, 32, 32 }, 64, 10),
            "mlp" => (new Sequential(new Linear(784, 256, generator: g), new ReLU(), new Linear(256, 128, generator: g), new ReLU(), new Linear(128, 10, generator: g)),
                new[] { 784 }, 128, 10),
            _ => (new Sequential(
                new Conv2d(3, 16, 3, 1, 1, bias: false, generator: g), new BatchNorm2d(16), new ReLU(),
                new BasicBlock(16, 16, 1, g), new BasicBlock(16, 32, 2, g), new BasicBlock(32, 64, 2, g),
                new AdaptiveAvgPool2d(1), new Flatten(), new Linear(64, 10, generator: g)),
                new[] { 3, 32, 32 }, 32, 10),
        };
        int local = batch / Distributed.WorldSize;
        using var ddp = new DistributedDataParallel(model, bucketCapMb: overlap ? 25.0 / 1024 : 1024); // 25 KiB buckets: several even for these small models
        var optimizer = workload == "mlp" ? (Optimizer)new Adam(ddp.Parameters(), lr: 1e-3) : new SGD(ddp.Parameters(), lr: 0.01, momentum: 0.9);
        var x = Tensor.Randn(new Shape([local, .. input]), new Generator(1 + Distributed.Rank));
        var y = Tensor.Randint(0, classes, new Shape(local), new Generator(2 + Distributed.Rank));
        void Step()
        {
            optimizer.ZeroGrad();
            F.CrossEntropy(ddp.Forward(x), y).Backward();
            optimizer.Step();
        }

        for (int i = 0; i < 5; i++)
        {
            Step();
        }

        var times = new List<double>();
        for (int rep = 0; rep < 7; rep++)
        {
            Distributed.Barrier();
            var clock = Stopwatch.StartNew();
            for (int i = 0; i < 10; i++)
            {
                Step();
            }

            times.Add(clock.Elapsed.TotalSeconds / 10);
        }

        times.Sort();
        if (Distributed.IsMainProcess)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{workload}_train ranks {Distributed.WorldSize} threads {Threads.Count} overlap {overlap} buckets {ddp.BucketSizes.Count}: median {times[3] * 1e3:F2} ms/step, best {times[0] * 1e3:F2} ms, {batch / times[3]:F0} samples/s"));
        }

        return [];
    }
}
