using Nabla.Explain;
using Nabla.Explain.Sections;
using Nabla.Formats;

namespace Nabla.Tests.Explain;

/// <summary>
/// The <c>attention:</c> exercise section: one head worked by hand. Expected values are derived by hand in the
/// comments (a scale of ln 3 makes the softmax rational) or are central finite differences of a plain C# attention,
/// independent of the engine.
/// </summary>
public class AttentionExerciseTests
{
    private static readonly double Ln3 = Math.Log(3);

    // Q = K = I, V = [[1, 2], [3, 4]], scale = ln 3, dO = [[1, 0], [0, 2]].
    private const string Identity = """
        attention:
          Q: [[1, 0], [0, 1]]
          K: [[1, 0], [0, 1]]
          V: [[1, 2], [3, 4]]
          scale: 1.0986122886681098
          dO: [[1, 0], [0, 2]]
        """;

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
    public void Two_tokens_by_hand()
    {
        // S = ln3·Q·Kᵀ = ln3·I; softmax of (ln 3, 0) is (3/4, 1/4): P = [[3/4, 1/4], [1/4, 3/4]].
        // O = P·V = [[3/4 + 3/4, 2/4 + 4/4], [1/4 + 9/4, 2/4 + 12/4]] = [[1.5, 2.5], [2.5, 3.5]]; L = Σ O⊙dO = 1.5 + 2·3.5 = 8.5.
        // dV = Pᵀ·dO = [[3/4, 2/4], [1/4, 6/4]]; dP = dO·Vᵀ = [[1, 3], [4, 8]];
        // rowsum(dP⊙P) = (3/4 + 3/4, 1 + 6) = (1.5, 7) (= rowsum(dO⊙O));
        // dS = P⊙(dP − rowsum) = [[3/4·(−0.5), 1/4·1.5], [1/4·(−3), 3/4·1]] = [[−0.375, 0.375], [−0.75, 0.75]];
        // dQ = ln3·dS·K = ln3·dS; dK = ln3·dSᵀ·Q = ln3·dSᵀ.
        var sol = Solve(Identity);
        Near([Ln3, 0, 0, Ln3], Get(sol, "attn.S"));
        Near([0.75, 0.25, 0.25, 0.75], Get(sol, "attn.P"));
        Near([1.5, 2.5, 2.5, 3.5], Get(sol, "attn.O"));
        Near([8.5], Get(sol, "attn.L"));
        Near([0.75, 0.5, 0.25, 1.5], Get(sol, "attn.dV"));
        Near([1, 3, 4, 8], Get(sol, "attn.dP"));
        Near([1.5, 7], Get(sol, "attn.delta"));
        Near([-0.375, 0.375, -0.75, 0.75], Get(sol, "attn.dS"));
        Near([-0.375 * Ln3, 0.375 * Ln3, -0.75 * Ln3, 0.75 * Ln3], Get(sol, "attn.dQ"));
        Near([-0.375 * Ln3, -0.75 * Ln3, 0.375 * Ln3, 0.75 * Ln3], Get(sol, "attn.dK"));
    }

    [Fact]
    public void Two_tokens_causal_by_hand()
    {
        // The mask hides key 1 from query 0: S̃ = [[ln 3, −∞], [0, ln 3]], P = [[1, 0], [1/4, 3/4]].
        // O = [[1, 2], [2.5, 3.5]]; dV = Pᵀ·dO = [[1, 0.5], [0, 1.5]]; dP = [[1, 3], [4, 8]]; rowsum(dP⊙P) = (1, 7);
        // dS = [[0, 0], [−0.75, 0.75]] (P's zero kills the masked entry); dQ = ln3·dS; dK = ln3·dSᵀ.
        var sol = Solve(Identity + "\n  causal: true");
        var masked = Get(sol, "attn.S_masked");
        Assert.Equal(double.NegativeInfinity, masked[1]);
        Near([Ln3, 0, Ln3], [masked[0], masked[2], masked[3]]);
        Near([1, 0, 0.25, 0.75], Get(sol, "attn.P"));
        Near([1, 2, 2.5, 3.5], Get(sol, "attn.O"));
        Near([1, 0.5, 0, 1.5], Get(sol, "attn.dV"));
        Near([1, 7], Get(sol, "attn.delta"));
        Near([0, 0, -0.75, 0.75], Get(sol, "attn.dS"));
        Near([0, 0, -0.75 * Ln3, 0.75 * Ln3], Get(sol, "attn.dQ"));
        Near([0, -0.75 * Ln3, 0, 0.75 * Ln3], Get(sol, "attn.dK"));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Gradients_match_finite_differences_of_a_plain_attention(bool causal)
    {
        // 3 tokens, X (3×2) projected to d = 2 (keys) and 3 (values), the default scale 1/√2, a given dO.
        double[][] x = [[0.5, -1.0], [1.5, 0.25], [-0.75, 2.0]];
        double[][] wq = [[0.3, -0.2], [0.8, 0.5]], wk = [[-0.6, 0.4], [0.1, 0.9]], wv = [[1.0, -0.5, 0.2], [0.3, 0.7, -1.1]];
        double[][] dO = [[1.0, -2.0, 0.5], [0.25, 1.0, -1.0], [2.0, 0.0, 1.5]];
        var sol = Solve($"""
            attention:
              X: {Yaml(x)}
              W_q: {Yaml(wq)}
              W_k: {Yaml(wk)}
              W_v: {Yaml(wv)}
              dO: {Yaml(dO)}
              causal: {(causal ? "true" : "false")}
            """);
        double Loss(double[][] xx, double[][] q, double[][] k, double[][] v) => PlainLoss(Mul(xx, q), Mul(xx, k), Mul(xx, v), dO, causal);
        Near([Loss(x, wq, wk, wv)], Get(sol, "attn.L"));
        Near(Fd(x, m => Loss(m, wq, wk, wv)), Get(sol, "attn.dX"), 1e-7);
        Near(Fd(wq, m => Loss(x, m, wk, wv)), Get(sol, "attn.dW_q"), 1e-7);
        Near(Fd(wk, m => Loss(x, wq, m, wv)), Get(sol, "attn.dW_k"), 1e-7);
        Near(Fd(wv, m => Loss(x, wq, wk, m)), Get(sol, "attn.dW_v"), 1e-7);
        var (qm, km, vm) = (Mul(x, wq), Mul(x, wk), Mul(x, wv));
        Near(Fd(qm, m => PlainLoss(m, km, vm, dO, causal)), Get(sol, "attn.dQ"), 1e-7);
        Near(Fd(km, m => PlainLoss(qm, m, vm, dO, causal)), Get(sol, "attn.dK"), 1e-7);
        Near(Fd(vm, m => PlainLoss(qm, km, m, dO, causal)), Get(sol, "attn.dV"), 1e-7);
        // The hand formulas give autograd's numbers: dQ = scale·dS·K.
        var dS = sol.Find("attn.dS")!.Value;
        Near((dS.MatMul(sol.Find("attn.K")!.Value) * (1 / Math.Sqrt(2))).ToDoubleArray(), Get(sol, "attn.dQ"));
    }

    [Fact]
    public void Check_blames_the_first_wrong_step()
    {
        // P right, dP wrong (dO·V instead of dO·Vᵀ: [[1, 2], [6, 8]]), so dS and dQ are wrong too: dP is blamed.
        var sol = Solve(Identity);
        var report = Checker.Check(sol, YamlParser.Parse("""
            attn.P: [[0.75, 0.25], [0.25, 0.75]]
            attn.dP: [[1, 2], [6, 8]]
            attn.dS: [[-0.375, 0.125], [-0.25, 0.25]]
            attn.dQ: [[-0.41, 0.14], [-0.27, 0.27]]
            """));
        Assert.Equal([true, false, false, false], report.Results.Select(r => r.Right));
        var blame = Assert.Single(report.Blames);
        Assert.Equal("attn.dP", blame.Name);
        Assert.Equal("it matches dO·V instead of dO·Vᵀ (attn.dP = dO·Vᵀ = [[1, 3], [4, 8]])", blame.Why);
        Assert.Equal(["attn.dS", "attn.dQ"], blame.Downstream);
    }

    [Theory]
    [InlineData("attn.S: [[1, 0], [0, 1]]", "it matches Q·Kᵀ without the scale")]
    [InlineData("attn.dS: [[0.75, 0.75], [1, 6]]", "it matches P⊙dP, without subtracting rowsum(dP⊙P)")]
    [InlineData("attn.dQ: [[-0.375, 0.375], [-0.75, 0.75]]", "it matches dS·K without the scale")]
    [InlineData("attn.dK: [[0.41198, 0.82396], [-0.41198, -0.82396]]", "it has the wrong sign")]
    public void Check_names_the_usual_slip(string claim, string why)
    {
        // Q·Kᵀ = I; P⊙dP = [[3/4·1, 1/4·3], [1/4·4, 3/4·8]] = [[0.75, 0.75], [1, 6]]; dS·K = dS (K = I), dS by hand above;
        // the dK claim is −ln3·dSᵀ.
        var report = Checker.Check(Solve(Identity), YamlParser.Parse(claim));
        Assert.StartsWith(why, Assert.Single(report.Blames).Why, StringComparison.Ordinal);
    }

    [Fact]
    public void The_example_exercise_claims_are_right_and_its_wrong_solution_is_blamed_on_dP()
    {
        string folder = Path.Combine(ExerciseExamplesTests.Root, "examples/exercises");
        var ex = Exercise.Load(Path.Combine(folder, "attention-head.yaml"));
        var sol = Solver.Solve(ex);
        Assert.True(Checker.Check(sol, ex.Claims!).AllRight);
        var wrong = (YamlMapping)YamlParser.Parse(File.ReadAllText(Path.Combine(folder, "checks/attention-head-dP-untransposed.claims.yaml")));
        var blame = Assert.Single(Checker.Check(sol, wrong["claims"]!).Blames);
        Assert.Equal("attn.dP", blame.Name);
        Assert.Equal(["attn.delta", "attn.dS", "attn.dQ"], blame.Downstream);
    }

    [Fact]
    public void Renders_the_worked_head_in_every_format()
    {
        var sol = Solve(Identity + "\n  causal: true");
        string text = TextRenderer.Render(sol, markdown: false);
        Assert.Contains("attn.P = softmax(S_masked) along each row", text, StringComparison.Ordinal);
        Assert.Contains("attn.S_masked = S + M (M = −∞ where key j > query i, else 0) = [[1.09861, −∞], [0, 1.09861]]", text, StringComparison.Ordinal);
        Assert.Contains("attn.dS = P⊙(dP − delta) = [[0, 0], [-0.75, 0.75]]", text, StringComparison.Ordinal);
        Assert.Contains("\\tilde S = S + M", TextRenderer.Render(sol, markdown: true), StringComparison.Ordinal);
        Assert.Contains("\"dQ\"", JsonRenderer.Render(sol), StringComparison.Ordinal);
        Assert.Contains("Attention head attn: backward", HtmlRenderer.Render(sol), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("attention: {Q: [[1, 0]], K: [[1, 0, 0]], V: [[1]]}", "Q and K need one number of columns")]
    [InlineData("attention: {Q: [[1, 0]], K: [[1, 0]], V: [[1], [2]]}", "K and V need one row per key")]
    [InlineData("attention: {Q: [[1, 0]], K: [[1, 0]]}", "attention needs 'V'")]
    [InlineData("attention: {Q: [[1, 0]], K: [[1, 0]], V: [[1]], casual: true}", "did you mean 'causal'?")]
    [InlineData("attention: {Q: [[1, 0]], K: [[1, 0]], V: [[1]], dO: [[1, 2]]}", "dO is dL/dO, shaped like O: [1, 1]")]
    [InlineData("attention: {X: [[1, 0]], W_q: [[1], [0]], W_k: [[1], [0]], W_v: [[1]]}", "W_v has 1 rows but X has 2 columns")]
    [InlineData("attention: {Q: q, K: [[1, 0]], V: [[1]]}", "no given value 'q'")]
    [InlineData("attention: {Q: [1, 0], K: [[1, 0]], V: [[1]]}", "Q is a matrix")]
    public void Refuses_malformed_heads(string yaml, string message)
    {
        var e = Assert.Throws<YamlException>(() => Exercise.Parse(yaml));
        Assert.Contains(message, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Inputs_may_name_given_values_and_the_section_is_one_table_line()
    {
        var sol = Solve("""
            given: {q: [[1, 0], [0, 1]]}
            attention: {name: head, Q: q, K: q, V: [[1, 2], [3, 4]], scale: 1.0986122886681098}
            """);
        Near([0.75, 0.25, 0.25, 0.75], Get(sol, "head.P"));
        Assert.Single(ExerciseSections.All.OfType<AttentionSection>());
    }

    private static string Yaml(double[][] m) => "[" + string.Join(", ", m.Select(r => "[" + string.Join(", ", r.Select(v => v.ToString("R", System.Globalization.CultureInfo.InvariantCulture))) + "]")) + "]";

    private static double[][] Mul(double[][] a, double[][] b) =>
        [.. a.Select(r => Enumerable.Range(0, b[0].Length).Select(j => r.Select((v, k) => v * b[k][j]).Sum()).ToArray())];

    /// <summary>Σ O⊙dO of softmax(Q·Kᵀ/√d + causal mask)·V, written out with loops.</summary>
    private static double PlainLoss(double[][] q, double[][] k, double[][] v, double[][] dO, bool causal)
    {
        double scale = 1 / Math.Sqrt(q[0].Length), loss = 0;
        for (int i = 0; i < q.Length; i++)
        {
            int keys = causal ? i + 1 : k.Length;
            var s = Enumerable.Range(0, keys).Select(j => scale * q[i].Select((x, e) => x * k[j][e]).Sum()).ToArray();
            double max = s.Max();
            var p = s.Select(x => Math.Exp(x - max)).ToArray();
            double sum = p.Sum();
            for (int c = 0; c < v[0].Length; c++)
            {
                loss += dO[i][c] * Enumerable.Range(0, keys).Sum(j => p[j] / sum * v[j][c]);
            }
        }

        return loss;
    }

    /// <summary>Central differences of f at every element of m (h = 1e-6).</summary>
    private static double[] Fd(double[][] m, Func<double[][], double> f)
    {
        var g = new List<double>();
        for (int i = 0; i < m.Length; i++)
        {
            for (int j = 0; j < m[i].Length; j++)
            {
                var plus = m.Select(r => (double[])r.Clone()).ToArray();
                var minus = m.Select(r => (double[])r.Clone()).ToArray();
                plus[i][j] += 1e-6;
                minus[i][j] -= 1e-6;
                g.Add((f(plus) - f(minus)) / 2e-6);
            }
        }

        return [.. g];
    }
}
