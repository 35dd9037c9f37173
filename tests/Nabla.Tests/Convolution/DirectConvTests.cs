using Nabla.Ops.Kernels;
using Nabla.NN;
using static Nabla.Tests.Convolution.ConvReference;

namespace Nabla.Tests.Convolution;

/// <summary>
/// The shifted-window float32 kernel (DirectConv) against the naive loops: strides 1-3 (phase-split input),
/// padding, dilation, groups, channel counts that are not multiples of the 8-channel tile, one and two threads.
/// </summary>
[Collection(GlobalStateCollection.Name)]
public class DirectConvTests
{
    public static readonly TheoryData<int> Configs = new(Enumerable.Range(0, Cases.Length));

    private static Cfg[] Cases =>
    [
        new(3, 6, 14, 14, 16, 5, 5),                               // LeNet C3
        new(2, 5, 12, 12, 7, 3, 3, PH: 1, PW: 1),                  // "same", 7 channels: a partial tile
        new(2, 3, 17, 16, 9, 3, 3, SH: 2, SW: 2, PH: 1, PW: 1),    // stride 2 (phases), odd height
        new(1, 4, 19, 20, 5, 3, 3, SH: 3, SW: 3, PH: 2, PW: 1),    // stride 3, unequal padding
        new(2, 4, 16, 15, 8, 3, 2, DH: 2, DW: 3, PH: 2, PW: 3),    // dilation, non-square kernel
        new(2, 6, 12, 12, 12, 3, 3, G: 3, PH: 1, PW: 1),           // groups
        new(2, 2, 20, 20, 18, 3, 3, SH: 2, SW: 2, DH: 2, DW: 2, PH: 2, PW: 2, Bias: false),
        new(3, 16, 32, 32, 16, 2, 2, SH: 2, SW: 2),                // 2×2 stride 2 ("patchify")
        new(19, 5, 9, 21, 10, 3, 5, PH: 3, PW: 1),                 // 19 images: a partial lane group; rows > 16 wide; padding > k − 1 on top
        new(17, 4, 8, 8, 9, 3, 3, SH: 2, SW: 2, PH: 1, PW: 1, DH: 2, DW: 2),   // stride and dilation over lanes, odd output width
        new(18, 5, 15, 13, 7, 3, 3, SH: 2, SW: 2, PH: 1, PW: 1),   // stride-2 input gradient in phases: odd map, partial lane group
        new(3, 2, 10, 11, 3, 4, 4, SH: 2, SW: 2, PH: 2, PW: 1),    // even kernel, unequal padding: phases with 1 and 2 taps per axis
        new(3, 31, 8, 8, 46, 3, 3, PH: 1, PW: 1),                 // 564 weight-gradient tiles: threads split the 4-channel bands; a partial band and tile
        new(2, 3, 9, 10, 5, 3, 3, PH: 1, PW: 3),                  // padding beyond the kernel's reach: rows OW wide, not W + PadW
        new(2, 3, 9, 10, 5, 3, 3, PH: 0, PW: 1),                  // no zero row above or below: the last row's right padding is the next channel's
    ];

    [Theory]
    [MemberData(nameof(Configs))]
    public void Matches_naive_loops_at_one_and_two_threads(int i)
    {
        var c = Cases[i];
        var d = new Conv.Dims(c.N, c.C, c.H, c.W, c.O, new ConvGeometry(c.KH, c.KW, c.SH, c.SW, c.PH, c.PW, c.DH, c.DW, c.G));
        if (!System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated)
        {
            Assert.False(DirectConv.Applies<float>(d));
            return;
        }

        int saved = Threads.Count;
        try
        {
            DirectConv.Always = true;
            Assert.True(DirectConv.Applies<float>(d), $"{c} should take the direct path");
            foreach (bool lanes in new[] { false, true })
            {
                // Shifted windows, then images in the lanes (both kernels serve the forward pass and the input gradient).
                DirectConv.Lanes = lanes;
                foreach (int threads in new[] { 1, 2 })
                {
                    Threads.Count = threads;
                    ConvolutionTests.Check(c, DType.Float32, 300 + i);
                }
            }

            // Winograd's F(2×2, 3×3) wherever it is legal (3×3, stride 1, no dilation, one group), forward and input gradient.
            DirectConv.Lanes = false;
            DirectConv.Winograd = true;
            foreach (int threads in new[] { 1, 2 })
            {
                Threads.Count = threads;
                ConvolutionTests.Check(c, DType.Float32, 500 + i);
            }

            DirectConv.Winograd = false;

            // One image per weight-gradient chunk: dw accumulates over chunks.
            DirectConv.ChunkBudget = 1;
            ConvolutionTests.Check(c, DType.Float32, 400 + i);
        }
        finally
        {
            Threads.Count = saved;
            DirectConv.Always = false;
            DirectConv.Lanes = null;
            DirectConv.Winograd = null;
            DirectConv.ChunkBudget = DirectConv.DefaultChunkBudget;
        }
    }

    [Fact]
    public void Stride_two_one_by_one_input_gradient_on_lanes_matches_naive_loops()
    {
        // A ResNet projection shortcut: three of the four phases have no tap and must come out as zeros.
        int saved = Threads.Count;
        try
        {
            DirectConv.Lanes = true;
            foreach (int threads in new[] { 1, 2 })
            {
                Threads.Count = threads;
                ConvolutionTests.Check(new Cfg(20, 6, 9, 10, 12, 1, 1, SH: 2, SW: 2, Bias: false), DType.Float32, 77);
            }
        }
        finally
        {
            Threads.Count = saved;
            DirectConv.Lanes = null;
        }
    }

    [Theory]
    [InlineData(64, 6, 14, 14, 16, 5, 0, true)]     // LeNet C3 forward: 100 of 144 positions on windows, all useful in lanes
    [InlineData(64, 16, 10, 10, 6, 5, 4, true)]     // its input gradient: half the taps would read the zero border
    [InlineData(32, 64, 8, 8, 64, 3, 1, true)]      // ResNet-8's 8×8 maps
    [InlineData(32, 64, 32, 32, 64, 3, 1, false)]   // 32×32 maps: windows waste little, and 16 images overflow L2
    public void Lanes_are_chosen_where_they_compute_less(int n, int c, int h, int w, int o, int k, int p, bool lanes)
    {
        var d = new Nabla.Ops.Kernels.Conv.Dims(n, c, h, w, o, new ConvGeometry(k, k, 1, 1, p, p, 1, 1, 1));
        if (System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated)
        {
            Assert.True(DirectConv.Applies<float>(d));
            Assert.Equal(lanes, DirectConv.ChoosesLanes(d));
        }
    }

    [Theory]
    [InlineData(4, 64, 32, 32, 64, true)]      // ResNet's 64-channel stage at 32×32: forward and input gradient
    [InlineData(2, 256, 14, 14, 128, true)]    // a 14×14 map: 7 tiles a row, partial lanes
    [InlineData(3, 64, 9, 13, 64, true)]       // odd map: a last tile row and column half outside
    [InlineData(8, 32, 16, 16, 32, false)]     // 32 channels: the transforms do not pay
    public void Winograd_serves_wide_three_by_three_convs_and_matches_float64(int n, int c, int h, int w, int o, bool chosen)
    {
        var d = new Conv.Dims(n, c, h, w, o, new ConvGeometry(3, 3, 1, 1, 1, 1, 1, 1, 1));
        if (!System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated)
        {
            return;
        }

        Assert.Equal(chosen, DirectConv.ChoosesWinograd(d));

        // Against float64 convolutions of the same float32 values (an independent path: im2col and a double GEMM).
        var g = new Generator(11);
        var x = Tensor.Randn(new Shape(n, c, h, w), g);
        var wt = Tensor.Randn(new Shape(o, c, 3, 3), g) * (float)Math.Sqrt(2.0 / (9 * c));
        var b = Tensor.Randn(new Shape(o), g);
        var dy = Tensor.Randn(new Shape(n, o, h, w), g);
        var x64 = x.To(DType.Float64).RequireGrad();
        var y64 = F.Conv2d(x64, wt.To(DType.Float64), b.To(DType.Float64), padding: 1);
        var dx64 = Autograd.Grad([y64], [x64], [dy.To(DType.Float64)])[0]!;
        var x32 = x.RequireGrad();
        var y32 = F.Conv2d(x32, wt, b, padding: 1);
        var dx32 = Autograd.Grad([y32], [x32], [dy])[0]!;
        AssertClose(y64.ToDoubleArray(), y32.ToDoubleArray());
        AssertClose(dx64.ToDoubleArray(), dx32.ToDoubleArray());
    }

    // Every element within 2e-5 of the reference's root mean square (float32 rounding over a few hundred terms is ~1e-6).
    private static void AssertClose(double[] expected, double[] actual)
    {
        double rms = Math.Sqrt(expected.Average(v => v * v)), worst = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            worst = Math.Max(worst, Math.Abs(expected[i] - actual[i]));
        }

        Assert.True(worst <= 2e-5 * rms, $"worst error {worst:E2} against rms {rms:E2}");
    }

    [Fact]
    public void Input_gradient_of_a_stride_one_conv_takes_the_shifted_window_path()
    {
        var d = new Conv.Dims(8, 16, 14, 14, 32, new ConvGeometry(3, 3, 1, 1, 1, 1, 1, 1, 1));
        Assert.Equal(System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated, DirectConv.AppliesToInputGrad<float>(d));
        Assert.False(DirectConv.Applies<double>(d));
    }

    [Theory]
    [InlineData(DType.Float32)]
    [InlineData(DType.Float64)]
    public void A_kernel_covering_the_whole_map_runs_as_one_gemm(DType dtype)
    {
        // LeNet C5: 5×5 input, 5×5 kernel, 1×1 output: a fully connected layer over the batch.
        var c5 = new Nabla.Ops.Kernels.Conv.Dims(64, 16, 5, 5, 120, new ConvGeometry(5, 5, 1, 1, 0, 0, 1, 1, 1));
        Assert.True(Nabla.Ops.Kernels.Conv.IsDense(c5));
        Assert.False(Nabla.Ops.Kernels.Conv.IsDense(new Nabla.Ops.Kernels.Conv.Dims(4, 3, 5, 5, 2, new ConvGeometry(5, 5, 1, 1, 1, 1, 1, 1, 1))));
        Assert.False(Nabla.Ops.Kernels.Conv.IsDense(new Nabla.Ops.Kernels.Conv.Dims(4, 4, 5, 5, 2, new ConvGeometry(5, 5, 1, 1, 0, 0, 1, 1, 2))));
        foreach (var c in new Cfg[] { new(5, 16, 5, 5, 12, 5, 5), new(3, 4, 3, 2, 7, 3, 2, SH: 2, SW: 3, Bias: false), new(2, 9, 1, 1, 5, 1, 1) })
        {
            ConvolutionTests.Check(c, dtype, 17);
        }
    }
}
