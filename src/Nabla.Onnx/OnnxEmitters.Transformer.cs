using Nabla.NN;

namespace Nabla.Onnx;

// TransformerEncoderLayer and TransformerEncoder (self-attention by MatMul and Softmax, LayerNormalization, the
// feed-forward block), and the positional encodings (a Slice of the table and an Add). A model file's layers take one
// input, so these are the unmasked layers (Forward(input)); masks exist only in the C# calls that take them.
public static partial class OnnxEmitters
{
    /// <summary>
    /// TransformerEncoderLayer in evaluation mode. The sequence is brought to (B, L, E) (a Transpose for the time-major
    /// (L, N, E), an Unsqueeze for (L, E)) and back at the end. Post-norm: x = norm1(x + sa(x)); x = norm2(x + ff(x));
    /// pre-norm: x = x + sa(norm1(x)); x = x + ff(norm2(x)); ff(x) = linear2(activation(linear1(x))). Every reshape
    /// copies B and L (Reshape's 0), so either may be the graph's dynamic batch.
    /// </summary>
    private static string TransformerEncoderLayer(Module m, OnnxGraph g, string x)
    {
        var t = (TransformerEncoderLayer)m;
        var s = g.ShapeOf(x);
        bool unbatched = s.Count == 2, timeMajor = s.Count == 3 && !t.BatchFirst;
        string h = unbatched ? g.Node("Unsqueeze", [x, g.Int64s("axes", 0)]) : timeMajor ? g.Node("Transpose", x, ("perm", new[] { 1, 0, 2 })) : x;
        int[] ble = unbatched ? [1, s[0], s[1]] : timeMajor ? [s[1], s[0], s[2]] : [.. s];

        // Values no module produced, read by the children: they have the (B, L, E) shape.
        string Sized(string v)
        {
            g.SetShape(v, ble, g.DTypeOf(x));
            return v;
        }

        string Sum(string a, string b) => Sized(g.Node("Add", [a, b]));
        string FeedForward(string v)
        {
            string hidden = g.Emit(t.Linear1, v, "linear1");
            hidden = t.ActivationName == "gelu" ? Gelu(new GELU(), g, hidden) : g.Node("Relu", hidden);
            g.SetShape(hidden, [.. ble[..2], t.DimFeedforward], g.DTypeOf(x));
            return g.Emit(t.Linear2, hidden, "linear2");
        }

        h = Sized(h);
        if (t.NormFirst)
        {
            h = Sum(h, SelfAttention(t, g, Sized(g.Emit(t.Norm1, h, "norm1")), ble));
            h = Sum(h, FeedForward(g.Emit(t.Norm2, h, "norm2")));
        }
        else
        {
            h = g.Emit(t.Norm1, Sum(h, SelfAttention(t, g, h, ble)), "norm1");
            h = g.Emit(t.Norm2, Sum(h, FeedForward(h)), "norm2");
        }

        return unbatched ? g.Node("Squeeze", [h, g.Int64s("axes", 0)]) : timeMajor ? g.Node("Transpose", h, ("perm", new[] { 1, 0, 2 })) : h;
    }

    /// <summary>
    /// The layer's self_attn on (B, L, E): [q k v] = x·W_inᵀ + b_in split in three; each (B, L, H, d) by Reshape and
    /// moved to (B, H, L, d); softmax(q·kᵀ·(1/√d))·v; back to (B, L, E); out_proj.
    /// </summary>
    private static string SelfAttention(TransformerEncoderLayer t, OnnxGraph g, string x, int[] ble)
    {
        var a = t.SelfAttn;
        int e = a.EmbedDim, heads = a.NumHeads, d = e / heads;
        var w = a.InProjWeight ?? throw g.Refuse(t, "self_attn has separate q, k, v projections"); // only with kdim/vdim, which the layer never sets
        string qkv = g.Node("MatMul", [x, g.Initializer("self_attn.in_proj_weight_transposed", w.T.ToFloatArray(), e, 3 * e)]);
        qkv = a.InProjBias is { } b ? g.Node("Add", [qkv, g.Initializer("self_attn.in_proj_bias", b)]) : qkv;
        var parts = g.Node("Split", [qkv, g.Int64s("split", e, e, e)], 3, ("axis", 2));
        string Heads(string v, params int[] perm) => g.Node("Transpose", g.Node("Reshape", [v, g.Int64s("shape", 0, 0, heads, d)]), ("perm", perm));
        string q = Heads(parts[0], 0, 2, 1, 3), kT = Heads(parts[1], 0, 2, 3, 1), v = Heads(parts[2], 0, 2, 1, 3);
        string scores = g.Node("Mul", [g.Node("MatMul", [q, kT]), g.Scalar("scale", (float)(1 / Math.Sqrt(d)))]);
        string o = g.Node("MatMul", [g.Node("Softmax", scores, ("axis", -1)), v]);
        string merged = g.Node("Reshape", [g.Node("Transpose", o, ("perm", new[] { 0, 2, 1, 3 })), g.Int64s("shape", 0, 0, e)]);
        g.SetShape(merged, ble, g.DTypeOf(x));
        return g.Emit(a.OutProj, merged, "self_attn.out_proj");
    }

    /// <summary>TransformerEncoder: its layers in order, then the norm if it has one.</summary>
    private static string TransformerEncoder(Module m, OnnxGraph g, string x)
    {
        var e = (TransformerEncoder)m;
        for (int i = 0; i < e.Layers.Count; i++)
        {
            x = g.Emit(e.Layers[i], x, $"layers.{i}");
        }

        return e.Norm is null ? x : g.Emit(e.Norm, x, "norm");
    }

    private static string PositionalEncoding(Module m, OnnxGraph g, string x)
    {
        var p = (PositionalEncoding)m;
        return AddPositions(m, g, x, g.Initializer("pe", p.Pe), p.BatchFirst, p.DModel);
    }

    private static string LearnedPositionalEmbedding(Module m, OnnxGraph g, string x)
    {
        var p = (LearnedPositionalEmbedding)m;
        return AddPositions(m, g, x, g.Initializer("weight", p.Weight), p.BatchFirst, p.DModel);
    }

    /// <summary>
    /// x + table[:L] for (L, E), (N, L, E) with batchFirst, or (L, N, E): the table's first L rows (a Slice; L from the
    /// input's Shape where L is the graph's batch), reshaped to (L, E), (1, L, E) or (L, 1, E) to broadcast.
    /// </summary>
    private static string AddPositions(Module m, OnnxGraph g, string x, string table, bool batchFirst, int e)
    {
        var s = g.ShapeOf(x);
        if (s.Count is not (2 or 3))
        {
            throw g.Refuse(m, $"expected (L, E) or a batch of sequences, got {OnnxGraph.Format(s)}");
        }

        int axis = s.Count == 3 && batchFirst ? 1 : 0;
        string length = s[axis] >= 0 ? g.Int64s("length", s[axis])
            : g.Node("Slice", [g.Node("Shape", x), g.Int64s("starts", axis), g.Int64s("ends", axis + 1), g.Int64s("axes", 0)]);
        string rows = g.Node("Slice", [table, g.Int64s("starts", 0), length, g.Int64s("axes", 0)]);
        long[] view = s.Count == 2 ? [-1, e] : batchFirst ? [1, -1, e] : [-1, 1, e];
        return g.Node("Add", [x, g.Node("Reshape", [rows, g.Int64s("shape", view)])]);
    }
}
