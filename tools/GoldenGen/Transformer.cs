using TorchSharp;
using static TorchSharp.torch;
using static GoldenGen.Program;

namespace GoldenGen;

/// <summary>
/// nn.TransformerEncoderLayer, TransformerDecoderLayer, TransformerEncoder, TransformerDecoder and Transformer, dropout 0:
/// outputs and the gradients of sum(out·g) w.r.t. the inputs and every parameter (<c>param.NAME</c>, <c>grad.NAME</c>
/// by PyTorch's state-dict name), with ReLU and GELU, post-norm and pre-norm (norm_first), sequence-first, batch-first
/// and unbatched inputs, Bool, float, per-head (N·nhead, L, S) and causal attention masks, key padding masks, no bias,
/// another layer_norm_eps, final norms. Bool masks are stored as int64.
/// </summary>
/// <remarks>
/// libtorch's C++ modules, which TorchSharp wraps, have no <c>norm_first</c>, <c>batch_first</c>, <c>bias</c>,
/// <c>layer_norm_eps</c> or final norm of a stand-alone encoder/decoder, and do not apply a Bool attn_mask as Python
/// does. So every case runs a functional transcription of Python's <c>torch/nn/modules/transformer.py</c> (the
/// <c>_sa_block</c>/<c>_mha_block</c>/<c>_ff_block</c> order, MHA as its documented formula), and every case that
/// the C++ modules can express (post-norm, bias, eps 1e-5, no stand-alone final norm) is also run through the C++
/// module with the same parameters: output and every gradient must agree within 1e-10, or generation fails.
/// Batch-first and unbatched cases run the sequence-first computation and store their own layout, as PyTorch's
/// modules do internally.
/// </remarks>
public static class TransformerCases
{
    private const int E = 6, H = 2, FF = 8, N = 2, S = 5, T = 4;

    private sealed record Spec(string Name, string Op, string Act = "relu", bool BatchFirst = false, bool NormFirst = false, bool Bias = true,
        int Layers = 1, bool FinalNorm = false, bool Unbatched = false, double Eps = 1e-5, string? SrcMask = null, string? TgtMask = null,
        string? MemMask = null, bool SrcKpm = false, bool TgtKpm = false, bool MemKpm = false);

    public static List<Case> All() =>
    [
        Make(new("enc_layer_relu", "encoder_layer")),
        Make(new("enc_layer_gelu_masks", "encoder_layer", Act: "gelu", SrcMask: "bool", SrcKpm: true)),
        Make(new("enc_layer_norm_first_batch_first", "encoder_layer", BatchFirst: true, NormFirst: true, SrcMask: "float", SrcKpm: true)),
        Make(new("enc_layer_causal", "encoder_layer", Act: "gelu", SrcMask: "causal")),
        Make(new("enc_layer_no_bias_eps", "encoder_layer", Act: "gelu", NormFirst: true, Bias: false, Eps: 1e-3, SrcMask: "bool")),
        Make(new("enc_layer_unbatched", "encoder_layer", Unbatched: true, SrcMask: "float")),
        Make(new("dec_layer_relu", "decoder_layer")),
        Make(new("dec_layer_gelu_masks", "decoder_layer", Act: "gelu", TgtMask: "causal", MemMask: "bool", TgtKpm: true, MemKpm: true)),
        Make(new("dec_layer_norm_first_batch_first", "decoder_layer", BatchFirst: true, NormFirst: true, TgtMask: "bool", MemMask: "float3", MemKpm: true)),
        Make(new("encoder_two_layers", "encoder", Layers: 2, SrcMask: "float", SrcKpm: true)),
        Make(new("encoder_norm_first_final_norm", "encoder", Act: "gelu", BatchFirst: true, NormFirst: true, Layers: 2, FinalNorm: true, SrcMask: "causal", SrcKpm: true)),
        Make(new("decoder_two_layers", "decoder", Layers: 2, TgtMask: "causal", MemMask: "bool", TgtKpm: true, MemKpm: true)),
        Make(new("decoder_norm_first_final_norm", "decoder", BatchFirst: true, NormFirst: true, Layers: 2, FinalNorm: true, TgtMask: "float3", MemKpm: true)),
        Make(new("transformer_seq_first", "transformer", Layers: 2, SrcMask: "bool", TgtMask: "causal", MemMask: "float", SrcKpm: true, TgtKpm: true, MemKpm: true)),
        Make(new("transformer_batch_first_norm_first_gelu", "transformer", Act: "gelu", BatchFirst: true, NormFirst: true, Layers: 2, TgtMask: "causal", SrcKpm: true, MemKpm: true)),
    ];

    private static Case Make(Spec sp)
    {
        using var scope = torch.NewDisposeScope();
        torch.manual_seed(500);
        var module = CppModule(sp);
        var names = module.named_parameters().Select(p => p.name).Where(n => sp.Bias || !n.EndsWith("bias", StringComparison.Ordinal)).ToList();
        if (sp.FinalNorm)
        {
            names.AddRange(sp.Bias ? ["norm.weight", "norm.bias"] : ["norm.weight"]);
        }

        int seed = 510;
        var ps = names.ToDictionary(n => n, n => (Randn(seed++, Shape(module, n)) * 0.5).requires_grad_(true));
        bool hasSrc = sp.Op is "encoder_layer" or "encoder" or "transformer", hasTgt = sp.Op != "encoder_layer" && sp.Op != "encoder";
        bool hasMem = sp.Op is "decoder_layer" or "decoder";
        // An unbatched case is PyTorch's computation on a batch of one (its modules unsqueeze such inputs).
        long nb = sp.Unbatched ? 1 : N;
        Tensor Input(int seed, long len) => Randn(seed, len, N, E).narrow(1, 0, nb).detach().requires_grad_(true);
        var src = hasSrc ? Input(501, S) : null;
        var tgt = hasTgt ? Input(502, T) : null;
        var mem = hasMem ? Input(503, S) : null;
        var masks = new Dictionary<string, Tensor?>
        {
            ["src_mask"] = Mask(sp.SrcMask, S, S, 520),
            ["tgt_mask"] = Mask(sp.TgtMask, T, T, 521),
            ["memory_mask"] = Mask(sp.MemMask, T, S, 522),
            ["src_key_padding_mask"] = sp.SrcKpm ? Kpm(S).narrow(0, 0, nb) : null,
            ["tgt_key_padding_mask"] = sp.TgtKpm ? Kpm(T).narrow(0, 0, nb) : null,
            ["memory_key_padding_mask"] = sp.MemKpm ? Kpm(S).narrow(0, 0, nb) : null,
        };

        var y = Reference(sp, ps, src, tgt, mem, masks);
        var g = Randn(504, y.shape);
        (y * g).sum().backward();
        var inputs = new[] { ("src", src), ("tgt", tgt), ("memory", mem) }.Where(x => x.Item2 is not null).Select(x => (x.Item1, x.Item2!)).ToList();
        // libtorch's C++ MHA fails on (N·nhead, L, S) masks ("output with shape [4, 5, 5] doesn't match the broadcast shape").
        bool perHeadMask = masks.Values.Any(t => t is not null && t.dim() == 3);
        if (!sp.NormFirst && sp.Bias && !sp.FinalNorm && sp.Eps == 1e-5 && !perHeadMask)
        {
            CrossCheck(sp, module, ps, inputs, masks, y, g);
        }

        return PackCase(sp, ps, inputs, masks, y, g);
    }

    private static nn.Module CppModule(Spec sp)
    {
        var act = sp.Act == "gelu" ? nn.Activations.GELU : nn.Activations.ReLU;
        nn.Module m = sp.Op switch
        {
            "encoder_layer" => nn.TransformerEncoderLayer(E, H, FF, 0.0, act),
            "decoder_layer" => nn.TransformerDecoderLayer(E, H, FF, 0.0, act),
            "encoder" => nn.TransformerEncoder(nn.TransformerEncoderLayer(E, H, FF, 0.0, act), sp.Layers),
            "decoder" => nn.TransformerDecoder(nn.TransformerDecoderLayer(E, H, FF, 0.0, act), sp.Layers),
            _ => nn.Transformer(E, H, sp.Layers, sp.Layers, FF, 0.0, act),
        };
        m.to(float64);
        return m;
    }

    private static long[] Shape(nn.Module m, string name) =>
        name.StartsWith("norm.", StringComparison.Ordinal) ? [E] : m.named_parameters().First(p => p.name == name).parameter.shape;

    /// <summary>
    /// "bool" (true = not allowed; key 0 always allowed so that no row is fully masked), "float" (L, S), "float3"
    /// (N·nhead, L, S), "causal" (generate_square_subsequent_mask, passed with the is_causal hint).
    /// </summary>
    private static Tensor? Mask(string? kind, long l, long s, int seed) => kind switch
    {
        null => null,
        "bool" => Rand(seed, l, s).lt(0.4).logical_and(torch.arange(s).gt(0)),
        "float" => Randn(seed, l, s),
        "float3" => Randn(seed, N * H, l, s),
        "causal" => torch.triu(torch.full(new long[] { l, s }, double.NegativeInfinity, dtype: float64), 1),
        _ => throw new ArgumentException(kind),
    };

    /// <summary>(N, len): the last positions of each row are padding, position 0 never.</summary>
    private static Tensor Kpm(long len) => torch.arange(len).unsqueeze(0).ge(torch.tensor(new long[] { len - 2, len - 1 }).unsqueeze(1));

    private static Tensor Reference(Spec sp, Dictionary<string, Tensor> p, Tensor? src, Tensor? tgt, Tensor? mem, Dictionary<string, Tensor?> m)
    {
        var r = new Ref(sp, p);
        return sp.Op switch
        {
            "encoder_layer" => r.EncoderLayer("", src!, m["src_mask"], m["src_key_padding_mask"]),
            "decoder_layer" => r.DecoderLayer("", tgt!, mem!, m["tgt_mask"], m["memory_mask"], m["tgt_key_padding_mask"], m["memory_key_padding_mask"]),
            "encoder" => r.Encoder("", src!, m["src_mask"], m["src_key_padding_mask"]),
            "decoder" => r.Decoder("", tgt!, mem!, m["tgt_mask"], m["memory_mask"], m["tgt_key_padding_mask"], m["memory_key_padding_mask"]),
            _ => r.Decoder("decoder.", tgt!, r.Encoder("encoder.", src!, m["src_mask"], m["src_key_padding_mask"]),
                m["tgt_mask"], m["memory_mask"], m["tgt_key_padding_mask"], m["memory_key_padding_mask"]),
        };
    }

    /// <summary>The same computation through libtorch's C++ module; throws unless output and gradients agree.</summary>
    private static void CrossCheck(Spec sp, nn.Module module, Dictionary<string, Tensor> ps, List<(string, Tensor)> inputs,
        Dictionary<string, Tensor?> m, Tensor y, Tensor g)
    {
        var mine = module.named_parameters().ToDictionary(x => x.name, x => x.parameter);
        using (torch.no_grad())
        {
            foreach (var (n, v) in ps)
            {
                mine[n].copy_(v);
            }
        }

        var xs = inputs.ToDictionary(x => x.Item1, x => x.Item2.detach().clone().requires_grad_(true));
        // The C++ MHA does not apply a Bool attn_mask as Python does: give it the −∞/0 float mask Python makes of one.
        Tensor? F(string k) => m[k] is { } t && t.dtype == torch.@bool ? torch.zeros(t.shape, dtype: float64).masked_fill(t, double.NegativeInfinity) : m[k];
        Tensor? Kp(string k) => m[k];
        Tensor yc = sp.Op switch
        {
            "encoder_layer" => ((TorchSharp.Modules.TransformerEncoderLayer)module).call(xs["src"], F("src_mask"), Kp("src_key_padding_mask")),
            "decoder_layer" => ((TorchSharp.Modules.TransformerDecoderLayer)module).call(xs["tgt"], xs["memory"], F("tgt_mask"), F("memory_mask"), Kp("tgt_key_padding_mask"), Kp("memory_key_padding_mask")),
            "encoder" => ((TorchSharp.Modules.TransformerEncoder)module).forward(xs["src"], F("src_mask"), Kp("src_key_padding_mask")),
            "decoder" => ((TorchSharp.Modules.TransformerDecoder)module).call(xs["tgt"], xs["memory"], F("tgt_mask"), F("memory_mask"), Kp("tgt_key_padding_mask"), Kp("memory_key_padding_mask")),
            _ => ((TorchSharp.Modules.Transformer)module).call(xs["src"], xs["tgt"], F("src_mask"), F("tgt_mask"), F("memory_mask"), Kp("src_key_padding_mask"), Kp("tgt_key_padding_mask"), Kp("memory_key_padding_mask")),
        };
        (yc * g).sum().backward();
        Agree(sp.Name, "output", yc, y);
        foreach (var (n, x) in inputs)
        {
            Agree(sp.Name, "grad_" + n, xs[n].grad!, x.grad!);
        }

        foreach (var (n, v) in ps)
        {
            Agree(sp.Name, "grad." + n, mine[n].grad!, v.grad!);
        }

        Console.WriteLine($"  {sp.Name}: agrees with libtorch's C++ module");
    }

    private static void Agree(string name, string what, Tensor a, Tensor b)
    {
        double d = (a - b).abs().max().item<double>();
        if (!(d <= 1e-10))
        {
            throw new InvalidOperationException($"{name} {what}: the transcription and libtorch's module differ by {d}");
        }
    }

    private static Case PackCase(Spec sp, Dictionary<string, Tensor> ps, List<(string, Tensor)> inputs, Dictionary<string, Tensor?> masks, Tensor y, Tensor g)
    {
        var c = new Case
        {
            name = sp.Name, op = sp.Op, mode = sp.Act,
            args = new()
            {
                ["d_model"] = E, ["nhead"] = H, ["dim_feedforward"] = FF, ["layer_norm_eps"] = sp.Eps, ["batch_first"] = sp.BatchFirst ? 1 : 0,
                ["norm_first"] = sp.NormFirst ? 1 : 0, ["bias"] = sp.Bias ? 1 : 0, ["num_layers"] = sp.Layers, ["final_norm"] = sp.FinalNorm ? 1 : 0,
                ["unbatched"] = sp.Unbatched ? 1 : 0, ["src_is_causal"] = sp.SrcMask == "causal" ? 1 : 0, ["tgt_is_causal"] = sp.TgtMask == "causal" ? 1 : 0,
            },
        };
        // Sequence-first (L, N, E) → the case's layout; masks are the same in every layout (unbatched: N = 1 row kept).
        Tensor Layout(Tensor t) => sp.Unbatched ? t.select(1, 0) : sp.BatchFirst ? t.transpose(0, 1) : t;
        foreach (var (n, x) in inputs)
        {
            c.tensors[n] = Pack(Layout(x));
            c.tensors["grad_" + n] = Pack(Layout(x.grad!));
        }

        c.tensors["upstream"] = Pack(Layout(g));
        c.tensors["output"] = Pack(Layout(y));
        foreach (var (n, mk) in masks)
        {
            // A causal mask (−∞ above the diagonal, not storable in JSON) is left out: the test makes it with
            // Transformer.GenerateSquareSubsequentMask, flagged by src_is_causal / tgt_is_causal.
            if (mk is not null && !(mk.dtype != torch.@bool && mk.isinf().any().item<bool>()))
            {
                var stored = sp.Unbatched && n.EndsWith("padding_mask", StringComparison.Ordinal) ? mk.select(0, 0) : mk;
                c.tensors[n] = Pack(stored.dtype == torch.@bool ? stored.to_type(int64) : stored);
            }
        }

        foreach (var (n, v) in ps)
        {
            c.tensors["param." + n] = Pack(v);
            c.tensors["grad." + n] = Pack(v.grad!);
        }

        return c;
    }

    /// <summary>Python's transformer.py, sequence-first, over parameters by state-dict name.</summary>
    private sealed class Ref(Spec sp, Dictionary<string, Tensor> p)
    {
        private Tensor? B(string name) => p.TryGetValue(name, out var b) ? b : null;

        private Tensor Norm(string pre, Tensor x) => nn.functional.layer_norm(x, [E], p[pre + "weight"], B(pre + "bias"), sp.Eps);

        private Tensor Linear(string pre, Tensor x) => nn.functional.linear(x, p[pre + "weight"], B(pre + "bias"));

        private Tensor FeedForward(string pre, Tensor x)
        {
            var h = Linear(pre + "linear1.", x);
            return Linear(pre + "linear2.", sp.Act == "gelu" ? nn.functional.gelu(h) : nn.functional.relu(h));
        }

        /// <summary>MultiheadAttention's documented formula: softmax(q_h·k_hᵀ/√d + masks)·v_h, heads concatenated, out_proj.</summary>
        private Tensor Attention(string pre, Tensor q, Tensor kv, Tensor? am, Tensor? kpm)
        {
            long l = q.shape[0], n = q.shape[1], s = kv.shape[0], d = E / H;
            var w = p[pre + "in_proj_weight"];
            var b = B(pre + "in_proj_bias");
            Tensor Proj(Tensor x, int i) => nn.functional.linear(x, w.narrow(0, i * E, E), b?.narrow(0, i * E, E));
            Tensor Heads(Tensor x, long len) => x.reshape(len, n, H, d).permute(1, 2, 0, 3);
            var logits = Heads(Proj(q, 0), l).matmul(Heads(Proj(kv, 1), s).transpose(-2, -1)) / Math.Sqrt(d);
            if (am is not null)
            {
                logits = am.dtype == torch.@bool ? logits.masked_fill(am, double.NegativeInfinity) : logits + (am.dim() == 3 ? am.reshape(n, H, l, s) : am);
            }

            if (kpm is not null)
            {
                logits = logits.masked_fill(kpm.reshape(n, 1, 1, s), double.NegativeInfinity);
            }

            var o = logits.softmax(-1).matmul(Heads(Proj(kv, 2), s)).permute(2, 0, 1, 3).reshape(l, n, E);
            return Linear(pre + "out_proj.", o);
        }

        public Tensor EncoderLayer(string pre, Tensor x, Tensor? mask, Tensor? kpm)
        {
            Tensor Sa(Tensor z) => Attention(pre + "self_attn.", z, z, mask, kpm);
            if (sp.NormFirst)
            {
                x = x + Sa(Norm(pre + "norm1.", x));
                return x + FeedForward(pre, Norm(pre + "norm2.", x));
            }

            x = Norm(pre + "norm1.", x + Sa(x));
            return Norm(pre + "norm2.", x + FeedForward(pre, x));
        }

        public Tensor DecoderLayer(string pre, Tensor x, Tensor mem, Tensor? tm, Tensor? mm, Tensor? tkpm, Tensor? mkpm)
        {
            Tensor Sa(Tensor z) => Attention(pre + "self_attn.", z, z, tm, tkpm);
            Tensor Mha(Tensor z) => Attention(pre + "multihead_attn.", z, mem, mm, mkpm);
            if (sp.NormFirst)
            {
                x = x + Sa(Norm(pre + "norm1.", x));
                x = x + Mha(Norm(pre + "norm2.", x));
                return x + FeedForward(pre, Norm(pre + "norm3.", x));
            }

            x = Norm(pre + "norm1.", x + Sa(x));
            x = Norm(pre + "norm2.", x + Mha(x));
            return Norm(pre + "norm3.", x + FeedForward(pre, x));
        }

        public Tensor Encoder(string pre, Tensor x, Tensor? mask, Tensor? kpm)
        {
            for (int i = 0; i < sp.Layers; i++)
            {
                x = EncoderLayer($"{pre}layers.{i}.", x, mask, kpm);
            }

            return p.ContainsKey(pre + "norm.weight") ? Norm(pre + "norm.", x) : x;
        }

        public Tensor Decoder(string pre, Tensor x, Tensor mem, Tensor? tm, Tensor? mm, Tensor? tkpm, Tensor? mkpm)
        {
            for (int i = 0; i < sp.Layers; i++)
            {
                x = DecoderLayer($"{pre}layers.{i}.", x, mem, tm, mm, tkpm, mkpm);
            }

            return p.ContainsKey(pre + "norm.weight") ? Norm(pre + "norm.", x) : x;
        }
    }
}
