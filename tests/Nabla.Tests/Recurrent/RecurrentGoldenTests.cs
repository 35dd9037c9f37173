using Nabla.NN;
using Nabla.Tests.Golden;

namespace Nabla.Tests.Recurrent;

/// <summary>
/// Parity with PyTorch (tools/GoldenGen/Recurrent.cs → Golden/recurrent.json): RNN (tanh, relu), LSTM and GRU with 2
/// layers, bidirectional, batch_first both ways and given initial states, and the three cells. PyTorch's own
/// parameters are loaded by name (so the state-dict keys are checked too); outputs, final states and the gradients of
/// sum(out·g) + sum(h_n·g_h) (+ sum(c_n·g_c)) w.r.t. the input, the initial states and every parameter are compared
/// in Float32 and Float64 (<see cref="GoldenData.AssertClose"/>).
/// </summary>
public sealed class RecurrentGoldenTests
{
    public static TheoryData<string, DType> Cases => GoldenData.Rows("recurrent");

    [Theory]
    [MemberData(nameof(Cases))]
    public void Recurrent_matches_pytorch(string name, DType dtype)
    {
        var c = GoldenData.Load("recurrent")[name];
        int inputSize = (int)c.Arg("input_size", 0), hidden = (int)c.Arg("hidden_size", 0);
        bool bias = c.Arg("bias", 1) != 0;
        Module m = c.Op switch
        {
            "rnn" => new RNN(inputSize, hidden, 2, c.Mode, bias, c.Flag("batch_first"), bidirectional: true, dtype: dtype),
            "lstm" => new LSTM(inputSize, hidden, 2, bias, c.Flag("batch_first"), bidirectional: true, dtype: dtype),
            "gru" => new GRU(inputSize, hidden, 2, bias, c.Flag("batch_first"), bidirectional: true, dtype: dtype),
            "rnn_cell_tanh" or "rnn_cell_relu" => new RNNCell(inputSize, hidden, nonlinearity: c.Mode, dtype: dtype),
            "lstm_cell" => new LSTMCell(inputSize, hidden, dtype: dtype),
            _ => new GRUCell(inputSize, hidden, dtype: dtype),
        };
        var state = c.Tensors.Where(kv => kv.Key.StartsWith("param.", StringComparison.Ordinal))
            .ToDictionary(kv => kv.Key["param.".Length..], kv => kv.Value.ToTensor(dtype));
        m.LoadStateDict(state);

        var x = c.T("input", dtype).RequireGrad();
        var h0 = c.T("h0", dtype).RequireGrad();
        var c0 = c.TOrNull("c0", dtype)?.RequireGrad();
        Tensor loss;
        switch (m)
        {
            case LSTM lstm:
                var (y, (hn, cn)) = lstm.Forward(x, new LstmState(h0, c0!));
                Check(c, dtype, ("output", y), ("h_n", hn), ("c_n", cn));
                loss = (y * c.T("upstream", dtype)).Sum() + (hn * c.T("upstream_h", dtype)).Sum() + (cn * c.T("upstream_c", dtype)).Sum();
                break;
            case RNN or GRU:
                var o = m is RNN r ? r.Forward(x, h0) : ((GRU)m).Forward(x, h0);
                Check(c, dtype, ("output", o.Output), ("h_n", o.HN));
                loss = (o.Output * c.T("upstream", dtype)).Sum() + (o.HN * c.T("upstream_h", dtype)).Sum();
                break;
            case LSTMCell cell:
                var s = cell.Forward(x, new LstmState(h0, c0!));
                Check(c, dtype, ("h", s.H), ("c", s.C));
                loss = (s.H * c.T("upstream_h", dtype)).Sum() + (s.C * c.T("upstream_c", dtype)).Sum();
                break;
            default:
                var h = m is RNNCell rc ? rc.Forward(x, h0) : ((GRUCell)m).Forward(x, h0);
                Check(c, dtype, ("h", h));
                loss = (h * c.T("upstream_h", dtype)).Sum();
                break;
        }

        loss.Backward();
        Check(c, dtype, ("grad_input", x.Grad!), ("grad_h0", h0.Grad!));
        if (c0 is not null)
        {
            Check(c, dtype, ("grad_c0", c0.Grad!));
        }

        foreach (var (pname, p) in m.NamedParameters())
        {
            Check(c, dtype, ("grad." + pname, p.Grad!));
        }
    }

    private static void Check(GoldenCase c, DType dtype, params (string Name, Tensor Value)[] values)
    {
        foreach (var (n, v) in values)
        {
            Assert.NotNull(v);
            GoldenData.AssertClose(c.Tensors[n], v, dtype, $"{c.Name} {n}");
        }
    }
}
