namespace Nabla.Ops.Kernels;

/// <summary>Copies between strided layouts: the one kernel behind <c>Contiguous</c>, pad, cat and views.</summary>
internal static class Strided
{
    /// <summary>
    /// dst[dstOffset + Σ iₖ·dstStridesₖ] = src[srcOffset + Σ iₖ·srcStridesₖ] for every index i of
    /// <paramref name="shape"/>. The innermost dimension is copied as a span when both strides are 1.
    /// </summary>
    public static void Copy<T>(T[] src, int srcOffset, ReadOnlySpan<int> srcStrides,
        T[] dst, int dstOffset, ReadOnlySpan<int> dstStrides, ReadOnlySpan<int> shape)
    {
        int rank = shape.Length;
        foreach (var d in shape)
        {
            if (d == 0)
            {
                return;
            }
        }

        if (rank == 0)
        {
            dst[dstOffset] = src[srcOffset];
            return;
        }

        int inner = shape[rank - 1];
        int si = srcStrides[rank - 1], di = dstStrides[rank - 1];
        Span<int> index = stackalloc int[rank];
        int s = srcOffset, t = dstOffset;
        while (true)
        {
            if (si == 1 && di == 1)
            {
                Array.Copy(src, s, dst, t, inner);
            }
            else if (si == 0)
            {
                var v = src[s];
                for (int j = 0, q = t; j < inner; j++, q += di)
                {
                    dst[q] = v;
                }
            }
            else
            {
                for (int j = 0, p = s, q = t; j < inner; j++, p += si, q += di)
                {
                    dst[q] = src[p];
                }
            }

            // Advance the multi-index over the outer dimensions (odometer).
            int k = rank - 2;
            for (; k >= 0; k--)
            {
                index[k]++;
                s += srcStrides[k];
                t += dstStrides[k];
                if (index[k] < shape[k])
                {
                    break;
                }

                s -= srcStrides[k] * shape[k];
                t -= dstStrides[k] * shape[k];
                index[k] = 0;
            }

            if (k < 0)
            {
                return;
            }
        }
    }
}
