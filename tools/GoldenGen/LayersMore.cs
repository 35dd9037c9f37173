using TorchSharp;
using static TorchSharp.torch;
using static GoldenGen.Program;
using TF = TorchSharp.torch.nn.functional;

namespace GoldenGen;

/// <summary>
/// The activations and layers of issue 16 item 3 (layers_more.json): forward, input gradients and parameter
/// gradients of sum(out · g), at the breakpoints and at large |x| as well as at random points. Keys as in
/// <see cref="Harness"/>; two-input layers add <c>other</c> and <c>grad_other</c>.
/// </summary>
public static class LayersMore
{
    private static int seed = 5000;

    // Breakpoints of every activation below (±3, 0, the Hardtanh and Threshold bounds, Softplus's βx = threshold
    // at 0.75·2 and 10·0.5) and large magnitudes (Softplus, SiLU, Mish, LogSigmoid), then random points.
    private static readonly double[] Specials =
        [-100, -50, -30, -20, -5, -3, -2.5, -1, -0.75, -0.5, -1e-3, 0, 1e-3, 0.1, 0.5, 0.75, 1, 1.5, 2, 2.5, 3, 5, 10, 20, 25, 30, 50, 100];

    private static Tensor R(params long[] shape) => Randn(seed++, shape);

    private static Tensor ActivationInput() => torch.cat([torch.tensor(Specials, float64), R(36) * 3]).reshape(8, 8);

    public static List<Case> All()
    {
        var cases = new List<Case>();
        using var scope = torch.NewDisposeScope();
        var x = ActivationInput();
        void Act(string name, string op, Dictionary<string, double> args, Func<Tensor, Tensor> f) =>
            cases.Add(Harness1(name, op, args, x, [], f));

        // TorchSharp 0.107's hardtanh (functional and module) returns its input unchanged, so hardtanh(x, lo, hi) is
        // written as lo + (hi − lo)/6·relu6(6(x − lo)/(hi − lo)): libtorch's relu6 is hardtanh(·, 0, 6), so values and
        // the gradient convention at the bounds (hardtanh_backward's) are libtorch's.
        Act("hardtanh", "hardtanh", [], t => Hardtanh(t, -1, 1));
        Act("hardtanh_-0.5_2", "hardtanh", A(("min_val", -0.5), ("max_val", 2)), t => Hardtanh(t, -0.5, 2));
        Act("hardswish", "hardswish", [], t => TF.hardswish(t));
        Act("hardsigmoid", "hardsigmoid", [], t => TF.hardsigmoid(t));
        Act("silu", "silu", [], t => TF.silu(t));
        Act("mish", "mish", [], t => TF.mish(t));
        Act("selu", "selu", [], t => TF.selu(t));
        Act("celu", "celu", [], t => TF.celu(t, 1.0));
        Act("celu_0.5", "celu", A(("alpha", 0.5)), t => TF.celu(t, 0.5));
        Act("celu_2", "celu", A(("alpha", 2)), t => TF.celu(t, 2));
        Act("softplus", "softplus", [], t => TF.softplus(t));
        Act("softplus_2_1.5", "softplus", A(("beta", 2), ("threshold", 1.5)), t => TF.softplus(t, 2, 1.5));
        Act("softplus_0.5_5", "softplus", A(("beta", 0.5), ("threshold", 5)), t => TF.softplus(t, 0.5, 5));
        Act("softsign", "softsign", [], t => TF.softsign(t));
        Act("logsigmoid", "logsigmoid", [], t => TF.logsigmoid(t));
        Act("threshold_0.1_20", "threshold", A(("threshold", 0.1), ("value", 20)), t => TF.threshold(t, 0.1, 20));
        Act("threshold_-0.5_-1.5", "threshold", A(("threshold", -0.5), ("value", -1.5)), t => TF.threshold(t, -0.5, -1.5));

        var w1 = (R(1) * 0.3).requires_grad_(true);
        cases.Add(Harness1("prelu_1", "prelu", A(("num_parameters", 1)), x, [("weight", w1)], t => TF.prelu(t, w1)));
        var w3 = (R(3) * 0.3).requires_grad_(true);
        var x3 = torch.cat([torch.tensor(new double[] { 0, -1, 2, 0 }, float64), R(20)]).reshape(2, 3, 4);
        cases.Add(Harness1("prelu_3", "prelu", A(("num_parameters", 3)), x3, [("weight", w3)], t => TF.prelu(t, w3)));

        cases.AddRange(Normalization());
        cases.AddRange(Reshaping());
        cases.AddRange(TwoInputs());
        return cases;
    }

    private static IEnumerable<Case> Normalization()
    {
        foreach (var (tag, shape) in new[] { ("1d", new long[] { 2, 3, 5 }), ("2d", new long[] { 2, 3, 4, 5 }) })
        {
            var xin = R(shape) * 2 + 0.5;
            yield return Harness1($"instance_norm{tag}", $"instance_norm{tag}", A(("num_features", 3)), xin, [],
                t => TF.instance_norm(t));
            var w = (R(3) * 0.5 + 1).requires_grad_(true);
            var b = (R(3) * 0.5).requires_grad_(true);
            yield return Harness1($"instance_norm{tag}_affine_eps", $"instance_norm{tag}", A(("num_features", 3), ("eps", 1e-3), ("affine", 1)), xin,
                [("weight", w), ("bias", b)], t => TF.instance_norm(t, weight: w, bias: b, eps: 1e-3));

            // Tracked statistics: a training forward updates them (momentum 0.2); evaluation then uses them.
            var rm = R(3) * 0.3;
            var rv = R(3).abs() + 0.5;
            var c = Harness1($"instance_norm{tag}_track_train", $"instance_norm{tag}", A(("num_features", 3), ("momentum", 0.2), ("track_running_stats", 1)), xin, [],
                t => TF.instance_norm(t, rm, rv, use_input_stats: true, momentum: 0.2), before: [("running_mean", rm.clone()), ("running_var", rv.clone())]);
            c.tensors["s.running_mean"] = Pack(rm);
            c.tensors["s.running_var"] = Pack(rv);
            yield return c;
            var e = Harness1($"instance_norm{tag}_track_eval", $"instance_norm{tag}", A(("num_features", 3), ("track_running_stats", 1), ("affine", 1)), xin,
                [("weight", w), ("bias", b)], t => TF.instance_norm(t, rm, rv, w, b, use_input_stats: false), before: [("running_mean", rm), ("running_var", rv)]);
            e.mode = "eval";
            yield return e;
        }

        var x3 = R(2, 7, 5) * 2;
        var x4 = R(2, 6, 3, 4) * 2;
        yield return Harness1("lrn_3d_size5", "lrn", A(("size", 5)), x3, [], t => TF.local_response_norm(t, 5));
        yield return Harness1("lrn_3d_size2_big", "lrn", A(("size", 2), ("alpha", 0.5), ("beta", 0.6), ("k", 2)), x3, [],
            t => TF.local_response_norm(t, 2, 0.5, 0.6, 2));
        yield return Harness1("lrn_4d_size3_big", "lrn", A(("size", 3), ("alpha", 0.3), ("beta", 0.75), ("k", 1)), x4, [],
            t => TF.local_response_norm(t, 3, 0.3, 0.75, 1));
        yield return Harness1("lrn_4d_size5_alexnet", "lrn", A(("size", 5), ("alpha", 1e-4), ("beta", 0.75), ("k", 2)), x4 * 10, [],
            t => TF.local_response_norm(t, 5, 1e-4, 0.75, 2));
    }

    private static IEnumerable<Case> Reshaping()
    {
        yield return Harness1("pixel_shuffle_2", "pixel_shuffle", A(("upscale_factor", 2)), R(2, 8, 3, 3), [], t => TF.pixel_shuffle(t, 2));
        yield return Harness1("pixel_shuffle_3_5d", "pixel_shuffle", A(("upscale_factor", 3)), R(2, 1, 9, 2, 2), [], t => TF.pixel_shuffle(t, 3));
        yield return Harness1("pixel_unshuffle_2", "pixel_unshuffle", A(("downscale_factor", 2)), R(2, 2, 4, 6), [], t => TF.pixel_unshuffle(t, 2));
        yield return Harness1("pixel_unshuffle_3", "pixel_unshuffle", A(("downscale_factor", 3)), R(1, 3, 6, 3), [], t => TF.pixel_unshuffle(t, 3));
    }

    private static IEnumerable<Case> TwoInputs()
    {
        foreach (bool bias in new[] { true, false })
        {
            var w = (R(5, 3, 4) * 0.5).requires_grad_(true);
            var b = bias ? (R(5) * 0.5).requires_grad_(true) : null;
            var ps = bias ? new[] { ("weight", w), ("bias", b!) } : [("weight", w)];
            yield return Harness2($"bilinear_{(bias ? "bias" : "nobias")}", "bilinear", A(("in1_features", 3), ("in2_features", 4), ("out_features", 5), ("bias", bias ? 1 : 0)),
                R(6, 3), R(6, 4), ps, (p, q) => TF.bilinear(p, q, w, b));
        }

        var w3 = (R(2, 3, 4) * 0.5).requires_grad_(true);
        yield return Harness2("bilinear_3d", "bilinear", A(("in1_features", 3), ("in2_features", 4), ("out_features", 2), ("bias", 0)),
            R(2, 3, 3), R(2, 3, 4), [("weight", w3)], (p, q) => TF.bilinear(p, q, w3));

        var a = R(4, 5);
        var z = R(4, 5);
        yield return Harness2("cosine_dim1", "cosine_similarity", A(("dim", 1)), a, z, [], (p, q) => TF.cosine_similarity(p, q, 1));
        yield return Harness2("cosine_dim0_eps", "cosine_similarity", A(("dim", 0), ("eps", 0.5)), a * 0.1, z, [], (p, q) => TF.cosine_similarity(p, q, 0, 0.5));
        yield return Harness2("cosine_3d_broadcast", "cosine_similarity", A(("dim", -1)), R(2, 3, 4), R(3, 4), [], (p, q) => TF.cosine_similarity(p, q, -1));
        var withZero = R(3, 4);
        withZero[1] = torch.zeros(4, float64);
        yield return Harness2("cosine_zero_row", "cosine_similarity", A(("dim", 1)), withZero, R(3, 4), [], (p, q) => TF.cosine_similarity(p, q, 1));
    }

    private static Tensor Hardtanh(Tensor x, double lo, double hi) => TF.relu6((x - lo) * (6 / (hi - lo))) * ((hi - lo) / 6) + lo;

    private static Dictionary<string, double> A(params (string Key, double Value)[] kv) => Harness.A(kv);

    // One input: forward, gradient of sum(out · g) for the input and the parameters, and buffers before (b.) given.
    private static Case Harness1(string name, string op, Dictionary<string, double> args, Tensor x, (string Name, Tensor Value)[] ps,
        Func<Tensor, Tensor> f, (string Name, Tensor Value)[]? before = null)
    {
        var c = new Case { name = name, op = op, args = args };
        foreach (var (n, v) in before ?? [])
        {
            c.tensors["b." + n] = Pack(v);
        }

        foreach (var (n, v) in ps)
        {
            c.tensors["p." + n] = Pack(v);
        }

        c.tensors["input"] = Pack(x);
        var xi = x.clone().requires_grad_(true);
        var y = f(xi);
        var g = R(y.shape);
        (y * g).sum().backward();
        c.tensors["output"] = Pack(y);
        c.tensors["upstream"] = Pack(g);
        c.tensors["grad_input"] = Pack(xi.grad!);
        foreach (var (n, v) in ps)
        {
            c.tensors["g." + n] = Pack(v.grad!);
            v.grad!.zero_();
        }

        return c;
    }

    private static Case Harness2(string name, string op, Dictionary<string, double> args, Tensor x, Tensor other, (string Name, Tensor Value)[] ps,
        Func<Tensor, Tensor, Tensor> f)
    {
        var c = Harness1(name, op, args, x, ps, t => f(t, other));
        var oi = other.clone().requires_grad_(true);
        var xi = x.clone().requires_grad_(true);
        var y = f(xi, oi);
        (y * Unpack(c.tensors["upstream"])).sum().backward();
        c.tensors["other"] = Pack(other);
        c.tensors["grad_other"] = Pack(oi.grad!);
        foreach (var (_, v) in ps)
        {
            v.grad!.zero_();
        }

        return c;
    }

    private static Tensor Unpack(TensorJson t) => torch.tensor(t.data, float64).reshape(t.shape);
}
