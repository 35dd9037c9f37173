using System.Globalization;
using Nabla.Data;
using Nabla.NN;
using Nabla.Training;

namespace Nabla.Cli.Commands;

/// <summary>
/// <c>nabla train --distributed</c> under <c>mpirun -np N</c>: data-parallel training on N processes (docs/distributed.md).
/// Every process builds the same model, data and optimizer from the seed; each trains on its shard of every global batch
/// (<c>--batch-size</c> is the global batch) with the gradients averaged; rank 0 alone prints, evaluates and writes the
/// run folder.
/// </summary>
internal static class TrainDistributed
{
    /// <summary>Joins the process group and checks the batch: null to go on, else the exit code (2 usage, 1 MPI missing).</summary>
    public static int? Start(int batchSize, TextWriter stderr)
    {
        if (!Distributed.LaunchedByMpirun)
        {
            stderr.WriteLine("nabla train: --distributed needs the processes that mpirun starts: run mpirun -np N nabla train --distributed ...");
            return 2;
        }

        try
        {
            Distributed.Init();
        }
        catch (DistributedException e)
        {
            stderr.WriteLine($"nabla train: {e.Message}");
            return 1;
        }

        if (batchSize % Distributed.WorldSize != 0)
        {
            if (Distributed.IsMainProcess)
            {
                stderr.WriteLine($"nabla train: --batch-size {batchSize} is the global batch: it must be a multiple of the {Distributed.WorldSize} processes");
            }

            return 2;
        }

        return null;
    }

    /// <summary>Worker threads by default: the machine's cores shared among the processes that mpirun put on it.</summary>
    public static int DefaultThreads() =>
        Math.Max(1, Environment.ProcessorCount / Math.Max(1, int.TryParse(Environment.GetEnvironmentVariable("OMPI_COMM_WORLD_LOCAL_SIZE"),
            NumberStyles.Integer, CultureInfo.InvariantCulture, out int n) ? n : 1));

    /// <summary>The training loader: this process's shard of each epoch's order, in batches of its share of the global batch.</summary>
    public static DataLoader Loader(TensorDataset train, int globalBatch, Generator generator) =>
        new(train, globalBatch / Distributed.WorldSize, shuffle: true, generator: generator, sampler: new DistributedSampler());

    /// <summary>
    /// Makes the replicas alike (rank 0's weights) and averages gradients from now on. The trainer keeps the replica
    /// itself, so checkpoints and model.safetensors carry the plain names (a distributed run resumes in one process and
    /// back); DistributedDataParallel's hooks average the gradients whoever calls forward, and SyncBatchNorm keeps the
    /// running statistics alike, which is what its forward's buffer broadcast would otherwise do.
    /// </summary>
    public static DistributedDataParallel Wrap(Module model, Trainer trainer)
    {
        var ddp = new DistributedDataParallel(model, broadcastBuffers: false);
        trainer.AllReduceSum = values =>
        {
            var t = Tensor.FromArray(values);
            Distributed.AllReduce(t);
            t.ToDoubleArray().CopyTo(values, 0);
        };
        return ddp;
    }

    /// <summary>The header's words about the processes.</summary>
    public static string Describe(int globalBatch) =>
        $", {Distributed.WorldSize} processes × {Threads.Count} threads (batch {globalBatch / Distributed.WorldSize} each)";
}
