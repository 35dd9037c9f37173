using System.Globalization;
using Nabla.NN;
using Nabla.Optim;

namespace Nabla.Tests.Golden;

/// <summary>
/// Parity with PyTorch: each case rebuilds, in Nabla, a computation that tools/GoldenGen ran in PyTorch
/// (TorchSharp-cpu 0.107.0 = libtorch 2.10, float64) from the same stored inputs, and compares the outputs and
/// gradients in Float32 and Float64. Tolerances: see <see cref="GoldenData.AssertClose"/>.
/// </summary>
public sealed class GoldenParityTests
{
    public static TheoryData<string, DType> LossCases => GoldenData.Rows("losses");

    public static TheoryData<string, DType> LayerCases => GoldenData.Rows("layers");

    public static TheoryData<string, DType> OptimizerCases => GoldenData.Rows("optimizers");

    public static TheoryData<string, DType> SchedulerCases => GoldenData.Rows("schedulers");

    [Theory]
    [MemberData(nameof(LossCases))]
    public void Loss(string name, DType dtype)
    {
        var c = GoldenData.Load("losses")[name];
        var input = c.T("input", dtype).RequireGrad();
        var target = c.T("target", dtype);
        var options = new Dictionary<string, Tensor>();
        foreach (var key in new[] { "weight", "pos_weight" })
        {
            if (c.TOrNull(key, dtype) is { } t)
            {
                options[key] = t;
            }
        }

        var (_, module) = GoldenLosses.Create(c, options);
        var loss = module.Forward(input, target);
        GoldenData.AssertClose(c.Tensors["loss"], loss, dtype, $"{name} loss");
        if (loss.Rank == 0)
        {
            loss.Backward();
        }
        else
        {
            loss.Backward(c.T("upstream", dtype));
        }

        Assert.NotNull(input.Grad);
        GoldenData.AssertClose(c.Tensors["grad_input"], input.Grad!, dtype, $"{name} grad_input");
    }

    [Theory]
    [MemberData(nameof(LayerCases))]
    public void Layer(string name, DType dtype)
    {
        var c = GoldenData.Load("layers")[name];
        var input = c.T("input", dtype).RequireGrad();
        Module layer;
        Linear? linear = null;
        if (c.Op == "linear")
        {
            var w = c.T("weight", dtype);
            linear = new Linear(w.Shape[1], w.Shape[0], bias: c.Flag("bias"), dtype: dtype);
            using (GradMode.NoGrad())
            {
                linear.Weight.CopyInPlace(w);
                linear.Bias?.CopyInPlace(c.T("bias", dtype));
            }

            layer = linear;
        }
        else
        {
            int dim = (int)c.Arg("dim", 1);
            layer = c.Op switch
            {
                "relu" => new ReLU(),
                "leaky_relu" => new LeakyReLU(c.Arg("negative_slope", 0.01)),
                "elu" => new ELU(c.Arg("alpha", 1)),
                "gelu" => new GELU(c.Mode),
                "tanh" => new Tanh(),
                "sigmoid" => new Sigmoid(),
                "softmax" => new Softmax(dim),
                "log_softmax" => new LogSoftmax(dim),
                _ => throw new InvalidOperationException($"unknown layer {c.Op}"),
            };
        }

        var output = layer.Forward(input);
        GoldenData.AssertClose(c.Tensors["output"], output, dtype, $"{name} output");
        output.Backward(c.T("upstream", dtype));
        GoldenData.AssertClose(c.Tensors["grad_input"], input.Grad!, dtype, $"{name} grad_input");
        if (linear is not null)
        {
            GoldenData.AssertClose(c.Tensors["grad_weight"], linear.Weight.Grad!, dtype, $"{name} grad_weight");
            if (linear.Bias is not null)
            {
                GoldenData.AssertClose(c.Tensors["grad_bias"], linear.Bias.Grad!, dtype, $"{name} grad_bias");
            }
        }
    }

    [Theory]
    [MemberData(nameof(OptimizerCases))]
    public void Optimizer(string name, DType dtype)
    {
        var c = GoldenData.Load("optimizers")[name];
        var x = c.T("x", dtype);
        var k = c.T("c", dtype);
        var w = c.T("w0", dtype).RequireGrad();
        var b = c.T("b0", dtype).RequireGrad();
        Tensor[] ps = [w, b];
        var opt = OptimizerRegistry.Create(c.Op, ps, c.Args.ToDictionary(kv => kv.Key, kv => kv.Value.ToString("R", CultureInfo.InvariantCulture)));

        var steps = c.Tensors["w_steps"].Shape[0];
        for (int step = 0; step < steps; step++)
        {
            opt.ZeroGrad();
            var loss = ((x.MatMul(w) + b).Square() * k).Sum();
            loss.Backward();
            opt.Step();
            GoldenData.AssertClose(Slice(c.Tensors["w_steps"], step), w, dtype, $"{name} w after step {step + 1}");
            GoldenData.AssertClose(Slice(c.Tensors["b_steps"], step), b, dtype, $"{name} b after step {step + 1}");
        }
    }

    [Theory]
    [MemberData(nameof(SchedulerCases))]
    public void Scheduler(string name, DType dtype)
    {
        var c = GoldenData.Load("schedulers")[name];
        var opt = new SGD([Tensor.Zeros(new Shape(2), dtype).RequireGrad()], c.Arg("lr0", 0.1));
        var sched = SchedulerRegistry.Create(c.Op, opt, SchedulerArgs(c));

        var expected = c.Tensors["lr"];
        var lrs = new double[expected.Data.Length];
        for (int e = 0; e < lrs.Length; e++)
        {
            lrs[e] = sched.LastLr[0];
            sched.Step();
        }

        // Learning rates are computed in double whatever the parameters' dtype: compare at float64 tolerance.
        GoldenData.AssertClose(expected, Tensor.FromArray(lrs), DType.Float64, $"{name} lr");
    }

    /// <summary>schedulers.json's numeric args as PyTorch's keywords (it predates the registry's spec strings).</summary>
    private static Dictionary<string, string> SchedulerArgs(GoldenCase c)
    {
        string N(double v) => v.ToString("R", CultureInfo.InvariantCulture);
        var args = new Dictionary<string, string>();
        foreach (var (k, v) in c.Args)
        {
            switch (k)
            {
                case "lr0" or "m0" or "m1" or "m2": break;
                case "t_max": args["T_max"] = N(v); break;
                case "linear": args["anneal_strategy"] = v != 0 ? "linear" : "cos"; break;
                default: args[k] = N(v); break;
            }
        }

        if (c.Op == "multistep_lr")
        {
            args["milestones"] = $"[{N(c.Arg("m0", 0))}, {N(c.Arg("m1", 0))}, {N(c.Arg("m2", 0))}]";
        }

        if (c.Op == "one_cycle_lr")
        {
            args["cycle_momentum"] = "False"; // as GoldenGen ran it
        }

        return args;
    }

    private static GoldenTensor Slice(GoldenTensor stacked, int i)
    {
        int n = stacked.Data.Length / stacked.Shape[0];
        return new GoldenTensor(stacked.Shape[1..], stacked.Data[(i * n)..((i + 1) * n)], stacked.Dtype);
    }
}
