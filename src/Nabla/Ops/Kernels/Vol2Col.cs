// vol2col / col2vol and the three 3-D convolution kernels (forward, input gradient, weight gradient), the
// volumetric counterpart of Im2Col.cs and Conv.cs (Caffe's and PyTorch's vol2col, slow_conv3d).
//
// For one volume x[C, D, H, W] the column matrix has one row per (c, kd, kh, kw),
// r = ((c·kD + kd)·kH + kh)·kW + kw, and one column per output position p = (od·OH + oh)·OW + ow:
//
//   col[r, p] = x[c, od·sD − pD + kd·dD, oh·sH − pH + kh·dH, ow·sW − pW + kw·dW]   (0 in the zero padding)
//
// so that one group of one volume is one GEMM: y_g[Og, P] = w_g[Og, Cg·kD·kH·kW] · col_g[Cg·kD·kH·kW, P].
//   forward      y_g  = w_g · col_g
//   input grad   dcol_g = w_gᵀ · dy_g, then col2vol (the adjoint of vol2col: adds each entry back where it came from)
//   weight grad  dw_g += dy_g · col_gᵀ   (summed over the batch)
// Volumes are processed one at a time (a column matrix holds kD·kH·kW copies of a volume; folding the batch in as
// Conv.cs does for small images would multiply that); the GEMM itself uses the worker threads, and vol2col/col2vol
// split the channels between them.
using System.Numerics;
using System.Numerics.Tensors;

namespace Nabla.Ops.Kernels;

/// <summary>Kernel size, stride, zero padding and dilation per axis (depth, height, width) and groups of a 3-D convolution.</summary>
/// <remarks>Output size per axis: floor((n + 2p − d(k − 1) − 1) / s) + 1 (PyTorch's <c>Conv3d</c> formula).</remarks>
internal readonly record struct Conv3dGeometry((int D, int H, int W) Kernel, (int D, int H, int W) Stride,
    (int D, int H, int W) Padding, (int D, int H, int W) Dilation, int Groups)
{
    /// <summary>Output sizes for an input of sizes (d, h, w) (each may be ≤ 0 when the kernel does not fit).</summary>
    public (int D, int H, int W) Out(int d, int h, int w) =>
        (OutSize(d, Kernel.D, Stride.D, Padding.D, Dilation.D), OutSize(h, Kernel.H, Stride.H, Padding.H, Dilation.H),
         OutSize(w, Kernel.W, Stride.W, Padding.W, Dilation.W));

    /// <summary>True for a 1×1×1 kernel with stride 1 and no padding: the column matrix is the input itself.</summary>
    public bool IsPointwise => Kernel == (1, 1, 1) && Stride == (1, 1, 1) && Padding == (0, 0, 0);

    /// <summary>True when every size is positive and every padding non-negative.</summary>
    public bool IsValid => Kernel.D >= 1 && Kernel.H >= 1 && Kernel.W >= 1 && Stride.D >= 1 && Stride.H >= 1 && Stride.W >= 1
        && Dilation.D >= 1 && Dilation.H >= 1 && Dilation.W >= 1 && Padding.D >= 0 && Padding.H >= 0 && Padding.W >= 0 && Groups >= 1;

    private static int OutSize(int n, int k, int s, int p, int d)
    {
        long num = (long)n + (2L * p) - ((long)d * (k - 1)) - 1;
        return num < 0 ? 0 : (int)(num / s) + 1;
    }

    /// <inheritdoc/>
    public override string ToString() => $"kernel={Kernel}, stride={Stride}, padding={Padding}, dilation={Dilation}, groups={Groups}";
}

/// <summary>3-D convolution drivers on contiguous arrays ([N, C, D, H, W] input, [O, C/groups, kD, kH, kW] weight).</summary>
internal static class Conv3dKernel
{
    /// <summary>Sizes of one 3-D convolution: x [N, C, D, H, W], w [O, C/G, kD, kH, kW], y [N, O, OD, OH, OW].</summary>
    internal readonly record struct Dims(int N, int C, int D, int H, int W, int O, Conv3dGeometry G)
    {
        public (int D, int H, int W) Out => G.Out(D, H, W);
        public int P => Out.D * Out.H * Out.W;
        public int Cg => C / G.Groups;
        public int Og => O / G.Groups;
        public int Taps => G.Kernel.D * G.Kernel.H * G.Kernel.W;
        public int K => Cg * Taps;
        public int ImageX => C * D * H * W;
        public int ImageY => O * P;
        public int ColRows => C * Taps;
    }

    /// <summary>y = conv3d(x, w) + b.</summary>
    public static void Forward<T>(T[] x, int xOff, T[] w, int wOff, T[]? b, int bOff, T[] y, Dims d)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int p = d.P, og = d.Og, k = d.K;
        T[] col = ScratchMemory.Rent<T>(d.G.IsPointwise ? 0 : d.ColRows * p);
        try
        {
            for (int n = 0; n < d.N; n++)
            {
                var (src, srcOff) = Columns(x, xOff + (n * d.ImageX), d, col);
                int yOff = n * d.ImageY;
                for (int g = 0; g < d.G.Groups; g++)
                {
                    Gemm.Multiply(false, false, og, p, k, w, wOff + (g * og * k), k, src, srcOff + (g * k * p), p, y, yOff + (g * og * p), p, false);
                }

                for (int o = 0; b is not null && o < d.O; o++)
                {
                    var row = y.AsSpan(yOff + (o * p), p);
                    TensorPrimitives.Add(row, b[bOff + o], row);
                }
            }
        }
        finally
        {
            ScratchMemory.Return(col);
        }
    }

    /// <summary>dx = conv3dᵀ(dy, w): the gradient of conv3d(x, w) with respect to x (a transposed convolution).</summary>
    public static void InputGrad<T>(T[] dy, int dyOff, T[] w, int wOff, T[] dx, Dims d)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int p = d.P, og = d.Og, k = d.K;
        bool direct = d.G.IsPointwise;
        T[] dcol = ScratchMemory.Rent<T>(direct ? 0 : d.ColRows * p);
        try
        {
            dx.AsSpan(0, d.N * d.ImageX).Clear();
            for (int n = 0; n < d.N; n++)
            {
                var (dst, dstOff) = direct ? (dx, n * d.ImageX) : (dcol, 0);
                for (int g = 0; g < d.G.Groups; g++)
                {
                    Gemm.Multiply(true, false, k, p, og, w, wOff + (g * og * k), k, dy, dyOff + (n * d.ImageY) + (g * og * p), p,
                        dst, dstOff + (g * k * p), p, false);
                }

                if (!direct)
                {
                    int xOff = n * d.ImageX;
                    Split(d, c0c1 => Col2Vol(dcol, dx, xOff, d, c0c1.C0, c0c1.C1));
                }
            }
        }
        finally
        {
            ScratchMemory.Return(dcol);
        }
    }

    /// <summary>dw = Σₙ dyₙ · colₙᵀ: the gradient of conv3d(x, w) with respect to w.</summary>
    public static void WeightGrad<T>(T[] x, int xOff, T[] dy, int dyOff, T[] dw, Dims d)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int p = d.P, og = d.Og, k = d.K;
        T[] col = ScratchMemory.Rent<T>(d.G.IsPointwise ? 0 : d.ColRows * p);
        try
        {
            dw.AsSpan(0, d.O * k).Clear();
            for (int n = 0; n < d.N; n++)
            {
                var (cs, csOff) = Columns(x, xOff + (n * d.ImageX), d, col);
                for (int g = 0; g < d.G.Groups; g++)
                {
                    Gemm.Multiply(false, true, og, k, p, dy, dyOff + (n * d.ImageY) + (g * og * p), p, cs, csOff + (g * k * p), p,
                        dw, g * og * k, k, true);
                }
            }
        }
        finally
        {
            ScratchMemory.Return(col);
        }
    }

    // The column matrix of the volume at x[xOff] (the volume itself for a pointwise convolution).
    private static (T[] Data, int Offset) Columns<T>(T[] x, int xOff, Dims d, T[] col)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (d.G.IsPointwise)
        {
            return (x, xOff);
        }

        Split(d, c => Vol2Col(x, xOff, d, c.C0, c.C1, col));
        return (col, 0);
    }

    // Runs body on channel ranges [C0, C1) that partition [0, C), split between threads when the work is large.
    private static void Split(Dims d, Action<(int C0, int C1)> body)
    {
        int parts = (long)d.ColRows * d.P >= (1 << 15) ? Math.Min(Workers.Count, d.C) : 1;
        Conv.For(parts, (long)d.ColRows * d.P, t => body((d.C * t / parts, d.C * (t + 1) / parts)));
    }

    // col rows of channels [c0, c1) from the volume at x[xOff]; see the top of the file.
    private static void Vol2Col<T>(T[] x, int xOff, Dims d, int c0, int c1, T[] col)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var (g, o) = (d.G, d.Out);
        int p = d.P;
        for (int c = c0; c < c1; c++)
        {
            for (int tap = 0; tap < d.Taps; tap++)
            {
                var (kd, kh, kw) = (tap / (g.Kernel.H * g.Kernel.W), tap / g.Kernel.W % g.Kernel.H, tap % g.Kernel.W);
                var row = col.AsSpan(((c * d.Taps) + tap) * p, p);
                var (lo, hi) = ValidColumns(kw, g, d.W, o.W);
                for (int od = 0, q = 0; od < o.D; od++)
                {
                    int id = (od * g.Stride.D) - g.Padding.D + (kd * g.Dilation.D);
                    for (int oh = 0; oh < o.H; oh++, q += o.W)
                    {
                        int ih = (oh * g.Stride.H) - g.Padding.H + (kh * g.Dilation.H);
                        var run = row.Slice(q, o.W);
                        if ((uint)id >= (uint)d.D || (uint)ih >= (uint)d.H || lo >= hi)
                        {
                            run.Clear();
                            continue;
                        }

                        run[..lo].Clear();
                        run[hi..].Clear();
                        int src = xOff + (((((c * d.D) + id) * d.H) + ih) * d.W) + (lo * g.Stride.W) - g.Padding.W + (kw * g.Dilation.W);
                        if (g.Stride.W == 1)
                        {
                            x.AsSpan(src, hi - lo).CopyTo(run[lo..hi]);
                            continue;
                        }

                        for (int j = lo; j < hi; j++, src += g.Stride.W)
                        {
                            run[j] = x[src];
                        }
                    }
                }
            }
        }
    }

    // The adjoint of Vol2Col: adds the rows of channels [c0, c1) of col into the volume at x[xOff].
    private static void Col2Vol<T>(T[] col, T[] x, int xOff, Dims d, int c0, int c1)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var (g, o) = (d.G, d.Out);
        int p = d.P;
        for (int c = c0; c < c1; c++)
        {
            for (int tap = 0; tap < d.Taps; tap++)
            {
                var (kd, kh, kw) = (tap / (g.Kernel.H * g.Kernel.W), tap / g.Kernel.W % g.Kernel.H, tap % g.Kernel.W);
                int rowOff = ((c * d.Taps) + tap) * p;
                var (lo, hi) = ValidColumns(kw, g, d.W, o.W);
                for (int od = 0, q = 0; od < o.D && lo < hi; od++)
                {
                    int id = (od * g.Stride.D) - g.Padding.D + (kd * g.Dilation.D);
                    for (int oh = 0; oh < o.H; oh++, q += o.W)
                    {
                        int ih = (oh * g.Stride.H) - g.Padding.H + (kh * g.Dilation.H);
                        if ((uint)id >= (uint)d.D || (uint)ih >= (uint)d.H)
                        {
                            continue;
                        }

                        int dst = xOff + (((((c * d.D) + id) * d.H) + ih) * d.W) + (lo * g.Stride.W) - g.Padding.W + (kw * g.Dilation.W);
                        if (g.Stride.W == 1)
                        {
                            var t = x.AsSpan(dst, hi - lo);
                            TensorPrimitives.Add(t, col.AsSpan(rowOff + q + lo, hi - lo), t);
                            continue;
                        }

                        for (int j = lo, s = rowOff + q + lo; j < hi; j++, s++, dst += g.Stride.W)
                        {
                            x[dst] += col[s];
                        }
                    }
                }
            }
        }
    }

    // The output columns [lo, hi) whose input column iw = ow·sW − pW + kw·dW lies in [0, w).
    private static (int Lo, int Hi) ValidColumns(int kw, Conv3dGeometry g, int w, int ow)
    {
        int shift = (kw * g.Dilation.W) - g.Padding.W; // iw = ow·sW + shift
        int lo = shift >= 0 ? 0 : (-shift + g.Stride.W - 1) / g.Stride.W;
        int last = w - 1 - shift; // ow·sW ≤ last
        int hi = last < 0 ? 0 : (last / g.Stride.W) + 1;
        lo = Math.Min(lo, ow);
        return (lo, Math.Clamp(hi, lo, ow));
    }
}
