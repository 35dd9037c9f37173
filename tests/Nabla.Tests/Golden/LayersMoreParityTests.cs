using Nabla.NN;

namespace Nabla.Tests.Golden;

/// <summary>
/// Parity with PyTorch for the activations and layers of issue 16 (layers_more.json, tools/GoldenGen/LayersMore.cs):
/// each case builds the Nabla module with PyTorch's arguments, loads the stored parameters and buffers by state-dict
/// name, and compares the output, the gradients of sum(out · g) for the input(s) and every parameter, and the
/// buffers after the forward call, in Float32 and Float64. The activation inputs hold every breakpoint
/// (±3, 0, the Hardtanh and Threshold bounds, Softplus's βx = threshold) and magnitudes up to 100.
/// </summary>
public sealed class LayersMoreParityTests
{
    public static TheoryData<string, DType> Cases => GoldenData.Rows("layers_more");

    [Theory]
    [MemberData(nameof(Cases))]
    public void Layer(string name, DType dtype)
    {
        var c = GoldenData.Load("layers_more")[name];
        var module = Build(c, dtype);
        if (c.Mode == "eval")
        {
            module.Eval();
        }

        var state = module.StateDict();
        Assert.Equal(c.Tensors.Keys.Where(k => k.StartsWith("p.", StringComparison.Ordinal)).Select(k => k[2..]).Order(),
            module.NamedParameters().Select(p => p.Name).Order());
        using (GradMode.NoGrad())
        {
            foreach (var key in c.Tensors.Keys.Where(k => k.StartsWith("p.", StringComparison.Ordinal) || k.StartsWith("b.", StringComparison.Ordinal)))
            {
                Assert.True(state.TryGetValue(key[2..], out var target), $"{name}: Nabla has no parameter or buffer '{key[2..]}'");
                target!.CopyInPlace(c.T(key, dtype));
            }
        }

        var input = c.T("input", dtype).RequireGrad();
        var other = c.TOrNull("other", dtype)?.RequireGrad();
        var output = module switch
        {
            Bilinear b => b.Forward(input, other!),
            CosineSimilarity s => s.Forward(input, other!),
            _ => module.Forward(input),
        };
        GoldenData.AssertClose(c.Tensors["output"], output, dtype, $"{name} output");
        output.Backward(c.T("upstream", dtype));
        GoldenData.AssertClose(c.Tensors["grad_input"], input.Grad!, dtype, $"{name} grad_input");
        if (other is not null)
        {
            GoldenData.AssertClose(c.Tensors["grad_other"], other.Grad!, dtype, $"{name} grad_other");
        }

        foreach (var (pname, p) in module.NamedParameters())
        {
            GoldenData.AssertClose(c.Tensors["g." + pname], p.Grad!, dtype, $"{name} grad {pname}");
        }

        foreach (var key in c.Tensors.Keys.Where(k => k.StartsWith("s.", StringComparison.Ordinal)))
        {
            GoldenData.AssertClose(c.Tensors[key], state[key[2..]], dtype, $"{name} buffer {key[2..]} after the forward call");
        }
    }

    private static Module Build(GoldenCase c, DType dtype)
    {
        double A(string key, double fallback) => c.Arg(key, fallback);
        int I(string key) => (int)c.Arg(key, double.NaN);
        return c.Op switch
        {
            "hardtanh" => new Hardtanh(A("min_val", -1), A("max_val", 1)),
            "hardswish" => new Hardswish(),
            "hardsigmoid" => new Hardsigmoid(),
            "silu" => new SiLU(),
            "mish" => new Mish(),
            "selu" => new SELU(),
            "celu" => new CELU(A("alpha", 1)),
            "softplus" => new Softplus(A("beta", 1), A("threshold", 20)),
            "softsign" => new Softsign(),
            "logsigmoid" => new LogSigmoid(),
            "threshold" => new Threshold(A("threshold", double.NaN), A("value", double.NaN)),
            "prelu" => new PReLU(I("num_parameters"), dtype: dtype),
            "instance_norm1d" => new InstanceNorm1d(I("num_features"), A("eps", 1e-5), A("momentum", 0.1), c.Flag("affine"), c.Flag("track_running_stats"), dtype),
            "instance_norm2d" => new InstanceNorm2d(I("num_features"), A("eps", 1e-5), A("momentum", 0.1), c.Flag("affine"), c.Flag("track_running_stats"), dtype),
            "lrn" => new LocalResponseNorm(I("size"), A("alpha", 1e-4), A("beta", 0.75), A("k", 1)),
            "pixel_shuffle" => new PixelShuffle(I("upscale_factor")),
            "pixel_unshuffle" => new PixelUnshuffle(I("downscale_factor")),
            "bilinear" => new Bilinear(I("in1_features"), I("in2_features"), I("out_features"), c.Flag("bias"), dtype: dtype),
            "cosine_similarity" => new CosineSimilarity(I("dim"), A("eps", 1e-8)),
            _ => throw new InvalidOperationException($"unknown layer {c.Op}"),
        };
    }
}
