using Nabla;
namespace DistributedRunner;

/// <summary>
/// The collectives against sums worked out by hand: rank r holds xᵣ[i] = r + 1 + i/8 (exact in binary), so
/// Σᵣ xᵣ[i] = N(N + 1)/2 + N·i/8, the mean is that over N, the max is N + i/8 and the min 1 + i/8.
/// </summary>
internal static class Collectives
{
    // Odd sizes; and, for the sum, one over a 25 MB bucket of float32 (6,553,600 elements) by an odd amount.
    private static readonly int[] Sizes = [1, 7, 1001];
    private const int Large = 6_553_603;

    public static List<string> Run()
    {
        var failures = new List<string>();
        int n = Distributed.WorldSize, r = Distributed.Rank;
        if (!Distributed.UsesMpi || Distributed.LocalRank != r || Distributed.LocalWorldSize != n) // one machine: local = world
        {
            failures.Add($"UsesMpi {Distributed.UsesMpi}, local rank {Distributed.LocalRank} of {Distributed.LocalWorldSize}, rank {r} of {n}");
        }
        foreach (var dtype in new[] { DType.Float32, DType.Float64 })
        {
            foreach (int size in Sizes)
            {
                string at = $"{dtype} size {size}";
                CheckReduce(failures, at, dtype, size, ReduceOp.Sum, i => (n * (n + 1) / 2.0) + (n * i / 8.0));
                CheckReduce(failures, at, dtype, size, ReduceOp.Mean, i => ((n + 1) / 2.0) + (i / 8.0));
                CheckReduce(failures, at, dtype, size, ReduceOp.Max, i => n + (i / 8.0));
                CheckReduce(failures, at, dtype, size, ReduceOp.Min, i => 1 + (i / 8.0));
                CheckAsync(failures, at, dtype, size);
                CheckBroadcast(failures, at, dtype, size);
            }

            CheckReduce(failures, $"{dtype} size {Large}", dtype, Large, ReduceOp.Sum, i => (n * (n + 1) / 2.0) + (n * i / 8.0));
            CheckAllGather(failures, dtype);
        }

        // A view: all-reduce writes into the tensor's own storage (offset 3 of a larger array), nothing else.
        var whole = Tensor.Full(new Shape(10), 5.0, DType.Float64);
        var view = whole.Narrow(0, 3, 4);
        view.FillInPlace(r + 1);
        Distributed.AllReduce(view);
        Check.Close(failures, "all-reduce of a view", view[0].Item(), n * (n + 1) / 2.0, 0);
        Check.Close(failures, "element before the view", whole[2].Item(), 5, 0);
        Check.Close(failures, "element after the view", whole[7].Item(), 5, 0);
        var ints = Tensor.FromArray(new long[] { r, 1L << 40 });
        Distributed.AllReduce(ints);
        Check.Close(failures, "Int64 sum", ints[0].Item(), n * (n - 1) / 2.0, 0);
        Check.Close(failures, "Int64 sum of 2^40", ints[1].Item(), n * Math.Pow(2, 40), 0);
        try
        {
            Distributed.AllReduce(Tensor.Ones(new Shape(3, 4), DType.Float64).T);
            failures.Add("a non-contiguous tensor was accepted");
        }
        catch (ArgumentException)
        {
        }

        Distributed.Barrier();
        return failures;
    }

    private static Tensor Input(DType dtype, int size, int rank)
    {
        var t = Tensor.Arange(size, dtype: dtype) / 8.0;
        return (t + (rank + 1)).Contiguous();
    }

    private static void CheckReduce(List<string> failures, string at, DType dtype, int size, ReduceOp op, Func<long, double> expected)
    {
        var t = Input(dtype, size, Distributed.Rank);
        Distributed.AllReduce(t, op);
        CheckElements(failures, $"{op} {at}", t, expected);
    }

    private static void CheckAsync(List<string> failures, string at, DType dtype, int size)
    {
        int n = Distributed.WorldSize;
        var a = Input(dtype, size, Distributed.Rank);
        var b = Input(dtype, size, Distributed.Rank);
        var wa = Distributed.AllReduceAsync(a);
        var wb = Distributed.AllReduceAsync(b, ReduceOp.Mean); // two in flight at once
        while (!wa.Test())
        {
            Thread.Yield();
        }

        wb.Wait();
        CheckElements(failures, $"async sum {at}", a, i => (n * (n + 1) / 2.0) + (n * i / 8.0));
        CheckElements(failures, $"async mean {at}", b, i => ((n + 1) / 2.0) + (i / 8.0));
    }

    private static void CheckBroadcast(List<string> failures, string at, DType dtype, int size)
    {
        int root = Distributed.WorldSize - 1;
        var t = Input(dtype, size, Distributed.Rank);
        Distributed.Broadcast(t, root);
        CheckElements(failures, $"broadcast from {root} {at}", t, i => root + 1 + (i / 8.0));
    }

    private static void CheckAllGather(List<string> failures, DType dtype)
    {
        var g = Distributed.AllGather(Input(dtype, 5, Distributed.Rank).Reshape(5, 1));
        if (g.Shape != new Shape(Distributed.WorldSize, 5, 1))
        {
            failures.Add($"all-gather {dtype}: shape {g.Shape}");
            return;
        }

        for (int r = 0; r < Distributed.WorldSize; r++)
        {
            int rank = r;
            CheckElements(failures, $"all-gather {dtype} row {r}", g[r].Contiguous(), i => rank + 1 + (i / 8.0));
        }
    }

    /// <summary>Compares every element, exactly: all the values are sums of a few multiples of 1/8.</summary>
    private static void CheckElements(List<string> failures, string what, Tensor t, Func<long, double> expected)
    {
        var flat = t.ToDoubleArray();
        for (long i = 0; i < flat.Length; i++)
        {
            if (flat[i] != expected(i))
            {
                Check.Close(failures, $"{what} element {i}", flat[i], expected(i), 0);
                return;
            }
        }
    }
}
