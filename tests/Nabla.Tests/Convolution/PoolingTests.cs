using Nabla.NN;
using static Nabla.Tests.Convolution.ConvReference;

namespace Nabla.Tests.Convolution;

public class PoolingTests
{
    // (H, W, kH, kW, sH, sW, pH, pW, dH, dW, ceil)
    private static readonly (int H, int W, int KH, int KW, int SH, int SW, int PH, int PW, int DH, int DW, bool Ceil)[] Cases =
    [
        (4, 4, 2, 2, 2, 2, 0, 0, 1, 1, false),
        (5, 5, 2, 2, 2, 2, 0, 0, 1, 1, true),
        (5, 7, 3, 3, 2, 2, 1, 1, 1, 1, false),
        (5, 7, 3, 3, 2, 2, 1, 1, 1, 1, true),
        (3, 3, 2, 2, 2, 2, 1, 1, 1, 1, true),     // ceil rule drops a window starting in the right padding
        (8, 9, 3, 2, 1, 3, 1, 1, 2, 1, false),    // dilation (max only)
        (6, 6, 4, 4, 3, 3, 2, 2, 1, 1, true),
        (7, 5, 1, 1, 2, 2, 0, 0, 1, 1, false),
    ];

    public static readonly TheoryData<int> Configs = new(Enumerable.Range(0, Cases.Length));

    [Theory]
    [MemberData(nameof(Configs))]
    public void Max_pool_matches_naive_loops(int i)
    {
        var c = Cases[i];
        var xv = Random(2 * 3 * c.H * c.W, 40 + i);
        var (y, idx) = Pool(xv, 6, c.H, c.W, c.KH, c.KW, c.SH, c.SW, c.PH, c.PW, c.DH, c.DW, c.Ceil, max: true);
        foreach (var dtype in new[] { DType.Float32, DType.Float64 })
        {
            var x = Make(xv, new Shape(2, 3, c.H, c.W), dtype);
            var (yt, it) = F.MaxPool2dWithIndices(x, (c.KH, c.KW), (c.SH, c.SW), (c.PH, c.PW), (c.DH, c.DW), c.Ceil);
            Close(y, yt, 1e-7, $"max_pool2d case {i}");
            Assert.Equal(idx, it.ToInt64Array());
        }
    }

    [Theory]
    [MemberData(nameof(Configs))]
    public void Avg_pool_matches_naive_loops(int i)
    {
        var c = Cases[i];
        if (c.DH != 1 || c.DW != 1)
        {
            return; // avg_pool2d has no dilation
        }

        var xv = Random(2 * 2 * c.H * c.W, 60 + i);
        foreach (var (include, divisor) in new[] { (true, 0), (false, 0), (true, 3) })
        {
            var (y, _) = Pool(xv, 4, c.H, c.W, c.KH, c.KW, c.SH, c.SW, c.PH, c.PW, 1, 1, c.Ceil, max: false, include, divisor);
            var x = Make(xv, new Shape(2, 2, c.H, c.W), DType.Float64);
            var yt = F.AvgPool2d(x, (c.KH, c.KW), (c.SH, c.SW), (c.PH, c.PW), c.Ceil, include, divisor == 0 ? null : divisor);
            Close(y, yt, 1e-12, $"avg_pool2d case {i} countIncludePad={include} divisor={divisor}");
        }
    }

    [Fact]
    public void Hand_worked_4x4_pools()
    {
        // x = 1..16 (4×4). max_pool2d(x, 2) = [[6, 8], [14, 16]] with indices [[5, 7], [13, 15]];
        // avg_pool2d(x, 2) = [[3.5, 5.5], [11.5, 13.5]] (PyTorch gives the same).
        var x = Tensor.Arange(1, 17, 1, DType.Float64).Reshape(1, 1, 4, 4).RequireGrad();
        var (m, idx) = F.MaxPool2dWithIndices(x, 2);
        Assert.Equal(new double[] { 6, 8, 14, 16 }, m.ToDoubleArray());
        Assert.Equal(new long[] { 5, 7, 13, 15 }, idx.ToInt64Array());
        Assert.Equal(new double[] { 3.5, 5.5, 11.5, 13.5 }, F.AvgPool2d(x, 2).ToDoubleArray());
        // With padding 1 and ceil_mode on a 3×3 input: ceil((3 + 2 − 2)/2) + 1 = 3, but the third window would start at
        // 2·2 − 1 = 3 ≥ 3 (in the right padding), so PyTorch drops it: output 2×2.
        Assert.Equal(new Shape(1, 1, 2, 2), F.MaxPool2d(Tensor.Zeros(new Shape(1, 1, 3, 3)), 2, padding: 1, ceilMode: true).Shape);
        // Backward: each max gets its dy; the other 12 elements get 0.
        m.Sum().Backward();
        var g = x.Grad!.ToDoubleArray();
        Assert.Equal(4.0, g.Sum());
        Assert.Equal(1.0, g[5]);
        Assert.Equal(0.0, g[0]);
    }

    [Fact]
    public void Max_pool_propagates_nan_and_takes_first_of_ties()
    {
        // A NaN wins (PyTorch: `val > maxval || isnan(val)`).
        var x = Tensor.FromArray(new double[] { 1, double.NaN, 3, 2 }, new Shape(1, 1, 2, 2));
        var (y, i) = F.MaxPool2dWithIndices(x, 2);
        Assert.True(double.IsNaN(y.Item()));
        Assert.Equal(1L, i.Item() is var v ? (long)v : 0);

        // Ties: the first maximum in row-major order keeps its index (strict >).
        var t = Tensor.FromArray(new double[] { 2, 2, 1, 2, 0, 1, 4, 4, 1 }, new Shape(1, 1, 3, 3));
        var (ty, ti) = F.MaxPool2dWithIndices(t, 2, stride: 1);
        Assert.Equal(new double[] { 2, 2, 4, 4 }, ty.ToDoubleArray());
        Assert.Equal(new long[] { 0, 1, 6, 7 }, ti.ToInt64Array());
    }

    [Fact]
    public void Gradcheck_max_and_avg_pool_first_and_second_order()
    {
        var gen = new Generator(9);
        var x = Tensor.Randn(new Shape(2, 2, 5, 5), gen, DType.Float64).RequireGrad();
        Tensor max(Tensor[] t) => F.MaxPool2d(t[0], (3, 2), (2, 1), (1, 1), (1, 2), ceilMode: true);
        Tensor avg(Tensor[] t) => F.AvgPool2d(t[0], 3, 2, 1, ceilMode: true, countIncludePad: false);
        Tensor adaptive(Tensor[] t) => F.AdaptiveMaxPool2d(t[0], (3, 2)) + F.AdaptiveAvgPool2d(t[0], (2, 3)).Sum();
        foreach (var f in new Func<Tensor[], Tensor>[] { max, avg, adaptive })
        {
            var r1 = GradCheck.Check(f, [x]);
            Assert.True(r1.Passed, r1.Message);
            var r2 = GradCheck.CheckSecondOrder(f, [x]);
            Assert.True(r2.Passed, r2.Message);
        }
    }

    [Fact]
    public void Adaptive_pools_use_floor_ceil_windows()
    {
        // L = 5 → 3 outputs: windows [0, 2), [1, 4), [3, 5) (start floor(i·5/3), end ceil((i+1)·5/3)).
        var x = Tensor.FromArray(new double[] { 1, 5, 2, 8, 3 }, new Shape(1, 1, 5));
        Assert.Equal(new double[] { 3, 5, 5.5 }, F.AdaptiveAvgPool1d(x, 3).ToDoubleArray());
        var (m, i) = F.AdaptiveMaxPool2dWithIndices(x.Unsqueeze(2), (1, 3));
        Assert.Equal(new double[] { 5, 8, 8 }, m.ToDoubleArray());
        Assert.Equal(new long[] { 1, 3, 3 }, i.ToInt64Array());

        // 2-D against per-cell means of slices.
        var gen = new Generator(11);
        var x2 = Tensor.Randn(new Shape(2, 3, 7, 5), gen, DType.Float64);
        var y = F.AdaptiveAvgPool2d(x2, (3, 4));
        for (int oi = 0; oi < 3; oi++)
        {
            for (int oj = 0; oj < 4; oj++)
            {
                int h0 = oi * 7 / 3, h1 = ((oi + 1) * 7 + 2) / 3, w0 = oj * 5 / 4, w1 = ((oj + 1) * 5 + 3) / 4;
                var expected = x2.Slice(2, h0, h1).Slice(3, w0, w1).Mean([2, 3]);
                Close(expected.ToDoubleArray(), y.Select(2, oi).Select(2, oj), 1e-12, "adaptive_avg_pool2d");
            }
        }
    }

    [Fact]
    public void One_d_pools_match_two_d()
    {
        var x = Tensor.FromArray(new double[] { 1, 3, 2, 5, 4, 0, 7 }, new Shape(1, 1, 7));
        Assert.Equal(new double[] { 3, 5, 4, 7 }, F.MaxPool1d(x, 2, ceilMode: true).ToDoubleArray());
        Assert.Equal(new double[] { 2, 3.5, 2 }, F.AvgPool1d(x, 2).ToDoubleArray());
        // Padding 1, count_include_pad = false: windows [-1, 2) → (1 + 3)/2, [2, 5) → (2 + 5 + 4)/3... with k = 3, s = 3.
        Assert.Equal(new double[] { 2, 11.0 / 3, 7 / 2.0 }, F.AvgPool1d(x, 3, 3, 1, countIncludePad: false).ToDoubleArray());
        var (_, idx) = F.MaxPool1dWithIndices(x.Squeeze(0), 3);
        Assert.Equal(new long[] { 1, 3 }, idx.ToInt64Array());
    }

    [Fact]
    public void Interpolate_nearest_and_linear()
    {
        // PyTorch: F.interpolate(torch.tensor([[[0., 1.]]]), size=4, mode='linear') = [0, 0.25, 0.75, 1];
        // with align_corners=True: [0, 1/3, 2/3, 1]; nearest ×2: [0, 0, 1, 1].
        var x = Tensor.FromArray(new double[] { 0, 1 }, new Shape(1, 1, 2));
        Close([0, 0.25, 0.75, 1], F.Interpolate(x, [4], mode: "linear"), 1e-12, "linear");
        Close([0, 1 / 3.0, 2 / 3.0, 1], F.Interpolate(x, [4], mode: "linear", alignCorners: true), 1e-12, "align");
        Close([0, 0, 1, 1], F.Interpolate(x, scaleFactor: [2]), 0, "nearest");
        var img = Tensor.FromArray(new double[] { 1, 2, 3, 4 }, new Shape(1, 1, 2, 2)).RequireGrad();
        var up = F.Upsample(img, scaleFactor: [2], mode: "bilinear");
        Assert.Equal(new Shape(1, 1, 4, 4), up.Shape);
        // Corner stays, (0,1) = 0.75·1 + 0.25·2 = 1.25, centre rows mix rows with the same weights.
        Close([1, 1.25, 1.75, 2], up.Select(2, 0), 1e-12, "bilinear row 0");
        Close([1.5, 1.75, 2.25, 2.5], up.Select(2, 1), 1e-12, "bilinear row 1");
        var r = GradCheck.CheckSecondOrder(t => F.Interpolate(t[0], [3, 5], mode: "bilinear", alignCorners: true).Square(), [img]);
        Assert.True(r.Passed, r.Message);
    }

    [Fact]
    public void Pool_errors()
    {
        var x = Tensor.Zeros(new Shape(1, 1, 4, 4));
        var e = Assert.Throws<ArgumentException>(() => F.MaxPool2d(x, 2, padding: 2));
        Assert.Contains("half", e.Message);
        e = Assert.Throws<ArgumentException>(() => F.AvgPool2d(Tensor.Zeros(new Shape(4, 4)), 2));
        Assert.Contains("avg_pool2d", e.Message);
        Assert.Contains("[4, 4]", e.Message);
    }
}
