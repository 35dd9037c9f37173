using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static GoldenGen.Program;

namespace GoldenGen;

/// <summary>
/// Adamax, NAdam, RAdam, Rprop, ASGD: five steps on the problem of <see cref="Optimizers"/> (loss = sum((x·w + b)²∘c)),
/// recording w and b after each step. The reference is PyTorch's single-tensor update (torch/optim/*.py,
/// <c>_single_tensor_*</c>) written line for line in libtorch ops (<see cref="Reference"/>); where TorchSharp's
/// own port supports the case and follows PyTorch (Adamax, NAdam without decoupled decay or maximize, Rprop,
/// ASGD) its trajectory must agree to 1e-12 or generation fails. TorchSharp's RAdam multiplies by lr twice in
/// the rectified branch (bug), so RAdam is the reference only. The case's <c>mode</c> is the registry spec.
/// </summary>
public static class OptimizersMore
{
    private const int Steps = 5;

    public static List<Case> All()
    {
        var cases = new List<Case>();
        var specs = new (string Name, string Op, string Spec, bool CheckPort)[]
        {
            ("adamax", "adamax", "lr=0.01", true),
            ("adamax_betas_weight_decay", "adamax", "lr=0.01, betas=(0.8, 0.99), weight_decay=0.1", true),
            ("adamax_maximize", "adamax", "lr=0.01, maximize=True", false),
            ("nadam", "nadam", "lr=0.01", true),
            ("nadam_momentum_decay_weight_decay", "nadam", "lr=0.01, momentum_decay=0.1, weight_decay=0.1", true),
            ("nadam_decoupled_weight_decay", "nadam", "lr=0.01, weight_decay=0.1, decoupled_weight_decay=True", false),
            ("nadam_maximize", "nadam", "lr=0.01, maximize=True", false),
            ("radam", "radam", "lr=0.01", false),
            ("radam_betas_weight_decay", "radam", "lr=0.01, betas=(0.8, 0.9), weight_decay=0.1", false),
            ("radam_decoupled_weight_decay", "radam", "lr=0.01, betas=(0.8, 0.9), weight_decay=0.1, decoupled_weight_decay=True", false),
            ("rprop", "rprop", "lr=0.01", true),
            ("rprop_etas_step_sizes", "rprop", "lr=0.05, etas=(0.3, 1.5), step_sizes=(0.001, 0.08)", true),
            ("rprop_maximize", "rprop", "lr=0.01, maximize=True", true),
            ("asgd", "asgd", "lr=0.01", true),
            ("asgd_averaging", "asgd", "lr=0.01, lambd=0.01, alpha=0.5, t0=2, weight_decay=0.1", true),
        };

        using var scope = torch.NewDisposeScope();
        var x = Randn(31, 4, 3);
        var c = Rand(32, 4, 2) + 0.5;
        var w0 = Randn(33, 3, 2) * 0.5;
        var b0 = Randn(34, 2) * 0.5;
        foreach (var (name, op, spec, checkPort) in specs)
        {
            using var s = torch.NewDisposeScope();
            var a = new Args(spec);
            var (ws, bs, ax) = Run(x, c, w0, b0, (w, b) => new Reference(op, a, [w, b]));
            if (checkPort)
            {
                var (pw, pb, _) = Run(x, c, w0, b0, (w, b) => Port(op, a, [w, b]));
                Agree(name, ws, pw);
                Agree(name, bs, pb);
            }

            var cs = new Case { name = name, op = op, mode = spec, args = new() { ["checked_against_torchsharp"] = checkPort ? 1 : 0 } };
            cs.tensors["x"] = Pack(x);
            cs.tensors["c"] = Pack(c);
            cs.tensors["w0"] = Pack(w0);
            cs.tensors["b0"] = Pack(b0);
            cs.tensors["w_steps"] = Pack(ws);
            cs.tensors["b_steps"] = Pack(bs);
            if (ax is not null)
            {
                cs.tensors["ax_w"] = Pack(ax);
            }

            cases.Add(cs);
        }

        cases.AddRange(Lbfgs.All());
        return cases;
    }

    /// <summary>Five steps; the stacked w and b after each, and ASGD's averaged w after the last.</summary>
    private static (Tensor W, Tensor B, Tensor? Ax) Run(Tensor x, Tensor c, Tensor w0, Tensor b0, Func<Parameter, Parameter, object> make)
    {
        var w = new Parameter(w0.clone());
        var b = new Parameter(b0.clone());
        var opt = make(w, b);
        var ws = new List<Tensor>();
        var bs = new List<Tensor>();
        for (int step = 0; step < Steps; step++)
        {
            w.grad?.zero_();
            b.grad?.zero_();
            ((x.matmul(w) + b).square() * c).sum().backward();
            if (opt is Reference r)
            {
                r.Step();
            }
            else
            {
                ((torch.optim.Optimizer)opt).step();
            }

            ws.Add(w.detach().clone());
            bs.Add(b.detach().clone());
        }

        Tensor? ax = opt switch
        {
            Reference { Op: "asgd" } r => r.State(w)["ax"].clone(),
            _ => null,
        };
        return (torch.stack(ws), torch.stack(bs), ax);
    }

    private static torch.optim.Optimizer Port(string op, Args a, List<Parameter> ps) => op switch
    {
        "adamax" => torch.optim.Adamax(ps, a.F("lr"), a.Pair("betas", 0.9, 0.999).A, a.Pair("betas", 0.9, 0.999).B, 1e-8, a.F("weight_decay", 0)),
        "nadam" => torch.optim.NAdam(ps, a.F("lr"), weight_decay: a.F("weight_decay", 0), momentum_decay: a.F("momentum_decay", 4e-3)),
        "rprop" => torch.optim.Rprop(ps, a.F("lr"), a.Pair("etas", 0.5, 1.2).A, a.Pair("etas", 0.5, 1.2).B,
            a.Pair("step_sizes", 1e-6, 50).A, a.Pair("step_sizes", 1e-6, 50).B, a.B("maximize")),
        "asgd" => torch.optim.ASGD(ps, a.F("lr"), a.F("lambd", 1e-4), a.F("alpha", 0.75), a.F("t0", 1e6), a.F("weight_decay", 0)),
        _ => throw new InvalidOperationException(op),
    };

    internal static void Agree(string name, Tensor reference, Tensor port)
    {
        double diff = (reference - port).abs().max().item<double>();
        double scale = reference.abs().max().item<double>();
        if (!(diff <= 1e-12 * Math.Max(1, scale)))
        {
            throw new InvalidOperationException($"{name}: the transcription of PyTorch's update and TorchSharp's port differ by {diff}");
        }
    }
}

/// <summary>A registry-style spec <c>lr=0.01, betas=(0.8, 0.99), maximize=True</c> read for the generator.</summary>
public sealed class Args(string spec)
{
    private readonly Dictionary<string, string> values = Parse(spec);

    public double F(string k, double? d = null) => values.TryGetValue(k, out var v) ? double.Parse(v, System.Globalization.CultureInfo.InvariantCulture)
        : d ?? throw new InvalidOperationException($"missing {k}");

    public bool B(string k) => values.TryGetValue(k, out var v) && v == "True";

    public string? S(string k) => values.TryGetValue(k, out var v) ? v.Trim('\'') : null;

    public (double A, double B) Pair(string k, double a, double b)
    {
        if (!values.TryGetValue(k, out var v))
        {
            return (a, b);
        }

        var p = v.Trim('(', ')').Split(',');
        return (double.Parse(p[0], System.Globalization.CultureInfo.InvariantCulture), double.Parse(p[1], System.Globalization.CultureInfo.InvariantCulture));
    }

    private static Dictionary<string, string> Parse(string spec)
    {
        var d = new Dictionary<string, string>();
        int depth = 0, start = 0;
        for (int i = 0; i <= spec.Length; i++)
        {
            if (i == spec.Length || (spec[i] == ',' && depth == 0))
            {
                var item = spec[start..i];
                if (item.Trim().Length > 0)
                {
                    int eq = item.IndexOf('=');
                    d[item[..eq].Trim()] = item[(eq + 1)..].Trim();
                }

                start = i + 1;
            }
            else if (spec[i] is '(' or '[')
            {
                depth++;
            }
            else if (spec[i] is ')' or ']')
            {
                depth--;
            }
        }

        return d;
    }
}
