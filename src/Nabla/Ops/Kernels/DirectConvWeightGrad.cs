// Weight gradient by shifted windows (see DirectConv.cs for the layout). With dy placed on the same
// Wq-wide grid as the output (dyq: zeros in the junk columns and the tail), the gradient of one tap is a
// plain dot product along positions:
//
//   dw[o, k] = Σₙ Σ_{p'} dyq[n, o, p'] · xq[n, off[k] + p']
//
// so no column matrix is built: the micro-kernel holds a 4 (channels) × 6 (taps) tile of 16-lane partial
// sums in 24 zmm registers, and per 16 positions loads 4 dy vectors and 6 shifted input vectors (24 FMAs
// per 10 loads), running over every image of a chunk before the lanes are summed. A chunk's padded images
// and dy grids (about 1 MiB) are built once and shared by all tiles; threads split the tiles, each writing
// its own entries of dw.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Nabla.Ops.Kernels;

internal static unsafe partial class DirectConv
{
    private const int MO = 4;   // output channels per weight-gradient tile
    private const int MK = 6;   // taps per weight-gradient tile

    /// <summary>Scratch budget in floats for one chunk of images (padded inputs and dy grids; a tuning knob, tests lower it).</summary>
    /// <remarks>
    /// 2²⁰ floats (4 MiB): each tile's dot products then run over more positions per pass. Measured on the Zen 5 machine
    /// against 2¹⁸, ResNet 64→64 3×3 at 32×32 (batch 32): 16.3 → 12.4 ms on 1 thread, 9.6 → 6.6 ms on 2; 32→32 at 16×16
    /// 0.87 → 0.79 ms; 2²¹ and more were slower again.
    /// </remarks>
    internal static int ChunkBudget = DefaultChunkBudget;

    /// <summary>The default of <see cref="ChunkBudget"/>.</summary>
    internal const int DefaultChunkBudget = 1 << 20;

    /// <summary>dw = Σₙ dyₙ ⋆ xₙ for float convolutions (call only when <see cref="Applies"/>).</summary>
    public static void WeightGrad(float[] x, int xOff, float[] dy, int dyOff, float[] dw, Conv.Dims d)
    {
        var l = Layout.Of(d);
        int groups = d.G.Groups, og = d.Og, k = d.K;
        int ogPad = (og + MO - 1) / MO * MO, kPad = (k + MK - 1) / MK * MK, rows = groups * ogPad;
        long perImage = l.Length + ((long)rows * l.PqR);
        int cnt = (int)Math.Clamp(ChunkBudget / perImage, 1, d.N);
        int[] off = Offsets(d, l, kPad);
        float[] xs = ScratchMemory.Rent<float>(cnt * l.Length);
        float[] ds = ScratchMemory.Rent<float>(cnt * rows * l.PqR);
        try
        {
            dw.AsSpan(0, d.O * k).Clear();
            int oTiles = ogPad / MO, kTiles = kPad / MK, tiles = groups * oTiles * kTiles;
            for (int n0 = 0; n0 < d.N; n0 += cnt)
            {
                int c = Math.Min(cnt, d.N - n0), first = n0;
                Conv.For(c, (long)c * perImage, i =>
                {
                    Build(x, xOff + ((first + i) * d.ImageX), d, l, xs, i * l.Length);
                    DyGrid(dy, dyOff + ((first + i) * d.ImageY), d, l, ogPad, ds, i * rows * l.PqR);
                });

                int parts = Workers.Count > 1 && (long)c * d.O * d.P * k >= (1 << 18) ? Math.Min(Workers.Count, tiles) : 1;
                if (parts == 1 || c < 2 * parts || tiles > 512)
                {
                    // One thread, or many tiles (ResNet 64→64: 1,536): the threads split the tiles (6.6 ms on 2 threads
                    // against 7.8 by images).
                    Conv.For(parts, long.MaxValue, t =>
                    {
                        for (int tile = tiles * t / parts, end = tiles * (t + 1) / parts; tile < end; tile++)
                        {
                            WeightTile(xs, ds, off, dw, d, l, 0, c, rows, tile, oTiles, kTiles);
                        }
                    });
                    continue;
                }

                // Few tiles: the threads split the chunk's images, each summing every tile over its own images into its
                // own dw, added at the end. Splitting those tiles instead, 2 threads were slower than 1 (ResNet-8 16→16
                // at 32×32: 1.16 against 0.78 ms; by images 0.44; 32→32 at 16×16: 0.82 → 0.47).
                int size = d.O * k;
                float[] partial = ScratchMemory.Rent<float>(parts * size);
                try
                {
                    partial.AsSpan(0, parts * size).Clear();
                    Conv.For(parts, long.MaxValue, t =>
                    {
                        var mine = new ArraySegment<float>(partial, t * size, size);
                        int i0 = c * t / parts, i1 = c * (t + 1) / parts;
                        for (int tile = 0; tile < tiles; tile++)
                        {
                            WeightTile(xs, ds, off, mine, d, l, i0, i1 - i0, rows, tile, oTiles, kTiles);
                        }
                    });
                    for (int t = 0; t < parts; t++)
                    {
                        System.Numerics.Tensors.TensorPrimitives.Add(dw.AsSpan(0, size), partial.AsSpan(t * size, size), dw.AsSpan(0, size));
                    }
                }
                finally
                {
                    ScratchMemory.Return(partial);
                }
            }
        }
        finally
        {
            ScratchMemory.Return(off);
            ScratchMemory.Return(xs);
            ScratchMemory.Return(ds);
        }
    }

    // One tile: dw[g·Og + o0 .. +4, k0 .. +6] += the dot products over the chunk's images [n0, n0 + cnt).
    private static void WeightTile(float[] xs, float[] ds, int[] off, ArraySegment<float> dw, Conv.Dims d, Layout l, int n0, int cnt,
        int rows, int tile, int oTiles, int kTiles)
    {
        int g = tile / (oTiles * kTiles), o0 = tile / kTiles % oTiles * MO, k0 = tile % kTiles * MK;
        int ogPad = rows / d.G.Groups;
        float* sums = stackalloc float[MO * MK];
        fixed (float* x0 = xs, d0 = ds)
        fixed (int* f0 = off)
        {
            Kernel4x6(cnt, x0 + ((long)n0 * l.Length) + ((long)g * d.Cg * l.ChannelSize), l.Length,
                d0 + ((long)n0 * rows * l.PqR) + (((long)(g * ogPad) + o0) * l.PqR), (nint)rows * l.PqR, l.PqR, l.PqR / 16, f0 + k0, sums);
        }

        var w = dw.AsSpan();
        for (int r = 0; r < MO && o0 + r < d.Og; r++)
        {
            int row = (((g * d.Og) + o0 + r) * d.K) + k0;
            for (int j = 0; j < MK && k0 + j < d.K; j++)
            {
                w[row + j] += sums[(r * MK) + j];
            }
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

    /// <summary>sums[r·6 + j] = Σₙ Σ_p dy[n][r][p] · x[n][off[j] + p] for r &lt; 4, j &lt; 6, p &lt; 16·steps.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel4x6(int cnt, float* x, nint xStride, float* dy, nint dyStride, nint ld, int steps, int* off, float* sums)
    {
        Vector512<float> c00 = default, c01 = default, c02 = default, c03 = default, c04 = default, c05 = default;
        Vector512<float> c10 = default, c11 = default, c12 = default, c13 = default, c14 = default, c15 = default;
        Vector512<float> c20 = default, c21 = default, c22 = default, c23 = default, c24 = default, c25 = default;
        Vector512<float> c30 = default, c31 = default, c32 = default, c33 = default, c34 = default, c35 = default;
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

        sums[0] = Vector512.Sum(c00); sums[1] = Vector512.Sum(c01); sums[2] = Vector512.Sum(c02); sums[3] = Vector512.Sum(c03); sums[4] = Vector512.Sum(c04); sums[5] = Vector512.Sum(c05);
        sums[6] = Vector512.Sum(c10); sums[7] = Vector512.Sum(c11); sums[8] = Vector512.Sum(c12); sums[9] = Vector512.Sum(c13); sums[10] = Vector512.Sum(c14); sums[11] = Vector512.Sum(c15);
        sums[12] = Vector512.Sum(c20); sums[13] = Vector512.Sum(c21); sums[14] = Vector512.Sum(c22); sums[15] = Vector512.Sum(c23); sums[16] = Vector512.Sum(c24); sums[17] = Vector512.Sum(c25);
        sums[18] = Vector512.Sum(c30); sums[19] = Vector512.Sum(c31); sums[20] = Vector512.Sum(c32); sums[21] = Vector512.Sum(c33); sums[22] = Vector512.Sum(c34); sums[23] = Vector512.Sum(c35);
    }
}
