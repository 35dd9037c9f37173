using Nabla.NN;
using Nabla.Optim;

namespace Nabla.Tests.Recurrent;

/// <summary>
/// The recurrent reference problems of shared/seed-problems/PROBLEMS.md, solved with the library: the unrolled graph is
/// built from tensors and autograd gives the BPTT gradients.
/// </summary>
public sealed class RecurrentProblems
{
    private static readonly double[] X = [100, 110, 120, 130];
    private static readonly double[] Targets = [112, 118, 129, 140];

    private static Tensor P(double v) => Tensor.Scalar(v).RequireGrad();

    /// <summary>
    /// The scalar linear RNN h(t) = w1·h(t−1) + w2·x(t−1), ŷ(t) = w3·h(t), L = mean_t (target(t) − ŷ(t))², as user code:
    /// a plain loop over tensors. Returns the states, outputs and loss (all in the graph).
    /// </summary>
    private static (Tensor[] H, Tensor[] Y, Tensor Loss) Unroll(Tensor w1, Tensor w2, Tensor w3)
    {
        var h = Tensor.Scalar(0.0);
        var hs = new Tensor[4];
        var ys = new Tensor[4];
        var loss = Tensor.Scalar(0.0);
        for (int t = 0; t < 4; t++)
        {
            h = (w1 * h) + (w2 * X[t]);
            (hs[t], ys[t]) = (h, w3 * h);
            loss = loss + (ys[t] - Targets[t]).Square();
        }

        return (hs, ys, loss / 4);
    }

    [Fact]
    public void S0_Q3a_bptt_forward_loss()
    {
        var (h, y, loss) = Unroll(P(0.5), P(0.5), P(1.0));
        Assert.Equal([50.0, 80.0, 100.0, 115.0], h.Select(t => t.Item()));
        Assert.Equal([50.0, 80.0, 100.0, 115.0], y.Select(t => t.Item()));
        Assert.Equal(1688.5, loss.Item(), 1e-9);
    }

    [Fact]
    public void S0_Q3b_bptt_gradients_then_one_sgd_step()
    {
        var (w1, w2, w3) = (P(0.5), P(0.5), P(1.0));
        var (h, _, loss) = Unroll(w1, w2, w3);

        // The sensitivities dh(t)/dw1 and dh(t)/dw2, each by autograd through the unrolled graph.
        var dh1 = h.Select(t => Autograd.Grad([t], [w1], retainGraph: true)[0]!.Item()).ToArray();
        var dh2 = h.Select(t => Autograd.Grad([t], [w2], retainGraph: true)[0]!.Item()).ToArray();
        Assert.Equal([0.0, 50.0, 105.0, 152.5], dh1);
        Assert.Equal([100.0, 160.0, 200.0, 230.0], dh2);

        loss.Backward();
        Assert.Equal(-4378.75, w1.Grad!.Item(), 1e-9);
        Assert.Equal(-11915.0, w2.Grad!.Item(), 1e-9);
        Assert.Equal(-5957.5, w3.Grad!.Item(), 1e-9);

        new SGD([w1, w2, w3], lr: 1e-5).Step();
        var (_, _, newLoss) = Unroll(w1, w2, w3);

        // Hand derivation: w ← w − 1e-5·dL/dw gives w1 = 0.5437875, w2 = 0.61915, w3 = 1.059575; then
        // h = 61.915, 101.7751030625, 129.64202885659…, 150.98721476685…; ŷ = w3·h; L = Σ(target − ŷ)²/4.
        Assert.Equal(0.5437875, w1.Item(), 1e-12);
        Assert.Equal(0.61915, w2.Item(), 1e-12);
        Assert.Equal(1.059575, w3.Item(), 1e-12);
        double hh = 0, expected = 0;
        for (int t = 0; t < 4; t++)
        {
            hh = (0.5437875 * hh) + (0.61915 * X[t]);
            expected += Math.Pow(Targets[t] - (1.059575 * hh), 2) / 4;
        }

        Assert.Equal(681.2896224773825, expected, 1e-9);
        Assert.Equal(expected, newLoss.Item(), 1e-9);
        Assert.True(newLoss.Item() < 1688.5);
    }

    [Fact]
    public void S1_RNN_vanilla_3step()
    {
        // s_t = σ(U_t x_t + W_t s_{t-1}), ŷ_t = relu(V_t s_t), a different weight at every step: an RNNCell-like step in
        // tensors, here with a Linear(2 → 1) over [x_t, s_{t-1}] whose weights are set per step.
        double[] x = [1, 1, 0], u = [0.5, 0.6, 0.2], w = [0.2, 0.3, 0.8], v = [0.4, 0.2, 0.1];
        var s = Tensor.Zeros(new Shape(1, 1), DType.Float64);
        var states = new List<double>();
        var outs = new List<double>();
        for (int t = 0; t < 3; t++)
        {
            var cell = new RNNCell(1, 1, bias: false, dtype: DType.Float64);
            using (GradMode.NoGrad())
            {
                cell.WeightIh.FillInPlace(u[t]);
                cell.WeightHh.FillInPlace(w[t]);
            }

            s = F.Sigmoid(F.Linear(Tensor.Full(new Shape(1, 1), x[t], DType.Float64), cell.WeightIh) + F.Linear(s, cell.WeightHh));
            states.Add(s.Item());
            outs.Add((s * v[t]).Relu().Item());
        }

        AssertSeq([0.622459331202, 0.687130444005, 0.634066996439], states);
        AssertSeq([0.248983732481, 0.137426088801, 0.0634066996439], outs);
    }

    [Fact]
    public void S1_LSTM_3step()
    {
        // A 1-unit LSTMCell with the problem's per-step weights written into PyTorch's layout: rows i, f, g, o of W_ih
        // (U) and W_hh (W); no biases.
        double[] x = [1, 1, 0];
        double[][] wo = [[0.9, 0.1, 0.3], [0.4, 0.3, 0.2]], wi = [[0.1, 0.4, 0.2], [0.9, 0.1, 0.3]],
            wf = [[0.5, 0.3, 0.2], [0.6, 0.2, 0.3]], wg = [[0.2, 0.3, 0.8], [0.5, 0.6, 0.2]];
        double[] v = [0.4, 0.2, 0.1];
        var state = new LstmState(Tensor.Zeros(new Shape(1, 1), DType.Float64), Tensor.Zeros(new Shape(1, 1), DType.Float64));
        var (hs, cs, ys) = (new List<double>(), new List<double>(), new List<double>());
        for (int t = 0; t < 3; t++)
        {
            var cell = new LSTMCell(1, 1, bias: false, dtype: DType.Float64);
            using (GradMode.NoGrad())
            {
                cell.WeightIh.CopyInPlace(Tensor.FromArray([wi[1][t], wf[1][t], wg[1][t], wo[1][t]], new Shape(4, 1)));
                cell.WeightHh.CopyInPlace(Tensor.FromArray([wi[0][t], wf[0][t], wg[0][t], wo[0][t]], new Shape(4, 1)));
            }

            state = cell.Forward(Tensor.Full(new Shape(1, 1), x[t], DType.Float64), state);
            hs.Add(state.H.Item());
            cs.Add(state.C.Item());
            ys.Add((state.H * v[t]).Relu().Item());
        }

        AssertSeq([0.328541963108, 0.498723659441, 0.364040106987], cs);
        AssertSeq([0.189909747426, 0.267020422364, 0.181364722129], hs);
        AssertSeq([0.0759638989703, 0.0534040844728, 0.0181364722129], ys);
        Assert.Equal(0.364040106987, state.C.Item(), 1e-9);
        Assert.Equal(0.181364722129, state.H.Item(), 1e-9);
    }

    [Fact]
    public void S1_EC3_2a_lstm_params()
    {
        var lstm = new LSTM(4, 3);
        var head = new Linear(3, 1);
        long lstmParams = lstm.Parameters().Sum(p => p.Numel);
        long headParams = head.Parameters().Sum(p => p.Numel);
        Assert.Equal(108, lstmParams); // PyTorch: 4 gates × (4·3 input + 3·3 recurrent + 3 b_ih + 3 b_hh)
        Assert.Equal(4, headParams);
        Assert.Equal(112, new Sequential(lstm, head).Parameters().Sum(p => p.Numel));

        // Keras keeps one bias per gate: from the shapes, W_ih + W_hh + b_ih only.
        var sd = lstm.StateDict();
        long keras = sd["weight_ih_l0"].Numel + sd["weight_hh_l0"].Numel + sd["bias_ih_l0"].Numel;
        Assert.Equal(96, keras);
        Assert.Equal(100, keras + headParams);
    }

    private static void AssertSeq(double[] expected, List<double> actual)
    {
        Assert.Equal(expected.Length, actual.Count);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.Equal(expected[i], actual[i], 1e-9);
        }
    }
}
