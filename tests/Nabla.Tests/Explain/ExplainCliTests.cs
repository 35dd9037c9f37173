using Nabla.Cli.Commands;

namespace Nabla.Tests.Explain;

/// <summary>The text rendering, <c>nabla check</c>'s blame, and errors with line and column.</summary>
public class ExplainCliTests
{
    private static string Ex(string name) => Path.Combine(ExerciseExamplesTests.Root, "examples/exercises", name);

    private static (int Rc, string Out, string Err) Explain(params string[] args)
    {
        var o = new StringWriter();
        var e = new StringWriter();
        int rc = ExplainCommand.Run(args, o, e);
        return (rc, o.ToString(), e.ToString());
    }

    [Fact]
    public void Bptt_text_shows_states_recursive_terms_gradients_and_the_update()
    {
        var (rc, text, _) = Explain(Ex("S0-Q3b-bptt-gradients.yaml"));
        Assert.Equal(0, rc);
        Assert.Contains("h[4] = w1*h[3] + w2*x[3] = 0.5·100 + 0.5·130 = 115", text, StringComparison.Ordinal);
        Assert.Contains("L = mean((y - yhat)^2) = 1688.5", text, StringComparison.Ordinal);
        Assert.Contains("100 + 0.5·105 = 152.5", text, StringComparison.Ordinal);
        Assert.Contains("dL/dh[3] = dL/dyhat[3]·∂yhat[3]/∂h[3] + dL/dh[4]·∂h[4]/∂h[3] = (-14.5)·(1) + (-12.5)·(0.5) = -20.75", text, StringComparison.Ordinal);
        Assert.Contains("= -4378.75", text, StringComparison.Ordinal);
        Assert.Contains("w1' = 0.5 − 1e-05·(-4378.75) = 0.543788", text, StringComparison.Ordinal);
        Assert.Contains("L' = 681.29", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Check_blames_h4_and_says_which_input_it_must_use()
    {
        var o = new StringWriter();
        int rc = CheckCommand.Run([Ex("S0-Q3b-bptt-gradients.yaml"), "--claims", Ex("checks/S0-Q3b-h4-wrong.claims.yaml")], o, new StringWriter());
        Assert.Equal(1, rc);
        var text = o.ToString();
        Assert.Contains("h[4] is wrong: it must use x[3] = 130, not x[2] = 120", text, StringComparison.Ordinal);
        Assert.Contains("L, dL/dw1, dL/dw2, dL/dw3 are wrong because of it.", text, StringComparison.Ordinal);
        Assert.Contains("right  h[3]", text, StringComparison.Ordinal);
    }

    [Theory]
    // f = b - 32*a + d - 18*c written with +32a: 16 + 128 + 16 - 72 = 88 (the committed claims file).
    [InlineData("S1-EC2-5a-compgraph-grad.yaml", "claims: {f: 88}", "f is wrong: the term 32*a = 128 must be subtracted, not added")]
    // h[4] = w1*h[3] + w2*x[3] without its first term: 0.5·130 = 65.
    [InlineData("S0-Q3b-bptt-gradients.yaml", "claims: {\"h[4]\": 65}", "h[4] is wrong: it leaves out the term w1*h[t - 1] = 50")]
    // L = mean((y - yhat)^2) is never negative; the negated value is a sign slip.
    [InlineData("S0-Q3b-bptt-gradients.yaml", "claims: {L: -1688.5}", "L is wrong: it has the wrong sign")]
    // p = e / sum_exp with the quotient upside down: 11.2125/7.38906 = 1.51744.
    [InlineData("S3-Q1-softmax.yaml", "claims: {\"p\": [1.51744, 4.12485, 10.1455]}", "the operands of '/' are swapped")]
    public void Check_names_the_usual_slips(string exercise, string claims, string why) => WithTempYaml(claims + "\n", path =>
    {
        var o = new StringWriter();
        Assert.Equal(1, CheckCommand.Run([Ex(exercise), "--claims", path], o, new StringWriter()));
        Assert.Contains(why, o.ToString(), StringComparison.Ordinal);
    });

    // Writes text to a fresh temporary .yaml file, runs use(path), deletes the file.
    private static void WithTempYaml(string text, Action<string> use)
    {
        var path = Path.Combine(Path.GetTempPath(), $"nabla-test-{Guid.NewGuid():N}.yaml");
        File.WriteAllText(path, text);
        try
        {
            use(path);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Check_of_right_claims_exits_zero()
    {
        int rc = CheckCommand.Run([Ex("checks/S1-EC2-5a-right.yaml")], new StringWriter(), new StringWriter());
        Assert.Equal(0, rc);
    }

    [Fact]
    public void Hessian_text_classifies_both_points_with_the_reason()
    {
        var (rc, text, _) = Explain(Ex("S1-EC2-5b-hessian.yaml"), "--format", "markdown");
        Assert.Equal(0, rc);
        Assert.Contains("local maximum: the gradient is 0 and all eigenvalues of the Hessian (-64, -36) are negative", text, StringComparison.Ordinal);
        Assert.Contains("local minimum", text, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("given: {x: 1}\nequations:\n  - \"y = 2*z\"\n", "line 3, column 12", "unknown symbol 'z'")]
    [InlineData("given: {x: [1, 2]}\nequations:\n  - \"y = x @ [1, 2, 3]\"\n", "line 3", "shape mismatch")]
    [InlineData("given: {x: [1, 2]}\nequations:\n  - \"h[t] = h[t-1] + x[t] for t = 1..2\"\n", "line 3", "h[0] is not defined")]
    [InlineData("given: {W: [[1, 2], [3]]}\n", "line 1", "shape mismatch in 'W'")]
    public void Malformed_exercises_name_the_line_and_the_problem(string yaml, string where, string what) => WithTempYaml(yaml, path =>
    {
        var (rc, _, err) = Explain(path);
        Assert.Equal(2, rc);
        Assert.Contains(where, err, StringComparison.Ordinal);
        Assert.Contains(what, err, StringComparison.Ordinal);
    });

    [Fact]
    public void Dot_draws_named_nodes_with_values_and_gradients()
    {
        var (rc, dot, _) = Explain(Ex("S1-EC2-5a-compgraph-grad.yaml"), "--format", "dot");
        Assert.Equal(0, rc);
        Assert.StartsWith("digraph", dot, StringComparison.Ordinal);
        Assert.Contains("\"a\" [label=\"a\\n4\\ngrad -24\"", dot, StringComparison.Ordinal);
        Assert.Contains("grad -24", dot, StringComparison.Ordinal);
    }

    [Fact]
    public void Png_writes_the_edge_response()
    {
        var dir = Path.Combine(Path.GetTempPath(), $"nabla-png-{Guid.NewGuid():N}");
        try
        {
            var (rc, _, _) = Explain(Ex("S3-Q8-edge-conv.yaml"), "--png", dir);
            Assert.Equal(0, rc);
            var bytes = File.ReadAllBytes(Path.Combine(dir, "output.png"));
            Assert.Equal(0x89, bytes[0]);
        }
        finally
        {
            if (Directory.Exists(dir))
            {
                Directory.Delete(dir, true);
            }
        }
    }
}
