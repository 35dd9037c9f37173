// Direct convolution by shifted windows (float32, AVX-512): no column matrix, no packing of the input.
//
// The idea. For a stride-1 convolution of a zero-padded image xp[C, Hp, Wp], every kernel tap (c, ki, kj)
// reads the input at a fixed shift of the output position: if outputs are numbered p' = oh·Wp + ow over
// the FULL padded width (the last Wp − OW columns of each row are junk and thrown away), then
//
//   y[o, p'] = Σ_{c,ki,kj} w[o, c, ki, kj] · xp_flat[off(c, ki, kj) + p'],   off = c·Hp·Wp + ki·dH·Wp + kj·dW
//
// (At stride 1 the layout keeps only the left padding in each row, Wp = W + pW: a tap that reaches past the
// row's end reads the next row's left zeros; see Layout.)
//
// so the "column matrix" row of a tap is the padded image itself, read from offset off: one contiguous
// vector load serves 16 output positions, straight from L1. A stride s > 1 becomes a shift too after the
// image is split into its s×s phases xq[c, a, b][i, j] = xp[c, i·s + a, j·s + b]: the tap (ki, kj) reads
// phase ((ki·dH) mod s, (kj·dW) mod s) at row oh + (ki·dH) div s and column ow + (kj·dW) div s. The offset
// table off[k] absorbs channels, taps, dilation, stride and padding alike.
//
// The micro-kernel keeps an 8 (output channels) × 48 (positions: 3 vectors) tile of y in 24 zmm registers;
// per tap it loads 3 vectors of xq and broadcasts 8 weights (packed [K][8] so they are contiguous): 24 FMAs
// per 11 loads. Output channels are padded to a multiple of 8 with zero weights (their rows are junk).
// Junk columns cost (Wq − OW) / Wq of the work (LeNet C3: 4/14; ResNet 3×3 at 32×32: 1/33, see Layout), which is
// cheaper than building and packing a column matrix: measured against im2col + GEMM, see docs/performance.md.
// On small maps, where the junk is a large share, the batch-lane kernel (DirectConvLanes.cs) takes over;
// where both would waste too much, <see cref="Applies"/> says no and the caller keeps im2col + GEMM (a kernel
// covering the whole map, LeNet C5, is a plain GEMM in Conv.cs). Stride-1 3×3 convolutions with at least 64
// channels in and out take Winograd's F(2×2, 3×3) instead (DirectConvWinograd.cs), which runs its 16 products on
// this file's micro-kernel.
//
// The same kernel computes the input gradient of a stride-1 convolution: dx = conv(dy padded by
// d·(k − 1) − p, w flipped in space with in/out channels swapped), stride 1, dilation d.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Nabla.Ops.Kernels;

/// <summary>Convolution forward (and stride-1 input gradient) by shifted windows over a padded, phase-split image.</summary>
internal static unsafe partial class DirectConv
{
    private const int MR = 8;    // output channels per tile
    private const int NB = 48;   // output positions per tile (3 × 16 floats)

    /// <summary>The scratch layout of one image: padded, split into stride phases, with a zero tail for overreads.</summary>
    private readonly record struct Layout(int Hq, int Wq, int S, int PhaseSize, int ChannelSize, int Pq, int PqR, int Length)
    {
        public static Layout Of(Conv.Dims d)
        {
            var g = d.G;
            int s = g.StrideH;
            // At stride 1 a row is its PadW left zeros and its W values: the taps that reach past a row's end read the
            // next row's left zeros (or a zero row, or the tail), so a row is W + PadW wide (at least OW, where the
            // padding exceeds the kernel's reach), not W + 2·PadW: fewer junk columns computed (ResNet's 32×32 maps:
            // 1,056 positions per channel instead of 1,104).
            int hq = (d.H + (2 * g.PadH) + s - 1) / s;
            int wq = s == 1 ? Math.Max(d.W + g.PadW, d.OW) : (d.W + (2 * g.PadW) + s - 1) / s;
            int phase = hq * wq, channel = s * s * phase, pq = d.OH * wq, pqr = (pq + NB - 1) / NB * NB;
            // Reads go up to off[k] + p' < C·channel + Wq + NB (see the file header): a zero tail covers them.
            return new Layout(hq, wq, s, phase, channel, pq, pqr, (d.C * channel) + wq + (2 * NB));
        }
    }

    /// <summary>Tests set this to take the shifted-window path wherever it is legal, however much junk it computes.</summary>
    internal static bool Always;

    /// <summary>Tests set this to force (true) or forbid (false) the batch-lane kernel where it is legal; null lets the work decide.</summary>
    internal static bool? Lanes;

    /// <summary>True when the forward pass of this float convolution runs here (shifted windows or batch lanes) rather than on im2col.</summary>
    public static bool Applies<T>(Conv.Dims d) => Legal<T>(d) && (Always || WindowUse(d) >= 0.55 || UseLanes(d));

    /// <summary>True when the shifted-window weight gradient handles this float convolution and is expected to beat im2col.</summary>
    /// <remarks>
    /// im2col's weight gradient is a GEMM with one row per output channel: with few channels (LeNet's 6 and 16) it is
    /// thin and the windows win even with a third of their work wasted (C3: 0.27 against 0.69 ms); with 64 channels on
    /// 8×8 maps (ResNet-8) the GEMM wins (1.34 against 1.5 ms, and 0.74 against 1.15 at stride 2).
    /// </remarks>
    public static bool AppliesToWeightGrad<T>(Conv.Dims d) =>
        Legal<T>(d) && (Always || WindowUse(d) is var use && (use >= 0.75 || (use >= 0.55 && d.Og <= 32)));

    private static bool Legal<T>(Conv.Dims d)
    {
        var g = d.G;
        // 1×1 kernels: im2col is a plain (strided) copy there and the GEMM is already direct.
        return typeof(T) == typeof(float) && Vector512.IsHardwareAccelerated && g.StrideH == g.StrideW && g.KernelH * g.KernelW > 1 &&
            d.N > 0 && d.P > 0 && d.K > 0;
    }

    // Useful outputs over computed outputs of the shifted-window kernel (junk columns, the last partial tile, padded channel rows).
    private static double WindowUse(Conv.Dims d) => (double)d.P / Layout.Of(d).PqR * d.Og / ((d.Og + MR - 1) / MR * MR);

    /// <summary>y = conv(x, w) + b for float tensors (call only when <see cref="Applies"/>).</summary>
    public static void Forward(float[] x, int xOff, float[] w, int wOff, float[]? b, int bOff, float[] y, Conv.Dims d)
    {
        if (UseLanes(d))
        {
            LaneForward(x, xOff, w, wOff, b, bOff, y, d);
            return;
        }

        if (UseWinograd(d))
        {
            WinogradForward(x, xOff, w, wOff, b, bOff, y, d);
            return;
        }

        var l = Layout.Of(d);
        int groups = d.G.Groups, og = d.Og, blocks = (og + MR - 1) / MR, k = d.K;
        float[] wp = PackTiles(w, wOff, groups, og, og * k, k, Identity(k));
        int[] off = Offsets(d, l);
        try
        {
            ForItems(d.N, (long)d.N * d.ImageY * k, (n, threads) => Image(x, xOff + (n * d.ImageX), wp, off, b, bOff, y, n * d.ImageY, d, l, threads));
        }
        finally
        {
            ScratchMemory.Return(wp);
            ScratchMemory.Return(off);
        }
    }

    /// <summary>
    /// Runs body(i, threads) for i &lt; count: the items in parallel, one thread each, when there are at least as many
    /// as threads; otherwise one after another, each splitting its own work between all threads.
    /// </summary>
    private static void ForItems(int count, long work, Action<int, int> body)
    {
        if (count >= Workers.Count || Workers.Count == 1)
        {
            Conv.For(count, work, i => body(i, 1));
        }
        else
        {
            for (int i = 0; i < count; i++)
            {
                body(i, Workers.Count);
            }
        }
    }

    /// <summary>True when the input gradient of this convolution can run as a shifted-window convolution.</summary>
    public static bool AppliesToInputGrad<T>(Conv.Dims d)
    {
        var g = d.G;
        return g.StrideH == 1 && g.StrideW == 1 && g.PadH <= g.DilationH * (g.KernelH - 1) && g.PadW <= g.DilationW * (g.KernelW - 1) &&
            Applies<T>(Transposed(d));
    }

    /// <summary>dx = convᵀ(dy, w) for a stride-1 convolution (call only when <see cref="AppliesToInputGrad"/>).</summary>
    public static void InputGrad(float[] dy, int dyOff, float[] w, int wOff, float[] dx, Conv.Dims d)
    {
        // w'[g·Cg + c, o, ki, kj] = w[g·Og + o, c, kH − 1 − ki, kW − 1 − kj].
        int groups = d.G.Groups, og = d.Og, cg = d.Cg, kh = d.G.KernelH, kw = d.G.KernelW, taps = kh * kw;
        float[] wt = ScratchMemory.Rent<float>(d.O * cg * taps);
        try
        {
            for (int g = 0; g < groups; g++)
            {
                for (int o = 0; o < og; o++)
                {
                    for (int c = 0; c < cg; c++)
                    {
                        int src = wOff + ((((g * og) + o) * cg) + c) * taps;
                        int dst = ((((g * cg) + c) * og) + o) * taps;
                        for (int t = 0; t < taps; t++)
                        {
                            wt[dst + taps - 1 - t] = w[src + t];
                        }
                    }
                }
            }

            Forward(dy, dyOff, wt, 0, null, 0, dx, Transposed(d));
        }
        finally
        {
            ScratchMemory.Return(wt);
        }
    }

    // The convolution whose forward pass is the input gradient of d (stride 1): dy [N, O, OH, OW] → dx [N, C, H, W].
    private static Conv.Dims Transposed(Conv.Dims d)
    {
        var g = d.G;
        var t = new ConvGeometry(g.KernelH, g.KernelW, 1, 1, (g.DilationH * (g.KernelH - 1)) - g.PadH,
            (g.DilationW * (g.KernelW - 1)) - g.PadW, g.DilationH, g.DilationW, g.Groups);
        return new Conv.Dims(d.N, d.O, d.OH, d.OW, d.C, t);
    }

    // One image: build its padded phase-split copy, run its tiles of position blocks (split between threads) and write y.
    private static void Image(float[] x, int xOff, float[] wp, int[] off, float[]? b, int bOff, float[] y, int yOff,
        Conv.Dims d, Layout l, int threads)
    {
        int pb0 = 0, pb1 = l.PqR / NB;
        int groups = d.G.Groups, blocks = (d.Og + MR - 1) / MR, rows = groups * blocks * MR;
        float[] xq = ScratchMemory.Rent<float>(l.Length);
        float[] yq = ScratchMemory.Rent<float>(rows * l.PqR);
        try
        {
            Build(x, xOff, d, l, xq);
            if (threads > 1 && pb1 - pb0 > 1)
            {
                int parts = Math.Min(threads, pb1 - pb0);
                Parallel.For(0, parts, Workers.Options, t =>
                    Tiles(xq, wp, off, yq, d, l, pb0 + ((pb1 - pb0) * t / parts), pb0 + ((pb1 - pb0) * (t + 1) / parts)));
            }
            else
            {
                Tiles(xq, wp, off, yq, d, l, pb0, pb1);
            }

            CopyOut(yq, b, bOff, y, yOff, d, l);
        }
        finally
        {
            ScratchMemory.Return(xq);
            ScratchMemory.Return(yq);
        }
    }

    private static void Tiles(float[] xq, float[] wp, int[] off, float[] yq, Conv.Dims d, Layout l, int pb0, int pb1)
    {
        int groups = d.G.Groups, blocks = (d.Og + MR - 1) / MR, k = d.K;
        fixed (float* xq0 = xq, wp0 = wp, yq0 = yq)
        fixed (int* off0 = off)
        {
            for (int pb = pb0; pb < pb1; pb++)
            {
                int p0 = pb * NB;
                for (int g = 0; g < groups; g++)
                {
                    float* xg = xq0 + ((long)g * d.Cg * l.ChannelSize) + p0;
                    for (int ob = 0; ob < blocks; ob++)
                    {
                        int tile = (g * blocks) + ob;
                        Kernel8x48(k, wp0 + ((long)tile * k * MR), off0, xg, yq0 + ((long)tile * MR * l.PqR) + p0, l.PqR);
                    }
                }
            }
        }
    }

    // xq[c][a][b][i, j] = x[c, i·s + a − pH, j·s + b − pW] (0 outside the image), then a zero tail.
    private static void Build(float[] x, int xOff, Conv.Dims d, Layout l, float[] xq, int qOff = 0)
    {
        var g = d.G;
        int s = l.S, h = d.H, w = d.W;
        if (s == 1)
        {
            fixed (float* x0 = x, qa = xq)
            {
                float* q0 = qa + qOff;
                for (int c = 0; c < d.C; c++)
                {
                    float* dst = q0 + (c * l.ChannelSize);
                    new Span<float>(dst, g.PadH * l.Wq).Clear();
                    new Span<float>(dst + ((g.PadH + h) * l.Wq), (l.Hq - g.PadH - h) * l.Wq).Clear();
                    float* src = x0 + xOff + (c * h * w);
                    for (int i = 0; i < h; i++, src += w)
                    {
                        float* row = dst + ((i + g.PadH) * l.Wq);
                        for (int j = 0; j < g.PadW; j++)
                        {
                            row[j] = 0f;
                        }

                        Copy(src, row + g.PadW, w);
                        for (int j = g.PadW + w; j < l.Wq; j++)
                        {
                            row[j] = 0f;
                        }
                    }
                }
            }
        }
        else
        {
            // Valid phase columns per column phase bb: j with 0 ≤ j·s + bb − pW < w.
            Span<int> lo = stackalloc int[s], hi = stackalloc int[s];
            for (int bb = 0; bb < s; bb++)
            {
                lo[bb] = Math.Min(l.Wq, Math.Max(0, (g.PadW - bb + s - 1) / s));
                hi[bb] = Math.Clamp(w - 1 + g.PadW - bb < 0 ? 0 : ((w - 1 + g.PadW - bb) / s) + 1, lo[bb], l.Wq);
            }

            fixed (float* x0 = x, qa = xq)
            {
                float* q0 = qa + qOff;
                for (int c = 0; c < d.C; c++)
                {
                    for (int a = 0; a < s; a++)
                    {
                        for (int i = 0; i < l.Hq; i++)
                        {
                            int r = (i * s) + a - g.PadH;
                            for (int bb = 0; bb < s; bb++)
                            {
                                float* row = q0 + (c * l.ChannelSize) + (((a * s) + bb) * l.PhaseSize) + (i * l.Wq);
                                if ((uint)r >= (uint)h)
                                {
                                    new Span<float>(row, l.Wq).Clear();
                                    continue;
                                }

                                if (s == 2)
                                {
                                    // Both column phases of the row at once (bb = 0 and 1).
                                    Deinterleave(x0 + xOff + (((c * h) + r) * w), w, g.PadW, row, row + l.PhaseSize, l.Wq);
                                    break;
                                }

                                float* src = x0 + xOff + (((c * h) + r) * w) + bb - g.PadW;
                                int j = 0;
                                for (; j < lo[bb]; j++)
                                {
                                    row[j] = 0f;
                                }

                                for (; j < hi[bb]; j++)
                                {
                                    row[j] = src[j * s];
                                }

                                for (; j < l.Wq; j++)
                                {
                                    row[j] = 0f;
                                }
                            }
                        }
                    }
                }
            }
        }

        xq.AsSpan(qOff + (d.C * l.ChannelSize), l.Length - (d.C * l.ChannelSize)).Clear();
    }

    // even[j] = src[2j − p], odd[j] = src[2j + 1 − p] for j < n, 0 outside [0, w): per 16 outputs of each, two masked
    // loads of 32 consecutive values and two two-source permutes (the scalar strided gather cost 1 ns per value).
    private static void Deinterleave(float* src, int w, int p, float* even, float* odd, int n)
    {
        var lane = Vector512<int>.Indices;
        var evens = lane + lane;
        var odds = evens + Vector512<int>.One;
        var width = Vector512.Create((uint)w);
        for (int j0 = 0; j0 < n; j0 += 16)
        {
            int b = (2 * j0) - p;
            var m0 = Vector512.LessThan((lane + Vector512.Create(b)).AsUInt32(), width).AsSingle();
            var m1 = Vector512.LessThan((lane + Vector512.Create(b + 16)).AsUInt32(), width).AsSingle();
            var v0 = Avx512F.MaskLoad(src + b, m0, Vector512<float>.Zero);
            var v1 = Avx512F.MaskLoad(src + b + 16, m1, Vector512<float>.Zero);
            var store = Vector512.LessThan(lane, Vector512.Create(n - j0)).AsSingle();
            Avx512F.MaskStore(even + j0, store, Avx512F.PermuteVar16x32x2(v0, evens, v1));
            Avx512F.MaskStore(odd + j0, store, Avx512F.PermuteVar16x32x2(v0, odds, v1));
        }
    }

    // y[n, oc, oh, 0..OW) = yq[row of oc, oh·Wq ..] + b[oc]: the valid columns of each output row.
    private static void CopyOut(float[] yq, float[]? b, int bOff, float[] y, int yOff, Conv.Dims d, Layout l)
    {
        int blocks = (d.Og + MR - 1) / MR, ow = d.OW;
        fixed (float* q0 = yq, y0 = y)
        {
            for (int g = 0; g < d.G.Groups; g++)
            {
                for (int o = 0; o < d.Og; o++)
                {
                    int oc = (g * d.Og) + o;
                    float bias = b is null ? 0f : b[bOff + oc];
                    float* src = q0 + (((g * blocks * MR) + o) * (long)l.PqR);
                    float* dst = y0 + yOff + ((long)oc * d.OH * ow);
                    for (int oh = 0; oh < d.OH; oh++, src += l.Wq, dst += ow)
                    {
                        Copy(src, dst, ow, bias);
                    }
                }
            }
        }
    }

    // dst[0..n) = src[0..n) + bias: whole vectors, then one masked vector (reads and writes nothing past n).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Copy(float* src, float* dst, int n, float bias = 0f)
    {
        var b = Vector512.Create(bias);
        int j = 0;
        for (; j + 16 <= n; j += 16)
        {
            (Vector512.Load(src + j) + b).Store(dst + j);
        }

        if (j < n)
        {
            var mask = Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(n - j)).AsSingle();
            Avx512F.MaskStore(dst + j, mask, Avx512F.MaskLoad(src + j, mask, default) + b);
        }
    }

    /// <summary>
    /// Weights of each group's blocks of 8 output rows, tap-major, for the 8-row micro-kernels:
    /// wp[(tile·taps + t)·8 + r] = w[wOff + g·groupStride + row·rowStride + tapSource[t]] for row = block·8 + r &lt; rows
    /// (0 for the padded rows), tile = g·blocks + block. tapSource orders the taps (identity for (c, kh, kw); the
    /// batch lanes use (kh, c, kw); the stride-2 phases pick a subset).
    /// </summary>
    private static float[] PackTiles(float[] w, int wOff, int groups, int rows, int groupStride, int rowStride, ReadOnlySpan<int> tapSource)
    {
        int blocks = (rows + MR - 1) / MR, taps = tapSource.Length;
        float[] wp = ScratchMemory.Rent<float>(Math.Max(1, groups * blocks * taps * MR));
        for (int g = 0; g < groups; g++)
        {
            for (int ob = 0; ob < blocks; ob++)
            {
                int tile = ((g * blocks) + ob) * taps * MR;
                for (int r = 0; r < MR; r++)
                {
                    int row = (ob * MR) + r, src = wOff + (g * groupStride) + (row * rowStride);
                    for (int t = 0; t < taps; t++)
                    {
                        wp[tile + (t * MR) + r] = row < rows ? w[src + tapSource[t]] : 0f;
                    }
                }
            }
        }

        return wp;
    }

    // The taps of a group in w's own order: (c, kh, kw) → c·kH·kW + kh·kW + kw.
    private static int[] Identity(int k)
    {
        int[] t = new int[k];
        for (int i = 0; i < k; i++)
        {
            t[i] = i;
        }

        return t;
    }

    // off[k] for the taps k = (c·kH + ki)·kW + kj of one group, relative to the group's first channel.
    private static int[] Offsets(Conv.Dims d, Layout l, int length = 0)
    {
        var g = d.G;
        int s = l.S, kh = g.KernelH, kw = g.KernelW;
        int[] off = ScratchMemory.Rent<int>(Math.Max(length, d.K));
        off.AsSpan(d.K, Math.Max(length, d.K) - d.K).Clear();
        for (int c = 0; c < d.Cg; c++)
        {
            for (int ki = 0; ki < kh; ki++)
            {
                for (int kj = 0; kj < kw; kj++)
                {
                    int ri = ki * g.DilationH, rj = kj * g.DilationW;
                    off[(((c * kh) + ki) * kw) + kj] = (c * l.ChannelSize) + ((((ri % s) * s) + (rj % s)) * l.PhaseSize) +
                        (ri / s * l.Wq) + (rj / s);
                }
            }
        }

        return off;
    }

    /// <summary>yq[r, 0..48) = Σ_k wp[k, r] · xq[off[k] .. off[k] + 48) for r &lt; 8 (rows ld apart).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel8x48(int kc, float* wp, int* off, float* xq, float* yq, nint ld)
    {
        Vector512<float> c00 = default, c01 = default, c02 = default;
        Vector512<float> c10 = default, c11 = default, c12 = default;
        Vector512<float> c20 = default, c21 = default, c22 = default;
        Vector512<float> c30 = default, c31 = default, c32 = default;
        Vector512<float> c40 = default, c41 = default, c42 = default;
        Vector512<float> c50 = default, c51 = default, c52 = default;
        Vector512<float> c60 = default, c61 = default, c62 = default;
        Vector512<float> c70 = default, c71 = default, c72 = default;
        for (int k = 0; k < kc; k++, wp += MR)
        {
            float* src = xq + off[k];
            Vector512<float> b0 = Vector512.Load(src), b1 = Vector512.Load(src + 16), b2 = Vector512.Load(src + 32);
            Vector512<float> a;
            a = Vector512.Create(wp[0]); c00 = Vector512.FusedMultiplyAdd(a, b0, c00); c01 = Vector512.FusedMultiplyAdd(a, b1, c01); c02 = Vector512.FusedMultiplyAdd(a, b2, c02);
            a = Vector512.Create(wp[1]); c10 = Vector512.FusedMultiplyAdd(a, b0, c10); c11 = Vector512.FusedMultiplyAdd(a, b1, c11); c12 = Vector512.FusedMultiplyAdd(a, b2, c12);
            a = Vector512.Create(wp[2]); c20 = Vector512.FusedMultiplyAdd(a, b0, c20); c21 = Vector512.FusedMultiplyAdd(a, b1, c21); c22 = Vector512.FusedMultiplyAdd(a, b2, c22);
            a = Vector512.Create(wp[3]); c30 = Vector512.FusedMultiplyAdd(a, b0, c30); c31 = Vector512.FusedMultiplyAdd(a, b1, c31); c32 = Vector512.FusedMultiplyAdd(a, b2, c32);
            a = Vector512.Create(wp[4]); c40 = Vector512.FusedMultiplyAdd(a, b0, c40); c41 = Vector512.FusedMultiplyAdd(a, b1, c41); c42 = Vector512.FusedMultiplyAdd(a, b2, c42);
            a = Vector512.Create(wp[5]); c50 = Vector512.FusedMultiplyAdd(a, b0, c50); c51 = Vector512.FusedMultiplyAdd(a, b1, c51); c52 = Vector512.FusedMultiplyAdd(a, b2, c52);
            a = Vector512.Create(wp[6]); c60 = Vector512.FusedMultiplyAdd(a, b0, c60); c61 = Vector512.FusedMultiplyAdd(a, b1, c61); c62 = Vector512.FusedMultiplyAdd(a, b2, c62);
            a = Vector512.Create(wp[7]); c70 = Vector512.FusedMultiplyAdd(a, b0, c70); c71 = Vector512.FusedMultiplyAdd(a, b1, c71); c72 = Vector512.FusedMultiplyAdd(a, b2, c72);
        }

        c00.Store(yq); c01.Store(yq + 16); c02.Store(yq + 32); yq += ld;
        c10.Store(yq); c11.Store(yq + 16); c12.Store(yq + 32); yq += ld;
        c20.Store(yq); c21.Store(yq + 16); c22.Store(yq + 32); yq += ld;
        c30.Store(yq); c31.Store(yq + 16); c32.Store(yq + 32); yq += ld;
        c40.Store(yq); c41.Store(yq + 16); c42.Store(yq + 32); yq += ld;
        c50.Store(yq); c51.Store(yq + 16); c52.Store(yq + 32); yq += ld;
        c60.Store(yq); c61.Store(yq + 16); c62.Store(yq + 32); yq += ld;
        c70.Store(yq); c71.Store(yq + 16); c72.Store(yq + 32);
    }
}
