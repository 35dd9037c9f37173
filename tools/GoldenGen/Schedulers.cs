using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static GoldenGen.Program;

namespace GoldenGen;

/// <summary>Learning rates over the epochs: lr[k] is the rate in use after k calls of scheduler.step().</summary>
public static class Schedulers
{
    public static List<Case> All()
    {
        var cases = new List<Case>();
        const double lr0 = 0.1;
        var specs = new (string Name, string Op, Dictionary<string, double> Args, int Epochs, Func<torch.optim.Optimizer, torch.optim.lr_scheduler.LRScheduler> Make)[]
        {
            ("step_lr", "step_lr", new() { ["step_size"] = 3, ["gamma"] = 0.5 }, 12, o => torch.optim.lr_scheduler.StepLR(o, 3, 0.5)),
            ("multistep_lr", "multistep_lr", new() { ["m0"] = 2, ["m1"] = 5, ["m2"] = 9, ["gamma"] = 0.3 }, 12,
                o => torch.optim.lr_scheduler.MultiStepLR(o, new[] { 2, 5, 9 }, 0.3)),
            ("exponential_lr", "exponential_lr", new() { ["gamma"] = 0.8 }, 12, o => torch.optim.lr_scheduler.ExponentialLR(o, 0.8)),
            ("cosine_annealing_lr", "cosine_annealing_lr", new() { ["t_max"] = 10, ["eta_min"] = 0.001 }, 12,
                o => torch.optim.lr_scheduler.CosineAnnealingLR(o, 10, 0.001)),
            ("one_cycle_lr", "one_cycle_lr", new() { ["max_lr"] = 1.0, ["total_steps"] = 20 }, 20,
                o => torch.optim.lr_scheduler.OneCycleLR(o, 1.0, total_steps: 20, cycle_momentum: false)),
            ("one_cycle_lr_linear", "one_cycle_lr", new() { ["max_lr"] = 1.0, ["total_steps"] = 20, ["pct_start"] = 0.25, ["linear"] = 1, ["div_factor"] = 10, ["final_div_factor"] = 100 }, 20,
                o => torch.optim.lr_scheduler.OneCycleLR(o, 1.0, total_steps: 20, pct_start: 0.25, anneal_strategy: torch.optim.lr_scheduler.impl.OneCycleLR.AnnealStrategy.Linear,
                    cycle_momentum: false, div_factor: 10, final_div_factor: 100)),
        };
        foreach (var (name, op, args, epochs, make) in specs)
        {
            using var s = torch.NewDisposeScope();
            var p = new Parameter(torch.zeros(2));
            var opt = torch.optim.SGD(new[] { p }, lr0);
            var sched = make(opt);
            var lrs = new List<double>();
            for (int e = 0; e < epochs; e++)
            {
                lrs.Add(opt.ParamGroups.First().LearningRate);
                opt.step();
                sched.step();
            }

            var c = new Case { name = name, op = op, args = args };
            c.args["lr0"] = lr0;
            c.tensors["lr"] = Pack(torch.tensor(lrs.ToArray()));
            cases.Add(c);
        }

        return cases;
    }
}
