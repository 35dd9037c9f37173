namespace Nabla.Tests.Reference;

/// <summary>
/// A naive double-precision n-d array for reference implementations: row-major data plus a shape, and plain
/// loops. Written independently of Nabla's kernels (no strides, no views, no SIMD) so that it can serve as an
/// oracle; slow on purpose.
/// </summary>
internal sealed class R
{
    public R(int[] shape, double[] data)
    {
        Shape = shape;
        Data = data;
        if (Numel(shape) != data.Length)
        {
            throw new ArgumentException($"R: {data.Length} values for shape [{string.Join(", ", shape)}]");
        }
    }

    public int[] Shape { get; }

    public double[] Data { get; }

    public int Rank => Shape.Length;

    public static R Of(Tensor t) => new(t.Shape.ToArray(), t.ToDoubleArray());

    public static R Zeros(int[] shape) => new(shape, new double[Numel(shape)]);

    public static R Scalar(double v) => new([], [v]);

    public static int Numel(int[] shape)
    {
        int n = 1;
        foreach (var d in shape)
        {
            n *= d;
        }

        return n;
    }

    public int Norm(int dim) => dim < 0 ? dim + Rank : dim;

    /// <summary>Flat row-major position of a multi-index.</summary>
    public int Flat(int[] idx)
    {
        int p = 0;
        for (int i = 0; i < Rank; i++)
        {
            p = (p * Shape[i]) + idx[i];
        }

        return p;
    }

    public double this[int[] idx]
    {
        get => Data[Flat(idx)];
        set => Data[Flat(idx)] = value;
    }

    /// <summary>All multi-indices of a shape in row-major order (none for a zero-size shape).</summary>
    public static IEnumerable<int[]> Indices(int[] shape)
    {
        int n = Numel(shape);
        var idx = new int[shape.Length];
        for (int p = 0; p < n; p++)
        {
            yield return (int[])idx.Clone();
            for (int k = shape.Length - 1; k >= 0; k--)
            {
                if (++idx[k] < shape[k])
                {
                    break;
                }

                idx[k] = 0;
            }
        }
    }

    /// <summary>The element that broadcasting maps the output index <paramref name="outIdx"/> to.</summary>
    public double AtBroadcast(int[] outIdx)
    {
        var own = new int[Rank];
        int lead = outIdx.Length - Rank;
        for (int i = 0; i < Rank; i++)
        {
            own[i] = Shape[i] == 1 ? 0 : outIdx[lead + i];
        }

        return this[own];
    }

    public static int[] BroadcastShape(params int[][] shapes)
    {
        int r = shapes.Max(s => s.Length);
        var o = new int[r];
        for (int i = 0; i < r; i++)
        {
            o[i] = 1;
            foreach (var s in shapes)
            {
                int d = i - (r - s.Length) >= 0 ? s[i - (r - s.Length)] : 1;
                if (d != 1)
                {
                    o[i] = d;
                }
            }
        }

        return o;
    }

    public R Map(Func<double, double> f) => new(Shape, Data.Select(f).ToArray());

    public static R Zip(R a, R b, Func<double, double, double> f)
    {
        var shape = BroadcastShape(a.Shape, b.Shape);
        var y = Zeros(shape);
        foreach (var i in Indices(shape))
        {
            y[i] = f(a.AtBroadcast(i), b.AtBroadcast(i));
        }

        return y;
    }

    /// <summary>
    /// Applies <paramref name="f"/> to every 1-D fiber along <paramref name="dim"/>. f returns a fiber of the same
    /// length or, when <paramref name="reduces"/>, one value (the dim then becomes size 1, or is dropped unless
    /// <paramref name="keep"/>).
    /// </summary>
    public R AlongDim(int dim, Func<double[], double[]> f, bool reduces = false, bool keep = true)
    {
        int d = Norm(dim);
        int n = Shape[d];
        var outer = Shape.Where((_, i) => i != d).ToArray();
        var y = Zeros(Shape.Select((s, i) => i == d && reduces ? 1 : s).ToArray());
        foreach (var o in Indices(outer))
        {
            var fiber = new double[n];
            var full = new int[Rank];
            for (int i = 0, k = 0; i < Rank; i++)
            {
                full[i] = i == d ? 0 : o[k++];
            }

            for (int j = 0; j < n; j++)
            {
                full[d] = j;
                fiber[j] = this[full];
            }

            var r = f(fiber);
            for (int j = 0; j < r.Length; j++)
            {
                full[d] = j;
                y[full] = r[j];
            }
        }

        return keep || !reduces ? y : new R(y.Shape.Where((_, i) => i != d).ToArray(), y.Data);
    }

    /// <summary>Reduces over <paramref name="dims"/> (all when empty) with <paramref name="f"/> over the gathered values.</summary>
    public R Reduce(int[] dims, bool keep, Func<double[], double> f)
    {
        var red = new bool[Rank];
        foreach (var d in dims.Length == 0 ? Enumerable.Range(0, Rank).ToArray() : dims)
        {
            red[Norm(d)] = true;
        }

        var kept = Shape.Select((s, i) => red[i] ? 1 : s).ToArray();
        var groups = new List<double>[Numel(kept)];
        for (int g = 0; g < groups.Length; g++)
        {
            groups[g] = [];
        }

        var keptR = Zeros(kept);
        foreach (var i in Indices(Shape))
        {
            var k = i.Select((v, j) => red[j] ? 0 : v).ToArray();
            groups[keptR.Flat(k)].Add(this[i]);
        }

        var y = new R(kept, groups.Select(g => f(g.ToArray())).ToArray());
        return keep ? y : new R(Shape.Where((_, i) => !red[i]).ToArray(), y.Data);
    }

    /// <summary>Row-major copy in a new shape of the same element count.</summary>
    public R Reshape(params int[] shape) => new(shape, (double[])Data.Clone());

    /// <summary>y[i₀..] = x[i at perm]: y's dim k is x's dim perm[k].</summary>
    public R Permute(params int[] perm)
    {
        var shape = perm.Select(p => Shape[p]).ToArray();
        var y = Zeros(shape);
        foreach (var i in Indices(shape))
        {
            var src = new int[Rank];
            for (int k = 0; k < Rank; k++)
            {
                src[perm[k]] = i[k];
            }

            y[i] = this[src];
        }

        return y;
    }

    /// <summary>Elements [start, start+len) along dim.</summary>
    public R Narrow(int dim, int start, int len)
    {
        int d = Norm(dim);
        var shape = Shape.Select((s, i) => i == d ? len : s).ToArray();
        var y = Zeros(shape);
        foreach (var i in Indices(shape))
        {
            var src = (int[])i.Clone();
            src[d] += start;
            y[i] = this[src];
        }

        return y;
    }

    /// <summary>Concatenation along dim.</summary>
    public static R Cat(int dim, params R[] xs)
    {
        int d = xs[0].Norm(dim);
        var shape = (int[])xs[0].Shape.Clone();
        shape[d] = xs.Sum(x => x.Shape[d]);
        var y = Zeros(shape);
        int at = 0;
        foreach (var x in xs)
        {
            foreach (var i in Indices(x.Shape))
            {
                var dst = (int[])i.Clone();
                dst[d] += at;
                y[dst] = x[i];
            }

            at += x.Shape[d];
        }

        return y;
    }

    /// <summary>Batched matrix product with broadcast batch dims (both operands rank ≥ 2).</summary>
    public static R MatMul(R a, R b)
    {
        int m = a.Shape[^2], k = a.Shape[^1], n = b.Shape[^1];
        var batch = BroadcastShape(a.Shape[..^2], b.Shape[..^2]);
        var y = Zeros([.. batch, m, n]);
        foreach (var bi in Indices(batch))
        {
            for (int i = 0; i < m; i++)
            {
                for (int j = 0; j < n; j++)
                {
                    double s = 0;
                    for (int p = 0; p < k; p++)
                    {
                        s += a.AtBroadcast([.. bi, i, p]) * b.AtBroadcast([.. bi, p, j]);
                    }

                    y[[.. bi, i, j]] = s;
                }
            }
        }

        return y;
    }

    /// <summary>erf by its Maclaurin series (|x| ≤ 3 keeps the cancellation below ~1e-13).</summary>
    public static double Erf(double x)
    {
        if (Math.Abs(x) > 3)
        {
            throw new ArgumentOutOfRangeException(nameof(x), "reference erf is only accurate for |x| <= 3");
        }

        double sum = 0, term = x;
        for (int n = 0; n < 200; n++)
        {
            sum += term / ((2 * n) + 1);
            term *= -x * x / (n + 1);
            if (Math.Abs(term) < 1e-300)
            {
                break;
            }
        }

        return 2 / Math.Sqrt(Math.PI) * sum;
    }
}
