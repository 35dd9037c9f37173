using System.Text.Json.Nodes;
using Nabla.Cli.Commands;

namespace Nabla.Tests.Explain;

/// <summary>
/// Optimizer trajectories in <c>nabla explain</c> and <c>nabla check</c>: the forward pass again after the steps, the
/// per-step table, the names <c>q@k</c> / <c>q'</c>, the <c>after:</c> equations and the blame of the first wrong
/// step, for equations and layer models. Every expected value is derived by hand in the comments (closed forms and
/// the update rules written out), never copied from the program's output.
/// </summary>
[Collection(GlobalStateCollection.Name)]
public class TrajectoryTests
{
    private const string Rnn = """
        given: {x: [100, 110, 120, 130], y: [112, 118, 129, 140], h0: 0, w1: 0.5, w2: 0.5, w3: 1.0}
        equations:
          - "h[0] = h0"
          - "h[t] = w1*h[t-1] + w2*x[t-1] for t = 1..4"
          - "yhat[t] = w3*h[t] for t = 1..4"
          - "L = mean((y - yhat)^2)"
        loss: L
        gradients: [w1, w2, w3]
        optimizer: {type: SGD, lr: 1e-5, steps: 1}
        after:
          - "gap = L - L'"
          - "h2diff = h[2]' - h[2]"
        """;

    private const string Quadratic = """
        given: {w: 2.0, a: 1.5}
        equations:
          - "L = a*w^2"
        loss: L
        gradients: [w]
        optimizer: {type: SGD, lr: 0.1, steps: 3}
        """;

    private const string Linear = """
        given: {x: [1, 2]}
        models:
          m:
            input: [2]
            layers: [{Linear: {inFeatures: 2, outFeatures: 1}, name: L}]
            weights: {L.weight: [[0.5, -1]], L.bias: [0.2]}
            run: {input: x, target: [1], loss: mse, optimizer: {type: SGD, lr: 0.05, steps: 2}}
        after:
          - "drop = m.loss - m.loss'"
        """;

    private static double[] Values(JsonNode? n) => n is JsonArray a ? a.SelectMany(Values).ToArray() : [n!.GetValue<double>()];

    private static double Num(JsonNode? n) => n!.GetValue<double>();

    [Fact]
    public void One_sgd_step_of_a_recurrence_runs_the_forward_pass_again_at_the_new_parameters()
    {
        // dL/dw1 = −4378.75, dL/dw2 = −11915, dL/dw3 = −5957.5 (PROBLEMS.md S0-Q3b); with lr = 1e-5:
        // w1' = 0.5 + 0.0437875, w2' = 0.5 + 0.11915, w3' = 1 + 0.059575. Then h'[0] = 0, h'[t] = w1'·h'[t−1] + w2'·x[t−1],
        // yhat'[t] = w3'·h'[t], L' = mean((y − yhat')²).
        double w1 = 0.5437875, w2 = 0.61915, w3 = 1.059575;
        double[] x = [100, 110, 120, 130], y = [112, 118, 129, 140], h = new double[5];
        for (int t = 1; t <= 4; t++)
        {
            h[t] = (w1 * h[t - 1]) + (w2 * x[t - 1]);
        }

        double loss = Enumerable.Range(1, 4).Average(t => Math.Pow(y[t - 1] - (w3 * h[t]), 2));
        var json = WithTemp(Rnn, p => ExerciseExamplesTests.Run(p));
        var after = json["optimizer"]!["forward_after"]!;
        Assert.Equal(h, Values(after["h"]), new Close(1e-9));
        Assert.Equal(w3 * h[4], Num(after["yhat[4]"]), 9);
        Assert.Equal(loss, Num(after["L"]), 9);
        Assert.Equal(loss, Num(json["optimizer"]!["loss_after"]), 9);
        Assert.Equal(loss, Num(json["optimizer"]!["steps"]![0]!["loss_after"]), 9);

        // after: gap = L − L' with L = 1688.5 (PROBLEMS.md); h[2]' − h[2] with h[2] = 0.5·50 + 0.5·110 = 80.
        Assert.Equal(1688.5 - loss, Num(json["after"]!["gap"]), 9);
        Assert.Equal(h[2] - 80, Num(json["after"]!["h2diff"]), 9);

        string text = WithTemp(Rnn, RunText);
        Assert.Contains($"h[2]' = 0.543788·61.915 + 0.61915·110 = {h[2]:0.###}", text, StringComparison.Ordinal);
        Assert.Contains("gap = L - L' = 1688.5 - ", text, StringComparison.Ordinal);

        // The same names in claims: right within the default tolerance.
        string claims = $"\"h[4]'\": {h[4]:R}\n\"h[4]@1\": {h[4]:R}\n\"w2'\": 0.61915\n\"L'\": {loss:R}\ngap: {1688.5 - loss:R}\n";
        var (rc, report) = Check(Rnn, claims);
        Assert.True(rc == 0, report);
    }

    [Fact]
    public void Three_sgd_steps_on_a_quadratic_follow_the_closed_form()
    {
        // L = a·w², dL/dw = 2·a·w, so w ← w − lr·2a·w = w·(1 − 2·lr·a): w_k = w0·(1 − 2·lr·a)^k = 2·0.7^k,
        // L_k = a·w_k², and the gradient at step k is 2·a·w_k.
        double W(int k) => 2 * Math.Pow(1 - (2 * 0.1 * 1.5), k);
        var json = WithTemp(Quadratic, p => ExerciseExamplesTests.Run(p));
        var steps = json["optimizer"]!["steps"]!.AsArray();
        Assert.Equal(3, steps.Count);
        for (int k = 1; k <= 3; k++)
        {
            var s = steps[k - 1]!;
            Assert.Equal(W(k - 1), Num(s["params"]!["w"]!["before"]), 12);
            Assert.Equal(2 * 1.5 * W(k - 1), Num(s["params"]!["w"]!["grad"]), 12);
            Assert.Equal(W(k), Num(s["params"]!["w"]!["after"]), 12);
            Assert.Equal(1.5 * W(k - 1) * W(k - 1), Num(s["loss"]), 12);
            Assert.Equal(1.5 * W(k) * W(k), Num(s["loss_after"]), 12);
        }

        Assert.Equal(1.5 * W(3) * W(3), Num(json["optimizer"]!["forward_after"]!["L"]), 12);
        string claims = $"\"w@1\": {W(1):R}\n\"w@2\": {W(2):R}\n\"w'\": {W(3):R}\n\"w@3\": {W(3):R}\n\"L@2\": {1.5 * W(2) * W(2):R}\n\"dL/dw@1\": {3 * W(1):R}\n\"dL/dw'\": {3 * W(3):R}\n";
        var (rc, report) = Check(Quadratic, claims);
        Assert.True(rc == 0, report);

        string text = WithTemp(Quadratic, RunText);
        Assert.Contains("Trajectory (3 steps", text, StringComparison.Ordinal);
        Assert.Contains("step 2: w@2 = 1.4 − 0.1·(4.2) = 0.98", text, StringComparison.Ordinal);
        string markdown = WithTemp(Quadratic, p => RunText(p, "--format", "markdown"));
        Assert.Contains("| step | L before | θ | before | dL/dθ | after | L after |", markdown, StringComparison.Ordinal);
    }

    [Fact]
    public void Adam_two_steps_tabulate_the_moments()
    {
        // L = w², w0 = 1, lr = 0.1, β1 = 0.9, β2 = 0.999, eps = 1e-8 (Adam as in PyTorch):
        // step 1: g = 2, m = 0.1·2 = 0.2, v = 0.001·4 = 0.004, m̂ = 0.2/0.1 = 2, v̂ = 0.004/0.001 = 4, w1 = 1 − 0.1·2/(2 + eps).
        // step 2: g = 2·w1, m = 0.9·0.2 + 0.1·g, v = 0.999·0.004 + 0.001·g², m̂ = m/(1 − 0.81), v̂ = v/(1 − 0.998001),
        // w2 = w1 − 0.1·m̂/(√v̂ + eps).
        const string yaml = """
            given: {w: 1.0}
            equations: ["L = w^2"]
            loss: L
            gradients: [w]
            optimizer: {type: Adam, lr: 0.1, beta1: 0.9, beta2: 0.999, eps: 1e-8, steps: 2}
            """;
        double w1 = 1 - (0.1 * 2 / (2 + 1e-8)), g2 = 2 * w1;
        double m2 = (0.9 * 0.2) + (0.1 * g2), v2 = (0.999 * 0.004) + (0.001 * g2 * g2);
        double mhat = m2 / (1 - 0.81), vhat = v2 / (1 - 0.998001), w2 = w1 - (0.1 * mhat / (Math.Sqrt(vhat) + 1e-8));
        var steps = WithTemp(yaml, p => ExerciseExamplesTests.Run(p))["optimizer"]!["steps"]!;
        var s1 = steps[0]!["params"]!["w"]!;
        var s2 = steps[1]!["params"]!["w"]!;
        Assert.Equal(0.2, Num(s1["state"]!["exp_avg"]), 12);
        Assert.Equal(0.004, Num(s1["state"]!["exp_avg_sq"]), 12);
        Assert.Equal(2, Num(s1["state"]!["exp_avg_hat"]), 9);
        Assert.Equal(4, Num(s1["state"]!["exp_avg_sq_hat"]), 9);
        Assert.Equal(w1, Num(s1["after"]), 12);
        Assert.Equal(g2, Num(s2["grad"]), 12);
        Assert.Equal(m2, Num(s2["state"]!["exp_avg"]), 12);
        Assert.Equal(v2, Num(s2["state"]!["exp_avg_sq"]), 12);
        Assert.Equal(mhat, Num(s2["state"]!["exp_avg_hat"]), 9);
        Assert.Equal(vhat, Num(s2["state"]!["exp_avg_sq_hat"]), 9);
        Assert.Equal(w2, Num(s2["after"]), 12);
        Assert.Equal(w2 * w2, Num(steps[1]!["loss_after"]), 12);

        string text = WithTemp(yaml, RunText);
        Assert.Contains("exp_avg  exp_avg_sq  exp_avg_hat  exp_avg_sq_hat", text, StringComparison.Ordinal);
        var (rc, report) = Check(yaml, $"w.exp_avg@1: 0.2\n\"w.exp_avg'\": {m2:R}\n\"w.exp_avg_sq@2\": {v2:R}\n\"w'\": {w2:R}\n");
        Assert.True(rc == 0, report);
    }

    [Fact]
    public void A_linear_layer_model_takes_two_sgd_steps_and_runs_forward_again()
    {
        // y = W·x + b = 0.5·1 − 1·2 + 0.2 = −1.3, L = (y − 1)² = 5.29, dL/dy = 2(y − 1), dL/dW = dL/dy·x, dL/db = dL/dy.
        // step 1 (lr 0.05): dL/dy = −4.6: W = [0.5 + 0.23, −1 + 0.46] = [0.73, −0.54], b = 0.43; y = 0.73 − 1.08 + 0.43 = 0.08, L = 0.8464.
        // step 2: dL/dy = −1.84: W = [0.73 + 0.092, −0.54 + 0.184] = [0.822, −0.356], b = 0.522; y = 0.822 − 0.712 + 0.522 = 0.632, L = 0.135424.
        var json = WithTemp(Linear, p => ExerciseExamplesTests.Run(p));
        var opt = json["models"]!["m"]!["run"]!["optimizer"]!;
        var steps = opt["steps"]!.AsArray();
        Assert.Equal(2, steps.Count);
        Assert.Equal(5.29, Num(steps[0]!["loss"]), 12);
        Assert.Equal(0.8464, Num(steps[0]!["loss_after"]), 12);
        Assert.Equal([-4.6, -9.2], Values(steps[0]!["params"]!["L.weight"]!["grad"]!["values"]), new Close(1e-12));
        Assert.Equal([0.73, -0.54], Values(steps[0]!["params"]!["L.weight"]!["after"]!["values"]), new Close(1e-12));
        Assert.Equal([-1.84, -3.68], Values(steps[1]!["params"]!["L.weight"]!["grad"]!["values"]), new Close(1e-12));
        Assert.Equal([0.822, -0.356], Values(steps[1]!["params"]!["L.weight"]!["after"]!["values"]), new Close(1e-12));
        Assert.Equal([0.522], Values(steps[1]!["params"]!["L.bias"]!["after"]!["values"]), new Close(1e-12));
        Assert.Equal(0.135424, Num(steps[1]!["loss_after"]), 12);
        Assert.Equal([0.632], Values(opt["forward_after"]!["layers"]!["L"]!["values"]), new Close(1e-12));
        Assert.Equal(0.135424, Num(opt["loss_after"]), 12);
        Assert.Equal(5.29 - 0.135424, Num(json["after"]!["drop"]), 12);

        // The gradient at the final parameters: dL/dy = 2(0.632 − 1) = −0.736, dL/dW = [−0.736, −1.472].
        var (rc, report) = Check(Linear, "\"m.L.weight@1\": [0.73, -0.54]\n\"m.L.output@1\": 0.08\n\"m.loss@1\": 0.8464\n\"m.L.bias'\": 0.522\n" +
            "\"m.loss@2\": 0.135424\n\"m.output'\": 0.632\n\"dL/dm.L.weight'\": [-0.736, -1.472]\n");
        Assert.True(rc == 0, report);
        string text = WithTemp(Linear, RunText);
        Assert.Contains("Model m: trajectory (2 steps", text, StringComparison.Ordinal);
        Assert.Contains("loss' = 0.135424", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Check_blames_the_first_wrong_step()
    {
        // w_k = 2·0.7^k: w@1 = 1.4 right; w@2 claimed 0.9 instead of 0.98. L@2 = 1.5·0.98², w' and L' are claimed with
        // values that follow the wrong w@2, so they are wrong too, because of it.
        var (rc, report) = Check(Quadratic, "\"w@1\": 1.4\n\"w@2\": 0.9\n\"L@2\": 1.215\n\"w'\": 0.63\n\"L'\": 0.595\n");
        Assert.Equal(1, rc);
        Assert.Contains("right  w@1", report, StringComparison.Ordinal);
        Assert.Contains("w@2 is wrong", report, StringComparison.Ordinal);
        Assert.Contains("L@2, w', L' are wrong because of it", report, StringComparison.Ordinal);
        Assert.DoesNotContain("w' is wrong:", report, StringComparison.Ordinal);

        // The same in a layer model, with the last step spelled both ways (@2 is ' after 2 steps).
        (rc, report) = Check(Linear, "\"m.L.weight@1\": [0.73, -0.54]\n\"m.L.weight@2\": [0.8, -0.356]\n\"m.loss'\": 0.2\n");
        Assert.Equal(1, rc);
        Assert.Contains("m.L.weight@2 is wrong", report, StringComparison.Ordinal);
        Assert.Contains("m.loss' is wrong because of it", report, StringComparison.Ordinal);

        // A wrong forward quantity at step 2 is explained by its own equation at that step.
        (rc, report) = Check(Rnn.Replace("steps: 1", "steps: 2", StringComparison.Ordinal), "\"h[1]@1\": 61.915\n\"h[1]'\": 1\n");
        Assert.Equal(1, rc);
        Assert.Contains("h[1]' is wrong", report, StringComparison.Ordinal);
        Assert.Contains("h[1]' = w1*h[0] + w2*x[0]", report, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("given: {w: 1}\nequations: [\"L = w^2\", \"M = L'\"]\nloss: L\ngradients: [w]\noptimizer: {type: SGD, lr: 0.1}\n", "values after optimizer steps can be used by the equations of 'after:'")]
    [InlineData("given: {w: 1}\nequations: [\"L = w^2\"]\nafter: [\"M = 2*L\"]\n", "the equations of 'after:' use values after optimizer steps")]
    [InlineData("given: {w: 1}\nequations: [\"L = w^2\"]\nloss: L\ngradients: [w]\noptimizer: {type: SGD, lr: 0.1, steps: 0}\n", "optimizer steps is a whole number from 1 to 1000")]
    [InlineData("given: {w: 1, x: {formula: \"i\", shape: [100000]}}\nequations: [\"y = w*x\", \"L = sum(y)\"]\nloss: L\ngradients: [w]\noptimizer: {type: SGD, lr: 0.1, steps: 1000}\n", "take fewer steps")]
    [InlineData("given: {w: 1}\nequations: [\"L = w^2\"]\nloss: L\ngradients: [w]\noptimizer: {type: SGD, lr: 0.1, steps: 2}\nafter: [\"M = L@3\"]\n", "unknown symbol 'L@3'")]
    [InlineData("given: {w: 1}\nequations: [\"L = w^2\"]\nloss: L\ngradients: [w]\noptimizer: {type: SGD, lr: 0.1}\nafter: [\"L = 2*L'\"]\n", "'L' is defined twice")]
    public void Misused_trajectory_names_are_errors(string yaml, string message)
    {
        var err = new StringWriter();
        int rc = WithTemp(yaml, p => ExplainCommand.Run([p], new StringWriter(), err));
        Assert.Equal(2, rc);
        Assert.Contains(message, err.ToString(), StringComparison.Ordinal);
        Assert.Single(err.ToString().TrimEnd().Split('\n'));
    }

    [Fact]
    public void After_equations_read_families_and_the_last_step_under_both_spellings()
    {
        // Quadratic: w_k = 2·0.7^k, L_k = 1.5·w_k². w@3 and w' are the same value; the sum reads w@1 = 1.4 and L@2.
        const string extra = "after:\n  - \"same = w@3 - w'\"\n  - \"s = w@1 + L@2\"\n";
        var after = WithTemp(Quadratic + "\n" + extra, p => ExerciseExamplesTests.Run(p))["after"]!;
        Assert.Equal(0, Num(after["same"]));
        Assert.Equal(1.4 + (1.5 * 0.98 * 0.98), Num(after["s"]), 12);
    }

    private static (int Rc, string Report) Check(string yaml, string claims) => WithTemp(yaml, p =>
    {
        var c = p + ".claims.yaml";
        File.WriteAllText(c, claims);
        try
        {
            var o = new StringWriter();
            var e = new StringWriter();
            int rc = CheckCommand.Run([p, "--claims", c], o, e);
            return (rc, o.ToString() + e.ToString());
        }
        finally
        {
            File.Delete(c);
        }
    });

    private static string RunText(string path) => RunText(path, []);

    private static string RunText(string path, params string[] extra)
    {
        var o = new StringWriter();
        var e = new StringWriter();
        Assert.True(ExplainCommand.Run([path, .. extra], o, e) == 0, e.ToString());
        return o.ToString();
    }

    private static T WithTemp<T>(string text, Func<string, T> use)
    {
        var path = Path.Combine(Path.GetTempPath(), $"nabla-traj-{Guid.NewGuid():N}.yaml");
        File.WriteAllText(path, text);
        try
        {
            return use(path);
        }
        finally
        {
            File.Delete(path);
        }
    }

    private sealed class Close(double tolerance) : IEqualityComparer<double>
    {
        public bool Equals(double x, double y) => Math.Abs(x - y) <= tolerance;

        public int GetHashCode(double obj) => 0;
    }
}
