using System.Numerics;
using System.Runtime.Intrinsics;

namespace Nabla.Ops.Kernels;

/// <summary>Batch-norm kernels over contiguous (N, C, S) data, one channel at a time (channels in parallel).</summary>
internal static class Normalization
{
    /// <summary>
    /// Per channel c: μ = mean, σ² = biased variance (two-pass, for accuracy), r = 1/√(σ² + ε), and
    /// y = (x − μ)·r·γ + β (γ = 1, β = 0 when absent).
    /// </summary>
    public static void BatchNormForward<T>(T[] x, int xOffset, T[] y, int n, int c, int s, T[]? gamma, T[]? beta,
        T eps, T[] mean, T[] invStd) where T : unmanaged, IFloatingPointIeee754<T>
    {
        Parallel.For(0, c, Options(n * s * c), ch =>
        {
            T count = T.CreateTruncating(n * s);
            T sum = T.Zero;
            for (int i = 0; i < n; i++)
            {
                sum += System.Numerics.Tensors.TensorPrimitives.Sum(new ReadOnlySpan<T>(x, xOffset + (((i * c) + ch) * s), s));
            }

            T mu = sum / count;
            T sq = T.Zero;
            for (int i = 0; i < n; i++)
            {
                sq += SumSquaredDeviation(new ReadOnlySpan<T>(x, xOffset + (((i * c) + ch) * s), s), mu);
            }

            T r = T.One / T.Sqrt((sq / count) + eps);
            mean[ch] = mu;
            invStd[ch] = r;
            T scale = r * (gamma is null ? T.One : gamma[ch]);
            T shift = (beta is null ? T.Zero : beta[ch]) - (mu * scale);
            for (int i = 0; i < n; i++)
            {
                int at = ((i * c) + ch) * s;
                Affine(new ReadOnlySpan<T>(x, xOffset + at, s), scale, shift, new Span<T>(y, at, s));
            }
        });
    }

    /// <summary>
    /// dβ = Σ dy, dγ = Σ dy·x̂ and dx = γ·r/M·(M·dy − Σdy − x̂·Σ dy·x̂) per channel, with x̂ = (x − μ)·r and M = N·S.
    /// </summary>
    public static void BatchNormBackward<T>(T[] x, int xOffset, T[] dy, int dyOffset, T[] dx, int n, int c, int s,
        T[]? gamma, T[] mean, T[] invStd, T[] dGamma, T[] dBeta) where T : unmanaged, IFloatingPointIeee754<T>
    {
        Parallel.For(0, c, Options(n * s * c), ch =>
        {
            T mu = mean[ch], r = invStd[ch];
            T sumDy = T.Zero, sumDyXc = T.Zero;
            for (int i = 0; i < n; i++)
            {
                int at = ((i * c) + ch) * s;
                var (sg, sgx) = SumAndDotCentered(new ReadOnlySpan<T>(dy, dyOffset + at, s), new ReadOnlySpan<T>(x, xOffset + at, s), mu);
                sumDy += sg;
                sumDyXc += sgx;
            }

            T m = T.CreateTruncating(n * s);
            T gm = gamma is null ? T.One : gamma[ch];
            dBeta[ch] = sumDy;
            dGamma[ch] = sumDyXc * r;

            // dx = k·(dy − Σdy/M − (x − μ)·r²·Σdy(x − μ)/M) with k = γ·r, i.e. dx = a·dy + b·x + e.
            T k = gm * r, meanDy = sumDy / m, coef = r * r * sumDyXc / m;
            T a = k, b = -k * coef, e = k * ((coef * mu) - meanDy);
            for (int i = 0; i < n; i++)
            {
                int at = ((i * c) + ch) * s;
                LinearCombination(new ReadOnlySpan<T>(dy, dyOffset + at, s), a, new ReadOnlySpan<T>(x, xOffset + at, s), b, e, new Span<T>(dx, at, s));
            }
        });
    }

    private static ParallelOptions Options(long work) =>
        new() { MaxDegreeOfParallelism = work < 32768 ? 1 : Workers.Count };

    private static T SumSquaredDeviation<T>(ReadOnlySpan<T> x, T mu) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int i = 0;
        T acc = T.Zero;
        if (Vector512.IsHardwareAccelerated && x.Length >= Vector512<T>.Count)
        {
            var vm = Vector512.Create(mu);
            var va = Vector512<T>.Zero;
            for (; i <= x.Length - Vector512<T>.Count; i += Vector512<T>.Count)
            {
                var d = Vector512.Create(x[i..]) - vm;
                va += d * d;
            }

            acc = Vector512.Sum(va);
        }

        for (; i < x.Length; i++)
        {
            T d = x[i] - mu;
            acc += d * d;
        }

        return acc;
    }

    // (Σ g, Σ g·(x − μ)) in one pass over g and x.
    private static (T Sum, T Dot) SumAndDotCentered<T>(ReadOnlySpan<T> g, ReadOnlySpan<T> x, T mu) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int i = 0;
        T sum = T.Zero, dot = T.Zero;
        if (Vector512.IsHardwareAccelerated && x.Length >= Vector512<T>.Count)
        {
            var vm = Vector512.Create(mu);
            Vector512<T> vs = Vector512<T>.Zero, vd = Vector512<T>.Zero;
            for (; i <= x.Length - Vector512<T>.Count; i += Vector512<T>.Count)
            {
                var gv = Vector512.Create(g[i..]);
                vs += gv;
                vd += gv * (Vector512.Create(x[i..]) - vm);
            }

            (sum, dot) = (Vector512.Sum(vs), Vector512.Sum(vd));
        }

        for (; i < x.Length; i++)
        {
            sum += g[i];
            dot += g[i] * (x[i] - mu);
        }

        return (sum, dot);
    }

    // y = x·scale + shift in one pass.
    private static void Affine<T>(ReadOnlySpan<T> x, T scale, T shift, Span<T> y) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            var vs = Vector512.Create(scale);
            var vt = Vector512.Create(shift);
            for (; i <= x.Length - Vector512<T>.Count; i += Vector512<T>.Count)
            {
                ((Vector512.Create(x[i..]) * vs) + vt).CopyTo(y[i..]);
            }
        }

        for (; i < x.Length; i++)
        {
            y[i] = (x[i] * scale) + shift;
        }
    }

    // d = a·g + b·x + e in one pass.
    private static void LinearCombination<T>(ReadOnlySpan<T> g, T a, ReadOnlySpan<T> x, T b, T e, Span<T> d)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            var va = Vector512.Create(a);
            var vb = Vector512.Create(b);
            var ve = Vector512.Create(e);
            for (; i <= x.Length - Vector512<T>.Count; i += Vector512<T>.Count)
            {
                var t = (Vector512.Create(x[i..]) * vb) + ve;
                ((Vector512.Create(g[i..]) * va) + t).CopyTo(d[i..]);
            }
        }

        for (; i < x.Length; i++)
        {
            d[i] = (a * g[i]) + ((b * x[i]) + e);
        }
    }
}
