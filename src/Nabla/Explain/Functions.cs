using Nabla.NN;

namespace Nabla.Explain;

/// <summary>
/// The functions an equation may call, each a Nabla op or a composite of ops (so gradients and the trace come
/// from the engine): element-wise exp, log, tanh, sigmoid, relu, sqrt, abs, step; reductions sum, mean, var
/// (biased, 1/m), max, min, prod; softmax; matmul, dot, transpose, reshape, flatten; conv1d, conv2d (cross-correlation),
/// maxpool2d, avgpool2d, pad (zeros); losses mse, bce, bce_sum.
/// </summary>
internal static class Functions
{
    public static readonly string[] Names = ["exp", "log", "tanh", "sigmoid", "relu", "sqrt", "abs", "step", "sum", "mean", "var", "max", "min",
        "prod", "softmax", "matmul", "dot", "transpose", "reshape", "flatten", "conv1d", "conv2d", "maxpool2d", "avgpool2d", "pad",
        "mse", "bce", "bce_sum"];

    public static Tensor Call(CallExpr c, Func<Expr, Tensor> eval, Func<Expr, double> num)
    {
        Tensor Arg(int i) => i < c.Args.Count ? eval(c.Args[i]) : throw new ExprException($"{c.Name} needs at least {i + 1} argument(s)", c.Pos);
        int Opt(string name, int position, int dflt) =>
            c.Named.TryGetValue(name, out var e) ? (int)num(e) : position < c.Args.Count ? (int)num(c.Args[position]) : dflt;
        Tensor One(Func<Tensor, Tensor> f)
        {
            if (c.Args.Count != 1)
            {
                throw new ExprException($"{c.Name} takes one argument, got {c.Args.Count}", c.Pos);
            }

            return f(Arg(0));
        }

        using var group = Trace.Group(c.Name);
        switch (c.Name)
        {
            case "exp": return One(x => x.Exp());
            case "log": return One(x => x.Log());
            case "tanh": return One(x => x.Tanh());
            case "sigmoid": return One(x => x.Sigmoid());
            case "relu": return One(x => x.Relu());
            case "sqrt": return One(x => x.Sqrt());
            case "abs": return One(x => x.Abs());
            case "step": return One(x => x.Detach().Ge(0.0).To(DType.Float64));
            case "sum": return c.Args.Count > 1 ? Arg(0).Sum((int)num(c.Args[1])) : Arg(0).Sum();
            case "mean": return c.Args.Count > 1 ? Arg(0).Mean((int)num(c.Args[1])) : Arg(0).Mean();
            case "var":
                {
                    var x = Arg(0);
                    var d = x - x.Mean();
                    return (d * d).Mean();
                }

            case "max": return Arg(0).Max();
            case "min": return Arg(0).Min();
            case "prod": return Tensor.Scalar(Arg(0).ToDoubleArray().Aggregate(1.0, (a, b) => a * b));
            case "softmax": return Arg(0).Softmax(Opt("dim", 1, -1));
            case "matmul": return Arg(0).MatMul(Arg(1));
            case "dot": return (Arg(0) * Arg(1)).Sum();
            case "transpose": return One(x => x.Rank == 1 ? x : x.Transpose(-2, -1));
            case "flatten": return One(x => x.Reshape(-1));
            case "reshape":
                {
                    var dims = c.Args.Skip(1).Select(a => a is ListExpr l ? l.Items.Select(i => (int)num(i)) : [(int)num(a)]).SelectMany(d => d).ToArray();
                    return Arg(0).Reshape(dims);
                }

            case "conv2d": return Conv(Arg(0), Arg(1), c.Args.Count > 2 ? Arg(2) : null, Opt("stride", 3, 1), Opt("padding", 4, 0), 2);
            case "conv1d": return Conv(Arg(0), Arg(1), c.Args.Count > 2 ? Arg(2) : null, Opt("stride", 3, 1), Opt("padding", 4, 0), 1);
            case "maxpool2d":
            case "avgpool2d":
                {
                    var x = Arg(0);
                    int k = Opt("kernel", 1, 2), s = Opt("stride", 2, k), p = Opt("padding", 3, 0);
                    var x4 = Lift(x, 2, out int added);
                    var y = c.Name == "maxpool2d" ? F.MaxPool2d(x4, k, s, p) : F.AvgPool2d(x4, k, s, p);
                    return Drop(y, added);
                }

            case "pad":
                {
                    var x = Arg(0);
                    int p = Opt("padding", 1, 1);
                    double value = c.Named.TryGetValue("value", out var ve) ? num(ve) : 0;
                    var pads = Enumerable.Range(0, x.Rank).Select(d => d >= x.Rank - 2 ? (p, p) : (0, 0)).ToArray();
                    return x.Pad(pads, value);
                }

            case "mse": return F.MseLoss(Arg(0), Arg(1));
            case "bce": return F.BinaryCrossEntropy(Arg(0), Arg(1));
            case "bce_sum": return F.BinaryCrossEntropy(Arg(0), Arg(1), reduction: Reduction.Sum);
            default:
                throw new ExprException($"unknown function '{c.Name}'{Serialization.ModelFileReader.Suggest(c.Name, Names)} (functions: {string.Join(", ", Names)})", c.Pos);
        }
    }

    /// <summary>conv with a single-plane image and a single kernel allowed: (H, W) * (kH, kW) → (H', W').</summary>
    private static Tensor Conv(Tensor x, Tensor w, Tensor? b, int stride, int padding, int spatial)
    {
        if (x.Rank == spatial && w.Rank == spatial)
        {
            var x1 = x.Unsqueeze(0);
            var w1 = w.Unsqueeze(0).Unsqueeze(0);
            var y1 = spatial == 2 ? F.Conv2d(x1, w1, b, stride, padding) : F.Conv1d(x1, w1, b, stride, padding);
            return y1.Squeeze(0);
        }

        return spatial == 2 ? F.Conv2d(x, w, b, stride, padding) : F.Conv1d(x, w, b, stride, padding);
    }

    private static Tensor Lift(Tensor x, int spatial, out int added)
    {
        added = 0;
        while (x.Rank < spatial + 1)
        {
            x = x.Unsqueeze(0);
            added++;
        }

        return x;
    }

    private static Tensor Drop(Tensor y, int added)
    {
        for (int i = 0; i < added; i++)
        {
            y = y.Squeeze(0);
        }

        return y;
    }
}
