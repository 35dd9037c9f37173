namespace Nabla.Data;

/// <summary>
/// One process's shard of each epoch's samples in data-parallel training (PyTorch's
/// <c>torch.utils.data.distributed.DistributedSampler</c>): the epoch's order (a permutation when shuffling) is padded
/// by repeating its first indices to a multiple of <see cref="NumReplicas"/> (or cut to one, with <see cref="DropLast"/>),
/// and rank r takes the positions r, r + N, r + 2N, ...
/// </summary>
/// <remarks>
/// <para><b>Same training as one process.</b> With a <see cref="DataLoader"/> of batch B/N on each of N processes, the
/// union of the processes' batches at step k is exactly positions kB … kB + B − 1 of the order, that is the batch k
/// that one process with batch B would draw from the same order (whenever B divides the padded length).</para>
/// <para><b>Seeded per epoch, without <c>set_epoch</c>.</b> The permutation is drawn from the loader's
/// <see cref="Generator"/> (the same seed on every process), at the start of each epoch, exactly as the loader draws
/// it on one process: each epoch gets a new order, every process draws the same one, and a checkpoint of the
/// generator resumes it. (PyTorch instead seeds with seed + epoch and needs <c>set_epoch</c> each epoch.)</para>
/// </remarks>
public sealed class DistributedSampler : Sampler
{
    /// <summary>Creates the sampler for process <paramref name="rank"/> of <paramref name="numReplicas"/>.</summary>
    /// <param name="numReplicas">The number of processes (default <see cref="Distributed.WorldSize"/>).</param>
    /// <param name="rank">This process (default <see cref="Distributed.Rank"/>).</param>
    /// <param name="dropLast">Cut the order to a multiple of the process count instead of padding it.</param>
    public DistributedSampler(int? numReplicas = null, int? rank = null, bool dropLast = false)
    {
        NumReplicas = numReplicas ?? Distributed.WorldSize;
        Rank = rank ?? Distributed.Rank;
        ArgumentOutOfRangeException.ThrowIfLessThan(NumReplicas, 1, nameof(numReplicas));
        if (Rank < 0 || Rank >= NumReplicas)
        {
            throw new ArgumentOutOfRangeException(nameof(rank), $"rank {Rank} is outside 0..{NumReplicas - 1}");
        }

        DropLast = dropLast;
    }

    /// <summary>The number of processes N.</summary>
    public int NumReplicas { get; }

    /// <summary>This process's index r.</summary>
    public int Rank { get; }

    /// <summary>Whether the order is cut (true) or padded (false) to a multiple of N.</summary>
    public bool DropLast { get; }

    /// <inheritdoc/>
    public override int Length(int datasetCount) =>
        DropLast ? datasetCount / NumReplicas : (datasetCount + NumReplicas - 1) / NumReplicas;

    /// <inheritdoc/>
    public override int[] Order(int datasetCount, bool shuffle, Generator generator)
    {
        ArgumentNullException.ThrowIfNull(generator);
        int[] order = shuffle ? DataLoader.RandPerm(datasetCount, generator) : Enumerable.Range(0, datasetCount).ToArray();
        int n = Length(datasetCount);
        var shard = new int[n];
        for (int i = 0; i < n; i++)
        {
            shard[i] = order[(int)(((long)i * NumReplicas + Rank) % order.Length)]; // past the end: wrap to the start (padding)
        }

        return shard;
    }
}
