using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static GoldenGen.Program;

namespace GoldenGen;

/// <summary>
/// LBFGS: three <c>step(closure)</c> calls on f(w, v) = Σᵢ₌₀² [(1 − wᵢ)² + 5(wᵢ₊₁ − wᵢ²)²] + Σⱼ kⱼ(vⱼ − tⱼ)²,
/// w₀ = (−1.2, 1, −0.5, 0.8), v₀ = 0, k = (3, 1), t = (1, 2) (a Rosenbrock chain plus a quadratic, two
/// parameters so the flattening is exercised). Records w, v after each call and the loss each call returned.
/// The reference is torch/optim/lbfgs.py (<c>step</c>, <c>_strong_wolfe</c>, <c>_cubic_interpolate</c>)
/// transcribed in libtorch ops; without a line search it must agree with libtorch's own C++
/// <c>torch::optim::LBFGS</c> (what TorchSharp's LBFGS runs), which has no line search option in TorchSharp.
/// </summary>
public static class Lbfgs
{
    private const int Steps = 3;

    public static List<Case> All()
    {
        var cases = new List<Case>();
        var specs = new (string Name, string Spec, bool CheckPort)[]
        {
            ("lbfgs", "lr=0.2, max_iter=5, history_size=3", true),
            ("lbfgs_max_eval_tolerances", "lr=0.5, max_iter=12, max_eval=9, tolerance_grad=1e-05, tolerance_change=1e-06, history_size=4", true),
            ("lbfgs_strong_wolfe", "lr=1, max_iter=5, history_size=3, line_search_fn='strong_wolfe'", false),
            ("lbfgs_strong_wolfe_long", "lr=1, max_iter=20, history_size=5, line_search_fn='strong_wolfe'", false),
        };
        var w0 = torch.tensor(new[] { -1.2, 1, -0.5, 0.8 });
        var v0 = torch.zeros(2, dtype: float64);
        var k = torch.tensor(new[] { 3.0, 1 });
        var t = torch.tensor(new[] { 1.0, 2 });
        foreach (var (name, spec, checkPort) in specs)
        {
            var a = new Args(spec);
            var (ws, vs, losses) = Run(w0, v0, k, t, ps => new LbfgsReference(ps, a).Step);
            if (checkPort)
            {
                var (pw, pv, pl) = Run(w0, v0, k, t, ps =>
                {
                    var opt = torch.optim.LBFGS(ps, a.F("lr"), (long)a.F("max_iter"), (long)a.F("max_eval", Math.Floor(a.F("max_iter") * 5 / 4)),
                        a.F("tolerance_grad", 1e-7), a.F("tolerance_change", 1e-9), (long)a.F("history_size"));
                    return c => opt.step(c);
                });
                OptimizersMore.Agree(name, ws, pw);
                OptimizersMore.Agree(name, vs, pv);
                OptimizersMore.Agree(name + " loss", losses, pl);
            }

            var cs = new Case { name = name, op = "lbfgs", mode = spec, args = new() { ["checked_against_torchsharp"] = checkPort ? 1 : 0 } };
            cs.tensors["w0"] = Pack(w0);
            cs.tensors["v0"] = Pack(v0);
            cs.tensors["k"] = Pack(k);
            cs.tensors["t"] = Pack(t);
            cs.tensors["w_steps"] = Pack(ws);
            cs.tensors["v_steps"] = Pack(vs);
            cs.tensors["losses"] = Pack(losses);
            cases.Add(cs);
        }

        return cases;
    }

    public static Tensor Loss(Tensor w, Tensor v, Tensor k, Tensor t)
    {
        var head = w[..3];
        var tail = w[1..];
        return ((1 - head).square() + (5 * (tail - head.square()).square())).sum() + (k * (v - t).square()).sum();
    }

    private static (Tensor W, Tensor V, Tensor Losses) Run(Tensor w0, Tensor v0, Tensor k, Tensor t, Func<List<Parameter>, Func<Func<Tensor>, Tensor>> make)
    {
        var w = new Parameter(w0.clone());
        var v = new Parameter(v0.clone());
        var step = make([w, v]);
        var ws = new List<Tensor>();
        var vs = new List<Tensor>();
        var losses = new List<double>();
        Tensor Closure()
        {
            w.grad?.zero_();
            v.grad?.zero_();
            var loss = Loss(w, v, k, t);
            loss.backward();
            return loss;
        }

        for (int i = 0; i < Steps; i++)
        {
            losses.Add(step(Closure).item<double>());
            ws.Add(w.detach().clone());
            vs.Add(v.detach().clone());
        }

        return (torch.stack(ws), torch.stack(vs), torch.tensor(losses.ToArray()));
    }
}
