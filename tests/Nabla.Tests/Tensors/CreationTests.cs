namespace Nabla.Tests.Tensors;

/// <summary>Creation functions: shapes, dtypes, values, ranges and seeded determinism.</summary>
[Collection(GlobalStateCollection.Name)]
public class CreationTests
{
    [Fact]
    public void Zeros_ones_full()
    {
        var z = Tensor.Zeros([2, 3]);
        Assert.Equal(new Shape(2, 3), z.Shape);
        Assert.Equal(DType.Float32, z.DType);
        Assert.All(z.ToDoubleArray(), v => Assert.Equal(0.0, v));

        var o = Tensor.Ones([4], DType.Int64);
        Assert.Equal(DType.Int64, o.DType);
        Assert.Equal([1L, 1, 1, 1], o.ToInt64Array());

        var f = Tensor.Full([2, 2], 2.5, DType.Float64);
        Assert.Equal(DType.Float64, f.DType);
        Assert.Equal([2.5, 2.5, 2.5, 2.5], f.ToDoubleArray());

        Assert.Equal([true, true], Tensor.Full([2], 3, DType.Bool).ToDoubleArray().Select(v => v != 0));
        Assert.Equal(Shape.Scalar, Tensor.Zeros(Shape.Scalar).Shape);
        Assert.Equal(1, Tensor.Zeros(Shape.Scalar).Numel);
        Assert.Equal(0, Tensor.Zeros([3, 0]).Numel);

        var like = Tensor.OnesLike(f);
        Assert.Equal(f.Shape, like.Shape);
        Assert.Equal(DType.Float64, like.DType);
        Assert.Equal(7.0, Tensor.FullLike(f, 7).ToDoubleArray()[3]);
        Assert.Equal(DType.Float64, Tensor.Scalar(1).DType);
        Assert.False(z.RequiresGrad);
    }

    [Fact]
    public void FromArray_copies_and_checks_the_element_count()
    {
        var src = new[] { 1f, 2f, 3f, 4f, 5f, 6f };
        var t = Tensor.FromArray(src, [2, 3]);
        src[0] = 99;
        Assert.Equal(1.0, t[0, 0].Item());
        var e = Assert.Throws<ArgumentException>(() => Tensor.FromArray(src, [4, 2]));
        Assert.Contains("[4, 2]", e.Message);
        Assert.Equal(new Shape(2, 2), Tensor.FromArray(new double[,] { { 1, 2 }, { 3, 4 } }).Shape);
        Assert.Equal(3.0, Tensor.FromArray(new double[,] { { 1, 2 }, { 3, 4 } })[1, 0].Item());
    }

    [Fact]
    public void Arange()
    {
        var a = Tensor.Arange(5);
        Assert.Equal(DType.Int64, a.DType);
        Assert.Equal([0L, 1, 2, 3, 4], a.ToInt64Array());
        Assert.Equal([0.0, 0.25, 0.5, 0.75], Tensor.Arange(0, 1, 0.25).ToDoubleArray());
        Assert.Equal(DType.Float32, Tensor.Arange(0, 1, 0.25).DType);
        Assert.Equal([10.0, 7, 4, 1], Tensor.Arange(10, 0, -3, DType.Float64).ToDoubleArray());
        Assert.Equal(0, Tensor.Arange(3, 1, 1).Numel);
        Assert.Equal(new Shape(0), Tensor.Arange(0).Shape);
        Assert.Throws<ArgumentException>(() => Tensor.Arange(0, 1, 0));
        // The end is exclusive even when it is reached exactly.
        Assert.Equal(4, Tensor.Arange(1, 3, 0.5).Numel);
    }

    [Fact]
    public void Linspace_includes_both_ends()
    {
        Assert.Equal([0.0, 0.25, 0.5, 0.75, 1.0], Tensor.Linspace(0, 1, 5, DType.Float64).ToDoubleArray());
        var l = Tensor.Linspace(-1, 1, 7);
        Assert.Equal(DType.Float32, l.DType);
        Assert.Equal(7, l.Numel);
        Assert.Equal(-1.0, l.ToDoubleArray()[0]);
        Assert.Equal(1.0, l.ToDoubleArray()[^1]);
        Assert.Equal(0.0, l.ToDoubleArray()[3], 1e-6);
        Assert.Equal([3.0], Tensor.Linspace(3, 8, 1).ToDoubleArray());
        Assert.Equal(0, Tensor.Linspace(0, 1, 0).Numel);
        Assert.Equal([5.0, 4.0, 3.0], Tensor.Linspace(5, 3, 3).ToDoubleArray());
        Assert.Throws<ArgumentOutOfRangeException>(() => Tensor.Linspace(0, 1, -1));
    }

    [Fact]
    public void Eye()
    {
        Assert.Equal([1.0, 0, 0, 0, 1, 0, 0, 0, 1], Tensor.Eye(3).ToDoubleArray());
        var r = Tensor.Eye(2, 3, DType.Int64);
        Assert.Equal(new Shape(2, 3), r.Shape);
        Assert.Equal(DType.Int64, r.DType);
        Assert.Equal([1L, 0, 0, 0, 1, 0], r.ToInt64Array());
        Assert.Equal([1.0, 0, 0, 1, 0, 0], Tensor.Eye(3, 2).ToDoubleArray());
    }

    [Fact]
    public void Rand_is_uniform_in_zero_one_and_seeded()
    {
        var a = Tensor.Rand([10_000], new Generator(42));
        Assert.Equal(DType.Float32, a.DType);
        var v = a.ToDoubleArray();
        Assert.All(v, x => Assert.InRange(x, 0.0, Math.BitDecrement(1.0)));
        Assert.InRange(v.Average(), 0.48, 0.52);
        Assert.Equal(v, Tensor.Rand([10_000], new Generator(42)).ToDoubleArray());
        Assert.NotEqual(v, Tensor.Rand([10_000], new Generator(43)).ToDoubleArray());

        // The default generator is reproducible after ManualSeed.
        Generator.Default.ManualSeed(7);
        var d1 = Tensor.Rand([5]).ToDoubleArray();
        Generator.Default.ManualSeed(7);
        Assert.Equal(d1, Tensor.Rand([5]).ToDoubleArray());

        var u = Tensor.Uniform([1000], -2, 3, new Generator(1), DType.Float64).ToDoubleArray();
        Assert.All(u, x => Assert.InRange(x, -2.0, Math.BitDecrement(3.0)));
        Assert.Equal(new Shape(2, 3, 4), Tensor.Rand([2, 3, 4]).Shape);
    }

    [Fact]
    public void Randn_has_mean_zero_and_std_one()
    {
        var g = new Generator(2024);
        var t = Tensor.Randn([100_000], g, DType.Float64);
        // Standard error of the mean is 1/√n ≈ 0.003; of the std ≈ 1/√(2n) ≈ 0.002.
        Assert.InRange(t.Mean().Item(), -0.015, 0.015);
        Assert.InRange(t.Std().Item(), 0.985, 1.015);
        // About 68.27% of samples lie within one standard deviation.
        double within = t.ToDoubleArray().Count(x => Math.Abs(x) < 1) / 100_000.0;
        Assert.InRange(within, 0.677, 0.688);
        Assert.Equal(t.ToDoubleArray(), Tensor.Randn([100_000], new Generator(2024), DType.Float64).ToDoubleArray());
        Assert.Equal(DType.Float32, Tensor.Randn([3]).DType);
    }

    [Fact]
    public void Randint_is_int64_in_half_open_range()
    {
        var t = Tensor.Randint(-3, 4, [5000], new Generator(9));
        Assert.Equal(DType.Int64, t.DType);
        var v = t.ToInt64Array();
        Assert.All(v, x => Assert.InRange(x, -3L, 3L));
        Assert.Equal(7, v.Distinct().Count()); // every value in [-3, 4) appears
        Assert.Equal(v, Tensor.Randint(-3, 4, [5000], new Generator(9)).ToInt64Array());
        Assert.Throws<ArgumentException>(() => Tensor.Randint(5, 5, [1]));
        Assert.Equal(DType.Float32, Tensor.Randint(0, 10, [4], new Generator(1), DType.Float32).DType);
    }

    [Fact]
    public void Float32_rand_never_rounds_up_to_one()
    {
        // Generator(39061301)'s first double is 0.99999997547, which rounds to 1f in float32: the sample must
        // still be below 1 (torch.rand's [0, 1) contract), and likewise for Uniform's upper bound.
        Assert.True(Tensor.Rand([1], new Generator(39061301)).Item() < 1.0);
        Assert.True(Tensor.Uniform([1], 0, 1, new Generator(39061301)).Item() < 1.0);
        Assert.True(Tensor.Uniform([1], 2, 3, new Generator(39061301)).Item() < 3.0);
        Assert.Equal(0.9999999754692834, Tensor.Rand([1], new Generator(39061301), DType.Float64).Item());
        Assert.Equal(2.0, Tensor.Uniform([1], 2, 2, new Generator(1)).Item());
    }
}
