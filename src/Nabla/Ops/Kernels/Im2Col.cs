// im2col / col2im for 2-D convolution (Chellapilla et al. 2006; Caffe's im2col_cpu).
//
// For one image x[C, H, W] the column matrix has one row per (c, ki, kj), r = (c·kH + ki)·kW + kj, and one
// column per output position p = oh·OW + ow:
//
//   col[r, p] = x[c, oh·sH − pH + ki·dH, ow·sW − pW + kj·dW]   (0 where that falls in the zero padding)
//
// so that the convolution of one group is one GEMM: y_g[Og, P] = w_g[Og, Cg·kH·kW] · col_g[Cg·kH·kW, P].
// Several images can share one column matrix side by side (image i at columns i·P .. i·P + P − 1, row
// length ldCol), which folds the batch into the GEMM's n dimension. col2im is the adjoint: it adds every
// col[r, p] back to the input element it was copied from.
//
// For each (c, ki, kj) the valid output columns [owLo, owHi) are computed once, so the inner loop has no
// bounds tests: a run of OW values is a zero head, a strided (or, for stride 1, contiguous) copy and a
// zero tail.
using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Nabla.Ops.Kernels;

/// <summary>Kernel size, stride, zero padding, dilation and groups of a 2-D convolution.</summary>
/// <remarks>Output size per axis: floor((n + 2p − d(k − 1) − 1) / s) + 1 (PyTorch's <c>Conv2d</c> formula).</remarks>
internal readonly record struct ConvGeometry(int KernelH, int KernelW, int StrideH, int StrideW,
    int PadH, int PadW, int DilationH, int DilationW, int Groups)
{
    /// <summary>Output height for an input of height h (may be ≤ 0 when the kernel does not fit).</summary>
    public int OutH(int h) => OutSize(h, KernelH, StrideH, PadH, DilationH);

    /// <summary>Output width for an input of width w (may be ≤ 0 when the kernel does not fit).</summary>
    public int OutW(int w) => OutSize(w, KernelW, StrideW, PadW, DilationW);

    /// <summary>True for a 1×1 kernel with stride 1 and no padding: the column matrix is the input itself.</summary>
    public bool IsPointwise => KernelH == 1 && KernelW == 1 && StrideH == 1 && StrideW == 1 && PadH == 0 && PadW == 0;

    private static int OutSize(int n, int k, int s, int p, int d)
    {
        long num = (long)n + (2L * p) - ((long)d * (k - 1)) - 1;
        return num < 0 ? 0 : (int)(num / s) + 1;
    }

    /// <inheritdoc/>
    public override string ToString() =>
        $"kernel=({KernelH}, {KernelW}), stride=({StrideH}, {StrideW}), padding=({PadH}, {PadW}), dilation=({DilationH}, {DilationW}), groups={Groups}";
}

/// <summary>im2col and col2im on one image (channels [c0, c1)), for the convolution drivers in <see cref="Conv"/>.</summary>
internal static class Im2Col
{
    /// <summary>
    /// Writes the rows of channels [c0, c1) of image x (at xOff, [C, H, W]) into col (row r at colOff + r·ldCol,
    /// P = oh·ow columns from there).
    /// </summary>
    public static void Forward<T>(T[] x, int xOff, int h, int w, int c0, int c1, ConvGeometry g, int oh, int ow,
        T[] col, int colOff, int ldCol) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int kh = g.KernelH, kw = g.KernelW, p = oh * ow;
        Span<int> lo = stackalloc int[kw], hi = stackalloc int[kw];
        ValidColumns(g, w, ow, lo, hi);
        for (int c = c0; c < c1; c++)
        {
            for (int ki = 0; ki < kh; ki++)
            {
                for (int kj = 0; kj < kw; kj++)
                {
                    int r = (((c * kh) + ki) * kw) + kj;
                    var dst = col.AsSpan(colOff + (r * ldCol), p);
                    int owLo = lo[kj], owHi = hi[kj];
                    int iw0 = (owLo * g.StrideW) - g.PadW + (kj * g.DilationW);
                    for (int o = 0; o < oh; o++)
                    {
                        int ih = (o * g.StrideH) - g.PadH + (ki * g.DilationH);
                        var d = dst.Slice(o * ow, ow);
                        if ((uint)ih >= (uint)h || owLo >= owHi)
                        {
                            d.Clear();
                            continue;
                        }

                        if (owLo > 0)
                        {
                            d[..owLo].Clear();
                        }

                        int src = xOff + (((c * h) + ih) * w) + iw0;
                        int len = owHi - owLo, vlen = (len + Vector<T>.Count - 1) / Vector<T>.Count * Vector<T>.Count;
                        if (g.StrideW == 1 && (o * ow) + owLo + vlen <= p && src + vlen <= x.Length)
                        {
                            // Short runs (LeNet: 10 values): whole vectors, the overrun lands in the tail (cleared
                            // below) or in the next run of this row (written next), never outside this image's columns.
                            ref T s0 = ref x[src];
                            ref T d0 = ref d[owLo];
                            for (int j = 0; j < len; j += Vector<T>.Count)
                            {
                                Vector.LoadUnsafe(ref s0, (nuint)j).StoreUnsafe(ref d0, (nuint)j);
                            }
                        }
                        else if (g.StrideW == 1)
                        {
                            x.AsSpan(src, len).CopyTo(d[owLo..owHi]);
                        }
                        else
                        {
                            for (int j = owLo, s = src; j < owHi; j++, s += g.StrideW)
                            {
                                d[j] = x[s];
                            }
                        }

                        if (owHi < ow)
                        {
                            d[owHi..].Clear();
                        }
                    }
                }
            }
        }
    }

    /// <summary>
    /// The adjoint of <see cref="Forward"/>: adds the rows of channels [c0, c1) of col into image x (at xOff),
    /// which the caller has initialised (normally to zero).
    /// </summary>
    public static void Backward<T>(T[] col, int colOff, int ldCol, int h, int w, int c0, int c1, ConvGeometry g,
        int oh, int ow, T[] x, int xOff) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int kh = g.KernelH, kw = g.KernelW;
        Span<int> lo = stackalloc int[kw], hi = stackalloc int[kw];
        ValidColumns(g, w, ow, lo, hi);
        for (int c = c0; c < c1; c++)
        {
            for (int ki = 0; ki < kh; ki++)
            {
                for (int kj = 0; kj < kw; kj++)
                {
                    int r = (((c * kh) + ki) * kw) + kj;
                    int owLo = lo[kj], owHi = hi[kj];
                    if (owLo >= owHi)
                    {
                        continue;
                    }

                    int iw0 = (owLo * g.StrideW) - g.PadW + (kj * g.DilationW);
                    for (int o = 0; o < oh; o++)
                    {
                        int ih = (o * g.StrideH) - g.PadH + (ki * g.DilationH);
                        if ((uint)ih >= (uint)h)
                        {
                            continue;
                        }

                        int srcOff = colOff + (r * ldCol) + (o * ow) + owLo;
                        int dst = xOff + (((c * h) + ih) * w) + iw0;
                        if (g.StrideW == 1)
                        {
                            var dx = x.AsSpan(dst, owHi - owLo);
                            TensorPrimitives.Add(dx, col.AsSpan(srcOff, owHi - owLo), dx);
                        }
                        else if (g.StrideW == 2 && typeof(T) == typeof(float) && Vector512.IsHardwareAccelerated)
                        {
                            AddStride2(Unsafe.As<float[]>(col), srcOff, Unsafe.As<float[]>(x), dst, owHi - owLo);
                        }
                        else
                        {
                            for (int j = owLo, s = srcOff, t = dst; j < owHi; j++, s++, t += g.StrideW)
                            {
                                x[t] += col[s];
                            }
                        }
                    }
                }
            }
        }
    }

    // x[dst + 2j] += col[src + j] for j < n: 16 values of col spread over the even lanes of two vectors of x (one
    // two-source permute with zeros each), masked at the end (reads and writes nothing past x[dst + 2n − 2]).
    private static unsafe void AddStride2(float[] col, int src, float[] x, int dst, int n)
    {
        var lane = Vector512<int>.Indices;
        var half = lane >>> 1;                               // 0,0,1,1,…,7,7
        var odd = Vector512.Equals(lane & Vector512<int>.One, Vector512<int>.One);
        var lowIdx = Vector512.ConditionalSelect(odd, Vector512.Create(16), half);   // odd lanes take a zero of the second source
        var highIdx = Vector512.ConditionalSelect(odd, Vector512.Create(16), half + Vector512.Create(8));
        fixed (float* c0 = col, x0 = x)
        {
            float* c = c0 + src, t = x0 + dst;
            for (int j = 0; j < n; j += 16, c += 16, t += 32)
            {
                int m = Math.Min(16, n - j), span = (2 * m) - 1; // x values touched: t[0 .. 2m − 2]
                var cm = Vector512.LessThan(lane, Vector512.Create(m)).AsSingle();
                var m0 = Vector512.LessThan(lane, Vector512.Create(span)).AsSingle();
                var m1 = Vector512.LessThan(lane, Vector512.Create(span - 16)).AsSingle();
                var v = Avx512F.MaskLoad(c, cm, Vector512<float>.Zero);
                var lo = Avx512F.PermuteVar16x32x2(v, lowIdx, Vector512<float>.Zero);
                var hi = Avx512F.PermuteVar16x32x2(v, highIdx, Vector512<float>.Zero);
                Avx512F.MaskStore(t, m0, Avx512F.MaskLoad(t, m0, Vector512<float>.Zero) + lo);
                Avx512F.MaskStore(t + 16, m1, Avx512F.MaskLoad(t + 16, m1, Vector512<float>.Zero) + hi);
            }
        }
    }

    // For each kernel column kj, the output columns [lo, hi) whose input column iw = ow·sW − pW + kj·dW is in [0, w).
    private static void ValidColumns(ConvGeometry g, int w, int ow, Span<int> lo, Span<int> hi)
    {
        for (int kj = 0; kj < lo.Length; kj++)
        {
            int shift = (kj * g.DilationW) - g.PadW; // iw = ow·sW + shift
            int l = shift >= 0 ? 0 : (-shift + g.StrideW - 1) / g.StrideW;
            int last = w - 1 - shift; // ow·sW ≤ last
            int u = last < 0 ? 0 : (last / g.StrideW) + 1;
            lo[kj] = Math.Min(l, ow);
            hi[kj] = Math.Clamp(u, lo[kj], ow);
        }
    }
}
