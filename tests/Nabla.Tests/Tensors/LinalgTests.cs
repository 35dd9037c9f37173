namespace Nabla.Tests.Tensors;

/// <summary><see cref="Tensor.SymmetricEigen"/> (Jacobi rotations) and <see cref="Tensor.MatMul"/> shapes.</summary>
public class LinalgTests
{
    [Fact]
    public void Eigenvalues_of_small_symmetric_matrices()
    {
        // [[2, 1], [1, 2]]: det(A − λI) = (2 − λ)² − 1 = 0 → λ = 1, 3 (ascending).
        Assert.Equal([1.0, 3.0], Round(Tensor.FromArray(new double[,] { { 2, 1 }, { 1, 2 } }).SymmetricEigenvalues()));
        // Diagonal input comes back sorted.
        Assert.Equal([72.0, 128.0], Round(Tensor.FromArray(new double[,] { { 128, 0 }, { 0, 72 } }).SymmetricEigenvalues()));
        // The 1-D Laplacian tridiag(−1, 2, −1) of size 3 has λ = 2 − √2, 2, 2 + √2.
        var lap = Tensor.FromArray(new double[,] { { 2, -1, 0 }, { -1, 2, -1 }, { 0, -1, 2 } });
        var ev = lap.SymmetricEigenvalues().ToDoubleArray();
        Assert.Equal(2 - Math.Sqrt(2), ev[0], 12);
        Assert.Equal(2.0, ev[1], 12);
        Assert.Equal(2 + Math.Sqrt(2), ev[2], 12);
        // Float32 in, Float32 out.
        var f = Tensor.FromArray(new float[,] { { 0, 1 }, { 1, 0 } }).SymmetricEigenvalues();
        Assert.Equal(DType.Float32, f.DType);
        Assert.Equal([-1.0, 1.0], Round(f));
        Assert.Equal([5.0], Tensor.FromArray([5.0], [1, 1]).SymmetricEigenvalues().ToDoubleArray());
    }

    [Fact]
    public void Eigen_decomposition_reconstructs_a_random_symmetric_matrix()
    {
        var g = new Generator(3);
        var m = Tensor.Randn([6, 6], g, DType.Float64);
        var a = (m + m.T) * 0.5;
        var (values, vectors) = a.SymmetricEigen();
        Assert.Equal(new Shape(6), values.Shape);
        Assert.Equal(new Shape(6, 6), vectors.Shape);
        var v = values.ToDoubleArray();
        for (int i = 1; i < v.Length; i++)
        {
            Assert.True(v[i - 1] <= v[i]);
        }

        // A·V = V·diag(λ), Vᵀ·V = I, and Σλ = trace(A).
        AssertClose(a.MatMul(vectors), vectors * values, 1e-10);
        AssertClose(vectors.T.MatMul(vectors), Tensor.Eye(6, dtype: DType.Float64), 1e-10);
        double trace = Enumerable.Range(0, 6).Sum(i => a[i, i].Item());
        Assert.Equal(trace, v.Sum(), 10);
    }

    [Fact]
    public void Eigen_reads_the_lower_triangle()
    {
        var a = Tensor.FromArray(new double[,] { { 2, 100 }, { 1, 2 } }); // treated as [[2, 1], [1, 2]]
        Assert.Equal([1.0, 3.0], Round(a.SymmetricEigenvalues()));
    }

    [Fact]
    public void Eigen_rejects_non_square_and_integer_input()
    {
        var e = Assert.Throws<ArgumentException>(() => Tensor.Ones([2, 3]).SymmetricEigenvalues());
        Assert.Contains("[2, 3]", e.Message);
        Assert.Throws<ArgumentException>(() => Tensor.Ones([3]).SymmetricEigenvalues());
        Assert.Throws<ArgumentException>(() => Tensor.Eye(2, dtype: DType.Int64).SymmetricEigenvalues());
    }

    [Theory]
    [InlineData(new[] { 3 }, new[] { 3 }, new int[0])]
    [InlineData(new[] { 2, 3 }, new[] { 3 }, new[] { 2 })]
    [InlineData(new[] { 3 }, new[] { 3, 4 }, new[] { 4 })]
    [InlineData(new[] { 5, 2, 3 }, new[] { 3, 4 }, new[] { 5, 2, 4 })]
    [InlineData(new[] { 1, 2, 3 }, new[] { 6, 3, 4 }, new[] { 6, 2, 4 })]
    [InlineData(new[] { 3 }, new[] { 5, 3, 4 }, new[] { 5, 4 })]
    [InlineData(new[] { 5, 2, 3 }, new[] { 3 }, new[] { 5, 2 })]
    [InlineData(new[] { 3 }, new[] { 2, 3, 1 }, new[] { 2, 1 })]
    public void Matmul_shapes_follow_pytorch(int[] sa, int[] sb, int[] expected)
    {
        var y = Tensor.Ones(new Shape(sa)).MatMul(Tensor.Ones(new Shape(sb)));
        Assert.Equal(new Shape(expected), y.Shape);
        Assert.All(y.ToDoubleArray(), v => Assert.Equal(3.0, v));
    }

    private static double[] Round(Tensor t) => t.ToDoubleArray().Select(v => Math.Round(v, 9)).ToArray();

    private static void AssertClose(Tensor expected, Tensor actual, double tol)
    {
        var e = expected.ToDoubleArray();
        var a = actual.ToDoubleArray();
        Assert.Equal(e.Length, a.Length);
        for (int i = 0; i < e.Length; i++)
        {
            Assert.True(Math.Abs(e[i] - a[i]) <= tol, $"element {i}: {e[i]} vs {a[i]}");
        }
    }
}
