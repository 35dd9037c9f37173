namespace Nabla.Explain.Generators;

/// <summary>Recurrent topics: backpropagation through time, RNN and LSTM steps.</summary>
internal static class RecurrentTopics
{
    public static IReadOnlyList<Topic> All { get; } =
    [
        new("bptt", "A scalar linear RNN over 4 steps: states, mean squared loss and the gradients of its 3 weights (BPTT).", Bptt),
        new("rnn-step", "A scalar sigmoid RNN cell over 3 steps with per-step weights and ReLU outputs.", RnnStep),
        new("lstm-step", "A scalar LSTM over 3 steps with per-step weights: gates, cell and hidden states, outputs.", LstmStep),
    ];

    private static Problem Bptt(Draw d)
    {
        var x = d.Many(4, () => d.Int(1, 9));
        var y = d.Many(4, () => d.Int(1, 9));
        double w1 = d.Tenth(1, 9), w2 = d.Tenth(1, 9), w3 = d.Tenth(5, 15);
        return new($"BPTT in a scalar linear RNN with w1 = {Y.N(w1)}, w2 = {Y.N(w2)}, w3 = {Y.N(w3)}", $$"""
            given:
              x: {{Y.L(x)}}             # x(0..3); h(t) consumes x(t-1)
              y: {{Y.L(y)}}             # targets for t = 1..4
              h0: 0
              w1: {{Y.N(w1)}}
              w2: {{Y.N(w2)}}
              w3: {{Y.N(w3)}}
            equations:
              - "h[0] = h0"
              - "h[t] = w1*h[t-1] + w2*x[t-1] for t = 1..4"
              - "yhat[t] = w3*h[t] for t = 1..4"
              - "L = mean((y - yhat)^2)"
            loss: L
            gradients: [w1, w2, w3]
            sensitivities: {of: h, wrt: [w1, w2]}
            """, ["h", "L", "dL/dw1", "dL/dw2", "dL/dw3"]);
    }

    private static Problem RnnStep(Draw d)
    {
        var x = d.Many(3, () => d.Int(0, 1));
        double[] Weights() => d.Many(3, () => d.Tenth(-9, 9));
        var (u, w, v) = (Weights(), Weights(), Weights());
        return new($"A scalar sigmoid RNN over 3 steps, inputs {Y.L(x)}", $$"""
            given:
              x: {{Y.L(x)}}
              U: {{Y.L(u)}}
              W: {{Y.L(w)}}
              V: {{Y.L(v)}}
              s0: 0
            equations:
              - "s[0] = s0"
              - "s[t] = sigmoid(U[t-1]*x[t-1] + W[t-1]*s[t-1]) for t = 1..3"    # vectors are 0-based: step t uses entry t-1
              - "yhat[t] = relu(V[t-1]*s[t]) for t = 1..3"
            """, ["s", "yhat"]);
    }

    private static Problem LstmStep(Draw d)
    {
        var x = d.Many(3, () => d.Int(0, 1));
        double[] Weights() => d.Many(3, () => d.Tenth(-9, 9));
        string given = string.Join("\n  ", ((string[])["W_o", "U_o", "W_i", "U_i", "W_f", "U_f", "W", "U", "V"]).Select(n => $"{n}: {Y.L(Weights())}"));
        return new($"A scalar LSTM over 3 steps, inputs {Y.L(x)}", $$"""
            given:
              x: {{Y.L(x)}}
              {{given}}
              h0: 0
              c0: 0
            equations:
              - "h[0] = h0"
              - "c[0] = c0"
              - "o[t] = sigmoid(W_o[t-1]*h[t-1] + U_o[t-1]*x[t-1]) for t = 1..3"
              - "i[t] = sigmoid(W_i[t-1]*h[t-1] + U_i[t-1]*x[t-1]) for t = 1..3"
              - "f[t] = sigmoid(W_f[t-1]*h[t-1] + U_f[t-1]*x[t-1]) for t = 1..3"
              - "g[t] = tanh(W[t-1]*h[t-1] + U[t-1]*x[t-1]) for t = 1..3"
              - "c[t] = f[t]*c[t-1] + i[t]*g[t] for t = 1..3"
              - "h[t] = o[t]*tanh(c[t]) for t = 1..3"
              - "yhat[t] = relu(V[t-1]*h[t]) for t = 1..3"
            """, ["c", "h", "yhat"]);
    }
}
