// Max and average pooling on [planes, D, H, W] (planes = N·C), with the adjoint of average pooling; the
// volumetric counterpart of Pool.cs, on the same per-axis windows (PoolAxis), so padding, dilation, ceil_mode
// and the adaptive windows agree with PyTorch's CPU kernels (aten/src/ATen/native/cpu/MaxPoolKernel.cpp,
// AvgPoolKernel.cpp, AdaptiveAvgPoolKernel.cpp) axis by axis. Max pooling's adjoint is Pool.ScatterAdd over a
// plane of D·H·W elements.
using System.Numerics;

namespace Nabla.Ops.Kernels;

/// <summary>The windows of one 3-D pooling: one <see cref="PoolAxis"/> per spatial axis.</summary>
internal sealed record PoolAxes3d(PoolAxis D, PoolAxis H, PoolAxis W)
{
    /// <summary>Input elements per plane.</summary>
    public int InputVolume => D.Input * H.Input * W.Input;

    /// <summary>Output elements per plane.</summary>
    public int OutputVolume => D.Output * H.Output * W.Output;
}

/// <summary>3-D pooling kernels on contiguous [planes, D, H, W] arrays; parallel over planes.</summary>
internal static class Pool3d
{
    /// <summary>y = max over each window, idx = flat index (d·H + h)·W + w of the maximum (first one wins; NaN propagates).</summary>
    public static void MaxForward<T>(T[] x, int xOff, int planes, PoolAxes3d a, T[] y, long[] idx)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int vol = a.InputVolume, l = a.OutputVolume, h = a.H.Input, w = a.W.Input;
        Conv.For(planes, (long)planes * vol, c =>
        {
            int xb = xOff + (c * vol), o = c * l;
            for (int od = 0; od < a.D.Output; od++)
            {
                for (int oh = 0; oh < a.H.Output; oh++)
                {
                    for (int ow = 0; ow < a.W.Output; ow++, o++)
                    {
                        int best = (((a.D.Start[od] * h) + a.H.Start[oh]) * w) + a.W.Start[ow];
                        T max = T.NegativeInfinity;
                        for (int id = a.D.Start[od]; id < a.D.End[od]; id += a.D.Step)
                        {
                            for (int ih = a.H.Start[oh]; ih < a.H.End[oh]; ih += a.H.Step)
                            {
                                for (int iw = a.W.Start[ow], at = (((id * h) + ih) * w) + iw; iw < a.W.End[ow]; iw += a.W.Step, at += a.W.Step)
                                {
                                    T v = x[xb + at];
                                    if (v > max || T.IsNaN(v))
                                    {
                                        (max, best) = (v, at);
                                    }
                                }
                            }
                        }

                        (y[o], idx[o]) = (max, best);
                    }
                }
            }
        });
    }

    /// <summary>y = Σ window / divisor; divisor = override, or the window size with or without padding (PyTorch).</summary>
    public static void AvgForward<T>(T[] x, int xOff, int planes, PoolAxes3d a, bool countIncludePad, int divisor, T[] y)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int vol = a.InputVolume, l = a.OutputVolume, h = a.H.Input, w = a.W.Input;
        Conv.For(planes, (long)planes * vol, c =>
        {
            int xb = xOff + (c * vol), o = c * l;
            for (int od = 0; od < a.D.Output; od++)
            {
                for (int oh = 0; oh < a.H.Output; oh++)
                {
                    for (int ow = 0; ow < a.W.Output; ow++, o++)
                    {
                        T sum = T.Zero;
                        for (int id = a.D.Start[od]; id < a.D.End[od]; id++)
                        {
                            for (int ih = a.H.Start[oh]; ih < a.H.End[oh]; ih++)
                            {
                                int row = xb + (((id * h) + ih) * w);
                                for (int iw = a.W.Start[ow]; iw < a.W.End[ow]; iw++)
                                {
                                    sum += x[row + iw];
                                }
                            }
                        }

                        int div = Divisor(a, od, oh, ow, countIncludePad, divisor);
                        y[o] = div == 0 ? T.Zero : sum / T.CreateTruncating(div);
                    }
                }
            }
        });
    }

    /// <summary>The adjoint of <see cref="AvgForward"/>: dx = 0, then every window element += dy / divisor.</summary>
    public static void AvgBackward<T>(T[] dy, int dyOff, int planes, PoolAxes3d a, bool countIncludePad, int divisor, T[] dx)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int vol = a.InputVolume, l = a.OutputVolume, h = a.H.Input, w = a.W.Input;
        dx.AsSpan(0, planes * vol).Clear();
        Conv.For(planes, (long)planes * vol, c =>
        {
            int xb = c * vol, o = dyOff + (c * l);
            for (int od = 0; od < a.D.Output; od++)
            {
                for (int oh = 0; oh < a.H.Output; oh++)
                {
                    for (int ow = 0; ow < a.W.Output; ow++, o++)
                    {
                        int div = Divisor(a, od, oh, ow, countIncludePad, divisor);
                        if (div == 0)
                        {
                            continue;
                        }

                        T g = dy[o] / T.CreateTruncating(div);
                        for (int id = a.D.Start[od]; id < a.D.End[od]; id++)
                        {
                            for (int ih = a.H.Start[oh]; ih < a.H.End[oh]; ih++)
                            {
                                int row = xb + (((id * h) + ih) * w);
                                for (int iw = a.W.Start[ow]; iw < a.W.End[ow]; iw++)
                                {
                                    dx[row + iw] += g;
                                }
                            }
                        }
                    }
                }
            }
        });
    }

    // PyTorch: an empty clipped window gives 0; else divisor_override, or the padded or clipped window size.
    private static int Divisor(PoolAxes3d a, int od, int oh, int ow, bool countIncludePad, int divisor)
    {
        int d = a.D.End[od] - a.D.Start[od], h = a.H.End[oh] - a.H.Start[oh], w = a.W.End[ow] - a.W.Start[ow];
        if (d <= 0 || h <= 0 || w <= 0)
        {
            return 0;
        }

        return divisor > 0 ? divisor : countIncludePad ? a.D.Size[od] * a.H.Size[oh] * a.W.Size[ow] : d * h * w;
    }
}
