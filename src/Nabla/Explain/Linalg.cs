using K = Nabla.Explain.ArgKind;

namespace Nabla.Explain;

/// <summary>
/// The linear-algebra functions of the exercise language (<c>det</c>, <c>inv</c>, <c>solve</c>, <c>norm</c>,
/// <c>eigvals</c>, <c>eigvecs</c>) and the shape functions (<c>shape</c>, <c>numel</c>, <c>permute</c>).
/// </summary>
/// <remarks>
/// det, inv and solve are Gauss–Jordan elimination with partial pivoting written in tensor ops (one row at a time),
/// so autograd differentiates them like any equation, to every order: d det/dA = det·A⁻ᵀ and d inv = −A⁻¹·dA·A⁻¹
/// come out of the chain rule. Only the choice of pivot row reads values; it is piecewise constant, so it adds no
/// derivative. The eigen-decomposition (Jacobi rotations, <see cref="Tensor.SymmetricEigen"/>) is not recorded for
/// autograd: differentiating through eigvals or eigvecs is refused with an error instead of giving zero.
/// </remarks>
internal static class Linalg
{
    private static readonly string[] NormChoices = ["inf", "-inf", "fro"];

    /// <summary>Relative tolerance of the symmetry test and of "two eigenvalues coincide".</summary>
    private const double Tolerance = 1e-10;

    /// <summary>The signatures, in the order the documentation lists them.</summary>
    public static IEnumerable<Signature> Signatures()
    {
        Param input = new("input", K.Tensor, Required: true);
        yield return new("det", [Matrix("A")], a => Det(a, a.Tensor("A")), "determinant of a square matrix (LU with partial pivoting in tensor ops; differentiable)");
        yield return new("inv", [Matrix("A")], a => Solve(a, a.Tensor("A"), null), "inverse of a square matrix; a singular one is an error");
        yield return new("solve", [Matrix("A"), new("B", K.Tensor, Required: true)], a => Solve(a, a.Tensor("A"), a.Tensor("B")),
            "X with A·X = B (B a vector of length n or an n×k matrix); a singular A is an error");
        yield return new("norm", [input, new("p", K.NumberOrStr, 2.0, Choices: NormChoices), new("dim", K.Dims, null), new("keepdim", K.Bool, false)], Norm,
            "vector p-norm (Σ|x|ᵖ)^(1/p) over dim (all elements when None); p = 'inf' is max |x|, '-inf' min |x|, 'fro' is p = 2");
        yield return new("eigvals", [Matrix("A")], a => Eigen(a, vectors: false), "eigenvalues of a symmetric matrix, ascending (torch.linalg.eigvalsh)");
        yield return new("eigvecs", [Matrix("A")], a => Eigen(a, vectors: true),
            "unit eigenvectors of a symmetric matrix as columns, in the order of eigvals; each with its largest component positive");
        yield return new("shape", [input], a => Tensor.FromArray([.. a.Tensor("input").Shape.ToArray().Select(d => (double)d)]), "the sizes of input as a 1-D tensor");
        yield return new("numel", [input], a => Tensor.Scalar(a.Tensor("input").Numel), "the number of elements of input");
        yield return new("permute", [input, new("dims", K.Dims, Required: true, Rest: true)], Permute,
            "input with its dims reordered: permute(x, [1, 0]) or permute(x, 1, 0)");
    }

    private static Param Matrix(string name) => new(name, K.Tensor, Required: true);

    /// <summary>
    /// Marks <paramref name="value"/> (computed outside autograd) as depending on <paramref name="inputs"/> through a
    /// function the engine cannot differentiate: a backward pass through it fails with <paramref name="why"/>,
    /// instead of silently treating the value as a constant.
    /// </summary>
    internal static Tensor NotDifferentiable(Tensor value, string why, params Tensor[] inputs)
    {
        if (GradMode.IsEnabled && inputs.Any(t => t.RequiresGrad))
        {
            value.GradFn = new Node("not_differentiable", [.. inputs.Select(t => t.RequiresGrad ? t : null)],
                _ => throw new NotDifferentiableException(why));
        }

        return value;
    }

    private static void RequireSquare(BoundArgs a, Tensor m, string param = "A")
    {
        if (m.Rank != 2 || m.Shape[0] != m.Shape[1] || m.Shape[0] == 0)
        {
            throw a.Error($"needs a square matrix (n×n, n ≥ 1), got shape {m.Shape}", param);
        }
    }

    /// <summary>Reads values without recording ops in the trace (the pivot search only looks).</summary>
    private static double[] Peek(Tensor t)
    {
        using (Trace.Pause())
        {
            return t.Detach().ToDoubleArray();
        }
    }

    /// <summary>The row i ≥ k with the largest |rows[i][k]| (partial pivoting), and that magnitude.</summary>
    private static (int Row, double Magnitude) Pivot(Tensor[] rows, int k)
    {
        int best = k;
        double max = -1;
        for (int i = k; i < rows.Length; i++)
        {
            double v = Math.Abs(Peek(rows[i])[k]);
            if (v > max)
            {
                (best, max) = (i, v);
            }
        }

        return (best, max);
    }

    private static Tensor[] Rows(Tensor m) => [.. Enumerable.Range(0, m.Shape[0]).Select(i => m.Select(0, i))];

    // det A = (−1)^swaps · Π pivots of the LU factorisation with partial pivoting.
    private static Tensor Det(BoundArgs a, Tensor m)
    {
        RequireSquare(a, m);
        int n = m.Shape[0];
        var rows = Rows(m);
        var det = Tensor.Scalar(1.0);
        for (int k = 0; k < n; k++)
        {
            var (p, mag) = Pivot(rows, k);
            if (mag == 0)
            {
                return Singular(a, m, k);
            }

            if (p != k)
            {
                (rows[k], rows[p]) = (rows[p], rows[k]);
                det = -det;
            }

            var pivot = rows[k].Select(0, k);
            det = det * pivot;
            for (int i = k + 1; i < n; i++)
            {
                rows[i] = rows[i] - (rows[i].Select(0, k) / pivot * rows[k]);
            }
        }

        return det;
    }

    // An exactly singular matrix: det is 0, but its gradient adj(A)ᵀ need not be. Up to 5×5 the cofactor expansion
    // (in tensor ops, so differentiable) gives both; beyond that the value 0 is given and differentiating it refused.
    private static Tensor Singular(BoundArgs a, Tensor m, int column)
    {
        int n = m.Shape[0];
        if (n <= 5)
        {
            return Cofactor(m);
        }

        return NotDifferentiable(Tensor.Scalar(0.0), $"det: the {n}×{n} matrix is singular (no nonzero pivot in column {column}); its determinant is 0, "
            + "but its gradient is computed only for singular matrices up to 5×5", m);
    }

    // Laplace expansion along the first row: det A = Σⱼ (−1)ʲ a₀ⱼ det(A without row 0 and column j).
    private static Tensor Cofactor(Tensor m)
    {
        int n = m.Shape[0];
        if (n == 1)
        {
            return m.Select(0, 0).Select(0, 0);
        }

        Tensor? sum = null;
        var below = m.Narrow(0, 1, n - 1);
        for (int j = 0; j < n; j++)
        {
            var minor = j == 0 ? below.Narrow(1, 1, n - 1) : j == n - 1 ? below.Narrow(1, 0, n - 1)
                : Tensor.Cat([below.Narrow(1, 0, j), below.Narrow(1, j + 1, n - 1 - j)], 1);
            var term = m.Select(0, 0).Select(0, j) * Cofactor(minor);
            sum = sum is null ? term : j % 2 == 0 ? sum + term : sum - term;
        }

        return sum!;
    }

    // Gauss–Jordan on [A | B]: each pivot row is divided by its pivot and eliminated from every other row, leaving
    // [I | A⁻¹B]. B null means the identity (the inverse).
    private static Tensor Solve(BoundArgs a, Tensor m, Tensor? b)
    {
        RequireSquare(a, m);
        int n = m.Shape[0];
        var rhs = b ?? Tensor.Eye(n, dtype: m.DType);
        bool vector = rhs.Rank == 1;
        if (rhs.Rank is not (1 or 2) || rhs.Shape[0] != n)
        {
            throw a.Error($"B must have {n} rows like A (shape [{n}] or [{n}, k]), got shape {rhs.Shape}", "B");
        }

        var rows = Rows(Tensor.Cat([m, vector ? rhs.Unsqueeze(1) : rhs], 1));
        double scale = Peek(m).Max(Math.Abs);
        for (int k = 0; k < n; k++)
        {
            var (p, mag) = Pivot(rows, k);

            // A pivot at rounding level of the largest entry: A is singular to working precision and A⁻¹ is noise.
            if (mag <= n * Math.ScaleB(scale, -52))
            {
                throw a.Error($"the matrix is singular (no usable pivot in column {k}: the largest candidate is {Format.Number(mag, 6)}); it has no inverse", "A");
            }

            (rows[k], rows[p]) = (rows[p], rows[k]);
            rows[k] = rows[k] / rows[k].Select(0, k);
            for (int i = 0; i < n; i++)
            {
                if (i != k)
                {
                    rows[i] = rows[i] - (rows[i].Select(0, k) * rows[k]);
                }
            }
        }

        var x = Tensor.Stack(rows).Narrow(1, n, rhs.Rank == 1 ? 1 : rhs.Shape[1]);
        return vector ? x.Squeeze(1) : x;
    }

    private static Tensor Norm(BoundArgs a)
    {
        var x = a.Tensor("input");
        int r = Math.Max(x.Rank, 1);
        var dims = new List<int>();
        foreach (int d in a.Ints("dim") ?? [.. Enumerable.Range(0, x.Rank)])
        {
            int nd = d >= -r && d < r ? (d + r) % r : throw a.Error($"dim {d} is out of range for a tensor of shape {x.Shape} (dims {-r}..{r - 1})", "dim");
            dims.Add(!dims.Contains(nd) ? nd : throw a.Error($"dim {d} appears more than once", "dim"));
        }

        bool keep = a.Bool("keepdim");
        if (x.Rank == 0)
        {
            dims.Clear();
        }

        return a.Raw("p") switch
        {
            "inf" => Extreme(x.Abs(), [.. dims], keep, max: true),
            "-inf" => Extreme(x.Abs(), [.. dims], keep, max: false),
            "fro" => (x * x).Sum([.. dims], keep).Sqrt(),
            double p when p == 1 => x.Abs().Sum([.. dims], keep),
            double p when p == 2 => (x * x).Sum([.. dims], keep).Sqrt(),
            double p when p > 0 && double.IsFinite(p) => x.Abs().Pow(p).Sum([.. dims], keep).Pow(1 / p),
            var p => throw a.Error($"p must be a positive number, 'inf', '-inf' or 'fro', got {p}", "p"),
        };
    }

    // max or min over several dims: move them to the end, merge them into one, reduce it.
    private static Tensor Extreme(Tensor x, int[] dims, bool keep, bool max)
    {
        if (x.Rank == 0)
        {
            return x;
        }

        var rest = Enumerable.Range(0, x.Rank).Where(d => !dims.Contains(d)).ToArray();
        var moved = x.Permute([.. rest, .. dims]);
        var merged = moved.Reshape((int[])[.. rest.Select(d => x.Shape[d]), -1]);
        var y = max ? merged.Max(-1).Values : merged.Min(-1).Values;
        return keep ? y.Reshape((int[])[.. Enumerable.Range(0, x.Rank).Select(d => dims.Contains(d) ? 1 : x.Shape[d])]) : y;
    }

    // Jacobi rotations in float64 on the detached matrix; refused for a non-symmetric input and, for eigenvectors,
    // for repeated eigenvalues (the eigenvectors are then not unique, so no claim about them could be checked).
    private static Tensor Eigen(BoundArgs a, bool vectors)
    {
        var m = a.Tensor("A");
        RequireSquare(a, m);
        int n = m.Shape[0];
        var v = Peek(m);
        double scale = v.Max(Math.Abs);
        for (int i = 0; i < n; i++)
        {
            for (int j = i + 1; j < n; j++)
            {
                if (Math.Abs(v[(i * n) + j] - v[(j * n) + i]) > Tolerance * scale)
                {
                    throw a.Error($"needs a symmetric matrix, but A[{i}, {j}] = {Format.Number(v[(i * n) + j], 6)} and A[{j}, {i}] = {Format.Number(v[(j * n) + i], 6)} "
                        + "(only symmetric matrices have real eigenvalues and orthogonal eigenvectors for sure)", "A");
                }
            }
        }

        var (values, vecs) = Decompose(Tensor.FromArray(v, new Shape(n, n)));
        string name = vectors ? "eigvecs" : "eigvals";
        if (vectors && RepeatedAt(values) is var (i0, j0))
        {
            throw a.Error($"eigenvalues {i0} and {j0} coincide ({Format.Number(values[i0], 6)}): the eigenvectors of a repeated eigenvalue are not unique", "A");
        }

        var result = vectors ? Tensor.FromArray(vecs, new Shape(n, n)) : Tensor.FromArray(values);
        return NotDifferentiable(result, $"{name} is not differentiable in this engine (the eigen-decomposition is computed outside autograd)", m);
    }

    /// <summary>
    /// The eigenvalues (ascending) and unit eigenvectors (columns, row-major n×n) of a symmetric matrix, each
    /// eigenvector signed so that its largest-magnitude component is positive (the first of them, within a relative
    /// 1e-9, when several are equally large).
    /// </summary>
    internal static (double[] Values, double[] Vectors) Decompose(Tensor symmetric)
    {
        var (values, vectors) = symmetric.SymmetricEigen();
        var lam = values.ToDoubleArray();
        var vec = vectors.ToDoubleArray();
        int n = lam.Length;
        for (int c = 0; c < n; c++)
        {
            double max = Enumerable.Range(0, n).Max(r => Math.Abs(vec[(r * n) + c]));
            int lead = Enumerable.Range(0, n).First(r => Math.Abs(vec[(r * n) + c]) >= max * (1 - 1e-9));
            if (vec[(lead * n) + c] < 0)
            {
                for (int r = 0; r < n; r++)
                {
                    vec[(r * n) + c] = -vec[(r * n) + c];
                }
            }
        }

        return (lam, vec);
    }

    /// <summary>Two eigenvalues (ascending) that coincide within <see cref="Tolerance"/> of the largest magnitude, or null.</summary>
    internal static (int, int)? RepeatedAt(double[] ascending)
    {
        double scale = Math.Max(ascending.Max(Math.Abs), double.Epsilon);
        for (int i = 0; i + 1 < ascending.Length; i++)
        {
            if (ascending[i + 1] - ascending[i] <= Tolerance * scale)
            {
                return (i, i + 1);
            }
        }

        return null;
    }

    private static Tensor Permute(BoundArgs a)
    {
        var x = a.Tensor("input");
        var dims = a.Ints("dims")!;
        var seen = new bool[x.Rank];
        foreach (int d in dims)
        {
            int nd = d >= -x.Rank && d < x.Rank ? (d + x.Rank) % x.Rank
                : throw a.Error($"dim {d} is out of range for a tensor of shape {x.Shape}", "dims");
            seen[nd] = !seen[nd] ? true : throw a.Error($"dim {d} appears more than once in [{string.Join(", ", dims)}]", "dims");
        }

        return dims.Length == x.Rank ? x.Permute(dims)
            : throw a.Error($"needs all {x.Rank} dims of a tensor of shape {x.Shape} in a new order, got [{string.Join(", ", dims)}]", "dims");
    }
}

/// <summary>A backward pass reached a function the engine does not differentiate (eigvals, eigvecs).</summary>
internal sealed class NotDifferentiableException(string message) : InvalidOperationException(message);
