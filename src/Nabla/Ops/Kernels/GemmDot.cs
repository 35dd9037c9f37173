// GEMM as dot products, for a small C over a long k: C[i, j] (+)= Σₚ A[i, p]·B[j, p], with A's rows and
// Bᵀ's rows contiguous along k (A not transposed, B transposed).
//
// This is the shape of a convolution's weight gradient with few channels (LeNet C1: dW is 6×25 over
// k = 50,176 positions; ResNet's 16→16 3×3: 16×144 over 1,024 per image). The blocked path pads C to
// 14×32 tiles (6×25 uses a third of the tile) and packs both operands for every k block; here each 3×4
// block of C keeps 12 vector accumulators along k (7 loads per 12 FMAs), reduced once at the end, and
// the operands are read in place. Blocks are split between threads.
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Nabla.Ops.Kernels;

internal static unsafe partial class Gemm
{
    /// <summary>True for the dot-product path: a small C (≤ 4096 entries) over a long k, B transposed.</summary>
    private static bool UseDot<T>(bool transA, bool transB, int m, int n, int k) where T : unmanaged =>
        !transA && transB && Use512 && (long)m * n <= 4096 && k >= 512 && k >= 4 * (m + n);

    private static void Dot<T>(int m, int n, int k, T[] a, int aOffset, int lda, T[] b, int bOffset, int ldb,
        T[] c, int cOffset, int ldc, bool accumulate) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int mb = (m + 2) / 3, nb = (n + 3) / 4, blocks = mb * nb;
        int parts = Workers.Count > 1 && (long)m * n * k >= ParallelThreshold ? Math.Min(Workers.Count, blocks) : 1;
        fixed (T* pa = a, pb = b, pc = c)
        {
            T* a0 = pa + aOffset, b0 = pb + bOffset, c0 = pc + cOffset;
            if (parts == 1)
            {
                DotBlocks(0, blocks, nb, m, n, k, a0, lda, b0, ldb, c0, ldc, accumulate);
            }
            else
            {
                Parallel.For(0, parts, Workers.Options, t =>
                    DotBlocks(blocks * t / parts, blocks * (t + 1) / parts, nb, m, n, k, a0, lda, b0, ldb, c0, ldc, accumulate));
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void DotBlocks<T>(int first, int last, int nb, int m, int n, int k, T* a, int lda, T* b, int ldb,
        T* c, int ldc, bool accumulate) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int w = Vector512<T>.Count;
        for (int blk = first; blk < last; blk++)
        {
            int i0 = blk / nb * 3, j0 = blk % nb * 4;

            // Rows past the edge repeat the last valid row (always readable); their results are not stored.
            T* a0r = a + ((nint)i0 * lda), a1r = a + ((nint)Math.Min(i0 + 1, m - 1) * lda), a2r = a + ((nint)Math.Min(i0 + 2, m - 1) * lda);
            T* b0r = b + ((nint)j0 * ldb), b1r = b + ((nint)Math.Min(j0 + 1, n - 1) * ldb);
            T* b2r = b + ((nint)Math.Min(j0 + 2, n - 1) * ldb), b3r = b + ((nint)Math.Min(j0 + 3, n - 1) * ldb);
            Vector512<T> s00 = default, s01 = default, s02 = default, s03 = default;
            Vector512<T> s10 = default, s11 = default, s12 = default, s13 = default;
            Vector512<T> s20 = default, s21 = default, s22 = default, s23 = default;
            int p = 0;
            for (; p <= k - w; p += w)
            {
                var x0 = Vector512.Load(a0r + p);
                var x1 = Vector512.Load(a1r + p);
                var x2 = Vector512.Load(a2r + p);
                var y0 = Vector512.Load(b0r + p);
                var y1 = Vector512.Load(b1r + p);
                var y2 = Vector512.Load(b2r + p);
                var y3 = Vector512.Load(b3r + p);
                s00 = Fma(x0, y0, s00);
                s01 = Fma(x0, y1, s01);
                s02 = Fma(x0, y2, s02);
                s03 = Fma(x0, y3, s03);
                s10 = Fma(x1, y0, s10);
                s11 = Fma(x1, y1, s11);
                s12 = Fma(x1, y2, s12);
                s13 = Fma(x1, y3, s13);
                s20 = Fma(x2, y0, s20);
                s21 = Fma(x2, y1, s21);
                s22 = Fma(x2, y2, s22);
                s23 = Fma(x2, y3, s23);
            }

            Span<T> sums =
            [
                Vector512.Sum(s00), Vector512.Sum(s01), Vector512.Sum(s02), Vector512.Sum(s03),
                Vector512.Sum(s10), Vector512.Sum(s11), Vector512.Sum(s12), Vector512.Sum(s13),
                Vector512.Sum(s20), Vector512.Sum(s21), Vector512.Sum(s22), Vector512.Sum(s23),
            ];
            T*[] rowsA = [a0r, a1r, a2r];
            T*[] rowsB = [b0r, b1r, b2r, b3r];
            for (int i = 0; i < 3 && i0 + i < m; i++)
            {
                for (int j = 0; j < 4 && j0 + j < n; j++)
                {
                    T s = sums[(i * 4) + j];
                    for (int q = p; q < k; q++)
                    {
                        s += rowsA[i][q] * rowsB[j][q];
                    }

                    T* dst = c + ((nint)(i0 + i) * ldc) + j0 + j;
                    *dst = accumulate ? *dst + s : s;
                }
            }
        }
    }
}
