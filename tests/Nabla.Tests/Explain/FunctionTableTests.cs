using System.Globalization;
using System.Text;
using Nabla.Explain;
using Nabla.NN;

namespace Nabla.Tests.Explain;

/// <summary>
/// Every function of the exercise language, run through the real pipeline (an exercise parsed from YAML text, its
/// equations evaluated by <see cref="Evaluator"/>), against the tensor API called directly: random shapes, every axis
/// (negative ones too), keepdim both ways, positional and named forms. The cases are a table keyed by function name;
/// a second test fails when the language has a function without an entry here.
/// </summary>
public class FunctionTableTests
{
    private static readonly Dictionary<string, Func<Random, Inputs>> Table = new(StringComparer.Ordinal)
    {
        ["exp"] = r => Elementwise(r, "exp", x => x.Exp()),
        ["log"] = r => Elementwise(r, "log", x => x.Log(), positive: true),
        ["tanh"] = r => Elementwise(r, "tanh", x => x.Tanh()),
        ["sigmoid"] = r => Elementwise(r, "sigmoid", x => x.Sigmoid()),
        ["relu"] = r => Elementwise(r, "relu", x => x.Relu()),
        ["sqrt"] = r => Elementwise(r, "sqrt", x => x.Sqrt(), positive: true),
        ["abs"] = r => Elementwise(r, "abs", x => x.Abs()),

        // step(x) = 1 where x ≥ 0: computed here element by element, not by the engine.
        ["step"] = r => Elementwise(r, "step", x => Tensor.FromArray(x.ToDoubleArray().Select(v => v >= 0 ? 1.0 : 0.0).ToArray(), x.Shape)),
        ["sum"] = r => Reductions(r, "sum", (x, d, k) => x.Sum(d, k), lists: true),
        ["mean"] = r => Reductions(r, "mean", (x, d, k) => x.Mean(d, k), lists: true),
        ["var"] = Var,
        ["max"] = r => Reductions(r, "max", (x, d, k) => d.Length == 1 ? x.Max(d[0], k).Values : Whole(x, x.Max(), k), lists: false),
        ["min"] = r => Reductions(r, "min", (x, d, k) => d.Length == 1 ? x.Min(d[0], k).Values : Whole(x, x.Min(), k), lists: false),
        ["prod"] = r => Reductions(r, "prod", Prod, lists: false),
        ["softmax"] = Softmax,
        ["matmul"] = MatMul,
        ["dot"] = Dot,
        ["transpose"] = Transpose,
        ["reshape"] = Reshape,
        ["flatten"] = Flatten,
        ["conv1d"] = r => Conv(r, 1),
        ["conv2d"] = r => Conv(r, 2),
        ["maxpool2d"] = r => Pool(r, "maxpool2d"),
        ["avgpool2d"] = r => Pool(r, "avgpool2d"),
        ["pad"] = Pad,
        ["mse"] = r => Loss(r, "mse"),
        ["bce"] = r => Loss(r, "bce"),
        ["bce_sum"] = r => Loss(r, "bce_sum"),
        ["det"] = r => Square(r, "det"),
        ["inv"] = r => Square(r, "inv"),
        ["solve"] = r => Square(r, "solve"),
        ["norm"] = Norm,
        ["eigvals"] = r => Eigen(r, "eigvals"),
        ["eigvecs"] = r => Eigen(r, "eigvecs"),
        ["shape"] = r => Elementwise(r, "shape", x => Tensor.FromArray([.. x.Shape.ToArray().Select(d => (double)d)])),
        ["numel"] = r => Elementwise(r, "numel", x => Tensor.Scalar(x.Numel)),
        ["permute"] = Permute,
    };

    public static TheoryData<string> Names() => [.. Table.Keys];

    [Fact]
    public void Every_function_of_the_language_has_an_entry_in_the_table()
    {
        Assert.Empty(Functions.Names.Except(Table.Keys));
        Assert.Empty(Table.Keys.Except(Functions.Names));
    }

    [Fact]
    public void Docs_give_every_signature_as_the_binder_uses_it()
    {
        var doc = File.ReadAllText(Path.Combine(ExerciseExamplesTests.Root, "docs/explain.md"));
        Assert.All(Functions.Table.Values, sig => Assert.Contains($"`{sig.Show()}`", doc, StringComparison.Ordinal));
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void Function_agrees_with_the_tensor_api(string name)
    {
        var inputs = Table[name](new Random(name.Aggregate(17, (h, c) => (h * 31) + c)));
        Assert.NotEmpty(inputs.Cases);
        var values = Evaluate(inputs.Given, inputs.Cases.Select(c => c.Expr));
        for (int i = 0; i < inputs.Cases.Count; i++)
        {
            var (expr, expected) = (inputs.Cases[i].Expr, inputs.Cases[i].Expected());
            var actual = values[i];
            Assert.True(expected.Shape == actual.Shape, $"{expr}: shape {actual.Shape}, the tensor API gives {expected.Shape}");
            var (e, a) = (expected.ToDoubleArray(), actual.ToDoubleArray());
            for (int j = 0; j < e.Length; j++)
            {
                Assert.True(Math.Abs(e[j] - a[j]) <= 1e-12 * Math.Max(1, Math.Abs(e[j])), $"{expr}: element {j} is {a[j]}, the tensor API gives {e[j]}");
            }
        }
    }

    /// <summary>Runs the equations <c>q0 = …, q1 = …</c> on the given tensors through Exercise.Parse and Evaluator.</summary>
    internal static List<Tensor> Evaluate(IReadOnlyDictionary<string, Tensor> given, IEnumerable<string> exprs)
    {
        var yaml = new StringBuilder("given:\n");
        foreach (var (k, v) in given)
        {
            yaml.Append(CultureInfo.InvariantCulture, $"  {k}: {Yaml(v)}\n");
        }

        var list = exprs.ToList();
        yaml.Append("equations:\n");
        for (int i = 0; i < list.Count; i++)
        {
            yaml.Append(CultureInfo.InvariantCulture, $"  - \"q{i} = {list[i]}\"\n");
        }

        var ev = new Evaluator(Exercise.Parse(yaml.ToString()), new Dictionary<string, Tensor>()).Run();
        return [.. list.Select((_, i) => ev.ByName[$"q{i}"].Value.Detach())];
    }

    internal static string Yaml(Tensor t)
    {
        var data = t.ToDoubleArray();
        int at = 0;
        string Level(int d)
        {
            if (d == t.Rank)
            {
                return data[at++].ToString("R", CultureInfo.InvariantCulture);
            }

            return "[" + string.Join(", ", Enumerable.Range(0, t.Shape[d]).Select(_ => Level(d + 1))) + "]";
        }

        return Level(0);
    }

    private sealed record Case(string Expr, Func<Tensor> Expected);

    private sealed record Inputs(Dictionary<string, Tensor> Given, List<Case> Cases);

    private static Tensor Rand(Random r, Shape shape, double lo = -2, double hi = 2) =>
        Tensor.FromArray([.. Enumerable.Range(0, (int)shape.Numel).Select(_ => Math.Round(lo + ((hi - lo) * r.NextDouble()), 3))], shape);

    // Random shapes of rank 1 to 3 (sizes minSize to 4), and one 0-d tensor when sizes of 1 are allowed.
    private static List<Shape> Shapes(Random r, int minSize = 1) =>
        [.. minSize == 1 ? [new Shape()] : Array.Empty<Shape>(), .. Enumerable.Range(1, 3).Select(rank => new Shape([.. Enumerable.Range(0, rank).Select(_ => r.Next(minSize, 5))]))];

    private static string B(bool b) => b ? "True" : "False";

    private static Tensor Whole(Tensor x, Tensor all, bool keep) => keep ? all.Reshape(Enumerable.Repeat(1, x.Rank).ToArray()) : all;

    private static Inputs Elementwise(Random r, string f, Func<Tensor, Tensor> api, bool positive = false)
    {
        var given = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        var cases = new List<Case>();
        foreach (var (s, i) in Shapes(r).Select((s, i) => (s, i)))
        {
            var x = Rand(r, s, positive ? 0.1 : -2, 2);
            given[$"x{i}"] = x;
            cases.Add(new($"{f}(x{i})", () => api(x)));
            cases.Add(new($"{f}(input=x{i})", () => api(x)));
        }

        return new(given, cases);
    }

    // Every dim of every shape (as d and as d − rank), keepdim both ways, positional / named / mixed; no dim; dim lists.
    private static Inputs Reductions(Random r, string f, Func<Tensor, int[], bool, Tensor> api, bool lists, int minSize = 1)
    {
        var given = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        var cases = new List<Case>();
        foreach (var (s, i) in Shapes(r, minSize).Select((s, i) => (s, i)))
        {
            var x = Rand(r, s);
            string n = $"x{i}";
            given[n] = x;
            var all = Enumerable.Range(0, x.Rank).ToArray();
            cases.Add(new($"{f}({n})", () => api(x, all, false)));
            cases.Add(new($"{f}({n}, keepdim=True)", () => api(x, all, true)));
            cases.Add(new($"{f}({n}, dim=None)", () => api(x, all, false)));
            for (int d = -Math.Max(x.Rank, 1); d < Math.Max(x.Rank, 1); d++)
            {
                int dim = d;
                foreach (bool k in new[] { false, true })
                {
                    cases.Add(new($"{f}({n}, {dim}, {B(k)})", () => api(x, [dim], k)));
                    cases.Add(new($"{f}({n}, dim={dim}, keepdim={B(k)})", () => api(x, [dim], k)));
                    cases.Add(new($"{f}(keepdim={B(k)}, input={n}, dim={dim})", () => api(x, [dim], k)));
                    cases.Add(new($"{f}({n}, {dim}, keepdim={B(k)})", () => api(x, [dim], k)));
                }
            }

            if (lists && x.Rank >= 2)
            {
                cases.Add(new($"{f}({n}, [0, -1])", () => api(x, [0, x.Rank - 1], false)));
                cases.Add(new($"{f}({n}, dim=[-1, 0], keepdim=True)", () => api(x, [0, x.Rank - 1], true)));
                cases.Add(new($"{f}({n}, [{string.Join(", ", all)}])", () => api(x, all, false)));
            }
        }

        return new(given, cases);
    }

    // torch.var: dim, then unbiased, then keepdim positionally; correction by name only. Tensor.Var takes unbiased;
    // correction c is checked as the biased variance rescaled, Σ(x − x̄)²/(n − c) = var₀·n/(n − c).
    private static Inputs Var(Random r)
    {
        // (sizes ≥ 2: the unbiased variance of one element is 0/0, which the non-finite tests cover)
        var api = Reductions(r, "var", (x, d, k) => x.Var(d, true, k), lists: true, minSize: 2);
        var cases = api.Cases.Where(c => !c.Expr.Contains(", True)", StringComparison.Ordinal) && !c.Expr.Contains(", False)", StringComparison.Ordinal)).ToList();
        var x = Rand(r, new Shape(4, 5));
        api.Given["v"] = x;
        foreach (int d in new[] { 0, 1, -1 })
        {
            int n = x.Shape[d];
            foreach (bool k in new[] { false, true })
            {
                cases.Add(new($"var(v, {d}, False, {B(k)})", () => x.Var([d], false, k)));
                cases.Add(new($"var(v, {d}, True, {B(k)})", () => x.Var([d], true, k)));
                cases.Add(new($"var(v, dim={d}, unbiased=False, keepdim={B(k)})", () => x.Var([d], false, k)));
                cases.Add(new($"var(v, {d}, correction=0, keepdim={B(k)})", () => x.Var([d], false, k)));
                cases.Add(new($"var(v, dim={d}, correction=2, keepdim={B(k)})", () => x.Var([d], false, k) * n / (n - 2.0)));
            }
        }

        cases.Add(new("var(v, correction=0.5)", () => x.Var(null, false) * 20 / 19.5));
        return new(api.Given, cases);
    }

    // No tensor API for prod: the slices along dim multiplied one after the other.
    private static Tensor Prod(Tensor x, int[] dims, bool keep)
    {
        if (dims.Length != 1 || x.Rank == 0)
        {
            var flat = x.Reshape(-1);
            return Whole(x, Enumerable.Range(0, flat.Shape[0]).Select(i => flat.Select(0, i)).Aggregate((a, b) => a * b), keep);
        }

        var p = Enumerable.Range(0, x.Shape[dims[0]]).Select(i => x.Select(dims[0], i)).Aggregate((a, b) => a * b);
        return keep ? p.Unsqueeze(dims[0]) : p;
    }

    private static Inputs Softmax(Random r)
    {
        var given = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        var cases = new List<Case>();
        foreach (var (s, i) in Shapes(r).Skip(1).Select((s, i) => (s, i)))
        {
            var x = Rand(r, s);
            given[$"x{i}"] = x;
            cases.Add(new($"softmax(x{i})", () => x.Softmax(-1)));
            for (int d = -x.Rank; d < x.Rank; d++)
            {
                int dim = d;
                cases.Add(new($"softmax(x{i}, {dim})", () => x.Softmax(dim)));
                cases.Add(new($"softmax(x{i}, dim={dim})", () => x.Softmax(dim)));
                cases.Add(new($"softmax(dim={dim}, input=x{i})", () => x.Softmax(dim)));
            }
        }

        return new(given, cases);
    }

    private static Inputs MatMul(Random r)
    {
        var (a, b, v, u) = (Rand(r, new Shape(2, 3)), Rand(r, new Shape(3, 4)), Rand(r, new Shape(3)), Rand(r, new Shape(2, 2, 3)));
        return new(new() { ["a"] = a, ["b"] = b, ["v"] = v, ["u"] = u },
        [
            new("matmul(a, b)", () => a.MatMul(b)), new("matmul(input=a, other=b)", () => a.MatMul(b)), new("matmul(a, other=v)", () => a.MatMul(v)),
            new("matmul(v, b)", () => v.MatMul(b)), new("matmul(v, v)", () => v.MatMul(v)), new("matmul(u, b)", () => u.MatMul(b)),
        ]);
    }

    // Σ aᵢbᵢ, summed here from the elements.
    private static Inputs Dot(Random r)
    {
        var (a, b) = (Rand(r, new Shape(5)), Rand(r, new Shape(5)));
        var expected = Tensor.Scalar(a.ToDoubleArray().Zip(b.ToDoubleArray()).Sum(p => p.First * p.Second)).To(DType.Float64);
        return new(new() { ["a"] = a, ["b"] = b }, [new("dot(a, b)", () => expected), new("dot(input=a, tensor=b)", () => expected), new("dot(a, tensor=b)", () => expected)]);
    }

    private static Inputs Transpose(Random r)
    {
        var (m, t, v) = (Rand(r, new Shape(2, 3)), Rand(r, new Shape(2, 3, 4)), Rand(r, new Shape(3)));
        var cases = new List<Case> { new("transpose(m)", () => m.Transpose(0, 1)), new("transpose(t)", () => t.Transpose(1, 2)), new("transpose(v)", () => v) };
        for (int d0 = -3; d0 < 3; d0++)
        {
            for (int d1 = -3; d1 < 3; d1++)
            {
                var (a, b) = (d0, d1);
                cases.Add(new($"transpose(t, {a}, {b})", () => t.Transpose(a, b)));
                cases.Add(new($"transpose(t, dim0={a}, dim1={b})", () => t.Transpose(a, b)));
            }
        }

        return new(new() { ["m"] = m, ["t"] = t, ["v"] = v }, cases);
    }

    private static Inputs Reshape(Random r)
    {
        var x = Rand(r, new Shape(2, 3, 4));
        return new(new() { ["x"] = x },
        [
            new("reshape(x, [6, 4])", () => x.Reshape(6, 4)), new("reshape(x, 4, 6)", () => x.Reshape(4, 6)), new("reshape(x, -1)", () => x.Reshape(-1)),
            new("reshape(x, shape=[2, -1])", () => x.Reshape(2, 12)), new("reshape(input=x, shape=[24])", () => x.Reshape(24)),
            new("reshape(x, [3, 2, 2, 2])", () => x.Reshape(3, 2, 2, 2)),
        ]);
    }

    private static Inputs Flatten(Random r)
    {
        var x = Rand(r, new Shape(2, 3, 2, 2));
        var cases = new List<Case> { new("flatten(x)", () => x.Flatten()) };
        for (int s = -4; s < 4; s++)
        {
            for (int e = -4; e < 4; e++)
            {
                var (a, b) = (s, e);
                if ((a + 4) % 4 <= (b + 4) % 4)
                {
                    cases.Add(new($"flatten(x, {a}, {b})", () => x.Flatten(a, b)));
                    cases.Add(new($"flatten(x, start_dim={a}, end_dim={b})", () => x.Flatten(a, b)));
                }
            }
        }

        cases.Add(new("flatten(x, end_dim=1)", () => x.Flatten(0, 1)));
        return new(new() { ["x"] = x }, cases);
    }

    private static Inputs Conv(Random r, int n)
    {
        string f = $"conv{n}d";
        Shape S(int c, int size) => n == 1 ? new Shape(c, size) : new Shape(c, size, size);
        var x = Rand(r, new Shape([2, .. S(4, 7).Dims]));
        var w = Rand(r, n == 1 ? new Shape(3, 4, 3) : new Shape(3, 4, 3, 3));
        var wg = Rand(r, n == 1 ? new Shape(2, 2, 3) : new Shape(2, 2, 3, 3));
        var (b, plane, k) = (Rand(r, new Shape(3)), Rand(r, n == 1 ? new Shape(8) : new Shape(6, 6)), Rand(r, n == 1 ? new Shape(3) : new Shape(3, 3)));
        Tensor Api(Tensor xx, Tensor ww, Tensor? bb, int stride = 1, int padding = 0, int dilation = 1, int groups = 1) => n == 1
            ? F.Conv1d(xx, ww, bb, stride, padding, dilation, groups) : F.Conv2d(xx, ww, bb, stride, padding, dilation, groups);
        Tensor Same(Tensor xx, Tensor ww) => n == 1 ? F.Conv1d(xx, ww, null, "same") : F.Conv2d(xx, ww, null, "same");
        var sq = n == 1 ? new Shape(1, 1, 3) : new Shape(1, 1, 3, 3);
        return new(new() { ["x"] = x, ["w"] = w, ["wg"] = wg, ["b"] = b, ["plane"] = plane, ["k"] = k },
        [
            new($"{f}(x, w)", () => Api(x, w, null)), new($"{f}(x, w, b)", () => Api(x, w, b)),
            new($"{f}(x, w, b, 2, 1)", () => Api(x, w, b, 2, 1)), new($"{f}(x, w, b, 1, 1, 2)", () => Api(x, w, b, 1, 1, 2)),
            new($"{f}(input=x, weight=w, bias=b, stride=2, padding=1, dilation=2)", () => Api(x, w, b, 2, 1, 2)),
            new($"{f}(x, w, padding='same')", () => Same(x, w)), new($"{f}(x, w, padding='valid')", () => Api(x, w, null)),
            new($"{f}(x, wg, groups=2)", () => Api(x, wg, null, groups: 2)), new($"{f}(x, w, None, 1, 0, 1, 1)", () => Api(x, w, null)),
            new($"{f}(plane, k)", () => Api(plane.Unsqueeze(0), k.Reshape(sq), null).Squeeze(0)),
            new($"{f}(plane, k, padding=1, stride=2)", () => Api(plane.Unsqueeze(0), k.Reshape(sq), null, 2, 1).Squeeze(0)),
        ]);
    }

    private static Inputs Pool(Random r, string f)
    {
        var (x, plane) = (Rand(r, new Shape(2, 5, 6)), Rand(r, new Shape(4, 5)));
        bool max = f == "maxpool2d";
        Tensor Api(Tensor t, int k, int? s = null, int p = 0, bool ceil = false, bool inc = true, int? div = null, int dil = 1) =>
            max ? F.MaxPool2d(t, k, s, p, dil, ceil) : F.AvgPool2d(t, k, s, p, ceil, inc, div);
        var cases = new List<Case>
        {
            new($"{f}(x, 2)", () => Api(x, 2)), new($"{f}(x, 2, 1)", () => Api(x, 2, 1)), new($"{f}(x, 3, 2, 1)", () => Api(x, 3, 2, 1)),
            new($"{f}(x, kernel_size=2, stride=1, padding=1)", () => Api(x, 2, 1, 1)), new($"{f}(x, 2, stride=None)", () => Api(x, 2)),
            new($"{f}(x, 2, ceil_mode=True)", () => Api(x, 2, ceil: true)), new($"{f}(plane, 2)", () => Api(plane.Unsqueeze(0), 2).Squeeze(0)),
        };
        cases.AddRange(max
            ? [new($"{f}(x, 2, 1, 0, 2)", () => Api(x, 2, 1, 0, dil: 2)), new($"{f}(x, 2, dilation=2, ceil_mode=True)", () => Api(x, 2, ceil: true, dil: 2))]
            : [new($"{f}(x, 3, 2, 1, False, False)", () => Api(x, 3, 2, 1, false, false)), new($"{f}(x, 2, divisor_override=3)", () => Api(x, 2, div: 3)),
               new($"{f}(x, 3, 2, 1, count_include_pad=False)", () => Api(x, 3, 2, 1, inc: false))]);
        return new(new() { ["x"] = x, ["plane"] = plane }, cases);
    }

    private static Inputs Pad(Random r)
    {
        var (x, v) = (Rand(r, new Shape(2, 3, 4)), Rand(r, new Shape(3)));
        return new(new() { ["x"] = x, ["v"] = v },
        [
            new("pad(x, 1)", () => x.Pad([(0, 0), (1, 1), (1, 1)])), new("pad(v, 2)", () => v.Pad([(2, 2)])),
            new("pad(x, [1, 2])", () => x.Pad([1, 2])), new("pad(x, [1, 2, 0, 3], value=-1.5)", () => x.Pad([1, 2, 0, 3], -1.5)),
            new("pad(input=x, pad=[0, 1, 1, 0, 2, 2], mode='constant', value=2)", () => x.Pad([0, 1, 1, 0, 2, 2], 2)),
            new("pad(x, 1, 'constant', 7)", () => x.Pad([(0, 0), (1, 1), (1, 1)], 7)),
        ]);
    }

    private static Inputs Loss(Random r, string f)
    {
        var s = new Shape(3, 4);
        var (p, t, wt) = (Rand(r, s, 0.05, 0.95), Rand(r, s, 0, 1), Rand(r, s, 0.5, 2));
        var given = new Dictionary<string, Tensor>(StringComparer.Ordinal) { ["p"] = p, ["t"] = t, ["wt"] = wt };
        if (f == "mse")
        {
            return new(given,
            [
                new("mse(p, t)", () => F.MseLoss(p, t)), new("mse(input=p, target=t)", () => F.MseLoss(p, t)),
                new("mse(p, t, 'sum')", () => F.MseLoss(p, t, Reduction.Sum)), new("mse(p, t, reduction='none')", () => F.MseLoss(p, t, Reduction.None)),
            ]);
        }

        if (f == "bce_sum")
        {
            return new(given,
            [
                new("bce_sum(p, t)", () => F.BinaryCrossEntropy(p, t, reduction: Reduction.Sum)),
                new("bce_sum(p, t, wt)", () => F.BinaryCrossEntropy(p, t, wt, Reduction.Sum)),
                new("bce_sum(input=p, target=t, weight=wt)", () => F.BinaryCrossEntropy(p, t, wt, Reduction.Sum)),
            ]);
        }

        return new(given,
        [
            new("bce(p, t)", () => F.BinaryCrossEntropy(p, t)), new("bce(p, t, wt)", () => F.BinaryCrossEntropy(p, t, wt)),
            new("bce(p, t, None, 'sum')", () => F.BinaryCrossEntropy(p, t, reduction: Reduction.Sum)),
            new("bce(input=p, target=t, weight=wt, reduction='none')", () => F.BinaryCrossEntropy(p, t, wt, Reduction.None)),
            new("bce(p, t, reduction='mean')", () => F.BinaryCrossEntropy(p, t)),
        ]);
    }

    // The cofactor (Laplace) expansion, independent of the elimination the language uses.
    private static double Det(double[,] m)
    {
        int n = m.GetLength(0);
        if (n == 1)
        {
            return m[0, 0];
        }

        double sum = 0;
        for (int j = 0; j < n; j++)
        {
            sum += (j % 2 == 0 ? 1 : -1) * m[0, j] * Det(Minor(m, 0, j));
        }

        return sum;
    }

    private static double[,] Minor(double[,] m, int row, int col)
    {
        int n = m.GetLength(0);
        var r = new double[n - 1, n - 1];
        for (int i = 0, ri = 0; i < n; i++)
        {
            if (i == row)
            {
                continue;
            }

            for (int j = 0, rj = 0; j < n; j++)
            {
                if (j != col)
                {
                    r[ri, rj++] = m[i, j];
                }
            }

            ri++;
        }

        return r;
    }

    // A⁻¹ = adj(A)/det A, adj(A)ᵢⱼ = (−1)^(i+j)·det(minor(A, j, i)).
    private static Tensor Inverse(Tensor a)
    {
        int n = a.Shape[0];
        var m = a.ToDoubleArray();
        var mm = new double[n, n];
        for (int i = 0; i < n * n; i++)
        {
            mm[i / n, i % n] = m[i];
        }

        double det = Det(mm);
        return Tensor.FromArray([.. Enumerable.Range(0, n * n).Select(k => ((((k / n) + (k % n)) % 2 == 0 ? 1 : -1) * (n == 1 ? 1 : Det(Minor(mm, k % n, k / n)))) / det)], a.Shape);
    }

    // Diagonally dominant (so well conditioned) random n×n matrices, n = 1..4; det by cofactors, inv by the adjugate,
    // solve as adjugate·b.
    private static Inputs Square(Random r, string f)
    {
        var given = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        var cases = new List<Case>();
        for (int n = 1; n <= 4; n++)
        {
            var a = Rand(r, new Shape(n, n)) + (Tensor.Eye(n, dtype: DType.Float64) * 5 * (r.Next(2) * 2 - 1));
            var (b, bm) = (Rand(r, new Shape(n)), Rand(r, new Shape(n, 2)));
            (given[$"a{n}"], given[$"b{n}"], given[$"m{n}"]) = (a, b, bm);
            var mm = new double[n, n];
            var flat = a.ToDoubleArray();
            for (int i = 0; i < n * n; i++)
            {
                mm[i / n, i % n] = flat[i];
            }

            cases.AddRange(f switch
            {
                "det" => [new($"det(a{n})", () => Tensor.Scalar(Det(mm))), new($"det(A=a{n})", () => Tensor.Scalar(Det(mm)))],
                "inv" => [new($"inv(a{n})", () => Inverse(a)), new($"inv(A=a{n})", () => Inverse(a))],
                _ => [new($"solve(a{n}, b{n})", () => Inverse(a).MatMul(b)), new($"solve(A=a{n}, B=m{n})", () => Inverse(a).MatMul(bm))],
            });
        }

        return new(given, cases);
    }

    private static Inputs Norm(Random r)
    {
        var x = Rand(r, new Shape(3, 4));
        var v = Rand(r, new Shape(5));
        Tensor Abs(Tensor t) => Tensor.FromArray([.. t.ToDoubleArray().Select(Math.Abs)], t.Shape);
        return new(new() { ["x"] = x, ["v"] = v },
        [
            new("norm(v)", () => (v * v).Sum().Sqrt()), new("norm(input=v, p=2)", () => (v * v).Sum().Sqrt()),
            new("norm(v, 1)", () => Abs(v).Sum()), new("norm(v, 'inf')", () => Abs(v).Max()), new("norm(v, '-inf')", () => Abs(v).Min()),
            new("norm(v, 3)", () => Abs(v).Pow(3).Sum().Pow(1.0 / 3)),
            new("norm(x)", () => (x * x).Sum().Sqrt()), new("norm(x, 'fro')", () => (x * x).Sum().Sqrt()),
            new("norm(x, 1, 0)", () => Abs(x).Sum(0)), new("norm(x, 2, -1, True)", () => (x * x).Sum(1, true).Sqrt()),
            new("norm(x, p='inf', dim=1)", () => Abs(x).Max(1).Values), new("norm(x, 'inf', [0, 1], True)", () => Abs(x).Max().Reshape(1, 1)),
            new("norm(x, 1, [1, 0])", () => Abs(x).Sum()),
        ]);
    }

    // A = Q·diag(λ)·Qᵀ with a known orthogonal Q (a rotation, a Householder reflection I − 2uuᵀ/uᵀu) and distinct λ:
    // eigvals are λ ascending, eigvecs Q's columns in that order, each signed so its largest component is positive.
    private static Inputs Eigen(Random r, string f)
    {
        var given = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        var cases = new List<Case>();
        double t = r.NextDouble() * Math.PI;
        var rot = Tensor.FromArray(new double[,] { { Math.Cos(t), -Math.Sin(t) }, { Math.Sin(t), Math.Cos(t) } });
        var u = Rand(r, new Shape(3, 1));
        var house = Tensor.Eye(3, dtype: DType.Float64) - (u.MatMul(u.Transpose(0, 1)) * (2 / (u * u).Sum().Item()));
        foreach (var (q, name) in new[] { (rot, "r2"), (house, "h3") })
        {
            int n = q.Shape[0];
            var lam = Enumerable.Range(0, n).Select(i => (i * 2.5) - 1 + r.NextDouble()).OrderByDescending(l => l).ToArray();
            var a = q.MatMul(Tensor.FromArray(lam).Unsqueeze(1) * q.Transpose(0, 1));
            given[name] = a;
            var order = Enumerable.Range(0, n).OrderBy(i => lam[i]).ToArray();
            var qv = q.ToDoubleArray();
            var vecs = new double[n * n];
            for (int c = 0; c < n; c++)
            {
                var col = Enumerable.Range(0, n).Select(i => qv[(i * n) + order[c]]).ToArray();
                double big = col.Max(Math.Abs);
                double sign = col.First(v => Math.Abs(v) >= big * (1 - 1e-9)) < 0 ? -1 : 1;
                for (int i = 0; i < n; i++)
                {
                    vecs[(i * n) + c] = sign * col[i];
                }
            }

            var expected = f == "eigvals" ? Tensor.FromArray([.. order.Select(i => lam[i])]) : Tensor.FromArray(vecs, new Shape(n, n));
            cases.Add(new($"{f}({name})", () => expected));
            cases.Add(new($"{f}(A={name})", () => expected));
        }

        return new(given, cases);
    }

    private static Inputs Permute(Random r)
    {
        var x = Rand(r, new Shape(2, 3, 4));
        return new(new() { ["x"] = x },
        [
            new("permute(x, [2, 0, 1])", () => x.Permute(2, 0, 1)), new("permute(x, 1, 0, 2)", () => x.Permute(1, 0, 2)),
            new("permute(x, dims=[-1, -2, -3])", () => x.Permute(2, 1, 0)), new("permute(input=x, dims=[0, 1, 2])", () => x),
        ]);
    }
}
