using Nabla.Ops;
using Nabla.Tests.Reference;

namespace Nabla.Tests.Ops;

// The fused batch-norm primitive against plain loops: per channel (dim 1), mean and biased variance over
// every other dimension, y = (x − μ)/√(σ² + ε)·γ + β.
internal static partial class OpDb
{
    private static R BatchNormRef(R x, R? gamma, R? beta, double eps)
    {
        int c = x.Shape[1];
        var y = (double[])x.Data.Clone();
        int s = x.Data.Length / (x.Shape[0] * c);
        for (int ch = 0; ch < c; ch++)
        {
            var idx = Enumerable.Range(0, x.Shape[0]).SelectMany(n => Enumerable.Range(((n * c) + ch) * s, s)).ToArray();
            double m = idx.Average(i => x.Data[i]);
            double v = idx.Average(i => (x.Data[i] - m) * (x.Data[i] - m));
            foreach (var i in idx)
            {
                y[i] = ((x.Data[i] - m) / Math.Sqrt(v + eps) * (gamma?.Data[ch] ?? 1)) + (beta?.Data[ch] ?? 0);
            }
        }

        return new R(x.Shape, y);
    }

    // y = x·Wᵀ + b with plain loops.
    private static R LinearRef(R x, R w, R? b)
    {
        int m = x.Shape[0], k = x.Shape[1], n = w.Shape[0];
        var y = new double[m * n];
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < n; j++)
            {
                double s = b?.Data[j] ?? 0;
                for (int p = 0; p < k; p++)
                {
                    s += x.Data[(i * k) + p] * w.Data[(j * k) + p];
                }

                y[(i * n) + j] = s;
            }
        }

        return new R([m, n], y);
    }

    private static IEnumerable<OpCase> NormalizationCases()
    {
        // The fused linear primitive (F.Linear on 2-D inputs), with and without bias, on views too.
        yield return new OpCase("linear", xs => Nabla.NN.F.Linear(xs[0], xs[1], xs[2]), rs => LinearRef(rs[0], rs[1], rs[2]),
            [S(X(3, 4), X(2, 4), X(2)), S(Xt(3, 4), Xt(5, 4), X(5)), S(X(0, 3), X(2, 3), X(2)), S(X(1, 1), X(1, 1), X(1))]);
        yield return new OpCase("linear_no_bias", xs => Nabla.NN.F.Linear(xs[0], xs[1]), rs => LinearRef(rs[0], rs[1], null),
            [S(X(3, 4), X(2, 4)), S(Xn(2, 3), X(4, 3))]);
        yield return new OpCase("batch_norm", xs => Nabla.NN.F.BatchNorm(xs[0], null, null, xs[1], xs[2], training: true),
            rs => BatchNormRef(rs[0], rs[1], rs[2], 1e-5),
            [S(X(4, 3), X(3), X(3)), S(X(2, 3, 5), X(3), X(3)), S(X(2, 2, 3, 3), X(2), X(2)), S(Xt(3, 4), X(4), X(4))]);
        yield return new OpCase("batch_norm_no_affine", xs => Nabla.NN.F.BatchNorm(xs[0], null, null, training: true),
            rs => BatchNormRef(rs[0], null, null, 1e-5), [S(X(3, 2, 4)), S(X(5, 2))]);

        // The fused layer norm over the last one or two dims, with and without the affine parameters, on views too.
        yield return new OpCase("layer_norm", xs => Nabla.NN.F.LayerNorm(xs[0], new Shape(4), xs[1], xs[2]),
            rs => LayerNormRef(rs[0], 4, rs[1], rs[2], 1e-5), [S(X(3, 4), X(4), X(4)), S(X(2, 3, 4), X(4), X(4)), S(Xt(4, 4), X(4), X(4))]);
        yield return new OpCase("layer_norm_2d_no_affine", xs => Nabla.NN.F.LayerNorm(xs[0], new Shape(2, 3)),
            rs => LayerNormRef(rs[0], 6, null, null, 1e-5), [S(X(2, 2, 3)), S(X(1, 2, 3))]);

        // Evaluation-mode batch norm's fused per-channel affine map, y = x·s[c] + t[c] (on views too).
        yield return new OpCase("channel_affine", xs => new ChannelAffine().Apply(xs[0], xs[1], xs[2]), rs => ChannelAffineRef(rs[0], rs[1], rs[2]),
            [S(X(2, 3, 4), X(3), X(3)), S(X(2, 2, 3, 3), X(2), X(2)), S(Xt(3, 4), X(4), X(4)), S(X(1, 1, 5), X(1), X(1))]);
    }

    // Per row of the last d elements: (x − μ)/√(σ² + ε)·γ + β with the biased variance.
    private static R LayerNormRef(R x, int d, R? gamma, R? beta, double eps)
    {
        var y = new double[x.Data.Length];
        for (int r = 0; r < x.Data.Length / d; r++)
        {
            var row = x.Data.Skip(r * d).Take(d).ToArray();
            double m = row.Average(), v = row.Average(e => (e - m) * (e - m));
            for (int j = 0; j < d; j++)
            {
                y[(r * d) + j] = ((row[j] - m) / Math.Sqrt(v + eps) * (gamma?.Data[j] ?? 1)) + (beta?.Data[j] ?? 0);
            }
        }

        return new R(x.Shape, y);
    }

    // y[n, c, i] = x[n, c, i]·s[c] + t[c], element by element.
    private static R ChannelAffineRef(R x, R s, R t)
    {
        int c = x.Shape[1], inner = x.Data.Length / (x.Shape[0] * c);
        return new R(x.Shape, x.Data.Select((v, i) => (v * s.Data[i / inner % c]) + t.Data[i / inner % c]).ToArray());
    }
}
