using TorchSharp;
using static TorchSharp.torch;
using static GoldenGen.Program;
using TF = TorchSharp.torch.nn.functional;

namespace GoldenGen;

/// <summary>Linear and activations: forward, input gradient and parameter gradients of sum(out * g).</summary>
public static class Layers
{
    public static List<Case> All()
    {
        var cases = new List<Case>();
        using var scope = torch.NewDisposeScope();
        var w = Randn(21, 5, 3) * 0.5;
        var b = Randn(22, 5) * 0.5;
        foreach (var (tag, x) in new[] { ("1d", Randn(29, 3)), ("2d", Randn(23, 4, 3)), ("3d", Randn(24, 2, 4, 3)) })
        {
            foreach (bool bias in new[] { true, false })
            {
                using var s = torch.NewDisposeScope();
                var xi = x.clone().requires_grad_(true);
                var wi = w.clone().requires_grad_(true);
                var bi = bias ? b.clone().requires_grad_(true) : null;
                var y = TF.linear(xi, wi, bi);
                var g = Randn(25, y.shape);
                (y * g).sum().backward();
                var c = new Case { name = $"linear_{(bias ? "bias" : "nobias")}_{tag}", op = "linear", args = new() { ["bias"] = bias ? 1 : 0 } };
                c.tensors["input"] = Pack(x);
                c.tensors["weight"] = Pack(w);
                c.tensors["upstream"] = Pack(g);
                c.tensors["output"] = Pack(y);
                c.tensors["grad_input"] = Pack(xi.grad!);
                c.tensors["grad_weight"] = Pack(wi.grad!);
                if (bias)
                {
                    c.tensors["bias"] = Pack(b);
                    c.tensors["grad_bias"] = Pack(bi!.grad!);
                }

                cases.Add(c);
            }
        }

        // Activations on (4, 5) with one exact zero (subgradient conventions at 0); softmax over dim 1 of (2, 3, 4).
        var a = Randn(26, 4, 5) * 2;
        a[1, 1] = 0.0;
        var a3 = Randn(27, 2, 3, 4) * 2;
        var acts = new (string Name, string Mode, Dictionary<string, double> Args, Tensor X, Func<Tensor, Tensor> F)[]
        {
            ("relu", "", [], a, t => TF.relu(t)),
            ("leaky_relu", "", new() { ["negative_slope"] = 0.2 }, a, t => TF.leaky_relu(t, 0.2)),
            ("elu", "", new() { ["alpha"] = 1.0 }, a, t => TF.elu(t, 1.0)),
            ("elu_alpha0.5", "", new() { ["alpha"] = 0.5 }, a, t => TF.elu(t, 0.5)),
            ("gelu", "none", [], a, t => TF.gelu(t)),
            ("gelu_tanh", "tanh", [], a, t => TF.gelu(t, TorchSharp.Modules.GELU.Approximate.tanh)),
            ("tanh", "", [], a, t => TF.tanh(t)),
            ("sigmoid", "", [], a, t => TF.sigmoid(t)),
            ("softmax", "", new() { ["dim"] = 1 }, a3, t => TF.softmax(t, 1)),
            ("log_softmax", "", new() { ["dim"] = 1 }, a3, t => TF.log_softmax(t, 1)),
        };
        foreach (var (name, mode, args, x, f) in acts)
        {
            using var s = torch.NewDisposeScope();
            var xi = x.clone().requires_grad_(true);
            var y = f(xi);
            var g = Randn(28, y.shape);
            (y * g).sum().backward();
            var c = new Case { name = name, op = name.StartsWith("elu") ? "elu" : name.StartsWith("gelu") ? "gelu" : name, mode = mode, args = args };
            c.tensors["input"] = Pack(x);
            c.tensors["upstream"] = Pack(g);
            c.tensors["output"] = Pack(y);
            c.tensors["grad_input"] = Pack(xi.grad!);
            cases.Add(c);
        }

        return cases;
    }
}
