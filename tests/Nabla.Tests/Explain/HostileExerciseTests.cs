using System.Text.Json.Nodes;
using Nabla.Cli.Commands;
using Nabla.Explain;
using Nabla.Formats;
using Nabla.Tests.Serialization;

namespace Nabla.Tests.Explain;

/// <summary>
/// Exercises and model files written to do harm: reading files outside the exercise's folder, devices, deep nesting,
/// absurd shapes. Each must end as one line naming the file, the position and the problem, with exit code 2, no
/// stack trace and nothing of an outside file printed; through the library and through <c>nabla explain</c>,
/// <c>check</c> and <c>summary</c>.
/// </summary>
public class HostileExerciseTests
{
    private delegate int Command(string[] args, TextWriter output, TextWriter error);

    private static (int Rc, string Out, string Err) Run(Command command, params string[] args)
    {
        var o = new StringWriter();
        var e = new StringWriter();
        int rc = command(args, o, e);
        return (rc, o.ToString(), e.ToString());
    }

    /// <summary>The error output is one line "nabla cmd: file: line L, column C: …" with no stack trace and no secret.</summary>
    private static string AssertOneLine((int Rc, string Out, string Err) r, string command, string file, string where)
    {
        Assert.Equal(2, r.Rc);
        Assert.Equal(string.Empty, r.Out);
        string line = r.Err.TrimEnd('\r', '\n');
        Assert.DoesNotContain('\n', line);
        Assert.StartsWith($"nabla {command}: {file}: {where}", line, StringComparison.Ordinal);
        Assert.DoesNotContain(" at Nabla.", line, StringComparison.Ordinal);
        Assert.DoesNotContain(ConfinementTree.Secret, line, StringComparison.Ordinal);
        return line;
    }

    [Theory]
    [InlineData("models:\n  m:\n    file: ../outside/secret.txt\n", "line 3, column 11", "leaves the folder")]
    [InlineData("given:\n  x: {png: ../outside/secret.txt}\n", "line 2, column 12", "leaves the folder")]
    [InlineData("given:\n  x: {png: SECRET}\n", "line 2, column 12", "absolute path")]
    [InlineData("models:\n  m:\n    input: [2]\n    layers:\n      - Linear: {inFeatures: 2, outFeatures: 1}\n    weights: {file: ../outside/secret.txt}\n    run: {input: [1, 2]}\n",
        "line 6, column 21", "leaves the folder")]
    public void Files_outside_the_exercise_folder_are_refused(string yaml, string where, string problem)
    {
        using var t = new ConfinementTree();
        string ex = t.Write("ex.yaml", yaml.Replace("SECRET", t.SecretFile, StringComparison.Ordinal));
        foreach (Command command in new Command[] { ExplainCommand.Run, CheckCommand.Run })
        {
            string line = AssertOneLine(Run(command, ex), command == ExplainCommand.Run ? "explain" : "check", ex, where);
            Assert.Contains(problem, line, StringComparison.Ordinal);
        }

        var e = Assert.Throws<YamlException>(() => Exercise.Load(ex));
        Assert.Equal(ex, e.File);
    }

    [Fact]
    public void Allow_path_widens_the_folder_but_the_outside_file_is_still_not_printed()
    {
        // Allowed, the secret file is read as a model file; it is not one, and the error describes its line.
        using var t = new ConfinementTree();
        string ex = t.Write("ex.yaml", "models:\n  m:\n    file: ../outside/secret.txt\n");
        string line = AssertOneLine(Run(ExplainCommand.Run, ex, "--allow-path", t.Outside), "explain", ex, "line 3, column 11");
        Assert.Contains("../outside/secret.txt: line 1, column 1: a model file is a mapping", line, StringComparison.Ordinal);
        Assert.Contains("a scalar of 27 characters", line, StringComparison.Ordinal);
    }

    [Fact]
    public void Allow_path_lets_an_exercise_use_a_model_file_in_another_folder()
    {
        using var t = new ConfinementTree();
        File.Copy(Path.Combine(t.Ex, "sub", "model.yaml"), Path.Combine(t.Outside, "model.yaml"));
        string ex = t.Write("ex.yaml", "models:\n  m:\n    file: ../outside/model.yaml\n    weights: {init: {seed: 0}}\n    run: {input: [1, 2]}\n");
        AssertOneLine(Run(ExplainCommand.Run, ex), "explain", ex, "line 3, column 11");
        var (rc, json, err) = Run(ExplainCommand.Run, ex, "--format", "json", "--allow-path", t.Outside);
        Assert.True(rc == 0, err);
        Assert.Equal([1, 1], JsonNode.Parse(json)!["models"]!["m"]!["run"]!["output"]!["shape"]!.AsArray().Select(v => v!.GetValue<int>()));
    }

    [Fact]
    public void A_link_out_of_the_exercise_folder_is_refused()
    {
        using var t = new ConfinementTree();
        File.CreateSymbolicLink(Path.Combine(t.Ex, "model.yaml"), t.SecretFile);
        string ex = t.Write("ex.yaml", "models:\n  m:\n    file: model.yaml\n");
        string line = AssertOneLine(Run(ExplainCommand.Run, ex), "explain", ex, "line 3, column 11");
        Assert.Contains("model.yaml: leaves the folder", line, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("{png: /dev/zero}")]
    [InlineData("{png: /proc/self/environ}")]
    public void Devices_and_proc_files_are_refused_even_in_an_allowed_folder(string given)
    {
        string device = given[6..^1];
        if (!File.Exists(device))
        {
            return; // not Linux
        }

        using var t = new ConfinementTree();
        string ex = t.Write("ex.yaml", $"given:\n  x: {given}\n");
        AssertOneLine(Run(ExplainCommand.Run, ex), "explain", ex, "line 2, column 12");
        string line = AssertOneLine(Run(ExplainCommand.Run, ex, "--allow-path", "/dev", "--allow-path", "/proc"), "explain", ex, "line 2, column 12");
        Assert.Contains("not a regular file", line, StringComparison.Ordinal);
        Assert.DoesNotContain("PATH=", line, StringComparison.Ordinal);
    }

    [Fact]
    public void An_allowed_folder_must_exist()
    {
        using var t = new ConfinementTree();
        string ex = t.Write("ex.yaml", "given: {x: 1}\n");
        var (rc, _, err) = Run(ExplainCommand.Run, ex, "--allow-path", Path.Combine(t.Root, "nowhere"));
        Assert.Equal(2, rc);
        Assert.Contains("--allow-path", err, StringComparison.Ordinal);
    }

    [Fact]
    public void Twenty_thousand_nested_parentheses_are_an_error_with_the_column()
    {
        using var t = new ConfinementTree();
        string ex = t.Write("ex.yaml", "given: {x: 1}\nequations:\n  - y = " + new string('(', 20_000) + "x" + new string(')', 20_000) + "\n");
        string line = AssertOneLine(Run(ExplainCommand.Run, ex), "explain", ex, "line 3, column ");
        Assert.Contains("deeper than 256 levels", line, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(1000, "+x")] // a flat sum parsed by a loop is still a tree 1,000 deep
    [InlineData(1000, "*-x")]
    [InlineData(300, "^x")]
    public void Long_operator_chains_are_refused(int count, string link)
    {
        string eq = "y = x" + string.Concat(Enumerable.Repeat(link, count));
        var e = Assert.Throws<YamlException>(() => Exercise.Parse($"given: {{x: 1}}\nequations:\n  - {eq}\n"));
        Assert.Equal(3, e.Line);
        Assert.Contains("deeper than 256 levels", e.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Trees_at_the_depth_limit_are_solved_rendered_and_differentiated()
    {
        // Within the limit every walker (evaluation, derivatives, text, LaTeX, dot) must cope: y = x + x + … (250
        // terms, a tree 250 deep) has dy/dx = 250; z = tanh(tanh(…(x))) nested 254 times stays at tanh's fixed
        // point 0 for x = 0, with dz/dx = tanh'(0)^254 = 1.
        using var t = new ConfinementTree();
        string sum = "y = x" + string.Concat(Enumerable.Repeat("+x", 249));
        string tanh = "z = " + string.Concat(Enumerable.Repeat("tanh(", 254)) + "x" + new string(')', 254);
        string ex = t.Write("ex.yaml", $"given: {{x: 0}}\nequations:\n  - {sum}\n  - {tanh}\n  - L = y + z\nloss: L\ngradients: [x]\n");
        foreach (var format in new[] { "text", "markdown", "dot" })
        {
            Assert.Equal(0, Run(ExplainCommand.Run, ex, "--format", format).Rc);
        }

        var json = ExerciseExamplesTests.Run(ex);
        Assert.Equal(0, json["quantities"]!["y"]!.GetValue<double>());
        Assert.Equal(0, json["quantities"]!["z"]!.GetValue<double>());
        Assert.Equal(251, json["gradients"]!["dL/dx"]!.GetValue<double>(), 12);
    }

    [Fact]
    public void A_model_nested_to_the_depth_limit_is_read_summarised_and_run()
    {
        // 125 Sequentials one inside the next, each a mapping and a list (2 levels), under models: m: layers: (3 more)
        // and the top mapping: 254 levels, the deepest the reader, the summary, the builder and the run recurse.
        // ReLU of [1, -2, 3, -4] is [1, 0, 3, 0].
        using var t = new ConfinementTree();
        string layers = string.Concat(Enumerable.Repeat("[{Sequential: ", 125)) + "[ReLU]" + string.Concat(Enumerable.Repeat("}]", 125));
        string ex = t.Write("ex.yaml", $"models:\n  m:\n    input: [4]\n    layers: {layers}\n    run: {{input: [1, -2, 3, -4]}}\n");
        var json = ExerciseExamplesTests.Run(ex);
        var output = json["models"]!["m"]!["run"]!["output"]!["values"]!.AsArray()[0]!.AsArray();
        Assert.Equal([1.0, 0, 3, 0], output.Select(v => v!.GetValue<double>()));
        Assert.Equal(0, Run(ExplainCommand.Run, ex, "--format", "markdown").Rc);
    }

    [Theory]
    // "  x: {formula: \"i\", shape: [" puts the shape's '[' in column 28 and its first size in column 29.
    [InlineData("[2147483648]", "line 2, column 29", "a size in a shape is a whole number from 0 to 2147483647")]
    [InlineData("[-1]", "line 2, column 29", "a size in a shape is a whole number")]
    [InlineData("[1.5]", "line 2, column 29", "a size in a shape is a whole number")]
    [InlineData("[100000, 100000]", "line 2, column 28", "memory cap")]
    [InlineData("[65536, 65536, 65536, 65536]", "line 2, column 28", "multiply past 2^63")]
    [InlineData("[1, 1, 1, 1, 1]", "line 2, column 28", "needs 'indices: [..]'")]
    public void Formula_shapes_are_checked_before_anything_is_allocated(string shape, string where, string problem)
    {
        using var t = new ConfinementTree();
        string ex = t.Write("ex.yaml", $"given:\n  x: {{formula: \"i\", shape: {shape}}}\n");
        string line = AssertOneLine(Run(ExplainCommand.Run, ex), "explain", ex, where);
        Assert.Contains(problem, line, StringComparison.Ordinal);
    }

    [Fact]
    public void A_formula_fills_its_shape_in_row_major_order()
    {
        // x[i, j] = 10·i + j over a [2, 3] shape: rows (0, 1, 2) and (10, 11, 12).
        var ex = Exercise.Parse("given:\n  x: {formula: \"10*i + j\", shape: [2, 3]}\n");
        Assert.Equal(new[] { 2, 3 }, ex.Given[0].Shape);
        Assert.Equal(new double[] { 0, 1, 2, 10, 11, 12 }, ex.Given[0].Values);
    }

    [Fact]
    public void A_deep_model_file_is_one_line_from_summary_and_from_an_exercise()
    {
        using var t = new ConfinementTree();
        string model = t.Write("deep.yaml", "layers: " + new string('[', 40_000) + new string(']', 40_000) + "\n");
        string line = AssertOneLine(Run(SummaryCommand.Run, model), "summary", model, "line 1, column ");
        Assert.Contains("deeper than 256 levels", line, StringComparison.Ordinal);
        string ex = t.Write("ex.yaml", "models:\n  m:\n    file: deep.yaml\n");
        line = AssertOneLine(Run(ExplainCommand.Run, ex), "explain", ex, "line 3, column 11: model 'm': deep.yaml: line 1, column ");
        Assert.Contains("deeper than 256 levels", line, StringComparison.Ordinal);
    }

    [Fact]
    public void Summary_of_a_device_is_one_line()
    {
        if (!File.Exists("/dev/zero"))
        {
            return;
        }

        var (rc, _, err) = Run(SummaryCommand.Run, "/dev/zero");
        Assert.Equal(2, rc);
        Assert.Equal("nabla summary: /dev/zero: is empty or not a regular file (a device, a pipe, a /proc file)", err.TrimEnd());
    }

    [Fact]
    public void A_malformed_claims_file_is_named_with_its_line()
    {
        using var t = new ConfinementTree();
        string ex = t.Write("ex.yaml", "given: {x: 1}\nequations:\n  - y = 2*x\n");
        string claims = t.Write("claims.yaml", "claims:\n  y: [1, 2] 3\n");
        string line = AssertOneLine(Run(CheckCommand.Run, ex, "--claims", claims), "check", claims, "line 2, column 13"); // the 3 after "  y: [1, 2] "
        Assert.Contains("unexpected text after the closing bracket", line, StringComparison.Ordinal);
    }

    [Fact]
    public void An_evaluation_error_names_the_exercise_file()
    {
        using var t = new ConfinementTree();
        string ex = t.Write("ex.yaml", "given: {x: 1}\nequations:\n  - \"y = 2*z\"\n");
        string line = AssertOneLine(Run(ExplainCommand.Run, ex), "explain", ex, "line 3, column 12");
        Assert.Contains("unknown symbol 'z'", line, StringComparison.Ordinal);
    }
}
