using Nabla.Ops;
using Nabla.Tests.Reference;

namespace Nabla.Tests.Ops;

// The fused LSTM layer (Note [Fused LSTM layer] in Ops/Recurrent.cs) against a naive double loop over the cell
// equations, forwards and backwards in time, with and without per-row lengths.
internal static partial class OpDb
{
    private static IEnumerable<OpCase> RecurrentCases()
    {
        // x (T, B, I), W_ih (4H, I), W_hh (4H, H), h0, c0 (B, H); I = 3, H = 2.
        Arg[][] samples =
        [
            S(X(3, 2, 3), X(8, 3) with { Lo = -1, Hi = 1 }, X(8, 2) with { Lo = -1, Hi = 1 }, X(2, 2), X(2, 2)),
            S(X(1, 1, 3), X(8, 3) with { Lo = -1, Hi = 1 }, Xt(8, 2) with { Lo = -1, Hi = 1 }, X(1, 2), X(1, 2)),
        ];
        foreach (var (suffix, reverse, lengths) in new (string, bool, int[]?)[]
                 { ("", false, null), ("_reverse", true, null), ("_lengths", false, [3, 1]), ("_reverse_lengths", true, [1, 3]) })
        {
            var s = lengths is null ? samples : samples[..1];
            yield return new OpCase("lstm_layer" + suffix, xs => new LstmLayer(reverse, lengths).Apply(xs[0], xs[1], xs[2], xs[3], xs[4]),
                rs => LstmLayerRef(rs[0], rs[1], rs[2], rs[3], rs[4], null, reverse, lengths), s);
        }

        yield return new OpCase("lstm_layer_bias", xs => new LstmLayer(true, [2, 3]).Apply(xs[0], xs[1], xs[2], xs[3], xs[4], xs[5]),
            rs => LstmLayerRef(rs[0], rs[1], rs[2], rs[3], rs[4], rs[5], true, [2, 3]), [[.. samples[0], X(8)]]);

        // GRU: xg (T, B, 3H), W_hh (3H, H), h0 (B, H); H = 2.
        Arg[][] gru =
        [
            S(X(3, 2, 6), X(6, 2) with { Lo = -1, Hi = 1 }, X(2, 2)),
            S(X(1, 1, 6), Xt(6, 2) with { Lo = -1, Hi = 1 }, X(1, 2)),
        ];
        foreach (var (suffix, reverse, lengths) in new (string, bool, int[]?)[]
                 { ("", false, null), ("_reverse", true, null), ("_lengths", false, [3, 1]), ("_reverse_lengths", true, [1, 3]) })
        {
            var s = lengths is null ? gru : gru[..1];
            yield return new OpCase("gru_layer" + suffix, xs => new GruLayer(reverse, lengths).Apply(xs[0], xs[1], xs[2]),
                rs => GruLayerRef(rs[0], rs[1], rs[2], null, reverse, lengths), s);
        }

        yield return new OpCase("gru_layer_bias", xs => new GruLayer(true, [2, 3]).Apply(xs[0], xs[1], xs[2], xs[3]),
            rs => GruLayerRef(rs[0], rs[1], rs[2], rs[3], true, [2, 3]), [[.. gru[0], X(6)]]);

        // Elman RNN: xg (T, B, H), W_hh (H, H), h0 (B, H); H = 3. The relu cases keep the pre-activations away from 0
        // (the kink), where finite differences are meaningless.
        Arg[][] rnn =
        [
            S(X(3, 2, 3), X(3, 3) with { Lo = -1, Hi = 1 }, X(2, 3)),
            S(X(1, 1, 3), Xt(3, 3) with { Lo = -1, Hi = 1 }, X(1, 3)),
        ];
        foreach (var (suffix, reverse, lengths) in new (string, bool, int[]?)[] { ("", false, null), ("_reverse_lengths", true, [1, 3]) })
        {
            var s = lengths is null ? rnn : rnn[..1];
            yield return new OpCase("rnn_layer" + suffix, xs => new RnnLayer(false, reverse, lengths).Apply(xs[0], xs[1], xs[2]),
                rs => RnnLayerRef(rs[0], rs[1], rs[2], null, false, reverse, lengths), s);
        }

        yield return new OpCase("rnn_layer_relu_bias", xs => new RnnLayer(true, false, [3, 2]).Apply(xs[0], xs[1], xs[2], xs[3]),
            rs => RnnLayerRef(rs[0], rs[1], rs[2], rs[3], true, false, [3, 2]),
            [S(X(3, 2, 3) with { Lo = 0.5, Hi = 1 }, X(3, 3) with { Lo = 0.1, Hi = 0.5 }, X(2, 3) with { Lo = 0.1, Hi = 1 }, X(3) with { Lo = 0.1, Hi = 0.5 })]);
    }

    // h_t = act(xg_t + W_hh·h_{t-1} + b_hh) per row and unit (PyTorch's documentation of nn.RNN).
    private static R RnnLayerRef(R xg, R w, R h0, R? bias, bool relu, bool reverse, int[]? lengths)
    {
        int steps = xg.Shape[0], batch = xg.Shape[1], hidden = xg.Shape[2];
        var hs = R.Zeros([steps, batch, hidden]);
        for (int b = 0; b < batch; b++)
        {
            var h = Enumerable.Range(0, hidden).Select(j => h0[[b, j]]).ToArray();
            for (int k = 0; k < steps; k++)
            {
                int t = reverse ? steps - 1 - k : k;
                if (lengths is null || t < lengths[b])
                {
                    var next = new double[hidden];
                    for (int j = 0; j < hidden; j++)
                    {
                        double a = xg[[t, b, j]] + (bias is null ? 0 : bias.Data[j]);
                        for (int m = 0; m < hidden; m++)
                        {
                            a += w[[j, m]] * h[m];
                        }

                        next[j] = relu ? Math.Max(a, 0) : Math.Tanh(a);
                    }

                    h = next;
                }

                for (int j = 0; j < hidden; j++)
                {
                    hs[[t, b, j]] = h[j];
                }
            }
        }

        return hs;
    }

    // The GRU equations written out per row and unit (PyTorch's documentation of nn.GRU).
    private static R GruLayerRef(R xg, R w, R h0, R? bias, bool reverse, int[]? lengths)
    {
        int steps = xg.Shape[0], batch = xg.Shape[1], hidden = xg.Shape[2] / 3;
        var hs = R.Zeros([steps, batch, hidden]);
        static double Sig(double v) => 1 / (1 + Math.Exp(-v));
        for (int b = 0; b < batch; b++)
        {
            var h = Enumerable.Range(0, hidden).Select(j => h0[[b, j]]).ToArray();
            for (int k = 0; k < steps; k++)
            {
                int t = reverse ? steps - 1 - k : k;
                if (lengths is null || t < lengths[b])
                {
                    var gh = new double[3 * hidden];
                    for (int r = 0; r < 3 * hidden; r++)
                    {
                        gh[r] = bias is null ? 0 : bias.Data[r];
                        for (int m = 0; m < hidden; m++)
                        {
                            gh[r] += w[[r, m]] * h[m];
                        }
                    }

                    var next = new double[hidden];
                    for (int j = 0; j < hidden; j++)
                    {
                        double r = Sig(xg[[t, b, j]] + gh[j]), z = Sig(xg[[t, b, hidden + j]] + gh[hidden + j]);
                        double n = Math.Tanh(xg[[t, b, (2 * hidden) + j]] + (r * gh[(2 * hidden) + j]));
                        next[j] = ((1 - z) * n) + (z * h[j]);
                    }

                    h = next;
                }

                for (int j = 0; j < hidden; j++)
                {
                    hs[[t, b, j]] = h[j];
                }
            }
        }

        return hs;
    }

    private static R LstmLayerRef(R x, R wIh, R w, R h0, R c0, R? bias, bool reverse, int[]? lengths)
    {
        int steps = x.Shape[0], batch = x.Shape[1], input = x.Shape[2], hidden = w.Shape[1];
        var s = R.Zeros([2, steps, batch, hidden]);
        static double Sig(double v) => 1 / (1 + Math.Exp(-v));
        for (int b = 0; b < batch; b++)
        {
            var h = Enumerable.Range(0, hidden).Select(j => h0[[b, j]]).ToArray();
            var c = Enumerable.Range(0, hidden).Select(j => c0[[b, j]]).ToArray();
            for (int k = 0; k < steps; k++)
            {
                int t = reverse ? steps - 1 - k : k;
                if (lengths is null || t < lengths[b])
                {
                    var pre = new double[4 * hidden];
                    for (int r = 0; r < 4 * hidden; r++)
                    {
                        pre[r] = bias is null ? 0 : bias.Data[r];
                        for (int m = 0; m < input; m++)
                        {
                            pre[r] += wIh[[r, m]] * x[[t, b, m]];
                        }

                        for (int m = 0; m < hidden; m++)
                        {
                            pre[r] += w[[r, m]] * h[m];
                        }
                    }

                    for (int j = 0; j < hidden; j++)
                    {
                        double i = Sig(pre[j]), f = Sig(pre[hidden + j]), g = Math.Tanh(pre[(2 * hidden) + j]), o = Sig(pre[(3 * hidden) + j]);
                        c[j] = (f * c[j]) + (i * g);
                        h[j] = o * Math.Tanh(c[j]);
                    }
                }

                for (int j = 0; j < hidden; j++)
                {
                    s[[0, t, b, j]] = h[j];
                    s[[1, t, b, j]] = c[j];
                }
            }
        }

        return s;
    }
}
