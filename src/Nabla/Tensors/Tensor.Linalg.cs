namespace Nabla;

public sealed partial class Tensor
{
    /// <summary>
    /// Matrix product with PyTorch's <c>matmul</c> rules: 1-D·1-D is a dot product, a 1-D operand is a row
    /// (left) or column (right) vector that is removed afterwards, and batch dimensions broadcast.
    /// </summary>
    /// <exception cref="ArgumentException">The inner dimensions differ; the message gives both shapes.</exception>
    public Tensor MatMul(Tensor other)
    {
        if (Rank == 0 || other.Rank == 0)
        {
            throw new ArgumentException($"matmul: both arguments need at least 1 dimension, got {Shape} and {other.Shape}");
        }

        var a = Rank == 1 ? Unsqueeze(0) : this;
        var b = other.Rank == 1 ? other.Unsqueeze(-1) : other;
        if (a.Shape[-1] != b.Shape[-2])
        {
            throw new ArgumentException($"matmul: shapes {Shape} and {other.Shape} cannot be multiplied ({a.Shape[-2]}x{a.Shape[-1]} and {b.Shape[-2]}x{b.Shape[-1]})");
        }

        var y = Ops.MatMul.Instance.Apply(a, b);
        if (other.Rank == 1)
        {
            y = y.Squeeze(-1);
        }

        if (Rank == 1)
        {
            y = y.Squeeze(-2 + (other.Rank == 1 ? 1 : 0));
        }

        return y;
    }

    /// <summary>Dot product of two 1-D tensors.</summary>
    public Tensor Dot(Tensor other) => (this * other).Sum();

    /// <summary>Outer product of two 1-D tensors: y[i, j] = a[i]·b[j].</summary>
    public Tensor Outer(Tensor other) => Unsqueeze(1) * other.Unsqueeze(0);

    /// <summary>
    /// The eigenvalues of a symmetric matrix in ascending order (<c>torch.linalg.eigvalsh</c>).
    /// </summary>
    /// <remarks>
    /// See <see cref="SymmetricEigen"/> for the method. For a Hessian H at a critical point, all eigenvalues
    /// &gt; 0 means a local minimum, all &lt; 0 a local maximum, and mixed signs a saddle point.
    /// </remarks>
    /// <exception cref="ArgumentException">The tensor is not a square float matrix.</exception>
    public Tensor SymmetricEigenvalues() => SymmetricEigen().Values;

    /// <summary>
    /// Eigen-decomposition A = V·diag(λ)·Vᵀ of a symmetric matrix: eigenvalues ascending, eigenvectors as the
    /// columns of an orthogonal matrix (<c>torch.linalg.eigh</c>). Not recorded for autograd.
    /// </summary>
    /// <remarks>
    /// Cyclic Jacobi rotations in float64: each rotation J in the (p, q) plane, with θ = (a_qq − a_pp)/(2a_pq),
    /// t = sign(θ)/(|θ| + √(θ² + 1)), c = 1/√(t² + 1), s = t·c, makes a_pq of JᵀAJ zero; sweeps repeat until the
    /// off-diagonal mass Σ_{p≠q} a_pq² is negligible, and V is the product of the rotations. Only the lower
    /// triangle is read (as PyTorch does), so a slightly asymmetric input is treated as symmetric.
    /// Suited to the small matrices of worked examples (cost O(n³) per sweep).
    /// </remarks>
    /// <exception cref="ArgumentException">The tensor is not a square float matrix.</exception>
    public (Tensor Values, Tensor Vectors) SymmetricEigen()
    {
        RequireFloat("SymmetricEigen");
        if (Rank != 2 || Shape[0] != Shape[1])
        {
            throw new ArgumentException($"SymmetricEigen: expected a square matrix, got shape {Shape}");
        }

        int n = Shape[0];
        var a = ToDoubleArray();
        for (int i = 0; i < n; i++)
        {
            for (int j = i + 1; j < n; j++)
            {
                a[(i * n) + j] = a[(j * n) + i];
            }
        }

        var v = new double[n * n];
        for (int i = 0; i < n; i++)
        {
            v[(i * n) + i] = 1;
        }

        for (int sweep = 0; sweep < 100; sweep++)
        {
            double off = 0, diag = 0;
            for (int i = 0; i < n; i++)
            {
                diag += a[(i * n) + i] * a[(i * n) + i];
                for (int j = 0; j < n; j++)
                {
                    off += i != j ? a[(i * n) + j] * a[(i * n) + j] : 0;
                }
            }

            if (off <= 1e-30 * diag || off == 0 || double.IsNaN(off))
            {
                break;
            }

            for (int p = 0; p < n; p++)
            {
                for (int q = p + 1; q < n; q++)
                {
                    JacobiRotate(a, v, n, p, q);
                }
            }
        }

        var order = Enumerable.Range(0, n).OrderBy(i => a[(i * n) + i]).ToArray();
        var values = Empty(new Shape(n), DType);
        var vectors = Empty(new Shape(n, n), DType);
        for (int k = 0; k < n; k++)
        {
            values.SetFlat(k, a[(order[k] * n) + order[k]]);
            for (int i = 0; i < n; i++)
            {
                vectors.SetFlat((i * n) + k, v[(i * n) + order[k]]);
            }
        }

        return (values, vectors);
    }

    /// <summary>One Jacobi rotation zeroing a[p, q] of the row-major n×n matrix a, accumulated into v.</summary>
    private static void JacobiRotate(double[] a, double[] v, int n, int p, int q)
    {
        double apq = a[(p * n) + q];
        if (apq == 0)
        {
            return;
        }

        double theta = (a[(q * n) + q] - a[(p * n) + p]) / (2 * apq);
        double t = (theta >= 0 ? 1 : -1) / (Math.Abs(theta) + Math.Sqrt((theta * theta) + 1));
        double c = 1 / Math.Sqrt((t * t) + 1), s = t * c;
        for (int k = 0; k < n; k++)
        {
            // Columns: A ← A·J, V ← V·J.
            double akp = a[(k * n) + p], akq = a[(k * n) + q];
            a[(k * n) + p] = (c * akp) - (s * akq);
            a[(k * n) + q] = (s * akp) + (c * akq);
            double vkp = v[(k * n) + p], vkq = v[(k * n) + q];
            v[(k * n) + p] = (c * vkp) - (s * vkq);
            v[(k * n) + q] = (s * vkp) + (c * vkq);
        }

        for (int k = 0; k < n; k++)
        {
            // Rows: A ← Jᵀ·A.
            double apk = a[(p * n) + k], aqk = a[(q * n) + k];
            a[(p * n) + k] = (c * apk) - (s * aqk);
            a[(q * n) + k] = (s * apk) + (c * aqk);
        }

        a[(p * n) + q] = 0;
        a[(q * n) + p] = 0;
    }
}
