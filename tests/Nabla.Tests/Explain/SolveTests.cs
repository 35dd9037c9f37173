using Nabla.Explain;
using Nabla.Formats;

namespace Nabla.Tests.Explain;

/// <summary>
/// The <c>solve:</c> section: linear systems by elimination, quadratics by the formula, other equations by bracketed
/// Newton, integer unknowns and model sizes. Expected values are derived by hand (in the comments) or are known
/// constants, never copied from the output.
/// </summary>
public class SolveTests
{
    private static Solution Solve(string yaml) => Solver.Solve(Exercise.Parse(yaml));

    private static double[] Values(Solution sol, string name) => sol.Solved!.Values[name].ToDoubleArray();

    private static string Error(string yaml) => Assert.ThrowsAny<YamlException>(() => Solve(yaml)).Message;

    [Fact]
    public void A_3x3_linear_system_is_solved_by_elimination_with_partial_pivoting()
    {
        // 2x + y − z = 8, −3x − y + 2z = −11, −2x + y + 2z = −3: x = 2, y = 3, z = −1 (substitute: 4 + 3 + 1 = 8,
        // −6 − 3 − 2 = −11, −4 + 3 − 2 = −3). The largest |entry| of column x is |−3| in row 2, so R1 ↔ R2 comes first.
        var sol = Solve("""
            solve:
              unknowns: {x: real, y: real, z: real}
              equations: ["2*x + y - z = 8", "-3*x - y + 2*z = -11", "-2*x + y + 2*z = -3"]
            """);
        var r = sol.Solved!;
        Assert.Equal("linear system", r.Method);
        Assert.Equal(2, Values(sol, "x")[0], 12);
        Assert.Equal(3, Values(sol, "y")[0], 12);
        Assert.Equal(-1, Values(sol, "z")[0], 12);
        Assert.Equal(new RowOp(0, 1, null, "x"), r.Linear!.Ops[0]);
        Assert.Equal([[2.0, 1, -1], [-3, -1, 2], [-2, 1, 2]], r.Linear.A);
        Assert.Equal([8.0, -11, -3], r.Linear.B);
    }

    [Fact]
    public void A_quadratic_keeps_the_one_admissible_integer_root_and_says_why_the_other_is_rejected()
    {
        // 2n² − 3n − 2 = (2n + 1)(n − 2): n = 2, and n = −1/2 is negative and not whole. Δ = 9 + 16 = 25.
        var sol = Solve("""
            solve:
              unknowns: {n: integer}
              equations: ["2*n^2 - 3*n - 2 = 0"]
            """);
        var r = sol.Solved!;
        Assert.Equal("quadratic formula", r.Method);
        Assert.Equal((2.0, -3.0, -2.0, 25.0), (r.Polynomial!.A, r.Polynomial.B, r.Polynomial.C, r.Polynomial.Discriminant!.Value));
        Assert.Equal([2.0], Values(sol, "n"));
        var rejected = Assert.Single(r.Candidates, c => c.Rejected is not null);
        Assert.Equal(-0.5, rejected.Value, 12);
        Assert.Equal("negative and not a whole number", rejected.Rejected);
    }

    [Fact]
    public void An_lstm_hidden_size_is_found_from_its_parameter_count_and_usable_later()
    {
        // nn.LSTM(4, h): 4h·4 + 4h·h + 8h = 4h² + 24h (S1-EC3-2a: h = 3 gives 108). 4h² + 24h = 108 ⇔ (h + 9)(h − 3) = 0.
        var ex = Exercise.Parse("""
            models:
              m:
                input: [5, 4]
                layers:
                  - LSTM: {inputSize: 4, hiddenSize: h, batchFirst: true}
                    name: lstm
            solve:
              unknowns: {h: integer}
              equations: ["m.lstm.params = 108"]
            equations:
              - "gates = 4*h"
            claims: {h: 3, gates: 12, m.params: 108}
            """);
        var sol = Solver.Solve(ex);
        Assert.Equal([3.0], Values(sol, "h"));
        Assert.Equal("negative", Assert.Single(sol.Solved!.Candidates, c => c.Rejected is not null).Rejected);
        Assert.Equal(108, sol.Models.Single().Summary.Totals.Params);
        Assert.Equal(12, sol.Evaluation.ByName["gates"].Value.Item());
        Assert.True(Checker.Check(sol, ex.Claims!).AllRight);
        Assert.False(Checker.Check(sol, YamlParser.Parse("{h: 4}")).AllRight);
    }

    [Fact]
    public void A_conv_filter_is_found_from_its_input_and_output()
    {
        // K = [[1, 0], [-1, 2]] on x: y[0,0] = 1 + 0 − 0 + 2 = 3, y[0,1] = 2 + 0 − 1 + 6 = 7, y[1,0] = 0 + 0 − 2 + 2 = 0,
        // y[1,1] = 1 + 0 − 1 + 2 = 2.
        var sol = Solve("""
            given:
              x: [[1, 2, 0], [0, 1, 3], [2, 1, 1]]
              y: [[3, 7], [0, 2]]
            solve:
              unknowns: {K: {shape: [2, 2]}}
              equations: ["conv2d(x, K) = y"]
            """);
        var k = Values(sol, "K");
        double[] expected = [1, 0, -1, 2];
        for (int i = 0; i < 4; i++)
        {
            Assert.Equal(expected[i], k[i], 12);
        }
    }

    [Fact]
    public void A_nonlinear_equation_with_two_roots_finds_both_by_bracketing_and_newton()
    {
        // f = e^x − 3x: f(0.6) = 0.0221 > 0 > f(0.65) = −0.0345 and f(1.5) = −0.0183 < 0 < f(1.55) = 0.0615, and f is
        // convex, so it has exactly these two roots.
        var sol = Solve("""
            solve:
              unknowns: {x: real}
              equations: ["exp(x) = 3*x"]
              interval: [-10, 10]
            """);
        var r = sol.Solved!;
        Assert.Equal("bracketing and Newton", r.Method);
        Assert.NotNull(r.NotPolynomial);
        var roots = Values(sol, "x");
        Assert.Equal(2, roots.Length);
        Assert.InRange(roots[0], 0.6, 0.65);
        Assert.InRange(roots[1], 1.5, 1.55);
        Assert.All(roots, x => Assert.True(Math.Abs(Math.Exp(x) - (3 * x)) <= 1e-12));
        Assert.Equal(2, r.Brackets.Count);
        Assert.All(r.Brackets, b => Assert.InRange(b.Iterations.Count, 2, 12));
    }

    [Theory]
    // The omega constant W(1) (Lambert W), and the cube root of 2 (a cubic: not degree ≤ 2, so bracketed too).
    [InlineData("x*exp(x) = 1", 0.5671432904097838)]
    [InlineData("x^3 = 2", 1.2599210498948732)]
    public void Known_constants_are_the_roots(string equation, double root)
    {
        var sol = Solve($"solve: {{unknowns: {{x: real}}, equations: [\"{equation}\"], interval: [-5, 5]}}");
        Assert.Equal(root, Values(sol, "x").Single(), 14);
    }

    [Fact]
    public void An_integer_unknown_of_a_non_polynomial_equation_is_found_by_scanning()
    {
        // 2^10 = 1024.
        var sol = Solve("solve: {unknowns: {n: integer}, equations: [\"2^n = 1024\"], interval: [0, 60]}");
        Assert.Equal("integer scan", sol.Solved!.Method);
        Assert.Equal([10.0], Values(sol, "n"));
    }

    [Theory]
    // x + y = 2 and 2x + 2y = 4 are one equation twice; with 5 they contradict each other.
    [InlineData("4", "infinitely many solutions")]
    [InlineData("5", "contradict each other (no solution)")]
    public void A_singular_system_is_an_error(string rhs, string message)
    {
        var text = Error($"solve: {{unknowns: {{x: real, y: real}}, equations: [\"x + y = 2\", \"2*x + 2*y = {rhs}\"]}}");
        Assert.Contains(message, text, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("solve: {unknowns: {x: real, y: real}, equations: [\"x*y = 2\", \"x + y = 3\"]}")]
    [InlineData("solve: {unknowns: {x: real}, equations: [\"x^2 = 4\"], method: linear}")]
    public void A_nonlinear_system_is_refused_by_the_linear_solver(string yaml) =>
        Assert.Contains("the equations are not linear in", Error(yaml), StringComparison.Ordinal);

    [Theory]
    [InlineData("given: {x: 1}\nsolve: {unknowns: {x: real}, equations: [\"x = 2\"]}", "'x' is an unknown and is also given")]
    [InlineData("solve: {unknowns: {x: real}, equations: [\"x^2 = -1\"]}", "no admissible value of x")]
    [InlineData("solve: {unknowns: {x: real}, equations: [\"0*x = 1\"]}", "no value of x satisfies the equation")]
    [InlineData("solve: {unknowns: {x: real}, equations: [\"x = 1 = 2\"]}", "one '='")]
    [InlineData("solve: {unknowns: {x: rational}, equations: [\"x = 1\"]}", "the type is real or integer")]
    [InlineData("models: {m: {input: [3], layers: [{Linear: {inFeatures: 3, outFeatures: k}}]}}\nsolve: {unknowns: {k: real}, equations: [\"m.params = 8\"]}", "must be a scalar integer unknown")]
    public void Bad_solve_sections_are_errors(string yaml, string message) =>
        Assert.Contains(message, Assert.ThrowsAny<YamlException>(() => Solve(yaml)).Message, StringComparison.Ordinal);

    [Fact]
    public void The_text_shows_the_row_operations_the_formula_and_the_rejected_root()
    {
        var o = new StringWriter();
        string dir = Path.Combine(ExerciseExamplesTests.Root, "examples/exercises");
        Assert.Equal(0, Nabla.Cli.Commands.ExplainCommand.Run([Path.Combine(dir, "solve-linear-3x3.yaml")], o, new StringWriter()));
        Assert.Contains("R1 ↔ R2   (largest pivot for x)", o.ToString(), StringComparison.Ordinal);
        o = new StringWriter();
        Assert.Equal(0, Nabla.Cli.Commands.ExplainCommand.Run([Path.Combine(dir, "solve-lstm-hidden-size.yaml")], o, new StringWriter()));
        // 4h² + 12h − 216: Δ = 144 + 3456 = 3600, √Δ = 60, h = (−12 ± 60)/8.
        Assert.Contains("4·h² + 12·h − 216 = 0", o.ToString(), StringComparison.Ordinal);
        Assert.Contains("h = (-12 − 60)/8 = -9, h = (-12 + 60)/8 = 6", o.ToString(), StringComparison.Ordinal);
        Assert.Contains("h = -9: rejected, negative", o.ToString(), StringComparison.Ordinal);
    }
}
