using System.Text.Json.Nodes;
using Nabla.Cli.Commands;
using Nabla.Explain;
using Nabla.Formats;

namespace Nabla.Tests.Explain;

/// <summary>
/// Arguments the binder refuses (each error names the function and the argument, at the argument's line and column),
/// gradients through the composed prod, and the non-finite diagnostic: the first sub-expression that turns finite
/// operands into NaN or ±inf is named instead of NaN being printed as an answer.
/// </summary>
public class FunctionBindingTests
{
    private const string Given = "given:\n  x: [[1, 2, 3], [4, 5, 6]]\n  v: [1, 2, 3]\n  s: 0\n";

    // The equation is on line 6 of Given + "equations:\n  - \"y = …\"".
    private static YamlException Refused(string expr)
    {
        var yaml = $"{Given}equations:\n  - \"y = {expr}\"\n";
        return Assert.Throws<YamlException>(() => new Evaluator(Exercise.Parse(yaml), new Dictionary<string, Tensor>()).Run());
    }

    [Theory]
    [InlineData("mean(x, axis=0)", "0)", "mean has no argument 'axis'", "mean(input, dim=None, keepdim=False)")]
    [InlineData("sum(x, 0, dim=1)", "1)", "sum: argument 'dim' is given twice (by position and by name)", "sum(input, dim=None, keepdim=False)")]
    [InlineData("exp(x, 1)", "1)", "exp takes at most 1 positional argument(s), got 2", "exp(input)")]
    [InlineData("conv2d(x)", "conv2d", "conv2d needs the argument 'weight'", "conv2d(input, weight, bias=None, stride=1")]
    [InlineData("var(x, unbiased=False, correction=0)", "0)", "var: give unbiased or correction, not both", "")]
    [InlineData("var(x, 0, True, False, 1)", "1)", "var takes at most 4 positional argument(s), got 5", "*, correction=1")]
    [InlineData("sum(x, 2)", "2)", "sum: dim 2 is out of range for a tensor of shape [2, 3] (dims -2..1)", "")]
    [InlineData("prod(x, dim=-3)", "-3)", "prod: dim -3 is out of range", "")]
    [InlineData("max(x, s)", "s)", "max: argument 'dim' must be an integer constant", "max(input, dim=None, keepdim=False)")]
    [InlineData("sum(x, keepdim=2)", "2)", "sum: argument 'keepdim' must be True or False, got 2", "")]
    [InlineData("sum(x, [0, -2])", "[0, -2]", "sum: dim -2 appears more than once in [0, -2]", "")]
    [InlineData("sum(x, 0.5)", "0.5", "sum: argument 'dim' must be an integer (a dimension), got 0.5: sum(", "")]
    [InlineData("mse(x, x, reduction='avg')", "'avg'", "mse: argument 'reduction' must be 'mean' or 'sum' or 'none', got 'avg'", "")]
    [InlineData("conv1d(v, v, padding='full')", "'full'", "conv1d: argument 'padding' must be an integer or 'valid' or 'same'", "")]
    [InlineData("dot(x, x)", "dot", "dot: needs two 1-D tensors of the same length, got shapes [2, 3] and [2, 3]", "")]
    [InlineData("softmax(x, None)", "None", "softmax: argument 'dim' cannot be None", "")]
    [InlineData("pad(x, [1, 2, 3])", "[1, 2, 3]", "pad: pad needs (before, after) pairs", "")]
    [InlineData("pad(x, 1, mode='reflect')", "'reflect'", "pad: argument 'mode' must be 'constant'", "")]
    [InlineData("maxpool2d(x, 2, return_indices=True)", "True", "maxpool2d has no argument 'return_indices'", "")]
    [InlineData("flatten(x, 1, 0)", "1,", "flatten: start_dim 1 comes after end_dim 0", "")]
    [InlineData("sum(x, dim=0, dim=1)", "dim=1", "sum: argument 'dim' is given twice", "")]
    [InlineData("sum(x, dim=0, 1)", "1)", "sum: a positional argument cannot follow a named one", "")]
    [InlineData("reshape(x)", "reshape", "reshape needs the argument 'shape'", "reshape(input, *shape)")]
    [InlineData("softmx(x)", "softmx", "unknown function 'softmx'; did you mean 'softmax'?", "")]
    public void Refused_arguments_name_the_function_the_argument_and_where(string expr, string at, string what, string signature)
    {
        var e = Refused(expr);
        Assert.Contains(what, e.Problem, StringComparison.Ordinal);
        Assert.Contains(signature, e.Problem, StringComparison.Ordinal);
        Assert.True(e.Problem.StartsWith("y: ", StringComparison.Ordinal) || e.Problem.Contains("in 'y = ", StringComparison.Ordinal), e.Problem);
        Assert.Equal(6, e.Line);

        // Column of the offending argument in the line   - "y = <expr>"  (the opening quote is column 5).
        Assert.Equal(10 + expr.LastIndexOf(at, StringComparison.Ordinal), e.Column);
    }

    [Fact]
    public void Prod_is_differentiable_also_at_a_zero()
    {
        // P = x0·x1·x2 at x = [2, 0, 3]: ∂P/∂x = [x1·x2, x0·x2, x0·x1] = [0, 6, 0].
        // Q = Σ_i Π_j m[i, j] = 1·2 + 3·4 = 14: ∂Q/∂m = [[2, 1], [4, 3]] (each element's row partner).
        var g = ExplainJson("given:\n  x: [2, 0, 3]\n  m: [[1, 2], [3, 4]]\nequations:\n  - \"P = prod(x)\"\n  - \"Q = sum(prod(m, dim=1)) + P\"\n" +
            "loss: Q\ngradients: [x, m]\n")["gradients"]!;
        Assert.Equal([0.0, 6.0, 0.0], g["dQ/dx"]!.AsArray().Select(v => v!.GetValue<double>()));
        Assert.Equal([2.0, 1.0, 4.0, 3.0], g["dQ/dm"]!.AsArray().SelectMany(r => r!.AsArray()).Select(v => v!.GetValue<double>()));
    }

    [Theory]
    // A hand-written cross-entropy with p[0] = 0 and y[0] = 1: log(0) = -inf is the first non-finite value.
    [InlineData("p: [0, 1]\n  y: [1, 0]", "L = -sum(y*log(p) + (1 - y)*log(1 - p))", "log(p)", "L: log(p) = -inf at [0], from finite operands", "log(0) = -inf")]
    // 0/0 in every element of (x - x)/(x - x).
    [InlineData("x: [1, 2]", "r = (x - x)/(x - x)", "/", "r: (x - x) / (x - x) = NaN at [0] (and 1 more of its 2 elements)", "division by 0")]
    // The unbiased variance of one element divides by n − 1 = 0.
    [InlineData("x: [3]", "v = 2*var(x)", "var(x)", "v: var(x) = NaN, from finite operands", "n − correction ≤ 0")]
    // e^1000 overflows a double (the largest is about e^709.78).
    [InlineData("x: 1000", "z = 1/exp(x)", "exp(x)", "z: exp(x) = inf, from finite operands", "exp overflows")]
    [InlineData("x: -1", "q = sqrt(x) + 1", "sqrt(x)", "q: sqrt(x) = NaN", "square root of a negative")]
    public void A_non_finite_value_names_the_quantity_and_the_sub_expression_that_made_it(string given, string equation, string at, string what, string why)
    {
        var yaml = $"given:\n  {given}\nequations:\n  - \"{equation}\"\n";
        int line = yaml.Split('\n').Length - 1;
        var (rc, err) = ExplainErr(yaml);
        Assert.Equal(2, rc);
        Assert.Single(err.TrimEnd().Split('\n'));
        Assert.Contains($"line {line}, column {6 + equation.IndexOf(at, StringComparison.Ordinal)}: {what}", err, StringComparison.Ordinal);
        Assert.Contains(why, err, StringComparison.Ordinal);
    }

    [Fact]
    public void A_loss_that_is_not_a_number_after_the_update_is_flagged_not_printed()
    {
        // S1-T5d: after the step w = [4, 0, 1] (PROBLEMS.md), conv_out = 4·ch0 + ch2 = [[5, -2], [8, -8]]; each 2x2
        // pooling window of the zero-padded map holds one of these and three zeros, so s = [[5, 0], [8, 0]], and
        // bce of the probability 5 takes log(1 − 5): NaN. The update is still reported; L' says why it is missing.
        var root = Run(Path.Combine(ExerciseExamplesTests.Root, "examples/exercises/S1-T5d-conv-weight-update.yaml"), "--format", "json");
        var opt = root["optimizer"]!;
        Assert.Equal([4.0, 0.0, 1.0], opt["params_after"]!["w"]!.AsArray().Select(v => v!.GetValue<double>()));
        Assert.Null(opt["loss_after"]);
        Assert.Contains("L: bce_sum(s, target) = NaN", opt["loss_after_error"]!.GetValue<string>(), StringComparison.Ordinal);
        var text = RunText(Path.Combine(ExerciseExamplesTests.Root, "examples/exercises/S1-T5d-conv-weight-update.yaml"));
        Assert.Contains("L' is not a number at the updated parameters: line 10, column 10: L: bce_sum(s, target) = NaN", text, StringComparison.Ordinal);
        Assert.DoesNotContain("L' = NaN", text, StringComparison.Ordinal);
    }

    private static JsonNode ExplainJson(string yaml) => WithTemp(yaml, path => Run(path, "--format", "json"));

    private static (int Rc, string Err) ExplainErr(string yaml) => WithTemp(yaml, path =>
    {
        var err = new StringWriter();
        int rc = ExplainCommand.Run([path], new StringWriter(), err);
        return (rc, err.ToString());
    });

    private static JsonNode Run(string path, params string[] extra)
    {
        var o = new StringWriter();
        var e = new StringWriter();
        Assert.True(ExplainCommand.Run([path, .. extra], o, e) == 0, e.ToString());
        return JsonNode.Parse(o.ToString())!;
    }

    private static string RunText(string path)
    {
        var o = new StringWriter();
        Assert.Equal(0, ExplainCommand.Run([path], o, new StringWriter()));
        return o.ToString();
    }

    private static T WithTemp<T>(string text, Func<string, T> use)
    {
        var path = Path.Combine(Path.GetTempPath(), $"nabla-fn-{Guid.NewGuid():N}.yaml");
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
}
