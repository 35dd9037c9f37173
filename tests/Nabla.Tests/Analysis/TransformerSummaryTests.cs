using Nabla.Analysis;
using Nabla.Models;
using Nabla.NN;

namespace Nabla.Tests.Analysis;

/// <summary>
/// The Transformer's modules in model files and summaries: parameters as PyTorch counts them, and MACs with the
/// attention's T² term, checked against counts made by hand (component by component) on small cases.
/// </summary>
public class TransformerSummaryTests
{
    private static LayerSpec Layer(string type, int e, int f, bool bias = true) =>
        LayerSpec.Of(type, ("dModel", e), ("nhead", 2), ("dimFeedforward", f), ("bias", bias));

    [Fact]
    public void Transformer_with_pytorchs_defaults_has_its_parameter_count()
    {
        // sum(p.numel() for p in torch.nn.Transformer().parameters()) = 44,140,544. By hand, E = 512, F = 2048:
        // encoder layer 4E² + 2EF + 9E + F = 3,152,384 (in_proj 3E² + 3E, out_proj E² + E, linear1 EF + F,
        // linear2 FE + E, two norms 2E each); decoder layer 8E² + 2EF + 15E + F = 4,204,032 (a second attention, a
        // third norm); 6 of each and the two final norms (2E each): 18,914,304 + 1,024 + 25,224,192 + 1,024.
        // TorchSharp 0.107 (libtorch 2.10) counts 44,140,544 for nn.Transformer(), and 242 and 154 for
        // nn.TransformerDecoderLayer(4, 2, 6) and nn.TransformerEncoderLayer(4, 2, 6) (used below).
        var s = ModelSummary.Of(new LayerSpec("Transformer"), new Shape(10, 512));
        Assert.Equal(44_140_544, s.Totals.Params);
        Assert.Equal(3_152_384, s["encoder.layers.0"].Params);
        Assert.Equal(4_204_032, s["decoder.layers.5"].Params);
        Assert.Equal("LayerNorm", s["decoder.norm"].Type);
        Assert.Equal(new Shape(10, 512), s.OutputShape);
    }

    [Theory]
    [InlineData(true, 242)] // 8·16 + 2·24 + 15·4 + 6
    [InlineData(false, 188)] // 8·16 + 2·24 + 3·4: no biases, the three norms keep their weights
    public void Decoder_layer_parameters_are_the_modules(bool bias, long byHand)
    {
        var spec = Layer("TransformerDecoderLayer", 4, 6, bias);
        Assert.Equal(byHand, ModelSummary.Of(spec, new Shape(3, 4)).Totals.Params);
        Assert.Equal(byHand, LayerRegistry.Build(spec).Parameters().Sum(p => p.Numel));
    }

    [Fact]
    public void Encoder_layer_macs_include_the_attentions_T_squared_term()
    {
        // E = 4, F = 6. T = 3: in-projection 3·T·E² = 144, scores QKᵀ T·T·E = 36, weighted values 36, out-projection
        // T·E² = 48, feed-forward 2·T·E·F = 144: 408, 136 per token. T = 6: 288 + 144 + 144 + 96 + 288 = 960, 160 per
        // token: the per-token cost grows by 2E per position of context (the T² term), 8·3 = 24.
        var spec = Layer("TransformerEncoderLayer", 4, 6);
        var at3 = ModelSummary.Of(spec, new Shape(3, 4)).Layers.Single();
        var at6 = ModelSummary.Of(spec, new Shape(6, 4)).Layers.Single();
        Assert.Equal((408, 136L), (at3.Macs, at3.MacsPerStep!.Value));
        Assert.Equal((960, 160L), (at6.Macs, at6.MacsPerStep!.Value));
    }

    [Fact]
    public void Decoder_layer_macs_include_both_attentions_T_squared_and_T_S_terms()
    {
        // E = 4, F = 6, T = 3 and a memory of S = 3 (the summary's convention): self-attention 144 + 36 + 36 + 48 = 264;
        // memory attention: query projection T·E² = 48, key and value projections 2·S·E² = 96, scores T·S·E = 36,
        // weighted values 36, out-projection 48 = 264; feed-forward 144. Total 672, 224 per token.
        var row = ModelSummary.Of(Layer("TransformerDecoderLayer", 4, 6), new Shape(3, 4)).Layers.Single();
        Assert.Equal((672, 224L), (row.Macs, row.MacsPerStep!.Value));

        // S = 5: the memory attention becomes 48 + 2·5·16 + 3·5·4 + 60 + 48 = 376: 264 + 376 + 144 = 784.
        Assert.Equal(784, TransformerFigures.DecoderLayerMacs(3, 5, 4, 6));
        Assert.Equal(408, TransformerFigures.EncoderLayerMacs(3, 4, 6));
    }

    [Fact]
    public void Transformer_summary_is_its_stacks()
    {
        // One encoder layer (154 = 4·16 + 2·24 + 9·4 + 6) and its norm (8), one decoder layer (242) and its norm (8);
        // MACs 408 + 672 at T = S = 3 (the two tests above).
        var spec = LayerSpec.Of("Transformer", ("dModel", 4), ("nhead", 2), ("numEncoderLayers", 1), ("numDecoderLayers", 1), ("dimFeedforward", 6));
        var s = ModelSummary.Of(spec, new Shape(3, 4));
        Assert.Equal(154 + 8 + 242 + 8, s.Totals.Params);
        Assert.Equal(LayerRegistry.Build(spec).Parameters().Sum(p => p.Numel), s.Totals.Params);
        Assert.Equal(408 + 672, s.Totals.Macs);
        Assert.Equal(["encoder", "encoder.layers", "encoder.layers.0", "encoder.norm", "decoder", "decoder.layers", "decoder.layers.0", "decoder.norm"],
            s.Rows.Select(r => r.Path).Where(p => p.Length > 0).ToArray());
    }

    [Fact]
    public void A_decoder_in_a_model_file_is_built_and_summarised_and_run_with_its_memory_in_code()
    {
        const string yaml = """
            input: [3, 4]
            layers:
              - TransformerDecoder:
                  numLayers: 2
                  decoderLayer: {TransformerDecoderLayer: {dModel: 4, nhead: 2, dimFeedforward: 6, batchFirst: true, dropout: 0.0}}
                  norm: {LayerNorm: {normalizedShape: 4}}
                as: decoder
            """;
        var definition = ModelFile.Parse(yaml);
        Assert.Equal(2 * 672, definition.Summarize().Totals.Macs);
        var model = (Sequential)definition.Build();

        // The file's chain gives each layer one input: a decoder needs the memory too, and says so.
        var tgt = Tensor.Randn(new Shape(2, 3, 4), new Generator(1));
        var e = Assert.Throws<NotSupportedException>(() => model.Forward(tgt));
        Assert.Contains("needs the memory too", e.Message, StringComparison.Ordinal);

        var memory = Tensor.Randn(new Shape(2, 5, 4), new Generator(2));
        Assert.Equal(new Shape(2, 3, 4), ((TransformerDecoder)model["decoder"]).Forward(tgt, memory).Shape);
    }

    [Fact]
    public void A_transformer_with_a_custom_encoder_is_not_written_as_the_standard_one()
    {
        // PyTorch's custom_encoder: here two layers and no final norm, which Transformer's arguments cannot say.
        var layer = new TransformerEncoderLayer(4, 2, 6);
        var m = new Transformer(4, 2, numDecoderLayers: 1, dimFeedforward: 6, customEncoder: new TransformerEncoder(layer, 2));
        Assert.NotNull(LayerRegistry.Describe(m).Opaque);
        var e = Assert.Throws<NotSupportedException>(() => ModelFile.Write(m));
        Assert.Contains("cannot describe a Transformer", e.Message, StringComparison.Ordinal);

        // The standard one is written and read back with the same arguments.
        var standard = new Transformer(4, 2, 1, 1, 6, normFirst: true);
        var spec = ModelFile.Parse(ModelFile.Write(standard)).Model.Layers.Single();
        Assert.Equal("Transformer", spec.Type);
        Assert.Equal(new Dictionary<string, object> { ["dModel"] = 4, ["nhead"] = 2, ["numEncoderLayers"] = 1, ["numDecoderLayers"] = 1, ["dimFeedforward"] = 6, ["normFirst"] = true },
            spec.Args.ToDictionary());
    }
}
