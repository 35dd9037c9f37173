using System.Text.Json;
using Nabla.Analysis;
using Nabla.Formats;
using Nabla.Models;
using Nabla.NN;

namespace Nabla.Tests.Golden;

/// <summary>
/// torchvision-named weights load strictly into model files: a ResNet-18 of torchvision's structure and names
/// (widths 8/16/32/64, 10 classes), made and run by PyTorch (tools/ZooGolden), gives PyTorch's logits; the zoo's
/// model files have torchvision's state-dict keys and shapes; ReLU6 matches PyTorch.
/// </summary>
public class ZooGoldenTests
{
    private static readonly Lazy<JsonElement> Tiny = new(() => Json("resnet18_tiny.json"));

    [Theory]
    [InlineData(DType.Float32)]
    [InlineData(DType.Float64)]
    public void Torchvision_resnet18_weights_load_strictly_and_give_pytorchs_logits(DType dtype)
    {
        var model = ModelFile.Load(PathOf("resnet18_tiny.yaml")).Build();
        var weights = Safetensors.Load(PathOf("resnet18_tiny.safetensors")).Tensors;
        if (dtype == DType.Float64)
        {
            model = ModelFile.Load(PathOf("resnet18_tiny.yaml")).Build().To(DType.Float64);
        }

        var skipped = model.LoadStateDict(weights, strict: true);
        Assert.Empty(skipped.MissingKeys);
        Assert.Empty(skipped.UnexpectedKeys);
        model.Eval();

        var x = Tensor(Tiny.Value.GetProperty("input")).To(dtype);
        var logits = model.Forward(x);
        var expected = Tensor(Tiny.Value.GetProperty("logits"));
        Assert.Equal(expected.Shape, logits.Shape);
        double[] e = expected.ToDoubleArray(), a = logits.ToDoubleArray();
        double worst = e.Zip(a).Max(p => Math.Abs(p.First - p.Second));
        Assert.True(worst <= 1e-4, $"largest difference from PyTorch's logits: {worst:E2}");
    }

    public static TheoryData<string> ZooModels => ["resnet18", "resnet50", "googlenet", "mobilenet_v2"];

    [Theory]
    [MemberData(nameof(ZooModels))]
    public void Zoo_model_files_have_torchvisions_state_dict(string name)
    {
        var expected = Json("zoo_keys.json").GetProperty(name).EnumerateArray()
            .Select(e => (e[0].GetString()!, string.Join("x", e[1].EnumerateArray().Select(d => d.GetInt64())))).Order().ToList();
        var model = ModelFile.Load(Analysis.AnalysisTestHelpers.ExamplePath(name)).Build();
        var actual = model.StateDict().Select(kv => (kv.Key, string.Join("x", kv.Value.Shape.ToArray().Select(d => (long)d)))).Order().ToList();
        Assert.Equal(expected, actual);
    }

    [Theory]
    [InlineData(DType.Float32)]
    [InlineData(DType.Float64)]
    public void ReLU6_matches_pytorch(DType dtype)
    {
        var c = Tiny.Value.GetProperty("relu6");
        double[] D(string k) => [.. c.GetProperty(k).EnumerateArray().Select(v => v.GetDouble())];
        var shape = new Shape(3, 4);
        var x = Nabla.Tensor.FromArray(D("input"), shape).To(dtype).RequireGrad();
        var y = new ReLU6().Forward(x);
        double R(double v) => dtype == DType.Float32 ? (float)v : v; // PyTorch's float64 values as the dtype holds them
        Assert.Equal(D("output").Select(R), y.ToDoubleArray());
        y.Backward(Nabla.Tensor.FromArray(D("upstream"), shape).To(dtype));
        Assert.Equal(D("grad_input").Select(R), x.Grad!.ToDoubleArray());
    }

    [Fact]
    public void ReLU6_passes_gradcheck_and_gradgradcheck()
    {
        // Away from the kinks at 0 and 6, where the derivative is not defined.
        var x = Nabla.Tensor.FromArray(new[] { -1.3, 0.4, 2.5, 5.7, 6.4, 9.0 }, new Shape(2, 3)).RequireGrad();
        Nabla.Tensor Fn(Nabla.Tensor[] xs) => new ReLU6().Forward(xs[0]);
        var first = GradCheck.Check(Fn, [x]);
        Assert.True(first.Passed, first.Message);
        var second = GradCheck.CheckSecondOrder(Fn, [x]);
        Assert.True(second.Passed, second.Message);
    }

    private static Tensor Tensor(JsonElement t) =>
        Nabla.Tensor.FromArray([.. t.GetProperty("data").EnumerateArray().Select(v => v.GetDouble())], new Shape([.. t.GetProperty("shape").EnumerateArray().Select(v => v.GetInt32())]));

    private static JsonElement Json(string file) => JsonDocument.Parse(File.ReadAllText(PathOf(file))).RootElement.Clone();

    // The file in tests/Nabla.Tests/Golden, found upwards from the test assembly.
    private static string PathOf(string file)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            foreach (var p in new[] { Path.Combine(dir.FullName, "Golden", file), Path.Combine(dir.FullName, "tests", "Nabla.Tests", "Golden", file) })
            {
                if (File.Exists(p))
                {
                    return p;
                }
            }
        }

        throw new FileNotFoundException($"{file} not found above {AppContext.BaseDirectory}");
    }
}
