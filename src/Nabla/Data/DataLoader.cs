using System.Collections;
using System.Collections.Concurrent;

namespace Nabla.Data;

/// <summary>
/// Iterates over a dataset in mini-batches (PyTorch's <c>DataLoader</c>): optional shuffling from a seeded
/// <see cref="Generator"/>, <c>dropLast</c>, a batch <see cref="Transform"/>, and background prefetching.
/// </summary>
/// <remarks>
/// <para>Each enumeration is one epoch. All randomness of an epoch is drawn from <see cref="Generator"/> on the
/// calling thread when the enumeration starts (the permutation, then one seed for the transform), so the
/// generator's state between epochs fully determines what follows: a checkpoint that saves
/// <c>Generator.GetState()</c> resumes the same batch order. The background thread only assembles batches,
/// in order, so prefetching never changes the result.</para>
/// <example><code>
/// var loader = new DataLoader(train, batchSize: 64, shuffle: true, generator: new Generator(0));
/// foreach (var (x, y) in loader) { ... }
/// </code></example>
/// </remarks>
public sealed class DataLoader : IEnumerable<Batch>
{
    /// <summary>Creates the loader.</summary>
    /// <param name="dataset">The samples.</param>
    /// <param name="batchSize">Samples per batch (the last one may be smaller unless <paramref name="dropLast"/>).</param>
    /// <param name="shuffle">Draw a new random order every epoch.</param>
    /// <param name="generator">The random source for shuffling and random transforms (default: seed 0).</param>
    /// <param name="dropLast">Drop the last incomplete batch.</param>
    /// <param name="transform">Applied to each batch's input (augmentation, normalisation).</param>
    /// <param name="prefetch">How many batches a background thread prepares ahead (0: none, in the caller's thread).</param>
    /// <param name="sampler">Chooses each epoch's sample indices instead of the plain (shuffled) order, for example
    /// one process's shard in data-parallel training; it draws from <paramref name="generator"/>.</param>
    public DataLoader(Dataset dataset, int batchSize = 1, bool shuffle = false, Generator? generator = null, bool dropLast = false,
        Transform? transform = null, int prefetch = 2, Sampler? sampler = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(prefetch);
        Dataset = dataset;
        BatchSize = batchSize;
        Shuffle = shuffle;
        Generator = generator ?? new Generator(0);
        DropLast = dropLast;
        Transform = transform;
        Prefetch = prefetch;
        Sampler = sampler;
    }

    /// <summary>The sampler, or null for the plain order (shuffled when <see cref="Shuffle"/>).</summary>
    public Sampler? Sampler { get; }

    /// <summary>The samples.</summary>
    public Dataset Dataset { get; }

    /// <summary>Samples per batch.</summary>
    public int BatchSize { get; }

    /// <summary>Whether each epoch uses a new random order.</summary>
    public bool Shuffle { get; }

    /// <summary>The random source (save its state to resume the same sequence of epochs).</summary>
    public Generator Generator { get; }

    /// <summary>Whether the last incomplete batch is dropped.</summary>
    public bool DropLast { get; }

    /// <summary>The batch transform, or null.</summary>
    public Transform? Transform { get; }

    /// <summary>Batches prepared ahead by a background thread.</summary>
    public int Prefetch { get; }

    /// <summary>Number of batches per epoch (<c>len(loader)</c>).</summary>
    public int Count => DropLast ? Samples / BatchSize : (Samples + BatchSize - 1) / BatchSize;

    /// <summary>Samples per epoch: the dataset's, or the sampler's share of it.</summary>
    public int Samples => Sampler?.Length(Dataset.Count) ?? Dataset.Count;

    /// <summary>A random permutation of 0..n-1 (Fisher-Yates, from the end, as <c>torch.randperm</c> on CPU does in spirit).</summary>
    public static int[] RandPerm(int n, Generator generator)
    {
        var p = new int[n];
        for (int i = 0; i < n; i++)
        {
            p[i] = i;
        }

        for (int i = n - 1; i > 0; i--)
        {
            int j = (int)generator.NextInt64(0, i + 1);
            (p[i], p[j]) = (p[j], p[i]);
        }

        return p;
    }

    /// <summary>Starts one epoch.</summary>
    public IEnumerator<Batch> GetEnumerator()
    {
        // Draw everything random now, on the caller's thread (see remarks).
        int[] order = Sampler?.Order(Dataset.Count, Shuffle, Generator)
            ?? (Shuffle ? RandPerm(Dataset.Count, Generator) : Enumerable.Range(0, Dataset.Count).ToArray());
        var transformGen = Transform is null ? null : new Generator(unchecked((long)Generator.NextUInt64()));
        int batches = Count;
        return Prefetch == 0 ? Sequential(order, batches, transformGen) : Prefetched(order, batches, transformGen);
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    private Batch Make(int[] order, int b, Generator? transformGen)
    {
        int start = b * BatchSize, end = Math.Min(start + BatchSize, order.Length);
        var batch = Dataset.GetBatch(new ArraySegment<int>(order, start, end - start));
        return Transform is null || transformGen is null ? batch : batch with { Input = Transform.Apply(batch.Input, transformGen) };
    }

    private IEnumerator<Batch> Sequential(int[] order, int batches, Generator? transformGen)
    {
        for (int b = 0; b < batches; b++)
        {
            yield return Make(order, b, transformGen);
        }
    }

    private IEnumerator<Batch> Prefetched(int[] order, int batches, Generator? transformGen)
    {
        using var queue = new BlockingCollection<Batch>(Prefetch);
        using var cancel = new CancellationTokenSource();
        Exception? failure = null;
        var producer = Task.Run(() =>
        {
            try
            {
                for (int b = 0; b < batches; b++)
                {
                    queue.Add(Make(order, b, transformGen), cancel.Token);
                }
            }
            catch (OperationCanceledException)
            {
            }
            catch (Exception e)
            {
                failure = e;
            }
            finally
            {
                queue.CompleteAdding();
            }
        });
        try
        {
            foreach (var batch in queue.GetConsumingEnumerable())
            {
                yield return batch;
            }

            if (failure is not null)
            {
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(failure).Throw();
            }
        }
        finally
        {
            cancel.Cancel();
            producer.Wait();
        }
    }
}
