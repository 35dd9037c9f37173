using Nabla.NN;
using Nabla.Tests.Golden;

namespace Nabla.Tests.Attention;

/// <summary>
/// Parity with PyTorch (tools/GoldenGen/Transformer.cs → Golden/transformer.json) for TransformerEncoderLayer,
/// TransformerDecoderLayer, TransformerEncoder, TransformerDecoder and Transformer: ReLU and GELU, post-norm and
/// norm_first, sequence-first, batch-first and unbatched, Bool / float / per-head / causal masks, key padding masks,
/// no bias, another layer_norm_eps, final norms. PyTorch's parameters are loaded by their state-dict names (which must
/// match Nabla's exactly, in PyTorch's order); the output and the gradients of sum(out·g) w.r.t. every input and every
/// parameter are compared in Float32 and Float64.
/// </summary>
public sealed class TransformerGoldenTests
{
    public static TheoryData<string, DType> Cases => GoldenData.Rows("transformer");

    [Theory]
    [MemberData(nameof(Cases))]
    public void Transformer_matches_pytorch(string name, DType dtype)
    {
        var c = GoldenData.Load("transformer")[name];
        var m = Build(c, dtype);
        var state = c.Tensors.Where(kv => kv.Key.StartsWith("param.", StringComparison.Ordinal))
            .ToDictionary(kv => kv.Key["param.".Length..], kv => kv.Value.ToTensor(dtype));
        Assert.Equal(state.Keys.Order(StringComparer.Ordinal), m.NamedParameters().Select(p => p.Name).Order(StringComparer.Ordinal));
        m.LoadStateDict(state);

        var inputs = new[] { "src", "tgt", "memory" }.Where(c.Tensors.ContainsKey).ToDictionary(n => n, n => c.T(n, dtype).RequireGrad());
        var y = Run(c, m, inputs, dtype);
        GoldenData.AssertClose(c.Tensors["output"], y, dtype, $"{name} output");
        (y * c.T("upstream", dtype)).Sum().Backward();
        foreach (var (n, x) in inputs)
        {
            GoldenData.AssertClose(c.Tensors["grad_" + n], x.Grad!, dtype, $"{name} grad_{n}");
        }

        foreach (var (pname, p) in m.NamedParameters())
        {
            GoldenData.AssertClose(c.Tensors["grad." + pname], p.Grad!, dtype, $"{name} grad.{pname}");
        }
    }

    private static Module Build(GoldenCase c, DType dtype)
    {
        int e = (int)c.Arg("d_model", 0), h = (int)c.Arg("nhead", 0), ff = (int)c.Arg("dim_feedforward", 0), layers = (int)c.Arg("num_layers", 1);
        double eps = c.Arg("layer_norm_eps", 0);
        bool bf = c.Flag("batch_first"), nf = c.Flag("norm_first"), bias = c.Flag("bias");
        LayerNorm? Norm() => c.Flag("final_norm") ? new LayerNorm(new Shape(e), eps, bias: bias, dtype: dtype) : null;
        TransformerEncoderLayer Enc() => new(e, h, ff, 0, c.Mode, eps, bf, nf, bias, dtype: dtype);
        TransformerDecoderLayer Dec() => new(e, h, ff, 0, c.Mode, eps, bf, nf, bias, dtype: dtype);
        return c.Op switch
        {
            "encoder_layer" => Enc(),
            "decoder_layer" => Dec(),
            "encoder" => new TransformerEncoder(Enc(), layers, Norm()),
            "decoder" => new TransformerDecoder(Dec(), layers, Norm()),
            "transformer" => new Transformer(e, h, layers, layers, ff, 0, c.Mode, layerNormEps: eps, batchFirst: bf, normFirst: nf, bias: bias, dtype: dtype),
            _ => throw new InvalidOperationException(c.Op),
        };
    }

    private static Tensor Run(GoldenCase c, Module m, Dictionary<string, Tensor> x, DType dtype)
    {
        bool srcCausal = c.Flag("src_is_causal"), tgtCausal = c.Flag("tgt_is_causal");
        int seq = c.Flag("batch_first") && !c.Flag("unbatched") ? 1 : 0;
        Tensor? Mask(string name, string input, bool causal) =>
            causal ? Nabla.NN.Transformer.GenerateSquareSubsequentMask(x[input].Shape[seq], dtype)
            : c.TOrNull(name, dtype) is { } t ? t.DType == DType.Int64 ? t.Ne(0.0) : t : null;
        Tensor? Src() => Mask("src_mask", "src", srcCausal);
        Tensor? Tgt() => Mask("tgt_mask", "tgt", tgtCausal);
        Tensor? Mem() => Mask("memory_mask", "memory", false);
        Tensor? Kpm(string name) => Mask(name, "", false);
        return m switch
        {
            TransformerEncoderLayer l => l.Forward(x["src"], Src(), Kpm("src_key_padding_mask"), srcCausal),
            TransformerDecoderLayer l => l.Forward(x["tgt"], x["memory"], Tgt(), Mem(), Kpm("tgt_key_padding_mask"), Kpm("memory_key_padding_mask"), tgtCausal),
            TransformerEncoder s => s.Forward(x["src"], Src(), Kpm("src_key_padding_mask"), srcCausal),
            TransformerDecoder s => s.Forward(x["tgt"], x["memory"], Tgt(), Mem(), Kpm("tgt_key_padding_mask"), Kpm("memory_key_padding_mask"), tgtCausal),
            Nabla.NN.Transformer t => t.Forward(x["src"], x["tgt"], Src(), Tgt(), Mask("memory_mask", "", false), Kpm("src_key_padding_mask"),
                Kpm("tgt_key_padding_mask"), Kpm("memory_key_padding_mask"), srcCausal, tgtCausal),
            _ => throw new InvalidOperationException(m.TypeName),
        };
    }
}
