using Microsoft.ML.OnnxRuntime;
using Nabla.Analysis;
using Nabla.Formats;
using Nabla.Models;
using Nabla.NN;
using Nabla.Tests.Cli;
using Nabla.Tests.Training;
using Nabla.Training;

namespace Nabla.Tests.Onnx;

/// <summary><c>nabla export</c>: built-in names, weights files, run folders, and bad arguments.</summary>
[Collection(GlobalStateCollection.Name)] // model files are built from the seeded Generator.Default
public class ExportCommandTests
{
    /// <summary>Runs the exported file in ONNX Runtime on a fixed input; returns the output.</summary>
    private static float[] RunOnnx(string path, Tensor x)
    {
        using var session = new InferenceSession(path);
        return OnnxParity.Run(session, x).Values;
    }

    private static float[] RunNabla(Module model, Tensor x)
    {
        using (GradMode.NoGrad())
        {
            return model.Eval().Forward(x).ToFloatArray();
        }
    }

    private static void AssertClose(float[] expected, float[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - actual[i]) <= OnnxParity.Tolerance, $"[{i}]: Nabla {expected[i]}, ONNX Runtime {actual[i]}");
        }
    }

    [Fact]
    public void Builtin_name_exports_its_seeded_initialisation()
    {
        string dir = TestPaths.TempDir(), path = Path.Combine(dir, "lenet.onnx");
        var (rc, output, err) = CommandLineTests.Nabla("export", "lenet5", "--seed", "4", "--out", path);
        Assert.Equal((0, ""), (rc, err));
        Assert.Contains("input [batch, 1, 32, 32] float32 -> output [batch, 10] float32", output, StringComparison.Ordinal);
        var x = Tensor.Randn(new Shape(2, 1, 32, 32), new Generator(9));
        AssertClose(RunNabla(BuiltinModels.Create("lenet5", new Generator(4)), x), RunOnnx(path, x));
        Directory.Delete(dir, true);
    }

    [Fact]
    public void Run_folder_exports_its_trained_weights_next_to_them()
    {
        // A run folder as nabla train leaves it: metrics.json names the model and the seed; model.safetensors holds the weights.
        string dir = TestPaths.TempDir();
        var trained = BuiltinModels.Create("mlp", new Generator(77));
        Safetensors.Save(Path.Combine(dir, "model.safetensors"), trained.StateDict());
        File.WriteAllText(Path.Combine(dir, "metrics.json"), """{"status": "trained", "model": "mlp", "seed": 5}""");
        var (rc, _, err) = CommandLineTests.Nabla("export", dir);
        Assert.Equal((0, ""), (rc, err));
        var x = Tensor.Randn(new Shape(3, 1, 28, 28), new Generator(9));
        AssertClose(RunNabla(trained, x), RunOnnx(Path.Combine(dir, "model.onnx"), x));
        Directory.Delete(dir, true);
    }

    [Fact]
    public void Model_file_with_weights_and_input_shape()
    {
        string dir = TestPaths.TempDir(), path = Path.Combine(dir, "fcn.onnx"), file = Path.Combine(TestPaths.RepoRoot(), "examples", "models", "fcn_segmentation.yaml");
        Generator.Default.ManualSeed(12);
        var model = ModelFile.Load(file).Build();
        Safetensors.Save(Path.Combine(dir, "w.safetensors"), model.StateDict());
        var (rc, output, err) = CommandLineTests.Nabla("export", file, "--weights", Path.Combine(dir, "w.safetensors"), "--input", "3x16x16", "--out", path);
        Assert.Equal((0, ""), (rc, err));
        Assert.Contains("-> output [batch, 5, 16, 16]", output, StringComparison.Ordinal);
        var x = Tensor.Randn(new Shape(2, 3, 16, 16), new Generator(9));
        AssertClose(RunNabla(model, x), RunOnnx(path, x));
        Directory.Delete(dir, true);
    }

    [Fact]
    public void Help_shows_usage_and_examples()
    {
        var (rc, output, _) = CommandLineTests.Nabla("export", "--help");
        Assert.Equal(0, rc);
        Assert.Contains("\n  nabla export ", output, StringComparison.Ordinal);
        Assert.Contains("Exit status: 0", output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("'no-such-model' is neither a built-in model", "export", "no-such-model")]
    [InlineData("missing <MODEL>", "export")]
    [InlineData("--seed must be a whole number, got 'x'", "export", "lenet5", "--seed", "x")]
    [InlineData("--input 'abc'", "export", "lenet5", "--input", "abc")]
    [InlineData("--out needs a value", "export", "lenet5", "--out")]
    [InlineData("unknown option '--bogus'", "export", "lenet5", "--bogus")]
    [InlineData("no-such.safetensors: file not found", "export", "lenet5", "--weights", "no-such.safetensors")]
    [InlineData("the state dict does not fit the model", "export", "cnn", "--weights", "{mlp}")]
    public void Bad_argument_exits_2_with_one_line(string expected, params string[] args)
    {
        string dir = TestPaths.TempDir(), mlp = Path.Combine(dir, "mlp.safetensors");
        Safetensors.Save(mlp, BuiltinModels.Create("mlp", new Generator(0)).StateDict());
        var (rc, output, err) = CommandLineTests.Nabla([.. args.Select(a => a.Replace("{mlp}", mlp, StringComparison.Ordinal))]);
        Assert.Equal(2, rc);
        Assert.Equal("", output);
        string line = Assert.Single(err.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains(expected, line, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", err, StringComparison.Ordinal);
        Directory.Delete(dir, true);
    }
}
