using Nabla.NN;
using Nabla.Optim;

namespace Nabla.Tests.Recurrent;

/// <summary>Backpropagation through time in practice: truncation, clipping, gradient checks and double backward.</summary>
public sealed class RecurrentBpttTests
{
    private static Tensor Rand(Generator g, params int[] shape) => Tensor.Randn(new Shape(shape), g, DType.Float64);

    /// <summary>
    /// Truncated BPTT: a long sequence in chunks, the state carried from chunk to chunk but detached, so each backward
    /// stops at the chunk boundary. The forward values equal one run over the whole sequence; the gradient of the last
    /// chunk's loss equals that of a fresh run of the last chunk from the carried state treated as a constant.
    /// </summary>
    [Fact]
    public void Truncated_bptt_detaches_the_carried_state()
    {
        var g = new Generator(11);
        var lstm = new LSTM(2, 3, generator: g, dtype: DType.Float64);
        var x = Rand(g, 9, 2, 2);
        var (full, _) = lstm.Forward(x, null);

        LstmState? state = null;
        var outs = new List<Tensor>();
        Tensor? lastLoss = null;
        for (int start = 0; start < 9; start += 3)
        {
            lstm.ZeroGrad();
            var (y, next) = lstm.Forward(x.Narrow(0, start, 3), state);
            lastLoss = y.Square().Sum();
            lastLoss.Backward();
            outs.Add(y);
            state = next.Detach();
            Assert.True(state.H.IsLeaf && !state.H.RequiresGrad);
        }

        RecurrentLayerTests.AssertClose(full, Tensor.Cat(outs, 0), 1e-12);
        var chunkGrads = lstm.Parameters().Select(p => p.Grad!.ToDoubleArray()).ToArray();

        // The same last chunk from the same (constant) carried state, run alone.
        var (_, (h6, c6)) = lstm.Forward(x.Narrow(0, 0, 6), null);
        lstm.ZeroGrad();
        lstm.Forward(x.Narrow(0, 6, 3), new LstmState(h6.Detach(), c6.Detach())).Output.Square().Sum().Backward();
        var alone = lstm.Parameters().Select(p => p.Grad!.ToDoubleArray()).ToArray();
        for (int i = 0; i < alone.Length; i++)
        {
            Assert.Equal(alone[i], chunkGrads[i]);
        }

        // Without the detach the gradient reaches back through all 9 steps and differs.
        lstm.ZeroGrad();
        var (_, (hd, cd)) = lstm.Forward(x.Narrow(0, 0, 6), null);
        lstm.Forward(x.Narrow(0, 6, 3), new LstmState(hd, cd)).Output.Square().Sum().Backward();
        Assert.NotEqual(alone[1], lstm.Parameters().ElementAt(1).Grad!.ToDoubleArray());
    }

    [Fact]
    public void Gradient_clipping_bounds_the_bptt_gradient_norm()
    {
        var g = new Generator(12);
        var rnn = new RNN(2, 8, generator: g);
        using (GradMode.NoGrad())
        {
            rnn.StateDict()["weight_hh_l0"].MulInPlace(6); // an exploding recurrence
        }

        var x = Tensor.Randn(new Shape(30, 4, 2), g);
        var opt = new SGD(rnn.Parameters(), lr: 0.1);
        rnn.Forward(x, null).HN.Square().Sum().Backward();
        double before = ClipGrad.Norm(rnn.Parameters(), 1.0);
        double after = Math.Sqrt(rnn.Parameters().Sum(p => p.Grad!.Square().Sum().Item()));
        Assert.True(before > 1.0, $"total norm before clipping {before}");
        Assert.InRange(after, 0.99, 1.0 + 1e-4);
        opt.Step();
    }

    public static TheoryData<string> Cells => new() { "rnn_tanh", "rnn_relu", "lstm", "gru" };

    [Theory]
    [MemberData(nameof(Cells))]
    public void Gradcheck_cells_in_float64(string kind)
    {
        var g = new Generator(13);
        Module cell = kind switch
        {
            "rnn_tanh" => new RNNCell(3, 2, generator: g, dtype: DType.Float64),
            "rnn_relu" => new RNNCell(3, 2, nonlinearity: "relu", generator: g, dtype: DType.Float64),
            "lstm" => new LSTMCell(3, 2, generator: g, dtype: DType.Float64),
            _ => new GRUCell(3, 2, generator: g, dtype: DType.Float64),
        };
        var ps = cell.Parameters().ToArray();
        Tensor[] inputs = [Rand(g, 2, 3).RequireGrad(), Rand(g, 2, 2).RequireGrad(), Rand(g, 2, 2).RequireGrad(), .. ps];
        Tensor Fn(Tensor[] xs) => cell switch
        {
            LSTMCell l => F.LSTMCell(xs[0], xs[1], xs[2], xs[3], xs[4], xs[5], xs[6]) is var (h, c) ? Tensor.Cat([h, c], 1) : null!,
            RNNCell r => F.RNNCell(xs[0], xs[1], xs[3], xs[4], xs[5], xs[6], r.Nonlinearity),
            _ => F.GRUCell(xs[0], xs[1], xs[3], xs[4], xs[5], xs[6]),
        };
        var result = GradCheck.Check(Fn, inputs);
        Assert.True(result.Passed, result.Message);
        if (kind != "rnn_relu")
        {
            var second = GradCheck.CheckSecondOrder(Fn, inputs);
            Assert.True(second.Passed, second.Message);
        }
    }

    /// <summary>A 2-layer bidirectional LSTM (fused kernel) on a tiny input: input, initial states and every weight.</summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Gradcheck_two_layer_bidirectional_lstm(bool withLengths)
    {
        var g = new Generator(14);
        var lstm = new LSTM(2, 2, 2, bidirectional: true, generator: g, dtype: DType.Float64);
        var ps = lstm.Parameters().ToArray();
        Tensor[] inputs = [Rand(g, 3, 2, 2).RequireGrad(), Rand(g, 4, 2, 2).RequireGrad(), Rand(g, 4, 2, 2).RequireGrad(), .. ps];
        int[]? lengths = withLengths ? [3, 2] : null;
        Tensor Fn(Tensor[] xs)
        {
            var (y, states) = lstm.RunWithParameters(xs[0], [xs[1], xs[2]], lengths, xs[3..]);
            return Tensor.Cat([y.Reshape(-1), states[0].Reshape(-1), states[1].Reshape(-1)], 0);
        }

        var result = GradCheck.Check(Fn, inputs);
        Assert.True(result.Passed, result.Message);
    }

    /// <summary>Double backward through the fused layer goes through its composite definition (createGraph).</summary>
    [Fact]
    public void Double_backward_through_the_fused_lstm_matches_the_composite()
    {
        var g = new Generator(15);
        var lstm = new LSTM(2, 3, generator: g, dtype: DType.Float64);
        var x = Rand(g, 4, 2, 2).RequireGrad();
        double[] Hvp(bool fused)
        {
            lstm.UseFusedKernel = fused;
            var y = lstm.Forward(x).Square().Sum();
            var gx = Autograd.Grad([y], [x], createGraph: true)[0]!;
            return Autograd.Grad([gx.Square().Sum()], [x])[0]!.ToDoubleArray();
        }

        var (a, b) = (Hvp(true), Hvp(false));
        for (int i = 0; i < a.Length; i++)
        {
            Assert.Equal(b[i], a[i], 1e-10);
        }
    }
}
