// GEMM: C = (accumulate ? C : 0) + op(A)·op(B), row-major, float and double.
//
// Design (BLIS-style; Goto & van de Geijn, "Anatomy of high-performance matrix multiplication"):
//
//   for jc in N step NC                     B panel  KC×NC  packed once per (jc, pc), stays in L2/L3
//     for pc in K step KC
//       pack B[pc:pc+KC, jc:jc+NC] into NR-wide row panels (k-major: NR contiguous values per k)
//       for ic in M step MC                 A block  MC×KC  packed per (ic, pc), stays in L2
//         pack A[ic:ic+MC, pc:pc+KC] into MR-tall column panels (k-major: MR contiguous values per k)
//         for jr in NC step NR              B micro-panel KC×NR stays in L1 across the ir loop
//           for ir in MC step MR
//             micro-kernel: C[MR×NR] (+)= Apanel[MR×KC] · Bpanel[KC×NR]
//
// Micro-kernel (GemmKernels.cs): the MR×NR tile of C lives in registers for the whole KC loop. Per k
// it loads NR/W vectors of B (W = lanes per vector) and broadcasts MR scalars of A (`vbroadcastss
// zmm, [mem]`, a pure load-port op). With AVX-512 (32 zmm registers) the tile is 14×32 floats
// (14×16 doubles): 28 accumulators + 2 B vectors + 1 broadcast = 31 registers, no spills (checked
// with DOTNET_JitDisasm: the k loop is 2 loads, 14 broadcasts, 28 FMAs, 3 scalar ops). 28
// independent FMA chains cover FMA latency × throughput on both targets (Intel: 2 × 512-bit FMA
// per cycle, 4 cycles -> >= 8 chains; Zen 4: one 512-bit FMA per cycle), and 16 loads per 28 FMAs
// fit two load ports. 12×32 and 8×48 were measured too (1024³, 1 thread, Zen 4): 12×32 within noise
// of 14×32, 8×48 about 5-10% slower (more B loads per FMA). Without AVX-512 (16 ymm registers)
// the tile is 6×16 floats (12 accumulators + 2 B + 1 broadcast = 15 registers).
//
// Block sizes (float; the byte sizes are what matter, double uses the same bytes):
//   KC = 384: the B micro-panel KC×NR = 384×32×4 B = 48 KiB fills L1 (48 KiB on the Intel CI
//        machine; 32 KiB on the Zen 4 machine this was tuned on, where it then streams from L2 at
//        128 B per 28 FMAs, which L2 sustains easily). A larger KC amortises the C tile update
//        (2·MR·NR loads/stores per KC·MR·NR/W FMAs) and the per-tile call: measured on Zen 4,
//        1024³, 1 thread: KC = 256 -> ~90-96 GFLOP/s, 384-512 -> ~96-105 (noisy machine).
//   MC = 168 (12 MR panels): the A block MC×KC = 252 KiB stays in L2 (1 MiB on Zen 4, 2 MiB on
//        Emerald Rapids) beside the part of the B panel in use; it is re-read once per NR columns.
//        84..336 measured within noise.
//   NC = 2048: the B panel KC×NC = 3 MiB, re-read once per MC rows (from L2/L3). With 2 threads
//        each thread packs its own B panel (its own columns of C), so its own L2 holds it.
// KC and MC are balanced (k split into equal blocks, e.g. k = 1024 -> 3×342 rather than 384+384+256).
// The C tile is prefetched into L1 at the start of every micro-kernel (it is read and written only
// after the KC loop; without the prefetch that load misses at each tile: ~3% at 1024³).
// Packing A (non-transposed, float) loads 16 columns of 14 rows as vectors and transposes them in
// registers (16×16, 64 shuffles): 0.13 ns per element instead of 0.6 with scalar strided stores.
// All loops that run hot are [AggressiveOptimization]: under tiered compilation the packing loops
// otherwise ran as OSR code 5-10× slower for the first seconds.
//
// Edges: packed panels are zero-padded to MR / NR, so the kernel always runs full tiles; tiles that
// stick out of C are computed into a small scratch tile and the valid part is added to C. The last
// rows of a partial MR panel use a 4-row kernel so that little work is wasted (gemm_128: 9×14 + 2).
//
// Threads: the work is split into Workers.Count independent slices of C (rows, in multiples of MR,
// unless n > 2m: then columns, in multiples of NR), each running the whole blocked algorithm
// above with its own pack buffers (so each core's L2 holds its own A block and B panel and there is
// no synchronisation inside a call). Problems below ParallelThreshold flops run on the calling
// thread with no scheduling at all; tiny ones (or element types without SIMD support) use a
// scalar loop with no packing.
//
// Pack buffers: one pinned, 64-byte aligned byte buffer per thread ([ThreadStatic]), grown on
// demand and kept: no allocation per call after the first.
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Nabla.Ops.Kernels;

internal static unsafe partial class Gemm
{
    /// <summary>Below this m·n·k the scalar loop is used (no packing).</summary>
    private const long ScalarThreshold = 4 * 1024;

    /// <summary>From this m·n·k on (128³), the work is split between threads.</summary>
    private const long ParallelThreshold = 1L << 21;

    // Block sizes in elements of float (see the top of the file). For double, KC stays (the B
    // micro-panel KC×NR has the same bytes since NR halves) and MC, NC halve.
    private const int KcF = 384;
    private const int McF = 168;
    private const int NcF = 2048;

    private static readonly bool Use512 = Vector512.IsHardwareAccelerated;

    /// <summary>C[m×n] = (accumulate ? C : 0) + op(A)[m×k] · op(B)[k×n], row-major with leading dimensions.</summary>
    /// <remarks>
    /// op(A) = transA ? Aᵀ : A, where A is stored row-major starting at a[aOffset] with row stride lda
    /// (so when transA, A is stored as k×m). Same for B (k×n, or n×k when transB). C row-major, stride ldc.
    /// </remarks>
    internal static void Multiply<T>(bool transA, bool transB, int m, int n, int k,
        T[] a, int aOffset, int lda, T[] b, int bOffset, int ldb,
        T[] c, int cOffset, int ldc, bool accumulate) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        ArgumentNullException.ThrowIfNull(c);
        ArgumentOutOfRangeException.ThrowIfNegative(m);
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        ArgumentOutOfRangeException.ThrowIfNegative(k);
        if (m == 0 || n == 0) return;
        CheckMatrix(c.Length, cOffset, m, n, ldc, nameof(c));
        if (k == 0)
        {
            if (!accumulate)
                for (int i = 0; i < m; i++) c.AsSpan(cOffset + i * ldc, n).Clear();
            return;
        }
        if (transA) CheckMatrix(a.Length, aOffset, k, m, lda, nameof(a));
        else CheckMatrix(a.Length, aOffset, m, k, lda, nameof(a));
        if (transB) CheckMatrix(b.Length, bOffset, n, k, ldb, nameof(b));
        else CheckMatrix(b.Length, bOffset, k, n, ldb, nameof(b));

        long work = (long)m * n * k;
        bool simd = (typeof(T) == typeof(float) || typeof(T) == typeof(double)) && Vector256.IsHardwareAccelerated;
        if (!simd || work < ScalarThreshold)
        {
            Scalar(transA, transB, m, n, k, a, aOffset, lda, b, bOffset, ldb, c, cOffset, ldc, accumulate);
            return;
        }

        if (UseDot<T>(transA, transB, m, n, k))
        {
            Dot(m, n, k, a, aOffset, lda, b, bOffset, ldb, c, cOffset, ldc, accumulate);
            return;
        }

        var p = new Problem<T>(transA, transB, m, n, k, a, aOffset, lda, b, bOffset, ldb, c, cOffset, ldc, accumulate);
        int threads = Workers.Count;
        if (threads <= 1 || work < ParallelThreshold)
        {
            p.Run(0, m, 0, n);
            return;
        }

        // Split m (rows, in multiples of MR) unless n is much larger: row slices write disjoint
        // ranges of C (a fresh C is page-faulted by one thread per page, no false sharing) and
        // duplicate only the cheap B packing; column slices duplicate the A packing.
        Shape shape = GetShape<T>();
        bool splitN = n > 2 * m || (m + shape.MR - 1) / shape.MR < threads;
        int unit = splitN ? shape.NR : shape.MR;
        int extent = splitN ? n : m;
        int tiles = (extent + unit - 1) / unit;
        int parts = Math.Min(threads, tiles);
        if (parts <= 1)
        {
            p.Run(0, m, 0, n);
            return;
        }
        Parallel.For(0, parts, Workers.Options, t =>
        {
            int lo = (int)Math.Min(extent, (long)tiles * t / parts * unit);
            int hi = (int)Math.Min(extent, (long)tiles * (t + 1) / parts * unit);
            if (lo >= hi) return;
            if (splitN) p.Run(0, m, lo, hi);
            else p.Run(lo, hi, 0, n);
        });
    }

    private static void CheckMatrix(int length, int offset, int rows, int cols, int ld, string name)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset, name + " offset");
        // A single row never uses its leading dimension, so any value is accepted there.
        if (rows > 1 && ld < cols) throw new ArgumentOutOfRangeException(name, $"leading dimension {ld} is smaller than the row length {cols}");
        if ((long)offset + (long)(rows - 1) * ld + cols > length)
            throw new ArgumentException($"{name}: a {rows}×{cols} matrix with offset {offset} and leading dimension {ld} does not fit in {length} elements", name);
    }

    /// <summary>Register tile shape: MR rows × NR columns (NR = NV vectors).</summary>
    private readonly record struct Shape(int MR, int NV, int NR);

    private static Shape GetShape<T>() where T : unmanaged
    {
        if (Use512)
        {
            return new Shape(14, 2, 2 * Vector512<T>.Count);
        }
        return new Shape(6, 2, 2 * Vector256<T>.Count);
    }

    /// <summary>Scalar reference loop for tiny problems and element types without SIMD kernels.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Scalar<T>(bool transA, bool transB, int m, int n, int k,
        T[] a, int aOffset, int lda, T[] b, int bOffset, int ldb,
        T[] c, int cOffset, int ldc, bool accumulate) where T : unmanaged, IFloatingPointIeee754<T>
    {
        // i-p-j order: the inner loop runs along a row of B and C (contiguous unless transB).
        for (int i = 0; i < m; i++)
        {
            Span<T> crow = c.AsSpan(cOffset + i * ldc, n);
            if (!accumulate) crow.Clear();
            for (int p = 0; p < k; p++)
            {
                T aip = transA ? a[aOffset + p * lda + i] : a[aOffset + i * lda + p];
                if (transB)
                {
                    for (int j = 0; j < n; j++) crow[j] += aip * b[bOffset + j * ldb + p];
                }
                else
                {
                    ReadOnlySpan<T> brow = b.AsSpan(bOffset + p * ldb, n);
                    for (int j = 0; j < n; j++) crow[j] += aip * brow[j];
                }
            }
        }
    }

    /// <summary>One multiplication's operands; <see cref="Run"/> computes a rectangle of C.</summary>
    private sealed class Problem<T> where T : unmanaged, INumberBase<T>
    {
        private readonly bool transA, transB, accumulate;
        private readonly int m, n, k, aOffset, lda, bOffset, ldb, cOffset, ldc;
        private readonly T[] a, b, c;

        public Problem(bool transA, bool transB, int m, int n, int k, T[] a, int aOffset, int lda,
            T[] b, int bOffset, int ldb, T[] c, int cOffset, int ldc, bool accumulate)
        {
            this.transA = transA; this.transB = transB; this.m = m; this.n = n; this.k = k;
            this.a = a; this.aOffset = aOffset; this.lda = lda;
            this.b = b; this.bOffset = bOffset; this.ldb = ldb;
            this.c = c; this.cOffset = cOffset; this.ldc = ldc; this.accumulate = accumulate;
        }

        /// <summary>Computes C[m0:m1, n0:n1] with the blocked algorithm on the calling thread.</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Run(int m0, int m1, int n0, int n1)
        {
            Shape s = GetShape<T>();
            int scale = sizeof(T) / sizeof(float);
            int kcMax = KcF, mcMax = Math.Max(s.MR, McF / scale / s.MR * s.MR), ncMax = Math.Max(s.NR, NcF / scale / s.NR * s.NR);

            // Balanced block counts: equal-sized blocks no larger than the maxima.
            int kBlocks = (k + kcMax - 1) / kcMax;
            int kcB = (k + kBlocks - 1) / kBlocks;
            int mc = Math.Min(mcMax, RoundUp(m1 - m0, s.MR));
            int mBlocks = (m1 - m0 + mc - 1) / mc;
            mc = RoundUp((m1 - m0 + mBlocks - 1) / mBlocks, s.MR);
            int nc = Math.Min(ncMax, RoundUp(n1 - n0, s.NR));

            long aElems = (long)mc * kcB + 16, bElems = (long)nc * kcB, tElems = (long)s.MR * s.NR;
            byte* buf = PackBuffer.Get((aElems + bElems + tElems) * sizeof(T) + 3 * 64);
            T* ap = (T*)buf;
            T* bp = (T*)Align64((byte*)(ap + aElems));
            T* tmp = (T*)Align64((byte*)(bp + bElems));

            fixed (T* a0 = a, b0 = b, c0 = c)
            {
                T* pa = a0 + aOffset, pb = b0 + bOffset, pc0 = c0 + cOffset;
                for (int jc = n0; jc < n1; jc += nc)
                {
                    int ncCur = Math.Min(nc, n1 - jc);
                    for (int pc = 0; pc < k; pc += kcB)
                    {
                        int kc = Math.Min(kcB, k - pc);
                        bool add = accumulate || pc > 0;
                        if (transB) PackBT(kc, ncCur, pb + (nint)jc * ldb + pc, ldb, bp, s.NR);
                        else PackBN(kc, ncCur, pb + (nint)pc * ldb + jc, ldb, bp, s.NR);
                        for (int ic = m0; ic < m1; ic += mc)
                        {
                            int mcCur = Math.Min(mc, m1 - ic);
                            if (transA) PackAT(mcCur, kc, pa + (nint)pc * lda + ic, lda, ap, s.MR);
                            else PackAN(mcCur, kc, pa + (nint)ic * lda + pc, lda, ap, s.MR);
                            Macro(s, mcCur, ncCur, kc, ap, bp, pc0 + (nint)ic * ldc + jc, ldc, add, tmp);
                        }
                    }
                }
            }
        }
    }

    private static int RoundUp(int x, int unit) => (x + unit - 1) / unit * unit;

    private static byte* Align64(byte* p) => (byte*)(((nint)p + 63) & ~(nint)63);

    /// <summary>Per-thread pinned scratch memory for the packed panels.</summary>
    private static class PackBuffer
    {
        [ThreadStatic] private static byte[]? buffer;

        public static byte* Get(long bytes)
        {
            byte[]? b = buffer;
            if (b is null || b.Length < bytes + 64)
            {
                b = GC.AllocateUninitializedArray<byte>((int)Math.Max(bytes + 64, b is null ? 0 : b.Length * 2L), pinned: true);
                buffer = b;
            }
            // Pinned (POH) arrays never move, so the address stays valid after this method returns.
            return Align64((byte*)Unsafe.AsPointer(ref b[0]));
        }
    }

    /// <summary>Macro-kernel: C[mc×nc] (+)= packed A block · packed B panel.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Macro<T>(Shape s, int mc, int nc, int kc, T* ap, T* bp, T* c, int ldc, bool add, T* tmp)
        where T : unmanaged, INumberBase<T>
    {
        int MR = s.MR, NR = s.NR;
        for (int jr = 0; jr < nc; jr += NR)
        {
            int nr = Math.Min(NR, nc - jr);
            T* bpp = bp + (nint)jr * kc;
            for (int ir = 0; ir < mc; ir += MR)
            {
                int mr = Math.Min(MR, mc - ir);
                T* app = ap + (nint)ir * kc;
                T* cc = c + (nint)ir * ldc + jr;
                if (nr == NR)
                {
                    if (mr == MR)
                    {
                        Tile(s, kc, app, bpp, cc, ldc, add);
                    }
                    else
                    {
                        // Last rows of the block: 4-row kernels straight into C, the rest via tmp.
                        int r = 0;
                        for (; r + 4 <= mr; r += 4)
                            Edge4(kc, app + r, MR, bpp, cc + (nint)r * ldc, ldc, add);
                        if (r < mr)
                        {
                            Edge4(kc, app + r, MR, bpp, tmp, NR, false);
                            AddTile(mr - r, nr, tmp, NR, cc + (nint)r * ldc, ldc, add);
                        }
                    }
                }
                else
                {
                    Tile(s, kc, app, bpp, tmp, NR, false);
                    AddTile(mr, nr, tmp, NR, cc, ldc, add);
                }
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Tile<T>(Shape s, int kc, T* a, T* b, T* c, nint ldc, bool add) where T : unmanaged
    {
        if (Use512) Kernel512x14(kc, a, b, c, ldc, add);
        else Kernel256x6(kc, a, b, c, ldc, add);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Edge4<T>(int kc, T* a, nint astride, T* b, T* c, nint ldc, bool add) where T : unmanaged
    {
        if (Use512) Kernel512x4(kc, a, astride, b, c, ldc, add);
        else Kernel256x4(kc, a, astride, b, c, ldc, add);
    }

    /// <summary>C[mr×nr] = (add ? C : 0) + tile[mr×nr].</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void AddTile<T>(int mr, int nr, T* tile, int ldt, T* c, int ldc, bool add) where T : unmanaged, INumberBase<T>
    {
        for (int i = 0; i < mr; i++)
        {
            T* src = tile + (nint)i * ldt;
            T* dst = c + (nint)i * ldc;
            if (add)
            {
                for (int j = 0; j < nr; j++) dst[j] += src[j];
            }
            else
            {
                new ReadOnlySpan<T>(src, nr).CopyTo(new Span<T>(dst, nr));
            }
        }
    }

}
