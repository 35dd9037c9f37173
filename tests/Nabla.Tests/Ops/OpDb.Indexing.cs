using Nabla.Tests.Reference;

namespace Nabla.Tests.Ops;

// Index-driven ops, matrix products and comparisons.
internal static partial class OpDb
{
    private static int[] With(int[] idx, int d, int v)
    {
        var c = (int[])idx.Clone();
        c[d] = v;
        return c;
    }

    private static R GatherRef(R x, int dim, R index)
    {
        int d = x.Norm(dim);
        var y = R.Zeros(index.Shape);
        foreach (var i in R.Indices(index.Shape))
        {
            y[i] = x[With(i, d, (int)index[i])];
        }

        return y;
    }

    private static R ScatterAddRef(R x, int dim, R index, R src)
    {
        int d = x.Norm(dim);
        var y = new R(x.Shape, (double[])x.Data.Clone());
        foreach (var i in R.Indices(index.Shape))
        {
            y[With(i, d, (int)index[i])] += src[i];
        }

        return y;
    }

    private static R IndexSelectRef(R x, int dim, R index)
    {
        int d = x.Norm(dim);
        var shape = With(x.Shape, d, index.Data.Length);
        var y = R.Zeros(shape);
        foreach (var i in R.Indices(shape))
        {
            y[i] = x[With(i, d, (int)index.Data[i[d]])];
        }

        return y;
    }

    private static R WhereRef(R c, R a, R b)
    {
        var shape = R.BroadcastShape(c.Shape, a.Shape, b.Shape);
        var y = R.Zeros(shape);
        foreach (var i in R.Indices(shape))
        {
            y[i] = c.AtBroadcast(i) != 0 ? a.AtBroadcast(i) : b.AtBroadcast(i);
        }

        return y;
    }

    /// <summary>PyTorch's matmul rules: a 1-D left operand is a row, a 1-D right operand a column, both removed after.</summary>
    private static R MatMulRef(R a, R b)
    {
        var y = R.MatMul(a.Rank == 1 ? a.Reshape(1, a.Shape[0]) : a, b.Rank == 1 ? b.Reshape(b.Shape[0], 1) : b);
        var s = y.Shape.ToList();
        if (b.Rank == 1)
        {
            s.RemoveAt(s.Count - 1);
        }

        if (a.Rank == 1)
        {
            s.RemoveAt(s.Count - (b.Rank == 1 ? 1 : 2));
        }

        return y.Reshape(s.ToArray());
    }

    private static IEnumerable<OpCase> IndexingCases()
    {
        yield return new("gather", xs => xs[0].Gather(1, xs[1]), rs => GatherRef(rs[0], 1, rs[1]),
            [S(X(3, 4), new I([3, 5], 4)), S(Xt(3, 4), new I([2, 3], 4)), S(X(2, 3, 2), new I([2, 2, 2], 3)),
             S(X(3, 4), new I([3, 0], 4)), S(Xe(2, 3), new I([2, 2], 3)), S(Xn(2, 3), new I([1, 4], 3)), S(X(3, 4), new I([3, 2], 4) { Transposed = true })]);
        yield return new("gather_dim0", xs => xs[0].Gather(0, xs[1]), rs => GatherRef(rs[0], 0, rs[1]),
            [S(X(3, 4), new I([2, 4], 3)), S(Xn(3, 2), new I([4, 2], 3))]);
        yield return new("scatter_add", xs => xs[0].ScatterAdd(1, xs[1], xs[2]), rs => ScatterAddRef(rs[0], 1, rs[1], rs[2]),
            [S(X(3, 4), new I([3, 5], 4), X(3, 5)), S(Xt(3, 4), new I([2, 3], 4), Xn(2, 3)),
             S(X(3, 4), new I([3, 0], 4), X(3, 0)), S(Xe(2, 3), new I([2, 4], 3), X(2, 4)), S(X(0, 2), new I([0, 3], 2), X(0, 3)),
             S(Xn(3, 4), new I([2, 3], 4) { Transposed = true }, Xt(2, 3))]);
        yield return new("scatter_add_dim0", xs => xs[0].ScatterAdd(0, xs[1], xs[2]), rs => ScatterAddRef(rs[0], 0, rs[1], rs[2]),
            [S(X(3, 2), new I([4, 2], 3), Xt(4, 2))]);
        yield return new("gather_index_select", xs => xs[0].IndexSelect(0, xs[1]), rs => IndexSelectRef(rs[0], 0, rs[1]),
            [S(X(3, 4), new I([5], 3)), S(Xt(3, 2), new I([2], 3)), S(X(3), new I([4], 3)), S(X(3, 2), new I([0], 3)), S(Xe(3, 2), new I([2], 3))]);
        yield return new("gather_index_select_last", xs => xs[0].IndexSelect(-1, xs[1]), rs => IndexSelectRef(rs[0], -1, rs[1]),
            [S(X(2, 3), new I([4], 3)), S(Xn(2, 2, 3), new I([2], 3))]);
        yield return new("where", xs => Tensor.Where(xs[0], xs[1], xs[2]), rs => WhereRef(rs[0], rs[1], rs[2]),
            [S(new B([3, 4]), X(3, 4), X(3, 4)), S(new B([3, 1]), X(1, 4), X()), S(new B([4]), Xt(3, 4), Xn(3, 4)),
             S(new B([0, 2]), X(2), X(0, 2)), S(new B([2, 3]), Xe(2, 3), X(3))]);
        yield return new("where_masked_fill", xs => xs[0].MaskedFill(xs[1], -1.5), rs => WhereRef(rs[1], R.Scalar(-1.5), rs[0]),
            [S(X(3, 4), new B([3, 4])), S(Xt(3, 4), new B([4])), S(X(0, 3), new B([3])), S(Xe(2, 2), new B([2, 1]))]);
    }

    /// <summary>Integer tensors through the data-movement ops (labels and indices are Int64).</summary>
    private static IEnumerable<OpCase> IntegerCases()
    {
        var ints = new OpCase("", xs => xs[0], rs => rs[0], [])
        {
            Differentiable = false,
            KeepsDType = false,
        };
        yield return ints with
        {
            Name = "contiguous_clone_int64",
            Apply = xs => xs[0].Clone(),
            Samples = [S(new I([3, 4], 9)), S(new I([3, 2], 9) { Transposed = true })],
        };
        yield return ints with
        {
            Name = "gather_int64",
            Apply = xs => xs[0].Gather(1, xs[1]),
            Reference = rs => GatherRef(rs[0], 1, rs[1]),
            Samples = [S(new I([3, 4], 9), new I([3, 5], 4))],
        };
        yield return ints with
        {
            Name = "gather_index_select_int64",
            Apply = xs => xs[0].IndexSelect(0, xs[1]),
            Reference = rs => IndexSelectRef(rs[0], 0, rs[1]),
            Samples = [S(new I([5], 9), new I([3], 5)), S(new I([3, 2], 9) { Transposed = true }, new I([4], 3))],
        };
        yield return ints with
        {
            Name = "scatter_add_int64",
            Apply = xs => xs[0].ScatterAdd(0, xs[1], xs[2]),
            Reference = rs => ScatterAddRef(rs[0], 0, rs[1], rs[2]),
            Samples = [S(new I([3, 2], 9), new I([4, 2], 3), new I([4, 2], 9) { Transposed = true })],
        };
        yield return ints with
        {
            Name = "cat_int64",
            Apply = xs => Tensor.Cat(xs, 0),
            Reference = rs => R.Cat(0, rs),
            Samples = [S(new I([2, 3], 9), new I([1, 3], 9))],
        };
        yield return ints with
        {
            Name = "reshape_int64",
            Apply = xs => xs[0].Permute(1, 0).Reshape(-1).Unsqueeze(0).Expand(2, -1).Narrow(1, 1, 2),
            Reference = rs => ExpandRef(rs[0].Permute(1, 0).Reshape(1, rs[0].Data.Length), [2, rs[0].Data.Length]).Narrow(1, 1, 2),
            Samples = [S(new I([3, 2], 9))],
        };
    }

    private static IEnumerable<OpCase> LinalgCases()
    {
        yield return new("matmul", xs => xs[0].MatMul(xs[1]), rs => MatMulRef(rs[0], rs[1]),
        [
            S(X(3, 4), X(4, 2)), S(Xt(3, 4), Xt(4, 2)), S(Xn(3, 4), Xn(4, 2)), S(X(1, 3), X(3, 1)),
            S(X(2, 3, 4), X(4, 2)), S(X(2, 3, 4), X(2, 4, 2)), S(X(2, 1, 3, 2), X(3, 2, 2)),
            S(Xe(2, 3, 4), X(4, 2)), S(Xt(2, 3, 4), Xe(2, 4, 2)), S(X(2, 3), Xt(2, 3, 2)),
            S(X(4), X(4, 2)), S(X(3, 4), X(4)), S(X(4), X(4)), S(X(0), X(0)), S(X(4), X(2, 4, 3)), S(X(2, 3, 4), X(4)),
            S(X(0, 3), X(3, 2)), S(X(3, 0), X(0, 2)), S(X(2, 3), X(3, 0)), S(X(0, 2, 3), X(3, 2)),
        ]);
        yield return new("matmul_dot", xs => xs[0].Dot(xs[1]), rs => R.Scalar(rs[0].Data.Zip(rs[1].Data, (a, b) => a * b).Sum()),
            [S(X(4), X(4)), S(Xn(3), X(3)), S(X(0), X(0))]);
        yield return new("matmul_outer", xs => xs[0].Outer(xs[1]), rs => R.MatMul(rs[0].Reshape(rs[0].Data.Length, 1), rs[1].Reshape(1, rs[1].Data.Length)),
            [S(X(3), X(4)), S(Xn(2), X(0))]);
    }

    private static OpCase Comparison(string name, Func<Tensor, Tensor, Tensor> f, Func<double, double, bool> r) =>
        new(name, xs => f(xs[0], xs[1]), rs => R.Zip(rs[0], rs[1], (a, b) => r(a, b) ? 1 : 0), BroadcastSamples())
        {
            Differentiable = false,
            KeepsDType = false,
            ForwardOnly = [S(new F([4]) { Values = [1, 2, -1, double.NaN] }, new F([4]) { Values = [1, -2, 3, double.NaN] })],
        };

    private static IEnumerable<OpCase> CompareCases()
    {
        yield return Comparison("cmp_eq", (a, b) => a.Eq(b), (a, b) => a == b);
        yield return Comparison("cmp_ne", (a, b) => a.Ne(b), (a, b) => a != b);
        yield return Comparison("cmp_gt", (a, b) => a.Gt(b), (a, b) => a > b);
        yield return Comparison("cmp_ge", (a, b) => a.Ge(b), (a, b) => a >= b);
        yield return Comparison("cmp_lt", (a, b) => a.Lt(b), (a, b) => a < b);
        yield return Comparison("cmp_le", (a, b) => a.Le(b), (a, b) => a <= b);
        yield return Comparison("cmp_and", (a, b) => a.Gt(0.0).LogicalAnd(b.Lt(0.5)), (a, b) => a > 0 && b < 0.5);
        yield return Comparison("cmp_or", (a, b) => a.Gt(0.0).LogicalOr(b.Lt(0.5)), (a, b) => a > 0 || b < 0.5);
        yield return Comparison("cmp_not_scalar", (a, b) => a.Ge(0.5).LogicalNot(), (a, b) => !(a >= 0.5)) with
        {
            Samples = ElementwiseSamples().Select(s => new Arg[] { s[0], X() }).ToArray(),
        };
    }
}
