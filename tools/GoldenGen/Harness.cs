using TorchSharp;
using static TorchSharp.torch;
using static GoldenGen.Program;

namespace GoldenGen;

/// <summary>
/// Shared recipe of the module-level cases (conv, pool, norm, blocks): fixed parameters by PyTorch state-dict
/// name, one forward, the gradient of sum(out · g), and the buffers after the forward calls.
/// </summary>
/// <remarks>
/// Tensor keys: <c>input</c>, <c>upstream</c> (g), <c>output</c>, <c>grad_input</c> (float inputs only),
/// <c>p.NAME</c> / <c>g.NAME</c> (parameter value / its gradient), <c>b.NAME</c> / <c>s.NAME</c> (buffer before /
/// after all forward calls), and <c>input2</c> when a second forward call (without gradient) was made before
/// reading the buffers.
/// </remarks>
public static class Harness
{
    private static int seed = 1000;

    /// <summary>Restarts the seeds at <paramref name="start"/>, so a generator's values do not depend on which ran before it.</summary>
    public static void Reseed(int start) => seed = start;

    /// <summary>A fresh seed (the order of calls is fixed, so the values are deterministic).</summary>
    public static int NextSeed() => seed++;

    /// <summary>Standard-normal values times <paramref name="scale"/>, from a fresh seed.</summary>
    public static Tensor N(double scale, params long[] shape) => Randn(NextSeed(), shape) * scale;

    /// <summary>A leaf parameter: N(0, scale²) plus <paramref name="shift"/>, requiring grad.</summary>
    public static Tensor P(double scale, long[] shape, double shift = 0) => (N(scale, shape) + shift).detach().requires_grad_(true);

    /// <summary>Runs <paramref name="f"/> on <paramref name="x"/> and packs the case.</summary>
    public static Case Run(string name, string op, string mode, Dictionary<string, double> args, Tensor x,
        IEnumerable<(string Name, Tensor Value)> parameters, Func<Tensor, Tensor> f,
        IEnumerable<(string Name, Tensor Value)>? buffers = null, Tensor? x2 = null)
    {
        var ps = parameters.ToList();
        var bs = (buffers ?? []).ToList();
        var c = new Case { name = name, op = op, mode = mode, args = args };
        c.tensors["input"] = Pack(x);
        foreach (var (n, v) in ps)
        {
            c.tensors["p." + n] = Pack(v);
        }

        foreach (var (n, v) in bs)
        {
            c.tensors["b." + n] = Pack(v);
        }

        bool isFloat = x.dtype == float64;
        var xi = isFloat ? x.clone().requires_grad_(true) : x;
        var y = f(xi);
        var g = Randn(NextSeed(), y.shape);
        c.tensors["output"] = Pack(y);
        c.tensors["upstream"] = Pack(g);
        (y * g).sum().backward();
        if (isFloat)
        {
            c.tensors["grad_input"] = Pack(xi.grad!);
        }

        foreach (var (n, v) in ps)
        {
            c.tensors["g." + n] = Pack(v.grad ?? torch.zeros_like(v));
        }

        if (x2 is not null)
        {
            using (torch.no_grad())
            {
                f(x2);
            }

            c.tensors["input2"] = Pack(x2);
        }

        foreach (var (n, v) in bs)
        {
            c.tensors["s." + n] = Pack(v);
        }

        return c;
    }

    /// <summary>Argument dictionary from name/value pairs.</summary>
    public static Dictionary<string, double> A(params (string Key, double Value)[] kv) => kv.ToDictionary(p => p.Key, p => p.Value);
}
