using Nabla.Ops;
using Nabla.Ops.Kernels;
using Nabla.Tests.Reference;

namespace Nabla.Tests.Ops;

// The convolution primitive and its two adjoints (Note [Convolution adjoints] in Ops/Convolution.cs), against one
// naive loop over the index relation they share.
internal static partial class OpDb
{
    /// <summary>
    /// Calls body(xIndex, wIndex, yIndex) for every (input, weight, output) triple that one multiply-add of the
    /// convolution joins: y[n,o,i,j] += w[o,c,ki,kj]·x[n, group·C/G + c, i·s − p + ki·d, j·s − p + kj·d].
    /// </summary>
    private static void ConvRelation(int[] x, int[] w, ConvGeometry g, Action<int[], int[], int[]> body)
    {
        int n = x[0], h = x[2], wd = x[3], o = w[0], cg = w[1];
        int oh = g.OutH(h), ow = g.OutW(wd), og = o / g.Groups;
        for (int b = 0; b < n; b++)
        {
            for (int oc = 0; oc < o; oc++)
            {
                for (int i = 0; i < oh; i++)
                {
                    for (int j = 0; j < ow; j++)
                    {
                        for (int c = 0; c < cg; c++)
                        {
                            for (int ki = 0; ki < g.KernelH; ki++)
                            {
                                for (int kj = 0; kj < g.KernelW; kj++)
                                {
                                    int hi = (i * g.StrideH) - g.PadH + (ki * g.DilationH);
                                    int wi = (j * g.StrideW) - g.PadW + (kj * g.DilationW);
                                    if (hi >= 0 && hi < h && wi >= 0 && wi < wd)
                                    {
                                        body([b, ((oc / og) * cg) + c, hi, wi], [oc, c, ki, kj], [b, oc, i, j]);
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    private static int[] ConvOut(int[] x, int[] w, ConvGeometry g) => [x[0], w[0], g.OutH(x[2]), g.OutW(x[3])];

    private static R ConvRef(R x, R w, R? b, ConvGeometry g)
    {
        var y = R.Zeros(ConvOut(x.Shape, w.Shape, g));
        foreach (var i in R.Indices(y.Shape))
        {
            y[i] = b is null ? 0 : b.Data[i[1]];
        }

        ConvRelation(x.Shape, w.Shape, g, (xi, wi, yi) => y[yi] += x[xi] * w[wi]);
        return y;
    }

    private static R ConvInputGradRef(R dy, R w, int[] xShape, ConvGeometry g)
    {
        var dx = R.Zeros(xShape);
        ConvRelation(xShape, w.Shape, g, (xi, wi, yi) => dx[xi] += dy[yi] * w[wi]);
        return dx;
    }

    private static R ConvWeightGradRef(R x, R dy, int[] wShape, ConvGeometry g)
    {
        var dw = R.Zeros(wShape);
        ConvRelation(x.Shape, wShape, g, (xi, wi, yi) => dw[wi] += x[xi] * dy[yi]);
        return dw;
    }

    private static ConvGeometry Geo(int k, int stride = 1, int pad = 0, int dilation = 1, int groups = 1, int? kw = null) =>
        new(k, kw ?? k, stride, stride, pad, pad, dilation, dilation, groups);

    private static IEnumerable<OpCase> ConvCases()
    {
        var basic = Geo(2, pad: 1);
        yield return new("conv2d", xs => new Conv2d(basic).Apply(xs[0], xs[1], xs[2]), rs => ConvRef(rs[0], rs[1], rs[2], basic),
            [S(X(1, 2, 3, 3), X(2, 2, 2, 2), X(2)), S(Xt(1, 2, 3, 3), Xn(2, 2, 2, 2), Xe(2)), S(X(0, 2, 3, 3), X(2, 2, 2, 2), X(2))]);

        var odd = Geo(2, stride: 2, pad: 1, dilation: 2, groups: 2, kw: 1);
        yield return new("conv2d_strided_grouped", xs => new Conv2d(odd).Apply(xs[0], xs[1], null), rs => ConvRef(rs[0], rs[1], null, odd),
            [S(X(2, 2, 4, 3), X(2, 1, 2, 1)), S(Xe(2, 2, 4, 3), Xt(2, 1, 2, 1))]);

        // Stride 2 over a height of 5 leaves the last row out of every window: its gradient must be zero.
        var s2 = Geo(2, stride: 2);
        int[] xShape = [1, 2, 5, 5];
        yield return new("conv2d_input_grad", xs => new Conv2dInputGrad(s2, new Shape(xShape)).Apply(xs[0], xs[1]),
            rs => ConvInputGradRef(rs[0], rs[1], xShape, s2),
            [S(X(1, 3, 2, 2), X(3, 2, 2, 2)), S(Xt(1, 3, 2, 2), Xn(3, 2, 2, 2))]);

        var k2 = Geo(2);
        int[] wShape = [3, 2, 2, 2];
        yield return new("conv2d_weight_grad", xs => new Conv2dWeightGrad(k2, new Shape(wShape)).Apply(xs[0], xs[1]),
            rs => ConvWeightGradRef(rs[0], rs[1], wShape, k2),
            [S(X(1, 2, 3, 3), X(1, 3, 2, 2)), S(Xn(2, 2, 3, 3), Xt(2, 3, 2, 2))]);
    }
}
