using static Nabla.Tests.Analysis.AnalysisTestHelpers;
using Nabla.Analysis;
using Nabla.Formats;
using Nabla.Models;
using Nabla.NN;
using Nabla.Optim;

namespace Nabla.Tests.Analysis;

/// <summary>
/// Auxiliary outputs in model files (a head that leaves the main path, as torchvision's GoogLeNet <c>aux1</c>,
/// <c>aux2</c>): the googlenet model file with <c>aux_logits</c>, the summary's auxiliary rows and totals, and
/// training through the heads.
/// </summary>
public class AuxiliaryTests
{
    private static readonly Dictionary<string, bool> AuxLogits = new() { ["aux_logits"] = true };

    // A convolution, a head off its output, and the main classifier: h = conv(x) (3×4×4 = 48 features).
    private const string Small = """
        input: [2, 4, 4]
        layers:
          - Conv2d: {inChannels: 2, outChannels: 3, kernelSize: 3, padding: 1}
            as: conv
          - Auxiliary:
              layers:
                - Flatten
                - Linear: {inFeatures: 48, outFeatures: 5}
                  as: fc
            as: aux
          - Flatten: {}
            as: flatten
          - Linear: {inFeatures: 48, outFeatures: 5}
            as: fc
        """;

    [Fact]
    public void Googlenet_with_aux_logits_has_torchvisions_parameter_count()
    {
        var plain = ModelFile.Load(ExamplePath("googlenet")).Summarize();
        var aux = ModelFile.Load(ExamplePath("googlenet"), AuxLogits).Summarize();

        // torchvision's googlenet(aux_logits=True) has 13,004,888 parameters. By hand, InceptionAux(C, 1000) has
        // conv 128·C (no bias) + bn 2·128 + fc1 2048·1024 + 1024 + fc2 1024·1000 + 1000:
        // aux1 (C = 512) 3,188,968 and aux2 (C = 528) 3,191,016, together 6,379,984 = 13,004,888 − 6,624,904.
        Assert.Equal(6_624_904, plain.Totals.Params);
        Assert.Equal(0, plain.Totals.AuxiliaryParams);
        Assert.DoesNotContain(plain.Rows, r => r.IsAuxiliary);
        Assert.Equal(13_004_888, aux.Totals.Params);
        Assert.Equal(6_379_984, aux.Totals.AuxiliaryParams);
        Assert.Equal(3_188_968, aux["aux1"].Params);
        Assert.Equal(3_191_016, aux["aux2"].Params);

        // Inference MACs are unchanged; the heads' are apart: 16·C·128 (conv at 4×4) + 2048·1024 + 1024·1000 each.
        Assert.Equal(plain.Totals.Macs, aux.Totals.Macs);
        Assert.Equal((16L * 512 * 128) + (16L * 528 * 128) + (2 * ((2048L * 1024) + (1024L * 1000))), aux.Totals.AuxiliaryMacs);
        Assert.Equal(plain.OutputShape, aux.OutputShape);

        Assert.True(aux["aux1"].IsAuxiliary && aux["aux1.fc2"].IsAuxiliary && aux["aux2.conv.bn"].IsAuxiliary);
        Assert.False(aux["inception4b"].IsAuxiliary || aux["fc"].IsAuxiliary);
        Assert.Equal(new Shape(1000), aux["aux1"].OutputShape);
        Assert.Equal(new Shape(512, 14, 14), aux["aux1"].InputShape);
        Assert.Equal(new Shape(528, 14, 14), aux["aux2"].InputShape);
    }

    [Fact]
    public void Googlenet_aux_heads_have_torchvisions_state_dict_names()
    {
        var model = ModelFile.Load(ExamplePath("googlenet"), AuxLogits).Build();
        var state = model.StateDict();

        // torchvision's googlenet(aux_logits=True).state_dict() keys under aux1 and aux2 (InceptionAux: conv, fc1, fc2).
        string[] head = ["conv.conv.weight", "conv.bn.weight", "conv.bn.bias", "conv.bn.running_mean", "conv.bn.running_var",
            "conv.bn.num_batches_tracked", "fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"];
        Assert.Equal(head.Select(k => "aux1." + k).Concat(head.Select(k => "aux2." + k)).Order(), state.Keys.Where(k => k.StartsWith("aux", StringComparison.Ordinal)).Order());
        Assert.Equal(new Shape(128, 512, 1, 1), state["aux1.conv.conv.weight"].Shape);
        Assert.Equal(new Shape(128, 528, 1, 1), state["aux2.conv.conv.weight"].Shape);
        Assert.Equal(new Shape(1024, 2048), state["aux1.fc1.weight"].Shape);
        Assert.Equal(new Shape(1000, 1024), state["aux2.fc2.weight"].Shape);
        Assert.Equal(13_004_888, model.Parameters().Sum(p => p.Numel));
    }

    [Fact]
    public void Aux_outputs_run_in_training_only_and_leave_the_main_path_unchanged()
    {
        var model = ModelFile.Parse(Small).Build();
        var x = Tensor.Randn(new Shape(2, 2, 4, 4), new Generator(3));

        var y = model.Forward(x);
        var aux = Assert.Single(Auxiliary.OutputsOf(model));
        Assert.Equal("aux", aux.Path);
        Assert.Equal(new Shape(2, 5), aux.Output.Shape);

        // The main output is fc(flatten(conv(x))), whatever the head does; the head's is its own fc on the same features.
        var seq = (Sequential)model;
        var h = seq["conv"].Forward(x).Flatten(1);
        Assert.Equal(seq["fc"].Forward(h).ToDoubleArray(), y.ToDoubleArray());
        Assert.Equal(((Auxiliary)seq["aux"]).Layers[1].Forward(h).ToDoubleArray(), aux.Output.ToDoubleArray());

        model.Eval();
        Assert.Equal(y.ToDoubleArray(), model.Forward(x).ToDoubleArray());
        Assert.Empty(Auxiliary.OutputsOf(model));
        Assert.Null(((Auxiliary)seq["aux"]).Output);
    }

    [Fact]
    public void Aux_outputs_receive_gradients_in_training()
    {
        var model = (Sequential)ModelFile.Parse(Small).Build();
        var x = Tensor.Randn(new Shape(2, 2, 4, 4), new Generator(5));
        var head = (Linear)((Auxiliary)model["aux"]).Layers[1];
        var conv = (Conv2d)model["conv"];

        // loss = Σ main + 0.3·Σ aux (torchvision's weight for the auxiliary losses). For aux = h Wᵀ + b summed over
        // the batch and the 5 outputs: ∂loss/∂W[j, k] = 0.3·Σₙ h[n, k] for every row j, and ∂loss/∂b = 0.3·N.
        var y = model.Forward(x);
        (y.Sum() + (0.3 * Auxiliary.OutputsOf(model)[0].Output.Sum())).Backward();
        var h = conv.Forward(x).Flatten(1).ToDoubleArray();
        for (int j = 0; j < 5; j++)
        {
            for (int k = 0; k < 48; k++)
            {
                Assert.Equal(0.3 * (h[k] + h[48 + k]), head.Weight.Grad!.ToDoubleArray()[(j * 48) + k], 1e-5);
            }
        }

        Assert.All(head.Bias!.Grad!.ToDoubleArray(), g => Assert.Equal(0.6, g, 1e-5));

        // The trunk gets the sum of both paths' gradients: the main path's alone plus 0.3 × the head's alone.
        var both = conv.Weight.Grad!.ToDoubleArray();
        model.ZeroGrad();
        model.Forward(x).Sum().Backward();
        var main = conv.Weight.Grad!.ToDoubleArray();
        model.ZeroGrad();
        model.Forward(x);
        Auxiliary.OutputsOf(model)[0].Output.Sum().Backward();
        var fromHead = conv.Weight.Grad!.ToDoubleArray();
        Assert.All(Enumerable.Range(0, both.Length), i => Assert.Equal(main[i] + (0.3 * fromHead[i]), both[i], 1e-4));
        Assert.Contains(fromHead, g => Math.Abs(g) > 1e-6);
    }

    [Fact]
    public void Training_with_the_aux_loss_fits_the_head()
    {
        var model = (Sequential)ModelFile.Parse(Small).Build();
        var x = Tensor.Randn(new Shape(8, 2, 4, 4), new Generator(9));
        var target = Tensor.FromArray(new long[] { 0, 1, 2, 3, 4, 0, 1, 2 }, new Shape(8));
        var opt = new SGD(model.Parameters(), lr: 0.1);
        double AuxLoss() => F.CrossEntropy(((Auxiliary)model["aux"]).Head(model["conv"].Forward(x)), target).Item();

        double before = AuxLoss();
        for (int step = 0; step < 30; step++)
        {
            opt.ZeroGrad();
            var main = F.CrossEntropy(model.Forward(x), target);
            (main + (0.3 * F.CrossEntropy(Auxiliary.OutputsOf(model)[0].Output, target))).Backward();
            opt.Step();
        }

        Assert.True(AuxLoss() < 0.8 * before, $"auxiliary loss {before:F4} -> {AuxLoss():F4}");
    }

    [Fact]
    public void Onnx_export_is_of_inference_and_leaves_the_head_out()
    {
        // The same trunk and classifier without the head give the same file: no node and no weight of the head.
        var model = (Sequential)ModelFile.Parse(Small).Build();
        var trunk = new Sequential([("conv", model["conv"]), ("flatten", model["flatten"]), ("fc", model["fc"])]);
        Assert.Equal(Nabla.Onnx.OnnxExport.ToBytes(trunk, new Shape(2, 4, 4)), Nabla.Onnx.OnnxExport.ToBytes(model, new Shape(2, 4, 4)));
    }

    [Fact]
    public void Summary_marks_the_head_and_counts_it_apart()
    {
        var s = ModelFile.Parse(Small).Summarize();

        // Main: conv 2·3·9 + 3 = 57 and fc 48·5 + 5 = 245 parameters; head: its fc, 245. MACs: conv 16·3·18 = 864, fc 240.
        Assert.Equal(57 + 245 + 245, s.Totals.Params);
        Assert.Equal(245, s.Totals.AuxiliaryParams);
        Assert.Equal(864 + 240, s.Totals.Macs);
        Assert.Equal(240, s.Totals.AuxiliaryMacs);
        Assert.Equal(new Shape(5), s.OutputShape);
        Assert.Equal(new Shape(5), s["aux"].OutputShape);
        Assert.Equal(240, s["aux"].Macs);
        Assert.True(s["aux.fc"].IsAuxiliary);

        using var text = new StringWriter();
        SummaryRenderer.ToText(s, text);
        Assert.Contains("aux (Auxiliary, auxiliary)", text.ToString(), StringComparison.Ordinal);
        Assert.Contains("aux.fc (Linear, auxiliary)", text.ToString(), StringComparison.Ordinal);
        Assert.Contains("Auxiliary params: 245 (in Params", text.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Cli_summary_sets_an_option()
    {
        var (code, output, err) = RunCli("googlenet", "--set", "aux_logits=true", "--format", "json");
        Assert.True(code == 0, err);
        var json = System.Text.Json.JsonDocument.Parse(output).RootElement;
        Assert.Equal(13_004_888, json.GetProperty("totals").GetProperty("params").GetInt64());
        Assert.Equal(6_379_984, json.GetProperty("totals").GetProperty("auxiliary_params").GetInt64());
        Assert.True(Layer(json, "aux2").GetProperty("auxiliary").GetBoolean());

        (code, _, err) = RunCli("googlenet", "--set", "aux_logit=true");
        Assert.Equal(2, code);
        Assert.Contains("no option 'aux_logit'; did you mean 'aux_logits'?", err, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("layers:\n  - ReLU: {}\n    if: aux\n", "'if:' names an option, but the file declares none")]
    [InlineData("options: {aux: false}\nlayers:\n  - ReLU: {}\n    if: axu\n", "line 4, column 9: 'if:' must name an option of the file; did you mean 'aux'?")]
    [InlineData("options: {aux: maybe}\nlayers: []\n", "option 'aux' must default to true or false")]
    [InlineData("layers:\n  - Auxiliary: {}\n", "an Auxiliary needs a 'layers:' list")]
    [InlineData("options: {aux: true}\nlayers:\n  - Residual:\n      body:\n        Tanh: {}\n        if: aux\n", "'if:' keeps or drops a layer of a list")]
    public void Bad_options_and_heads_are_refused_with_the_place(string yaml, string message)
    {
        var e = Assert.Throws<YamlException>(() => ModelFile.Parse(yaml));
        Assert.Contains(message, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_option_that_is_off_drops_the_layer_and_one_that_is_on_keeps_it()
    {
        const string yaml = "options: {extra: false}\ninput: [4]\nlayers:\n  - Linear: {inFeatures: 4, outFeatures: 4}\n    if: extra\n  - Linear: {inFeatures: 4, outFeatures: 2}\n";
        Assert.Equal(10, ModelFile.Parse(yaml).Summarize().Totals.Params);
        Assert.Equal(20 + 10, ModelFile.Parse(yaml, new Dictionary<string, bool> { ["extra"] = true }).Summarize().Totals.Params);
        var e = Assert.Throws<ArgumentException>(() => ModelFile.Parse(yaml, new Dictionary<string, bool> { ["other"] = true }));
        Assert.Contains("no option 'other' (options: extra)", e.Message, StringComparison.Ordinal);
    }
}
