using Nabla.Analysis;
using Nabla.Models;
using Nabla.NN;
using static Nabla.Tests.Analysis.AnalysisTestHelpers;

namespace Nabla.Tests.Analysis;

/// <summary>Topics param-count, lstm-param-count and conv-cost through ModelSummary and the CLI's JSON.</summary>
public class ParamCountAnalysisProblems
{
    [Fact]
    public void S1_T7A_c_conv1_params()
    {
        // 96 filters of 11·11·3 weights + 1 bias: 96·(363 + 1) = 34944.
        var s = ModelSummary.Of(new Conv2d(3, 96, 11, stride: 4, padding: 5), new Shape(3, 256, 256));
        Assert.Equal(34944, s.Totals.Params);
        var json = CliJson("input: [3, 256, 256]\nlayers:\n  - Conv2d: {inChannels: 3, outChannels: 96, kernelSize: 11, stride: 4, padding: 5}\n");
        Assert.Equal(34944, json.GetProperty("totals").GetProperty("params").GetInt64());
    }

    [Theory]
    [InlineData("same", 100, 819328, 819712)]
    [InlineData("valid", 98, 802944, 803328)]
    public void S1_EC3_3a_conv1d_bn_params(string padding, int length, long fcParams, long trainable)
    {
        // Conv1d 64·(3 + 1) = 256; BN γ, β = 128 trainable, running mean and variance = 128 non-trainable
        // (num_batches_tracked not counted); dense (64·L)·128 + 128.
        string yaml = $$"""
            input: [1, 100]
            layers:
              - Conv1d: {inChannels: 1, outChannels: 64, kernelSize: 3, padding: {{padding}}}
                name: conv
              - BatchNorm1d: {numFeatures: 64}
                name: bn
              - Flatten
              - Linear: {inFeatures: {{64 * length}}, outFeatures: 128}
                name: fc
            """;
        var s = Summary(yaml);
        Assert.Equal(256, s["conv"].Params);
        Assert.Equal(new Shape(64, length), s["conv"].OutputShape);
        Assert.Equal(128, s["bn"].Trainable);
        Assert.Equal(128, s["bn"].NonTrainable);
        Assert.Equal(fcParams, s["fc"].Params);
        Assert.Equal(trainable, s.Totals.Trainable);
        Assert.Equal(128, s.Totals.NonTrainable);

        var json = CliJson(yaml).GetProperty("totals");
        Assert.Equal(trainable, json.GetProperty("trainable").GetInt64());
        Assert.Equal(128, json.GetProperty("non_trainable").GetInt64());

        // The same figures from the built module (its num_batches_tracked buffer is bookkeeping, not counted).
        var module = new Sequential(new Conv1d(1, 64, 3, padding), new BatchNorm1d(64), new Flatten(), new Linear(64 * length, 128));
        Assert.Equal(trainable, ModelSummary.Of(module, new Shape(1, 100)).Totals.Trainable);
        Assert.Equal(trainable, module.Parameters().Sum(p => p.Numel));
    }

    [Fact]
    public void S1_EC2_1_dense_params_from_shapes_alone()
    {
        // 196608·1048 + 1048 = 206046232, … total 206758544; dropout adds nothing. Counted from the file, never allocated.
        int[] units = [1048, 512, 256, 128, 64, 32, 16, 8];
        long[] expected = [206046232, 537088, 131328, 32896, 8256, 2080, 528, 136];
        var lines = new List<string> { "input: [196608]", "layers:" };
        int prev = 196608;
        for (int i = 0; i < units.Length; i++)
        {
            lines.Add($"  - Linear: {{inFeatures: {prev}, outFeatures: {units[i]}}}");
            lines.Add($"    name: dense{i}");
            lines.Add(units[i] == 8 ? "  - Softmax" : "  - ReLU");
            if (i == 1 || i == 4)
            {
                lines.Add($"  - Dropout: {{p: {(i == 1 ? 0.4 : 0.6)}}}");
            }

            prev = units[i];
        }

        string yaml = string.Join("\n", lines) + "\n";
        long before = GC.GetTotalAllocatedBytes(precise: true);
        var s = Summary(yaml);
        long allocated = GC.GetTotalAllocatedBytes(precise: true) - before;
        Assert.True(allocated < 10_000_000, $"the summary allocated {allocated} bytes; the weights alone would be 827 MB");

        Assert.Equal(expected, s.Layers.Where(r => r.Type == "Linear").Select(r => r.Params).ToArray());
        Assert.Equal(206758544, s.Totals.Params);
        Assert.Equal(0, s.Layers.Where(r => r.Type == "Dropout").Sum(r => r.Params));
        Assert.Equal(8, s.Layers.Count(r => r.Type == "Linear"));
        Assert.Equal(1048, s.Layers.Where(r => r.Type == "Linear").Max(r => r.OutputShape[-1]));
        Assert.Equal(206758544, CliJson(yaml).GetProperty("totals").GetProperty("params").GetInt64());
    }

    [Fact]
    public void Absurd_sizes_are_reported_from_shape_arithmetic_and_never_built()
    {
        // Two 10⁶ × 10⁶ layers: 2·10¹² weights (8 TB in float32). The summary needs no allocation; building refuses.
        const string yaml = """
            name: huge
            input: [1000000]
            layers:
              - Linear: {inFeatures: 1000000, outFeatures: 1000000, bias: false}
              - Linear: {inFeatures: 1000000, outFeatures: 1000000, bias: false}
            """;
        var def = Nabla.Models.ModelFile.Parse(yaml);
        Assert.Equal(2_000_000_000_000, def.Summarize().Totals.Params);
        var e = Assert.Throws<ModelShapeException>(() => def.Build());
        Assert.Contains("2,000,000,000,000 parameters", e.Message, StringComparison.Ordinal);
        Assert.Contains("nothing was allocated", e.Message, StringComparison.Ordinal);
        var (code, output, _) = RunCli(WriteTemp(yaml));
        Assert.Equal(0, code);
        Assert.Contains("2,000,000,000,000", output, StringComparison.Ordinal);
    }

    [Fact]
    public void S2_Q3a_resblock_params()
    {
        // 3·3·32·32 = 9216 weights per conv, + 32 biases = 9248; the block keeps 16×16×32.
        foreach (var (bias, per, total) in new[] { (true, 9248L, 18496L), (false, 9216L, 18432L) })
        {
            string b = bias ? "true" : "false";
            string yaml = $$"""
                input: [32, 16, 16]
                layers:
                  - Residual:
                      body:
                        - Conv2d: {inChannels: 32, outChannels: 32, kernelSize: 3, padding: same, bias: {{b}}}
                        - ReLU
                        - Conv2d: {inChannels: 32, outChannels: 32, kernelSize: 3, padding: same, bias: {{b}}}
                      activation: ReLU
                """;
            var s = Summary(yaml);
            Assert.Equal([per, per], s.Layers.Where(r => r.Type == "Conv2d").Select(r => r.Params).ToArray());
            Assert.Equal(total, s.Totals.Params);
            Assert.Equal(new Shape(32, 16, 16), s.OutputShape);
            Assert.Equal(total, CliJson(yaml).GetProperty("totals").GetProperty("params").GetInt64());
        }
    }

    [Fact]
    public void S3_Q4_mlp_params()
    {
        // 3·4 + 4 = 16 and 4·2 + 2 = 10.
        var s = ModelSummary.Of(new Sequential(new Linear(3, 4), new Sigmoid(), new Linear(4, 2)), new Shape(3));
        Assert.Equal([16L, 10L], s.Layers.Where(r => r.Type == "Linear").Select(r => r.Params).ToArray());
        Assert.Equal(26, s.Totals.Params);
    }

    [Fact]
    public void S3_Q15_fc_vs_conv()
    {
        // Dense 1024·5 + 5 = 5125; conv with five 1×32×32 filters: 5·1024 + 5 = 5125, output 5×1×1.
        var dense = ModelSummary.Of(new Sequential(new Flatten(), new Linear(1024, 5)), new Shape(1, 32, 32));
        var conv = ModelSummary.Of(new Conv2d(1, 5, 32), new Shape(1, 32, 32));
        Assert.Equal(5125, dense.Totals.Params);
        Assert.Equal(5125, conv.Totals.Params);
        Assert.Equal(new Shape(5, 1, 1), conv.OutputShape);
        Assert.Equal(dense.Totals.Macs, conv.Totals.Macs); // the same 5120 multiplications
        Assert.Equal(32, dense.Totals.ReceptiveField!.Size); // the dense layer sees the whole image, as the 32×32 kernel does
        Assert.Equal(32, conv.Totals.ReceptiveField!.Size);
    }

    [Fact]
    public void S1_EC3_2a_lstm_params()
    {
        // PyTorch keeps two bias vectors per gate: 4·3·(4 + 3) + 2·4·3 = 84 + 24 = 108; Keras' one bias gives 96.
        // Output layer 3·1 + 1 = 4.
        const string yaml = """
            input: [5, 4]          # 5 time steps of 4 features
            layers:
              - LSTM: {inputSize: 4, hiddenSize: 3, batchFirst: true}
                name: lstm
              - Linear: {inFeatures: 3, outFeatures: 1}
                name: out
            """;
        var s = Summary(yaml);
        Assert.Equal(108, s["lstm"].Params);
        Assert.Equal(96, s["lstm"].Params - (4 * 3));         // Keras: one bias vector per gate instead of two
        Assert.Equal(4, s["out"].Params);
        Assert.Equal(112, s.Totals.Params);
        Assert.Equal(4 * 3 * (4 + 3), s["lstm"].MacsPerStep); // per time step: the four gates' matrices
        Assert.Equal(5 * 84, s["lstm"].Macs);                  // per sequence
        Assert.Equal(new Shape(5, 3), s["lstm"].OutputShape);

        var json = CliJson(yaml);
        Assert.Equal(108, Layer(json, "lstm").GetProperty("params").GetInt64());
        Assert.Equal(84, Layer(json, "lstm").GetProperty("macs_per_step").GetInt64());

        // Against a real LSTM's parameter tensors.
        var lstm = new LSTM(4, 3, batchFirst: true);
        Assert.Equal(108, lstm.Parameters().Sum(p => p.Numel));
        Assert.Equal(108, ModelSummary.Of(lstm, new Shape(5, 4)).Totals.Params);
    }

    [Theory]
    [InlineData(5, 120422400, 2408448, 10035200, 12443648, 9.6774)]
    [InlineData(3, 43352064, 2408448, 3612672, 6021120, 7.2)]
    public void S3_Q13_conv_cost(int k, long naive, long oneByOne, long kxk, long total, double saving)
    {
        // Naive: 28·28·32 outputs × k·k·192 multiplications. Bottleneck: 28·28·16 × 192, then 28·28·32 × k·k·16.
        string Naive() => $"name: naive\ninput: [192, 28, 28]\nlayers:\n  - Conv2d: {{inChannels: 192, outChannels: 32, kernelSize: {k}, padding: same}}\n";
        string Bottleneck() => $"name: bottleneck\ninput: [192, 28, 28]\nlayers:\n  - Conv2d: {{inChannels: 192, outChannels: 16, kernelSize: 1}}\n" +
            $"  - Conv2d: {{inChannels: 16, outChannels: 32, kernelSize: {k}, padding: same}}\n";
        var a = Summary(Naive());
        var b = Summary(Bottleneck());
        Assert.Equal(naive, a.Totals.Macs);
        Assert.Equal([oneByOne, kxk], b.Layers.Select(r => r.Macs).ToArray());
        Assert.Equal(total, b.Totals.Macs);
        Assert.Equal(2 * total, b.Totals.Flops);
        var cmp = new ModelComparison(a, b);
        Assert.Equal(saving, cmp.MacsRatio, 4);

        // nabla summary naive.yaml --compare bottleneck.yaml --format json
        string pa = WriteTemp(Naive()), pb = WriteTemp(Bottleneck());
        var (code, output, err) = RunCli(pa, "--compare", pb, "--format", "json");
        Assert.True(code == 0, err);
        var saved = System.Text.Json.JsonDocument.Parse(output).RootElement.GetProperty("saving");
        Assert.Equal(naive - total, saved.GetProperty("macs").GetInt64());
        Assert.Equal(saving, saved.GetProperty("macs_ratio").GetDouble(), 4);
        var (code2, table, _) = RunCli(pa, "--compare", pb);
        Assert.Equal(0, code2);
        Assert.Contains(naive.ToString("N0", System.Globalization.CultureInfo.InvariantCulture), table, StringComparison.Ordinal);
    }

    internal static string WriteTemp(string yaml)
    {
        string path = Path.Combine(Path.GetTempPath(), $"nabla-summary-{Guid.NewGuid():N}.yaml");
        File.WriteAllText(path, yaml);
        return path;
    }
}
