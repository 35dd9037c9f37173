using System.Text.Json.Nodes;
using Nabla.Cli.Commands;

namespace Nabla.Tests.Explain;

/// <summary>
/// Layer models executed by <c>nabla explain</c>: the per-layer tables and JSON, the optimizer step, claims about
/// layer outputs and gradients, and errors in the model's weights and run. The values of the small network are
/// compared with PROBLEMS.md in expected.json (S2-Q2-mlp-backprop#as_layers); here the rest is derived by hand.
/// </summary>
[Collection(GlobalStateCollection.Name)]
public class ModelRunTests
{
    private static string Ex(string name) => Path.Combine(ExerciseExamplesTests.Root, "examples/exercises", name);

    private static double[] Values(JsonNode? n) => n is JsonArray a ? a.SelectMany(Values).ToArray() : [n!.GetValue<double>()];

    [Fact]
    public void Sgd_step_and_loss_after_match_a_hand_computed_forward_pass()
    {
        // Gradients from PROBLEMS.md (S2-Q2): dE/dW1 = [[-0.857067, 1.701231], [-1.714135, 3.402463]] (bias row, then x row),
        // dE/dW2 = [-1.350266, -0.816057, -1.028355], dE/dW3 = [-3.606183, 3.251138]. One SGD step with lr 0.1
        // moves each weight by −0.1·gradient; the loss after is this file's own forward pass with the new weights.
        var run = ExerciseExamplesTests.Run(Ex("S2-Q2-mlp-backprop-as-layers.yaml"))["models"]!["mlp"]!["run"]!;
        double[] b1 = [0.1 + 0.085706734593, 0.2 - 0.170123133962], w1 = [0.3 + 0.171413469186, 0.4 - 0.340246267925];
        double b2 = 0.2 + 0.135026609252, w21 = 1.0 + 0.081605731685, w22 = -3.0 + 0.102835476504;
        double b3 = 1.0 + 0.360618261349, w3 = 2.0 - 0.325113826046;
        var layers = run["layers"]!;
        Assert.Equal(b1, Values(layers["L1"]!["params"]!["bias"]!["after"]!["values"]), new Close(1e-9));
        Assert.Equal(w1, Values(layers["L1"]!["params"]!["weight"]!["after"]!["values"]), new Close(1e-9));
        Assert.Equal([w21, w22], Values(layers["L2"]!["params"]!["weight"]!["after"]!["values"]), new Close(1e-9));
        Assert.Equal([b3], Values(layers["L3"]!["params"]!["bias"]!["after"]!["values"]), new Close(1e-9));

        double x = 2, h1 = Math.Tanh((w1[0] * x) + b1[0]), h2 = Math.Tanh((w1[1] * x) + b1[1]);
        double s3 = (w3 * Math.Tanh((w21 * h1) + (w22 * h2) + b2)) + b3;
        Assert.Equal((s3 - 1) * (s3 - 1), run["optimizer"]!["loss_after"]!.GetValue<double>(), 9);
        Assert.Equal([3.25113826046], Values(run["optimizer"]!["losses"]), new Close(1e-9));
        Assert.Equal("SGD", run["optimizer"]!["type"]!.GetValue<string>());
    }

    [Fact]
    public void Lenet5_from_a_png_explains_every_layer_in_json_text_and_markdown()
    {
        // The exercise names ../models/lenet5.yaml, outside its folder: allowed explicitly.
        string models = Path.Combine(ExerciseExamplesTests.Root, "examples/models");
        var json = ExerciseExamplesTests.Run(Ex("lenet5-forward-backward.yaml"), "--allow-path", models);
        var run = json["models"]!["lenet"]!["run"]!;
        var layers = run["layers"]!.AsObject();
        Assert.Equal(["C1", "1", "S2", "C3", "4", "S4", "C5", "7", "8", "F6", "10", "output"], layers.Select(l => l.Key));
        Assert.Equal([1, 6, 28, 28], Values(layers["C1"]!["output_shape"]).Select(v => (int)v));
        Assert.Equal([1, 16, 5, 5], Values(layers["S4"]!["output_shape"]).Select(v => (int)v));
        Assert.Equal([1, 1, 32, 32], Values(run["input"]!["shape"]).Select(v => (int)v));
        Assert.Null(layers["C1"]!["output"]!["values"]); // 4,704 values: summarised
        Assert.Equal(5, layers["C1"]!["output"]!["first"]!.AsArray().Count);
        Assert.Contains("conv2d", layers["C1"]!["ops"]!.AsArray().Select(o => o!.GetValue<string>()));

        // Cross-entropy of one sample: L = −log softmax(z)[7] and dL/dz = softmax(z) − onehot(7) (= dL/d output.bias).
        var z = Values(run["output"]!["values"]);
        Assert.Equal(10, z.Length);
        double max = z.Max(), sum = z.Sum(v => Math.Exp(v - max));
        var p = z.Select(v => Math.Exp(v - max) / sum).ToArray();
        Assert.Equal(-Math.Log(p[7]), run["loss"]!["value"]!.GetValue<double>(), 10);
        var expectedGrad = p.Select((v, i) => i == 7 ? v - 1 : v).ToArray();
        Assert.Equal(expectedGrad, Values(layers["output"]!["grad_output"]!["values"]), new Close(1e-12));
        var bias = layers["output"]!["params"]!["bias"]!;
        Assert.Equal(expectedGrad, Values(bias["grad"]!["values"]), new Close(1e-12));
        var after = Values(bias["value"]!["values"]).Zip(expectedGrad, (b, g) => b - (0.1 * g)).ToArray();
        Assert.Equal(after, Values(bias["after"]!["values"]), new Close(1e-12));
        Assert.True(run["optimizer"]!["loss_after"]!.GetValue<double>() < run["loss"]!["value"]!.GetValue<double>(), "one SGD step lowers the loss");
        Assert.True(layers["C1"]!["params"]!["weight"]!["grad"]!["norm"]!.GetValue<double>() > 0, "the gradient reaches the first layer");
        Assert.Equal(p[7], json["quantities"]!["p7"]!.GetValue<double>(), 12);
        Assert.Contains("PyTorch's default initialisation, seed 0", run["weights"]!.GetValue<string>(), StringComparison.Ordinal);

        foreach (var format in new[] { "text", "markdown" })
        {
            var o = new StringWriter();
            Assert.Equal(0, ExplainCommand.Run([Ex("lenet5-forward-backward.yaml"), "--format", format, "--allow-path", models], o, new StringWriter()));
            var text = o.ToString();
            Assert.Contains("Model lenet: forward pass", text, StringComparison.Ordinal);
            Assert.Contains("y = conv2d(x, W) + b, kernel 5, stride 1, padding 0", text, StringComparison.Ordinal);
            Assert.Contains("[1, 6, 28, 28] → [1, 6, 14, 14]", text, StringComparison.Ordinal);
            Assert.Contains("y = mean over 2x2 windows, stride 2", text, StringComparison.Ordinal);
            Assert.Contains("C1.weight [6, 1, 5, 5]", text, StringComparison.Ordinal);
            Assert.Contains("Model lenet: update (SGD, lr = 0.1", text, StringComparison.Ordinal);
            Assert.True(text.Split('\n').Length < 120, "a layer table, not one line per scalar");
        }
    }

    [Fact]
    public void Check_blames_the_first_wrong_layer_output_for_the_loss_and_gradients()
    {
        var dir = Directory.CreateTempSubdirectory("nabla-modelcheck-").FullName;
        try
        {
            var claims = Path.Combine(dir, "claims.yaml");
            File.WriteAllText(claims, """
                mlp.L1.output: [0.7, 1.0]
                mlp.L2.output: -1.6
                mlp.output: -0.9
                mlp.loss: 3.61
                dL/dmlp.L1.weight: [-1.71413, 3.40246]
                "mlp.L1.bias'": [0.185707, 0.0298769]
                """);
            var o = new StringWriter();
            Assert.Equal(1, CheckCommand.Run([Ex("S2-Q2-mlp-backprop-as-layers.yaml"), "--claims", claims], o, new StringWriter()));
            var text = o.ToString();
            Assert.Contains("right  mlp.L1.output", text, StringComparison.Ordinal);
            Assert.Contains("right  mlp.L1.bias'", text, StringComparison.Ordinal);
            Assert.Contains("mlp.L2.output is wrong", text, StringComparison.Ordinal);
            Assert.Contains("mlp.output, mlp.loss are wrong because of it", text, StringComparison.Ordinal);
            Assert.DoesNotContain("WRONG  dL/dmlp.L1.weight", text, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Fact]
    public void Seeded_init_is_reproducible_and_leaves_the_default_generator_alone()
    {
        string yaml(int seed) => $"given: {{x: [1, 2, 3]}}\nmodels:\n  m:\n    input: [3]\n    layers: [{{Linear: {{inFeatures: 3, outFeatures: 2}}}}, Tanh]\n    weights: {{init: {{seed: {seed}}}}}\n    run: {{input: x, target: [0.5, -0.5], loss: mse}}\n";
        var dir = Directory.CreateTempSubdirectory("nabla-seed-").FullName;
        try
        {
            double Loss(int seed)
            {
                var path = Path.Combine(dir, $"s{seed}.yaml");
                File.WriteAllText(path, yaml(seed));
                return ExerciseExamplesTests.Run(path)["models"]!["m"]!["run"]!["loss"]!["value"]!.GetValue<double>();
            }

            var state = Generator.Default.GetState();
            double a = Loss(3), b = Loss(3), c = Loss(4);
            Assert.Equal(a, b);
            Assert.NotEqual(a, c);
            Assert.Equal(state, Generator.Default.GetState());
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    /// <summary>
    /// A loss with options from the registry: the output is 1·1 + 2·2 + 0 = 5 against the target 1, |d| = 4; Huber with
    /// δ = 0.5 is δ(|d| − δ/2) = 1.875, smooth L1 with β = 2 is |d| − β/2 = 3, MSE is d² = 16 (PyTorch's formulas, by hand).
    /// </summary>
    [Theory]
    [InlineData("{type: huber_loss, delta: 0.5}", 1.875)]
    [InlineData("{type: SmoothL1Loss, beta: 2}", 3.0)]
    [InlineData("MSELoss", 16.0)]
    public void Run_losses_come_from_the_registry_with_their_options(string loss, double expected)
    {
        var path = Path.Combine(Path.GetTempPath(), $"nabla-run-{Guid.NewGuid():N}.yaml");
        File.WriteAllText(path, Small + $"    weights: {{fc.weight: [[1, 2]], fc.bias: [0]}}\n    run: {{input: x, target: [1], loss: {loss}}}\n");
        try
        {
            Assert.Equal(expected, ExerciseExamplesTests.Run(path)["models"]!["m"]!["run"]!["loss"]!["value"]!.GetValue<double>(), 12);
        }
        finally
        {
            File.Delete(path);
        }
    }

    private const string Small = "given: {x: [1, 2]}\nmodels:\n  m:\n    input: [2]\n    layers:\n      - Linear: {inFeatures: 2, outFeatures: 1}\n        name: fc\n";

    [Theory]
    [InlineData(Small + "    weights: {fc.wieght: [[1, 2]], fc.bias: [0]}\n    run: {input: x}\n", "line 8", "no parameter or buffer 'fc.wieght'; did you mean 'fc.weight'?")]
    [InlineData(Small + "    weights: {fc.weight: [[1, 2]]}\n    run: {input: x}\n", "line 8", "no weights for fc.bias [1]")]
    [InlineData(Small + "    weights: {fc.weight: [[1, 2, 3]], fc.bias: [0]}\n    run: {input: x}\n", "line 8", "has shape [1, 2] (2 values); the value given has shape [1, 3]")]
    [InlineData(Small + "    weights: {init: {seed: 0}}\n    run: {input: [1, 2, 3]}\n", "line 9", "the input has shape [3], the model expects [2] per sample")]
    [InlineData(Small + "    weights: {init: {seed: 0}}\n    run: {input: x, target: 1, loss: cross_entrop}\n", "line 9", "unknown loss 'cross_entrop'; did you mean 'cross_entropy'?")]
    [InlineData(Small + "    weights: {init: {seed: 0}}\n    run: {input: x, target: 3, loss: cross_entropy}\n", "line 9", "one class index in 0..0")]
    [InlineData(Small + "    weights: {init: {seed: 0}}\n    run: {input: z}\n", "line 9", "the input 'z' is not a given value")]
    [InlineData(Small + "    weights: {init: {seed: 0}}\n    run: {input: x, loss: mse}\n", "line 9", "a loss needs a target")]
    [InlineData(Small + "    weights: {init: {seed: 0}}\n    run: {input: x, target: [1], loss: {type: huber_loss, delt: 0.5}}\n", "line 9", "HuberLoss has no argument 'delt'; did you mean 'delta'?")]
    public void Malformed_model_runs_name_the_line_and_the_problem(string yaml, string where, string what)
    {
        var path = Path.Combine(Path.GetTempPath(), $"nabla-run-{Guid.NewGuid():N}.yaml");
        File.WriteAllText(path, yaml);
        try
        {
            var e = new StringWriter();
            Assert.Equal(2, ExplainCommand.Run([path], new StringWriter(), e));
            Assert.Contains(where, e.ToString(), StringComparison.Ordinal);
            Assert.Contains(what, e.ToString(), StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }

    private sealed class Close(double tolerance) : IEqualityComparer<double>
    {
        public bool Equals(double x, double y) => Math.Abs(x - y) <= tolerance * Math.Max(1, Math.Abs(x));

        public int GetHashCode(double obj) => 0;
    }
}
