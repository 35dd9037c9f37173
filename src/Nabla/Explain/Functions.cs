using Nabla.NN;
using K = Nabla.Explain.ArgKind;
using Nabla.Formats;

namespace Nabla.Explain;

/// <summary>
/// The functions an equation may call, each a Nabla op or a composite of ops (so gradients and the trace come from the
/// engine). Every function has one signature in <see cref="Table"/> with PyTorch's parameter names; <see cref="Binder"/>
/// binds a call's positional and named arguments to it, so an argument is either used as PyTorch uses it or refused.
/// </summary>
internal static class Functions
{
    private static readonly string[] Reductions = ["mean", "sum", "none"];
    private static readonly string[] ConvPadding = ["valid", "same"];
    private static readonly string[] PadModes = ["constant"];

    /// <summary>The functions by name, in the order the documentation lists them.</summary>
    public static readonly IReadOnlyDictionary<string, Signature> Table = Build().ToDictionary(s => s.Name, StringComparer.Ordinal);

    /// <summary>The names of all functions.</summary>
    public static readonly string[] Names = [.. Table.Keys];

    /// <summary>Evaluates a call: binds its arguments to the function's signature, then runs the body inside a trace group.</summary>
    public static Tensor Call(CallExpr c, IArgSource src)
    {
        if (!Table.TryGetValue(c.Name, out var sig))
        {
            throw new ExprException($"unknown function '{c.Name}'{DidYouMean.Suggest(c.Name, Names)} (functions: {string.Join(", ", Names)})", c.Pos);
        }

        using var group = Trace.Group(c.Name);
        return sig.Body(Binder.Bind(sig, c, src));
    }

    private static Param In => new("input", K.Tensor, Required: true);

    private static Param Req(string name, ArgKind kind) => new(name, kind, Required: true);

    private static Param Opt(string name, ArgKind kind, object? dflt, params string[] choices) =>
        new(name, kind, dflt, Choices: choices.Length > 0 ? choices : null);

    private static Signature Unary(string name, Func<Tensor, Tensor> f, string doc) => new(name, [In], a => f(a.Tensor("input")), doc);

    private static IEnumerable<Signature> Build()
    {
        yield return Unary("exp", x => x.Exp(), "eˣ, element-wise");
        yield return Unary("log", x => x.Log(), "natural logarithm, element-wise");
        yield return Unary("tanh", x => x.Tanh(), "tanh, element-wise");
        yield return Unary("sigmoid", x => x.Sigmoid(), "1/(1 + e⁻ˣ), element-wise");
        yield return Unary("relu", x => x.Relu(), "max(x, 0), element-wise");
        yield return Unary("sqrt", x => x.Sqrt(), "√x, element-wise");
        yield return Unary("abs", x => x.Abs(), "|x|, element-wise");
        yield return Unary("step", x => x.Detach().Ge(0.0).To(DType.Float64), "1 where x ≥ 0, else 0 (no gradient)");
        Param[] reduce = [In, Opt("dim", K.Dims, null), Opt("keepdim", K.Bool, false)];
        yield return new("sum", reduce, a => Reduce(a, (x, d, k) => x.Sum(d, k)), "sum over dim (an int or a list; all when None)");
        yield return new("mean", reduce, a => Reduce(a, (x, d, k) => x.Mean(d, k)), "mean over dim (an int or a list; all when None)");
        yield return new("var", [In, Opt("dim", K.Dims, null), Opt("unbiased", K.Bool, true), Opt("keepdim", K.Bool, false),
            new("correction", K.Number, 1.0, KeywordOnly: true)], Var,
            "Σ(x − x̄)² / (n − correction) over dim; correction 1 (unbiased, PyTorch's default) unless unbiased=False or correction= says otherwise");
        Param[] extreme = [In, Opt("dim", K.Dim, null), Opt("keepdim", K.Bool, false)];
        yield return new("max", extreme, a => Extreme(a, (x, d, k) => x.Max(d, k).Values, x => x.Max()),
            "largest element, or the values of the maxima along dim (torch.max(x, dim).values)");
        yield return new("min", extreme, a => Extreme(a, (x, d, k) => x.Min(d, k).Values, x => x.Min()),
            "smallest element, or the values of the minima along dim (torch.min(x, dim).values)");
        yield return new("prod", extreme, a => Extreme(a, ProdAlong, x => ProdAlong(x.Reshape(-1), 0, false)),
            "product of all elements, or along dim (differentiable, also at zeros)");
        yield return new("softmax", [In, Opt("dim", K.Dim, -1)], a => a.Tensor("input").Softmax(CheckDim(a, "dim", a.Tensor("input"))),
            "exp(xᵢ)/Σⱼ exp(xⱼ) along dim (default −1, the last)");
        yield return new("matmul", [In, Req("other", K.Tensor)], a => a.Tensor("input").MatMul(a.Tensor("other")), "matrix product (the @ operator)");
        yield return new("dot", [In, Req("tensor", K.Tensor)], Dot, "Σ aᵢbᵢ of two 1-D tensors of the same length");
        yield return new("transpose", [In, Opt("dim0", K.Dim, -2), Opt("dim1", K.Dim, -1)], Transpose,
            "swaps dim0 and dim1 (default the last two; a 0-d or 1-d tensor is returned as it is)");
        yield return new("reshape", [In, new("shape", K.Ints, Required: true, Rest: true)], a => a.Tensor("input").Reshape(a.Ints("shape")!),
            "the same elements in a new shape, given as a list or as integers (one may be −1)");
        yield return new("flatten", [In, Opt("start_dim", K.Dim, 0), Opt("end_dim", K.Dim, -1)], Flatten, "merges dims start_dim..end_dim into one");
        foreach (int n in new[] { 1, 2 })
        {
            yield return new($"conv{n}d", [In, Req("weight", K.Tensor), Opt("bias", K.Tensor, null), Opt("stride", K.Int, 1),
                Opt("padding", K.IntOrStr, 0, ConvPadding), Opt("dilation", K.Int, 1), Opt("groups", K.Int, 1)], a => Conv(a, n),
                $"{n}-D cross-correlation, torch.nn.functional.conv{n}d; a {n}-D input and a {n}-D kernel give a {n}-D map");
        }

        yield return new("maxpool2d", [In, Req("kernel_size", K.Int), Opt("stride", K.Int, null), Opt("padding", K.Int, 0), Opt("dilation", K.Int, 1),
            Opt("ceil_mode", K.Bool, false)], MaxPool, "maximum over kernel_size² windows (stride defaults to kernel_size); a 2-D input works");
        yield return new("avgpool2d", [In, Req("kernel_size", K.Int), Opt("stride", K.Int, null), Opt("padding", K.Int, 0), Opt("ceil_mode", K.Bool, false),
            Opt("count_include_pad", K.Bool, true), Opt("divisor_override", K.Int, null)], AvgPool,
            "mean over kernel_size² windows (stride defaults to kernel_size); a 2-D input works");
        yield return new("pad", [In, new("pad", K.Ints, Required: true), Opt("mode", K.Str, "constant", PadModes), Opt("value", K.Number, 0.0)], Pad,
            "pads with value: an integer p pads the last two dims by p on each side; a list is torch's (left, right, top, bottom, ...)");
        yield return new("mse", [In, Req("target", K.Tensor), Opt("reduction", K.Str, "mean", Reductions)],
            a => F.MseLoss(a.Tensor("input"), a.Tensor("target"), ReductionOf(a)), "mean squared error, torch.nn.functional.mse_loss");
        yield return new("bce", [In, Req("target", K.Tensor), Opt("weight", K.Tensor, null), Opt("reduction", K.Str, "mean", Reductions)],
            a => F.BinaryCrossEntropy(a.Tensor("input"), a.Tensor("target"), a.OptTensor("weight"), ReductionOf(a)),
            "binary cross-entropy on probabilities, torch.nn.functional.binary_cross_entropy");
        yield return new("bce_sum", [In, Req("target", K.Tensor), Opt("weight", K.Tensor, null)],
            a => F.BinaryCrossEntropy(a.Tensor("input"), a.Tensor("target"), a.OptTensor("weight"), Reduction.Sum),
            "bce(input, target, weight, reduction='sum')");
        foreach (var sig in Linalg.Signatures())
        {
            yield return sig;
        }
    }

    // sum, mean: dim None reduces everything (keepdim then keeps every dim as size 1, as torch.sum(x, dim=None, keepdim=True)).
    private static Tensor Reduce(BoundArgs a, Func<Tensor, int[], bool, Tensor> f)
    {
        var x = a.Tensor("input");
        return f(x, Dims(a, x), a.Bool("keepdim"));
    }

    // torch.var: Σ(x − x̄)² / max(0, n − correction); unbiased=True is correction 1, unbiased=False correction 0.
    private static Tensor Var(BoundArgs a)
    {
        if (a.Given("unbiased") && a.Given("correction"))
        {
            throw a.Error("give unbiased or correction, not both", "correction");
        }

        var x = a.Tensor("input");
        var dims = Dims(a, x);
        double correction = a.Given("unbiased") ? (a.Bool("unbiased") ? 1 : 0) : a.Number("correction");
        bool keep = a.Bool("keepdim");
        long n = x.Rank == 0 ? 1 : dims.Aggregate(1L, (p, d) => p * x.Shape[d]);
        var centered = x - x.Mean(dims, keepDim: true);
        return (centered * centered).Sum(dims, keep) / Math.Max(0, n - correction);
    }

    // max, min, prod: one dim (torch takes no list here); without dim the whole tensor, keepdim keeping every dim as size 1.
    private static Tensor Extreme(BoundArgs a, Func<Tensor, int, bool, Tensor> alongDim, Func<Tensor, Tensor> all)
    {
        var x = a.Tensor("input");
        bool keep = a.Bool("keepdim");
        if (a.OptInt("dim") is null)
        {
            var y = all(x);
            return keep ? y.Reshape(Enumerable.Repeat(1, x.Rank).ToArray()) : y;
        }

        return alongDim(x, CheckDim(a, "dim", x), keep);
    }

    // The product along a dim by halving (x[:h]·x[h:2h], the odd last slice carried over): exact gradients through
    // Mul even where elements are 0, which exp(Σ log x) would not give.
    private static Tensor ProdAlong(Tensor x, int dim, bool keepDim)
    {
        int d = x.Rank == 0 ? 0 : x.Shape.NormalizeDim(dim);
        if (x.Rank == 0)
        {
            return x;
        }

        if (x.Shape[d] == 0)
        {
            var one = Tensor.Ones(x.Shape.With(d, 1), x.DType);
            return keepDim ? one : one.Squeeze(d);
        }

        while (x.Shape[d] > 1)
        {
            int size = x.Shape[d], h = size / 2;
            var p = x.Narrow(d, 0, h) * x.Narrow(d, h, h);
            x = size % 2 == 0 ? p : Tensor.Cat([p, x.Narrow(d, size - 1, 1)], d);
        }

        return keepDim ? x : x.Squeeze(d);
    }

    private static Tensor Dot(BoundArgs a)
    {
        var (x, y) = (a.Tensor("input"), a.Tensor("tensor"));
        if (x.Rank != 1 || y.Rank != 1 || x.Shape[0] != y.Shape[0])
        {
            throw a.Error($"needs two 1-D tensors of the same length, got shapes {x.Shape} and {y.Shape} (matmul or sum(a*b) for others)");
        }

        return x.Dot(y);
    }

    private static Tensor Transpose(BoundArgs a)
    {
        var x = a.Tensor("input");
        if (x.Rank < 2 && !a.Given("dim0") && !a.Given("dim1"))
        {
            return x;
        }

        return x.Transpose(CheckDim(a, "dim0", x), CheckDim(a, "dim1", x));
    }

    private static Tensor Flatten(BoundArgs a)
    {
        var x = a.Tensor("input");
        int s = CheckDim(a, "start_dim", x), e = CheckDim(a, "end_dim", x);
        if (x.Rank > 0 && x.Shape.NormalizeDim(s) > x.Shape.NormalizeDim(e))
        {
            throw a.Error($"start_dim {s} comes after end_dim {e} (shape {x.Shape})", "start_dim");
        }

        return x.Flatten(s, e);
    }

    // conv1d/conv2d, also on a single plane: an n-D image and an n-D kernel give an n-D map.
    private static Tensor Conv(BoundArgs a, int spatial)
    {
        var (x, w, b) = (a.Tensor("input"), a.Tensor("weight"), a.OptTensor("bias"));
        int stride = a.Int("stride"), dilation = a.Int("dilation"), groups = a.Int("groups");
        bool plane = x.Rank == spatial && w.Rank == spatial;
        if (plane)
        {
            x = x.Unsqueeze(0);
            w = w.Unsqueeze(0).Unsqueeze(0);
        }

        var y = a.Raw("padding") switch
        {
            string mode when spatial == 2 => F.Conv2d(x, w, b, mode, stride, dilation, groups),
            string mode => F.Conv1d(x, w, b, mode, stride, dilation, groups),
            var p when spatial == 2 => F.Conv2d(x, w, b, stride, (int)p!, dilation, groups),
            var p => F.Conv1d(x, w, b, stride, (int)p!, dilation, groups),
        };
        return plane ? y.Squeeze(0) : y;
    }

    private static Tensor MaxPool(BoundArgs a) => Pool(a, x =>
        F.MaxPool2d(x, a.Int("kernel_size"), a.OptInt("stride"), a.Int("padding"), a.Int("dilation"), a.Bool("ceil_mode")));

    private static Tensor AvgPool(BoundArgs a) => Pool(a, x =>
        F.AvgPool2d(x, a.Int("kernel_size"), a.OptInt("stride"), a.Int("padding"), a.Bool("ceil_mode"), a.Bool("count_include_pad"), a.OptInt("divisor_override")));

    // A 2-D (H, W) input is pooled as one plane (1, H, W) and returned as (H', W').
    private static Tensor Pool(BoundArgs a, Func<Tensor, Tensor> pool)
    {
        var x = a.Tensor("input");
        return x.Rank == 2 ? pool(x.Unsqueeze(0)).Squeeze(0) : pool(x);
    }

    private static Tensor Pad(BoundArgs a)
    {
        var x = a.Tensor("input");
        var pad = a.Ints("pad")!;
        double value = a.Number("value");
        if (pad.Length == 1 && Binder.ArgExpr(a.Call, Table["pad"], "pad") is not ListExpr)
        {
            // The language's short form: pad(x, p) pads the last two dims (one for a 1-D tensor) by p on each side.
            int p = pad[0];
            return x.Pad(Enumerable.Range(0, x.Rank).Select(d => d >= x.Rank - 2 ? (p, p) : (0, 0)).ToArray(), value);
        }

        if (pad.Length % 2 != 0 || pad.Length / 2 > x.Rank)
        {
            throw a.Error($"pad needs (before, after) pairs for at most {x.Rank} dims (shape {x.Shape}), got {pad.Length} values", "pad");
        }

        return x.Pad(pad, value);
    }

    private static Reduction ReductionOf(BoundArgs a) => a.Str("reduction") switch
    {
        "sum" => Reduction.Sum,
        "none" => Reduction.None,
        _ => Reduction.Mean,
    };

    // The dims to reduce over, each checked against the input's rank; None means all of them.
    private static int[] Dims(BoundArgs a, Tensor x)
    {
        if (a.Ints("dim") is not { } dims)
        {
            return [.. Enumerable.Range(0, x.Rank)];
        }

        var seen = new HashSet<int>();
        foreach (int d in dims)
        {
            if (!seen.Add(Normalize(a, "dim", d, x)))
            {
                throw a.Error($"dim {d} appears more than once in [{string.Join(", ", dims)}]", "dim");
            }
        }

        return x.Rank == 0 ? [] : [.. seen];
    }

    private static int CheckDim(BoundArgs a, string name, Tensor x)
    {
        int d = a.Int(name);
        Normalize(a, name, d, x);
        return d;
    }

    private static int Normalize(BoundArgs a, string name, int d, Tensor x)
    {
        int r = Math.Max(x.Rank, 1);
        return d >= -r && d < r ? (d + r) % r
            : throw a.Error($"{name} {d} is out of range for a tensor of shape {x.Shape} (dims {-r}..{r - 1})", name);
    }
}
