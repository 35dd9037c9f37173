using Nabla.Ops;

namespace Nabla.NN;

// Recurrent cells in primitive tensor ops (the composite definitions, which are also the oracles of the fused LSTM
// kernel), the shared unroll over time, and the per-direction loops the RNN/LSTM/GRU layers run.
public static partial class F
{
    /// <summary>
    /// Elman RNN cell: h' = act(x·W_ihᵀ + b_ih + h·W_hhᵀ + b_hh), act = tanh or relu (PyTorch's <c>rnn_tanh_cell</c>).
    /// Input (B, in), hx (B, H), W_ih (H, in), W_hh (H, H), biases (H) → (B, H).
    /// </summary>
    public static Tensor RNNCell(Tensor input, Tensor hx, Tensor weightIh, Tensor weightHh, Tensor? biasIh = null, Tensor? biasHh = null, string nonlinearity = "tanh") =>
        RnnStep(Linear(input, weightIh, biasIh), hx, weightHh, biasHh, IsRelu(nonlinearity));

    /// <summary>
    /// LSTM cell with PyTorch's gate order i, f, g, o: gates = x·W_ihᵀ + b_ih + h·W_hhᵀ + b_hh (B, 4H);
    /// i = σ(gates₀), f = σ(gates₁), g = tanh(gates₂), o = σ(gates₃); c' = f⊙c + i⊙g; h' = o⊙tanh(c').
    /// W_ih (4H, in), W_hh (4H, H), biases (4H). Returns (h', c').
    /// </summary>
    public static (Tensor H, Tensor C) LSTMCell(Tensor input, Tensor hx, Tensor cx, Tensor weightIh, Tensor weightHh, Tensor? biasIh = null, Tensor? biasHh = null) =>
        LstmStep(Linear(input, weightIh, biasIh), hx, cx, weightHh, biasHh);

    /// <summary>
    /// GRU cell with PyTorch's gate order r, z, n: r = σ(W_ir x + b_ir + W_hr h + b_hr), z = σ(W_iz x + b_iz + W_hz h + b_hz),
    /// n = tanh(W_in x + b_in + r⊙(W_hn h + b_hn)), h' = (1 − z)⊙n + z⊙h. W_ih (3H, in), W_hh (3H, H), biases (3H).
    /// </summary>
    public static Tensor GRUCell(Tensor input, Tensor hx, Tensor weightIh, Tensor weightHh, Tensor? biasIh = null, Tensor? biasHh = null) =>
        GruStep(Linear(input, weightIh, biasIh), hx, weightHh, biasHh);

    /// <summary>
    /// Runs <paramref name="cell"/> over the time steps of <paramref name="input"/> (T, B, in) from
    /// <paramref name="state"/> (zeros when null): state_t = cell.Step(x_t, state_{t-1}). Returns the hidden states
    /// stacked (T, B, H) and the final state. Gradients flow through the whole unrolled graph (BPTT).
    /// </summary>
    public static (Tensor Output, TState State) Unroll<TState>(IRecurrentCell<TState> cell, Tensor input, TState? state = default)
        where TState : class
    {
        ArgumentNullException.ThrowIfNull(cell);
        var s = state ?? cell.ZeroState(input.Shape[1], input.DType);
        var outs = new Tensor[input.Shape[0]];
        for (int t = 0; t < outs.Length; t++)
        {
            s = cell.Step(input.Select(0, t), s);
            outs[t] = cell.HiddenOf(s);
        }

        return (Tensor.Stack(outs), s);
    }

    internal static bool IsRelu(string nonlinearity) => nonlinearity switch
    {
        "tanh" => false,
        "relu" => true,
        _ => throw new ArgumentException($"unknown nonlinearity '{nonlinearity}' (expected \"tanh\" or \"relu\")", nameof(nonlinearity)),
    };

    /// <summary>One RNN step from the projected input xg = x·W_ihᵀ + b_ih.</summary>
    internal static Tensor RnnStep(Tensor xg, Tensor h, Tensor wHh, Tensor? bHh, bool relu)
    {
        var pre = xg + Linear(h, wHh, bHh);
        return relu ? pre.Relu() : pre.Tanh();
    }

    /// <summary>One LSTM step from the projected input xg = x·W_ihᵀ + b_ih (B, 4H).</summary>
    internal static (Tensor H, Tensor C) LstmStep(Tensor xg, Tensor h, Tensor c, Tensor wHh, Tensor? bHh)
    {
        int hidden = h.Shape[-1];
        var gates = xg + Linear(h, wHh, bHh);
        var i = gates.Narrow(-1, 0, hidden).Sigmoid();
        var f = gates.Narrow(-1, hidden, hidden).Sigmoid();
        var g = gates.Narrow(-1, 2 * hidden, hidden).Tanh();
        var o = gates.Narrow(-1, 3 * hidden, hidden).Sigmoid();
        var cn = (f * c) + (i * g);
        return (o * cn.Tanh(), cn);
    }

    /// <summary>One GRU step from the projected input xg = x·W_ihᵀ + b_ih (B, 3H).</summary>
    internal static Tensor GruStep(Tensor xg, Tensor h, Tensor wHh, Tensor? bHh)
    {
        int hidden = h.Shape[-1];
        var gh = Linear(h, wHh, bHh);
        var r = (xg.Narrow(-1, 0, hidden) + gh.Narrow(-1, 0, hidden)).Sigmoid();
        var z = (xg.Narrow(-1, hidden, hidden) + gh.Narrow(-1, hidden, hidden)).Sigmoid();
        var n = (xg.Narrow(-1, 2 * hidden, hidden) + (r * gh.Narrow(-1, 2 * hidden, hidden))).Tanh();
        return n + (z * (h - n));
    }

    /// <summary>
    /// One direction of one layer in composite ops: xg (T, B, G·H) are the input projections of every step (one GEMM),
    /// <paramref name="step"/> maps (xg_t, state) to the new state whose first tensor is h. With lengths, row b is
    /// updated only at t &lt; lengths[b] (its state is carried, its output is zero elsewhere); with
    /// <paramref name="reverse"/>, time runs T−1 … 0. Returns the outputs (T, B, H) and the final states.
    /// </summary>
    internal static (Tensor Output, Tensor[] State) RunDirection(Tensor xg, Tensor[] init, Func<Tensor, Tensor[], Tensor[]> step, bool reverse, int[]? lengths)
    {
        int steps = xg.Shape[0], batch = xg.Shape[1];
        var state = init;
        var outs = new Tensor[steps];
        for (int k = 0; k < steps; k++)
        {
            int t = reverse ? steps - 1 - k : k;
            var next = step(xg.Select(0, t), state);
            if (lengths is not null)
            {
                var valid = RecurrentOps.ValidRows(lengths, t);
                for (int i = 0; i < next.Length; i++)
                {
                    next[i] = Tensor.Where(valid, next[i], state[i]);
                }

                outs[t] = next[0] * valid.To(xg.DType);
            }
            else
            {
                outs[t] = next[0];
            }

            state = next;
        }

        var output = steps == 0 ? Tensor.Zeros(new Shape(0, batch, init[0].Shape[-1]), xg.DType) : Tensor.Stack(outs);
        return (output, state);
    }

    /// <summary>
    /// One direction of one LSTM layer through the fused <c>lstm_layer</c> op (Note [Fused LSTM layer]): x (T, B, in)
    /// in any layout, bias = b_ih + b_hh; the same results as <see cref="RunDirection"/> with <see cref="LstmStep"/>,
    /// with the input projection, the recurrent GEMM and the cell fused per step.
    /// </summary>
    internal static (Tensor Output, Tensor[] State) LstmDirectionFused(Tensor x, Tensor wIh, Tensor h0, Tensor c0, Tensor wHh, Tensor? bias, bool reverse, int[]? lengths)
    {
        int steps = x.Shape[0];
        var s = new LstmLayer(reverse, lengths).Apply(x, wIh, wHh, h0, c0, bias);
        int last = reverse ? 0 : steps - 1;
        var hs = s.Select(0, 0);
        var output = lengths is null ? hs : hs * ValidSteps(steps, lengths, x.DType);
        return steps == 0 ? (output, [h0, c0]) : (output, [hs.Select(0, last), s.Select(0, 1).Select(0, last)]);
    }

    /// <summary>
    /// One direction of one GRU layer through the fused <c>gru_layer</c> op: xg = x·W_ihᵀ + b_ih, b_hh added inside the
    /// op (it cannot be folded into b_ih: r multiplies W_hn·h + b_hn); the same results as <see cref="RunDirection"/>
    /// with <see cref="GruStep"/>, with one GEMM and one fused pass per step.
    /// </summary>
    internal static (Tensor Output, Tensor[] State) GruDirectionFused(Tensor xg, Tensor h0, Tensor wHh, Tensor? bHh, bool reverse, int[]? lengths)
    {
        int steps = xg.Shape[0];
        var hs = new GruLayer(reverse, lengths).Apply(xg, wHh, h0, bHh);
        var output = lengths is null ? hs : hs * ValidSteps(steps, lengths, xg.DType);
        return steps == 0 ? (output, [h0]) : (output, [hs.Select(0, reverse ? 0 : steps - 1)]);
    }

    /// <summary>One direction of one Elman RNN layer through the fused <c>rnn_layer</c> op (xg = x·W_ihᵀ + b_ih).</summary>
    internal static (Tensor Output, Tensor[] State) RnnDirectionFused(Tensor xg, Tensor h0, Tensor wHh, Tensor? bHh, bool relu, bool reverse, int[]? lengths)
    {
        int steps = xg.Shape[0];
        var hs = new RnnLayer(relu, reverse, lengths).Apply(xg, wHh, h0, bHh);
        var output = lengths is null ? hs : hs * ValidSteps(steps, lengths, xg.DType);
        return steps == 0 ? (output, [h0]) : (output, [hs.Select(0, reverse ? 0 : steps - 1)]);
    }

    /// <summary>(T, B, 1): 1 where t &lt; lengths[b], else 0 (the padded steps' outputs are zero, as PyTorch's).</summary>
    private static Tensor ValidSteps(int steps, int[] lengths, DType dtype)
    {
        var mask = new bool[steps * lengths.Length];
        for (int t = 0; t < steps; t++)
        {
            for (int b = 0; b < lengths.Length; b++)
            {
                mask[(t * lengths.Length) + b] = t < lengths[b];
            }
        }

        return Tensor.FromArray(mask, new Shape(steps, lengths.Length, 1)).To(dtype);
    }
}
