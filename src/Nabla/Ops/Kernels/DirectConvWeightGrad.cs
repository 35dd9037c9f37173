// Weight gradient by shifted windows (see DirectConv.cs for the layout). With dy placed on the same
// Wq-wide grid as the output (dyq: zeros in the junk columns and the tail), the gradient of one tap is a
// plain dot product along positions:
//
//   dw[o, k] = Σₙ Σ_{p'} dyq[n, o, p'] · xq[n, off[k] + p']
//
// so no column matrix is built: the micro-kernel holds a 4 (channels) × 6 (taps) tile of 16-lane partial
// sums in 24 zmm registers, and per 16 positions loads 4 dy vectors and 6 shifted input vectors (24 FMAs
// per 10 loads). A band of 4 output channels runs image by image, every tile of taps in turn over the
// image's positions, so the band's dy rows stay in L1; the tiles' partial sums wait in memory between
// images and their lanes are summed once per chunk. A chunk's padded images and dy grids (about 4 MiB in all)
// are built once and shared by all bands. Threads split the images, each with its own chunks and its own copy
// of dw (or, with a few images that do not split evenly, the bands of shared chunks).
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Nabla.Ops.Kernels;

internal static unsafe partial class DirectConv
{
    private const int MO = 4;   // output channels per weight-gradient tile
    private const int MK = 6;   // taps per weight-gradient tile

    /// <summary>Scratch budget in floats for one chunk of images (padded inputs and dy grids; a tuning knob, tests lower it).</summary>
    /// <remarks>
    /// 2²⁰ floats (4 MiB), chosen when each tile ran over all of a chunk's images (against 2¹⁸, ResNet 64→64 3×3 at
    /// 32×32, batch 32: 16.3 → 12.4 ms on 1 thread). Split between the threads since they split the images, it sets
    /// how many images a chunk holds and so how often a band's partial sums are cleared and summed: ResNet 64→64 at 2
    /// threads, 2²⁰ and 2²¹ 7.9-8.3 ms, 2¹⁹ (chunks of one image) 8.5-9.0; at 1 thread 2¹⁹-2²¹ 14.0-14.9, 2²² 16.
    /// </remarks>
    internal static int ChunkBudget = DefaultChunkBudget;

    /// <summary>The default of <see cref="ChunkBudget"/>.</summary>
    internal const int DefaultChunkBudget = 1 << 20;

    /// <summary>dw = Σₙ dyₙ ⋆ xₙ for float convolutions (call only when <see cref="Applies"/>).</summary>
    public static void WeightGrad(float[] x, int xOff, float[] dy, int dyOff, float[] dw, Conv.Dims d)
    {
        var l = Layout.Of(d);
        int ogPad = (d.Og + MO - 1) / MO * MO, kPad = (d.K + MK - 1) / MK * MK;
        var t = new WeightTiles(d.G.Groups * ogPad, ogPad / MO, d.G.Groups * ogPad / MO, kPad / MK, Offsets(d, l, kPad));
        int size = d.O * d.K;
        int parts = Conv.ImageParts(d);
        try
        {
            if (parts > 1 && d.N < 4 * parts && d.N % parts != 0 && t.Bands >= parts)
            {
                // Few images that do not split evenly (a batch of 1 with a large map): the threads split the bands.
                dw.AsSpan(0, size).Clear();
                ByBands(x, xOff, dy, dyOff, dw, d, l, t, parts);
                return;
            }

            // The threads split the images, each building its own padded images and dy grids and summing every band
            // over them into its own dw: no thread waits for another until the end. (Sharing a chunk's build and
            // splitting the bands, the threads met twice per chunk of 7 images and the second thread's half of the
            // build ran alone: ResNet 64→64 3×3 at 32×32, batch 32, 2 threads, 9.3 ms; by images 8.1.)
            int budget = ChunkBudget / Math.Min(parts, d.N);
            Workers.SumOverImages(parts, d.N, dw, size, (n0, count, mine) => ImageRange(x, xOff, dy, dyOff, mine, d, l, t, n0, count, budget));
        }
        finally
        {
            ScratchMemory.Return(t.Off);
        }
    }

    // The weight gradient's tiling: rows = groups · (channels per group rounded up to MO) dy rows per image; OTiles bands
    // of MO channels per group, Bands in all; KTiles tiles of MK taps; Off[k] = tap k's offset into a padded image.
    private readonly record struct WeightTiles(int Rows, int OTiles, int Bands, int KTiles, int[] Off)
    {
        // Scratch floats per image: its padded copy and its dy grid.
        public long PerImage(Layout l) => l.Length + ((long)Rows * l.PqR);
    }

    // Images [n0, n0 + count) on the calling thread, a chunk at a time (as many images as fit the budget, in chunks of
    // even size): builds the chunk's padded images and dy grids, then sums every band over them into dw.
    private static void ImageRange(float[] x, int xOff, float[] dy, int dyOff, ArraySegment<float> dw, Conv.Dims d, Layout l,
        WeightTiles t, int n0, int count, int budget)
    {
        int cnt = Conv.EvenChunk(count, (int)Math.Clamp(budget / t.PerImage(l), 1, count));
        float[] xs = ScratchMemory.Rent<float>(cnt * l.Length);
        float[] ds = ScratchMemory.Rent<float>(cnt * t.Rows * l.PqR);
        try
        {
            for (int i0 = 0; i0 < count; i0 += cnt)
            {
                int c = Math.Min(cnt, count - i0);
                for (int i = 0; i < c; i++)
                {
                    BuildImage(x, xOff, dy, dyOff, d, l, t, n0 + i0 + i, xs, ds, i);
                }

                for (int band = 0; band < t.Bands; band++)
                {
                    WeightBand(xs, ds, dw, d, l, t, c, band);
                }
            }
        }
        finally
        {
            ScratchMemory.Return(xs);
            ScratchMemory.Return(ds);
        }
    }

    // All images, a shared chunk at a time: the threads build the chunk's images together, then split the bands, each
    // writing its own rows of dw.
    private static void ByBands(float[] x, int xOff, float[] dy, int dyOff, float[] dw, Conv.Dims d, Layout l, WeightTiles t, int parts)
    {
        long perImage = t.PerImage(l);
        int cnt = (int)Math.Clamp(ChunkBudget / perImage, 1, d.N), bands = t.Bands;
        float[] xs = ScratchMemory.Rent<float>(cnt * l.Length);
        float[] ds = ScratchMemory.Rent<float>(cnt * t.Rows * l.PqR);
        try
        {
            for (int n0 = 0; n0 < d.N; n0 += cnt)
            {
                int c = Math.Min(cnt, d.N - n0), first = n0;
                Conv.For(c, (long)c * perImage, i => BuildImage(x, xOff, dy, dyOff, d, l, t, first + i, xs, ds, i));
                Conv.For(parts, long.MaxValue, p =>
                {
                    for (int band = bands * p / parts, end = bands * (p + 1) / parts; band < end; band++)
                    {
                        WeightBand(xs, ds, dw, d, l, t, c, band);
                    }
                });
            }
        }
        finally
        {
            ScratchMemory.Return(xs);
            ScratchMemory.Return(ds);
        }
    }

    // Image n's padded copy into slot i of xs and its dy grid into slot i of ds.
    private static void BuildImage(float[] x, int xOff, float[] dy, int dyOff, Conv.Dims d, Layout l, WeightTiles t, int n,
        float[] xs, float[] ds, int i)
    {
        Build(x, xOff + (n * d.ImageX), d, l, xs, i * l.Length);
        DyGrid(dy, dyOff + (n * d.ImageY), d, l, t.Rows / d.G.Groups, ds, i * t.Rows * l.PqR);
    }

    // One band of 4 output channels (group g, channels o0 .. +4) over the chunk's images [n0, n0 + cnt): image by image,
    // every tile of 6 taps adds its dot products into its 24 vector sums in acc, so the band's dy rows of the image
    // (4·PqR floats: 17 KiB for ResNet's 32×32 maps) stay in L1 while all the taps read them; the lanes are summed into
    // dw once at the end. (Tile by tile over all of a chunk's images, the dy rows streamed from L2 for every tile: ResNet
    // 64→64 3×3 at 32×32, batch 32, 1 thread, took 16.5-17.6 ms that way and 14.1-15.5 ms by bands.)
    private static void WeightBand(float[] xs, float[] ds, ArraySegment<float> dw, Conv.Dims d, Layout l, WeightTiles t, int cnt, int band)
    {
        int oTiles = t.OTiles, kTiles = t.KTiles, rows = t.Rows;
        int g = band / oTiles, o0 = band % oTiles * MO, ogPad = rows / d.G.Groups;
        int sums = kTiles * MO * MK;
        float[] acc = ScratchMemory.Rent<float>(sums * 16);
        try
        {
            fixed (float* x0 = xs, d0 = ds, a0 = acc)
            fixed (int* f0 = t.Off)
            {
                new Span<float>(a0, sums * 16).Clear();
                // Small maps go a few images at a time, as many as keep the band's dy rows within 24 KiB of L1: a
                // tile's sums then leave the registers once per group (LeNet C3's 10×14 grid: 10 images).
                int group = Math.Max(1, (24 << 10) / (MO * l.PqR * sizeof(float)));
                for (int n = 0; n < cnt; n += group)
                {
                    float* x = x0 + ((long)n * l.Length) + ((long)g * d.Cg * l.ChannelSize);
                    float* dy = d0 + ((long)n * rows * l.PqR) + (((long)(g * ogPad) + o0) * l.PqR);
                    int images = Math.Min(group, cnt - n);
                    for (int kt = 0; kt < kTiles; kt++)
                    {
                        Kernel4x6(images, x, l.Length, dy, (nint)rows * l.PqR, l.PqR, l.PqR / 16, f0 + (kt * MK), (Vector512<float>*)a0 + (kt * MO * MK));
                    }
                }

                var w = dw.AsSpan();
                for (int kt = 0; kt < kTiles; kt++)
                {
                    Vector512<float>* tile = (Vector512<float>*)a0 + (kt * MO * MK);
                    int k0 = kt * MK;
                    for (int r = 0; r < MO && o0 + r < d.Og; r++)
                    {
                        int row = (((g * d.Og) + o0 + r) * d.K) + k0;
                        for (int j = 0; j < MK && k0 + j < d.K; j++)
                        {
                            w[row + j] += Vector512.Sum(tile[(r * MK) + j]);
                        }
                    }
                }
            }
        }
        finally
        {
            ScratchMemory.Return(acc);
        }
    }

    // dyq[o, oh·Wq + ow] = dy[o, oh, ow] for ow < OW, 0 in the junk columns, the tail and the padded rows.
    private static void DyGrid(float[] dy, int dyOff, Conv.Dims d, Layout l, int ogPad, float[] ds, int dsOff)
    {
        int ow = d.OW;
        fixed (float* y0 = dy, q0 = ds)
        {
            for (int g = 0; g < d.G.Groups; g++)
            {
                for (int o = 0; o < ogPad; o++)
                {
                    float* dst = q0 + dsOff + (((long)(g * ogPad) + o) * l.PqR);
                    if (o >= d.Og)
                    {
                        new Span<float>(dst, l.PqR).Clear();
                        continue;
                    }

                    float* src = y0 + dyOff + ((long)((g * d.Og) + o) * d.P);
                    for (int oh = 0; oh < d.OH; oh++, src += ow, dst += l.Wq)
                    {
                        Copy(src, dst, ow);
                        for (int j = ow; j < l.Wq; j++)
                        {
                            dst[j] = 0f;
                        }
                    }

                    new Span<float>(dst, l.PqR - l.Pq).Clear();
                }
            }
        }
    }

    /// <summary>acc[r·6 + j] += Σₙ Σ_p dy[n][r][p] · x[n][off[j] + p] (16 lanes, summed later) for r &lt; 4, j &lt; 6, p &lt; 16·steps.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel4x6(int cnt, float* x, nint xStride, float* dy, nint dyStride, nint ld, int steps, int* off, Vector512<float>* acc)
    {
        Vector512<float> c00 = acc[0], c01 = acc[1], c02 = acc[2], c03 = acc[3], c04 = acc[4], c05 = acc[5];
        Vector512<float> c10 = acc[6], c11 = acc[7], c12 = acc[8], c13 = acc[9], c14 = acc[10], c15 = acc[11];
        Vector512<float> c20 = acc[12], c21 = acc[13], c22 = acc[14], c23 = acc[15], c24 = acc[16], c25 = acc[17];
        Vector512<float> c30 = acc[18], c31 = acc[19], c32 = acc[20], c33 = acc[21], c34 = acc[22], c35 = acc[23];
        for (int n = 0; n < cnt; n++, x += xStride, dy += dyStride)
        {
            float* x0 = x + off[0], x1 = x + off[1], x2 = x + off[2], x3 = x + off[3], x4 = x + off[4], x5 = x + off[5];
            float* y0 = dy, y1 = dy + ld, y2 = dy + (2 * ld), y3 = dy + (3 * ld);
            nint end = (nint)steps * 16;
            for (nint i = 0; i < end; i += 16)
            {
                Vector512<float> a0 = Vector512.Load(y0 + i), a1 = Vector512.Load(y1 + i), a2 = Vector512.Load(y2 + i), a3 = Vector512.Load(y3 + i);
                Vector512<float> b;
                b = Vector512.Load(x0 + i); c00 = Vector512.FusedMultiplyAdd(a0, b, c00); c10 = Vector512.FusedMultiplyAdd(a1, b, c10); c20 = Vector512.FusedMultiplyAdd(a2, b, c20); c30 = Vector512.FusedMultiplyAdd(a3, b, c30);
                b = Vector512.Load(x1 + i); c01 = Vector512.FusedMultiplyAdd(a0, b, c01); c11 = Vector512.FusedMultiplyAdd(a1, b, c11); c21 = Vector512.FusedMultiplyAdd(a2, b, c21); c31 = Vector512.FusedMultiplyAdd(a3, b, c31);
                b = Vector512.Load(x2 + i); c02 = Vector512.FusedMultiplyAdd(a0, b, c02); c12 = Vector512.FusedMultiplyAdd(a1, b, c12); c22 = Vector512.FusedMultiplyAdd(a2, b, c22); c32 = Vector512.FusedMultiplyAdd(a3, b, c32);
                b = Vector512.Load(x3 + i); c03 = Vector512.FusedMultiplyAdd(a0, b, c03); c13 = Vector512.FusedMultiplyAdd(a1, b, c13); c23 = Vector512.FusedMultiplyAdd(a2, b, c23); c33 = Vector512.FusedMultiplyAdd(a3, b, c33);
                b = Vector512.Load(x4 + i); c04 = Vector512.FusedMultiplyAdd(a0, b, c04); c14 = Vector512.FusedMultiplyAdd(a1, b, c14); c24 = Vector512.FusedMultiplyAdd(a2, b, c24); c34 = Vector512.FusedMultiplyAdd(a3, b, c34);
                b = Vector512.Load(x5 + i); c05 = Vector512.FusedMultiplyAdd(a0, b, c05); c15 = Vector512.FusedMultiplyAdd(a1, b, c15); c25 = Vector512.FusedMultiplyAdd(a2, b, c25); c35 = Vector512.FusedMultiplyAdd(a3, b, c35);
            }
        }

        acc[0] = c00; acc[1] = c01; acc[2] = c02; acc[3] = c03; acc[4] = c04; acc[5] = c05;
        acc[6] = c10; acc[7] = c11; acc[8] = c12; acc[9] = c13; acc[10] = c14; acc[11] = c15;
        acc[12] = c20; acc[13] = c21; acc[14] = c22; acc[15] = c23; acc[16] = c24; acc[17] = c25;
        acc[18] = c30; acc[19] = c31; acc[20] = c32; acc[21] = c33; acc[22] = c34; acc[23] = c35;
    }
}
