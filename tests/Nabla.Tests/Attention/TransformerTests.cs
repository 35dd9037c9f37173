using Nabla.NN;

namespace Nabla.Tests.Attention;

/// <summary>
/// The Transformer modules beyond the PyTorch goldens: defaults, state-dict names and order, the copies a stack makes,
/// nn.Transformer's size and re-initialisation, the causal mask, dropout in training and evaluation, gradcheck, and
/// the arguments they refuse.
/// </summary>
public sealed class TransformerTests
{
    private static readonly string[] EncoderLayerNames =
    [
        // PyTorch's attribute order in TransformerEncoderLayer.__init__ (torch/nn/modules/transformer.py).
        "self_attn.in_proj_weight", "self_attn.in_proj_bias", "self_attn.out_proj.weight", "self_attn.out_proj.bias",
        "linear1.weight", "linear1.bias", "linear2.weight", "linear2.bias", "norm1.weight", "norm1.bias", "norm2.weight", "norm2.bias",
    ];

    [Fact]
    public void Layers_have_pytorchs_defaults_and_names()
    {
        var enc = new TransformerEncoderLayer(8, 2);
        Assert.Equal((2048, 0.1, "relu", 1e-5, false, false, true), (enc.DimFeedforward, enc.DropoutP, enc.ActivationName, enc.LayerNormEps, enc.BatchFirst, enc.NormFirst, enc.HasBias));
        Assert.Equal(EncoderLayerNames, enc.NamedParameters().Select(p => p.Name));
        Assert.Equal(new Shape(2048, 8), enc.Linear1.Weight.Shape);
        Assert.Equal(new Shape(8, 2048), enc.Linear2.Weight.Shape);

        var dec = new TransformerDecoderLayer(8, 2, 16, bias: false);
        Assert.Equal(
            ["self_attn.in_proj_weight", "self_attn.out_proj.weight", "multihead_attn.in_proj_weight", "multihead_attn.out_proj.weight",
             "linear1.weight", "linear2.weight", "norm1.weight", "norm2.weight", "norm3.weight"],
            dec.NamedParameters().Select(p => p.Name));
    }

    [Fact]
    public void Stacks_copy_the_layer()
    {
        var layer = new TransformerEncoderLayer(4, 2, 8, generator: new Generator(1));
        var enc = new TransformerEncoder(layer, 2, new LayerNorm(new Shape(4)));
        Assert.Equal([.. EncoderLayerNames.Select(n => "layers.0." + n), .. EncoderLayerNames.Select(n => "layers.1." + n), "norm.weight", "norm.bias"],
            enc.NamedParameters().Select(p => p.Name));

        // As PyTorch's deepcopy: equal values, separate storage, the template not part of the stack.
        var first = (TransformerEncoderLayer)enc.Layers[0];
        Assert.Equal(layer.Linear1.Weight.ToDoubleArray(), first.Linear1.Weight.ToDoubleArray());
        Assert.Equal(layer.Linear1.Weight.ToDoubleArray(), ((TransformerEncoderLayer)enc.Layers[1]).Linear1.Weight.ToDoubleArray());
        Expect.Set(first.Linear1.Weight, Tensor.Zeros(first.Linear1.Weight.Shape));
        Assert.NotEqual(0.0, layer.Linear1.Weight.ToDoubleArray().Max(Math.Abs));
        Assert.NotEqual(0.0, ((TransformerEncoderLayer)enc.Layers[1]).Linear1.Weight.ToDoubleArray().Max(Math.Abs));
        Assert.DoesNotContain(enc.Parameters(), p => ReferenceEquals(p, layer.Linear1.Weight));

        var dec = new TransformerDecoder(new TransformerDecoderLayer(4, 2, 8), 3);
        Assert.Equal(3, dec.NumLayers);
        Assert.Contains("layers.2.multihead_attn.in_proj_weight", dec.NamedParameters().Select(p => p.Name));
        Assert.DoesNotContain(dec.NamedParameters(), p => p.Name.StartsWith("norm", StringComparison.Ordinal));
    }

    [Fact]
    public void Transformer_has_pytorchs_defaults_and_size()
    {
        // nn.Transformer(d_model=512, nhead=8, num_encoder_layers=6, num_decoder_layers=6, dim_feedforward=2048,
        // dropout=0.1, activation=relu, custom_encoder=None, custom_decoder=None, layer_norm_eps=1e-5,
        // batch_first=False, norm_first=False, bias=True); building the 44M-parameter default would cost seconds.
        var defaults = typeof(Nabla.NN.Transformer).GetConstructors().Single().GetParameters().Select(p => p.DefaultValue).Take(13);
        Assert.Equal([512, 8, 6, 6, 2048, 0.1, "relu", null, null, 1e-5, false, false, true], defaults);

        // Parameters by hand, E = 16, F = 32: encoder layer 4E² + 4E (attention) + 2EF + F + E (feed-forward) + 4E
        // (norms) = 2,224; decoder layer two attentions and three norms: 3,344; two final norms 2E each: 5,632. The
        // same formula gives PyTorch's 44,140,544 for the defaults (6 + 6 layers, E = 512, F = 2048).
        var t = new Nabla.NN.Transformer(16, 2, 1, 1, 32, generator: new Generator(0));
        Assert.Equal(5_632L, t.Parameters().Sum(p => p.Shape.Numel));
        Assert.Equal("encoder.layers.0.self_attn.in_proj_weight", t.NamedParameters().First().Name);
        Assert.Equal("decoder.norm.bias", t.NamedParameters().Last().Name);
    }

    [Fact]
    public void Transformer_reinitialises_matrices_xavier_uniform()
    {
        var t = new Nabla.NN.Transformer(8, 2, 2, 1, 16, generator: new Generator(2));
        foreach (var (name, p) in t.NamedParameters())
        {
            var v = p.ToDoubleArray();
            if (p.Rank > 1)
            {
                // Xavier-uniform bound √(6/(fan_in + fan_out)); every matrix, also out_proj and linear1/2 (Kaiming before).
                double bound = Math.Sqrt(6.0 / (p.Shape[0] + p.Shape[1]));
                Assert.All(v, x => Assert.InRange(Math.Abs(x), 0, bound));
                Assert.True(v.Max(Math.Abs) > 0.7 * bound, $"{name} should spread over the Xavier range");
            }
        }

        // After re-initialisation the copied layers differ (PyTorch draws each matrix anew).
        var l0 = ((TransformerEncoderLayer)t.Encoder.Layers[0]).Linear1.Weight.ToDoubleArray();
        var l1 = ((TransformerEncoderLayer)t.Encoder.Layers[1]).Linear1.Weight.ToDoubleArray();
        Assert.NotEqual(l0, l1);
    }

    [Fact]
    public void Square_subsequent_mask_is_minus_infinity_above_the_diagonal()
    {
        var m = Nabla.NN.Transformer.GenerateSquareSubsequentMask(3);
        double inf = double.NegativeInfinity;
        Assert.Equal([0, inf, inf, 0, 0, inf, 0, 0, 0], m.ToDoubleArray());
        Assert.Equal(DType.Float32, m.DType);
        Assert.Equal(DType.Float64, Nabla.NN.Transformer.GenerateSquareSubsequentMask(2, DType.Float64).DType);
    }

    [Fact]
    public void Causal_mask_hides_the_future()
    {
        // With the causal mask, position i's output depends on positions ≤ i only: changing the last position leaves
        // the others as they were; without the mask every position changes.
        var g = new Generator(3);
        var layer = new TransformerEncoderLayer(4, 2, 8, dropout: 0, batchFirst: true, generator: g, dtype: DType.Float64);
        var x = Tensor.Randn(new Shape(2, 5, 4), g, DType.Float64);
        var x2 = x.Clone();
        Expect.Set(x2.Narrow(1, 4, 1), Tensor.Randn(new Shape(2, 1, 4), g, DType.Float64));
        var mask = Nabla.NN.Transformer.GenerateSquareSubsequentMask(5, DType.Float64);
        var (a, b) = (layer.Forward(x, mask, isCausal: true), layer.Forward(x2, mask, isCausal: true));
        Expect.AllClose(a.Narrow(1, 0, 4).ToDoubleArray(), b.Narrow(1, 0, 4), 1e-12, 0);
        Assert.NotEqual(a.Narrow(1, 4, 1).ToDoubleArray(), b.Narrow(1, 4, 1).ToDoubleArray());
        var full = (layer.Forward(x), layer.Forward(x2));
        Assert.NotEqual(full.Item1.Narrow(1, 0, 1).ToDoubleArray()[0], full.Item2.Narrow(1, 0, 1).ToDoubleArray()[0], 9);
    }

    [Fact]
    public void Dropout_acts_in_training_only()
    {
        var g = new Generator(4);
        var layer = new TransformerEncoderLayer(4, 2, 8, dropout: 0.5, generator: g, dtype: DType.Float64);
        var plain = new TransformerEncoderLayer(4, 2, 8, dropout: 0, dtype: DType.Float64);
        plain.LoadStateDict(layer.StateDict());
        var x = Tensor.Randn(new Shape(3, 2, 4), g, DType.Float64);

        layer.Eval();
        Expect.AllClose(plain.Forward(x).ToDoubleArray(), layer.Forward(x), 1e-12, 0); // evaluation: no dropout at all
        layer.Train();
        var (t1, t2) = (layer.Forward(x).ToDoubleArray(), layer.Forward(x).ToDoubleArray());
        Assert.NotEqual(t1, t2); // fresh masks per call
        Assert.NotEqual(plain.Forward(x).ToDoubleArray(), t1);

        // Train/Eval reaches every layer of a stack.
        var enc = new TransformerEncoder(layer, 2);
        enc.Eval();
        Assert.All(enc.NamedModules(), m => Assert.False(m.Module.IsTraining));
    }

    [Fact]
    public void Decoder_layer_gradients_match_finite_differences()
    {
        // Composite of Linear, LayerNorm, GELU and the attention op: float64 gradcheck of tgt and memory, pre-norm,
        // with a causal target mask and a key padding mask on the memory.
        var g = new Generator(5);
        var layer = new TransformerDecoderLayer(4, 2, 6, dropout: 0, activation: "gelu", normFirst: true, generator: g, dtype: DType.Float64);
        var tgt = Tensor.Randn(new Shape(3, 2, 4), g, DType.Float64).RequireGrad();
        var mem = Tensor.Randn(new Shape(4, 2, 4), g, DType.Float64).RequireGrad();
        var mask = Nabla.NN.Transformer.GenerateSquareSubsequentMask(3, DType.Float64);
        var pad = Tensor.FromArray(new[] { false, false, false, true, false, false, true, true }, new Shape(2, 4));
        var result = GradCheck.Check(xs => layer.Forward(xs[0], xs[1], mask, memoryKeyPaddingMask: pad), [tgt, mem]);
        Assert.True(result.Passed, result.Message);
    }

    [Fact]
    public void Refuses_what_it_does_not_do()
    {
        Assert.Contains("activation should be relu/gelu, not tanh", Assert.Throws<ArgumentException>(() => new TransformerEncoderLayer(4, 2, activation: "tanh")).Message);
        Assert.Contains("divisible", Assert.Throws<ArgumentException>(() => new TransformerDecoderLayer(6, 4)).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => new TransformerEncoderLayer(4, 2, dropout: 1.5));
        var layer = new TransformerEncoderLayer(4, 2, 8);
        Assert.Contains("expected src", Assert.Throws<ArgumentException>(() => layer.Forward(Tensor.Zeros(new Shape(3, 2, 5)))).Message);
        Assert.Throws<NotSupportedException>(() => new TransformerDecoderLayer(4, 2, 8).Forward(Tensor.Zeros(new Shape(3, 2, 4))));

        var t = new Nabla.NN.Transformer(4, 2, 1, 1, 8);
        Assert.Throws<NotSupportedException>(() => t.Forward(Tensor.Zeros(new Shape(3, 2, 4))));
        Assert.Contains("batch number", Assert.Throws<ArgumentException>(() => t.Forward(Tensor.Zeros(new Shape(3, 2, 4)), Tensor.Zeros(new Shape(3, 3, 4)))).Message);
        Assert.Contains("d_model", Assert.Throws<ArgumentException>(() => t.Forward(Tensor.Zeros(new Shape(3, 2, 4)), Tensor.Zeros(new Shape(3, 2, 5)))).Message);
        Assert.Equal(new Shape(5, 2, 4), t.Forward(Tensor.Zeros(new Shape(3, 2, 4)), Tensor.Zeros(new Shape(5, 2, 4))).Shape);
    }
}
