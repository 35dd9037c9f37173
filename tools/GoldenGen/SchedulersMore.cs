using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static GoldenGen.Program;
using LR = TorchSharp.torch.optim.lr_scheduler;

namespace GoldenGen;

/// <summary>
/// Learning rates (and, with momentum cycling, the momentum or Adam's beta1) over the steps: lr[k] is the value
/// in use after k calls of scheduler.step(), from TorchSharp's ports of torch.optim.lr_scheduler, except:
/// CosineAnnealingWarmRestarts (TorchSharp has none: PyTorch's closed form, lr = η_min + (lr₀ − η_min)(1 +
/// cos(π·T_cur/T_i))/2 with T_cur and T_i advanced as its step() does, is computed here); CyclicLR's momentum
/// (TorchSharp adds the swing instead of subtracting it: PyTorch's momentum = max_m − (max_m − base_m)·s·scale
/// is derived from TorchSharp's lr = base_lr + (max_lr − base_lr)·s·scale by that shared s·scale); and
/// exp_range runs with scale_fn γ^x in 'iterations' mode, PyTorch's exp_range (TorchSharp scales by cycle).
/// The case's <c>mode</c> is the registry spec; <c>optimizer</c> in args: 0 SGD(momentum 0.9), 1 Adam.
/// </summary>
public static class SchedulersMore
{
    private const double Lr0 = 0.1;

    public static List<Case> All()
    {
        var cases = new List<Case>();
        var specs = new (string Name, string Op, string Spec, int Steps, bool Adam, Func<torch.optim.Optimizer, LR.LRScheduler> Make)[]
        {
            ("lambda_lr", "lambda_lr", "", 8, false, o => LR.LambdaLR(o, e => 1.0 / (1 + e))),
            ("multiplicative_lr", "multiplicative_lr", "", 8, false, o => LR.MultiplicativeLR(o, e => 0.9)),
            ("constant_lr", "constant_lr", "", 8, false, o => LR.ConstantLR(o)),
            ("constant_lr_factor", "constant_lr", "factor=0.5, total_iters=3", 8, false, o => LR.ConstantLR(o, 0.5, 3)),
            ("linear_lr", "linear_lr", "", 8, false, o => LR.LinearLR(o)),
            ("linear_lr_down", "linear_lr", "start_factor=1.0, end_factor=0.1, total_iters=4", 8, false, o => LR.LinearLR(o, 1.0, 0.1, 4)),
            ("polynomial_lr", "polynomial_lr", "", 8, false, o => LR.PolynomialLR(o)),
            ("polynomial_lr_power", "polynomial_lr", "total_iters=6, power=2.0", 9, false, o => LR.PolynomialLR(o, 6, 2.0)),
            ("cyclic_lr_triangular", "cyclic_lr", "base_lr=0.01, max_lr=0.1, step_size_up=3, step_size_down=2", 14, false,
                o => LR.CyclicLR(o, 0.01, 0.1, 3, 2)),
            ("cyclic_lr_triangular2", "cyclic_lr", "base_lr=0.01, max_lr=0.1, step_size_up=2, mode='triangular2', base_momentum=0.85, max_momentum=0.95", 14, false,
                o => LR.CyclicLR(o, 0.01, 0.1, 2, mode: LR.impl.CyclicLR.Mode.Triangular2, base_momentum: 0.85, max_momentum: 0.95)),
            ("cyclic_lr_exp_range", "cyclic_lr", "base_lr=0.01, max_lr=0.1, step_size_up=2, step_size_down=3, mode='exp_range', gamma=0.9", 14, false,
                o => LR.CyclicLR(o, 0.01, 0.1, 2, 3, LR.impl.CyclicLR.Mode.ExpRange, 0.9, x => Math.Pow(0.9, x), LR.impl.CyclicLR.ScaleMode.Iterations)),
            ("one_cycle_lr_momentum", "one_cycle_lr", "max_lr=1.0, total_steps=12", 12, false, o => LR.OneCycleLR(o, 1.0, total_steps: 12)),
            ("one_cycle_lr_three_phase", "one_cycle_lr", "max_lr=1.0, total_steps=20, three_phase=True, pct_start=0.25", 20, false,
                o => LR.OneCycleLR(o, 1.0, total_steps: 20, pct_start: 0.25, three_phase: true)),
            ("one_cycle_lr_three_phase_linear_adam", "one_cycle_lr",
                "max_lr=0.5, total_steps=16, three_phase=True, anneal_strategy='linear', base_momentum=0.8, max_momentum=0.9, div_factor=10.0, final_div_factor=100.0", 16, true,
                o => LR.OneCycleLR(o, 0.5, total_steps: 16, three_phase: true, anneal_strategy: LR.impl.OneCycleLR.AnnealStrategy.Linear,
                    base_momentum: 0.8, max_momentum: 0.9, div_factor: 10, final_div_factor: 100)),
            ("sequential_lr", "sequential_lr", "schedulers=[LinearLR(start_factor=0.1, total_iters=3), ExponentialLR(gamma=0.9)], milestones=[3]", 10, false,
                o => LR.SequentialLR(o, [LR.LinearLR(o, 0.1, 1.0, 3), LR.ExponentialLR(o, 0.9)], [3])),
            ("sequential_lr_three", "sequential_lr",
                "schedulers=[ConstantLR(factor=0.5, total_iters=2), StepLR(step_size=2, gamma=0.5), CosineAnnealingLR(T_max=4, eta_min=0.001)], milestones=[3, 6]", 12, false,
                o => LR.SequentialLR(o, [LR.ConstantLR(o, 0.5, 2), LR.StepLR(o, 2, 0.5), LR.CosineAnnealingLR(o, 4, 0.001)], [3, 6])),
            ("chained_scheduler", "chained_scheduler", "schedulers=[ConstantLR(factor=0.5, total_iters=3), ExponentialLR(gamma=0.9)]", 8, false,
                o => LR.ChainedLR([LR.ConstantLR(o, 0.5, 3), LR.ExponentialLR(o, 0.9)])),
        };
        foreach (var (name, op, spec, steps, adam, make) in specs)
        {
            using var s = torch.NewDisposeScope();
            var p = new Parameter(torch.zeros(2));
            torch.optim.Optimizer opt = adam ? torch.optim.Adam([p], Lr0) : torch.optim.SGD([p], Lr0, momentum: 0.9);
            var sched = make(opt);
            var lrs = new List<double>();
            var moms = new List<double>();
            for (int e = 0; e < steps; e++)
            {
                var g = opt.ParamGroups.First();
                lrs.Add(g.LearningRate);
                moms.Add(g is torch.optim.IBetas b ? b.Betas.Item1 : ((torch.optim.IMomentum)g).Momentum);
                opt.step();
                sched.step();
            }

            var c = new Case { name = name, op = op, mode = spec, args = new() { ["lr0"] = Lr0, ["optimizer"] = adam ? 1 : 0 } };
            c.tensors["lr"] = Pack(torch.tensor(lrs.ToArray()));
            if (op == "cyclic_lr")
            {
                var a = new Args(spec);
                double baseLr = a.F("base_lr"), maxLr = a.F("max_lr"), bm = a.F("base_momentum", 0.8), mm = a.F("max_momentum", 0.9);
                c.tensors["momentum"] = Pack(torch.tensor(lrs.Select(lr => mm - ((lr - baseLr) / (maxLr - baseLr) * (mm - bm))).ToArray()));
            }
            else if (op == "one_cycle_lr")
            {
                c.tensors["momentum"] = Pack(torch.tensor(moms.ToArray()));
            }

            cases.Add(c);
        }

        cases.Add(WarmRestarts("cosine_warm_restarts", 3, 1, 0.0, 10));
        cases.Add(WarmRestarts("cosine_warm_restarts_mult", 2, 2, 0.01, 16));
        return cases;
    }

    /// <summary>PyTorch's CosineAnnealingWarmRestarts.step() without an epoch, and its get_lr, in closed form.</summary>
    private static Case WarmRestarts(string name, int t0, int tMult, double etaMin, int steps)
    {
        var lrs = new List<double>();
        int tI = t0, tCur = 0;
        for (int e = 0; e < steps; e++)
        {
            lrs.Add(etaMin + ((Lr0 - etaMin) * (1 + Math.Cos(Math.PI * tCur / tI)) / 2));
            tCur++;
            if (tCur >= tI)
            {
                tCur -= tI;
                tI *= tMult;
            }
        }

        var c = new Case
        {
            name = name, op = "cosine_annealing_warm_restarts", mode = FormattableString.Invariant($"T_0={t0}, T_mult={tMult}, eta_min={etaMin}"),
            args = new() { ["lr0"] = Lr0, ["optimizer"] = 0 },
        };
        c.tensors["lr"] = Pack(torch.tensor(lrs.ToArray()));
        return c;
    }
}
