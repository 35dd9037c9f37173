namespace Nabla.Tests.Convolution;

/// <summary>Naive double-precision loops, written from the definitions (independent of the library's kernels).</summary>
internal static class ConvReference
{
    public sealed record Cfg(int N, int C, int H, int W, int O, int KH, int KW, int SH = 1, int SW = 1, int PH = 0, int PW = 0,
        int DH = 1, int DW = 1, int G = 1, bool Bias = true)
    {
        public int OH => ((H + (2 * PH) - (DH * (KH - 1)) - 1) / SH) + 1;
        public int OW => ((W + (2 * PW) - (DW * (KW - 1)) - 1) / SW) + 1;
    }

    /// <summary>y = conv(x, w) + b, and for a given dy also dx, dw (the two adjoints by direct accumulation).</summary>
    public static (double[] Y, double[] Dx, double[] Dw) Conv(Cfg c, double[] x, double[] w, double[]? b, double[]? dy)
    {
        int cg = c.C / c.G, og = c.O / c.G;
        var y = new double[c.N * c.O * c.OH * c.OW];
        var dx = new double[x.Length];
        var dw = new double[w.Length];
        for (int n = 0; n < c.N; n++)
        {
            for (int o = 0; o < c.O; o++)
            {
                int g = o / og;
                for (int i = 0; i < c.OH; i++)
                {
                    for (int j = 0; j < c.OW; j++)
                    {
                        int yi = (((n * c.O) + o) * c.OH + i) * c.OW + j;
                        double s = b?[o] ?? 0;
                        for (int ci = 0; ci < cg; ci++)
                        {
                            for (int ki = 0; ki < c.KH; ki++)
                            {
                                for (int kj = 0; kj < c.KW; kj++)
                                {
                                    int ih = (i * c.SH) - c.PH + (ki * c.DH), iw = (j * c.SW) - c.PW + (kj * c.DW);
                                    if (ih < 0 || ih >= c.H || iw < 0 || iw >= c.W)
                                    {
                                        continue;
                                    }

                                    int xi = (((n * c.C) + (g * cg) + ci) * c.H + ih) * c.W + iw;
                                    int wi = (((o * cg) + ci) * c.KH + ki) * c.KW + kj;
                                    s += w[wi] * x[xi];
                                    if (dy is not null)
                                    {
                                        dx[xi] += w[wi] * dy[yi];
                                        dw[wi] += x[xi] * dy[yi];
                                    }
                                }
                            }
                        }

                        y[yi] = s;
                    }
                }
            }
        }

        return (y, dx, dw);
    }

    /// <summary>Pooling by definition: max (−∞ padding, first max wins, NaN propagates) or average.</summary>
    public static (double[] Y, long[] Idx) Pool(double[] x, int planes, int h, int w, int kh, int kw, int sh, int sw, int ph, int pw,
        int dh, int dw, bool ceil, bool max, bool countIncludePad = true, int divisor = 0)
    {
        int oh = OutSize(h, kh, sh, ph, dh, ceil), ow = OutSize(w, kw, sw, pw, dw, ceil);
        var y = new double[planes * oh * ow];
        var idx = new long[y.Length];
        for (int p = 0; p < planes; p++)
        {
            for (int i = 0; i < oh; i++)
            {
                for (int j = 0; j < ow; j++)
                {
                    double best = double.NegativeInfinity, sum = 0;
                    long at = -1;
                    int count = 0, padded = 0;
                    for (int ki = 0; ki < kh; ki++)
                    {
                        for (int kj = 0; kj < kw; kj++)
                        {
                            int ih = (i * sh) - ph + (ki * dh), iw = (j * sw) - pw + (kj * dw);
                            if (ih < h + ph && iw < w + pw)
                            {
                                padded++; // inside input + right/bottom padding (PyTorch's count_include_pad window)
                            }

                            if (ih < 0 || ih >= h || iw < 0 || iw >= w)
                            {
                                continue;
                            }

                            double v = x[(p * h * w) + (ih * w) + iw];
                            count++;
                            sum += v;
                            if (v > best || double.IsNaN(v) || at < 0)
                            {
                                if (v > best || double.IsNaN(v) || (at < 0 && v == best))
                                {
                                    (best, at) = (v, (ih * w) + iw);
                                }
                            }
                        }
                    }

                    int k = (p * oh * ow) + (i * ow) + j;
                    y[k] = max ? best : sum / (divisor > 0 ? divisor : countIncludePad ? padded : count);
                    idx[k] = at;
                }
            }
        }

        return (y, idx);
    }

    public static int OutSize(int n, int k, int s, int p, int d, bool ceil)
    {
        int num = n + (2 * p) - (d * (k - 1)) - 1;
        int o = (ceil ? (num + s - 1) / s : num / s) + 1;
        if (ceil && (o - 1) * s >= n + p)
        {
            o--;
        }

        return o;
    }

    public static double[] Random(int n, int seed)
    {
        var r = new System.Random(seed);
        var a = new double[n];
        for (int i = 0; i < n; i++)
        {
            a[i] = (r.NextDouble() * 2) - 1;
        }

        return a;
    }

    public static Tensor Make(double[] v, Shape s, DType dtype) =>
        dtype == DType.Float64 ? Tensor.FromArray((double[])v.Clone(), s) : Tensor.FromArray(Array.ConvertAll(v, e => (float)e), s);

    public static void Close(double[] expected, Tensor actual, double tol, string what)
    {
        var a = actual.ToDoubleArray();
        Assert.True(expected.Length == a.Length, $"{what}: length {a.Length}, expected {expected.Length}");
        for (int i = 0; i < a.Length; i++)
        {
            double e = expected[i];
            if (!(Math.Abs(e - a[i]) <= tol * (1 + Math.Abs(e))) && !(double.IsNaN(e) && double.IsNaN(a[i])) && e != a[i])
            {
                Assert.Fail($"{what}: element {i} is {a[i]}, expected {e} (tolerance {tol})");
            }
        }
    }
}
