// Winograd's minimal filtering F(2×2, 3×3) for stride-1 3×3 convolutions (float32, AVX-512; Lavin and Gray, "Fast
// Algorithms for Convolutional Neural Networks", 2016). Each 2×2 block of outputs (a tile) is computed from the
// 4×4 input patch d under it as
//
//   Y = Aᵀ [ (G g Gᵀ) ⊙ (Bᵀ d B) ] A,   summed over input channels inside the brackets,
//
//        ⎡1  0 −1  0⎤        ⎡ 1    0    0 ⎤
//   Bᵀ = ⎢0  1  1  0⎥,   G = ⎢1/2  1/2  1/2⎥,   Aᵀ = ⎡1  1  1  0⎤
//        ⎢0 −1  1  0⎥        ⎢1/2 −1/2  1/2⎥        ⎣0  1 −1 −1⎦
//        ⎣0  1  0 −1⎦        ⎣ 0    0    1 ⎦
//
// so with U = G g Gᵀ (per output and input channel) and V = Bᵀ d B (per input channel and tile), each of the 16
// positions ξ of the 4×4 transformed tile is an independent matrix product M[ξ] (O × tiles) = U[ξ] (O × C) · V[ξ]
// (C × tiles): 16·C·O multiplications per tile where the direct form takes 36·C·O, 2.25 times fewer. The
// transforms only add and subtract (G's halves are exact), so the result differs from the direct sum by rounding
// alone (measured against the direct kernel: see DirectConvTests).
//
// The tiles of all images are numbered row by row (tile row tr = n·TH + th, TH·TW tiles per image) and go in blocks
// of whole tile rows, about 192 tiles, each block on one thread: the input transform writes V[ξ][c][t] with 16
// tiles of a tile row in the lanes (the 4×4 patches of 16 neighbouring tiles are two deinterleaved rows of 32
// inputs), the 16 products run on the 8×48 micro-kernel (taps = input channels, offsets c·ld), and the output
// transform interleaves each output row's even and odd columns back.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Nabla.Ops.Kernels;

internal static unsafe partial class DirectConv
{
    // Tiles per block (a target; a tuning knob). ResNet's 3×3 shapes at 1 thread, forward in ms, 48 / 96 / 192 / 384 tiles:
    // 64 channels at 32×32 (batch 32) 8.4 / 7.8 / 7.5 / 8.3; 128 at 28×28 (batch 8) 6.3 / 6.3 / 5.9 / 6.2; 64 at 112×112
    // (batch 4) 19.2 / 18.9 / 14.0 / 14.1 (the direct kernel: 12.1, 9.0 and 18.0).
    internal static int WinogradTiles = 192;

    /// <summary>Tests set this to force (true) or forbid (false) Winograd's F(2×2, 3×3) where it is legal; null lets the shape decide.</summary>
    internal static bool? Winograd;

    /// <summary>True when the forward pass of this float convolution runs on F(2×2, 3×3) (tests ask).</summary>
    internal static bool ChoosesWinograd(Conv.Dims d) => Applies<float>(d) && !UseLanes(d) && UseWinograd(d);

    // Legal: 3×3, stride 1, no dilation, one group. Chosen where a tile row fills at least a quarter of a vector (OW ≥ 8;
    // the batch lanes take smaller maps first) and the products are long enough to pay for the transforms (at least 64
    // input and output channels). Forward at 1 thread, direct against Winograd: 256 channels at 14×14, batch 8, 11.0
    // against 8.9 ms; 64 at 16×16, batch 32, 3.3 against 2.8; but 32 at 16×16, batch 32, 0.9 against 1.1, and 16 at
    // 16×16 0.27 against 0.43.
    private static bool UseWinograd(Conv.Dims d)
    {
        var g = d.G;
        bool legal = g.KernelH == 3 && g.KernelW == 3 && g.StrideH == 1 && g.StrideW == 1 && g.DilationH == 1 && g.DilationW == 1 &&
            g.Groups == 1;
        return legal && (Winograd ?? (d.OW >= 8 && d.C >= 64 && d.O >= 64));
    }

    /// <summary>y = conv(x, w) + b by F(2×2, 3×3) (call only when <see cref="UseWinograd"/>).</summary>
    private static void WinogradForward(float[] x, int xOff, float[] w, int wOff, float[]? b, int bOff, float[] y, Conv.Dims d)
    {
        var t = WinogradLayout.Of(d);
        float[] u = FilterTransform(w, wOff, d, t.OPad);
        int[] off = ScratchMemory.Rent<int>(d.C);
        try
        {
            // The products' "taps" are the input channels: row c of V[ξ] starts c·Ld after row 0.
            for (int c = 0; c < d.C; c++)
            {
                off[c] = c * t.Ld;
            }

            int blocks = (t.TileRows + t.RowsPerBlock - 1) / t.RowsPerBlock;
            Conv.For(blocks, (long)d.N * d.ImageY * d.K, blk => WinogradBlock(x, xOff, u, off, b, bOff, y, d, t, blk));
        }
        finally
        {
            ScratchMemory.Return(u);
            ScratchMemory.Return(off);
        }
    }

    // TH × TW tiles per image, TileRows = N·TH; a block is RowsPerBlock tile rows, Ld ≥ its tiles (a multiple of 48).
    private readonly record struct WinogradLayout(int TH, int TW, int TileRows, int RowsPerBlock, int Ld, int OPad)
    {
        public static WinogradLayout Of(Conv.Dims d)
        {
            // The most tile rows within the target, or down to half as many where fewer waste less of the last 48 columns
            // (56 tiles a row: 3 rows fill 168 of 192 columns, 1 row only 56 of 96).
            int th = (d.OH + 1) / 2, tw = (d.OW + 1) / 2, most = Math.Max(1, WinogradTiles / tw), rows = most;
            for (int r = most; r >= Math.Max(1, most / 2); r--)
            {
                if ((long)Width(r * tw) * rows * tw < (long)Width(rows * tw) * r * tw)
                {
                    rows = r;
                }
            }

            return new WinogradLayout(th, tw, d.N * th, rows, Width(rows * tw), (d.O + MR - 1) / MR * MR);
        }

        private static int Width(int tiles) => (tiles + NB - 1) / NB * NB;
    }

    // u[((ξ·blocks + ob)·C + c)·8 + r] = (G g Gᵀ)[ξ] for g = w[ob·8 + r, c] (0 for the padded output rows): the 8-row
    // micro-kernel's packing, one matrix per ξ. Computed in double (a 4×4 result from a 3×3 filter: exact halves).
    private static float[] FilterTransform(float[] w, int wOff, Conv.Dims d, int oPad)
    {
        int c = d.C, blocks = oPad / MR;
        float[] u = ScratchMemory.Rent<float>(16 * oPad * c);
        Span<double> gg = stackalloc double[12];
        for (int o = 0; o < oPad; o++)
        {
            for (int ci = 0; ci < c; ci++)
            {
                int dst = ((o / MR * c) + ci) * MR + (o % MR);
                if (o >= d.O)
                {
                    for (int xi = 0; xi < 16; xi++)
                    {
                        u[(xi * blocks * c * MR) + dst] = 0f;
                    }

                    continue;
                }

                // gg = G g (4×3), then G g Gᵀ row by row.
                int src = wOff + (((o * c) + ci) * 9);
                for (int j = 0; j < 3; j++)
                {
                    double g0 = w[src + j], g1 = w[src + 3 + j], g2 = w[src + 6 + j];
                    gg[j] = g0;
                    gg[3 + j] = 0.5 * (g0 + g1 + g2);
                    gg[6 + j] = 0.5 * (g0 - g1 + g2);
                    gg[9 + j] = g2;
                }

                for (int i = 0; i < 4; i++)
                {
                    double t0 = gg[3 * i], t1 = gg[(3 * i) + 1], t2 = gg[(3 * i) + 2];
                    int row = 4 * i * blocks * c * MR;
                    u[row + dst] = (float)t0;
                    u[row + (blocks * c * MR) + dst] = (float)(0.5 * (t0 + t1 + t2));
                    u[row + (2 * blocks * c * MR) + dst] = (float)(0.5 * (t0 - t1 + t2));
                    u[row + (3 * blocks * c * MR) + dst] = (float)t2;
                }
            }
        }

        return u;
    }

    // One block of tile rows: input transform into V, the 16 products into M, output transform into y.
    private static void WinogradBlock(float[] x, int xOff, float[] u, int[] off, float[]? b, int bOff, float[] y, Conv.Dims d, WinogradLayout t,
        int blk)
    {
        int tr0 = blk * t.RowsPerBlock, rows = Math.Min(t.RowsPerBlock, t.TileRows - tr0), ld = t.Ld, c = d.C;
        float[] v = ScratchMemory.Rent<float>(16 * c * ld);
        float[] m = ScratchMemory.Rent<float>(16 * t.OPad * ld);
        try
        {
            fixed (float* x0 = x, v0 = v, m0 = m, u0 = u, y0 = y)
            fixed (int* f0 = off)
            {
                // The lanes past the block's tiles are read by the products: keep them finite.
                int used = rows * t.TW;
                for (int r = 0; r < 16 * c; r++)
                {
                    new Span<float>(v0 + ((long)r * ld) + used, ld - used).Clear();
                }

                for (int r = 0; r < rows; r++)
                {
                    InputTransform(x0 + xOff, d, t, tr0 + r, v0 + (r * t.TW));
                }

                for (int xi = 0; xi < 16; xi++)
                {
                    float* vx = v0 + ((long)xi * c * ld), mx = m0 + ((long)xi * t.OPad * ld), ux = u0 + ((long)xi * t.OPad * c);
                    for (int p0 = 0; p0 < used; p0 += NB)
                    {
                        for (int ob = 0; ob < t.OPad / MR; ob++)
                        {
                            Kernel8x48(c, ux + ((long)ob * c * MR), f0, vx + p0, mx + ((long)ob * MR * ld) + p0, ld);
                        }
                    }
                }

                for (int r = 0; r < rows; r++)
                {
                    OutputTransform(m0 + (r * t.TW), b, bOff, y0, d, t, tr0 + r);
                }
            }
        }
        finally
        {
            ScratchMemory.Return(v);
            ScratchMemory.Return(m);
        }
    }

    // V[ξ][c][j] = (Bᵀ d B)[ξ] for the tiles j of tile row tr (16 at a time), written at v + (ξ·C + c)·Ld + j.
    private static void InputTransform(float* x, Conv.Dims d, WinogradLayout t, int tr, float* v)
    {
        int n = tr / t.TH, th = tr % t.TH, h = d.H, wd = d.W;
        long xiStride = (long)d.C * t.Ld;
        var lane = Vector512<int>.Indices;
        var width = Vector512.Create((uint)wd);
        for (int j0 = 0; j0 < t.TW; j0 += 16)
        {
            // Input columns of the 16 tiles' patches start at col = 2·j0 − PadW: loads at col and col + 2, 32 values each.
            int col = (2 * j0) - d.G.PadW;
            var masks = new PatchMasks(
                Vector512.LessThan((lane + Vector512.Create(col)).AsUInt32(), width).AsSingle(),
                Vector512.LessThan((lane + Vector512.Create(col + 16)).AsUInt32(), width).AsSingle(),
                Vector512.LessThan((lane + Vector512.Create(col + 2)).AsUInt32(), width).AsSingle(),
                Vector512.LessThan((lane + Vector512.Create(col + 18)).AsUInt32(), width).AsSingle());
            var store = Vector512.LessThan(lane, Vector512.Create(t.TW - j0)).AsSingle();
            int ih = (2 * th) - d.G.PadH;
            bool in0 = (uint)ih < (uint)h, in1 = (uint)(ih + 1) < (uint)h, in2 = (uint)(ih + 2) < (uint)h, in3 = (uint)(ih + 3) < (uint)h;
            for (int ci = 0; ci < d.C; ci++)
            {
                float* row = x + ((((long)n * d.C) + ci) * h * wd) + ((long)ih * wd) + col;
                RowPass(in0, row, masks, out var r00, out var r01, out var r02, out var r03);
                RowPass(in1, row + wd, masks, out var r10, out var r11, out var r12, out var r13);
                RowPass(in2, row + (2 * wd), masks, out var r20, out var r21, out var r22, out var r23);
                RowPass(in3, row + (3 * wd), masks, out var r30, out var r31, out var r32, out var r33);

                // Column pass (Bᵀ ·): the same combinations of the rows, for each column ξ mod 4.
                float* dst = v + ((long)ci * t.Ld) + j0;
                ColumnPass(dst, xiStride, store, r00, r10, r20, r30);
                ColumnPass(dst + xiStride, xiStride, store, r01, r11, r21, r31);
                ColumnPass(dst + (2 * xiStride), xiStride, store, r02, r12, r22, r32);
                ColumnPass(dst + (3 * xiStride), xiStride, store, r03, r13, r23, r33);
            }
        }
    }

    // Load masks of the four 16-value windows of a patch row: at its first column, + 16, + 2 and + 18.
    private readonly record struct PatchMasks(Vector512<float> A, Vector512<float> B, Vector512<float> C, Vector512<float> D);

    // Row pass (d B) for 16 tiles: d0 − d2, d1 + d2, d2 − d1, d1 − d3 with d_s = row[2j + s] (zeros for a row outside the image).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void RowPass(bool inside, float* row, PatchMasks m, out Vector512<float> r0, out Vector512<float> r1,
        out Vector512<float> r2, out Vector512<float> r3)
    {
        if (!inside)
        {
            r0 = r1 = r2 = r3 = default;
            return;
        }

        var evens = Vector512<int>.Indices + Vector512<int>.Indices;
        var odds = evens + Vector512<int>.One;
        var a0 = Avx512F.MaskLoad(row, m.A, default);
        var a1 = Avx512F.MaskLoad(row + 16, m.B, default);
        var b0 = Avx512F.MaskLoad(row + 2, m.C, default);
        var b1 = Avx512F.MaskLoad(row + 18, m.D, default);
        var s0 = Avx512F.PermuteVar16x32x2(a0, evens, a1);
        var s1 = Avx512F.PermuteVar16x32x2(a0, odds, a1);
        var s2 = Avx512F.PermuteVar16x32x2(b0, evens, b1);
        var s3 = Avx512F.PermuteVar16x32x2(b0, odds, b1);
        r0 = s0 - s2;
        r1 = s1 + s2;
        r2 = s2 - s1;
        r3 = s1 - s3;
    }

    // Column pass (Bᵀ ·) of one column of the row-passed patch: V rows ξ = 4k + column at dst + k·4·stride.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void ColumnPass(float* dst, long stride, Vector512<float> mask, Vector512<float> q0, Vector512<float> q1,
        Vector512<float> q2, Vector512<float> q3)
    {
        Avx512F.MaskStore(dst, mask, q0 - q2);
        Avx512F.MaskStore(dst + (4 * stride), mask, q1 + q2);
        Avx512F.MaskStore(dst + (8 * stride), mask, q2 - q1);
        Avx512F.MaskStore(dst + (12 * stride), mask, q1 - q3);
    }

    // y[n, o, 2th + a, 2j + e] = (Aᵀ M A)[a, e] + b[o] for the tiles j of tile row tr, from M[ξ][o][j] at m + (ξ·OPad + o)·Ld + j.
    private static void OutputTransform(float* m, float[]? b, int bOff, float* y, Conv.Dims d, WinogradLayout t, int tr)
    {
        int n = tr / t.TH, th = tr % t.TH, ow = d.OW;
        long s = (long)t.OPad * t.Ld;
        var lane = Vector512<int>.Indices;
        var lower = Vector512.Create(0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
        var upper = lower + Vector512.Create(8);
        bool second = (2 * th) + 1 < d.OH;
        for (int o = 0; o < d.O; o++)
        {
            var bias = Vector512.Create(b is null ? 0f : b[bOff + o]);
            float* out0 = y + ((((long)n * d.O) + o) * d.OH * ow) + ((long)2 * th * ow);
            for (int j0 = 0; j0 < t.TW; j0 += 16)
            {
                // Row pass (M A): m0 + m1 + m2 and m1 − m2 − m3 for each row i of M.
                float* src = m + ((long)o * t.Ld) + j0;
                var (q00, q01) = OutputRow(src, s);
                var (q10, q11) = OutputRow(src + (4 * s), s);
                var (q20, q21) = OutputRow(src + (8 * s), s);
                var (q30, q31) = OutputRow(src + (12 * s), s);

                // Column pass (Aᵀ ·); columns 2j (e = 0) and 2j + 1 (e = 1) interleave into 32 outputs of the row.
                int left = ow - (2 * j0);
                var m0 = Vector512.LessThan(lane, Vector512.Create(left)).AsSingle();
                var m1 = Vector512.LessThan(lane, Vector512.Create(left - 16)).AsSingle();
                var e0 = q00 + q10 + q20 + bias;
                var e1 = q01 + q11 + q21 + bias;
                Avx512F.MaskStore(out0 + (2 * j0), m0, Avx512F.PermuteVar16x32x2(e0, lower, e1));
                Avx512F.MaskStore(out0 + (2 * j0) + 16, m1, Avx512F.PermuteVar16x32x2(e0, upper, e1));
                if (second)
                {
                    e0 = q10 - q20 - q30 + bias;
                    e1 = q11 - q21 - q31 + bias;
                    Avx512F.MaskStore(out0 + ow + (2 * j0), m0, Avx512F.PermuteVar16x32x2(e0, lower, e1));
                    Avx512F.MaskStore(out0 + ow + (2 * j0) + 16, m1, Avx512F.PermuteVar16x32x2(e0, upper, e1));
                }
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (Vector512<float> E0, Vector512<float> E1) OutputRow(float* src, long s)
    {
        var m0 = Vector512.Load(src);
        var m1 = Vector512.Load(src + s);
        var m2 = Vector512.Load(src + (2 * s));
        var m3 = Vector512.Load(src + (3 * s));
        return (m0 + m1 + m2, m1 - m2 - m3);
    }
}
