using Nabla.Data;

namespace Nabla.Tests.Training;

public class DataTests
{
    private static TensorDataset Numbers(int n) =>
        new(Tensor.Arange(0, n, 1, DType.Float32).Reshape(n, 1), Tensor.Arange(n));

    private static List<long[]> Epoch(DataLoader loader) => loader.Select(b => b.Target.ToInt64Array()).ToList();

    [Fact]
    public void DataLoader_same_seed_gives_same_batches_and_epochs_differ()
    {
        var a = new DataLoader(Numbers(103), batchSize: 10, shuffle: true, generator: new Generator(7));
        var b = new DataLoader(Numbers(103), batchSize: 10, shuffle: true, generator: new Generator(7), prefetch: 0);
        var a1 = Epoch(a);
        var a2 = Epoch(a);
        Assert.Equal(a1, Epoch(b));
        Assert.Equal(a2, Epoch(b));
        Assert.NotEqual(a1.SelectMany(x => x), a2.SelectMany(x => x));
        Assert.Equal(11, a1.Count);
        Assert.Equal(3, a1[^1].Length);
        Assert.Equal(Enumerable.Range(0, 103).Select(i => (long)i), a1.SelectMany(x => x).Order());
    }

    [Fact]
    public void DataLoader_restoring_generator_state_replays_the_next_epoch()
    {
        var loader = new DataLoader(Numbers(50), batchSize: 8, shuffle: true, generator: new Generator(3), dropLast: true);
        Epoch(loader);
        var state = loader.Generator.GetState();
        var expected = Epoch(loader);
        var other = new DataLoader(Numbers(50), batchSize: 8, shuffle: true, generator: new Generator(99), dropLast: true);
        other.Generator.SetState(state);
        Assert.Equal(expected, Epoch(other));
        Assert.Equal(6, expected.Count);
        Assert.All(expected, b => Assert.Equal(8, b.Length));
    }

    [Fact]
    public void DataLoader_without_shuffle_keeps_order_and_stops_early_cleanly()
    {
        var loader = new DataLoader(Numbers(20), batchSize: 4);
        Assert.Equal([0L, 1, 2, 3], loader.First().Target.ToInt64Array());
        Assert.Equal(Enumerable.Range(0, 20).Select(i => (long)i), Epoch(loader).SelectMany(x => x));
    }

    [Fact]
    public void DataLoader_random_transforms_are_deterministic_by_seed()
    {
        var data = new TensorDataset(Tensor.Rand(new Shape(16, 1, 6, 6), new Generator(1)), Tensor.Zeros(new Shape(16), DType.Int64));
        var t = new Compose(new RandomCrop(6, padding: 2), new RandomHorizontalFlip());
        double[] Run() => new DataLoader(data, 16, shuffle: true, generator: new Generator(5), transform: t).First().Input.ToDoubleArray();
        Assert.Equal(Run(), Run());
    }

    [Fact]
    public void Transforms_pad_normalize_and_flip()
    {
        var x = Tensor.FromArray([1f, 2f, 3f, 4f], new Shape(1, 1, 2, 2));
        Assert.Equal(new Shape(1, 1, 6, 6), new Pad(2).Apply(x, new Generator(0)).Shape);
        Assert.Equal([0.0, 0.5, 1.0, 1.5], new Normalize(1, 2).Apply(x, new Generator(0)).ToDoubleArray());
        Assert.Equal([2.0, 1, 4, 3], new RandomHorizontalFlip(p: 1).Apply(x, new Generator(0)).ToDoubleArray());
    }

    [Fact]
    public void SyntheticDigits_are_deterministic_balanced_and_in_range()
    {
        var a = SyntheticDigits.Generate(200, seed: 42);
        var b = SyntheticDigits.Generate(200, seed: 42);
        var c = SyntheticDigits.Generate(200, seed: 43);
        Assert.Equal(new Shape(200, 1, 28, 28), a.Inputs.Shape);
        Assert.Equal(a.Inputs.ToFloatArray(), b.Inputs.ToFloatArray());
        Assert.NotEqual(a.Inputs.ToFloatArray(), c.Inputs.ToFloatArray());
        Assert.All(a.Targets.ToInt64Array().CountBy(l => l), kv => Assert.Equal(20, kv.Value));
        var px = a.Inputs.ToFloatArray();
        Assert.All(px, v => Assert.InRange(v, 0f, 1f));
        // Every image has ink: a stroke covers a good number of pixels.
        for (int i = 0; i < 200; i++)
        {
            Assert.InRange(px.Skip(i * 784).Take(784).Count(v => v > 0.5f), 25, 500);
        }
    }

    [Fact]
    public void SyntheticDigits_sample_i_does_not_depend_on_count()
    {
        var small = SyntheticDigits.Generate(5, seed: 9).Inputs.ToFloatArray();
        var large = SyntheticDigits.Generate(50, seed: 9).Inputs.ToFloatArray();
        Assert.Equal(small, large.Take(small.Length));
    }

    [Fact]
    public void Idx_round_trips_plain_and_gzip()
    {
        string dir = TestPaths.TempDir();
        var data = Enumerable.Range(0, 24).Select(i => (byte)i).ToArray();
        foreach (var name in new[] { "a-idx3-ubyte", "a-idx3-ubyte.gz" })
        {
            string path = Path.Combine(dir, name);
            Idx.Write(path, [2, 3, 4], data);
            var r = Idx.Read(path);
            Assert.Equal([2, 3, 4], r.Dims);
            Assert.Equal(data, r.Data);
        }
    }

    [Fact]
    public void Csv_loads_header_label_and_features()
    {
        string path = Path.Combine(TestPaths.TempDir(), "d.csv");
        File.WriteAllText(path, "label,a,b\n1,0.5,2\n0,3,4\n");
        var d = Csv.Load(path);
        Assert.Equal([1L, 0], d.Targets.ToInt64Array());
        Assert.Equal([0.5, 2, 3, 4], d.Inputs.ToDoubleArray());
    }
}
