// The per-step GEMM of the recurrent kernels with the weight packed once per call instead of once per step.
//
// The recurrent GEMM is small and repeated T times with the same weight: in BPTT dh[B×H] = dg[B×nH]·W_hh, and for the
// GRU and RNN forward g[B×nH] = h[B×H]·W_hhᵀ (the LSTM forward has its own fused kernel, LstmFused.cs). A general
// GEMM packs its B operand on every call (nH·H values, as many as the multiply-adds divided by B), so the weight is
// packed here once into panels of 32 columns, k-major (panel[p·32 + j] = W[p, j0 + j]), and a register-tile kernel of
// 8 rows × 32 columns (16 zmm accumulators; per k 2 loads of the panel, 8 broadcasts of A, 16 FMAs) runs over the
// panels. The A rows (B×K, at most 64 KiB) and one panel (K×32) stay in L1 across a panel's row tiles. With several
// threads each thread runs the panels for its own rows of the batch (SplitRows). Float32 with AVX-512 only; other
// cases use Gemm.Multiply.
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Nabla.Ops.Kernels;

internal static partial class Recurrence
{
    private const int Nr = 32;

    /// <summary>Whether the packed path applies: float, AVX-512 and n a multiple of the panel width.</summary>
    internal static bool UsePacked<T>(int n) => typeof(T) == typeof(float) && Vector512.IsHardwareAccelerated && n % Nr == 0;

    /// <summary>Packs W (k×n, row-major with row length ld) into 32-column panels.</summary>
    internal static float[] Pack(float[] w, int k, int n, int ld)
    {
        var dst = PooledArrays.Rent<float>(k * n);
        for (int jp = 0; jp < n; jp += Nr)
        {
            int baseOff = jp * k;
            for (int p = 0; p < k; p++)
            {
                for (int j = 0; j < Nr; j++)
                {
                    dst[baseOff + (p * Nr) + j] = w[(p * ld) + jp + j];
                }
            }
        }

        return dst;
    }

    /// <summary>Packs Wᵀ for W (n×k, row-major) into 32-column panels: the packed operand of A·Wᵀ.</summary>
    internal static float[] PackTransposed(float[] w, int n, int k)
    {
        var dst = PooledArrays.Rent<float>(k * n);
        for (int jp = 0; jp < n; jp += Nr)
        {
            for (int j = 0; j < Nr; j++)
            {
                int o = (jp * k) + j;
                var row = w.AsSpan((jp + j) * k, k);
                for (int p = 0; p < k; p++, o += Nr)
                {
                    dst[o] = row[p];
                }
            }
        }

        return dst;
    }

    /// <summary>
    /// One step's C[m×n] = A[m×k] (row stride lda, from aOff) · W (k×n), or · Wᵀ for W stored n×k when
    /// <paramref name="transW"/>: on the panels packed once per call when there are any, else by Gemm.Multiply.
    /// </summary>
    internal static void StepGemm<T>(int m, int n, int k, T[] a, int aOff, int lda, float[]? packed, T[] w, bool transW, T[] c, int cOff = 0)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (packed is not null)
        {
            Panels(m, n, k, (float[])(object)a, aOff, lda, packed, (float[])(object)c, cOff, n);
        }
        else
        {
            Gemm.Multiply(false, transW, m, n, k, a, aOff, lda, w, 0, transW ? k : n, c, cOff, n, false);
        }
    }

    /// <summary>C[m×n] = A[m×k] (row-major, row stride lda, from aOff) · W (k×n, packed by <see cref="Pack"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static unsafe void Panels(int m, int n, int k, float[] a, int aOff, int lda, float[] packed, float[] c, int cOff, int ldc)
    {
        fixed (float* pa = a, pb = packed, pc = c)
        {
            for (int jp = 0; jp < n / Nr; jp++)
            {
                float* b = pb + ((nint)jp * k * Nr);
                int i = 0;
                for (; i + 8 <= m; i += 8)
                {
                    Tile8(k, pa + aOff + ((nint)i * lda), lda, b, pc + cOff + ((nint)i * ldc) + (jp * Nr), ldc);
                }

                for (; i < m; i++)
                {
                    Tile1(k, pa + aOff + ((nint)i * lda), b, pc + cOff + ((nint)i * ldc) + (jp * Nr));
                }
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Tile8(int k, float* a, nint lda, float* b, float* c, nint ldc)
    {
        Vector512<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default, c30 = default, c31 = default;
        Vector512<float> c40 = default, c41 = default, c50 = default, c51 = default, c60 = default, c61 = default, c70 = default, c71 = default;
        float* a4 = a + (4 * lda);
        for (int p = 0; p < k; p++)
        {
            var b0 = Vector512.Load(b);
            var b1 = Vector512.Load(b + 16);
            b += Nr;
            var x = Vector512.Create(a[p]);
            c00 = Vector512.FusedMultiplyAdd(x, b0, c00);
            c01 = Vector512.FusedMultiplyAdd(x, b1, c01);
            x = Vector512.Create(a[lda + p]);
            c10 = Vector512.FusedMultiplyAdd(x, b0, c10);
            c11 = Vector512.FusedMultiplyAdd(x, b1, c11);
            x = Vector512.Create(a[(2 * lda) + p]);
            c20 = Vector512.FusedMultiplyAdd(x, b0, c20);
            c21 = Vector512.FusedMultiplyAdd(x, b1, c21);
            x = Vector512.Create(a[(3 * lda) + p]);
            c30 = Vector512.FusedMultiplyAdd(x, b0, c30);
            c31 = Vector512.FusedMultiplyAdd(x, b1, c31);
            x = Vector512.Create(a4[p]);
            c40 = Vector512.FusedMultiplyAdd(x, b0, c40);
            c41 = Vector512.FusedMultiplyAdd(x, b1, c41);
            x = Vector512.Create(a4[lda + p]);
            c50 = Vector512.FusedMultiplyAdd(x, b0, c50);
            c51 = Vector512.FusedMultiplyAdd(x, b1, c51);
            x = Vector512.Create(a4[(2 * lda) + p]);
            c60 = Vector512.FusedMultiplyAdd(x, b0, c60);
            c61 = Vector512.FusedMultiplyAdd(x, b1, c61);
            x = Vector512.Create(a4[(3 * lda) + p]);
            c70 = Vector512.FusedMultiplyAdd(x, b0, c70);
            c71 = Vector512.FusedMultiplyAdd(x, b1, c71);
        }

        Store(c, c00, c01);
        Store(c + ldc, c10, c11);
        Store(c + (2 * ldc), c20, c21);
        Store(c + (3 * ldc), c30, c31);
        Store(c + (4 * ldc), c40, c41);
        Store(c + (5 * ldc), c50, c51);
        Store(c + (6 * ldc), c60, c61);
        Store(c + (7 * ldc), c70, c71);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Tile1(int k, float* a, float* b, float* c)
    {
        Vector512<float> c0 = default, c1 = default;
        for (int p = 0; p < k; p++, b += Nr)
        {
            var x = Vector512.Create(a[p]);
            c0 = Vector512.FusedMultiplyAdd(x, Vector512.Load(b), c0);
            c1 = Vector512.FusedMultiplyAdd(x, Vector512.Load(b + 16), c1);
        }

        Store(c, c0, c1);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Store(float* c, Vector512<float> v0, Vector512<float> v1)
    {
        v0.Store(c);
        v1.Store(c + 16);
    }
}
