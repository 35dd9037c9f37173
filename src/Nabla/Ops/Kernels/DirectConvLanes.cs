// Batch-lane direct convolution (float32, AVX-512): the 16 lanes of a vector are 16 IMAGES of the batch.
//
// Why. The shifted-window kernel (DirectConv.cs) vectorises over the output positions of one image and also
// computes the Wq − OW junk columns of every row and the rest of its last 48-position tile. On small maps
// that is a large share: LeNet C3 (14×14 → 10×10) keeps 100 of 144 computed positions; ResNet-8's 8×8
// maps keep 64 of 96. And the input gradient of a small map, a convolution over a zero border k − 1 wide,
// spends half of LeNet C3's taps on that border. With images in the lanes every lane does useful work:
//
//   xt[c][i][j][16] = x[n0 + lane, c, i − pH, j − pW]   (zero-padded, 16 images transposed in registers)
//   yt[o][oh][ow][16] = Σ_{kh, c, kw} w[o, c, kh, kw] · xt[c][oh·s + kh·dH][ow·s + kw·dW][16]
//
// The micro-kernel keeps 8 output channels × 2 positions (16 zmm) and per tap loads 2 vectors and
// broadcasts 8 weights. Weights are packed kernel-row-major (kh, c, kw), so for each output row only the
// kernel rows that land inside the unpadded image are visited: one contiguous range of taps. Output rows are
// padded to an even number of positions; channels to a multiple of 8 (zero weights). The caller chooses this
// kernel over the shifted windows when it computes markedly less (see UseLanes).
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Nabla.Ops.Kernels;

internal static unsafe partial class DirectConv
{
    private const int LaneCount = 16;   // images per vector
    private const int LP = 2;           // output positions per tile

    /// <summary>Scratch layout of one group of 16 images: xt planes per channel (plus a zero tail) and yt planes per output row.</summary>
    private readonly record struct LaneLayout(int Hp, int Wp, int OWp, int PlaneX, int PlaneY, int XLength, int Blocks)
    {
        public static LaneLayout Of(Conv.Dims d)
        {
            var g = d.G;
            int hp = d.H + (2 * g.PadH), wp = d.W + (2 * g.PadW), owp = (d.OW + LP - 1) / LP * LP, planeX = hp * wp * LaneCount;
            // The junk position of an odd row reads up to s columns past the last valid one: the tail covers the last plane.
            return new LaneLayout(hp, wp, owp, planeX, d.OH * owp * LaneCount, (d.C * planeX) + ((g.StrideW + 2) * LaneCount),
                (d.Og + MR - 1) / MR);
        }
    }

    // Kernel rows kh whose input row oh·s + kh·dH − pH lies inside the image: [lo, hi] (empty when hi < lo).
    private static (int Lo, int Hi) KernelRows(Conv.Dims d, int oh)
    {
        var g = d.G;
        int top = g.PadH - (oh * g.StrideH), bottom = g.PadH + d.H - 1 - (oh * g.StrideH);
        int lo = Math.Max(0, top <= 0 ? 0 : (top + g.DilationH - 1) / g.DilationH);
        int hi = bottom < 0 ? -1 : Math.Min(g.KernelH - 1, bottom / g.DilationH);
        return (lo, hi);
    }

    /// <summary>
    /// Batch lanes when they compute at most 85% of what the shifted windows compute (the transposes are not free),
    /// at least 55% of their lanes are useful (as for the windows) and one group's input stays within 1 MiB (L2).
    /// </summary>
    private static bool UseLanes(Conv.Dims d)
    {
        if (Lanes is bool forced)
        {
            return forced;
        }

        // Useful lanes: real output channels of the 8-channel tiles, real positions of the padded rows, real images.
        var l = LaneLayout.Of(d);
        double used = (double)d.Og / (l.Blocks * MR) * d.OW / l.OWp * d.N / ((d.N + LaneCount - 1) / LaneCount * LaneCount);
        if ((long)l.XLength * sizeof(float) > (1 << 20) || used < 0.55)
        {
            return false;
        }

        long rows = 0;
        for (int oh = 0; oh < d.OH; oh++)
        {
            var (lo, hi) = KernelRows(d, oh);
            rows += Math.Max(0, hi - lo + 1);
        }

        double lanes = (double)((d.N + LaneCount - 1) / LaneCount * LaneCount) * l.OWp * rows * d.Cg * d.G.KernelW;
        double windows = (double)d.N * Layout.Of(d).PqR * d.K;
        return lanes <= 0.85 * windows;
    }

    /// <summary>Whether the forward pass of d (when direct) runs on batch lanes (for tests).</summary>
    internal static bool ChoosesLanes(Conv.Dims d) => UseLanes(d);

    private static void LaneForward(float[] x, int xOff, float[] w, int wOff, float[]? b, int bOff, float[] y, Conv.Dims d)
    {
        var l = LaneLayout.Of(d);
        int groups = (d.N + LaneCount - 1) / LaneCount, k = d.K;
        var (source, off) = KernelRowMajor(d, l);
        float[] wp = PackTiles(w, wOff, d.G.Groups, d.Og, d.Og * k, k, source);
        try
        {
            ForItems(groups, (long)d.N * d.ImageY * k, (i, threads) => LaneGroup(x, xOff, wp, off, b, bOff, y, d, l, i * LaneCount, threads));
        }
        finally
        {
            ScratchMemory.Return(wp);
        }
    }

    // Images n0 .. n0 + 15: transpose in, run the tiles of every output row, transpose out (+ bias).
    private static void LaneGroup(float[] x, int xOff, float[] wp, int[] off, float[]? b, int bOff, float[] y, Conv.Dims d,
        LaneLayout l, int n0, int threads)
    {
        int cnt = Math.Min(LaneCount, d.N - n0);
        float[] xt = ScratchMemory.Rent<float>(l.XLength);
        float[] yt = ScratchMemory.Rent<float>(d.G.Groups * l.Blocks * MR * l.PlaneY);
        try
        {
            LanesIn(x, xOff, xt, d, l, n0, cnt);
            if (threads > 1 && d.OH > 1)
            {
                int parts = Math.Min(threads, d.OH);
                Parallel.For(0, parts, Workers.Options, t => LaneTiles(xt, wp, off, yt, d, l, d.OH * t / parts, d.OH * (t + 1) / parts));
            }
            else
            {
                LaneTiles(xt, wp, off, yt, d, l, 0, d.OH);
            }

            LanesOut(yt, b, bOff, y, d, l, n0, cnt);
        }
        finally
        {
            ScratchMemory.Return(xt);
            ScratchMemory.Return(yt);
        }
    }

    private static void LaneTiles(float[] xt, float[] wp, int[] off, float[] yt, Conv.Dims d, LaneLayout l, int oh0, int oh1)
    {
        var g = d.G;
        int k = d.K, rowTaps = d.Cg * g.KernelW;
        nint step = (nint)g.StrideW * LaneCount;
        fixed (float* x0 = xt, w0 = wp, y0 = yt)
        fixed (int* off0 = off)
        {
            for (int oh = oh0; oh < oh1; oh++)
            {
                var (lo, hi) = KernelRows(d, oh);
                int k0 = lo * rowTaps, kc = Math.Max(0, hi - lo + 1) * rowTaps;
                for (int ow = 0; ow < l.OWp; ow += LP)
                {
                    long at = ((long)oh * g.StrideH * l.Wp) + ((long)ow * g.StrideW);
                    for (int gi = 0; gi < g.Groups; gi++)
                    {
                        float* xs = x0 + ((long)gi * d.Cg * l.PlaneX) + (at * LaneCount);
                        for (int ob = 0; ob < l.Blocks; ob++)
                        {
                            int tile = (gi * l.Blocks) + ob;
                            Kernel8x2(kc, w0 + ((((long)tile * k) + k0) * MR), off0 + k0, xs,
                                y0 + ((long)tile * MR * l.PlaneY) + ((((long)oh * l.OWp) + ow) * LaneCount), l.PlaneY, step);
                        }
                    }
                }
            }
        }
    }

    // The taps in (kh, c, kw) order (kernel-row-major, so the rows inside the image are one range): each as an index
    // into w's (c, kh, kw) order, and as an offset into xt relative to the output position.
    private static (int[] Source, int[] Off) KernelRowMajor(Conv.Dims d, LaneLayout l)
    {
        var g = d.G;
        int kh = g.KernelH, kw = g.KernelW;
        int[] src = new int[d.K], off = new int[d.K];
        for (int i = 0, t = 0; i < kh; i++)
        {
            for (int c = 0; c < d.Cg; c++)
            {
                for (int j = 0; j < kw; j++, t++)
                {
                    src[t] = (((c * kh) + i) * kw) + j;
                    off[t] = (c * l.PlaneX) + (((i * g.DilationH * l.Wp) + (j * g.DilationW)) * LaneCount);
                }
            }
        }

        return (src, off);
    }

    // xt[c][i][j][lane] = x[n0 + lane, c, i − pH, j − pW], zero in the padding, for lanes ≥ cnt and in the tail.
    private static void LanesIn(float[] x, int xOff, float[] xt, Conv.Dims d, LaneLayout l, int n0, int cnt)
    {
        var g = d.G;
        if (g.PadH > 0 || g.PadW > 0)
        {
            xt.AsSpan(0, l.XLength).Clear();
        }
        else
        {
            xt.AsSpan(d.C * l.PlaneX, l.XLength - (d.C * l.PlaneX)).Clear();
        }

        Vector512<float>* col = stackalloc Vector512<float>[LaneCount];
        fixed (float* x0 = x, t0 = xt)
        {
            for (int c = 0; c < d.C; c++)
            {
                for (int r = 0; r < d.H; r++)
                {
                    float* src = x0 + xOff + ((long)n0 * d.ImageX) + (((long)c * d.H) + r) * d.W;
                    float* dst = t0 + ((long)c * l.PlaneX) + ((((long)(r + g.PadH) * l.Wp) + g.PadW) * LaneCount);
                    for (int j0 = 0; j0 < d.W; j0 += LaneCount)
                    {
                        int cols = Math.Min(LaneCount, d.W - j0);
                        Gemm.Transpose16(src + j0, d.ImageX, cnt, cols, out col[0], out col[1], out col[2], out col[3], out col[4], out col[5],
                            out col[6], out col[7], out col[8], out col[9], out col[10], out col[11], out col[12], out col[13], out col[14], out col[15]);
                        for (int j = 0; j < cols; j++)
                        {
                            col[j].Store(dst + ((long)(j0 + j) * LaneCount));
                        }
                    }
                }
            }
        }
    }

    // y[n0 + lane, oc, oh, 0..OW) = yt[row of oc][oh][0..OW)[lane] + b[oc] for lanes < cnt (yt rows OWp positions long, the
    // channel rows of group gi from gi·blocks·8, planes planeY apart). With no junk position (OWp = OW) yt's plane is laid
    // out like y's map, so the whole map is one run of 16-position blocks.
    private static void LanesOut(float[] yt, float[]? b, int bOff, float[] y, Conv.Dims d, LaneLayout l, int n0, int cnt) =>
        LanesOut(yt, b, bOff, y, new LaneOutput(d.G.Groups, d.Og, d.OH, d.OW, l.OWp, l.Blocks, l.PlaneY), n0, cnt);

    /// <summary>Where a lane kernel's output yt goes: groups × og channels of oh × ow maps, yt rows owp positions long.</summary>
    private readonly record struct LaneOutput(int Groups, int Og, int OH, int OW, int OWp, int Blocks, int PlaneY)
    {
        public int P => OH * OW;
        public int ImageY => Groups * Og * P;
    }

    private static void LanesOut(float[] yt, float[]? b, int bOff, float[] y, LaneOutput o, int n0, int cnt)
    {
        Vector512<float>* img = stackalloc Vector512<float>[LaneCount];
        var (runs, run) = o.OWp == o.OW ? (1, o.P) : (o.OH, o.OW);
        fixed (float* t0 = yt, y0 = y)
        {
            for (int gi = 0; gi < o.Groups; gi++)
            {
                for (int c = 0; c < o.Og; c++)
                {
                    int oc = (gi * o.Og) + c;
                    var bias = Vector512.Create(b is null ? 0f : b[bOff + oc]);
                    float* plane = t0 + ((((long)gi * o.Blocks * MR) + c) * o.PlaneY);
                    for (int r = 0; r < runs; r++)
                    {
                        for (int p0 = 0; p0 < run; p0 += LaneCount)
                        {
                            int n = Math.Min(LaneCount, run - p0);
                            Gemm.Transpose16(plane + ((((long)r * o.OWp) + p0) * LaneCount), LaneCount, n, LaneCount, out img[0], out img[1],
                                out img[2], out img[3], out img[4], out img[5], out img[6], out img[7], out img[8], out img[9], out img[10],
                                out img[11], out img[12], out img[13], out img[14], out img[15]);
                            var mask = Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(n)).AsSingle();
                            float* dst = y0 + ((long)n0 * o.ImageY) + ((long)oc * o.P) + ((long)r * o.OW) + p0;
                            for (int i = 0; i < cnt; i++)
                            {
                                Avx512F.MaskStore(dst + ((long)i * o.ImageY), mask, img[i] + bias);
                            }
                        }
                    }
                }
            }
        }
    }

    /// <summary>
    /// (y[r, 0..16), y[r, ystep..ystep + 16)) = Σ_k wp[k, r] · (x[off[k] .. + 16), x[off[k] + step .. + 16)) for r &lt; 8
    /// (rows ld apart).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel8x2(int kc, float* wp, int* off, float* x, float* y, nint ld, nint step, nint ystep = 16)
    {
        Vector512<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default, c30 = default, c31 = default;
        Vector512<float> c40 = default, c41 = default, c50 = default, c51 = default, c60 = default, c61 = default, c70 = default, c71 = default;
        for (int k = 0; k < kc; k++, wp += MR)
        {
            float* src = x + off[k];
            Vector512<float> b0 = Vector512.Load(src), b1 = Vector512.Load(src + step);
            Vector512<float> a;
            a = Vector512.Create(wp[0]); c00 = Vector512.FusedMultiplyAdd(a, b0, c00); c01 = Vector512.FusedMultiplyAdd(a, b1, c01);
            a = Vector512.Create(wp[1]); c10 = Vector512.FusedMultiplyAdd(a, b0, c10); c11 = Vector512.FusedMultiplyAdd(a, b1, c11);
            a = Vector512.Create(wp[2]); c20 = Vector512.FusedMultiplyAdd(a, b0, c20); c21 = Vector512.FusedMultiplyAdd(a, b1, c21);
            a = Vector512.Create(wp[3]); c30 = Vector512.FusedMultiplyAdd(a, b0, c30); c31 = Vector512.FusedMultiplyAdd(a, b1, c31);
            a = Vector512.Create(wp[4]); c40 = Vector512.FusedMultiplyAdd(a, b0, c40); c41 = Vector512.FusedMultiplyAdd(a, b1, c41);
            a = Vector512.Create(wp[5]); c50 = Vector512.FusedMultiplyAdd(a, b0, c50); c51 = Vector512.FusedMultiplyAdd(a, b1, c51);
            a = Vector512.Create(wp[6]); c60 = Vector512.FusedMultiplyAdd(a, b0, c60); c61 = Vector512.FusedMultiplyAdd(a, b1, c61);
            a = Vector512.Create(wp[7]); c70 = Vector512.FusedMultiplyAdd(a, b0, c70); c71 = Vector512.FusedMultiplyAdd(a, b1, c71);
        }

        c00.Store(y); c01.Store(y + ystep); y += ld;
        c10.Store(y); c11.Store(y + ystep); y += ld;
        c20.Store(y); c21.Store(y + ystep); y += ld;
        c30.Store(y); c31.Store(y + ystep); y += ld;
        c40.Store(y); c41.Store(y + ystep); y += ld;
        c50.Store(y); c51.Store(y + ystep); y += ld;
        c60.Store(y); c61.Store(y + ystep); y += ld;
        c70.Store(y); c71.Store(y + ystep);
    }
}
