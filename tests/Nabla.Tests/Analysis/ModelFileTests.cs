using Nabla.Analysis;
using Nabla.Formats;
using Nabla.Models;
using Nabla.NN;
using static Nabla.Tests.Analysis.AnalysisTestHelpers;

namespace Nabla.Tests.Analysis;

/// <summary>The model file: round trips, and a clear error (line, column, what) for each kind of bad file.</summary>
public class ModelFileTests
{
    [Fact]
    public void Module_built_in_code_round_trips_through_the_file()
    {
        var model = new Sequential(
            new Conv2d(3, 16, 3, padding: "same"), new BatchNorm2d(16), new ReLU(), new MaxPool2d(2),
            new BasicBlock(16, 32, stride: 2), new Residual(new Sequential(new Conv2d(32, 32, 3, 1, 1), new ReLU()), activation: new ReLU()),
            new Branches("concat", [("a", new Sequential(new Conv2d(32, 8, 1))), ("b", new Sequential())]),
            new AdaptiveAvgPool2d(1), new Flatten(), new Dropout(0.25), new Linear(40, 10, bias: false));
        var input = new Shape(3, 32, 32);
        string yaml = ModelFile.Write(model, input, "roundtrip");
        var def = ModelFile.Parse(yaml);
        Assert.Equal(input, def.InputShape);
        var rebuilt = def.Build();
        Assert.Equal(model.ToString(), rebuilt.ToString());
        Assert.Equal(yaml, ModelFile.Write(rebuilt, input, "roundtrip"));
        var a = ModelSummary.Of(model, input);
        var b = def.Summarize();
        Assert.Equal(a.Rows.Select(r => (r.Path, r.OutputShape, r.Params, r.Macs)), b.Rows.Select(r => (r.Path, r.OutputShape, r.Params, r.Macs)));
        Assert.Equal(model.Parameters().Sum(p => p.Numel), a.Totals.Params);

        // Paths in the summary are the module's own paths (NamedModules), one row each.
        Assert.Equal(model.NamedModules().Select(m => m.Name).Where(n => n.Length > 0).Order(), a.Rows.Select(r => r.Path).Order());
    }

    [Fact]
    public void As_gives_a_layer_its_state_dict_name_and_is_written_back()
    {
        const string Yaml = "name: keyed\ninput: [4]\nlayers:\n  - Linear: {inFeatures: 4, outFeatures: 3}\n    as: fc1\n  - ReLU: {}\n    as: relu\n" +
            "  - Sequential:\n      - Linear: {inFeatures: 3, outFeatures: 2}\n      - Tanh\n    as: head\n";
        var def = ModelFile.Parse(Yaml);
        var model = def.Build();
        Assert.Equal(["fc1.bias", "fc1.weight", "head.0.bias", "head.0.weight"], model.StateDict().Keys.Order());
        Assert.Equal(["fc1", "relu", "head"], ((Sequential)model).Names);
        Assert.Equal(Yaml, ModelFile.Write(model, new Shape(4), "keyed"));
        Assert.Equal(["fc1", "relu", "head", "head.0", "head.1"], def.Summarize().Rows.Select(r => r.Path));

        // Sequential(OrderedDict) in code: the same names.
        var named = new Sequential([("fc1", (Module)new Linear(4, 3)), ("relu", new ReLU())]);
        Assert.Equal(["fc1.bias", "fc1.weight"], named.StateDict().Keys.Order());
        Assert.Same(named[1], named["relu"]);
        Assert.Throws<ArgumentException>(() => new Sequential([("a", (Module)new ReLU()), ("a", new Tanh())]));
    }

    [Theory]
    [InlineData("layers:\n  - ReLU: {}\n    as: conv.1\n", 3, 9, "'as' must be a state-dict name such as conv1")]
    [InlineData("layers:\n  - ReLU: {}\n    as: 1a\n", 3, 9, "'as' must be a state-dict name")]
    [InlineData("layers:\n  - ReLU: {}\n    as: relu\n  - Tanh: {}\n    as: relu\n", 5, 9, "two layers of this list are named 'relu' (items 1 and 2)")]
    [InlineData("layers:\n  - Tanh\n  - ReLU: {}\n    as: 0\n", 4, 9, "named '0' (items 1 and 2)")]
    [InlineData("layers:\n  - Residual:\n      body:\n        Tanh: {}\n        as: t\n", 5, 9, "'as:' names a layer in a list")]
    public void Bad_as_names_get_line_and_column(string yaml, int line, int column, string what)
    {
        var e = Assert.Throws<YamlException>(() => ModelFile.Parse(yaml));
        Assert.Contains(what, e.Message, StringComparison.Ordinal);
        Assert.Equal((line, column), (e.Line, e.Column));
    }

    [Fact]
    public void Frozen_parameters_count_as_non_trainable()
    {
        var model = new Sequential(new Linear(4, 3), new Linear(3, 2));
        model.RequiresGrad(false, "0.*");
        var s = ModelSummary.Of(model, new Shape(4));
        Assert.Equal(15 + 8, s.Totals.Params);
        Assert.Equal(8, s.Totals.Trainable);
        Assert.Equal(15, s.Totals.NonTrainable);
    }

    [Theory]
    [InlineData("layers:\n  - Conv2D: {inChannels: 1, outChannels: 2, kernelSize: 3}\n", 2, 5, "unknown layer 'Conv2D'; did you mean 'Conv2d'?")]
    [InlineData("layers:\n  - Relu\n", 2, 5, "did you mean 'ReLU'?")]
    [InlineData("layers:\n  - Conv2d: {inChannels: 1, outChannels: 2, kernelSise: 3}\n", 2, 45, "no argument 'kernelSise'; did you mean 'kernelSize'?")]
    [InlineData("layers:\n  - Conv2d: {inChannels: 1, outChannels: 2}\n", 2, 5, "needs the argument 'kernelSize'")]
    [InlineData("layers:\n  - Linear: {inFeatures: four, outFeatures: 2}\n", 2, 26, "'inFeatures' must be an integer; found the scalar 'four'")]
    [InlineData("layers:\n  - Linear: {inFeatures: 4, outFeatures: 2\n", 3, 1, "unexpected end of file")]
    [InlineData("input: [1, 32, 32]\nlayer:\n  - ReLU\n", 2, 1, "unknown key 'layer'; did you mean 'layers'?")]
    [InlineData("layers:\n  - ReLU\n   - Tanh\n", 3, 4, "unexpected indentation")]
    [InlineData("layers:\n\t- ReLU\n", 2, 1, "tab in indentation")]
    [InlineData("layers:\n  - Linear: {inFeatures: 4, outFeatures: 2}\n    Tanh: {}\n", 3, 5, "one layer per list item")]
    [InlineData("layers:\n  - Dropout: {p: 'x}\n", 2, 18, "unterminated quoted string")]
    [InlineData("layers:\n  - Linear: {inFeatures: 99999999999, outFeatures: 2}\n", 2, 26, "too large")]
    public void Bad_files_get_line_column_and_what_is_wrong(string yaml, int line, int column, string what)
    {
        var e = Assert.Throws<YamlException>(() => ModelFile.Parse(yaml));
        Assert.Contains(what, e.Message, StringComparison.Ordinal);
        Assert.Equal((line, column), (e.Line, e.Column));
        Assert.StartsWith($"line {line}, column {column}: ", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("  - Conv2d: {inChannels: 3, outChannels: 8, kernelSize: 3}\n    name: c1\n", "layer 'c1' (Conv2d, line 3, column 5)", "expects 3 input channels but its input has shape [1, 8, 8] (1 channels)")]
    [InlineData("  - Conv2d: {inChannels: 1, outChannels: 8, kernelSize: 11}\n", "layer '0' (Conv2d, line 3, column 5)", "the 11x11 kernel (padding 0x0, dilation 1x1) is larger than its input [1, 8, 8]")]
    [InlineData("  - MaxPool2d: {kernelSize: 9}\n", "(MaxPool2d", "the 9x9 window is larger than its input [1, 8, 8]")]
    [InlineData("  - Linear: {inFeatures: 64, outFeatures: 2}\n", "(Linear", "expects 64 input features (last dimension) but its input has shape [1, 8, 8] (add a Flatten before it?)")]
    [InlineData("  - Branches:\n      join: add\n      branches:\n        a: [ReLU]\n        b:\n          - Conv2d: {inChannels: 1, outChannels: 2, kernelSize: 1}\n", "(Branches", "branch 'b' gives [2, 8, 8] but branch 'a' gives [1, 8, 8]")]
    public void Impossible_shapes_name_the_layer_and_both_shapes(string layers, string layer, string problem)
    {
        var def = ModelFile.Parse("input: [1, 8, 8]\nlayers:\n" + layers);
        var e = Assert.Throws<ModelShapeException>(() => def.Summarize());
        Assert.Contains(layer, e.Message, StringComparison.Ordinal);
        Assert.Contains(problem, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Cli_reports_bad_files_with_exit_code_2_and_no_stack_trace()
    {
        string bad = ParamCountAnalysisProblems.WriteTemp("input: [1, 8, 8]\nlayers:\n  - Conv2d: {inChannels: 1, outChannels: 8, kernelSize: 11}\n");
        string malformed = ParamCountAnalysisProblems.WriteTemp("layers:\n  - Conv2d: {inChannels: 1\n");
        foreach (var args in new[] { [bad], [malformed], ["no-such-model"], ["lenet"], ["lenet5", "--input", "1xAx3"], ["lenet5", "--format", "html"], Array.Empty<string>() })
        {
            var (code, output, err) = RunCli(args);
            Assert.Equal(2, code);
            Assert.Equal(string.Empty, output);
            Assert.StartsWith("nabla summary: ", err, StringComparison.Ordinal);
            Assert.DoesNotContain("   at ", err, StringComparison.Ordinal);
        }

        Assert.Contains("did you mean 'lenet5'?", RunCli("lenet").Err, StringComparison.Ordinal);
        Assert.Contains("line 3, column 5", RunCli(bad).Err, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("table", "Layer (type)")]
    [InlineData("markdown", "| Layer | Type |")]
    [InlineData("json", "\"receptive_field\"")]
    public void Cli_prints_each_builtin_in_each_format(string format, string marker)
    {
        foreach (var name in new[] { "lenet5", "alexnet", "vgg16", "resnet18", "inception_block", "fcn_segmentation", "lstm_classifier", "densenet121", "googlenet" })
        {
            var (code, output, err) = RunCli(name, "--format", format);
            Assert.True(code == 0, $"{name}: {err}");
            Assert.Contains(marker, output, StringComparison.Ordinal);
        }
    }
}
