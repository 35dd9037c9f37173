using Nabla.NN;

namespace Nabla.Tests.Golden;

/// <summary>
/// Parity with PyTorch (pool_more.json, tools/GoldenGen/PoolMore.cs) for pooling and transposed convolution with
/// (height, width) pairs, max pooling's indices, and MaxUnpool1d/2d, in Float32 and Float64: outputs, the gradient
/// of sum(out · g) for the input and parameters, and the indices exactly.
/// </summary>
public sealed class PoolMoreParityTests
{
    public static TheoryData<string, DType> Cases => GoldenData.Rows("pool_more");

    [Theory]
    [MemberData(nameof(Cases))]
    public void Layer(string name, DType dtype)
    {
        var c = GoldenData.Load("pool_more")[name];
        var x = c.T("input", dtype).RequireGrad();
        (int, int) Pair(string a) => ((int)c.Arg(a + "h", 0), (int)c.Arg(a + "w", 0));
        var (k, s, p, d) = (((int)c.Arg("kh", 0), (int)c.Arg("kw", 0)), ((int)c.Arg("sh", 0), (int)c.Arg("sw", 0)),
            ((int)c.Arg("ph", 0), (int)c.Arg("pw", 0)), ((int)c.Arg("dh", 1), (int)c.Arg("dw", 1)));
        Module? module = null;
        Tensor y;
        switch (c.Op)
        {
            case "max_pool2d":
                var pool = new MaxPool2d(k, s, p, d, c.Flag("ceil_mode"), returnIndices: true);
                (y, var idx) = pool.ForwardWithIndices(x);
                Assert.Equal(c.Tensors["indices"].Data, idx.ToDoubleArray());
                Assert.Throws<InvalidOperationException>(() => pool.Forward(x));
                Assert.Equal(y.Shape, pool.OutputShape(x.Shape));
                break;
            case "avg_pool2d":
                module = new AvgPool2d(k, s, p, c.Flag("ceil_mode"), c.Flag("count_include_pad"));
                y = module.Forward(x);
                break;
            case "conv_transpose2d":
                var ct = new ConvTranspose2d((int)c.Arg("in_channels", 0), (int)c.Arg("out_channels", 0), k, s, p, Pair("op"), 1, true, d, dtype: dtype);
                using (GradMode.NoGrad())
                {
                    ct.Weight.CopyInPlace(c.T("p.weight", dtype));
                    ct.Bias!.CopyInPlace(c.T("p.bias", dtype));
                }

                module = ct;
                y = ct.Forward(x);
                break;
            case "conv_transpose1d":
                int I(string a) => (int)c.Arg(a, 0);
                var ct1 = new ConvTranspose1d(I("in_channels"), I("out_channels"), I("kernel_size"), I("stride"), I("padding"), I("output_padding"),
                    I("groups"), c.Flag("bias"), I("dilation"), dtype: dtype);
                using (GradMode.NoGrad())
                {
                    ct1.Weight.CopyInPlace(c.T("p.weight", dtype));
                    ct1.Bias?.CopyInPlace(c.T("p.bias", dtype));
                }

                module = ct1;
                y = ct1.Forward(x);
                break;
            case "max_unpool2d":
                var size = c.Arg("oh", 0) == 0 ? ((int, int)?)null : Pair("o");
                y = new MaxUnpool2d(k, s, p).Forward(x, c.T("indices", dtype), size);
                break;
            default:
                int ol = (int)c.Arg("ol", 0);
                y = new MaxUnpool1d((int)c.Arg("kernel_size", 0), (int)c.Arg("stride", 0), (int)c.Arg("padding", 0)).Forward(x, c.T("indices", dtype), ol == 0 ? null : ol);
                break;
        }

        GoldenData.AssertClose(c.Tensors["output"], y, dtype, $"{name} output");
        if (module is not null)
        {
            Assert.Equal(y.Shape, module.OutputShape(x.Shape));
        }

        y.Backward(c.T("upstream", dtype));

        // Where overlapping windows repeat an index, PyTorch gives every copy the gradient; Nabla only the value it kept.
        if (!c.Tensors.TryGetValue("indices", out var ix) || !c.Op.StartsWith("max_unpool", StringComparison.Ordinal) || !HasRepeats(ix))
        {
            GoldenData.AssertClose(c.Tensors["grad_input"], x.Grad!, dtype, $"{name} grad_input");
        }

        foreach (var (pname, param) in module?.NamedParameters() ?? [])
        {
            GoldenData.AssertClose(c.Tensors["g." + pname], param.Grad!, dtype, $"{name} grad {pname}");
        }
    }

    [Fact]
    public void The_overlapping_case_has_repeated_indices()
    {
        Assert.True(HasRepeats(GoldenData.Load("pool_more")["max_unpool2d_overlapping"].Tensors["indices"]));
        Assert.False(HasRepeats(GoldenData.Load("pool_more")["max_unpool2d_pairs"].Tensors["indices"]));
    }

    [Fact]
    public void Unpool_gradchecks_in_float64()
    {
        // Values and indices of a tie-free input, non-overlapping windows: the unpool is linear in its values.
        var x = Tensor.Arange(0, 2 * 3 * 4 * 6, 1, DType.Float64).Sin().Reshape(2, 3, 4, 6);
        var (v, idx) = F.MaxPool2dWithIndices(x, (2, 3), (2, 3), (0, 1));
        Tensor Fn(Tensor[] t) => F.MaxUnpool2d(t[0], idx, (2, 3), (2, 3), (0, 1), (4, 6));
        var first = GradCheck.Check(Fn, [v.Detach().RequireGrad()]);
        Assert.True(first.Passed, first.Message);
        var second = GradCheck.CheckSecondOrder(Fn, [v.Detach().RequireGrad()]);
        Assert.True(second.Passed, second.Message);
        var (v1, i1) = F.MaxPool1dWithIndices(x.Reshape(6, 4, 6), 2);
        var third = GradCheck.Check(t => F.MaxUnpool1d(t[0], i1, 2, outputSize: 7), [v1.Detach().RequireGrad()]);
        Assert.True(third.Passed, third.Message);
    }

    [Fact]
    public void Unpool_refuses_bad_sizes_and_indices()
    {
        var (v, idx) = F.MaxPool2dWithIndices(Tensor.Randn(new Shape(1, 1, 4, 4), new Generator(1), DType.Float64), 2);
        Assert.Contains("between 2 and 6", Assert.Throws<ArgumentException>(() => F.MaxUnpool2d(v, idx, (2, 2), outputSize: (6, 4))).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => F.MaxUnpool2d(v, Tensor.FromArray([0L, 1, 2, 16], new Shape(1, 1, 2, 2)), (2, 2)));
        Assert.Throws<ArgumentException>(() => F.MaxUnpool2d(v, idx.To(DType.Float64), (2, 2)));
        Assert.Throws<InvalidOperationException>(() => new MaxUnpool2d(2).Forward(v));
    }

    [Fact]
    public void Model_files_refuse_returnIndices_and_pairs_for_1d_pools()
    {
        var d = LayerRegistry.Find("MaxPool2d")!;
        var e = Assert.Throws<ModelShapeException>(() => d.Analyze(LayerSpec.Of("MaxPool2d", ("kernelSize", 2), ("returnIndices", true)), new Shape(1, 1, 4, 4)));
        Assert.Contains("ForwardWithIndices", e.Message);
        var one = LayerRegistry.Find("AvgPool1d")!;
        Assert.Throws<ModelShapeException>(() => one.Build(LayerSpec.Of("AvgPool1d", ("kernelSize", new[] { 3, 2 }))));
    }

    private static bool HasRepeats(GoldenTensor ix)
    {
        int per = ix.Shape[^1] * (ix.Shape.Length == 4 ? ix.Shape[^2] : 1);
        return ix.Data.Chunk(per).Any(plane => plane.Distinct().Count() < plane.Length);
    }
}
