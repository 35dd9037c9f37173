using Nabla.NN;

namespace Nabla.Tests.Golden;

/// <summary>
/// Parity with PyTorch for the conv, pooling, resizing, normalisation, embedding and block layers: each case of
/// conv.json, pool.json, norm.json and blocks.json (tools/GoldenGen) builds the Nabla module, loads the stored
/// parameters and buffers by PyTorch state-dict name, and compares output, input gradient, every parameter
/// gradient (of sum(out · g)) and the buffers after the forward calls, in Float32 and Float64.
/// </summary>
public sealed class ModuleParityTests
{
    public static TheoryData<string, DType> ConvCases => GoldenData.Rows("conv");

    public static TheoryData<string, DType> PoolCases => GoldenData.Rows("pool");

    public static TheoryData<string, DType> NormCases => GoldenData.Rows("norm");

    public static TheoryData<string, DType> BlockCases => GoldenData.Rows("blocks");

    [Theory]
    [MemberData(nameof(ConvCases))]
    public void Conv(string name, DType dtype) => Check("conv", name, dtype);

    [Theory]
    [MemberData(nameof(PoolCases))]
    public void Pool(string name, DType dtype) => Check("pool", name, dtype);

    [Theory]
    [MemberData(nameof(NormCases))]
    public void Norm(string name, DType dtype) => Check("norm", name, dtype);

    [Theory]
    [MemberData(nameof(BlockCases))]
    public void Block(string name, DType dtype) => Check("blocks", name, dtype);

    private static void Check(string file, string name, DType dtype)
    {
        var c = GoldenData.Load(file)[name];
        var module = Build(c, dtype);
        if (c.Mode == "eval")
        {
            module.Eval();
        }

        // Every parameter of the Nabla module must be in the case under its PyTorch name, and every stored one must exist.
        var state = module.StateDict();
        var names = module.NamedParameters().Select(p => p.Name).ToHashSet();
        Assert.Equal(c.Tensors.Keys.Where(k => k.StartsWith("p.", StringComparison.Ordinal)).Select(k => k[2..]).Order(), names.Order());
        using (GradMode.NoGrad())
        {
            foreach (var key in c.Tensors.Keys.Where(k => k.StartsWith("p.", StringComparison.Ordinal) || k.StartsWith("b.", StringComparison.Ordinal)))
            {
                Assert.True(state.TryGetValue(key[2..], out var target), $"{name}: Nabla has no parameter or buffer '{key[2..]}'");
                target!.CopyInPlace(c.T(key, dtype));
            }
        }

        var input = c.T("input", dtype);
        if (input.DType.IsFloatingPoint())
        {
            input.RequireGrad();
        }

        var output = module.Forward(input);
        GoldenData.AssertClose(c.Tensors["output"], output, dtype, $"{name} output");
        output.Backward(c.T("upstream", dtype));
        if (c.Tensors.TryGetValue("grad_input", out var gi))
        {
            GoldenData.AssertClose(gi, input.Grad!, dtype, $"{name} grad_input");
        }

        foreach (var (pname, p) in module.NamedParameters())
        {
            Assert.True(p.Grad is not null, $"{name}: no gradient for {pname}");
            GoldenData.AssertClose(c.Tensors["g." + pname], p.Grad!, dtype, $"{name} grad {pname}");
        }

        if (c.Tensors.ContainsKey("input2"))
        {
            using (GradMode.NoGrad())
            {
                module.Forward(c.T("input2", dtype));
            }
        }

        foreach (var key in c.Tensors.Keys.Where(k => k.StartsWith("s.", StringComparison.Ordinal)))
        {
            GoldenData.AssertClose(c.Tensors[key], state[key[2..]], dtype, $"{name} buffer {key[2..]} after the forward calls");
        }

        if (c.Tensors.TryGetValue("indices", out var expectedIdx))
        {
            var x = c.T("input", dtype);
            int k = (int)c.Arg("kernel_size", 1), s = (int)c.Arg("stride", k), p = (int)c.Arg("padding", 0), d = (int)c.Arg("dilation", 1);
            bool ceil = c.Flag("ceil_mode");
            var idx = c.Op == "max_pool2d" ? F.MaxPool2dWithIndices(x, k, s, p, d, ceil).Indices : F.MaxPool1dWithIndices(x, k, s, p, d, ceil).Indices;
            Assert.Equal(DType.Int64, idx.DType);
            Assert.Equal(expectedIdx.Shape, idx.Shape.ToArray());
            Assert.Equal(expectedIdx.Data, idx.ToDoubleArray());
        }

        Assert.Equal(output.Shape, module.OutputShape(input.Shape));
    }

    /// <summary>The Nabla module for a case, in <paramref name="dtype"/>, with PyTorch's argument values.</summary>
    private static Module Build(GoldenCase c, DType dtype)
    {
        int I(string key, int fallback = 0) => (int)c.Arg(key, fallback);
        bool bias = c.Flag("bias");
        var gen = new Generator(5);
        switch (c.Op)
        {
            case "conv1d":
                return c.Mode is "same" or "valid"
                    ? new Conv1d(I("in_channels"), I("out_channels"), I("kernel_size"), c.Mode, I("dilation", 1), I("groups", 1), bias, gen, dtype)
                    : new Conv1d(I("in_channels"), I("out_channels"), I("kernel_size"), I("stride", 1), I("padding"), I("dilation", 1), I("groups", 1), bias, gen, dtype);
            case "conv2d":
                return c.Mode is "same" or "valid"
                    ? new Conv2d(I("in_channels"), I("out_channels"), I("kh"), c.Mode, I("dh", 1), I("groups", 1), bias, gen, dtype)
                    : new Conv2d(I("in_channels"), I("out_channels"), (I("kh"), I("kw")), (I("sh"), I("sw")), (I("ph"), I("pw")), (I("dh"), I("dw")),
                        I("groups", 1), bias, gen, dtype);
            case "conv_transpose2d":
                return new ConvTranspose2d(I("in_channels"), I("out_channels"), I("kernel_size"), I("stride", 1), I("padding"), I("output_padding"),
                    I("groups", 1), bias, I("dilation", 1), gen, dtype);
            case "max_pool2d":
                return new MaxPool2d(I("kernel_size"), I("stride"), I("padding"), I("dilation", 1), c.Flag("ceil_mode"));
            case "max_pool1d":
                return new MaxPool1d(I("kernel_size"), I("stride"), I("padding"), I("dilation", 1), c.Flag("ceil_mode"));
            case "avg_pool2d":
                return new AvgPool2d(I("kernel_size"), I("stride"), I("padding"), c.Flag("ceil_mode"), c.Flag("count_include_pad"),
                    I("divisor_override") == 0 ? null : I("divisor_override"));
            case "avg_pool1d":
                return new AvgPool1d(I("kernel_size"), I("stride"), I("padding"), c.Flag("ceil_mode"), c.Flag("count_include_pad"));
            case "adaptive_avg_pool1d":
                return new AdaptiveAvgPool1d(I("output_size"));
            case "adaptive_avg_pool2d":
                return new AdaptiveAvgPool2d((I("oh"), I("ow")));
            case "adaptive_max_pool2d":
                return new AdaptiveMaxPool2d((I("oh"), I("ow")));
            case "upsample":
                bool? align = I("align_corners", -1) < 0 ? null : c.Flag("align_corners");
                return c.Arg("scale_factor", 0) > 0
                    ? new Upsample(c.Arg("scale_factor", 0), c.Mode, align)
                    : new Upsample(size: c.Mode == "linear" ? [I("ol")] : [I("oh"), I("ow")], mode: c.Mode, alignCorners: align);
            case "zero_pad2d":
                return new ZeroPad2d(I("left"), I("right"), I("top"), I("bottom"));
            case "flatten":
                return new Flatten(I("start_dim"), I("end_dim"));
            case "unflatten":
                return new Unflatten(I("dim"), [I("s0"), I("s1")]);
            case "batch_norm1d":
                return new BatchNorm1d(I("num_features"), c.Arg("eps", 1e-5), c.Arg("momentum", 0.1), c.Flag("affine"), c.Flag("track_running_stats"), dtype);
            case "batch_norm2d":
                return new BatchNorm2d(I("num_features"), c.Arg("eps", 1e-5), c.Arg("momentum", 0.1), c.Flag("affine"), c.Flag("track_running_stats"), dtype);
            case "layer_norm":
                return new LayerNorm(I("n1") == 0 ? new Shape(I("n0")) : new Shape(I("n0"), I("n1")), c.Arg("eps", 1e-5), c.Flag("affine"), dtype: dtype);
            case "group_norm":
                return new GroupNorm(I("num_groups"), I("num_channels"), c.Arg("eps", 1e-5), c.Flag("affine"), dtype);
            case "embedding":
                return new Embedding(I("num_embeddings"), I("embedding_dim"), I("padding_idx", -1) < 0 ? null : I("padding_idx"), gen, dtype);
            case "basic_block":
                return new BasicBlock(I("in_planes"), I("planes"), I("stride", 1), gen, dtype);
            case "bottleneck":
                return new Bottleneck(I("in_planes"), I("planes"), I("stride", 1), gen, dtype);
            case "inception_v1":
                return new InceptionV1(I("in_channels"), I("ch1x1"), I("ch3x3_reduce"), I("ch3x3"), I("ch5x5_reduce"), I("ch5x5"), I("pool_proj"), gen, dtype);
            case "residual":
                int ch = I("channels");
                return new Residual(new Sequential(new Conv2d(ch, ch, 3, 1, 1, generator: gen, dtype: dtype), new ReLU(),
                    new Conv2d(ch, ch, 3, 1, 1, generator: gen, dtype: dtype)), activation: new ReLU());
            default:
                throw new InvalidOperationException($"unknown layer {c.Op}");
        }
    }
}
