using System.Numerics;
using Nabla.Ops.Kernels;

namespace Nabla.Tests.Kernels;

/// <summary>
/// Gemm.Multiply against a naive double-precision triple loop: float and double, all transpose
/// combinations, many sizes (edges of the 14×32 register tile, of the 4-row edge kernel and of the
/// scalar cut-off), accumulate on/off, nonzero offsets, leading dimensions larger than the rows,
/// and 1 and 2 threads. The Vector256 and scalar paths are selected by the CPU: run these tests with
/// DOTNET_EnableAVX512F=0 (Vector256 kernels) or DOTNET_EnableAVX2=0 (scalar loop) to cover them.
/// </summary>
[Collection(GlobalStateCollection.Name)]
public class GemmTests
{
    private static readonly int[] Sizes = { 0, 1, 2, 3, 7, 15, 16, 17, 31, 33, 64, 100, 129 };

    private static readonly (int M, int N, int K)[] OddShapes =
    {
        (1, 300, 5), (300, 1, 7), (37, 53, 301), (5, 3, 0), (0, 4, 3), (29, 45, 1),
    };

    public static IEnumerable<object[]> Cases()
    {
        var shapes = Sizes.Select(s => (s, s, s)).Concat(OddShapes);
        foreach (var (m, n, k) in shapes)
            foreach (bool ta in new[] { false, true })
                foreach (bool tb in new[] { false, true })
                    foreach (bool acc in new[] { false, true })
                        foreach (int threads in new[] { 1, 2 })
                            yield return new object[] { m, n, k, ta, tb, acc, threads };
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Float_matches_naive(int m, int n, int k, bool transA, bool transB, bool accumulate, int threads) =>
        Check<float>(m, n, k, transA, transB, accumulate, threads, 1e-4 * Math.Sqrt(Math.Max(k, 1)));

    [Theory]
    [MemberData(nameof(Cases))]
    public void Double_matches_naive(int m, int n, int k, bool transA, bool transB, bool accumulate, int threads) =>
        Check<double>(m, n, k, transA, transB, accumulate, threads, 1e-12 * Math.Max(k, 1));

    /// <summary>Shapes large enough for the blocked, multi-block and multi-threaded paths (several KC, MC blocks).</summary>
    [Theory]
    [InlineData(200, 300, 150, false, false)]
    [InlineData(200, 300, 150, true, true)]
    [InlineData(301, 259, 777, false, true)]
    [InlineData(259, 301, 777, true, false)]
    [InlineData(45, 2100, 20, false, false)]
    [InlineData(2100, 33, 20, true, false)]
    [InlineData(6, 25, 5000, false, true)] // the dot-product path: small C, long k (conv weight gradients)
    [InlineData(16, 150, 1700, false, true)]
    [InlineData(5, 7, 777, false, true)]
    [InlineData(1, 1, 600, false, true)]
    public void Large_shapes_single_and_multi_threaded(int m, int n, int k, bool transA, bool transB)
    {
        foreach (int threads in new[] { 1, 3 })
            foreach (bool acc in new[] { false, true })
            {
                Check<float>(m, n, k, transA, transB, acc, threads, 1e-4 * Math.Sqrt(k));
                Check<double>(m, n, k, transA, transB, acc, threads, 1e-12 * k);
            }
    }

    [Fact]
    public void Multithreaded_result_equals_single_threaded_bitwise()
    {
        const int m = 257, n = 190, k = 300;
        var rng = new Random(5);
        float[] a = Random<float>(rng, m * k), b = Random<float>(rng, k * n);
        float[] c1 = new float[m * n], c2 = new float[m * n];
        int saved = Threads.Count;
        try
        {
            Threads.Count = 1;
            Gemm.Multiply(false, false, m, n, k, a, 0, k, b, 0, n, c1, 0, n, false);
            Threads.Count = 2;
            Gemm.Multiply(false, false, m, n, k, a, 0, k, b, 0, n, c2, 0, n, false);
        }
        finally
        {
            Threads.Count = saved;
        }
        Assert.Equal(c1, c2);
    }

    [Fact]
    public void Rejects_operands_that_do_not_fit()
    {
        var a = new float[12];
        var b = new float[12];
        var c = new float[9];
        Assert.Throws<ArgumentException>(() => Gemm.Multiply(false, false, 3, 3, 4, a, 1, 4, b, 0, 3, c, 0, 3, false));
        Assert.Throws<ArgumentOutOfRangeException>(() => Gemm.Multiply(false, false, 3, 3, 4, a, 0, 3, b, 0, 3, c, 0, 3, false));
        Assert.Throws<ArgumentException>(() => Gemm.Multiply(false, false, 3, 3, 4, a, 0, 4, b, 0, 3, c, 1, 3, false));
        Assert.Throws<ArgumentOutOfRangeException>(() => Gemm.Multiply(false, false, -1, 3, 4, a, 0, 4, b, 0, 3, c, 0, 3, false));
    }

    private static T[] Random<T>(Random rng, int count) where T : IFloatingPointIeee754<T>
    {
        var x = new T[count];
        for (int i = 0; i < count; i++) x[i] = T.CreateChecked(rng.NextDouble() * 2 - 1);
        return x;
    }

    private static void Check<T>(int m, int n, int k, bool transA, bool transB, bool accumulate, int threads, double tol)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var rng = new Random(HashCode.Combine(m, n, k, transA, transB, accumulate));
        // Stored shapes with padding: leading dimensions larger than the rows, nonzero offsets.
        int aRows = transA ? k : m, aCols = transA ? m : k;
        int bRows = transB ? n : k, bCols = transB ? k : n;
        int lda = aCols + 3, ldb = bCols + 5, ldc = n + 2;
        int aOff = 7, bOff = 2, cOff = 11;
        T[] a = Random<T>(rng, aOff + aRows * lda + 3);
        T[] b = Random<T>(rng, bOff + bRows * ldb + 1);
        T[] c = Random<T>(rng, cOff + m * ldc + 4);
        T[] c0 = (T[])c.Clone();

        int saved = Threads.Count;
        try
        {
            Threads.Count = threads;
            Gemm.Multiply(transA, transB, m, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc, accumulate);
        }
        finally
        {
            Threads.Count = saved;
        }

        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < n; j++)
            {
                double want = accumulate ? double.CreateChecked(c0[cOff + i * ldc + j]) : 0.0;
                double scale = Math.Abs(want);
                for (int p = 0; p < k; p++)
                {
                    double x = double.CreateChecked(transA ? a[aOff + p * lda + i] : a[aOff + i * lda + p]);
                    double y = double.CreateChecked(transB ? b[bOff + j * ldb + p] : b[bOff + p * ldb + j]);
                    want += x * y;
                    scale += Math.Abs(x * y);
                }
                double got = double.CreateChecked(c[cOff + i * ldc + j]);
                double err = Math.Abs(got - want);
                Assert.True(err <= tol * Math.Max(1.0, scale),
                    $"{typeof(T).Name} m={m} n={n} k={k} tA={transA} tB={transB} acc={accumulate} threads={threads}: C[{i},{j}] = {got}, expected {want} (err {err:E2})");
            }
        }

        // Nothing outside the m×n window of C may change (row padding, before and after).
        for (int idx = 0; idx < c.Length; idx++)
        {
            int r = (idx - cOff) / ldc, col = (idx - cOff) % ldc;
            bool inside = idx >= cOff && r < m && col < n;
            if (!inside) Assert.True(c[idx].Equals(c0[idx]), $"C[{idx}] outside the result was modified");
        }
    }
}
