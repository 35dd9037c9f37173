using Nabla.Formats;
using Nabla.Models;
using Nabla.NN;
using Nabla.Optim;

namespace Nabla.Tests.NN;

/// <summary>
/// The optimizer and scheduler registries (names, PyTorch's defaults, refusals) and the behaviour of the new
/// optimizers and schedulers that the golden trajectories do not cover: state saving, refusals, resuming.
/// </summary>
public sealed class OptimizerRegistryTests
{
    private static Tensor[] Params() => [Tensor.FromArray([1.0, -2.0]).RequireGrad()];

    /// <summary>Defaults as PyTorch 2.10's signatures state them (torch/optim/*.py), typed from there.</summary>
    [Theory]
    [InlineData("sgd", 1e-3, "momentum", 0.0)]
    [InlineData("Adam", 1e-3, "beta2", 0.999)]
    [InlineData("adamw", 1e-3, "weightDecay", 0.01)]
    [InlineData("ADAMAX", 2e-3, "eps", 1e-8)]
    [InlineData("nadam", 2e-3, "momentumDecay", 4e-3)]
    [InlineData("r_adam", 1e-3, "beta1", 0.9)]
    [InlineData("rmsprop", 1e-2, "alpha", 0.99)]
    [InlineData("adagrad", 1e-2, "eps", 1e-10)]
    [InlineData("adadelta", 1.0, "rho", 0.9)]
    [InlineData("rprop", 1e-2, "etaPlus", 1.2)]
    [InlineData("asgd", 1e-2, "t0", 1e6)]
    [InlineData("lbfgs", 1.0, "maxEval", 25)]
    public void Every_optimizer_is_created_by_name_with_PyTorch_defaults(string name, double lr, string option, double value)
    {
        var opt = OptimizerRegistry.Create(name, Params());
        Assert.Equal(lr, opt.ParamGroups[0].Lr);
        Assert.Equal(value, opt.ParamGroups[0][option]);
    }

    [Fact]
    public void The_registry_lists_each_optimizer_and_scheduler_once()
    {
        Assert.Equal(12, OptimizerRegistry.Names.Distinct().Count());
        Assert.Equal(OptimizerRegistry.All.Count, OptimizerRegistry.Names.Select(n => n.ToLowerInvariant()).Distinct().Count());
        Assert.Equal(14, SchedulerRegistry.Names.Distinct().Count());
    }

    [Theory]
    [InlineData("adan", "unknown optimizer 'adan'; did you mean 'Adam'?")]
    [InlineData("Adam(beta1=0.5)", "Adam has no argument 'beta1'; did you mean 'betas'?")]
    [InlineData("SGD(foreach=True)", "SGD: argument 'foreach' is not supported")]
    [InlineData("SGD(momentum=fast)", "SGD: momentum must be a number, got 'fast'")]
    [InlineData("SGD(nesterov=yes)", "SGD: nesterov must be True or False, got 'yes'")]
    [InlineData("Rprop(etas=(0.5))", "Rprop: etas must be a pair (a, b), got '(0.5)'")]
    [InlineData("Rprop(etas=(1.5, 1.2))", "need 0 < etaminus < 1 < etaplus")]
    [InlineData("NAdam(betas=(1.0, 0.9))", "betas must be in [0, 1)")]
    [InlineData("LBFGS(line_search_fn='wolfe')", "line_search_fn is one of None, strong_wolfe, got 'wolfe'")]
    [InlineData("SGD(lr=0.1, lr=0.2)", "argument 'lr' given twice")]
    [InlineData("SGD(0.1)", "'0.1' is not arg=value")]
    public void Bad_specs_are_refused_with_what_is_wrong(string spec, string message)
    {
        var e = Assert.ThrowsAny<ArgumentException>(() => OptimizerRegistry.FromSpec(spec, Params()));
        Assert.Contains(message, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Scheduler_specs_nest_and_unknown_or_function_schedulers_are_refused()
    {
        var opt = new SGD(Params(), 0.1);
        var seq = SchedulerRegistry.FromSpec("sequential_lr(schedulers=[ConstantLR(factor=0.5, total_iters=1), StepLR(step_size=1, gamma=0.5)], milestones=[2])", opt);
        Assert.IsType<SequentialLR>(seq);
        Assert.Equal(0.05, opt.ParamGroups[0].Lr, 15);

        Assert.Contains("did you mean 'StepLR'?", Assert.Throws<ArgumentException>(() => SchedulerRegistry.Create("SteppLR", opt)).Message, StringComparison.Ordinal);
        Assert.Contains("takes a function", Assert.Throws<ArgumentException>(() => SchedulerRegistry.Create("LambdaLR", opt)).Message, StringComparison.Ordinal);
        Assert.Contains("needs the argument 'T_max'", Assert.Throws<ArgumentException>(() => SchedulerRegistry.Create("CosineAnnealingLR", opt)).Message, StringComparison.Ordinal);
        Assert.Contains("mode is one of", Assert.Throws<ArgumentException>(
            () => SchedulerRegistry.FromSpec("CyclicLR(base_lr=0.01, max_lr=0.1, mode='triangle')", opt)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Momentum_cycling_needs_momentum_or_betas()
    {
        var e = Assert.Throws<ArgumentException>(() => new OneCycleLR(new Adagrad(Params()), 1.0, 10));
        Assert.Contains("has neither momentum nor betas", e.Message, StringComparison.Ordinal);
        _ = new OneCycleLR(new Adagrad(Params()), 1.0, 10, cycleMomentum: false);
    }

    [Fact]
    public void OneCycleLR_refuses_an_empty_phase_as_PyTorch_divides_by_zero()
    {
        // pct_start·total − 1 = 0: the first phase has no steps; PyTorch raises ZeroDivisionError at step 0.
        Assert.Throws<InvalidOperationException>(() => new OneCycleLR(new SGD(Params(), 0.1, momentum: 0.9), 1.0, 10, pctStart: 0.1));
    }

    [Fact]
    public void LBFGS_needs_a_closure_and_refuses_to_save_its_history()
    {
        var x = Tensor.FromArray([3.0, -1.0]).RequireGrad();
        var opt = new LBFGS([x], lineSearchFn: "strong_wolfe");
        Assert.Contains("needs a closure", Assert.Throws<InvalidOperationException>(opt.Step).Message, StringComparison.Ordinal);
        _ = opt.StateDict(); // nothing kept yet
        Tensor Closure()
        {
            opt.ZeroGrad();
            var loss = (x - Tensor.FromArray([1.0, 2.0])).Square().Sum();
            loss.Backward();
            return loss;
        }

        // A quadratic: the first iteration's line search lands on the minimum (1, 2) exactly or nearly.
        Assert.Equal(13.0, opt.Step(Closure).Item(), 12); // (3 − 1)² + (−1 − 2)², the loss before the step
        Assert.Equal([1.0, 2.0], x.ToDoubleArray().Select(v => Math.Round(v, 9)));
        Assert.Throws<NotSupportedException>(opt.StateDict);
    }

    [Fact]
    public void Scalar_state_of_NAdam_and_ASGD_survives_a_checkpoint()
    {
        var dir = Directory.CreateTempSubdirectory();
        try
        {
            foreach (var name in new[] { "NAdam", "ASGD" })
            {
                var model = new Linear(2, 1);
                var opt = OptimizerRegistry.Create(name, model.Parameters());
                model.Forward(Tensor.Ones(new Shape(3, 2))).Sum().Backward();
                opt.Step();
                string path = Path.Combine(dir.FullName, name + ".safetensors");
                Checkpoint.Save(path, model, opt);

                var model2 = new Linear(2, 1);
                var opt2 = OptimizerRegistry.Create(name, model2.Parameters());
                Checkpoint.Load(path).Restore(model2, opt2);
                var keys = opt.ScalarStateKeys.Where(k => opt.State[model.Weight].ContainsKey(k)).ToList();
                Assert.True(keys.Count >= 2, $"{name} keeps scalar state");
                foreach (var k in keys)
                {
                    Assert.Equal(opt.State[model.Weight][k].Item(), opt2.State[model2.Weight][k].Item());
                }
            }
        }
        finally
        {
            dir.Delete(true);
        }
    }

    [Fact]
    public void Adam_with_decoupled_weight_decay_is_AdamW()
    {
        Tensor[] a = [Tensor.FromArray([1.0, -2.0, 0.5]).RequireGrad()], b = [Tensor.FromArray([1.0, -2.0, 0.5]).RequireGrad()];
        var adam = OptimizerRegistry.FromSpec("Adam(lr=0.1, weight_decay=0.2, decoupled_weight_decay=True)", a);
        var adamw = OptimizerRegistry.FromSpec("AdamW(lr=0.1, weight_decay=0.2)", b);
        for (int i = 0; i < 3; i++)
        {
            foreach (var (opt, p) in new[] { (adam, a[0]), (adamw, b[0]) })
            {
                opt.ZeroGrad();
                (p * p * p).Sum().Backward();
                opt.Step();
            }
        }

        Assert.Equal(b[0].ToDoubleArray(), a[0].ToDoubleArray());
    }

    [Fact]
    public void FastForward_replays_from_the_schedulers_own_rates()
    {
        // After a checkpoint restored lr = 0.025 (epoch 4 of StepLR(2, 0.5) from 0.1), replaying must not halve it again.
        var opt = new SGD(Params(), 0.1);
        var sched = new StepLR(opt, 2, 0.5);
        opt.ParamGroups[0].Lr = 0.025;
        sched.FastForward(4);
        Assert.Equal(0.025, opt.ParamGroups[0].Lr, 15);
        Assert.Equal(4, sched.LastEpoch);
    }

    [Fact]
    public void The_first_scheduler_takes_the_rate_it_finds_as_the_initial_rate()
    {
        // PyTorch: group.setdefault("initial_lr", group["lr"]) when a scheduler attaches; later ones keep it.
        var opt = new SGD(Params(), 0.1);
        opt.ParamGroups[0].Lr = 0.05;
        var first = new StepLR(opt, 1, 0.5);
        Assert.Equal(0.05, first.BaseLrs[0]);
        Assert.Equal(0.05, first.LastLr[0]);
        var second = new ExponentialLR(opt, 0.9);
        Assert.Equal(0.05, second.BaseLrs[0]);
        Assert.Equal(0.05, opt.ParamGroups[0].InitialLr);

        // CyclicLR sets the rate to base_lr before attaching: its initial rate is base_lr.
        var opt2 = new SGD(Params(), 0.1, momentum: 0.9);
        _ = new CyclicLR(opt2, 0.01, 0.1, 2);
        Assert.Equal(0.01, opt2.ParamGroups[0].InitialLr);
    }

    [Fact]
    public void ChainedScheduler_composes_the_chainable_forms()
    {
        // ConstantLR(0.5, 2) then ExponentialLR(0.9) from 0.1: 0.05, 0.05·0.9, 0.045·2·0.9 (ConstantLR ends at epoch 2), ·0.9.
        var opt = new SGD(Params(), 0.1);
        var chain = new ChainedScheduler([new ConstantLR(opt, 0.5, 2), new ExponentialLR(opt, 0.9)]);
        var lrs = new List<double> { opt.ParamGroups[0].Lr };
        for (int i = 0; i < 3; i++)
        {
            chain.Step();
            lrs.Add(opt.ParamGroups[0].Lr);
        }

        Assert.Equal([0.05, 0.045, 0.081, 0.0729], lrs.Select(v => Math.Round(v, 12)));
    }
}
