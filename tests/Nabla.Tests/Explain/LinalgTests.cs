using Nabla.Analysis;
using Nabla.Cli.Commands;
using Nabla.Explain;
using Nabla.Formats;
using Nabla.Models;
using Nabla.NN;

namespace Nabla.Tests.Explain;

/// <summary>
/// The linear-algebra functions of the exercise language, named Hessian results, several losses in one file, and the
/// Reshape/Unflatten/Permute layers. Expected values are derived by hand in the comments, or are finite differences.
/// </summary>
public class LinalgTests
{
    private static readonly double S = Math.Sqrt(0.5);

    private static Solution Solve(string yaml) => Solver.Solve(Exercise.Parse(yaml));

    private static double[] Get(Solution sol, string name) => (sol.Find(name) ?? throw new InvalidOperationException($"no value {name}")).Value.ToDoubleArray();

    private static void Near(double[] expected, double[] actual, double tol = 1e-12)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tol * Math.Max(1, Math.Abs(expected[i])), $"element {i}: {actual[i]}, expected {expected[i]}");
        }
    }

    [Fact]
    public void Hessian_of_a_quadratic_has_eigenvectors_usable_by_later_equations_and_claims()
    {
        // f = 3x² + 2xy + 3y²: H = [[6, 2], [2, 6]], det(H − λI) = (6 − λ)² − 4 ⇒ λ = 4, 8; eigenvectors (1, −1)/√2 and
        // (1, 1)/√2 (largest component positive, the first of equal ones). q = Vᵀ(2, 1) = (1/√2, 3/√2).
        var sol = Solve("""
            given: {x: 2, y: 1}
            equations:
              - "f = 3*x^2 + 2*x*y + 3*y^2"
              - "q = transpose(H.eigenvectors) @ [x, y]"
              - "lam = H.eigenvalues"
            hessian: {of: f, wrt: [x, y], name: H}
            """);
        Near([6, 2, 2, 6], Get(sol, "H"));
        Near([4, 8], Get(sol, "H.eigenvalues"));
        Near([S, S, -S, S], Get(sol, "H.eigenvectors"));
        Near([S, 3 * S], Get(sol, "q"));
        Near([32], Get(sol, "H.det"));
        Near([14, 10], Get(sol, "H.gradient")); // ∇f = (6x + 2y, 2x + 6y)
        Near([0], Get(sol, "H.index"));
        Near([S, S, -S, S], sol.CriticalPoints[0].Eigenvectors!.ToDoubleArray());
    }

    [Fact]
    public void Named_hessians_at_several_points_classify_a_saddle_by_its_index()
    {
        // f = x³ − 3x + y²: ∇f = (3x² − 3, 2y) is 0 at (±1, 0); H = diag(6x, 2): at (1, 0) eigenvalues 2, 6 (minimum,
        // index 0), at (−1, 0) −6, 2 (saddle, index 1).
        var sol = Solve("""
            given: {x: 0, y: 0}
            equations: ["f = x^3 - 3*x + y^2", "gap = Hmin.f - Hsad.f"]
            hessian: {of: f, wrt: [x, y], at: [[1, 0], [-1, 0]], name: [Hmin, Hsad]}
            """);
        Near([2, 6], Get(sol, "Hmin.eigenvalues"));
        Near([-6, 2], Get(sol, "Hsad.eigenvalues"));
        Near([0], Get(sol, "Hmin.index"));
        Near([1], Get(sol, "Hsad.index"));
        Near([-4], Get(sol, "gap")); // f(1, 0) = −2, f(−1, 0) = 2
        Assert.Equal(["local minimum", "saddle point"], sol.CriticalPoints.Select(p => p.Type));
    }

    [Fact]
    public void Check_accepts_the_example_claims_about_principal_axes()
    {
        var o = new StringWriter();
        int rc = CheckCommand.Run([Path.Combine(ExerciseExamplesTests.Root, "examples/exercises/linalg-quadratic-principal-axes.yaml")], o, new StringWriter());
        Assert.True(rc == 0, o.ToString());
        Assert.Contains("right  H.eigenvectors", o.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Det_inv_solve_of_a_3x3_match_the_cofactor_computation()
    {
        // A = [[2, 1, 1], [1, 3, 2], [1, 0, 0]] (A[2, 2] = 0 needs a row swap). Expanding along the last row:
        // det A = 1·(1·2 − 1·3) = −1. Cofactors give adj A = [[0, 0, −1], [2, −1, −3], [−3, 1, 5]], so
        // A⁻¹ = adj A / det = [[0, 0, 1], [−2, 1, 3], [3, −1, −5]]; A·(1, 1, 1) = (4, 6, 1), so solve(A, [4, 6, 1]) = (1, 1, 1).
        var sol = Solve("""
            given: {A: [[2, 1, 1], [1, 3, 2], [1, 0, 0]], b: [4, 6, 1], B: [[4, 2], [6, 3], [1, 1]]}
            equations: ["d = det(A)", "Ai = inv(A)", "x = solve(A, b)", "X = solve(A, B)", "dt = det(transpose(A))"]
            """);
        Near([-1], Get(sol, "d"));
        Near([-1], Get(sol, "dt"));
        Near([0, 0, 1, -2, 1, 3, 3, -1, -5], Get(sol, "Ai"));
        Near([1, 1, 1], Get(sol, "x"));
        Near([1, 1, 1, 2, 1, -2], Get(sol, "X")); // second column: A⁻¹(2, 3, 1) = (1, −4 + 3 + 3, 6 − 3 − 5) = (1, 2, −2)
        Assert.Equal([3], sol.Find("x")!.Value.Shape.ToArray());
    }

    [Theory]
    [InlineData("x = inv(A)", "the matrix is singular")]
    [InlineData("x = solve(A, [1, 2])", "the matrix is singular")]
    [InlineData("x = det([1, 2])", "needs a square matrix")]
    [InlineData("x = eigvals(N)", "needs a symmetric matrix, but A[0, 1] = 1 and A[1, 0] = 0")]
    [InlineData("x = eigvecs(I2)", "eigenvalues 0 and 1 coincide")]
    [InlineData("x = norm(A, p=-1)", "p must be a positive number")]
    [InlineData("x = norm(A, p='max')", "must be a number or 'inf' or '-inf' or 'fro'")]
    [InlineData("x = permute(A, [0, 0])", "appears more than once")]
    [InlineData("x = permute(A, [0])", "needs all 2 dims")]
    public void Bad_linear_algebra_is_refused_with_a_reason(string equation, string why)
    {
        // A = [[1, 2], [2, 4]] is singular (row 2 = 2·row 1).
        var e = Assert.ThrowsAny<InvalidFileException>(() => Solve($"""
            given: {"{"}A: [[1, 2], [2, 4]], N: [[1, 1], [0, 1]], I2: [[1, 0], [0, 1]]{"}"}
            equations: ["{equation}"]
            """));
        Assert.Contains(why, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Det_of_a_singular_matrix_is_zero_with_the_adjugate_as_gradient()
    {
        // A = [[1, 2], [2, 4]]: det = 4 − 4 = 0; d det/dA = adj(A)ᵀ = [[4, −2], [−2, 1]] (cofactors), not zero.
        var sol = Solve("""
            given: {A: [[1, 2], [2, 4]]}
            equations: ["L = det(A)"]
            loss: L
            gradients: [A]
            """);
        Near([0], Get(sol, "L"));
        Near([4, -2, -2, 1], Get(sol, "dL/dA"));
    }

    [Fact]
    public void Gradients_of_det_and_inv_agree_with_finite_differences_and_closed_forms()
    {
        double[] a = [2, 1, 1, 1, 3, 2, 1, 0, 0.5];
        double[] w = [1, -2, 0.5, 3, 1, -1, 0.25, 2, -3];
        string Yaml(double[] m) => $"given: {{A: {FunctionTableTests.Yaml(Tensor.FromArray(m, new Shape(3, 3)))}, W: {FunctionTableTests.Yaml(Tensor.FromArray(w, new Shape(3, 3)))}}}\n"
            + "equations: [\"D = det(A)\", \"Q = sum(W * inv(A))\"]\nlosses: [D, Q]\ngradients: [A]\n";
        var sol = Solve(Yaml(a));
        var (dD, dQ) = (Get(sol, "dD/dA"), Get(sol, "dQ/dA"));
        const double h = 1e-6;
        for (int i = 0; i < 9; i++)
        {
            var (up, down) = ((double[])a.Clone(), (double[])a.Clone());
            up[i] += h;
            down[i] -= h;
            var (su, sd) = (Solve(Yaml(up)), Solve(Yaml(down)));
            Assert.Equal((Get(su, "D")[0] - Get(sd, "D")[0]) / (2 * h), dD[i], 1e-6);
            Assert.Equal((Get(su, "Q")[0] - Get(sd, "Q")[0]) / (2 * h), dQ[i], 1e-6);
        }

        // Closed forms: d det/dA = det·A⁻ᵀ; for Q = Σ W ⊙ A⁻¹, dQ/dA = −A⁻ᵀ W A⁻ᵀ.
        var A = Tensor.FromArray(a, new Shape(3, 3));
        var inv = Tensor.FromArray(Get(sol, "dD/dA"), new Shape(3, 3)).Transpose(0, 1) / Get(sol, "D")[0];
        Near(Tensor.Eye(3, dtype: DType.Float64).ToDoubleArray(), A.MatMul(inv).ToDoubleArray(), 1e-12);
        var invT = inv.Transpose(0, 1);
        Near((-invT.MatMul(Tensor.FromArray(w, new Shape(3, 3))).MatMul(invT)).ToDoubleArray(), dQ, 1e-10);
    }

    [Fact]
    public void Differentiating_through_eigvals_is_refused_not_zero()
    {
        var e = Assert.ThrowsAny<InvalidOperationException>(() => Solve("""
            given: {A: [[2, 1], [1, 2]]}
            equations: ["L = sum(eigvals(A))"]
            loss: L
            gradients: [A]
            """));
        Assert.Contains("eigvals is not differentiable", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Norms_p1_p2_inf_by_hand()
    {
        // x = (3, −4, 0): |x|₁ = 7, |x|₂ = 5, |x|∞ = 4, min |x| = 0; M = [[1, −2], [−3, 4]]: column sums of |M| (4, 6),
        // row maxima of |M| (2, 4), Frobenius √30, |(3, −4)|₃ = 91^(1/3).
        var sol = Solve("""
            given: {x: [3, -4, 0], M: [[1, -2], [-3, 4]]}
            equations: ["a = norm(x, 1)", "b = norm(x)", "c = norm(x, 'inf')", "d = norm(x, p='-inf')", "e = norm(M, 1, 0)",
                        "f = norm(M, p='inf', dim=1, keepdim=True)", "g = norm(M, 'fro')", "k = norm([3, -4], 3)", "m = norm(M, 'inf', [0, 1])"]
            """);
        Near([7], Get(sol, "a"));
        Near([5], Get(sol, "b"));
        Near([4], Get(sol, "c"));
        Near([0], Get(sol, "d"));
        Near([4, 6], Get(sol, "e"));
        Near([2, 4], Get(sol, "f"));
        Assert.Equal([2, 1], sol.Find("f")!.Value.Shape.ToArray());
        Near([Math.Sqrt(30)], Get(sol, "g"));
        Near([Math.Cbrt(91)], Get(sol, "k"));
        Near([4], Get(sol, "m"));
    }

    [Fact]
    public void Shape_numel_permute_by_hand()
    {
        // x has shape [2, 3, 4]: shape = (2, 3, 4), 24 elements; permute(x, 2, 0, 1) has shape [4, 2, 3] and
        // y[k, i, j] = x[i, j, k]: with x = 100i + 10j + k, y[3, 1, 2] = 123.
        var sol = Solve("""
            given: {x: {formula: "100*i + 10*j + k", shape: [2, 3, 4]}}
            equations: ["s = shape(x)", "n = numel(x)", "y = permute(x, 2, 0, 1)", "v = y[3, 1, 2]", "z = shape(permute(x, [-1, 1, 0]))", "e = shape(n)"]
            """);
        Near([2, 3, 4], Get(sol, "s"));
        Near([24], Get(sol, "n"));
        Assert.Equal([4, 2, 3], sol.Find("y")!.Value.Shape.ToArray());
        Near([123], Get(sol, "v"));
        Near([4, 3, 2], Get(sol, "z"));
        Assert.Empty(Get(sol, "e"));
    }

    [Fact]
    public void Two_losses_in_one_file_each_get_their_gradients()
    {
        // L1 = (w·x − y)², L2 = w² + b: dL1/dw = 2(wx − y)x = 2(3·2 − 5)·2 = 4, dL1/db = 0; dL2/dw = 2w = 6, dL2/db = 1.
        var sol = Solve("""
            given: {w: 3, b: 0.5, x: 2, y: 5}
            equations: ["L1 = (w*x - y)^2", "L2 = w^2 + b"]
            losses: [L1, L2]
            gradients: [w, b]
            optimizer: {type: SGD, lr: 0.1}
            """);
        Assert.Equal("L1", sol.Loss!.Name);
        Near([4], Get(sol, "dL1/dw"));
        Near([0], Get(sol, "dL1/db"));
        Near([6], Get(sol, "dL2/dw"));
        Near([1], Get(sol, "dL2/db"));
        Near([3 - (0.1 * 4)], Get(sol, "w'")); // the optimizer follows the primary loss, L1
        var json = JsonRenderer.Render(sol);
        Assert.Contains("\"losses\"", json, StringComparison.Ordinal);
        Assert.Contains("\"dL2/dw\"", json, StringComparison.Ordinal);
    }

    [Fact]
    public void Loss_and_losses_together_put_loss_first()
    {
        var sol = Solve("""
            given: {w: 3}
            equations: ["A = w^2", "B = 2*w"]
            loss: B
            losses: [A, B]
            gradients: [w]
            """);
        Assert.Equal("B", sol.Loss!.Name);
        Near([2], Get(sol, "dB/dw"));
        Near([6], Get(sol, "dA/dw"));
    }

    [Fact]
    public void Reshape_unflatten_permute_layers_round_trip_through_the_model_file_and_summary()
    {
        // [12] → Reshape [3, 4] → Permute (0, 2, 1) gives [4, 3] → Flatten [12] → Unflatten(1, [2, 6]) [2, 6] → Flatten → Linear(12, 2).
        var model = new Sequential(new Reshape([3, -1]), new Permute([0, 2, 1]), new Flatten(), new Unflatten(1, [2, 6]), new Flatten(), new Linear(12, 2));
        var input = new Shape(12);
        string yaml = ModelFile.Write(model, input, "rearrange");
        Assert.Contains("Permute", yaml, StringComparison.Ordinal);
        var def = ModelFile.Parse(yaml);
        var rebuilt = def.Build();
        Assert.Equal(model.ToString(), rebuilt.ToString());
        Assert.Equal(yaml, ModelFile.Write(rebuilt, input, "rearrange"));
        var rows = def.Summarize().Rows.Where(r => r.Path.Length > 0).Select(r => r.OutputShape.ToArray()).ToList();
        Assert.Equal([[3, 4], [4, 3], [12], [2, 6], [12], [2]], rows);
        Assert.Equal(26, def.Summarize().Totals.Params);
        Assert.Equal(ModelSummary.Of(model, input).Rows.Select(r => r.OutputShape), def.Summarize().Rows.Select(r => r.OutputShape));
    }

    [Theory]
    [InlineData("  - Reshape: {shape: [5, -1]}\n", "cannot be reshaped to [5, -1]")]
    [InlineData("  - Permute: {dims: [1, 0]}\n", "move the batch dimension 0")]
    [InlineData("  - Permute: {dims: [0, 1, 1]}\n", "are not an order of the 2 dimensions")]
    [InlineData("  - Unflatten: {dim: 1, unflattenedSize: [5, 2]}\n", "do not multiply to dimension 1 of size 12")]
    public void Impossible_rearrangements_name_the_layer(string layer, string why)
    {
        var def = ModelFile.Parse("input: [12]\nlayers:\n" + layer);
        var e = Assert.Throws<ModelShapeException>(() => def.Summarize());
        Assert.Contains(why, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Exercise_model_with_reshape_and_permute_runs_forward_as_a_transpose()
    {
        // x = (1, ..., 6) → Reshape [2, 3] = [[1, 2, 3], [4, 5, 6]] → Permute (0, 2, 1) = [[1, 4], [2, 5], [3, 6]] → Flatten.
        var sol = Solve("""
            given: {x: [1, 2, 3, 4, 5, 6]}
            models:
              m:
                input: [6]
                layers: [{Reshape: {shape: [2, 3]}}, {Permute: {dims: [0, 2, 1]}, name: P}, Flatten]
                run: {input: x}
            equations: ["y = m.output", "n = numel(m.P.output)"]
            """);
        Near([1, 4, 2, 5, 3, 6], Get(sol, "y"));
        Near([6], Get(sol, "n"));
    }
}
