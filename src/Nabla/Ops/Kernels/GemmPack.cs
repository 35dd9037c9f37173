// Packing routines of the GEMM (see Gemm.cs for the layout). Packed panels are k-major:
//   A block (mc×kc): MR-row panels, panel r at ap + r·MR·kc, element (i, p) at [p·MR + i]
//   B panel (kc×nc): NR-column panels, panel q at bp + q·NR·kc, element (p, j) at [p·NR + j]
// Partial panels are zero-padded to MR / NR, so the micro-kernels always compute full tiles.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Nabla.Ops.Kernels;

internal static unsafe partial class Gemm
{
    /// <summary>Packs A (not transposed: row i of the block at src + i·lda) into MR-row panels.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void PackAN<T>(int mc, int kc, T* src, int lda, T* dst, int MR) where T : unmanaged
    {
        for (int i0 = 0; i0 < mc; i0 += MR)
        {
            int mr = Math.Min(MR, mc - i0);
            T* d = dst + (nint)i0 * kc;
            if (typeof(T) == typeof(float) && mr == MR && MR <= 16 && Avx512F.IsSupported)
            {
                PackAN16((float*)(src + (nint)i0 * lda), lda, kc, (float*)d, MR);
                continue;
            }
            for (int i = 0; i < mr; i++)
            {
                T* s = src + (nint)(i0 + i) * lda;
                T* di = d + i;
                for (int p = 0; p < kc; p++) di[(nint)p * MR] = s[p];
            }
            for (int i = mr; i < MR; i++)
            {
                T* di = d + i;
                for (int p = 0; p < kc; p++) di[(nint)p * MR] = default;
            }
        }
    }

    /// <summary>
    /// Packs one full float panel of MR ≤ 16 rows of a non-transposed A: 16 columns at a time, the
    /// rows are loaded as vectors, transposed in registers (16×16, 64 shuffles) and each column is
    /// written as one 16-lane store at d + p·MR. Consecutive stores overlap by 16 − MR lanes, which
    /// the next store overwrites; the last one writes 16 − MR zeros past the chunk, which is either
    /// overwritten later or lands in the buffer's slack (see Run).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PackAN16(float* src, int lda, int kc, float* d, int MR)
    {
        int p0 = 0;
        for (; p0 + 16 <= kc; p0 += 16)
        {
            Transpose16(src + p0, lda, MR, 16, out var c0, out var c1, out var c2, out var c3, out var c4, out var c5, out var c6, out var c7,
                out var c8, out var c9, out var c10, out var c11, out var c12, out var c13, out var c14, out var c15);
            // Ascending order: each store's 16 − MR extra lanes are overwritten by the next one.
            float* o = d + (nint)p0 * MR;
            c0.Store(o); c1.Store(o + MR); c2.Store(o + 2 * MR); c3.Store(o + 3 * MR);
            c4.Store(o + 4 * MR); c5.Store(o + 5 * MR); c6.Store(o + 6 * MR); c7.Store(o + 7 * MR);
            c8.Store(o + 8 * MR); c9.Store(o + 9 * MR); c10.Store(o + 10 * MR); c11.Store(o + 11 * MR);
            c12.Store(o + 12 * MR); c13.Store(o + 13 * MR); c14.Store(o + 14 * MR); c15.Store(o + 15 * MR);
        }
        for (; p0 < kc; p0++)
        {
            float* o = d + (nint)p0 * MR;
            for (int i = 0; i < MR; i++) o[i] = src[(nint)i * lda + p0];
        }
    }

    /// <summary>
    /// Packs one float B panel of NR = 32 columns given transposed (column j of op(B) is row j of the
    /// storage, at src + j·ldb): each half (16 columns) is transposed 16 k-values at a time in
    /// registers and stored as aligned 16-lane rows at d + p·32 + half·16; missing columns are zero.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PackBT32(float* src, int ldb, int kc, int nr, float* d)
    {
        for (int half = 0; half < 2; half++)
        {
            int rows = Math.Min(16, nr - 16 * half);
            float* s = src + (nint)(16 * half) * ldb;
            float* dh = d + 16 * half;
            if (rows <= 0)
            {
                for (int p = 0; p < kc; p++) Vector512<float>.Zero.Store(dh + (nint)p * 32);
                continue;
            }
            int p0 = 0;
            for (; p0 + 16 <= kc; p0 += 16)
            {
                Transpose16(s + p0, ldb, rows, 16, out var c0, out var c1, out var c2, out var c3, out var c4, out var c5, out var c6, out var c7,
                    out var c8, out var c9, out var c10, out var c11, out var c12, out var c13, out var c14, out var c15);
                float* o = dh + (nint)p0 * 32;
                c0.Store(o); c1.Store(o + 32); c2.Store(o + 64); c3.Store(o + 96);
                c4.Store(o + 128); c5.Store(o + 160); c6.Store(o + 192); c7.Store(o + 224);
                c8.Store(o + 256); c9.Store(o + 288); c10.Store(o + 320); c11.Store(o + 352);
                c12.Store(o + 384); c13.Store(o + 416); c14.Store(o + 448); c15.Store(o + 480);
            }
            for (; p0 < kc; p0++)
            {
                float* o = dh + (nint)p0 * 32;
                int j = 0;
                for (; j < rows; j++) o[j] = s[(nint)j * ldb + p0];
                for (; j < 16; j++) o[j] = 0;
            }
        }
    }

    /// <summary>
    /// Transposes the 16×16 float block at s (row i at s + i·ld; rows ≥ <paramref name="rows"/> and columns ≥
    /// <paramref name="cols"/> read as zero, and are not read): c_j receives column j, lane i = s[i·ld + j].
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void Transpose16(float* s, int ld, int rows, int cols,
        out Vector512<float> c0, out Vector512<float> c1, out Vector512<float> c2, out Vector512<float> c3,
        out Vector512<float> c4, out Vector512<float> c5, out Vector512<float> c6, out Vector512<float> c7,
        out Vector512<float> c8, out Vector512<float> c9, out Vector512<float> c10, out Vector512<float> c11,
        out Vector512<float> c12, out Vector512<float> c13, out Vector512<float> c14, out Vector512<float> c15)
    {
        var m = Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(cols)).AsSingle();
        Vector512<float> r0 = Row(s, ld, 0, rows, cols, m), r1 = Row(s, ld, 1, rows, cols, m), r2 = Row(s, ld, 2, rows, cols, m),
            r3 = Row(s, ld, 3, rows, cols, m), r4 = Row(s, ld, 4, rows, cols, m), r5 = Row(s, ld, 5, rows, cols, m),
            r6 = Row(s, ld, 6, rows, cols, m), r7 = Row(s, ld, 7, rows, cols, m), r8 = Row(s, ld, 8, rows, cols, m),
            r9 = Row(s, ld, 9, rows, cols, m), r10 = Row(s, ld, 10, rows, cols, m), r11 = Row(s, ld, 11, rows, cols, m),
            r12 = Row(s, ld, 12, rows, cols, m), r13 = Row(s, ld, 13, rows, cols, m), r14 = Row(s, ld, 14, rows, cols, m),
            r15 = Row(s, ld, 15, rows, cols, m);
        // Stage 1: interleave pairs of rows within 128-bit lanes.
        Vector512<float> t0 = Avx512F.UnpackLow(r0, r1), t1 = Avx512F.UnpackHigh(r0, r1);
        Vector512<float> t2 = Avx512F.UnpackLow(r2, r3), t3 = Avx512F.UnpackHigh(r2, r3);
        Vector512<float> t4 = Avx512F.UnpackLow(r4, r5), t5 = Avx512F.UnpackHigh(r4, r5);
        Vector512<float> t6 = Avx512F.UnpackLow(r6, r7), t7 = Avx512F.UnpackHigh(r6, r7);
        Vector512<float> t8 = Avx512F.UnpackLow(r8, r9), t9 = Avx512F.UnpackHigh(r8, r9);
        Vector512<float> t10 = Avx512F.UnpackLow(r10, r11), t11 = Avx512F.UnpackHigh(r10, r11);
        Vector512<float> t12 = Avx512F.UnpackLow(r12, r13), t13 = Avx512F.UnpackHigh(r12, r13);
        Vector512<float> t14 = Avx512F.UnpackLow(r14, r15), t15 = Avx512F.UnpackHigh(r14, r15);
        // Stage 2: u[4g + c], lane L = column 4L + c of rows 4g..4g+3.
        Vector512<float> u0 = Avx512F.Shuffle(t0, t2, 0x44), u1 = Avx512F.Shuffle(t0, t2, 0xEE);
        Vector512<float> u2 = Avx512F.Shuffle(t1, t3, 0x44), u3 = Avx512F.Shuffle(t1, t3, 0xEE);
        Vector512<float> u4 = Avx512F.Shuffle(t4, t6, 0x44), u5 = Avx512F.Shuffle(t4, t6, 0xEE);
        Vector512<float> u6 = Avx512F.Shuffle(t5, t7, 0x44), u7 = Avx512F.Shuffle(t5, t7, 0xEE);
        Vector512<float> u8 = Avx512F.Shuffle(t8, t10, 0x44), u9 = Avx512F.Shuffle(t8, t10, 0xEE);
        Vector512<float> u10 = Avx512F.Shuffle(t9, t11, 0x44), u11 = Avx512F.Shuffle(t9, t11, 0xEE);
        Vector512<float> u12 = Avx512F.Shuffle(t12, t14, 0x44), u13 = Avx512F.Shuffle(t12, t14, 0xEE);
        Vector512<float> u14 = Avx512F.Shuffle(t13, t15, 0x44), u15 = Avx512F.Shuffle(t13, t15, 0xEE);
        // Stage 3: 128-bit lane shuffles.
        Column4(u0, u4, u8, u12, out c0, out c4, out c8, out c12);
        Column4(u1, u5, u9, u13, out c1, out c5, out c9, out c13);
        Column4(u2, u6, u10, u14, out c2, out c6, out c10, out c14);
        Column4(u3, u7, u11, u15, out c3, out c7, out c11, out c15);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Row(float* s, int ld, int i, int rows, int cols, Vector512<float> mask) =>
        i >= rows ? Vector512<float>.Zero : cols >= 16 ? Vector512.Load(s + (nint)i * ld) : Avx512F.MaskLoad(s + (nint)i * ld, mask, Vector512<float>.Zero);

    /// <summary>Stage 3 of the 16×16 transpose: columns c, 4 + c, 8 + c, 12 + c from u[c], u[4+c], u[8+c], u[12+c].</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Column4(Vector512<float> a, Vector512<float> b, Vector512<float> c, Vector512<float> e,
        out Vector512<float> o0, out Vector512<float> o4, out Vector512<float> o8, out Vector512<float> o12)
    {
        Vector512<float> v01 = Avx512F.Shuffle4x128(a, b, 0x44), v23 = Avx512F.Shuffle4x128(a, b, 0xEE);
        Vector512<float> w01 = Avx512F.Shuffle4x128(c, e, 0x44), w23 = Avx512F.Shuffle4x128(c, e, 0xEE);
        o0 = Avx512F.Shuffle4x128(v01, w01, 0x88);
        o4 = Avx512F.Shuffle4x128(v01, w01, 0xDD);
        o8 = Avx512F.Shuffle4x128(v23, w23, 0x88);
        o12 = Avx512F.Shuffle4x128(v23, w23, 0xDD);
    }

    /// <summary>Packs A given transposed (stored k×m: column i of the block at src + i, row p at src + p·lda).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PackAT<T>(int mc, int kc, T* src, int lda, T* dst, int MR) where T : unmanaged
    {
        if (typeof(T) == typeof(float) && Vector512.IsHardwareAccelerated && MR <= 16)
        {
            // One masked load and store per k: mr values in, MR out (zeros past mr).
            var store = Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(MR)).AsSingle();
            for (int i0 = 0; i0 < mc; i0 += MR)
            {
                var load = Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(Math.Min(MR, mc - i0))).AsSingle();
                float* s = (float*)src + i0, d = (float*)dst + ((nint)i0 * kc);
                for (int p = 0; p < kc; p++, s += lda, d += MR)
                {
                    Avx512F.MaskStore(d, store, Avx512F.MaskLoad(s, load, Vector512<float>.Zero));
                }
            }

            return;
        }

        for (int i0 = 0; i0 < mc; i0 += MR)
        {
            int mr = Math.Min(MR, mc - i0);
            T* d = dst + (nint)i0 * kc;
            for (int p = 0; p < kc; p++)
            {
                T* s = src + (nint)p * lda + i0;
                T* dp = d + (nint)p * MR;
                int i = 0;
                for (; i < mr; i++) dp[i] = s[i];
                for (; i < MR; i++) dp[i] = default;
            }
        }
    }

    /// <summary>Packs B (not transposed: row p of the panel at src + p·ldb) into NR-column panels.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void PackBN<T>(int kc, int nc, T* src, int ldb, T* dst, int NR) where T : unmanaged
    {
        for (int j0 = 0; j0 < nc; j0 += NR)
        {
            int nr = Math.Min(NR, nc - j0);
            T* d = dst + (nint)j0 * kc;
            T* s = src + j0;
            if (nr == NR)
            {
                for (int p = 0; p < kc; p++)
                {
                    CopyRow(s + (nint)p * ldb, d + (nint)p * NR, NR);
                }
            }
            else
            {
                for (int p = 0; p < kc; p++)
                {
                    T* sp = s + (nint)p * ldb;
                    T* dp = d + (nint)p * NR;
                    int j = 0;
                    for (; j < nr; j++) dp[j] = sp[j];
                    for (; j < NR; j++) dp[j] = default;
                }
            }
        }
    }

    /// <summary>Copies count (a multiple of the vector width) elements.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void CopyRow<T>(T* s, T* d, int count) where T : unmanaged
    {
        if (Use512)
        {
            for (int j = 0; j < count; j += Vector512<T>.Count) Vector512.Load(s + j).Store(d + j);
        }
        else
        {
            for (int j = 0; j < count; j += Vector256<T>.Count) Vector256.Load(s + j).Store(d + j);
        }
    }

    /// <summary>Packs B given transposed (stored n×k: column j of the panel at src + j·ldb).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PackBT<T>(int kc, int nc, T* src, int ldb, T* dst, int NR) where T : unmanaged
    {
        for (int j0 = 0; j0 < nc; j0 += NR)
        {
            int nr = Math.Min(NR, nc - j0);
            T* d = dst + (nint)j0 * kc;
            if (typeof(T) == typeof(float) && NR == 32 && Avx512F.IsSupported)
            {
                PackBT32((float*)(src + (nint)j0 * ldb), ldb, kc, nr, (float*)d);
                continue;
            }
            for (int j = 0; j < nr; j++)
            {
                T* s = src + (nint)(j0 + j) * ldb;
                T* dj = d + j;
                for (int p = 0; p < kc; p++) dj[(nint)p * NR] = s[p];
            }
            for (int j = nr; j < NR; j++)
            {
                T* dj = d + j;
                for (int p = 0; p < kc; p++) dj[(nint)p * NR] = default;
            }
        }
    }
}
