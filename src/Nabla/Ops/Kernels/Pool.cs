// Max and average pooling on [planes, H, W] (planes = N·C), with their adjoints.
//
// Every pooling variant (max/avg, padding, dilation, ceil_mode, adaptive) reduces to, per axis and per output
// index o, an input range [Start[o], End[o]) walked with step Step (the dilation), plus for average pooling the
// window size counted with padding (Size[o]). PoolAxis builds these ranges exactly as PyTorch's CPU kernels
// (aten/src/ATen/native/cpu/MaxPoolKernel.cpp, AvgPoolKernel.cpp, AdaptivePooling.h) compute them, so ties,
// padding and ceil_mode edge windows agree with PyTorch.
using System.Numerics;

namespace Nabla.Ops.Kernels;

/// <summary>The input range of every output index along one pooling axis.</summary>
internal sealed class PoolAxis
{
    private PoolAxis(int input, int[] start, int[] end, int[] size, int step)
    {
        (Input, Start, End, Size, Step) = (input, start, end, size, step);
    }

    /// <summary>Input length along this axis.</summary>
    public int Input { get; }

    /// <summary>Output length along this axis.</summary>
    public int Output => Start.Length;

    /// <summary>First input index of each window (inside the input).</summary>
    public int[] Start { get; }

    /// <summary>One past the last input index of each window (inside the input).</summary>
    public int[] End { get; }

    /// <summary>Window length counted with padding (average pooling's count_include_pad divisor).</summary>
    public int[] Size { get; }

    /// <summary>Step between window elements (the dilation).</summary>
    public int Step { get; }

    /// <summary>Kernel size, stride and padding of max-pooling windows (o·s − p + t·d, t &lt; k); null for other kinds.</summary>
    public (int K, int S, int P)? Uniform { get; private init; }

    /// <summary>True when output o covers exactly inputs 2o and 2o + 1 (kernel 2, stride 2, no padding, full windows).</summary>
    public bool IsPairs
    {
        get
        {
            for (int o = 0; o < Start.Length; o++)
            {
                if (Start[o] != 2 * o || End[o] != (2 * o) + 2 || Size[o] != 2 || Step != 1)
                {
                    return false;
                }
            }

            return true;
        }
    }

    /// <summary>
    /// PyTorch's pooling output size: floor-or-ceil((n + 2p − d(k − 1) − 1) / s) + 1, where with ceil_mode the
    /// last window must start inside the input or the left padding.
    /// </summary>
    public static int OutputSize(int n, int k, int s, int p, int d, bool ceilMode)
    {
        long num = (long)n + (2L * p) - ((long)d * (k - 1)) - 1 + (ceilMode ? s - 1 : 0);
        long o = (num < 0 ? -((-num + s - 1) / s) : num / s) + 1;
        if (ceilMode && (o - 1) * s >= (long)n + p)
        {
            o--;
        }

        return (int)o;
    }

    /// <summary>Max-pooling windows: start o·s − p, dilation d, clipped to the input (padding is −∞).</summary>
    public static PoolAxis Max(int n, int k, int s, int p, int d, int outSize)
    {
        var (st, en, sz) = (new int[outSize], new int[outSize], new int[outSize]);
        for (int o = 0; o < outSize; o++)
        {
            int a = (o * s) - p;
            int b = Math.Min(a + ((k - 1) * d) + 1, n);
            while (a < 0)
            {
                a += d;
            }

            (st[o], en[o], sz[o]) = (a, b, k);
        }

        return new PoolAxis(n, st, en, sz, d) { Uniform = (k, s, p) };
    }

    /// <summary>Average-pooling windows: [o·s − p, min(o·s − p + k, n + p)) counted with padding, then clipped.</summary>
    public static PoolAxis Avg(int n, int k, int s, int p, int outSize)
    {
        var (st, en, sz) = (new int[outSize], new int[outSize], new int[outSize]);
        for (int o = 0; o < outSize; o++)
        {
            int a = (o * s) - p;
            int b = Math.Min(a + k, n + p);
            (st[o], en[o], sz[o]) = (Math.Max(a, 0), Math.Min(b, n), b - a);
        }

        return new PoolAxis(n, st, en, sz, 1);
    }

    /// <summary>Adaptive windows: [floor(o·n / out), ceil((o + 1)·n / out)).</summary>
    public static PoolAxis Adaptive(int n, int outSize)
    {
        var (st, en, sz) = (new int[outSize], new int[outSize], new int[outSize]);
        for (int o = 0; o < outSize; o++)
        {
            int a = (int)((long)o * n / outSize);
            int b = (int)((((long)(o + 1) * n) + outSize - 1) / outSize);
            (st[o], en[o], sz[o]) = (a, b, b - a);
        }

        return new PoolAxis(n, st, en, sz, 1);
    }
}

/// <summary>Pooling kernels on contiguous [planes, H, W] arrays; parallel over planes.</summary>
internal static class Pool
{
    /// <summary>y = max over each window, idx = flat index h·W + w of the maximum (first one wins; NaN propagates).</summary>
    public static void MaxForward<T>(T[] x, int xOff, int planes, PoolAxis ah, PoolAxis aw, T[] y, long[] idx)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int w = aw.Input, hw = ah.Input * w, l = ah.Output * aw.Output;
        Conv.For(planes, (long)planes * hw, c =>
        {
            int xb = xOff + (c * hw), yb = c * l;
            for (int oh = 0; oh < ah.Output; oh++)
            {
                for (int ow = 0; ow < aw.Output; ow++)
                {
                    int best = (ah.Start[oh] * w) + aw.Start[ow];
                    T max = T.NegativeInfinity;
                    for (int ih = ah.Start[oh]; ih < ah.End[oh]; ih += ah.Step)
                    {
                        for (int iw = aw.Start[ow]; iw < aw.End[ow]; iw += aw.Step)
                        {
                            int at = (ih * w) + iw;
                            T v = x[xb + at];
                            if (v > max || T.IsNaN(v))
                            {
                                (max, best) = (v, at);
                            }
                        }
                    }

                    int o = yb + (oh * aw.Output) + ow;
                    (y[o], idx[o]) = (max, best);
                }
            }
        });
    }

    /// <summary>
    /// y = max over each window without the argmax (inference): per output row, the window's input rows are
    /// reduced element-wise into one row (vectorised); then, for max pooling's uniform windows, k − 1 shifted maxima
    /// over that row padded with −∞ and every s-th element, or, for adaptive windows, each output's columns in turn.
    /// NaN propagates as in <see cref="MaxForward{T}"/>; of −0 and +0 in one window either may be returned.
    /// </summary>
    public static void MaxValues<T>(T[] x, int xOff, int planes, PoolAxis ah, PoolAxis aw, T[] y)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int w = aw.Input, hw = ah.Input * w, l = ah.Output * aw.Output;
        var u = aw.Uniform ?? (1, 1, 0);
        bool uniform = aw.Uniform is not null && u.P < (u.S * (aw.Output - 1)) + (aw.Step * (u.K - 1)) + 1;

        // The reduced row sits at offset p of a buffer padded with −∞ on both sides (uniform windows), so output o
        // is the max of buffer[o·s + t·d], t < k.
        int span = uniform ? (u.S * (aw.Output - 1)) + (aw.Step * (u.K - 1)) + 1 : w;
        int used = uniform ? Math.Min(w, span - u.P) : w, at = uniform ? u.P : 0;
        Conv.For(planes, (long)planes * hw, c =>
        {
            Span<T> buf = span <= 2048 ? stackalloc T[span] : new T[span];
            Span<T> m = span <= 2048 ? stackalloc T[span] : new T[span];
            buf.Fill(T.NegativeInfinity);
            var row = buf.Slice(at, used);
            int xb = xOff + (c * hw), yb = c * l;
            for (int oh = 0; oh < ah.Output; oh++)
            {
                int ih = ah.Start[oh];
                x.AsSpan(xb + (ih * w), used).CopyTo(row);
                for (ih += ah.Step; ih < ah.End[oh]; ih += ah.Step)
                {
                    System.Numerics.Tensors.TensorPrimitives.Max(row, x.AsSpan(xb + (ih * w), used), row);
                }

                var yr = y.AsSpan(yb + (oh * aw.Output), aw.Output);
                if (uniform)
                {
                    Windows(buf, m, aw.Output, u.K, u.S, aw.Step, yr);
                }
                else
                {
                    Columns(row, aw, yr);
                }
            }
        });
    }

    // yr[o] = max over t < k of buf[o·s + t·d]: k − 1 vectorised passes, then every s-th element.
    private static void Windows<T>(Span<T> buf, Span<T> m, int outputs, int k, int s, int d, Span<T> yr)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int len = (s * (outputs - 1)) + 1;
        var mm = m[..len];
        buf[..len].CopyTo(mm);
        for (int t = 1; t < k; t++)
        {
            System.Numerics.Tensors.TensorPrimitives.Max(mm, buf.Slice(t * d, len), mm);
        }

        for (int o = 0; o < outputs; o++)
        {
            yr[o] = mm[o * s];
        }
    }

    // yr[o] = max of row over o's window (any window shapes: adaptive pooling).
    private static void Columns<T>(Span<T> row, PoolAxis aw, Span<T> yr)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int ow = 0; ow < yr.Length; ow++)
        {
            T max = T.NegativeInfinity;
            for (int iw = aw.Start[ow]; iw < aw.End[ow]; iw += aw.Step)
            {
                T v = row[iw];
                max = v > max || T.IsNaN(v) ? v : max;
            }

            yr[ow] = max;
        }
    }

    /// <summary>dx = 0, then dx[plane, idx] += dy (the adjoint of gathering by idx).</summary>
    public static void ScatterAdd<T>(T[] dy, int dyOff, long[] idx, int idxOff, int planes, int l, int hw, T[] dx)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        dx.AsSpan(0, planes * hw).Clear();
        Conv.For(planes, (long)planes * l, c =>
        {
            int xb = c * hw, yb = c * l;
            for (int j = 0; j < l; j++)
            {
                long at = idx[idxOff + yb + j];
                if ((ulong)at >= (ulong)hw)
                {
                    throw new ArgumentOutOfRangeException(nameof(idx), $"max_pool2d_backward: index {at} is out of range for a plane of {hw} elements");
                }

                dx[xb + (int)at] += dy[dyOff + yb + j];
            }
        });
    }

    /// <summary>y = Σ window / divisor; divisor = override, or the window size with or without padding (PyTorch).</summary>
    public static void AvgForward<T>(T[] x, int xOff, int planes, PoolAxis ah, PoolAxis aw, bool countIncludePad, int divisor, T[] y)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int w = aw.Input, hw = ah.Input * w, l = ah.Output * aw.Output;
        if (divisor <= 0 && ah.IsPairs && aw.IsPairs)
        {
            // 2×2 windows with stride 2 (LeNet's subsampling): no bounds, one multiply by ¼.
            T quarter = T.CreateTruncating(0.25);
            int ohn = ah.Output, own = aw.Output;
            Conv.For(planes, (long)planes * hw, c =>
            {
                int xb = xOff + (c * hw), yb = c * l;
                for (int oh = 0; oh < ohn; oh++)
                {
                    int r0 = xb + (2 * oh * w), r1 = r0 + w, yr = yb + (oh * own);
                    for (int ow = 0; ow < own; ow++)
                    {
                        y[yr + ow] = (x[r0 + (2 * ow)] + x[r0 + (2 * ow) + 1] + x[r1 + (2 * ow)] + x[r1 + (2 * ow) + 1]) * quarter;
                    }
                }
            });
            return;
        }

        Conv.For(planes, (long)planes * hw, c =>
        {
            int xb = xOff + (c * hw), yb = c * l;
            for (int oh = 0; oh < ah.Output; oh++)
            {
                for (int ow = 0; ow < aw.Output; ow++)
                {
                    T sum = T.Zero;
                    for (int ih = ah.Start[oh]; ih < ah.End[oh]; ih++)
                    {
                        for (int iw = aw.Start[ow]; iw < aw.End[ow]; iw++)
                        {
                            sum += x[xb + (ih * w) + iw];
                        }
                    }

                    int div = Divisor(ah, aw, oh, ow, countIncludePad, divisor);
                    y[yb + (oh * aw.Output) + ow] = div == 0 ? T.Zero : sum / T.CreateTruncating(div);
                }
            }
        });
    }

    /// <summary>The adjoint of <see cref="AvgForward"/>: dx = 0, then every window element += dy / divisor.</summary>
    public static void AvgBackward<T>(T[] dy, int dyOff, int planes, PoolAxis ah, PoolAxis aw, bool countIncludePad, int divisor, T[] dx)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int w = aw.Input, hw = ah.Input * w, l = ah.Output * aw.Output;
        dx.AsSpan(0, planes * hw).Clear();
        if (divisor <= 0 && ah.IsPairs && aw.IsPairs)
        {
            // Disjoint 2×2 windows: each input receives ¼ of its window's gradient (odd edges stay 0).
            T quarter = T.CreateTruncating(0.25);
            int ohn = ah.Output, own = aw.Output;
            Conv.For(planes, (long)planes * hw, c =>
            {
                int xb = c * hw, yb = dyOff + (c * l);
                for (int oh = 0; oh < ohn; oh++)
                {
                    int r0 = xb + (2 * oh * w), r1 = r0 + w, yr = yb + (oh * own);
                    for (int ow = 0; ow < own; ow++)
                    {
                        T g = dy[yr + ow] * quarter;
                        dx[r0 + (2 * ow)] = g;
                        dx[r0 + (2 * ow) + 1] = g;
                        dx[r1 + (2 * ow)] = g;
                        dx[r1 + (2 * ow) + 1] = g;
                    }
                }
            });
            return;
        }

        Conv.For(planes, (long)planes * hw, c =>
        {
            int xb = c * hw, yb = dyOff + (c * l);
            for (int oh = 0; oh < ah.Output; oh++)
            {
                for (int ow = 0; ow < aw.Output; ow++)
                {
                    int div = Divisor(ah, aw, oh, ow, countIncludePad, divisor);
                    if (div == 0)
                    {
                        continue;
                    }

                    T g = dy[yb + (oh * aw.Output) + ow] / T.CreateTruncating(div);
                    for (int ih = ah.Start[oh]; ih < ah.End[oh]; ih++)
                    {
                        for (int iw = aw.Start[ow]; iw < aw.End[ow]; iw++)
                        {
                            dx[xb + (ih * w) + iw] += g;
                        }
                    }
                }
            }
        });
    }

    // PyTorch: an empty clipped window gives 0; else divisor_override, or the padded or clipped window size.
    private static int Divisor(PoolAxis ah, PoolAxis aw, int oh, int ow, bool countIncludePad, int divisor)
    {
        int h = ah.End[oh] - ah.Start[oh], w = aw.End[ow] - aw.Start[ow];
        if (h <= 0 || w <= 0)
        {
            return 0;
        }

        return divisor > 0 ? divisor : countIncludePad ? ah.Size[oh] * aw.Size[ow] : h * w;
    }
}
