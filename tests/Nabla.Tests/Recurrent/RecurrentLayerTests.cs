using Nabla.NN;

namespace Nabla.Tests.Recurrent;

/// <summary>RNN/LSTM/GRU layers: names, shapes, the fused LSTM against its composite oracle, variable lengths, errors.</summary>
[Collection(GlobalStateCollection.Name)]
public sealed class RecurrentLayerTests
{
    private static Tensor Rand(Generator g, params int[] shape) => Tensor.Randn(new Shape(shape), g, DType.Float64);

    [Fact]
    public void Parameter_names_shapes_and_init_follow_pytorch()
    {
        var lstm = new LSTM(5, 3, numLayers: 2, bidirectional: true, generator: new Generator(1));
        var names = lstm.NamedParameters().Select(p => p.Name).ToArray();
        Assert.Equal(
        [
            "weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0",
            "weight_ih_l0_reverse", "weight_hh_l0_reverse", "bias_ih_l0_reverse", "bias_hh_l0_reverse",
            "weight_ih_l1", "weight_hh_l1", "bias_ih_l1", "bias_hh_l1",
            "weight_ih_l1_reverse", "weight_hh_l1_reverse", "bias_ih_l1_reverse", "bias_hh_l1_reverse",
        ], names);
        var p = lstm.StateDict();
        Assert.Equal(new Shape(12, 5), p["weight_ih_l0"].Shape);
        Assert.Equal(new Shape(12, 6), p["weight_ih_l1_reverse"].Shape);
        Assert.Equal(new Shape(12, 3), p["weight_hh_l1"].Shape);
        Assert.Equal(new Shape(12), p["bias_hh_l0_reverse"].Shape);
        double k = 1 / Math.Sqrt(3);
        Assert.All(lstm.Parameters(), t => Assert.All(t.ToDoubleArray(), v => Assert.InRange(v, -k, k)));

        Assert.Equal(["weight_ih_l0", "weight_hh_l0"], new GRU(4, 2, bias: false).NamedParameters().Select(q => q.Name));
        Assert.Equal(new Shape(6, 4), new GRU(4, 2).StateDict()["weight_ih_l0"].Shape);
        Assert.Equal(["weight_ih", "weight_hh", "bias_ih", "bias_hh"], new LSTMCell(4, 2).NamedParameters().Select(q => q.Name));
        Assert.Contains("LSTM(5, 3, numLayers=2, bidirectional=True)", lstm.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(false, false, 1)]
    [InlineData(true, false, 2)]
    [InlineData(false, true, 2)]
    [InlineData(true, true, 2)]
    public void Shapes_of_output_and_states(bool batchFirst, bool bidirectional, int layers)
    {
        int d = bidirectional ? 2 : 1;
        var x = Tensor.Randn(batchFirst ? new Shape(3, 7, 4) : new Shape(7, 3, 4), new Generator(2));
        var (y, (h, c)) = new LSTM(4, 5, layers, batchFirst: batchFirst, bidirectional: bidirectional).Forward(x, null);
        Assert.Equal(batchFirst ? new Shape(3, 7, 5 * d) : new Shape(7, 3, 5 * d), y.Shape);
        Assert.Equal(new Shape(layers * d, 3, 5), h.Shape);
        Assert.Equal(h.Shape, c.Shape);
        var gru = new GRU(4, 5, layers, batchFirst: batchFirst, bidirectional: bidirectional);
        var (yg, hg) = gru.Forward(x, null);
        Assert.Equal(y.Shape, yg.Shape);
        Assert.Equal(h.Shape, hg.Shape);
        Assert.Equal(y.Shape, gru.OutputShape(x.Shape));
        Assert.Equal(y.Shape, new RNN(4, 5, layers, batchFirst: batchFirst, bidirectional: bidirectional).Forward(x).Shape);
    }

    [Fact]
    public void Unbatched_input_matches_a_batch_of_one()
    {
        var g = new Generator(3);
        var lstm = new LSTM(3, 2, 2, bidirectional: true, generator: g, dtype: DType.Float64);
        var x = Rand(g, 5, 3);
        var (y1, (h1, _)) = lstm.Forward(x, null);
        var (yb, (hb, _)) = lstm.Forward(x.Unsqueeze(1), null);
        Assert.Equal(new Shape(5, 4), y1.Shape);
        Assert.Equal(new Shape(4, 2), h1.Shape);
        AssertClose(yb.Squeeze(1), y1, 1e-12);
        AssertClose(hb.Squeeze(1), h1, 1e-12);
    }

    /// <summary>The fused lstm_layer path against the composite cell, step by step (the oracle): outputs, states, all gradients.</summary>
    [Theory]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    [InlineData(true, true)]
    public void Fused_lstm_matches_the_composite_cell(bool batchFirst, bool withLengths)
    {
        var g = new Generator(4);
        var lstm = new LSTM(3, 4, 2, batchFirst: batchFirst, bidirectional: true, generator: g, dtype: DType.Float64);
        var x = (batchFirst ? Rand(g, 3, 5, 3) : Rand(g, 5, 3, 3)).RequireGrad();
        var h0 = Rand(g, 4, 3, 4).RequireGrad();
        var c0 = Rand(g, 4, 3, 4).RequireGrad();
        int[]? lengths = withLengths ? [5, 2, 4] : null;
        var up = batchFirst ? Rand(g, 3, 5, 8) : Rand(g, 5, 3, 8);
        var uh = Rand(g, 4, 3, 4);
        var uc = Rand(g, 4, 3, 4);

        (Tensor Y, Tensor H, Tensor C, Tensor[] Grads) Run(bool fused)
        {
            lstm.UseFusedKernel = fused;
            lstm.ZeroGrad();
            foreach (var t in new[] { x, h0, c0 })
            {
                t.Grad = null;
            }

            var (y, (h, c)) = lstm.Forward(x, new LstmState(h0, c0), lengths);
            ((y * up).Sum() + (h * uh).Sum() + (c * uc).Sum()).Backward();
            return (y, h, c, [x.Grad!, h0.Grad!, c0.Grad!, .. lstm.Parameters().Select(p => p.Grad!)]);
        }

        var fast = Run(true);
        var slow = Run(false);
        AssertClose(slow.Y, fast.Y, 1e-12);
        AssertClose(slow.H, fast.H, 1e-12);
        AssertClose(slow.C, fast.C, 1e-12);
        for (int i = 0; i < fast.Grads.Length; i++)
        {
            AssertClose(slow.Grads[i], fast.Grads[i], 1e-11);
        }
    }

    /// <summary>
    /// Float32 with H a multiple of 16: the fused forward kernel (4-row tiles plus single rows), the packed BPTT GEMM and
    /// the vectorised gate math, against the composite cell in Float32.
    /// </summary>
    /// <remarks>
    /// On 2 threads the rows of the batch are split between threads on multiples of 8 (64 rows: 32 + 32; 20 rows: 8 + 12),
    /// forward and backward. Without bias the accumulators start from zero; a batch-first input reaches the kernel as a
    /// transposed view (rows of x_t strided by T·I); under NoGrad the kernel keeps no gates.
    /// </remarks>
    [Theory]
    [InlineData(32, 11, 1, true, false)]
    [InlineData(32, 9, 1, false, true)]
    [InlineData(64, 64, 2, true, false)]
    [InlineData(128, 20, 2, true, true)]
    public void Fused_lstm_float32_packed_path_matches_the_composite(int hidden, int batch, int threads, bool bias, bool batchFirst)
    {
        int saved = Threads.Count;
        Threads.Count = threads;
        try
        {
            PackedPath(hidden, batch, bias, batchFirst);
        }
        finally
        {
            Threads.Count = saved;
        }
    }

    private static void PackedPath(int hidden, int batch, bool bias, bool batchFirst)
    {
        var g = new Generator(8);
        var lstm = new LSTM(5, hidden, bias: bias, batchFirst: batchFirst, bidirectional: true, generator: g);
        var x = Tensor.Randn(batchFirst ? new Shape(batch, 6, 5) : new Shape(6, batch, 5), g).RequireGrad();
        int[] lengths = Enumerable.Range(0, batch).Select(b => (int[])[6, 5, 1, 6, 2, 3, 6, 4, 6, 6, 1] is var l ? l[b % l.Length] : 0).ToArray();
        var up = Tensor.Randn(batchFirst ? new Shape(batch, 6, 2 * hidden) : new Shape(6, batch, 2 * hidden), g);
        (Tensor Y, Tensor H, Tensor[] Grads) Run(bool fused)
        {
            lstm.UseFusedKernel = fused;
            lstm.ZeroGrad();
            x.Grad = null;
            var (y, (h, c)) = lstm.Forward(x, null, lengths);
            ((y * up).Sum() + h.Sum() + c.Square().Sum()).Backward();
            return (y, h, [x.Grad!, .. lstm.Parameters().Select(p => p.Grad!)]);
        }

        var (fast, slow) = (Run(true), Run(false));
        using (GradMode.NoGrad())
        {
            lstm.UseFusedKernel = true;
            AssertClose(slow.Y, lstm.Forward(x, null, lengths).Output, 1e-5);
        }

        AssertClose(slow.Y, fast.Y, 1e-5);
        AssertClose(slow.H, fast.H, 1e-5);
        for (int i = 0; i < fast.Grads.Length; i++)
        {
            AssertClose(slow.Grads[i], fast.Grads[i], 1e-4);
        }
    }

    /// <summary>A padded batch with lengths gives, row by row, what each sequence gives alone (packed-sequence semantics).</summary>
    [Theory]
    [InlineData("rnn")]
    [InlineData("lstm")]
    [InlineData("gru")]
    public void Variable_lengths_match_each_sequence_alone(string kind)
    {
        var g = new Generator(5);
        RNNBase layer = kind switch
        {
            "rnn" => new RNN(3, 4, 2, bidirectional: true, batchFirst: true, generator: g, dtype: DType.Float64),
            "lstm" => new LSTM(3, 4, 2, bidirectional: true, batchFirst: true, generator: g, dtype: DType.Float64),
            _ => new GRU(3, 4, 2, bidirectional: true, batchFirst: true, generator: g, dtype: DType.Float64),
        };
        int[] lengths = [6, 3, 1];
        var x = Rand(g, 3, 6, 3);
        var (y, h) = Run(layer, x, lengths);
        for (int b = 0; b < 3; b++)
        {
            var (yb, hb) = Run(layer, x.Narrow(0, b, 1).Narrow(1, 0, lengths[b]), null);
            AssertClose(yb, y.Narrow(0, b, 1).Narrow(1, 0, lengths[b]), 1e-12);
            AssertClose(hb, h.Narrow(1, b, 1), 1e-12);
            if (lengths[b] < 6)
            {
                Assert.All(y.Narrow(0, b, 1).Narrow(1, lengths[b], 6 - lengths[b]).ToDoubleArray(), v => Assert.Equal(0, v));
            }
        }
    }

    private static (Tensor Y, Tensor H) Run(RNNBase layer, Tensor x, int[]? lengths) => layer switch
    {
        LSTM l => l.Forward(x, null, lengths) is var o ? (o.Output, o.State.H) : default,
        RNN r => r.Forward(x, null, lengths) is var o2 ? (o2.Output, o2.HN) : default,
        GRU u => u.Forward(x, null, lengths) is var o3 ? (o3.Output, o3.HN) : default,
        _ => throw new ArgumentException("unknown layer"),
    };

    [Fact]
    public void Layers_match_their_cells_unrolled()
    {
        var g = new Generator(6);
        var x = Rand(g, 4, 2, 3);
        var lstm = new LSTM(3, 2, generator: g, dtype: DType.Float64);
        var cell = new LSTMCell(3, 2, dtype: DType.Float64);
        cell.LoadStateDict(new Dictionary<string, Tensor>
        {
            ["weight_ih"] = lstm.StateDict()["weight_ih_l0"], ["weight_hh"] = lstm.StateDict()["weight_hh_l0"],
            ["bias_ih"] = lstm.StateDict()["bias_ih_l0"], ["bias_hh"] = lstm.StateDict()["bias_hh_l0"],
        });
        var (y, s) = F.Unroll(cell, x);
        var (yl, (hl, cl)) = lstm.Forward(x, null);
        AssertClose(y, yl, 1e-12);
        AssertClose(s.H, hl.Squeeze(0), 1e-12);
        AssertClose(s.C, cl.Squeeze(0), 1e-12);

        var rnn = new RNN(3, 2, nonlinearity: "relu", generator: g, dtype: DType.Float64);
        var rcell = new RNNCell(3, 2, nonlinearity: "relu", dtype: DType.Float64);
        rcell.LoadStateDict(rnn.StateDict().ToDictionary(kv => kv.Key.Replace("_l0", "", StringComparison.Ordinal), kv => kv.Value));
        AssertClose(F.Unroll(rcell, x).Output, rnn.Forward(x), 1e-12);

        var gru = new GRU(3, 2, generator: g, dtype: DType.Float64);
        var gcell = new GRUCell(3, 2, dtype: DType.Float64);
        gcell.LoadStateDict(gru.StateDict().ToDictionary(kv => kv.Key.Replace("_l0", "", StringComparison.Ordinal), kv => kv.Value));
        AssertClose(F.Unroll(gcell, x).Output, gru.Forward(x), 1e-12);
    }

    [Fact]
    public void Dropout_between_layers_only_in_training()
    {
        var g = new Generator(7);
        var lstm = new LSTM(3, 4, 2, dropout: 0.5, generator: g);
        var x = Tensor.Randn(new Shape(5, 2, 3), g);
        lstm.Eval();
        var a = lstm.Forward(x).ToDoubleArray();
        Assert.Equal(a, lstm.Forward(x).ToDoubleArray());
        lstm.Train();
        Assert.NotEqual(a, lstm.Forward(x).ToDoubleArray());
        Assert.Throws<ArgumentOutOfRangeException>(() => new LSTM(3, 4, dropout: 1.5));
    }

    [Fact]
    public void Errors_name_the_layer_and_the_expected_and_actual_shapes()
    {
        var lstm = new LSTM(4, 3, 2, batchFirst: true);
        var e = Assert.Throws<ArgumentException>(() => lstm.Forward(Tensor.Zeros(new Shape(2, 5, 6))));
        Assert.Contains("LSTM", e.Message, StringComparison.Ordinal);
        Assert.Contains("(B, T, 4)", e.Message, StringComparison.Ordinal);
        Assert.Contains(new Shape(2, 5, 6).ToString(), e.Message, StringComparison.Ordinal);

        var x = Tensor.Zeros(new Shape(2, 5, 4));
        var bad = new LstmState(Tensor.Zeros(new Shape(2, 3, 3)), Tensor.Zeros(new Shape(2, 2, 3)));
        e = Assert.Throws<ArgumentException>(() => lstm.Forward(x, bad));
        Assert.Contains("LSTM: expected h0 of shape", e.Message, StringComparison.Ordinal);
        Assert.Contains($"{new Shape(2, 2, 3)}, got {new Shape(2, 3, 3)}", e.Message, StringComparison.Ordinal);
        bad = new LstmState(Tensor.Zeros(new Shape(2, 2, 3)), Tensor.Zeros(new Shape(2, 2)));
        e = Assert.Throws<ArgumentException>(() => lstm.Forward(x, bad));
        Assert.Contains($"LSTM: expected c0 of shape {new Shape(2, 2, 3)}, got {new Shape(2, 2)}", e.Message, StringComparison.Ordinal);

        e = Assert.Throws<ArgumentException>(() => new GRU(4, 3).Forward(Tensor.Zeros(new Shape(5, 2, 4)), Tensor.Zeros(new Shape(1, 3, 3))));
        Assert.Contains("GRU: expected h0 of shape", e.Message, StringComparison.Ordinal);
        Assert.Contains(new Shape(1, 2, 3).ToString(), e.Message, StringComparison.Ordinal);
        Assert.Contains(new Shape(1, 3, 3).ToString(), e.Message, StringComparison.Ordinal);

        e = Assert.Throws<ArgumentException>(() => new GRUCell(4, 3).Forward(Tensor.Zeros(new Shape(2, 4)), Tensor.Zeros(new Shape(2, 2))));
        Assert.Contains("GRUCell: expected hx of shape", e.Message, StringComparison.Ordinal);
        e = Assert.Throws<ArgumentException>(() => new RNNCell(4, 3).Forward(Tensor.Zeros(new Shape(2, 5))));
        Assert.Contains("RNNCell: expected input of shape (B, 4)", e.Message, StringComparison.Ordinal);
        e = Assert.Throws<ArgumentException>(() => new LSTM(4, 3).Forward(Tensor.Zeros(new Shape(5, 2, 4)), null, [5, 9]));
        Assert.Contains("lengths", e.Message, StringComparison.Ordinal);
    }

    internal static void AssertClose(Tensor expected, Tensor actual, double tol)
    {
        Assert.Equal(expected.Shape, actual.Shape);
        var (e, a) = (expected.ToDoubleArray(), actual.ToDoubleArray());
        for (int i = 0; i < e.Length; i++)
        {
            Assert.True(Math.Abs(e[i] - a[i]) <= tol * (1 + Math.Abs(e[i])), $"[{i}]: expected {e[i]:R}, got {a[i]:R}");
        }
    }
}
