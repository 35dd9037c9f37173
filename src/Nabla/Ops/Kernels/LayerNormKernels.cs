// Layer normalisation over the last D elements of each row, fused: per row r of x [R, D]
//   μ = Σ x / D,  σ² = Σ (x − μ)² / D (two passes, as PyTorch's CPU kernel),  ρ = 1/√(σ² + ε),
//   y = (x − μ)·ρ·γ + β.
// Backward, with x̂ = (x − μ)·ρ and g = dy·γ:
//   dx = ρ·(g − mean(g) − x̂·mean(g·x̂)),  dγ = Σ_r dy·x̂,  dβ = Σ_r dy.
// Rows are split between threads; dγ and dβ are summed per thread and then added.
using System.Numerics;
using System.Numerics.Tensors;

namespace Nabla.Ops.Kernels;

internal static class LayerNormKernels
{
    /// <summary>y, and per row the mean and ρ = 1/√(σ² + ε), from x [rows, d] (γ, β of length d, or null).</summary>
    public static void Forward<T>(T[] x, int xOff, T[] y, int rows, int d, T[]? gamma, T[]? beta, T eps, T[] mean, T[] rstd)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T inv = T.One / T.CreateTruncating(d);
        Conv.For(rows, (long)rows * d, r =>
        {
            var xr = x.AsSpan(xOff + (r * d), d);
            var yr = y.AsSpan(r * d, d);
            T mu = TensorPrimitives.Sum<T>(xr) * inv;
            TensorPrimitives.Subtract(xr, mu, yr);
            T rho = T.One / T.Sqrt((TensorPrimitives.SumOfSquares<T>(yr) * inv) + eps);
            TensorPrimitives.Multiply(yr, rho, yr);
            if (gamma is not null)
            {
                TensorPrimitives.Multiply(yr, gamma, yr);
            }

            if (beta is not null)
            {
                TensorPrimitives.Add(yr, beta, yr);
            }

            (mean[r], rstd[r]) = (mu, rho);
        });
    }

    /// <summary>dx [rows, d], and dγ, dβ (when not null, overwritten) from dy, x and the saved mean and ρ.</summary>
    public static void Backward<T>(T[] x, int xOff, T[] dy, int dyOff, T[] dx, int rows, int d, T[]? gamma, T[] mean, T[] rstd,
        T[]? dGamma, T[]? dBeta)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int parts = rows >= 2 * Workers.Count && (long)rows * d >= (1 << 15) ? Workers.Count : 1;
        var partials = new T[parts][];
        T inv = T.One / T.CreateTruncating(d);
        Parallel.For(0, parts, Workers.Options, p =>
        {
            var acc = partials[p] = new T[2 * d]; // dγ then dβ of this part's rows
            var (xhat, g) = (new T[d], new T[d]);
            for (int r = (int)((long)rows * p / parts), end = (int)((long)rows * (p + 1) / parts); r < end; r++)
            {
                var xr = x.AsSpan(xOff + (r * d), d);
                var dyr = dy.AsSpan(dyOff + (r * d), d);
                var dxr = dx.AsSpan(r * d, d);
                TensorPrimitives.Subtract(xr, mean[r], xhat);
                TensorPrimitives.Multiply(xhat, rstd[r], xhat);
                if (gamma is null)
                {
                    dyr.CopyTo(g);
                }
                else
                {
                    TensorPrimitives.Multiply(dyr, gamma, g);
                }

                // dx = ρ·(g − mean(g) − x̂·mean(g·x̂))
                T mg = TensorPrimitives.Sum<T>(g) * inv, mgx = TensorPrimitives.Dot<T>(g, xhat) * inv;
                TensorPrimitives.MultiplyAdd(xhat, -mgx, g, dxr);
                TensorPrimitives.Subtract(dxr, mg, dxr);
                TensorPrimitives.Multiply(dxr, rstd[r], dxr);
                TensorPrimitives.MultiplyAdd(dyr, xhat, acc.AsSpan(0, d), acc.AsSpan(0, d));
                TensorPrimitives.Add(acc.AsSpan(d, d), dyr, acc.AsSpan(d, d));
            }
        });

        for (int p = 1; p < parts; p++)
        {
            TensorPrimitives.Add(partials[0], partials[p], partials[0]);
        }

        if (dGamma is not null)
        {
            partials[0].AsSpan(0, d).CopyTo(dGamma);
        }

        if (dBeta is not null)
        {
            partials[0].AsSpan(d, d).CopyTo(dBeta);
        }
    }
}
