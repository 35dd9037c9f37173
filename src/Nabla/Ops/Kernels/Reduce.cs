using System.Numerics;
using System.Numerics.Tensors;

namespace Nabla.Ops.Kernels;

/// <summary>Reductions over the middle axis of a contiguous [outer, n, inner] block.</summary>
internal static class Reduce
{
    /// <summary>y[o, i] = Σⱼ x[o, j, i] for y of length outer·inner.</summary>
    public static void Sum<T>(ReadOnlySpan<T> x, int outer, int n, int inner, Span<T> y)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (inner == 1)
        {
            for (int o = 0; o < outer; o++)
            {
                y[o] = TensorPrimitives.Sum(x.Slice(o * n, n));
            }

            return;
        }

        y.Clear();
        for (int o = 0; o < outer; o++)
        {
            var yo = y.Slice(o * inner, inner);
            for (int j = 0; j < n; j++)
            {
                TensorPrimitives.Add(yo, x.Slice((o * n + j) * inner, inner), yo);
            }
        }
    }

    /// <summary>
    /// y[o, i] = maxⱼ x[o, j, i] and its first index (NaN wins, as in PyTorch); with <paramref name="min"/>, the minimum.
    /// </summary>
    public static void ArgMax<T>(ReadOnlySpan<T> x, int outer, int n, int inner, Span<T> y, Span<long> idx, bool min)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int o = 0; o < outer; o++)
        {
            for (int i = 0; i < inner; i++)
            {
                int baseIdx = o * n * inner + i;
                T best = x[baseIdx];
                int arg = 0;
                for (int j = 1; j < n && !T.IsNaN(best); j++)
                {
                    T v = x[baseIdx + j * inner];
                    if (T.IsNaN(v) || (min ? v < best : v > best))
                    {
                        best = v;
                        arg = j;
                    }
                }

                y[o * inner + i] = best;
                idx[o * inner + i] = arg;
            }
        }
    }
}
