using Nabla.NN;

namespace Nabla.Onnx;

// RNN, LSTM and GRU as ONNX's recurrent operators, one node per layer (both directions in one node).
public static partial class OnnxEmitters
{
    // PyTorch stacks the gates of W_ih, W_hh, b_ih, b_hh as LSTM (i, f, g, o) and GRU (r, z, n); ONNX as LSTM (i, o, f, c)
    // and GRU (z, r, h). Entry j is the PyTorch block that goes to ONNX position j.
    private static readonly int[] LstmGates = [0, 3, 1, 2];
    private static readonly int[] GruGates = [1, 0, 2];

    /// <summary>
    /// A stack of recurrent layers: the time-major sequence (T, B, in) goes through one ONNX RNN/LSTM/GRU node per layer
    /// (W (D, G·H, in), R (D, G·H, H), B (D, 2·G·H) = [b_ih, b_hh], gates reordered), whose output (T, D, B, H) is
    /// transposed and reshaped to (T, B, D·H) for the next layer. GRU uses linear_before_reset = 1, PyTorch's
    /// n = tanh(W_in·x + b_in + r ⊙ (W_hn·h + b_hn)). Initial states are zeros, as in <see cref="RNNBase.Forward(Tensor)"/>;
    /// dropout between layers is the identity (evaluation).
    /// </summary>
    private static string Recurrent(Module m, OnnxGraph g, string x)
    {
        var r = (RNNBase)m;
        var (op, order) = m switch { LSTM => ("LSTM", LstmGates), GRU => ("GRU", GruGates), _ => ("RNN", new[] { 0 }) };
        int h = r.HiddenSize, dirs = r.NumDirections, gates = order.Length;
        bool unbatched = g.ShapeOf(x).Count == 2; // (T, in): one sequence, as Nabla reads a 2-D input
        string seq = unbatched ? g.Node("Unsqueeze", [x, g.Int64s("axes", 1)])
            : r.BatchFirst ? g.Node("Transpose", x, ("perm", new[] { 1, 0, 2 })) : x;
        for (int l = 0; l < r.NumLayers; l++)
        {
            var ws = Enumerable.Range(0, dirs).Select(d => r.LayerWeights(l, d)).ToArray();
            int inL = ws[0].WeightIh.Shape[1];
            var inputs = new List<string>
            {
                seq,
                g.Initializer($"W_l{l}", Reorder(ws.Select(w => w.WeightIh), order), dirs, gates * h, inL),
                g.Initializer($"R_l{l}", Reorder(ws.Select(w => w.WeightHh), order), dirs, gates * h, h),
            };
            if (r.Bias)
            {
                inputs.Add(g.Initializer($"B_l{l}", Reorder(ws.SelectMany(w => new[] { w.BiasIh!, w.BiasHh! }), order), dirs, 2 * gates * h));
            }

            var attributes = new List<(string, object)> { ("hidden_size", h), ("direction", dirs == 2 ? "bidirectional" : "forward") };
            if (m is GRU)
            {
                attributes.Add(("linear_before_reset", 1));
            }
            else if (m is RNN rnn)
            {
                string act = rnn.Nonlinearity.Equals("relu", StringComparison.OrdinalIgnoreCase) ? "Relu" : "Tanh";
                attributes.Add(("activations", Enumerable.Repeat(act, dirs).ToArray()));
            }

            string y = g.Node(op, [.. inputs], [.. attributes]);
            seq = g.Node("Reshape", [g.Node("Transpose", y, ("perm", new[] { 0, 2, 1, 3 })), g.Int64s("shape", 0, 0, -1)]);
        }

        return unbatched ? g.Node("Squeeze", [seq, g.Int64s("axes", 1)])
            : r.BatchFirst ? g.Node("Transpose", seq, ("perm", new[] { 1, 0, 2 })) : seq;
    }

    /// <summary>The tensors' values one after another, each with its gate blocks (of its first dimension) in ONNX's order.</summary>
    private static float[] Reorder(IEnumerable<Tensor> tensors, int[] order)
    {
        var result = new List<float>();
        foreach (var t in tensors)
        {
            float[] v = t.ToFloatArray();
            int block = v.Length / order.Length;
            foreach (int gate in order)
            {
                result.AddRange(v.AsSpan(gate * block, block));
            }
        }

        return [.. result];
    }
}
