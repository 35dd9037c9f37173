// Register-tiled micro-kernels of the GEMM (see Gemm.cs). Generated shape: MR rows × NV vectors;
// accumulators are locals the JIT keeps in registers (verified: no spills with DOTNET_JitDisasm).
// A is read as broadcast scalars (folded into embedded-broadcast FMAs with AVX-512), B as vectors.
// `add`: C tile = C + acc (else C = acc). Generic over T = float / double (JIT specialises).
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Nabla.Ops.Kernels;

internal static unsafe partial class Gemm
{
    /// <summary>Prefetches the rows of a C tile into L1 so that the final load/store does not stall.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void PrefetchTile<T>(T* c, nint ldc, int rows, int rowBytes) where T : unmanaged
    {
        byte* p = (byte*)c;
        nint stride = ldc * sizeof(T);
        if (!Sse.IsSupported) return;
        for (int i = 0; i < rows; i++, p += stride)
        {
            Sse.Prefetch0(p);
            Sse.Prefetch0(p + rowBytes - 1);
        }
    }
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<T> Fma<T>(Vector512<T> x, Vector512<T> y, Vector512<T> acc) where T : unmanaged
    {
        if (typeof(T) == typeof(float)) return Vector512.FusedMultiplyAdd(x.AsSingle(), y.AsSingle(), acc.AsSingle()).As<float, T>();
        if (typeof(T) == typeof(double)) return Vector512.FusedMultiplyAdd(x.AsDouble(), y.AsDouble(), acc.AsDouble()).As<double, T>();
        return x * y + acc;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<T> Fma<T>(Vector256<T> x, Vector256<T> y, Vector256<T> acc) where T : unmanaged
    {
        if (typeof(T) == typeof(float)) return Vector256.FusedMultiplyAdd(x.AsSingle(), y.AsSingle(), acc.AsSingle()).As<float, T>();
        if (typeof(T) == typeof(double)) return Vector256.FusedMultiplyAdd(x.AsDouble(), y.AsDouble(), acc.AsDouble()).As<double, T>();
        return x * y + acc;
    }

    /// <summary>14×2W register tile (28 zmm accumulators, 2 B vectors, 1 broadcast: 31 of 32 registers).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel512x14<T>(nint kc, T* a, T* b, T* c, nint ldc, bool add) where T : unmanaged
    {
        nint w = Vector512<T>.Count;
        PrefetchTile(c, ldc, 14, (int)(2 * w * sizeof(T)));
        Vector512<T> c0_0 = default, c0_1 = default;
        Vector512<T> c1_0 = default, c1_1 = default;
        Vector512<T> c2_0 = default, c2_1 = default;
        Vector512<T> c3_0 = default, c3_1 = default;
        Vector512<T> c4_0 = default, c4_1 = default;
        Vector512<T> c5_0 = default, c5_1 = default;
        Vector512<T> c6_0 = default, c6_1 = default;
        Vector512<T> c7_0 = default, c7_1 = default;
        Vector512<T> c8_0 = default, c8_1 = default;
        Vector512<T> c9_0 = default, c9_1 = default;
        Vector512<T> c10_0 = default, c10_1 = default;
        Vector512<T> c11_0 = default, c11_1 = default;
        Vector512<T> c12_0 = default, c12_1 = default;
        Vector512<T> c13_0 = default, c13_1 = default;
        for (; kc > 0; kc--)
        {
            Vector512<T> b0 = Vector512.Load(b), b1 = Vector512.Load(b + 1 * w);
            Vector512<T> ai;
            ai = Vector512.Create(a[0]); c0_0 = Fma(ai, b0, c0_0); c0_1 = Fma(ai, b1, c0_1);
            ai = Vector512.Create(a[1]); c1_0 = Fma(ai, b0, c1_0); c1_1 = Fma(ai, b1, c1_1);
            ai = Vector512.Create(a[2]); c2_0 = Fma(ai, b0, c2_0); c2_1 = Fma(ai, b1, c2_1);
            ai = Vector512.Create(a[3]); c3_0 = Fma(ai, b0, c3_0); c3_1 = Fma(ai, b1, c3_1);
            ai = Vector512.Create(a[4]); c4_0 = Fma(ai, b0, c4_0); c4_1 = Fma(ai, b1, c4_1);
            ai = Vector512.Create(a[5]); c5_0 = Fma(ai, b0, c5_0); c5_1 = Fma(ai, b1, c5_1);
            ai = Vector512.Create(a[6]); c6_0 = Fma(ai, b0, c6_0); c6_1 = Fma(ai, b1, c6_1);
            ai = Vector512.Create(a[7]); c7_0 = Fma(ai, b0, c7_0); c7_1 = Fma(ai, b1, c7_1);
            ai = Vector512.Create(a[8]); c8_0 = Fma(ai, b0, c8_0); c8_1 = Fma(ai, b1, c8_1);
            ai = Vector512.Create(a[9]); c9_0 = Fma(ai, b0, c9_0); c9_1 = Fma(ai, b1, c9_1);
            ai = Vector512.Create(a[10]); c10_0 = Fma(ai, b0, c10_0); c10_1 = Fma(ai, b1, c10_1);
            ai = Vector512.Create(a[11]); c11_0 = Fma(ai, b0, c11_0); c11_1 = Fma(ai, b1, c11_1);
            ai = Vector512.Create(a[12]); c12_0 = Fma(ai, b0, c12_0); c12_1 = Fma(ai, b1, c12_1);
            ai = Vector512.Create(a[13]); c13_0 = Fma(ai, b0, c13_0); c13_1 = Fma(ai, b1, c13_1);
            a += 14;
            b += 2 * w;
        }
        if (add)
        {
            c0_0 += Vector512.Load(c); c0_1 += Vector512.Load(c + 1 * w); c += ldc;
            c1_0 += Vector512.Load(c); c1_1 += Vector512.Load(c + 1 * w); c += ldc;
            c2_0 += Vector512.Load(c); c2_1 += Vector512.Load(c + 1 * w); c += ldc;
            c3_0 += Vector512.Load(c); c3_1 += Vector512.Load(c + 1 * w); c += ldc;
            c4_0 += Vector512.Load(c); c4_1 += Vector512.Load(c + 1 * w); c += ldc;
            c5_0 += Vector512.Load(c); c5_1 += Vector512.Load(c + 1 * w); c += ldc;
            c6_0 += Vector512.Load(c); c6_1 += Vector512.Load(c + 1 * w); c += ldc;
            c7_0 += Vector512.Load(c); c7_1 += Vector512.Load(c + 1 * w); c += ldc;
            c8_0 += Vector512.Load(c); c8_1 += Vector512.Load(c + 1 * w); c += ldc;
            c9_0 += Vector512.Load(c); c9_1 += Vector512.Load(c + 1 * w); c += ldc;
            c10_0 += Vector512.Load(c); c10_1 += Vector512.Load(c + 1 * w); c += ldc;
            c11_0 += Vector512.Load(c); c11_1 += Vector512.Load(c + 1 * w); c += ldc;
            c12_0 += Vector512.Load(c); c12_1 += Vector512.Load(c + 1 * w); c += ldc;
            c13_0 += Vector512.Load(c); c13_1 += Vector512.Load(c + 1 * w);
            c -= 13 * ldc;
        }
        c0_0.Store(c); c0_1.Store(c + 1 * w); c += ldc;
        c1_0.Store(c); c1_1.Store(c + 1 * w); c += ldc;
        c2_0.Store(c); c2_1.Store(c + 1 * w); c += ldc;
        c3_0.Store(c); c3_1.Store(c + 1 * w); c += ldc;
        c4_0.Store(c); c4_1.Store(c + 1 * w); c += ldc;
        c5_0.Store(c); c5_1.Store(c + 1 * w); c += ldc;
        c6_0.Store(c); c6_1.Store(c + 1 * w); c += ldc;
        c7_0.Store(c); c7_1.Store(c + 1 * w); c += ldc;
        c8_0.Store(c); c8_1.Store(c + 1 * w); c += ldc;
        c9_0.Store(c); c9_1.Store(c + 1 * w); c += ldc;
        c10_0.Store(c); c10_1.Store(c + 1 * w); c += ldc;
        c11_0.Store(c); c11_1.Store(c + 1 * w); c += ldc;
        c12_0.Store(c); c12_1.Store(c + 1 * w); c += ldc;
        c13_0.Store(c); c13_1.Store(c + 1 * w);
    }

    /// <summary>4×2W edge tile for the last rows of a partial MR panel (A rows strided by astride).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel512x4<T>(nint kc, T* a, nint astride, T* b, T* c, nint ldc, bool add) where T : unmanaged
    {
        nint w = Vector512<T>.Count;
        Vector512<T> c0_0 = default, c0_1 = default;
        Vector512<T> c1_0 = default, c1_1 = default;
        Vector512<T> c2_0 = default, c2_1 = default;
        Vector512<T> c3_0 = default, c3_1 = default;
        for (; kc > 0; kc--)
        {
            Vector512<T> b0 = Vector512.Load(b), b1 = Vector512.Load(b + 1 * w);
            Vector512<T> ai;
            ai = Vector512.Create(a[0]); c0_0 = Fma(ai, b0, c0_0); c0_1 = Fma(ai, b1, c0_1);
            ai = Vector512.Create(a[1]); c1_0 = Fma(ai, b0, c1_0); c1_1 = Fma(ai, b1, c1_1);
            ai = Vector512.Create(a[2]); c2_0 = Fma(ai, b0, c2_0); c2_1 = Fma(ai, b1, c2_1);
            ai = Vector512.Create(a[3]); c3_0 = Fma(ai, b0, c3_0); c3_1 = Fma(ai, b1, c3_1);
            a += astride;
            b += 2 * w;
        }
        if (add)
        {
            c0_0 += Vector512.Load(c); c0_1 += Vector512.Load(c + 1 * w); c += ldc;
            c1_0 += Vector512.Load(c); c1_1 += Vector512.Load(c + 1 * w); c += ldc;
            c2_0 += Vector512.Load(c); c2_1 += Vector512.Load(c + 1 * w); c += ldc;
            c3_0 += Vector512.Load(c); c3_1 += Vector512.Load(c + 1 * w);
            c -= 3 * ldc;
        }
        c0_0.Store(c); c0_1.Store(c + 1 * w); c += ldc;
        c1_0.Store(c); c1_1.Store(c + 1 * w); c += ldc;
        c2_0.Store(c); c2_1.Store(c + 1 * w); c += ldc;
        c3_0.Store(c); c3_1.Store(c + 1 * w);
    }

    /// <summary>6×2W register tile for CPUs without AVX-512 (12 ymm accumulators: fits 16 registers).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel256x6<T>(nint kc, T* a, T* b, T* c, nint ldc, bool add) where T : unmanaged
    {
        nint w = Vector256<T>.Count;
        PrefetchTile(c, ldc, 6, (int)(2 * w * sizeof(T)));
        Vector256<T> c0_0 = default, c0_1 = default;
        Vector256<T> c1_0 = default, c1_1 = default;
        Vector256<T> c2_0 = default, c2_1 = default;
        Vector256<T> c3_0 = default, c3_1 = default;
        Vector256<T> c4_0 = default, c4_1 = default;
        Vector256<T> c5_0 = default, c5_1 = default;
        for (; kc > 0; kc--)
        {
            Vector256<T> b0 = Vector256.Load(b), b1 = Vector256.Load(b + 1 * w);
            Vector256<T> ai;
            ai = Vector256.Create(a[0]); c0_0 = Fma(ai, b0, c0_0); c0_1 = Fma(ai, b1, c0_1);
            ai = Vector256.Create(a[1]); c1_0 = Fma(ai, b0, c1_0); c1_1 = Fma(ai, b1, c1_1);
            ai = Vector256.Create(a[2]); c2_0 = Fma(ai, b0, c2_0); c2_1 = Fma(ai, b1, c2_1);
            ai = Vector256.Create(a[3]); c3_0 = Fma(ai, b0, c3_0); c3_1 = Fma(ai, b1, c3_1);
            ai = Vector256.Create(a[4]); c4_0 = Fma(ai, b0, c4_0); c4_1 = Fma(ai, b1, c4_1);
            ai = Vector256.Create(a[5]); c5_0 = Fma(ai, b0, c5_0); c5_1 = Fma(ai, b1, c5_1);
            a += 6;
            b += 2 * w;
        }
        if (add)
        {
            c0_0 += Vector256.Load(c); c0_1 += Vector256.Load(c + 1 * w); c += ldc;
            c1_0 += Vector256.Load(c); c1_1 += Vector256.Load(c + 1 * w); c += ldc;
            c2_0 += Vector256.Load(c); c2_1 += Vector256.Load(c + 1 * w); c += ldc;
            c3_0 += Vector256.Load(c); c3_1 += Vector256.Load(c + 1 * w); c += ldc;
            c4_0 += Vector256.Load(c); c4_1 += Vector256.Load(c + 1 * w); c += ldc;
            c5_0 += Vector256.Load(c); c5_1 += Vector256.Load(c + 1 * w);
            c -= 5 * ldc;
        }
        c0_0.Store(c); c0_1.Store(c + 1 * w); c += ldc;
        c1_0.Store(c); c1_1.Store(c + 1 * w); c += ldc;
        c2_0.Store(c); c2_1.Store(c + 1 * w); c += ldc;
        c3_0.Store(c); c3_1.Store(c + 1 * w); c += ldc;
        c4_0.Store(c); c4_1.Store(c + 1 * w); c += ldc;
        c5_0.Store(c); c5_1.Store(c + 1 * w);
    }

    /// <summary>4×2W edge tile (Vector256).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel256x4<T>(nint kc, T* a, nint astride, T* b, T* c, nint ldc, bool add) where T : unmanaged
    {
        nint w = Vector256<T>.Count;
        Vector256<T> c0_0 = default, c0_1 = default;
        Vector256<T> c1_0 = default, c1_1 = default;
        Vector256<T> c2_0 = default, c2_1 = default;
        Vector256<T> c3_0 = default, c3_1 = default;
        for (; kc > 0; kc--)
        {
            Vector256<T> b0 = Vector256.Load(b), b1 = Vector256.Load(b + 1 * w);
            Vector256<T> ai;
            ai = Vector256.Create(a[0]); c0_0 = Fma(ai, b0, c0_0); c0_1 = Fma(ai, b1, c0_1);
            ai = Vector256.Create(a[1]); c1_0 = Fma(ai, b0, c1_0); c1_1 = Fma(ai, b1, c1_1);
            ai = Vector256.Create(a[2]); c2_0 = Fma(ai, b0, c2_0); c2_1 = Fma(ai, b1, c2_1);
            ai = Vector256.Create(a[3]); c3_0 = Fma(ai, b0, c3_0); c3_1 = Fma(ai, b1, c3_1);
            a += astride;
            b += 2 * w;
        }
        if (add)
        {
            c0_0 += Vector256.Load(c); c0_1 += Vector256.Load(c + 1 * w); c += ldc;
            c1_0 += Vector256.Load(c); c1_1 += Vector256.Load(c + 1 * w); c += ldc;
            c2_0 += Vector256.Load(c); c2_1 += Vector256.Load(c + 1 * w); c += ldc;
            c3_0 += Vector256.Load(c); c3_1 += Vector256.Load(c + 1 * w);
            c -= 3 * ldc;
        }
        c0_0.Store(c); c0_1.Store(c + 1 * w); c += ldc;
        c1_0.Store(c); c1_1.Store(c + 1 * w); c += ldc;
        c2_0.Store(c); c2_1.Store(c + 1 * w); c += ldc;
        c3_0.Store(c); c3_1.Store(c + 1 * w);
    }
}
