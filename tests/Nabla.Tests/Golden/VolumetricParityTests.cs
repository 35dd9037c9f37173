using Nabla.NN;

namespace Nabla.Tests.Golden;

/// <summary>
/// Parity with PyTorch (volumetric.json, tools/GoldenGen/Volumetric.cs) for Conv3d, MaxPool3d, AvgPool3d and
/// AdaptiveAvgPool3d in Float32 and Float64: outputs, the gradient of sum(out · g) for the input and the parameters,
/// max pooling's indices exactly, and each module's OutputShape against the output.
/// </summary>
public sealed class VolumetricParityTests
{
    public static TheoryData<string, DType> Cases => GoldenData.Rows("volumetric");

    [Theory]
    [MemberData(nameof(Cases))]
    public void Layer(string name, DType dtype)
    {
        var c = GoldenData.Load("volumetric")[name];
        var x = c.T("input", dtype).RequireGrad();
        (int, int, int) Triple(string a, double fallback) => ((int)c.Arg(a + "d", fallback), (int)c.Arg(a + "h", fallback), (int)c.Arg(a + "w", fallback));
        var (k, s, p, d) = (Triple("k", 0), Triple("s", 0), Triple("p", 0), Triple("d", 1));
        Module module;
        Tensor y;
        switch (c.Op)
        {
            case "conv3d":
                var conv = Conv(c, dtype, k, s, p, d);
                (module, y) = (conv, conv.Forward(x));
                break;
            case "max_pool3d":
                var pool = new MaxPool3d(k, s, p, d, c.Flag("ceil_mode"), returnIndices: true);
                (y, var idx) = pool.ForwardWithIndices(x);
                Assert.Equal(c.Tensors["indices"].Data, idx.ToDoubleArray());
                Assert.Throws<InvalidOperationException>(() => pool.Forward(x));
                module = pool;
                break;
            case "avg_pool3d":
                int div = (int)c.Arg("divisor_override", 0);
                module = new AvgPool3d(k, s, p, c.Flag("ceil_mode"), c.Flag("count_include_pad"), div == 0 ? null : div);
                y = module.Forward(x);
                break;
            default:
                module = new AdaptiveAvgPool3d(Triple("o", 0));
                y = module.Forward(x);
                break;
        }

        GoldenData.AssertClose(c.Tensors["output"], y, dtype, $"{name} output");
        Assert.Equal(y.Shape, module.OutputShape(x.Shape));
        y.Backward(c.T("upstream", dtype));
        GoldenData.AssertClose(c.Tensors["grad_input"], x.Grad!, dtype, $"{name} grad_input");
        foreach (var (pname, param) in module.NamedParameters())
        {
            GoldenData.AssertClose(c.Tensors["g." + pname], param.Grad!, dtype, $"{name} grad {pname}");
        }
    }

    [Fact]
    public void The_functional_forms_agree_with_the_modules()
    {
        // F with int arguments is the module with cubic triples; the golden cases run the triple forms.
        var c = GoldenData.Load("volumetric")["conv3d_basic"];
        var x = c.T("input", DType.Float64);
        var y = F.Conv3d(x, c.T("p.weight", DType.Float64), c.T("p.bias", DType.Float64), stride: 1, padding: 1);
        GoldenData.AssertClose(c.Tensors["output"], y, DType.Float64, "F.Conv3d");
        var m = GoldenData.Load("volumetric")["max_pool3d_k2"];
        var (v, i) = F.MaxPool3dWithIndices(m.T("input", DType.Float64), 2);
        GoldenData.AssertClose(m.Tensors["output"], v, DType.Float64, "F.MaxPool3dWithIndices");
        Assert.Equal(m.Tensors["indices"].Data, i.ToDoubleArray());
        var a = GoldenData.Load("volumetric")["avg_pool3d_k2"];
        GoldenData.AssertClose(a.Tensors["output"], F.AvgPool3d(a.T("input", DType.Float64), 2), DType.Float64, "F.AvgPool3d");
        var ad = GoldenData.Load("volumetric")["adaptive_avg_pool3d_to_1"];
        GoldenData.AssertClose(ad.Tensors["output"], F.AdaptiveAvgPool3d(ad.T("input", DType.Float64), 1), DType.Float64, "F.AdaptiveAvgPool3d");
    }

    [Fact]
    public void Functional_ops_gradcheck_and_gradgradcheck_in_float64()
    {
        // Through the public F entry points (unbatched input, 'same' padding, groups, ceil mode), first and second order.
        var g = new Generator(7);
        var x = Tensor.Randn(new Shape(2, 3, 4, 3), g, DType.Float64).RequireGrad();
        var w = Tensor.Randn(new Shape(4, 1, 2, 1, 2), g, DType.Float64).RequireGrad();
        var b = Tensor.Randn(new Shape(4), g, DType.Float64).RequireGrad();
        Func<Tensor[], Tensor>[] fns =
        [
            t => F.Conv3d(t[0], t[1], t[2], "same", dilation: (1, 1, 2), groups: 2),
            t => F.MaxPool3d(t[0], (2, 2, 1), (1, 2, 1), (1, 1, 0), ceilMode: true),
            t => F.AvgPool3d(t[0], (2, 3, 2), (2, 1, 1), (1, 1, 1), ceilMode: true, countIncludePad: false),
            t => F.AvgPool3d(t[0], 2, 1, 1, divisorOverride: 3),
            t => F.AdaptiveAvgPool3d(t[0], (3, 2, 2)),
        ];
        foreach (var (f, i) in fns.Select((f, i) => (f, i)))
        {
            Tensor[] inputs = i == 0 ? [x, w, b] : [x];
            var first = GradCheck.Check(f, inputs);
            Assert.True(first.Passed, $"function {i}: {first.Message}");
            var second = GradCheck.CheckSecondOrder(f, inputs);
            Assert.True(second.Passed, $"function {i}: {second.Message}");
        }
    }

    [Fact]
    public void Bad_arguments_are_refused_with_the_reason()
    {
        var x = Tensor.Zeros(new Shape(1, 2, 3, 3, 3));
        Assert.Contains("too small", Assert.Throws<ArgumentException>(() => F.Conv3d(x, Tensor.Zeros(new Shape(1, 2, 4, 1, 1)))).Message);
        Assert.Contains("groups", Assert.Throws<ArgumentException>(() => F.Conv3d(x, Tensor.Zeros(new Shape(3, 1, 1, 1, 1)), groups: 2)).Message);
        Assert.Contains("rank 5", Assert.Throws<ArgumentException>(() => F.Conv3d(x, Tensor.Zeros(new Shape(1, 2, 1, 1)))).Message);
        Assert.Contains("stride", Assert.Throws<ArgumentException>(() => F.Conv3d(x, Tensor.Zeros(new Shape(1, 2, 2, 2, 2)), null, "same", stride: 2)).Message);
        Assert.Contains("half", Assert.Throws<ArgumentException>(() => F.MaxPool3d(x, 2, padding: 2)).Message);
        Assert.Contains("divisorOverride", Assert.Throws<ArgumentException>(() => F.AvgPool3d(x, 2, divisorOverride: 0)).Message);
        Assert.Throws<ArgumentException>(() => F.AdaptiveAvgPool3d(x, (1, 0, 1)));
        Assert.Throws<ArgumentException>(() => F.MaxPool3d(Tensor.Zeros(new Shape(2, 3, 3)), 2));
        Assert.Throws<ArgumentException>(() => new Conv3d(3, 4, 3, groups: 2));

        // 8000 kernel taps × 381³ outputs: a column matrix no array holds, refused before anything is allocated (the input is a view).
        var huge = Tensor.Zeros(new Shape(1, 1, 1, 1, 1)).Expand(new Shape(1, 1, 400, 400, 400));
        Assert.Contains("column matrix", Assert.Throws<ArgumentException>(() => F.Conv3d(huge, Tensor.Zeros(new Shape(1, 1, 20, 20, 20)))).Message);
    }

    private static Conv3d Conv(GoldenCase c, DType dtype, (int, int, int) k, (int, int, int) s, (int, int, int) p, (int, int, int) d)
    {
        int cin = (int)c.Arg("in_channels", 0), cout = (int)c.Arg("out_channels", 0), groups = (int)c.Arg("groups", 1);
        var conv = c.Mode is "same" or "valid"
            ? new Conv3d(cin, cout, k, c.Mode, d, groups, c.Flag("bias"), dtype: dtype)
            : new Conv3d(cin, cout, k, s, p, d, groups, c.Flag("bias"), dtype: dtype);
        using (GradMode.NoGrad())
        {
            conv.Weight.CopyInPlace(c.T("p.weight", dtype));
            conv.Bias?.CopyInPlace(c.T("p.bias", dtype));
        }

        Assert.Equal(c.Tensors.Keys.Where(n => n.StartsWith("p.", StringComparison.Ordinal)).Order(), conv.NamedParameters().Select(n => "p." + n.Name).Order());
        return conv;
    }
}
