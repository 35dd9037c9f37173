// The input gradient of a stride-2 convolution on batch lanes (float32, AVX-512), without a column matrix.
//
//   dx[c, i, j] = Σ_{o, kh, kw} w[o, c, kh, kw] · dy[o, oh, ow]   over i = 2·oh + kh − pH, j = 2·ow + kw − pW.
//
// Split dx into its four phases (a, b) = (i mod 2, j mod 2). For i = 2i' + a only the kernel rows with
// kh ≡ a + pH (mod 2) contribute, each from the dy row oh = i' + (a + pH − kh)/2, and likewise for the columns: every
// phase is a stride-1 correlation of dy (zero-padded) with about a quarter of the taps. The batch-lane micro-kernel
// (DirectConvLanes.cs) runs it as it runs a forward pass, from a per-phase offset table and weight pack, and writes
// the phase's positions two apart into one full-size output, which is transposed back to dx as usual. Against
// im2col (a GEMM into a column matrix, then col2im's scatter-add) this skips the matrix and the scatter.
using System.Runtime.Intrinsics;

namespace Nabla.Ops.Kernels;

internal static unsafe partial class DirectConv
{
    /// <summary>
    /// True when the input gradient of this stride-2 float convolution runs on batch lanes: groups 1, no dilation, a
    /// kernel larger than 1×1, at least 55% of the lanes useful (dx channels padded to 8, images to 16) and one group of
    /// dy within 1 MiB. (A 1×1 kernel leaves three phases empty: im2col's scatter is cheaper there, 0.16 against 0.23 ms
    /// for ResNet-8's 16→32 projection.)
    /// </summary>
    public static bool AppliesToStride2InputGrad<T>(Conv.Dims d)
    {
        var g = d.G;
        if (typeof(T) != typeof(float) || !Vector512.IsHardwareAccelerated || g.StrideH != 2 || g.StrideW != 2 || g.DilationH != 1 ||
            g.DilationW != 1 || g.Groups != 1 || d.N == 0 || d.P == 0 || d.C == 0)
        {
            return false;
        }

        if (Lanes is bool forced)
        {
            return forced;
        }

        if (g.KernelH * g.KernelW == 1)
        {
            return false;
        }

        var p = Stride2Plan.Of(d);
        double used = (double)d.C / (p.Blocks * MR) * d.N / ((d.N + LaneCount - 1) / LaneCount * LaneCount);
        return used >= 0.55 && (long)p.Dy.XLength * sizeof(float) <= 1 << 20;
    }

    /// <summary>dy in lanes (zero border wide enough for every tap's shift), and the full-size output rows (W + 3 positions).</summary>
    private readonly record struct Stride2Plan(Conv.Dims DyDims, LaneLayout Dy, int Wy, int PlaneY, int Blocks)
    {
        public static Stride2Plan Of(Conv.Dims d)
        {
            var g = d.G;
            var dyDims = new Conv.Dims(d.N, d.O, d.OH, d.OW, d.C,
                new ConvGeometry(1, 1, 1, 1, Border(g.PadH, g.KernelH, d.H, d.OH), Border(g.PadW, g.KernelW, d.W, d.OW), 1, 1, 1));
            int wy = d.W + 3; // the junk position of an odd phase row lands at most 2 past the map
            return new Stride2Plan(dyDims, LaneLayout.Of(dyDims), wy, d.H * wy * LaneCount, (d.C + MR - 1) / MR);
        }

        // Shifts δ = (a + p − kh)/2 lie in [−(k − 1 − p)/2, (1 + p)/2]; phase positions i' < ⌈n/2⌉ (+1 for the junk one).
        private static int Border(int p, int k, int n, int outN) =>
            Math.Max(((k - 1 - p) / 2) + 1, ((n + 1) / 2) + 2 + ((1 + p) / 2) - outN);
    }

    /// <summary>dx = convᵀ(dy, w) for a stride-2 convolution (call only when <see cref="AppliesToStride2InputGrad"/>).</summary>
    public static void InputGradStride2(float[] dy, int dyOff, float[] w, int wOff, float[] dx, Conv.Dims d)
    {
        var p = Stride2Plan.Of(d);
        var phases = new (float[] Wp, int[] Off, int Taps)[4];
        try
        {
            for (int ph = 0; ph < 4; ph++)
            {
                phases[ph] = PackPhase(w, wOff, d, p, ph >> 1, ph & 1);
            }

            int groups = (d.N + LaneCount - 1) / LaneCount;
            ForItems(groups, (long)d.N * d.ImageX * d.O * d.G.KernelH * d.G.KernelW / 4,
                (i, threads) => Stride2Group(dy, dyOff, phases, dx, d, p, i * LaneCount, threads));
        }
        finally
        {
            foreach (var (wp, _, _) in phases)
            {
                if (wp is not null)
                {
                    ScratchMemory.Return(wp);
                }
            }
        }
    }

    // The taps of phase (a, b): o, then the kernel rows and columns of the right parity. Weights packed for the rows c of
    // dx ([block][tap][8], 0 past C); offsets into dy's lanes relative to the phase position (i', j').
    private static (float[] Wp, int[] Off, int Taps) PackPhase(float[] w, int wOff, Conv.Dims d, Stride2Plan p, int a, int b)
    {
        var g = d.G;
        int kh = g.KernelH, kw = g.KernelW;
        var source = new List<int>();
        var off = new List<int>();
        for (int o = 0; o < d.O; o++)
        {
            for (int i = 0; i < kh; i++)
            {
                for (int j = 0; j < kw; j++)
                {
                    if (((a + g.PadH - i) & 1) != 0 || ((b + g.PadW - j) & 1) != 0)
                    {
                        continue;
                    }

                    int di = (a + g.PadH - i) >> 1, dj = (b + g.PadW - j) >> 1;
                    source.Add((o * d.C * kh * kw) + (i * kw) + j); // w[o, c, i, j] for c = 0
                    off.Add((o * p.Dy.PlaneX) + ((((di + p.DyDims.G.PadH) * p.Dy.Wp) + dj + p.DyDims.G.PadW) * LaneCount));
                }
            }
        }

        return (PackTiles(w, wOff, 1, d.C, 0, kh * kw, source.ToArray()), off.ToArray(), off.Count);
    }

    // Images n0 .. n0 + 15: dy into lanes, the four phases, then dx out of lanes.
    private static void Stride2Group(float[] dy, int dyOff, (float[] Wp, int[] Off, int Taps)[] phases, float[] dx, Conv.Dims d,
        Stride2Plan p, int n0, int threads)
    {
        int cnt = Math.Min(LaneCount, d.N - n0);
        float[] xt = ScratchMemory.Rent<float>(p.Dy.XLength);
        float[] yt = ScratchMemory.Rent<float>(p.Blocks * MR * p.PlaneY);
        try
        {
            LanesIn(dy, dyOff, xt, p.DyDims, p.Dy, n0, cnt);
            if (threads > 1)
            {
                Parallel.For(0, 4, Workers.Options, ph => Phase(xt, phases[ph], yt, d, p, ph >> 1, ph & 1));
            }
            else
            {
                for (int ph = 0; ph < 4; ph++)
                {
                    Phase(xt, phases[ph], yt, d, p, ph >> 1, ph & 1);
                }
            }

            LanesOut(yt, null, 0, dx, new LaneOutput(1, d.C, d.H, d.W, p.Wy, p.Blocks, p.PlaneY), n0, cnt);
        }
        finally
        {
            ScratchMemory.Return(xt);
            ScratchMemory.Return(yt);
        }
    }

    // dx positions (2i' + a, 2j' + b): two phase columns per tile, written 2 positions apart.
    private static void Phase(float[] xt, (float[] Wp, int[] Off, int Taps) ph, float[] yt, Conv.Dims d, Stride2Plan p, int a, int b)
    {
        int rows = (d.H - a + 1) / 2, cols = (d.W - b + 1) / 2;
        fixed (float* x0 = xt, w0 = ph.Wp, y0 = yt)
        fixed (int* off0 = ph.Off)
        {
            for (int i = 0; i < rows; i++)
            {
                for (int j = 0; j < cols; j += 2)
                {
                    float* xs = x0 + ((((long)i * p.Dy.Wp) + j) * LaneCount);
                    float* ys = y0 + (((((long)((2 * i) + a)) * p.Wy) + (2 * j) + b) * LaneCount);
                    for (int cb = 0; cb < p.Blocks; cb++)
                    {
                        Kernel8x2(ph.Taps, w0 + ((long)cb * ph.Taps * MR), off0, xs, ys + ((long)cb * MR * p.PlaneY), p.PlaneY, LaneCount, 2 * LaneCount);
                    }
                }
            }
        }
    }
}
