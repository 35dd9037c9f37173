using Nabla.Optim;

namespace Nabla.Tests.Golden;

/// <summary>
/// Parity with PyTorch for Adamax, NAdam, RAdam, Rprop, ASGD, LBFGS and the schedulers added with them
/// (tools/GoldenGen: OptimizersMore.cs, LbfgsCases.cs, SchedulersMore.cs; how each reference was made is said
/// there). Every optimizer and scheduler is created through the registries from the case's spec, so the
/// registries' names, argument names and defaults are checked against PyTorch's at the same time.
/// </summary>
public sealed class OptimMoreGoldenTests
{
    public static TheoryData<string, DType> OptimizerCases => GoldenData.Rows("optimizers_more");

    public static TheoryData<string, DType> SchedulerCases => GoldenData.Rows("schedulers_more");

    [Theory]
    [MemberData(nameof(OptimizerCases))]
    public void Optimizer(string name, DType dtype)
    {
        var c = GoldenData.Load("optimizers_more")[name];
        if (c.Op == "lbfgs")
        {
            Lbfgs(c, dtype);
            return;
        }

        var x = c.T("x", dtype);
        var k = c.T("c", dtype);
        var w = c.T("w0", dtype).RequireGrad();
        var b = c.T("b0", dtype).RequireGrad();
        var opt = OptimizerRegistry.FromSpec($"{c.Op}({c.Mode})", [w, b]);
        int steps = c.Tensors["w_steps"].Shape[0];
        for (int step = 0; step < steps; step++)
        {
            opt.ZeroGrad();
            ((x.MatMul(w) + b).Square() * k).Sum().Backward();
            opt.Step();
            GoldenData.AssertClose(Slice(c.Tensors["w_steps"], step), w, dtype, $"{name} w after step {step + 1}");
            GoldenData.AssertClose(Slice(c.Tensors["b_steps"], step), b, dtype, $"{name} b after step {step + 1}");
        }

        if (c.Tensors.TryGetValue("ax_w", out var ax))
        {
            GoldenData.AssertClose(ax, ((ASGD)opt).Averaged(w)!, dtype, $"{name} averaged w");
        }
    }

    [Theory]
    [MemberData(nameof(SchedulerCases))]
    public void Scheduler(string name, DType dtype)
    {
        var c = GoldenData.Load("schedulers_more")[name];
        Tensor[] ps = [Tensor.Zeros(new Shape(2), dtype).RequireGrad()];
        double lr0 = c.Arg("lr0", double.NaN);
        Nabla.Optim.Optimizer opt = c.Arg("optimizer", 0) == 1 ? new Adam(ps, lr0) : new SGD(ps, lr0, momentum: 0.9);
        LRScheduler sched = c.Op switch
        {
            // These take a function; the golden ran lr_lambda = 1/(1 + epoch) and 0.9.
            "lambda_lr" => new LambdaLR(opt, e => 1.0 / (1 + e)),
            "multiplicative_lr" => new MultiplicativeLR(opt, _ => 0.9),
            _ => SchedulerRegistry.FromSpec($"{c.Op}({c.Mode})", opt),
        };

        var expected = c.Tensors["lr"];
        var lrs = new double[expected.Data.Length];
        var momenta = new double[lrs.Length];
        string key = opt is Adam ? "beta1" : "momentum";
        for (int e = 0; e < lrs.Length; e++)
        {
            lrs[e] = opt.ParamGroups[0].Lr;
            momenta[e] = opt.ParamGroups[0][key];
            Assert.Equal(lrs[e], sched.LastLr[0]);
            sched.Step();
        }

        // Rates are computed in double whatever the parameters' dtype: compare at float64 tolerance.
        GoldenData.AssertClose(expected, Tensor.FromArray(lrs), DType.Float64, $"{name} lr");
        if (c.Tensors.TryGetValue("momentum", out var m))
        {
            GoldenData.AssertClose(m, Tensor.FromArray(momenta), DType.Float64, $"{name} momentum");
        }
    }

    private static void Lbfgs(GoldenCase c, DType dtype)
    {
        var w = c.T("w0", dtype).RequireGrad();
        var v = c.T("v0", dtype).RequireGrad();
        var k = c.T("k", dtype);
        var t = c.T("t", dtype);
        var opt = OptimizerRegistry.FromSpec($"LBFGS({c.Mode})", [w, v]);
        Tensor Closure()
        {
            opt.ZeroGrad();
            var head = w.Narrow(0, 0, 3);
            var tail = w.Narrow(0, 1, 3);
            var loss = ((1 - head).Square() + (5 * (tail - head.Square()).Square())).Sum() + (k * (v - t).Square()).Sum();
            loss.Backward();
            return loss;
        }

        var losses = c.Tensors["losses"].Data;
        for (int step = 0; step < losses.Length; step++)
        {
            double loss = opt.Step(Closure).Item();
            double tol = dtype == DType.Float32 ? 1e-4 * Math.Max(1, Math.Abs(losses[step])) : 1e-7 * Math.Max(1, Math.Abs(losses[step]));
            Assert.True(Math.Abs(loss - losses[step]) <= tol, $"{c.Name} loss of step {step + 1}: Nabla {loss:R}, PyTorch {losses[step]:R}");
            GoldenData.AssertClose(Slice(c.Tensors["w_steps"], step), w, dtype, $"{c.Name} w after step {step + 1}");
            GoldenData.AssertClose(Slice(c.Tensors["v_steps"], step), v, dtype, $"{c.Name} v after step {step + 1}");
        }
    }

    private static GoldenTensor Slice(GoldenTensor stacked, int i)
    {
        int n = stacked.Data.Length / stacked.Shape[0];
        return new GoldenTensor(stacked.Shape[1..], stacked.Data[(i * n)..((i + 1) * n)], stacked.Dtype);
    }
}
