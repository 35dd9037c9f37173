using Nabla.Cli.Commands;
using Nabla.Explain;
using Nabla.Explain.Generators;
using Nabla.Formats;

namespace Nabla.Tests.Explain;

/// <summary><c>nabla exercise list/new</c> and grading a folder of claims files with <c>nabla check</c>.</summary>
public class ExerciseGeneratorTests
{
    public static TheoryData<string> TopicNames => [.. ExerciseGenerator.Topics.Select(t => t.Name)];

    [Fact]
    public void Every_reference_problem_type_has_a_topic()
    {
        string[] expected = ["conv-shape", "params", "receptive-field", "conv-forward", "conv-backprop", "batchnorm", "softmax-ce",
            "bce", "mlp-forward", "mlp-backprop", "bptt", "rnn-step", "lstm-step", "sgd", "momentum", "adam", "hessian", "perceptron"];
        Assert.Equal(expected, ExerciseGenerator.Topics.Select(t => t.Name));
    }

    // 20 seeds: the exercise file parses, solves and renders as text and JSON; its answer key, read back as a claims
    // file, is all right (and a perceptron converges); the same seed gives the same files and the seeds give different problems.
    [Theory]
    [MemberData(nameof(TopicNames))]
    public void Twenty_seeds_explain_and_their_keys_check_all_right(string topic)
    {
        var t = ExerciseGenerator.Find(topic);
        var exercises = new HashSet<string>(StringComparer.Ordinal);
        for (int seed = 0; seed < 20; seed++)
        {
            var g = ExerciseGenerator.Generate(t, seed);
            var sol = Solver.Solve(Exercise.Parse(g.ExerciseYaml));
            Assert.NotEmpty(TextRenderer.Render(sol, markdown: false));
            Assert.NotEmpty(JsonRenderer.Render(sol));
            var claims = ((YamlMapping)YamlParser.Parse(g.KeyYaml))["claims"]!;
            var report = Checker.Check(sol, claims);
            Assert.True(report.AllRight, $"{topic} seed {seed}: {CheckRenderer.Render(report, 6)}");
            Assert.Equal(g.Asks.Count, report.Results.Count);
            Assert.True(topic != "perceptron" || sol.PerceptronConverged == true, $"perceptron seed {seed} does not converge");
            exercises.Add(g.ExerciseYaml[g.ExerciseYaml.IndexOf('\n', StringComparison.Ordinal)..].Replace($"-{seed}", string.Empty, StringComparison.Ordinal));
        }

        var again = ExerciseGenerator.Generate(t, 7);
        var first = ExerciseGenerator.Generate(t, 7);
        Assert.Equal(first.ExerciseYaml, again.ExerciseYaml);
        Assert.Equal(first.KeyYaml, again.KeyYaml);
        Assert.True(exercises.Count >= 10, $"{topic}: only {exercises.Count} different problems in 20 seeds");
    }

    [Fact]
    public void List_names_every_topic_with_its_description()
    {
        var o = new StringWriter();
        Assert.Equal(0, ExerciseCommand.Run(["list"], o, new StringWriter()));
        foreach (var t in ExerciseGenerator.Topics)
        {
            Assert.Contains($"{t.Name}", o.ToString(), StringComparison.Ordinal);
            Assert.Contains(t.Description, o.ToString(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public void New_writes_the_exercise_and_its_key_and_check_says_all_right() => InTempDir(dir =>
    {
        var o = new StringWriter();
        Assert.Equal(0, ExerciseCommand.Run(["new", "bptt", "--seed", "5", "--out", dir], o, new StringWriter()));
        string ex = Path.Combine(dir, "bptt-5.yaml"), key = Path.Combine(dir, "bptt-5.key.yaml");
        Assert.Equal(ExerciseGenerator.Generate(ExerciseGenerator.Find("bptt"), 5).ExerciseYaml, File.ReadAllText(ex));
        var text = new StringWriter();
        Assert.Equal(0, CheckCommand.Run([ex, "--claims", key], text, new StringWriter()));
        Assert.Contains("all 5 claims are right", text.ToString(), StringComparison.Ordinal);
        Assert.Equal(0, ExplainCommand.Run([ex], new StringWriter(), new StringWriter()));
    });

    [Theory]
    [InlineData(new[] { "new", "no-such-topic" }, "unknown topic 'no-such-topic'")]
    [InlineData(new[] { "new", "bptt", "--seed", "-1" }, "--seed must be a whole number")]
    [InlineData(new[] { "new", "bptt", "--seed" }, "--seed needs a value")]
    [InlineData(new[] { "old" }, "unknown command 'old' (list, new)")]
    public void Bad_arguments_exit_2_with_one_line(string[] args, string message)
    {
        var e = new StringWriter();
        Assert.Equal(2, ExerciseCommand.Run(args, new StringWriter(), e));
        Assert.Contains(message, e.ToString(), StringComparison.Ordinal);
        Assert.Single(e.ToString().Trim().Split('\n'));
    }

    // The bptt exercise of seed 1 and three students: alice copies the key (all right), bob gives L with the wrong
    // sign (a slip the checker names), carol leaves out dL/dw3. The questions are the union of the names claimed.
    [Fact]
    public void Grading_a_folder_writes_the_student_by_question_table_as_markdown_and_csv() => InTempDir(dir =>
    {
        var g = ExerciseGenerator.Generate(ExerciseGenerator.Find("bptt"), 1);
        string ex = Path.Combine(dir, "bptt-1.yaml"), claims = Path.Combine(dir, "class"), report = Path.Combine(dir, "report");
        File.WriteAllText(ex, g.ExerciseYaml);
        Directory.CreateDirectory(claims);
        var lines = g.KeyYaml.Split('\n').Where(l => l.StartsWith("  \"", StringComparison.Ordinal)).ToList();
        string L = lines.Single(l => l.StartsWith("  \"L\":", StringComparison.Ordinal));
        double loss = double.Parse(L[(L.IndexOf(':', StringComparison.Ordinal) + 1)..], System.Globalization.CultureInfo.InvariantCulture);
        File.WriteAllText(Path.Combine(claims, "alice.yaml"), g.KeyYaml);
        File.WriteAllText(Path.Combine(claims, "bob.claims.yaml"), "claims:\n" + string.Join("\n", lines.Select(l => l == L ? $"  \"L\": {-loss}" : l)) + "\n");
        File.WriteAllText(Path.Combine(claims, "carol.yml"), string.Join("\n", lines.Where(l => !l.Contains("dL/dw3", StringComparison.Ordinal)).Select(l => l.Trim())) + "\n");
        File.WriteAllText(Path.Combine(claims, "notes.txt"), "not a claims file");

        var o = new StringWriter();
        var e = new StringWriter();
        Assert.Equal(1, CheckCommand.Run([ex, "--claims", claims, "--report", report], o, e));
        string md = File.ReadAllText(Path.Combine(report, "grades.md"));
        Assert.Equal(md, o.ToString());
        var rows = md.Split('\n');
        Assert.Equal("| student | `h` | `L` | `dL/dw1` | `dL/dw2` | `dL/dw3` | score |", rows[0]);
        Assert.Equal("|---|---|---|---|---|---|---|", rows[1]);
        Assert.Equal("| alice | right | right | right | right | right | 5/5 |", rows[2]);
        Assert.StartsWith("| bob | right | WRONG: it has the wrong sign (L = mean((y - yhat)^2) = ", rows[3], StringComparison.Ordinal);
        Assert.EndsWith(" | right | right | right | 4/5 |", rows[3], StringComparison.Ordinal);
        Assert.Equal("| carol | right | right | right | right | missing | 4/5 |", rows[4]);
        Assert.Contains("1 of 3 students have every answer right", md, StringComparison.Ordinal);

        var csv = File.ReadAllText(Path.Combine(report, "grades.csv")).Split("\r\n");
        Assert.Equal("student,h,L,dL/dw1,dL/dw2,dL/dw3,right,questions,error", csv[0]);
        Assert.Equal("alice,right,right,right,right,right,5,5,", csv[1]);
        Assert.StartsWith("bob,right,\"WRONG: it has the wrong sign (L = mean((y - yhat)^2) = mean((", csv[2], StringComparison.Ordinal);
        Assert.EndsWith(")\",right,right,right,4,5,", csv[2], StringComparison.Ordinal);
        Assert.Equal("carol,right,right,right,right,missing,4,5,", csv[3]);
        Assert.Equal(string.Empty, csv[4]);
        Assert.Contains("wrote", e.ToString(), StringComparison.Ordinal);

        // One file each: alice's keeps today's single-file behaviour (exit 0), bob's names the blamed step (exit 1).
        Assert.Equal(0, CheckCommand.Run([ex, "--claims", Path.Combine(claims, "alice.yaml")], new StringWriter(), new StringWriter()));
        var bob = new StringWriter();
        Assert.Equal(1, CheckCommand.Run([ex, "--claims", Path.Combine(claims, "bob.claims.yaml")], bob, new StringWriter()));
        Assert.Contains("L is wrong: it has the wrong sign", bob.ToString(), StringComparison.Ordinal);
    });

    // A downstream wrong value is "wrong: because of" the blamed one; an unreadable file or an unknown name is that
    // student's error row, and the others are still graded; a class with every answer right exits 0.
    [Fact]
    public void Grading_blames_the_first_wrong_step_and_reports_bad_files_per_student() => InTempDir(dir =>
    {
        var g = ExerciseGenerator.Generate(ExerciseGenerator.Find("softmax-ce"), 2);
        string ex = Path.Combine(dir, "softmax-ce-2.yaml"), claims = Path.Combine(dir, "class");
        File.WriteAllText(ex, g.ExerciseYaml);
        Directory.CreateDirectory(claims);
        File.WriteAllText(Path.Combine(claims, "ann.yaml"), g.KeyYaml);
        var o = new StringWriter();
        Assert.Equal(0, CheckCommand.Run([ex, "--claims", claims], o, new StringWriter()));
        Assert.True(File.Exists(Path.Combine(claims, "grades.csv")));
        Assert.Contains("| ann | right | right | right | 3/3 |", o.ToString(), StringComparison.Ordinal);

        // p = softmax(z) all 0.25 is wrong, and L = −sum(y·log p) computed from it is wrong because of p.
        int n = (int)g.Solution.Find("p")!.Value.Numel;
        File.WriteAllText(Path.Combine(claims, "ben.yaml"), $"p: [{string.Join(", ", Enumerable.Repeat(1.0 / n, n))}]\nL: {Math.Log(n)}\n");
        File.WriteAllText(Path.Combine(claims, "cal.yaml"), "q: 1\n");
        File.WriteAllText(Path.Combine(claims, "dee.yaml"), "p: [1, 2\n");
        o = new StringWriter();
        Assert.Equal(1, CheckCommand.Run([ex, "--claims", claims], o, new StringWriter()));
        var md = o.ToString();
        Assert.Contains("| ben | WRONG: the computed value is ", md, StringComparison.Ordinal);
        Assert.Contains(" | wrong: because of p | missing | 0/3 |", md, StringComparison.Ordinal);
        Assert.Contains("| cal | file error | file error | file error | 0/3 |", md, StringComparison.Ordinal);
        Assert.Contains("cal.yaml: line 1, column 1: claim about 'q': no such quantity", md, StringComparison.Ordinal);
        Assert.Contains("dee: ", md, StringComparison.Ordinal);
        Assert.Contains("dee.yaml: line", md, StringComparison.Ordinal);
    });

    [Fact]
    public void Report_without_a_folder_and_an_empty_folder_are_refused() => InTempDir(dir =>
    {
        var g = ExerciseGenerator.Generate(ExerciseGenerator.Find("sgd"), 0);
        string ex = Path.Combine(dir, "sgd-0.yaml"), key = Path.Combine(dir, "sgd-0.key.yaml"), empty = Path.Combine(dir, "empty");
        File.WriteAllText(ex, g.ExerciseYaml);
        File.WriteAllText(key, g.KeyYaml);
        Directory.CreateDirectory(empty);
        var e = new StringWriter();
        Assert.Equal(2, CheckCommand.Run([ex, "--claims", key, "--report", dir], new StringWriter(), e));
        Assert.Contains("--report DIR is for grading a folder", e.ToString(), StringComparison.Ordinal);
        e = new StringWriter();
        Assert.Equal(2, CheckCommand.Run([ex, "--claims", empty], new StringWriter(), e));
        Assert.Contains("has no .yaml or .yml claims files", e.ToString(), StringComparison.Ordinal);
    });

    private static void InTempDir(Action<string> use)
    {
        var dir = Path.Combine(Path.GetTempPath(), $"nabla-gen-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        try
        {
            use(dir);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
