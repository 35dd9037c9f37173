using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static GoldenGen.Program;

namespace GoldenGen;

/// <summary>
/// Five optimizer steps on loss = sum((x·w + b)² ∘ c), w (3, 2), b (2), fixed x (4, 3), c (4, 2) &gt; 0, so that
/// the gradient changes every step. Records w and b after each step, stacked: (5, 3, 2) and (5, 2).
/// </summary>
public static class Optimizers
{
    private const int Steps = 5;

    public static List<Case> All()
    {
        var cases = new List<Case>();
        var specs = new (string Name, string Op, Dictionary<string, double> Args)[]
        {
            ("sgd", "sgd", new() { ["lr"] = 0.01 }),
            ("sgd_momentum", "sgd", new() { ["lr"] = 0.01, ["momentum"] = 0.9 }),
            ("sgd_momentum_dampening", "sgd", new() { ["lr"] = 0.01, ["momentum"] = 0.9, ["dampening"] = 0.1 }),
            ("sgd_nesterov", "sgd", new() { ["lr"] = 0.01, ["momentum"] = 0.9, ["nesterov"] = 1 }),
            ("sgd_weight_decay", "sgd", new() { ["lr"] = 0.01, ["weight_decay"] = 0.01 }),
            ("sgd_momentum_weight_decay", "sgd", new() { ["lr"] = 0.01, ["momentum"] = 0.9, ["weight_decay"] = 0.01 }),
            ("sgd_maximize", "sgd", new() { ["lr"] = 0.01, ["maximize"] = 1 }),
            ("sgd_momentum_maximize", "sgd", new() { ["lr"] = 0.01, ["momentum"] = 0.9, ["maximize"] = 1 }),
            ("adam", "adam", new() { ["lr"] = 0.01 }),
            ("adam_amsgrad", "adam", new() { ["lr"] = 0.01, ["amsgrad"] = 1 }),
            ("adam_weight_decay", "adam", new() { ["lr"] = 0.01, ["weight_decay"] = 0.1 }),
            ("adam_maximize", "adam", new() { ["lr"] = 0.01, ["maximize"] = 1 }),
            ("adamw", "adamw", new() { ["lr"] = 0.01 }),
            ("adamw_weight_decay_amsgrad", "adamw", new() { ["lr"] = 0.01, ["weight_decay"] = 0.1, ["amsgrad"] = 1 }),
            ("rmsprop", "rmsprop", new() { ["lr"] = 0.01 }),
            ("rmsprop_centered_momentum", "rmsprop", new() { ["lr"] = 0.01, ["centered"] = 1, ["momentum"] = 0.9 }),
            ("rmsprop_weight_decay", "rmsprop", new() { ["lr"] = 0.01, ["weight_decay"] = 0.1 }),
            ("adagrad", "adagrad", new() { ["lr"] = 0.1 }),
            ("adagrad_lr_decay", "adagrad", new() { ["lr"] = 0.1, ["lr_decay"] = 0.1 }),
            ("adagrad_init_acc_weight_decay", "adagrad", new() { ["lr"] = 0.1, ["initial_accumulator_value"] = 0.1, ["weight_decay"] = 0.1 }),
            ("adadelta", "adadelta", new() { ["lr"] = 1.0 }),
            ("adadelta_rho_weight_decay", "adadelta", new() { ["lr"] = 1.0, ["rho"] = 0.8, ["weight_decay"] = 0.1 }),
        };

        using var scope = torch.NewDisposeScope();
        var x = Randn(31, 4, 3);
        var c = Rand(32, 4, 2) + 0.5;
        var w0 = Randn(33, 3, 2) * 0.5;
        var b0 = Randn(34, 2) * 0.5;
        foreach (var (name, op, args) in specs)
        {
            using var s = torch.NewDisposeScope();
            var w = new Parameter(w0.clone());
            var b = new Parameter(b0.clone());
            var ps = new List<Parameter> { w, b };
            double A(string k, double d) => args.TryGetValue(k, out var v) ? v : d;
            bool B(string k) => A(k, 0) != 0;
            torch.optim.Optimizer opt = op switch
            {
                "sgd" => torch.optim.SGD(ps, A("lr", 0), momentum: A("momentum", 0), dampening: A("dampening", 0),
                    weight_decay: A("weight_decay", 0), nesterov: B("nesterov"), maximize: B("maximize")),
                "adam" => torch.optim.Adam(ps, A("lr", 1e-3), weight_decay: A("weight_decay", 0), amsgrad: B("amsgrad"), maximize: B("maximize")),
                "adamw" => torch.optim.AdamW(ps, A("lr", 1e-3), weight_decay: A("weight_decay", 0.01), amsgrad: B("amsgrad"), maximize: B("maximize")),
                "rmsprop" => torch.optim.RMSProp(ps, A("lr", 0.01), weight_decay: A("weight_decay", 0), momentum: A("momentum", 0), centered: B("centered")),
                "adagrad" => torch.optim.Adagrad(ps, A("lr", 0.01), lr_decay: A("lr_decay", 0), weight_decay: A("weight_decay", 0),
                    initial_accumulator_value: A("initial_accumulator_value", 0)),
                "adadelta" => torch.optim.Adadelta(ps, A("lr", 1.0), rho: A("rho", 0.9), weight_decay: A("weight_decay", 0)),
                _ => throw new InvalidOperationException(op),
            };
            var ws = new List<Tensor>();
            var bs = new List<Tensor>();
            for (int step = 0; step < Steps; step++)
            {
                opt.zero_grad();
                var loss = ((x.matmul(w) + b).square() * c).sum();
                loss.backward();
                opt.step();
                ws.Add(w.detach().clone());
                bs.Add(b.detach().clone());
            }

            var cs = new Case { name = name, op = op, args = args };
            cs.tensors["x"] = Pack(x);
            cs.tensors["c"] = Pack(c);
            cs.tensors["w0"] = Pack(w0);
            cs.tensors["b0"] = Pack(b0);
            cs.tensors["w_steps"] = Pack(torch.stack(ws));
            cs.tensors["b_steps"] = Pack(torch.stack(bs));
            cases.Add(cs);
        }

        return cases;
    }
}
