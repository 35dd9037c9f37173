using Nabla.Ops;
using Nabla.Ops.Kernels;
using Nabla.Tests.Reference;

namespace Nabla.Tests.Ops;

// Pooling primitives and their adjoints (Note [Pooling adjoints] in Ops/Pooling.cs), against windows written out
// from PyTorch's definitions: window o along an axis covers o·s − p + t·d for t < k, clipped to the input.
internal static partial class OpDb
{
    private static int PoolOut(int n, int k, int s, int p, int d) => ((n + (2 * p) - (d * (k - 1)) - 1) / s) + 1;

    private static PoolPlan MaxPlan(int h, int w, int k, int s, int p, int d) =>
        new(PoolAxis.Max(h, k, s, p, d, PoolOut(h, k, s, p, d)), PoolAxis.Max(w, k, s, p, d, PoolOut(w, k, s, p, d)), $"max k{k} s{s} p{p} d{d}");

    private static PoolPlan AvgPlan(int h, int w, int k, int s, int p, bool countPad) =>
        new(PoolAxis.Avg(h, k, s, p, PoolOut(h, k, s, p, 1)), PoolAxis.Avg(w, k, s, p, PoolOut(w, k, s, p, 1)), $"avg k{k} s{s} p{p}", countPad);

    // The in-input positions of window o along one axis.
    private static int[] Window(int o, int n, int k, int s, int p, int d) =>
        Enumerable.Range(0, k).Select(t => (o * s) - p + (t * d)).Where(i => i >= 0 && i < n).ToArray();

    private static int[] AdaptiveWindow(int o, int n, int outSize) =>
        Enumerable.Range(o * n / outSize, (((o + 1) * n) + outSize - 1) / outSize - (o * n / outSize)).ToArray();

    /// <summary>y[n,c,i,j] = f(values of x[n,c] over rows(i) × cols(j), divisor(i, j)).</summary>
    private static R PoolRef(R x, int oh, int ow, Func<int, int[]> rows, Func<int, int[]> cols, Func<double[], int, int, double> f)
    {
        var y = R.Zeros([x.Shape[0], x.Shape[1], oh, ow]);
        foreach (var i in R.Indices(y.Shape))
        {
            var v = rows(i[2]).SelectMany(h => cols(i[3]).Select(w => x[[i[0], i[1], h, w]])).ToArray();
            y[i] = f(v, i[2], i[3]);
        }

        return y;
    }

    private static R MaxPoolRef(R x, int k, int s, int p, int d)
    {
        int h = x.Shape[2], w = x.Shape[3];
        return PoolRef(x, PoolOut(h, k, s, p, d), PoolOut(w, k, s, p, d), o => Window(o, h, k, s, p, d), o => Window(o, w, k, s, p, d), (v, _, _) => v.Max());
    }

    private static R AvgPoolRef(R x, int k, int s, int p, bool countPad)
    {
        int h = x.Shape[2], w = x.Shape[3];
        return PoolRef(x, PoolOut(h, k, s, p, 1), PoolOut(w, k, s, p, 1), o => Window(o, h, k, s, p, 1), o => Window(o, w, k, s, p, 1),
            (v, _, _) => v.Sum() / (countPad ? k * k : v.Length));
    }

    private static IEnumerable<OpCase> PoolCases()
    {
        // Max windows overlap (stride 1) and pad; random values have no ties, so the argmax is differentiable.
        yield return new("max_pool2d", xs => new MaxPool2d(MaxPlan(xs[0].Shape[2], xs[0].Shape[3], 2, 1, 1, 1)).Apply(xs[0]).Values,
            rs => MaxPoolRef(rs[0], 2, 1, 1, 1),
            [S(X(1, 2, 3, 3)), S(Xt(2, 1, 3, 4)), S(Xn(1, 2, 2, 3)), S(X(0, 2, 3, 3))]);
        yield return new("max_pool2d_strided_dilated", xs => new MaxPool2d(MaxPlan(xs[0].Shape[2], xs[0].Shape[3], 2, 2, 1, 2)).Apply(xs[0]).Values,
            rs => MaxPoolRef(rs[0], 2, 2, 1, 2),
            [S(X(1, 2, 5, 4)), S(Xt(1, 1, 4, 5))]);
        yield return new("max_pool2d_backward", xs =>
            {
                // The adjoint of max pooling at fixed indices (those of a fixed, tie-free input).
                var plan = MaxPlan(3, 4, 2, 1, 0, 1);
                var idx = new MaxPool2d(plan).Apply(Tensor.Arange(0, 24, 1, DType.Float64).Sin().Reshape(1, 2, 3, 4)).Indices!;
                return new MaxPool2dBackward(new Shape(1, 2, 3, 4)).Apply(xs[0], idx);
            },
            rs =>
            {
                var x = R.Zeros([1, 2, 3, 4]);
                for (int i = 0; i < x.Data.Length; i++)
                {
                    x.Data[i] = Math.Sin(i);
                }

                var dx = R.Zeros(x.Shape);
                foreach (var i in R.Indices(rs[0].Shape))
                {
                    var cells = Window(i[2], 3, 2, 1, 0, 1).SelectMany(h => Window(i[3], 4, 2, 1, 0, 1).Select(w => (h, w))).ToArray();
                    var (bh, bw) = cells.MaxBy(c => x[[i[0], i[1], c.h, c.w]]);
                    dx[[i[0], i[1], bh, bw]] += rs[0][i];
                }

                return dx;
            },
            [S(X(1, 2, 2, 3)), S(Xt(1, 2, 2, 3))]);

        yield return new("avg_pool2d", xs => new AvgPool2d(AvgPlan(xs[0].Shape[2], xs[0].Shape[3], 2, 2, 1, true)).Apply(xs[0]),
            rs => AvgPoolRef(rs[0], 2, 2, 1, true),
            [S(X(1, 2, 3, 3)), S(Xt(2, 1, 3, 4)), S(Xe(2, 2, 4, 2)), S(X(0, 1, 2, 2))]);
        yield return new("avg_pool2d_exclude_pad", xs => new AvgPool2d(AvgPlan(xs[0].Shape[2], xs[0].Shape[3], 3, 1, 1, false)).Apply(xs[0]),
            rs => AvgPoolRef(rs[0], 3, 1, 1, false),
            [S(X(1, 1, 3, 4)), S(Xn(1, 2, 2, 3))]);
        yield return new("avg_pool2d_adaptive", xs =>
                new AvgPool2d(new PoolPlan(PoolAxis.Adaptive(xs[0].Shape[2], 2), PoolAxis.Adaptive(xs[0].Shape[3], 3), "adaptive (2, 3)")).Apply(xs[0]),
            rs => PoolRef(rs[0], 2, 3, o => AdaptiveWindow(o, rs[0].Shape[2], 2), o => AdaptiveWindow(o, rs[0].Shape[3], 3), (v, _, _) => v.Average()),
            [S(X(1, 2, 5, 4)), S(Xt(1, 1, 3, 7))]);
        yield return new("avg_pool2d_backward", xs => new AvgPool2dBackward(AvgPlan(3, 4, 2, 1, 1, true), new Shape(1, 2, 3, 4)).Apply(xs[0]),
            rs =>
            {
                // Aᵀ dy: every dy / k² goes to each in-input cell of its window.
                var dx = R.Zeros([1, 2, 3, 4]);
                foreach (var i in R.Indices(rs[0].Shape))
                {
                    foreach (var h in Window(i[2], 3, 2, 1, 1, 1))
                    {
                        foreach (var w in Window(i[3], 4, 2, 1, 1, 1))
                        {
                            dx[[i[0], i[1], h, w]] += rs[0][i] / 4;
                        }
                    }
                }

                return dx;
            },
            [S(X(1, 2, 4, 5)), S(Xt(1, 2, 4, 5))]);
    }
}
