using Nabla.Tests.Reference;

namespace Nabla.Tests.Ops;

// Movement primitives and their composites: reshape family, permute family, expand, narrow/slice/select, pad,
// cat/stack/split/chunk, contiguous/clone and dtype conversion.
internal static partial class OpDb
{
    private static R DropDim(R x, int dim)
    {
        int d = x.Norm(dim);
        return x.Shape[d] == 1 ? new R(x.Shape.Where((_, i) => i != d).ToArray(), x.Data) : x;
    }

    private static R InsertDim(R x, int at) => x.Reshape([.. x.Shape[..at], 1, .. x.Shape[at..]]);

    private static R ExpandRef(R x, int[] shape)
    {
        var y = R.Zeros(shape);
        foreach (var i in R.Indices(shape))
        {
            y[i] = x.AtBroadcast(i);
        }

        return y;
    }

    private static R PadRef(R x, (int Before, int After)[] pads, double value)
    {
        var shape = x.Shape.Select((s, i) => s + pads[i].Before + pads[i].After).ToArray();
        var y = R.Zeros(shape);
        Array.Fill(y.Data, value);
        foreach (var i in R.Indices(x.Shape))
        {
            y[i.Select((v, k) => v + pads[k].Before).ToArray()] = x[i];
        }

        return y;
    }

    private static R SwapRef(R x, int a, int b)
    {
        var p = Enumerable.Range(0, x.Rank).ToArray();
        (p[x.Norm(a)], p[x.Norm(b)]) = (p[x.Norm(b)], p[x.Norm(a)]);
        return x.Permute(p);
    }

    // Each piece i of a split is scaled by i + 1, so that the gradient tells the pieces apart.
    private static R ScalePiecesRef(R x, int dim, int size)
    {
        int d = x.Norm(dim);
        var y = R.Zeros(x.Shape);
        foreach (var i in R.Indices(x.Shape))
        {
            y[i] = x[i] * ((i[d] / size) + 1);
        }

        return y;
    }

    private static Tensor ScalePieces(Tensor[] parts, int dim) =>
        Tensor.Cat(parts.Select((p, i) => p * (i + 1.0)).ToArray(), dim);

    private static IEnumerable<OpCase> MovementCases()
    {
        yield return new("reshape", xs => xs[0].Reshape(-1, 2), rs => rs[0].Reshape(rs[0].Data.Length / 2, 2),
            [S(X(3, 4)), S(Xt(3, 4)), S(Xn(2, 3)), S(X(2, 3, 2)), S(Xe(2, 4)), S(X(0, 4))]);
        yield return new("reshape_view_flat", xs => xs[0].View(-1), rs => rs[0].Reshape(rs[0].Data.Length), ElementwiseSamples());
        yield return new("reshape_flatten", xs => xs[0].Flatten(1), rs => rs[0].Reshape(rs[0].Shape[0], rs[0].Shape[1] * rs[0].Shape[2]), Rank3Samples());
        yield return new("reshape_flatten_all", xs => xs[0].Flatten(), rs => rs[0].Reshape(rs[0].Data.Length), ElementwiseSamples());
        yield return new("reshape_squeeze", xs => xs[0].Squeeze(), rs => rs[0].Reshape(rs[0].Shape.Where(s => s != 1).ToArray()),
            [S(X(3, 1, 4, 1)), S(Xt(1, 3)), S(X(1, 1)), S(Xe(2, 1, 3)), S(X(0, 1))]);
        yield return new("reshape_squeeze_dim", xs => xs[0].Squeeze(1), rs => DropDim(rs[0], 1),
            [S(X(3, 1, 2)), S(X(3, 2)), S(Xt(2, 1)), S(X(0, 1))]);
        yield return new("reshape_unsqueeze", xs => xs[0].Unsqueeze(1), rs => InsertDim(rs[0], 1),
            [S(X(3, 4)), S(X(3)), S(Xt(3, 4)), S(X(0, 2))]);
        yield return new("reshape_unsqueeze_last", xs => xs[0].Unsqueeze(-1), rs => InsertDim(rs[0], rs[0].Rank), ElementwiseSamples());

        yield return new("permute", xs => xs[0].Permute(2, 0, 1), rs => rs[0].Permute(2, 0, 1), Rank3Samples());
        yield return new("permute_negative", xs => xs[0].Permute(-1, 0, -2), rs => rs[0].Permute(2, 0, 1), Rank3Samples());
        yield return new("permute_transpose", xs => xs[0].Transpose(0, -1), rs => SwapRef(rs[0], 0, -1), MatrixSamples());
        yield return new("permute_mt", xs => xs[0].MT, rs => SwapRef(rs[0], -2, -1), MatrixSamples());
        yield return new("permute_t", xs => xs[0].T, rs => rs[0].Rank < 2 ? rs[0] : SwapRef(rs[0], 0, 1),
            [S(X(3, 4)), S(X(5)), S(X()), S(Xt(3, 2)), S(X(0, 2))]);

        yield return new("expand", xs => xs[0].Expand(2, 3, 4), rs => ExpandRef(rs[0], [2, 3, 4]),
            [S(X(3, 1)), S(X(1)), S(X()), S(X(1, 4)), S(Xt(3, 1)), S(Xn(3, 1)), S(X(3, 4))]);
        yield return new("expand_keep", xs => xs[0].Expand(-1, 4), rs => ExpandRef(rs[0], [rs[0].Shape[0], 4]),
            [S(X(3, 1)), S(Xt(3, 1)), S(X(0, 1)), S(Xe(2, 1))]);
        yield return new("expand_as", xs => xs[0].ExpandAs(xs[1]), rs => ExpandRef(rs[0], rs[1].Shape),
            [S(X(3, 1), new I([2, 3, 2], 1)), S(X(2), new I([0, 2], 1))]);

        yield return new("narrow", xs => xs[0].Narrow(1, 1, 2), rs => rs[0].Narrow(1, 1, 2),
            [S(X(3, 4)), S(Xt(3, 4)), S(X(2, 3, 2)), S(Xe(2, 4)), S(X(0, 3)), S(Xn(2, 3))]);
        yield return new("narrow_empty", xs => xs[0].Narrow(0, 1, 0), rs => rs[0].Narrow(0, 1, 0), [S(X(3, 4)), S(Xt(2, 3))]);
        yield return new("narrow_slice", xs => xs[0].Slice(1, 1, -1), rs => rs[0].Narrow(1, 1, rs[0].Shape[1] - 2),
            [S(X(3, 4)), S(Xt(3, 5)), S(Xn(2, 4)), S(X(0, 3))]);
        yield return new("narrow_select", xs => xs[0].Select(1, -1), rs => DropDim(rs[0].Narrow(1, rs[0].Shape[1] - 1, 1), 1),
            [S(X(3, 4)), S(X(2, 3, 2)), S(Xt(3, 4)), S(Xe(2, 3)), S(X(0, 2))]);
        yield return new("narrow_indexer", xs => xs[0][1, 0], rs => DropDim(DropDim(rs[0].Narrow(0, 1, 1), 0).Narrow(0, 0, 1), 0),
            [S(X(3, 4)), S(X(2, 3, 2)), S(Xt(3, 4)), S(Xn(2, 2, 2))]);

        yield return new("pad", xs => xs[0].Pad([1, 2]), rs => PadRef(rs[0], [.. Enumerable.Repeat((0, 0), rs[0].Rank - 1), (1, 2)], 0),
            [S(X(3, 4)), S(X(3)), S(Xt(2, 3)), S(Xn(2, 2)), S(X(0, 2)), S(X(2, 0))]);
        yield return new("pad_2d_value", xs => xs[0].Pad([1, 0, 2, 1], 0.5), rs => PadRef(rs[0], [.. Enumerable.Repeat((0, 0), rs[0].Rank - 2), (2, 1), (1, 0)], 0.5),
            [S(X(2, 3)), S(Xt(2, 3)), S(X(2, 2, 2)), S(Xe(2, 2))]);
        yield return new("pad_pairs", xs => xs[0].Pad([(1, 0), (0, 2)], -1), rs => PadRef(rs[0], [(1, 0), (0, 2)], -1),
            [S(X(2, 3)), S(Xn(2, 2)), S(X(0, 0))]);

        yield return new("cat", xs => Tensor.Cat(xs, 1), rs => R.Cat(1, rs),
            [S(X(2, 3), X(2, 1)), S(Xt(2, 3), Xn(2, 2)), S(X(2, 0), X(2, 2)), S(X(0, 3), X(0, 2)), S(Xe(2, 3), X(2, 1), X(2, 2))]);
        yield return new("cat_dim0", xs => Tensor.Cat(xs), rs => R.Cat(0, rs),
            [S(X(2, 3), X(1, 3), X(3, 3)), S(X(3), X(2)), S(Xt(2, 2), X(0, 2))]);
        yield return new("stack", xs => Tensor.Stack(xs, 1), rs => R.Cat(1, rs.Select(r => InsertDim(r, 1)).ToArray()),
            [S(X(2, 3), X(2, 3)), S(Xt(2, 3), Xn(2, 3), Xe(2, 3)), S(X(0, 3), X(0, 3)), S(X(3), X(3))]);
        yield return new("stack_scalars", xs => Tensor.Stack(xs), rs => R.Cat(0, rs.Select(r => InsertDim(r, 0)).ToArray()),
            [S(X(), X(), X())]);
        yield return new("narrow_split", xs => ScalePieces(xs[0].Split(2, 1), 1), rs => ScalePiecesRef(rs[0], 1, 2),
            [S(X(3, 5)), S(Xt(3, 5)), S(X(2, 4)), S(Xn(2, 3)), S(X(0, 5))]);
        yield return new("narrow_chunk", xs => ScalePieces(xs[0].Chunk(2, 0), 0), rs => ScalePiecesRef(rs[0], 0, (rs[0].Shape[0] + 1) / 2),
            [S(X(3, 2)), S(Xt(5, 2)), S(X(4)), S(Xe(2, 3))]);

        yield return new("contiguous", xs => xs[0].Contiguous(), rs => rs[0], ElementwiseSamples());
        yield return new("contiguous_clone", xs => xs[0].Clone(), rs => rs[0], ElementwiseSamples());

        // Dyadic values and a power-of-two step make the float32 round trip exact, so finite differences are too.
        var dyadic = ElementwiseSamples().Select(s => s.Select(a => (Arg)((F)a with { Dyadic = true })).ToArray()).ToArray();
        yield return new("to", xs => xs[0].To(xs[0].DType == DType.Float32 ? DType.Float64 : DType.Float32).To(xs[0].DType), rs => rs[0], dyadic)
        {
            GradEps = 1.0 / 1024,
        };
        yield return new("to_float32", xs => xs[0].To(DType.Float32), rs => rs[0], dyadic)
        {
            GradEps = 1.0 / 1024,
            KeepsDType = false,
        };
        yield return new("to_float64", xs => xs[0].To(DType.Float64), rs => rs[0], ElementwiseSamples()) { KeepsDType = false };
        yield return new("to_int64", xs => xs[0].To(DType.Int64), rs => rs[0].Map(Math.Truncate), Domain(ElementwiseSamples(), -5, 5))
        {
            Differentiable = false,
            KeepsDType = false,
        };
    }
}
