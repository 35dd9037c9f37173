using Nabla.NN;
using static Nabla.Tests.Convolution.ConvReference;

namespace Nabla.Tests.Convolution;

[Collection(GlobalStateCollection.Name)]
public class ConvolutionTests
{
    public static readonly TheoryData<int> Configs = new(Enumerable.Range(0, Cases.Length));

    // Stride, padding, dilation, groups, non-square kernels and inputs, batch 1 and > 1, 1×1 kernels, depthwise.
    private static Cfg[] Cases =>
    [
        new(1, 1, 5, 5, 1, 3, 3),
        new(2, 3, 7, 6, 4, 3, 3, PH: 1, PW: 1),
        new(3, 4, 9, 8, 6, 3, 2, SH: 2, SW: 1, PH: 1, PW: 0),
        new(2, 2, 10, 11, 3, 3, 3, DH: 2, DW: 3, PH: 2, PW: 1),
        new(2, 4, 6, 6, 6, 3, 3, G: 2, PH: 1, PW: 1, Bias: false),
        new(2, 4, 8, 8, 4, 3, 3, G: 4, SH: 2, SW: 2, PH: 1, PW: 1),
        new(4, 6, 5, 5, 8, 1, 1),
        new(1, 6, 5, 7, 3, 1, 1, Bias: false),
        new(2, 3, 9, 9, 5, 1, 1, SH: 2, SW: 3, PH: 1, PW: 1),
        new(1, 2, 4, 12, 2, 1, 5, SW: 2, PW: 2),
        new(5, 3, 14, 14, 7, 5, 5),
        new(2, 8, 4, 4, 8, 4, 4, SH: 4, SW: 4),
        new(2, 3, 7, 70, 4, 3, 3, SH: 2, SW: 2, PH: 1, PW: 1),   // 35 output columns at stride 2: whole vectors of col2im and a tail
    ];

    [Theory]
    [MemberData(nameof(Configs))]
    public void Forward_and_gradients_match_naive_loops(int i)
    {
        var c = Cases[i];
        foreach (var dtype in new[] { DType.Float32, DType.Float64 })
        {
            Check(c, dtype, 100 + i);
        }
    }

    [Fact]
    public void Batch_chunking_paths_agree()
    {
        // Budget of one image per chunk, then three images: exercises the unfolded, direct and folded paths.
        int saved = Nabla.Ops.Kernels.Conv.ColBudget;
        try
        {
            foreach (int budget in new[] { 1, 3 * 27 * 36, 1 << 21 })
            {
                Nabla.Ops.Kernels.Conv.ColBudget = budget;
                Check(new(7, 3, 6, 6, 4, 3, 3, PH: 1, PW: 1), DType.Float64, 7);
                Check(new(5, 4, 5, 5, 6, 1, 1, G: 2), DType.Float64, 8);
            }
        }
        finally
        {
            Nabla.Ops.Kernels.Conv.ColBudget = saved;
        }
    }

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    public void Column_paths_split_images_between_threads(int threads)
    {
        // Work of at least 2¹⁸ multiply-adds: the threads take shares of the images (5 over 3 threads: 1, 2, 2; a share
        // of one image takes the pointwise path without a column matrix), each in chunks of at most 2 images, and
        // the weight gradient adds the shares' copies at the end. The float32 1×1 cases are not direct convolutions.
        int savedThreads = Threads.Count, savedBudget = Nabla.Ops.Kernels.Conv.ColBudget;
        try
        {
            Threads.Count = threads;
            Nabla.Ops.Kernels.Conv.ColBudget = 2 * 8 * 9 * 144;
            Check(new(5, 8, 12, 12, 16, 3, 3, PH: 1, PW: 1), DType.Float64, 21);
            Check(new(5, 8, 12, 12, 16, 3, 3, G: 2, SH: 2, SW: 2, PH: 1, PW: 1), DType.Float64, 22);
            foreach (var dtype in new[] { DType.Float32, DType.Float64 })
            {
                Check(new(9, 16, 16, 16, 32, 1, 1, SH: 2, SW: 2, Bias: false), dtype, 23);
                Check(new(5, 32, 12, 12, 64, 1, 1), dtype, 24);
            }
        }
        finally
        {
            Threads.Count = savedThreads;
            Nabla.Ops.Kernels.Conv.ColBudget = savedBudget;
        }
    }

    internal static void Check(Cfg c, DType dtype, int seed)
    {
        var xv = Random(c.N * c.C * c.H * c.W, seed);
        var wv = Random(c.O * (c.C / c.G) * c.KH * c.KW, seed + 1);
        var bv = c.Bias ? Random(c.O, seed + 2) : null;
        var dyv = Random(c.N * c.O * c.OH * c.OW, seed + 3);
        var (y, dx, dw) = Conv(c, xv, wv, bv, dyv);
        var x = Make(xv, new Shape(c.N, c.C, c.H, c.W), dtype).RequireGrad();
        var w = Make(wv, new Shape(c.O, c.C / c.G, c.KH, c.KW), dtype).RequireGrad();
        var b = bv is null ? null : Make(bv, new Shape(c.O), dtype).RequireGrad();
        var yt = F.Conv2d(x, w, b, (c.SH, c.SW), (c.PH, c.PW), (c.DH, c.DW), c.G);
        double tol = dtype == DType.Float32 ? 1e-4 : 1e-12;
        Close(y, yt, tol, $"y {c} {dtype}");
        var grads = Autograd.Grad([yt], b is null ? [x, w] : [x, w, b], [Make(dyv, yt.Shape, dtype)]);
        Close(dx, grads[0]!, tol, $"dx {c} {dtype}");
        Close(dw, grads[1]!, tol, $"dw {c} {dtype}");
        if (b is not null)
        {
            var db = new double[c.O];
            for (int k = 0; k < dyv.Length; k++)
            {
                db[k / (c.OH * c.OW) % c.O] += dyv[k];
            }

            Close(db, grads[2]!, tol, $"db {c} {dtype}");
        }
    }

    [Fact]
    public void Hand_worked_4x4_input_2x2_kernel()
    {
        // x = 1..16 in a 4×4 grid, w = [[1, 0], [0, −1]]: y[i,j] = x[i,j] − x[i+1,j+1] = −5 everywhere (3×3), b = 1 → −4.
        // torch.nn.functional.conv2d(torch.arange(1., 17).view(1,1,4,4), torch.tensor([[[[1., 0], [0, -1]]]]), torch.tensor([1.]))
        // gives tensor([[[[-4., -4., -4.], [-4., -4., -4.], [-4., -4., -4.]]]]).
        var x = Tensor.Arange(1, 17, 1, DType.Float64).Reshape(1, 1, 4, 4).RequireGrad();
        var w = Tensor.FromArray(new double[] { 1, 0, 0, -1 }, new Shape(1, 1, 2, 2)).RequireGrad();
        var b = Tensor.FromArray(new double[] { 1 }).RequireGrad();
        var y = F.Conv2d(x, w, b);
        Assert.Equal(Enumerable.Repeat(-4.0, 9), y.ToDoubleArray());
        y.Sum().Backward();
        // dL/dw[p,q] = Σ_{i,j<3} x[i+p, j+q]: w00 → 1+2+3+5+6+7+9+10+11 = 54, w01 → 63, w10 → 90, w11 → 99; dL/db = 9.
        Assert.Equal(new double[] { 54, 63, 90, 99 }, w.Grad!.ToDoubleArray());
        Assert.Equal(9.0, b.Grad!.Item());
        // dL/dx = (number of windows where x meets w00) − (where it meets w11): corner (0,0) → 1, corner (3,3) → −1.
        var dx = x.Grad!.ToDoubleArray();
        Assert.Equal(1.0, dx[0]);
        Assert.Equal(-1.0, dx[15]);
        Assert.Equal(0.0, dx[5]); // interior: 1 − 1
    }

    [Fact]
    public void Gradcheck_conv2d_first_and_second_order()
    {
        var gen = new Generator(1);
        var x = Tensor.Randn(new Shape(2, 4, 5, 4), gen, DType.Float64).RequireGrad();
        var w = Tensor.Randn(new Shape(4, 2, 3, 2), gen, DType.Float64).RequireGrad();
        var b = Tensor.Randn(new Shape(4), gen, DType.Float64).RequireGrad();
        Tensor f(Tensor[] t) => F.Conv2d(t[0], t[1], t[2], (2, 1), (1, 1), (1, 2), 2);
        var r1 = GradCheck.Check(f, [x, w, b]);
        Assert.True(r1.Passed, r1.Message);
        var r2 = GradCheck.CheckSecondOrder(f, [x, w, b]);
        Assert.True(r2.Passed, r2.Message);
    }

    [Fact]
    public void Gradcheck_conv_transpose2d_first_and_second_order()
    {
        var gen = new Generator(2);
        var x = Tensor.Randn(new Shape(1, 2, 3, 3), gen, DType.Float64).RequireGrad();
        var w = Tensor.Randn(new Shape(2, 3, 3, 2), gen, DType.Float64).RequireGrad();
        var b = Tensor.Randn(new Shape(3), gen, DType.Float64).RequireGrad();
        Tensor f(Tensor[] t) => F.ConvTranspose2d(t[0], t[1], t[2], (2, 1), (1, 0), (1, 0));
        var r1 = GradCheck.Check(f, [x, w, b]);
        Assert.True(r1.Passed, r1.Message);
        var r2 = GradCheck.CheckSecondOrder(f, [x, w, b]);
        Assert.True(r2.Passed, r2.Message);
    }

    [Fact]
    public void Conv_transpose2d_matches_scatter_definition()
    {
        // y[n, o, i·s − p + ki·d, j·s − p + kj·d] += x[n, c, i, j] · w[c, o, ki, kj], cropped; H_out = (H − 1)s − 2p + d(k − 1) + op + 1.
        int n = 2, cin = 3, cout = 2, h = 4, wd = 3, k = 3, s = 2, p = 1, op = 1;
        var xv = Random(n * cin * h * wd, 5);
        var wv = Random(cin * cout * k * k, 6);
        int oh = ((h - 1) * s) - (2 * p) + (k - 1) + op + 1, ow = ((wd - 1) * s) - (2 * p) + (k - 1) + op + 1;
        var y = new double[n * cout * oh * ow];
        for (int b = 0; b < n; b++)
            for (int c = 0; c < cin; c++)
                for (int i = 0; i < h; i++)
                    for (int j = 0; j < wd; j++)
                        for (int o = 0; o < cout; o++)
                            for (int ki = 0; ki < k; ki++)
                                for (int kj = 0; kj < k; kj++)
                                {
                                    int yi = (i * s) - p + ki, yj = (j * s) - p + kj;
                                    if (yi >= 0 && yi < oh && yj >= 0 && yj < ow)
                                    {
                                        y[(((b * cout) + o) * oh + yi) * ow + yj] += xv[(((b * cin) + c) * h + i) * wd + j] * wv[(((c * cout) + o) * k + ki) * k + kj];
                                    }
                                }

        var yt = F.ConvTranspose2d(Make(xv, new Shape(n, cin, h, wd), DType.Float64), Make(wv, new Shape(cin, cout, k, k), DType.Float64),
            stride: s, padding: p, outputPadding: op);
        Assert.Equal(new Shape(n, cout, oh, ow), yt.Shape);
        Close(y, yt, 1e-12, "conv_transpose2d");
    }

    [Fact]
    public void Conv1d_and_same_padding()
    {
        var gen = new Generator(3);
        var x = Tensor.Randn(new Shape(2, 3, 10), gen, DType.Float64);
        var w = Tensor.Randn(new Shape(4, 3, 4), gen, DType.Float64);
        var viaTwoD = F.Conv2d(x.Unsqueeze(2), w.Unsqueeze(2), null, (1, 2), (0, 1)).Squeeze(2);
        Close(viaTwoD.ToDoubleArray(), F.Conv1d(x, w, stride: 2, padding: 1), 1e-12, "conv1d");

        // "same" with an even kernel: total padding 3 → 1 left, 2 right (PyTorch puts the extra on the right).
        var same = F.Conv1d(x, w, null, "same");
        Assert.Equal(new Shape(2, 4, 10), same.Shape);
        var manual = F.Conv1d(x.Pad([1, 2]), w);
        Close(manual.ToDoubleArray(), same, 1e-12, "same");
        Assert.Equal(new Shape(2, 4, 7), F.Conv1d(x, w, null, "valid").Shape);

        var x2 = Tensor.Randn(new Shape(1, 3, 6, 5), gen, DType.Float64);
        var w2 = Tensor.Randn(new Shape(2, 3, 3, 3), gen, DType.Float64);
        Close(F.Conv2d(x2, w2, padding: 2, dilation: 2).ToDoubleArray(), F.Conv2d(x2, w2, null, "same", dilation: 2), 1e-12, "same 2d");
        Assert.Throws<ArgumentException>(() => F.Conv2d(x2, w2, null, "same", stride: 2));
    }

    [Fact]
    public void Unbatched_input_is_accepted()
    {
        var gen = new Generator(4);
        var x = Tensor.Randn(new Shape(3, 6, 6), gen, DType.Float64);
        var w = Tensor.Randn(new Shape(2, 3, 3, 3), gen, DType.Float64);
        var y = F.Conv2d(x, w);
        Assert.Equal(new Shape(2, 4, 4), y.Shape);
        Close(F.Conv2d(x.Unsqueeze(0), w).ToDoubleArray(), y, 1e-12, "unbatched");
    }

    [Fact]
    public void Errors_name_the_op_and_both_shapes()
    {
        var w = Tensor.Zeros(new Shape(16, 6, 5, 5));
        var e = Assert.Throws<ArgumentException>(() => F.Conv2d(Tensor.Zeros(new Shape(2, 3, 14, 14)), w));
        Assert.Contains("conv2d", e.Message);
        Assert.Contains("[2, 3, 14, 14]", e.Message);
        Assert.Contains("[16, 6, 5, 5]", e.Message);
        Assert.Contains("6 channels", e.Message);
        e = Assert.Throws<ArgumentException>(() => F.Conv2d(Tensor.Zeros(new Shape(2, 6, 14)).Unsqueeze(0).Unsqueeze(0), w));
        Assert.Contains("conv2d", e.Message);
        e = Assert.Throws<ArgumentException>(() => F.Conv2d(Tensor.Zeros(new Shape(1, 6, 3, 3)), w));
        Assert.Contains("too small", e.Message);
        e = Assert.Throws<ArgumentException>(() => F.Conv2d(Tensor.Zeros(new Shape(1, 6, 8, 8)), w, Tensor.Zeros(new Shape(3))));
        Assert.Contains("bias", e.Message);
    }
}
