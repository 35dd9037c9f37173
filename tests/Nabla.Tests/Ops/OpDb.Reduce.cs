using Nabla.Tests.Reference;

namespace Nabla.Tests.Ops;

// Reductions and the composites built on them (mean, var/std, norm, softmax family).
internal static partial class OpDb
{
    private static double Sum(double[] v) => v.Sum();

    // NaN propagates, as in PyTorch's max (LINQ's Max would skip it).
    private static double MaxRef(double[] v) => v.Any(double.IsNaN) ? double.NaN : v.Max();

    private static double Mean(double[] v) => v.Sum() / v.Length;

    private static double Var(double[] v, bool unbiased)
    {
        double m = Mean(v);
        return v.Sum(x => (x - m) * (x - m)) / (v.Length - (unbiased ? 1 : 0));
    }

    private static double[] SoftmaxRef(double[] v)
    {
        double m = v.Max();
        var e = v.Select(x => Math.Exp(x - m)).ToArray();
        double s = e.Sum();
        return e.Select(x => x / s).ToArray();
    }

    private static double LogSumExpRef(double[] v)
    {
        double m = v.Max();
        if (double.IsInfinity(m))
        {
            return m; // all −∞ (log 0), or a +∞ term
        }

        return m + Math.Log(v.Sum(x => Math.Exp(x - m)));
    }

    private static int ArgMaxRef(double[] v, bool min)
    {
        int best = 0;
        for (int i = 1; i < v.Length; i++)
        {
            if (min ? v[i] < v[best] : v[i] > v[best])
            {
                best = i;
            }
        }

        return best;
    }

    /// <summary>Rank-2 and rank-3 samples (the dims used below are valid for both), with views and zero sizes.</summary>
    private static Arg[][] MatrixSamples() =>
    [
        S(X(3, 4)), S(X(2, 3, 2)), S(Xt(3, 4)), S(Xn(2, 3)), S(Xe(2, 3)), S(X(0, 3)), S(X(3, 0)),
    ];

    private static Arg[][] Rank3Samples() =>
    [
        S(X(2, 3, 2)), S(Xt(2, 2, 3)), S(Xn(2, 3, 1)), S(Xe(2, 3, 2)), S(X(2, 0, 3)),
    ];

    private static Arg[][] NonEmpty(Arg[][] samples) => samples.Where(s => s.All(a => R.Numel(a.Shape) > 0)).ToArray();

    // Max/min samples: no expanded input (it would repeat values, and ties have no derivative).
    private static Arg[][] NoTies(Arg[][] samples) =>
        samples.Where(s => s.All(a => a is not F { View: View.Expanded })).ToArray();

    private static IEnumerable<OpCase> ReduceCases()
    {
        Arg[][] all = [S(X(3, 4)), S(X()), S(X(5)), S(Xt(3, 4)), S(Xn(2, 3)), S(Xe(3, 2)), S(X(0, 3)), S(X(2, 3, 2))];
        yield return new("sum", xs => xs[0].Sum(), rs => rs[0].Reduce([], false, Sum), all);
        yield return new("sum_dim", xs => xs[0].Sum(1), rs => rs[0].Reduce([1], false, Sum), MatrixSamples());
        yield return new("sum_dim_keepdim", xs => xs[0].Sum(-1, keepDim: true), rs => rs[0].Reduce([-1], true, Sum), MatrixSamples());
        yield return new("sum_dims", xs => xs[0].Sum([0, 2]), rs => rs[0].Reduce([0, 2], false, Sum), Rank3Samples());
        yield return new("sum_dims_keepdim", xs => xs[0].Sum([2, 0], keepDim: true), rs => rs[0].Reduce([0, 2], true, Sum), Rank3Samples());
        yield return new("sum_dims_adjacent", xs => xs[0].Sum([1, 2]), rs => rs[0].Reduce([1, 2], false, Sum), Rank3Samples());
        yield return new("sum_to", xs => xs[0].SumTo(new Shape(3, 1)), rs => rs[0].Reduce([0, 2], true, Sum).Reshape(3, 1),
            [S(X(2, 3, 4)), S(Xt(2, 3, 4)), S(Xe(2, 3, 4)), S(X(0, 3, 4))]);

        // A 0-d tensor has one reducible dimension, 0 (or −1), as in PyTorch.
        Arg[][] scalar = [S(X())];
        yield return new("sum_dim_scalar", xs => xs[0].Sum(0), rs => rs[0], scalar);
        yield return new("sum_dim_keepdim_scalar", xs => xs[0].Sum(-1, keepDim: true), rs => rs[0], scalar);
        yield return new("max_dim_scalar", xs => xs[0].Max(0).Values, rs => rs[0], scalar);
        yield return new("softmax_scalar", xs => xs[0].Softmax(0), rs => R.Scalar(1), scalar);
        yield return new("logsumexp_scalar", xs => xs[0].LogSumExp(-1), rs => rs[0], scalar);
        yield return new("mean_dim_scalar", xs => xs[0].Mean(0), rs => rs[0], scalar);

        yield return new("mean", xs => xs[0].Mean(), rs => rs[0].Reduce([], false, Mean), NonEmpty(all));
        yield return new("mean_dim", xs => xs[0].Mean(1), rs => rs[0].Reduce([1], false, Mean), NonEmpty(MatrixSamples()));
        yield return new("mean_dims_keepdim", xs => xs[0].Mean([0, 2], keepDim: true), rs => rs[0].Reduce([0, 2], true, Mean), NonEmpty(Rank3Samples()));

        var varSamples = NonEmpty(MatrixSamples());
        yield return new("var", xs => xs[0].Var([1]), rs => rs[0].Reduce([1], false, v => Var(v, true)), varSamples);
        yield return new("var_biased", xs => xs[0].Var([1], unbiased: false), rs => rs[0].Reduce([1], false, v => Var(v, false)), varSamples);
        yield return new("var_all", xs => xs[0].Var(), rs => rs[0].Reduce([], false, v => Var(v, true)), varSamples);
        yield return new("var_all_biased", xs => xs[0].Var(unbiased: false), rs => rs[0].Reduce([], false, v => Var(v, false)), varSamples);
        yield return new("var_keepdim", xs => xs[0].Var([0], keepDim: true), rs => rs[0].Reduce([0], true, v => Var(v, true)),
            [S(X(3, 4)), S(Xt(3, 2)), S(Xn(2, 3))]);
        yield return new("std", xs => xs[0].Std([1]), rs => rs[0].Reduce([1], false, v => Math.Sqrt(Var(v, true))), varSamples);
        yield return new("std_biased", xs => xs[0].Std([-1], unbiased: false), rs => rs[0].Reduce([-1], false, v => Math.Sqrt(Var(v, false))), varSamples);
        yield return new("std_all", xs => xs[0].Std(), rs => rs[0].Reduce([], false, v => Math.Sqrt(Var(v, true))), varSamples);

        yield return new("norm", xs => xs[0].Norm(), rs => rs[0].Reduce([], false, v => Math.Sqrt(v.Sum(x => x * x))), NonEmpty(all));
        yield return new("norm_p3", xs => xs[0].Norm(3), rs => rs[0].Reduce([], false, v => Math.Pow(v.Sum(x => Math.Pow(Math.Abs(x), 3)), 1.0 / 3)),
            Domain(NonEmpty(all), -2, 2, 0.1));
        yield return new("norm_p1", xs => xs[0].Norm(1), rs => rs[0].Reduce([], false, v => v.Sum(Math.Abs)), Domain(NonEmpty(all), -2, 2, 0.1));

        var maxSamples = NoTies(MatrixSamples()).Where(s => s[0].Shape[^1] > 0).ToArray();
        var dim0Samples = NoTies(MatrixSamples()).Where(s => s[0].Shape[0] > 0).ToArray();
        yield return new("max_dim", xs => xs[0].Max(1).Values, rs => rs[0].Reduce([1], false, MaxRef), NoTies(MatrixSamples()).Where(s => s[0].Shape[1] > 0).ToArray())
        {
            ForwardOnly = [S(new F([2, 3]) { Values = [1, double.NaN, 2, double.NegativeInfinity, -1, double.PositiveInfinity] })], // NaN wins, as PyTorch
        };
        yield return new("max_dim_keepdim", xs => xs[0].Max(-1, keepDim: true).Values, rs => rs[0].Reduce([-1], true, v => v.Max()), maxSamples);
        yield return new("min_dim", xs => xs[0].Min(-1).Values, rs => rs[0].Reduce([-1], false, v => v.Min()), maxSamples);
        yield return new("min_dim_keepdim", xs => xs[0].Min(0, keepDim: true).Values, rs => rs[0].Reduce([0], true, v => v.Min()), dim0Samples);
        yield return new("max_dim_indices", xs => xs[0].Max(-1).Indices, rs => rs[0].AlongDim(-1, v => [ArgMaxRef(v, false)], reduces: true, keep: false), maxSamples)
        {
            Differentiable = false,
            KeepsDType = false,
            ForwardOnly = [S(new F([2, 4]) { Values = [1, 3, 3, 0, 5, 5, 5, 5] })], // ties: the first index, as PyTorch
        };
        yield return new("min_dim_indices", xs => xs[0].Min(0, keepDim: true).Indices, rs => rs[0].AlongDim(0, v => [ArgMaxRef(v, true)], reduces: true), dim0Samples)
        {
            Differentiable = false,
            KeepsDType = false,
        };
        yield return new("argmax", xs => xs[0].Argmax(), rs => R.Scalar(ArgMaxRef(rs[0].Data, false)), NonEmpty(NoTies(all)))
        {
            Differentiable = false,
            KeepsDType = false,
        };
        yield return new("argmin_keepdim", xs => xs[0].Argmin(keepDim: true), rs => new R(rs[0].Shape.Select(_ => 1).ToArray(), [ArgMaxRef(rs[0].Data, true)]),
            NonEmpty(NoTies(all)))
        {
            Differentiable = false,
            KeepsDType = false,
        };
        yield return new("argmin_dim", xs => xs[0].Argmin(1), rs => rs[0].AlongDim(1, v => [ArgMaxRef(v, true)], reduces: true, keep: false), maxSamples)
        {
            Differentiable = false,
            KeepsDType = false,
        };
        yield return new("max_all", xs => xs[0].Max(), rs => R.Scalar(rs[0].Data.Max()), NonEmpty(NoTies(all)));
        yield return new("min_all", xs => xs[0].Min(), rs => R.Scalar(rs[0].Data.Min()), NonEmpty(NoTies(all)));

        yield return new("logsumexp", xs => xs[0].LogSumExp(1), rs => rs[0].AlongDim(1, v => [LogSumExpRef(v)], reduces: true, keep: false), maxSamples)
        {
            ForwardOnly =
            [
                S(new F([2, 3]) { Values = [1000, 1000.5, 999, -1000, -1001, -999.5] }),
                S(new F([3, 3]) { Values = [double.NegativeInfinity, 0, 1, double.NegativeInfinity, double.NegativeInfinity, double.NegativeInfinity, 2, double.PositiveInfinity, 0] }),
            ],
            Rtol32 = 2e-4,
        };
        yield return new("logsumexp_keepdim", xs => xs[0].LogSumExp(0, keepDim: true), rs => rs[0].AlongDim(0, v => [LogSumExpRef(v)], reduces: true), dim0Samples);
        yield return new("softmax", xs => xs[0].Softmax(1), rs => rs[0].AlongDim(1, SoftmaxRef), maxSamples)
        {
            ForwardOnly =
            [
                S(new F([2, 3]) { Values = [1000, 1000.5, 999, -1000, -1001, -999.5] }),
                S(new F([1, 3]) { Values = [double.NegativeInfinity, 0, 1] }),
            ],
        };
        // An empty reduced dim: softmax is empty, logsumexp is log 0 = −∞ (as PyTorch).
        yield return new("softmax_empty_dim", xs => xs[0].Softmax(1), rs => rs[0], [S(X(3, 0)), S(X(0, 0))]);
        yield return new("logsumexp_empty_dim", xs => xs[0].LogSumExp(1), rs => rs[0].Reduce([1], false, _ => double.NegativeInfinity), [S(X(3, 0)), S(X(0, 0))]);
        yield return new("softmax_dim0", xs => xs[0].Softmax(0), rs => rs[0].AlongDim(0, SoftmaxRef), dim0Samples);
        yield return new("log_softmax", xs => xs[0].LogSoftmax(-1), rs => rs[0].AlongDim(-1, v => SoftmaxRef(v).Select(p => Math.Log(p)).ToArray()), maxSamples)
        {
            ForwardOnly = [S(new F([2, 3]) { Values = [1000, 1000.5, 999, -1000, -1001, -999.5] })],
            Rtol32 = 2e-4,
        };
    }
}
