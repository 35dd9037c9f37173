using System.Text.Json;
using Nabla.Cli.Commands;
using Nabla.Formats;
using Nabla.Tests.Training;

namespace Nabla.Tests.Cli;

/// <summary>
/// <c>nabla train --model gpt-tiny</c> and <c>nabla generate</c>: a short run on a small text writes a run folder that
/// generate reads; the built-in text is there and public domain; wrong data, prompts and files are refused.
/// </summary>
public sealed class GptCommandTests
{
    private static (int Rc, string Out, string Err) Nabla(params string[] args) => CommandLineTests.Nabla(args);

    [Fact]
    public void Train_then_generate()
    {
        string dir = TestPaths.TempDir(), text = Path.Combine(dir, "t.txt"), run = Path.Combine(dir, "run");
        File.WriteAllText(text, string.Concat(Enumerable.Repeat("the cat sat on the mat.\n", 60)));
        var (rc, output, err) = Nabla("train", "--model", "gpt-tiny", "--data", "text:" + text, "--epochs", "2", "--train-size", "2",
            "--test-size", "1", "--batch-size", "4", "--threads", "1", "--out", run);
        Assert.True(rc == 0, err);
        Assert.Contains("epoch 2/2  train loss", output, StringComparison.Ordinal);
        Assert.Contains("val loss", output, StringComparison.Ordinal);
        Assert.Contains("sample (300 characters", output, StringComparison.Ordinal);
        foreach (var f in new[] { "model.safetensors", "metrics.json", "metrics.csv", "loss.png", "sample.txt" })
        {
            Assert.True(File.Exists(Path.Combine(run, f)), f);
        }

        using (var metrics = JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "metrics.json"))))
        {
            double val = metrics.RootElement.GetProperty("val_loss").GetDouble();
            Assert.InRange(val, 0.1, Math.Log(12) + 1); // 12 characters: an untrained model is near ln 12 = 2.48
        }

        var (grc, generated, gerr) = Nabla("generate", run, "--prompt", "the ", "--tokens", "25", "--temperature", "0.5", "--top-k", "3", "--seed", "1");
        Assert.True(grc == 0, gerr);
        Assert.StartsWith("the ", generated, StringComparison.Ordinal);
        Assert.Equal(4 + 25 + Environment.NewLine.Length, generated.Length); // the prompt, 25 characters, the closing new line
        Assert.All(generated, c => Assert.Contains(c, "the catsonm.\n\r"));
        Assert.Equal(generated, Nabla("generate", Path.Combine(run, "model.safetensors"), "--prompt", "the ", "--tokens", "25", "--temperature", "0.5", "--top-k", "3", "--seed", "1").Out);

        var (prc, _, perr) = Nabla("generate", run, "--prompt", "dog");
        Assert.Equal(2, prc);
        Assert.Contains("character 'd' at position 0 is not in the model's vocabulary", perr, StringComparison.Ordinal);
        Assert.Equal(2, Nabla("generate", run, "--temperature", "0").Rc);
    }

    [Fact]
    public void Refuses_other_files_and_data()
    {
        string dir = TestPaths.TempDir();
        string other = Path.Combine(dir, "w.safetensors");
        Safetensors.Save(other, new Dictionary<string, Tensor> { ["w"] = Tensor.Zeros(new Shape(2)) });
        var (rc, _, err) = Nabla("generate", other);
        Assert.Equal(1, rc);
        Assert.Contains("not a gpt-tiny model", err, StringComparison.Ordinal);
        Assert.Equal(1, Nabla("generate", Path.Combine(dir, "missing")).Rc);

        Assert.Equal(2, Nabla("train", "--model", "gpt-tiny", "--data", "mnist:" + dir, "--out", Path.Combine(dir, "r1")).Rc);
        Assert.Equal(2, Nabla("train", "--data", "text:" + other, "--out", Path.Combine(dir, "r2")).Rc);
        Assert.False(Directory.Exists(Path.Combine(dir, "r1")));
        var (jrc, _, jerr) = Nabla("train", "--model", "gpt-tiny", "--json", "--out", Path.Combine(dir, "r3"));
        Assert.Equal(2, jrc);
        Assert.Contains("does not take --resume, --json or --detect-anomaly", jerr, StringComparison.Ordinal);
    }

    [Fact]
    public void Builtin_text_is_the_public_domain_devils_dictionary()
    {
        string text = GptTraining.BuiltinText();
        Assert.InRange(text.Length, 300_000, 500_000);
        Assert.Contains("A Public Domain Text, Copyright Expired", text, StringComparison.Ordinal);
        Assert.Contains("ZOOLOGY, n.", text, StringComparison.Ordinal);
        Assert.DoesNotContain('{', text); // dictfmt's cross-reference braces are gone
        Assert.All(text, c => Assert.True(c == '\n' || (c >= ' ' && c < 127), $"character {(int)c}"));
    }
}
