using Nabla.Ops;
using Nabla.Ops.Kernels;
using Nabla.Tests.Reference;

namespace Nabla.Tests.Ops;

// The 3-D convolution and its adjoints, and 3-D pooling with its adjoints (Ops/Convolution3d.cs, Ops/Pooling3d.cs),
// against naive loops written from PyTorch's definitions: a single index relation for the three convolution ops, and
// window o along an axis covering o·s − p + t·d for t < k, clipped to the input.
internal static partial class OpDb
{
    /// <summary>
    /// Calls body(xIndex, wIndex, yIndex) for every multiply-add of the 3-D convolution:
    /// y[n,o,i,j,l] += w[o,c,a,b,e]·x[n, group·C/G + c, i·sD − pD + a·dD, j·sH − pH + b·dH, l·sW − pW + e·dW].
    /// </summary>
    private static void Conv3dRelation(int[] x, int[] w, Conv3dGeometry g, Action<int[], int[], int[]> body)
    {
        var o = g.Out(x[2], x[3], x[4]);
        int og = w[0] / g.Groups, cg = w[1];
        foreach (var yi in R.Indices([x[0], w[0], o.D, o.H, o.W]))
        {
            foreach (var wi in R.Indices([1, cg, w[2], w[3], w[4]]))
            {
                int d = (yi[2] * g.Stride.D) - g.Padding.D + (wi[2] * g.Dilation.D);
                int h = (yi[3] * g.Stride.H) - g.Padding.H + (wi[3] * g.Dilation.H);
                int v = (yi[4] * g.Stride.W) - g.Padding.W + (wi[4] * g.Dilation.W);
                if (d >= 0 && d < x[2] && h >= 0 && h < x[3] && v >= 0 && v < x[4])
                {
                    body([yi[0], ((yi[1] / og) * cg) + wi[1], d, h, v], [yi[1], wi[1], wi[2], wi[3], wi[4]], yi);
                }
            }
        }
    }

    private static R Conv3dRef(R x, R w, R? b, Conv3dGeometry g)
    {
        var o = g.Out(x.Shape[2], x.Shape[3], x.Shape[4]);
        var y = R.Zeros([x.Shape[0], w.Shape[0], o.D, o.H, o.W]);
        foreach (var i in R.Indices(y.Shape))
        {
            y[i] = b is null ? 0 : b.Data[i[1]];
        }

        Conv3dRelation(x.Shape, w.Shape, g, (xi, wi, yi) => y[yi] += x[xi] * w[wi]);
        return y;
    }

    private static Conv3dGeometry Geo3((int, int, int) k, (int, int, int) s, (int, int, int) p, (int, int, int) d, int groups = 1) => new(k, s, p, d, groups);

    private static IEnumerable<OpCase> VolumeConvCases()
    {
        var basic = Geo3((2, 2, 2), (1, 1, 1), (1, 0, 1), (1, 1, 1));
        yield return new("conv3d", xs => new Conv3d(basic).Apply(xs[0], xs[1], xs[2]), rs => Conv3dRef(rs[0], rs[1], rs[2], basic),
            [S(X(1, 2, 2, 3, 2), X(2, 2, 2, 2, 2), X(2)), S(Xt(1, 2, 3, 2, 3), Xn(2, 2, 2, 2, 2), Xe(2)), S(X(0, 2, 2, 3, 2), X(2, 2, 2, 2, 2), X(2))]);

        var odd = Geo3((2, 1, 2), (2, 1, 2), (1, 0, 1), (1, 1, 2), groups: 2);
        yield return new("conv3d_strided_grouped_dilated", xs => new Conv3d(odd).Apply(xs[0], xs[1], null), rs => Conv3dRef(rs[0], rs[1], null, odd),
            [S(X(1, 2, 3, 2, 4), X(2, 1, 2, 1, 2)), S(Xe(2, 2, 3, 2, 4), Xt(2, 1, 2, 1, 2))]);

        // Stride 2 over a depth of 5 leaves the last plane out of every window: its gradient must be zero.
        var s2 = Geo3((2, 2, 1), (2, 1, 1), (0, 0, 0), (1, 1, 1));
        int[] xShape = [1, 2, 5, 3, 2];
        yield return new("conv3d_input_grad", xs => new Conv3dInputGrad(s2, new Shape(xShape)).Apply(xs[0], xs[1]),
            rs =>
            {
                var dx = R.Zeros(xShape);
                Conv3dRelation(xShape, rs[1].Shape, s2, (xi, wi, yi) => dx[xi] += rs[0][yi] * rs[1][wi]);
                return dx;
            },
            [S(X(1, 3, 2, 2, 2), X(3, 2, 2, 2, 1)), S(Xt(1, 3, 2, 2, 2), Xn(3, 2, 2, 2, 1))]);

        var k2 = Geo3((2, 1, 2), (1, 1, 1), (0, 1, 0), (1, 1, 1));
        int[] wShape = [3, 2, 2, 1, 2];
        yield return new("conv3d_weight_grad", xs => new Conv3dWeightGrad(k2, new Shape(wShape)).Apply(xs[0], xs[1]),
            rs =>
            {
                var dw = R.Zeros(wShape);
                Conv3dRelation(rs[0].Shape, wShape, k2, (xi, wi, yi) => dw[wi] += rs[0][xi] * rs[1][yi]);
                return dw;
            },
            [S(X(1, 2, 3, 2, 3), X(1, 3, 2, 4, 2)), S(Xn(2, 2, 3, 2, 3), Xt(2, 3, 2, 4, 2))]);
    }

    // Windows of 3-D pooling per axis, written as PyTorch defines them.
    private static PoolPlan3d Max3(int[] x, int k, int s, int p, int d) =>
        new(new PoolAxes3d(PoolAxis.Max(x[2], k, s, p, d, PoolOut(x[2], k, s, p, d)), PoolAxis.Max(x[3], k, s, p, d, PoolOut(x[3], k, s, p, d)),
            PoolAxis.Max(x[4], k, s, p, d, PoolOut(x[4], k, s, p, d))), $"max k{k} s{s} p{p} d{d}");

    private static PoolPlan3d Avg3(int[] x, int k, int s, int p, bool countPad) =>
        new(new PoolAxes3d(PoolAxis.Avg(x[2], k, s, p, PoolOut(x[2], k, s, p, 1)), PoolAxis.Avg(x[3], k, s, p, PoolOut(x[3], k, s, p, 1)),
            PoolAxis.Avg(x[4], k, s, p, PoolOut(x[4], k, s, p, 1))), $"avg k{k} s{s} p{p}", countPad);

    /// <summary>y[n,c,i,j,l] = f(values of x[n,c] over window(axis, index) for the three axes).</summary>
    private static R Pool3dRef(R x, int[] outDhw, Func<int, int, int[]> window, Func<double[], double> f)
    {
        var y = R.Zeros([x.Shape[0], x.Shape[1], .. outDhw]);
        foreach (var i in R.Indices(y.Shape))
        {
            var v = window(0, i[2]).SelectMany(d => window(1, i[3]).SelectMany(h => window(2, i[4]).Select(w => x[[i[0], i[1], d, h, w]]))).ToArray();
            y[i] = f(v);
        }

        return y;
    }

    private static R MaxPool3dRef(R x, int k, int s, int p, int d) =>
        Pool3dRef(x, [.. x.Shape[2..].Select(n => PoolOut(n, k, s, p, d))], (a, o) => Window(o, x.Shape[2 + a], k, s, p, d), v => v.Max());

    private static R AvgPool3dRef(R x, int k, int s, int p, bool countPad) =>
        Pool3dRef(x, [.. x.Shape[2..].Select(n => PoolOut(n, k, s, p, 1))], (a, o) => Window(o, x.Shape[2 + a], k, s, p, 1),
            v => v.Sum() / (countPad ? k * k * k : v.Length));

    private static IEnumerable<OpCase> VolumePoolCases()
    {
        // Max windows overlap (stride 1) and pad; random values have no ties, so the argmax is differentiable.
        yield return new("max_pool3d", xs => new MaxPool3d(Max3(xs[0].Shape.ToArray(), 2, 1, 1, 1)).Apply(xs[0]).Values,
            rs => MaxPool3dRef(rs[0], 2, 1, 1, 1), [S(X(1, 2, 2, 3, 2)), S(Xt(1, 1, 2, 3, 3)), S(X(0, 2, 2, 2, 2))]);
        yield return new("max_pool3d_strided_dilated", xs => new MaxPool3d(Max3(xs[0].Shape.ToArray(), 2, 2, 1, 2)).Apply(xs[0]).Values,
            rs => MaxPool3dRef(rs[0], 2, 2, 1, 2), [S(X(1, 1, 4, 3, 5)), S(Xn(1, 2, 3, 4, 3))]);
        yield return new("max_pool3d_backward", xs =>
            {
                // The adjoint of max pooling at fixed indices (those of a fixed, tie-free input).
                var idx = new MaxPool3d(Max3([1, 2, 2, 3, 3], 2, 1, 0, 1)).Apply(Tensor.Arange(0, 36, 1, DType.Float64).Sin().Reshape(1, 2, 2, 3, 3)).Indices;
                return new MaxPool3dBackward(new Shape(1, 2, 2, 3, 3)).Apply(xs[0], idx);
            },
            rs =>
            {
                var dx = R.Zeros([1, 2, 2, 3, 3]);
                foreach (var i in R.Indices(rs[0].Shape))
                {
                    var cells = Window(i[2], 2, 2, 1, 0, 1).SelectMany(d => Window(i[3], 3, 2, 1, 0, 1).SelectMany(h => Window(i[4], 3, 2, 1, 0, 1).Select(w => (d, h, w))));
                    var (bd, bh, bw) = cells.MaxBy(c => Math.Sin((((((i[1] * 2) + c.d) * 3) + c.h) * 3) + c.w));
                    dx[[0, i[1], bd, bh, bw]] += rs[0][i];
                }

                return dx;
            },
            [S(X(1, 2, 1, 2, 2)), S(Xt(1, 2, 1, 2, 2))]);

        yield return new("avg_pool3d", xs => new AvgPool3d(Avg3(xs[0].Shape.ToArray(), 2, 2, 1, true)).Apply(xs[0]),
            rs => AvgPool3dRef(rs[0], 2, 2, 1, true), [S(X(1, 2, 3, 2, 3)), S(Xt(2, 1, 2, 3, 4)), S(Xe(2, 1, 2, 2, 2)), S(X(0, 1, 2, 2, 2))]);
        yield return new("avg_pool3d_exclude_pad", xs => new AvgPool3d(Avg3(xs[0].Shape.ToArray(), 3, 1, 1, false)).Apply(xs[0]),
            rs => AvgPool3dRef(rs[0], 3, 1, 1, false), [S(X(1, 1, 2, 3, 4)), S(Xn(1, 2, 2, 2, 3))]);
        yield return new("avg_pool3d_adaptive", xs =>
            {
                var s = xs[0].Shape;
                var axes = new PoolAxes3d(PoolAxis.Adaptive(s[2], 2), PoolAxis.Adaptive(s[3], 3), PoolAxis.Adaptive(s[4], 2));
                return new AvgPool3d(new PoolPlan3d(axes, "adaptive (2, 3, 2)", CountIncludePad: false)).Apply(xs[0]);
            },
            rs => Pool3dRef(rs[0], [2, 3, 2], (a, o) => AdaptiveWindow(o, rs[0].Shape[2 + a], a == 1 ? 3 : 2), v => v.Average()),
            [S(X(1, 2, 3, 5, 4)), S(Xt(1, 1, 5, 2, 3))]);
        yield return new("avg_pool3d_backward", xs => new AvgPool3dBackward(Avg3([1, 2, 3, 2, 3], 2, 1, 1, true), new Shape(1, 2, 3, 2, 3)).Apply(xs[0]),
            rs =>
            {
                // Aᵀ dy: every dy / k³ goes to each in-input cell of its window.
                int[] n = [3, 2, 3];
                var dx = R.Zeros([1, 2, 3, 2, 3]);
                foreach (var i in R.Indices(rs[0].Shape))
                {
                    foreach (var (d, h, w) in Window(i[2], n[0], 2, 1, 1, 1).SelectMany(d => Window(i[3], n[1], 2, 1, 1, 1).SelectMany(h => Window(i[4], n[2], 2, 1, 1, 1).Select(w => (d, h, w)))))
                    {
                        dx[[0, i[1], d, h, w]] += rs[0][i] / 8;
                    }
                }

                return dx;
            },
            [S(X(1, 2, 4, 3, 4)), S(Xt(1, 2, 4, 3, 4))]);
    }
}
