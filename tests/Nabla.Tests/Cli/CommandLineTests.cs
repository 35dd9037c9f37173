using System.Reflection;
using System.Text.Json;
using Nabla.Cli;
using Nabla.Tests.Training;

namespace Nabla.Tests.Cli;

/// <summary>
/// The <c>nabla</c> command line as a user meets it: help with examples on every command, the version, both
/// <c>--name value</c> and <c>--name=value</c>, tab completion, and every bad value of every option ending in one line
/// on stderr and exit code 2, never a stack trace.
/// </summary>
public class CommandLineTests
{
    internal static (int Rc, string Out, string Err) Nabla(params string[] args)
    {
        var (o, e) = (new StringWriter(), new StringWriter());
        int rc = NablaCommandLine.Invoke(args, o, e);
        return (rc, o.ToString(), e.ToString());
    }

    [Theory]
    [InlineData("")]
    [InlineData("train")]
    [InlineData("summary")]
    [InlineData("explain")]
    [InlineData("check")]
    [InlineData("exercise")]
    [InlineData("exercise new")]
    [InlineData("exercise list")]
    [InlineData("demo")]
    [InlineData("generate")]
    public void Help_exits_0_and_shows_usage_and_an_example(string command)
    {
        string[] words = command.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        foreach (string help in new[] { "--help", "-h" })
        {
            var (rc, output, err) = Nabla([.. words, help]);
            Assert.Equal(0, rc);
            Assert.Equal("", err);
            Assert.Contains("Usage:", output, StringComparison.Ordinal);
            // An example is a line that runs the command itself (for the root: any command).
            string example = "\n  nabla " + (words.Length > 0 ? words[0] + " " : "");
            int at = output.IndexOf("Examples:", StringComparison.Ordinal);
            Assert.True(at > 0 && output.IndexOf(example, at, StringComparison.Ordinal) > at, $"no example '{example.Trim()}' in:\n{output}");
            Assert.Contains("Exit status: 0", output, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void No_arguments_and_help_word_print_the_root_help()
    {
        var (rc, output, _) = Nabla();
        Assert.Equal(0, rc);
        foreach (string command in new[] { "train", "summary", "explain", "check", "exercise", "demo", "generate" })
        {
            Assert.Contains($"\n  {command}", output, StringComparison.Ordinal);
        }

        var (rc2, trainHelp, _) = Nabla("help", "train");
        Assert.Equal(0, rc2);
        Assert.Contains("--divergence-factor", trainHelp, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--version")]
    [InlineData("-v")]
    public void Version_prints_the_library_version(string flag)
    {
        var (rc, output, err) = Nabla(flag);
        Assert.Equal(0, rc);
        Assert.Equal("", err);
        // The library's informational version (set by its project file), without the source revision suffix.
        string expected = typeof(Tensor).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()!.InformationalVersion.Split('+')[0];
        Assert.Equal(expected, output.Trim());
        Assert.Matches(@"^\d+\.\d+\.\d+", output);
    }

    [Fact]
    public void Name_equals_value_and_name_space_value_give_the_same_result()
    {
        var spaced = Nabla("summary", "lenet5", "--format", "json", "--input", "1x32x32");
        var joined = Nabla("summary", "lenet5", "--format=json", "--input=1x32x32");
        Assert.Equal(0, spaced.Rc);
        Assert.Equal(spaced, joined);
        using var doc = JsonDocument.Parse(joined.Out); // it is the JSON format, so the value was taken
        Assert.True(doc.RootElement.ValueKind == JsonValueKind.Object);
    }

    [Fact]
    public void Suggest_directive_completes_options_and_their_values()
    {
        var (rc, output, _) = Nabla("[suggest:13]", "train --optim");
        Assert.Equal(0, rc);
        Assert.Equal(["--optimizer"], output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));

        var (_, values, _) = Nabla("[suggest:18]", "train --optimizer ");
        Assert.Equal(["adadelta", "adagrad", "adam", "adamax", "adamw", "asgd", "nadam", "radam", "rmsprop", "rprop", "sgd"],
            values.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));

        var (_, models, _) = Nabla("[suggest:11]", "summary res");
        Assert.Equal(["resnet18", "resnet34", "resnet50"], models.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
    }

    /// <summary>Every option of every command, given a bad value (or none, or an unknown one), and a piece of the line it must print.</summary>
    public static TheoryData<string[], string> BadArguments { get; } = new()
    {
        { ["frobnicate"], "unknown command 'frobnicate'" },
        { ["--frobnicate"], "unknown option '--frobnicate'" },
        { ["train", "--data", "foo"], "--data must be synthetic, mnist:DIR, fashion-mnist:DIR, csv:FILE, images:DIR or text:FILE, got 'foo'" },
        { ["train", "--data=csv:"], "--data must be synthetic" },
        { ["train", "--epochs", "abc"], "--epochs must be a whole number of at least 1, got 'abc'" },
        { ["train", "--epochs=abc"], "--epochs must be a whole number of at least 1, got 'abc'" },
        { ["train", "--epochs", "0"], "--epochs must be a whole number of at least 1, got '0'" },
        { ["train", "--epochs=-3"], "got '-3'" },
        { ["train", "--epochs", "99999999999"], "got '99999999999'" },
        { ["train", "--epochs"], "--epochs needs a value" },
        { ["train", "--batch-size", "1.5"], "--batch-size must be a whole number of at least 1, got '1.5'" },
        { ["train", "--batch-size=0"], "--batch-size must be a whole number" },
        { ["train", "--optimizer", "adan"], "--optimizer: unknown optimizer 'adan'; did you mean 'Adam'?" },
        { ["train", "--optimizer", "lbfgs"], "--optimizer LBFGS needs a closure" },
        { ["train", "--optimizer", "adam(beta1=0.8)"], "--optimizer: Adam has no argument 'beta1'; did you mean 'betas'?" },
        { ["train", "--optimizer", "adam(betas=0.8)"], "--optimizer: Adam: betas must be a pair (a, b), got '0.8'" },
        { ["train", "--optimizer", "sgd(foreach=True)"], "--optimizer: SGD: argument 'foreach' is not supported" },
        { ["train", "--optimizer"], "--optimizer needs a value" },
        { ["train", "--lr", "abc"], "--lr must be a number above 0, got 'abc'" },
        { ["train", "--lr=-0.1"], "--lr must be a number above 0, got '-0.1'" },
        { ["train", "--lr", "NaN"], "--lr must be a number above 0, got 'NaN'" },
        { ["train", "--lr", "1,5"], "got '1,5'" },
        { ["train", "--seed", "1e3"], "--seed must be a whole number, got '1e3'" },
        { ["train", "--threads", "0"], "--threads must be a whole number of at least 1, got '0'" },
        { ["train", "--threads=x"], "--threads must be a whole number" },
        { ["train", "--train-size", "-1"], "--train-size must be a whole number of at least 1, got '-1'" },
        { ["train", "--test-size", "0"], "--test-size must be a whole number of at least 1, got '0'" },
        { ["train", "--resume"], "--resume needs a value" },
        { ["train", "--out"], "--out needs a value" },
        { ["train", "--model"], "--model needs a value" },
        { ["train", "--divergence-factor", "1"], "--divergence-factor must be a number above 1 or 'off', got '1'" },
        { ["train", "--divergence-factor=abc"], "got 'abc'" },
        { ["train", "--json=maybe"], "unexpected argument 'maybe'" },
        { ["train", "--detect-anomaly=2"], "unexpected argument '2'" },
        { ["train", "--epoch", "3"], "unknown option '--epoch'" },
        { ["train", "extra"], "unexpected argument 'extra'" },
        { ["summary"], "missing <model.yaml|builtin>" },
        { ["summary", "lenet5", "--input", "0x32x32"], "--input '0x32x32': expected positive sizes" },
        { ["summary", "lenet5", "--input=abc"], "--input 'abc'" },
        { ["summary", "lenet5", "--input"], "--input needs a value" },
        { ["summary", "lenet5", "--format", "yaml"], "--format must be table, markdown or json, got 'yaml'" },
        { ["summary", "lenet5", "--compare"], "--compare needs a value" },
        { ["summary", "lenet5", "--bogus"], "unknown option '--bogus'" },
        { ["summary", "--bogus", "lenet5"], "unknown option '--bogus'" },
        { ["summary", "no-such-model"], "no file 'no-such-model' and no built-in model of that name" },
        { ["explain"], "missing <exercise.yaml>" },
        { ["explain", "x.yaml", "--format", "pdf"], "--format must be text, markdown, json, dot or html, got 'pdf'" },
        { ["explain", "x.yaml", "--format=pdf"], "got 'pdf'" },
        { ["explain", "x.yaml", "--digits", "0"], "--digits must be a whole number from 1 to 17, got '0'" },
        { ["explain", "x.yaml", "--digits=18"], "--digits must be a whole number from 1 to 17, got '18'" },
        { ["explain", "x.yaml", "--digits", "x"], "got 'x'" },
        { ["explain", "x.yaml", "--png"], "--png needs a value" },
        { ["explain", "x.yaml", "--allow-path"], "--allow-path needs a value" },
        { ["explain", "x.yaml", "--allow-path", "/no/such/folder"], "--allow-path /no/such/folder: no such folder" },
        { ["explain", "--bogus", "x.yaml"], "unknown option '--bogus'" },
        { ["explain", "a.yaml", "b.yaml"], "unexpected argument 'b.yaml'" },
        { ["check"], "missing <exercise.yaml>" },
        { ["check", "x.yaml", "--claims"], "--claims needs a value" },
        { ["check", "x.yaml", "--report"], "--report needs a value" },
        { ["check", "x.yaml", "--format", "markdown"], "--format must be text or html, got 'markdown'" },
        { ["check", "x.yaml", "--digits=99"], "--digits must be a whole number from 1 to 17, got '99'" },
        { ["check", "x.yaml", "--allow-path=/no/such/folder"], "no such folder" },
        { ["check", "x.yaml", "--bogus"], "unknown option '--bogus'" },
        { ["exercise"], "which command? list, new" },
        { ["exercise", "old"], "unknown command 'old'" },
        { ["exercise", "list", "extra"], "unexpected argument 'extra'" },
        { ["exercise", "new"], "missing <topic>" },
        { ["exercise", "new", "no-such-topic"], "unknown topic 'no-such-topic'" },
        { ["exercise", "new", "bptt", "--seed", "-1"], "--seed must be a whole number of at least 0, got '-1'" },
        { ["exercise", "new", "bptt", "--seed=x"], "got 'x'" },
        { ["exercise", "new", "bptt", "--out"], "--out needs a value" },
        { ["exercise", "new", "bptt", "--bogus"], "unknown option '--bogus'" },
        { ["demo", "--steps", "0"], "--steps must be a whole number of at least 1, got '0'" },
        { ["demo", "--steps=abc"], "got 'abc'" },
        { ["demo", "--seed", "x"], "--seed must be a whole number, got 'x'" },
        { ["demo", "--steps"], "--steps needs a value" },
        { ["demo", "--bogus"], "unknown option '--bogus'" },
    };

    [Theory]
    [MemberData(nameof(BadArguments))]
    public void Bad_argument_exits_2_with_one_line_and_no_stack_trace(string[] args, string expected)
    {
        var (rc, output, err) = Nabla(args);
        Assert.Equal(2, rc);
        Assert.Equal("", output);
        string line = Assert.Single(err.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("nabla", line, StringComparison.Ordinal);
        Assert.Contains(expected, line, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", err, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", err, StringComparison.Ordinal);
    }
}

/// <summary><c>nabla train</c> runs that fail before training starts: no run folder is left behind.</summary>
[Collection(GlobalStateCollection.Name)] // the command sets Threads.Count and seeds Generator.Default
public class TrainFolderTests
{
    [Theory]
    [InlineData(1, "missing.csv: file not found", "--data", "csv:{dir}/missing.csv")]
    [InlineData(2, "'no-such-model' is neither a built-in model", "--model", "no-such-model")]
    [InlineData(1, "no-run/checkpoint.safetensors: file not found", "--resume", "{dir}/no-run/checkpoint.safetensors")]
    public void A_run_that_fails_before_training_leaves_no_run_folder(int code, string message, string option, string value)
    {
        string dir = TestPaths.TempDir(), run = Path.Combine(dir, "run");
        var (rc, _, err) = CommandLineTests.Nabla("train", "--out", run, "--threads", "1", option, value.Replace("{dir}", dir, StringComparison.Ordinal));
        Assert.Equal(code, rc);
        Assert.Contains(message, Assert.Single(err.Split('\n', StringSplitOptions.RemoveEmptyEntries)), StringComparison.Ordinal);
        Assert.False(Directory.Exists(run), $"{run} was left behind");
        Directory.Delete(dir, true);
    }

    [Fact]
    public void A_folder_that_existed_before_a_failed_run_is_kept()
    {
        string dir = TestPaths.TempDir();
        var (rc, _, _) = CommandLineTests.Nabla("train", "--out", dir, "--threads", "1", "--data", $"csv:{dir}/missing.csv");
        Assert.Equal(1, rc);
        Assert.True(Directory.Exists(dir));
        Directory.Delete(dir, true);
    }
}
