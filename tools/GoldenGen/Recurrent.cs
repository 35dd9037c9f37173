using TorchSharp;
using static TorchSharp.torch;
using static GoldenGen.Program;

namespace GoldenGen;

/// <summary>
/// RNN, LSTM, GRU (2 layers, bidirectional, batch_first both ways, given initial states) and the three cells:
/// outputs, final states and the gradients of sum(out·g) + sum(h_n·gh) (+ sum(c_n·gc)) w.r.t. the input, the
/// initial states and every parameter. Parameters are PyTorch's own initialisation (seeded) and are stored as
/// <c>param.NAME</c>, their gradients as <c>grad.NAME</c>.
/// </summary>
public static class Recurrent
{
    private const int T = 4, B = 3, I = 5, H = 3;

    public static List<Case> All()
    {
        var cases = new List<Case>();
        foreach (bool batchFirst in new[] { false, true })
        {
            string bf = batchFirst ? "batchfirst" : "seqfirst";
            cases.Add(Layer($"rnn_tanh_l2_bidir_{bf}", "rnn", batchFirst, false, true));
            cases.Add(Layer($"rnn_relu_l2_bidir_{bf}", "rnn", batchFirst, true, true));
            cases.Add(Layer($"lstm_l2_bidir_{bf}", "lstm", batchFirst, false, true));
            cases.Add(Layer($"gru_l2_bidir_{bf}", "gru", batchFirst, false, true));
        }

        cases.Add(Layer("lstm_l2_nobias_seqfirst", "lstm", false, false, false));
        cases.Add(Layer("gru_l2_nobias_seqfirst", "gru", false, false, false));
        foreach (var op in new[] { "rnn_cell_tanh", "rnn_cell_relu", "lstm_cell", "gru_cell" })
        {
            cases.Add(Cell(op));
        }

        return cases;
    }

    private static Case Layer(string name, string op, bool batchFirst, bool relu, bool bias)
    {
        using var scope = torch.NewDisposeScope();
        torch.manual_seed(100);
        nn.Module m = op switch
        {
            "rnn" => nn.RNN(I, H, 2, relu ? torch.nn.NonLinearities.ReLU : torch.nn.NonLinearities.Tanh, bias, batchFirst, 0.0, true),
            "lstm" => nn.LSTM(I, H, 2, bias, batchFirst, 0.0, true),
            _ => nn.GRU(I, H, 2, bias, batchFirst, 0.0, true),
        };
        m.to(float64);
        var x = Randn(101, batchFirst ? new long[] { B, T, I } : new long[] { T, B, I });
        var h0 = Randn(102, 4, B, H);
        var c0 = Randn(103, 4, B, H);
        var xi = x.clone().requires_grad_(true);
        var hi = h0.clone().requires_grad_(true);
        var ci = c0.clone().requires_grad_(true);
        Tensor y, hn;
        Tensor? cn = null;
        if (m is TorchSharp.Modules.LSTM lstm)
        {
            (y, hn, cn) = lstm.forward(xi, (hi, ci));
        }
        else if (m is TorchSharp.Modules.RNN rnn)
        {
            (y, hn) = rnn.forward(xi, hi);
        }
        else
        {
            (y, hn) = ((TorchSharp.Modules.GRU)m).forward(xi, hi);
        }

        var g = Randn(104, y.shape);
        var gh = Randn(105, hn.shape);
        var loss = (y * g).sum() + (hn * gh).sum();
        var gc = Randn(106, hn.shape);
        if (cn is not null)
        {
            loss = loss + (cn * gc).sum();
        }

        loss.backward();
        var c = new Case
        {
            name = name, op = op, mode = relu ? "relu" : "tanh",
            args = new() { ["num_layers"] = 2, ["bidirectional"] = 1, ["batch_first"] = batchFirst ? 1 : 0, ["bias"] = bias ? 1 : 0, ["input_size"] = I, ["hidden_size"] = H },
        };
        c.tensors["input"] = Pack(x);
        c.tensors["h0"] = Pack(h0);
        c.tensors["upstream"] = Pack(g);
        c.tensors["upstream_h"] = Pack(gh);
        c.tensors["output"] = Pack(y);
        c.tensors["h_n"] = Pack(hn);
        c.tensors["grad_input"] = Pack(xi.grad!);
        c.tensors["grad_h0"] = Pack(hi.grad!);
        if (cn is not null)
        {
            c.tensors["c0"] = Pack(c0);
            c.tensors["upstream_c"] = Pack(gc);
            c.tensors["c_n"] = Pack(cn);
            c.tensors["grad_c0"] = Pack(ci.grad!);
        }

        AddParams(c, m);
        return c;
    }

    private static Case Cell(string op)
    {
        using var scope = torch.NewDisposeScope();
        torch.manual_seed(200);
        nn.Module m = op switch
        {
            "rnn_cell_tanh" => nn.RNNCell(I, H, torch.nn.NonLinearities.Tanh),
            "rnn_cell_relu" => nn.RNNCell(I, H, torch.nn.NonLinearities.ReLU),
            "lstm_cell" => nn.LSTMCell(I, H),
            _ => nn.GRUCell(I, H),
        };
        m.to(float64);
        var x = Randn(201, B, I);
        var h0 = Randn(202, B, H);
        var c0 = Randn(203, B, H);
        var xi = x.clone().requires_grad_(true);
        var hi = h0.clone().requires_grad_(true);
        var ci = c0.clone().requires_grad_(true);
        Tensor h;
        Tensor? cOut = null;
        if (m is TorchSharp.Modules.LSTMCell lc)
        {
            (h, cOut) = lc.forward(xi, (hi, ci));
        }
        else if (m is TorchSharp.Modules.RNNCell rc)
        {
            h = rc.forward(xi, hi);
        }
        else
        {
            h = ((TorchSharp.Modules.GRUCell)m).forward(xi, hi);
        }

        var gh = Randn(204, h.shape);
        var gc = Randn(205, h.shape);
        var loss = (h * gh).sum();
        if (cOut is not null)
        {
            loss = loss + (cOut * gc).sum();
        }

        loss.backward();
        var c = new Case { name = op, op = op, mode = op.EndsWith("relu") ? "relu" : "tanh", args = new() { ["input_size"] = I, ["hidden_size"] = H } };
        c.tensors["input"] = Pack(x);
        c.tensors["h0"] = Pack(h0);
        c.tensors["upstream_h"] = Pack(gh);
        c.tensors["h"] = Pack(h);
        c.tensors["grad_input"] = Pack(xi.grad!);
        c.tensors["grad_h0"] = Pack(hi.grad!);
        if (cOut is not null)
        {
            c.tensors["c0"] = Pack(c0);
            c.tensors["upstream_c"] = Pack(gc);
            c.tensors["c"] = Pack(cOut);
            c.tensors["grad_c0"] = Pack(ci.grad!);
        }

        AddParams(c, m);
        return c;
    }

    private static void AddParams(Case c, nn.Module m)
    {
        foreach (var (pname, p) in m.named_parameters())
        {
            c.tensors["param." + pname] = Pack(p);
            c.tensors["grad." + pname] = Pack(p.grad!);
        }
    }
}
