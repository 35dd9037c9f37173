using Nabla.Formats;
using Nabla.Models;
using Nabla.NN;
using Nabla.Tests.Training;

namespace Nabla.Tests.NN;

/// <summary>
/// <see cref="Module.LoadStateDict"/> against PyTorch's <c>load_state_dict</c>: one error listing every missing,
/// unexpected and mis-shaped key (one per line, with a did-you-mean), <c>strict: false</c> returning what it
/// skipped, shape mismatches refused either way, and values converted to the parameter's dtype.
/// </summary>
public class LoadStateDictTests
{
    // Keys: 0.weight [3, 4], 0.bias [3], 2.weight [2, 3], 2.bias [2].
    private static Sequential Mlp() => new(new Linear(4, 3, generator: new Generator(1)), new ReLU(), new Linear(3, 2, generator: new Generator(2)));

    private static Dictionary<string, Tensor> Clone(Module m) => m.StateDict().ToDictionary(kv => kv.Key, kv => kv.Value.Detach().Clone());

    [Fact]
    public void Every_problem_is_listed_one_per_line_with_a_did_you_mean()
    {
        var m = Mlp();
        var before = Clone(m);
        var state = Clone(Mlp());
        var bias = state["2.bias"];
        state.Remove("2.bias");
        state["2.bais"] = bias; // a typo: Levenshtein distance 2 from "2.bias" (a swap is 2 edits)
        state["running_mean"] = Tensor.Zeros(new Shape(3)); // nothing near it in the missing keys
        state["0.weight"] = Tensor.Zeros(new Shape(3, 5));

        var e = Assert.Throws<ArgumentException>(() => m.LoadStateDict(state));
        Assert.Equal(
            "LoadStateDict: the state dict does not fit the model (1 missing key, 2 unexpected keys, 1 mismatched entry):\n" +
            "  missing key '2.bias'; did you mean '2.bais'?\n" +
            "  unexpected key '2.bais'; did you mean '2.bias'?\n" +
            "  unexpected key 'running_mean'\n" +
            "  '0.weight': shape [3, 5] in the state dict, [3, 4] in the model",
            e.Message);

        // Everything is checked before anything is copied: the matching 0.bias and 2.weight were not loaded either.
        foreach (var (k, t) in m.StateDict())
        {
            Assert.Equal(before[k].ToDoubleArray(), t.ToDoubleArray());
        }
    }

    [Fact]
    public void Not_strict_loads_what_matches_and_returns_what_it_skipped()
    {
        var m = Mlp();
        var source = Mlp();
        var keepBias = m.StateDict()["2.bias"].ToDoubleArray();
        var state = Clone(source);
        state.Remove("2.bias");
        state["fc.weight"] = Tensor.Zeros(new Shape(1));

        var skipped = m.LoadStateDict(state, strict: false);

        Assert.Equal(["2.bias"], skipped.MissingKeys);
        Assert.Equal(["fc.weight"], skipped.UnexpectedKeys);
        Assert.False(skipped.AllMatched);
        Assert.Equal("IncompatibleKeys(missing_keys=['2.bias'], unexpected_keys=['fc.weight'])", skipped.ToString());
        Assert.Equal(source.StateDict()["0.weight"].ToDoubleArray(), m.StateDict()["0.weight"].ToDoubleArray());
        Assert.Equal(keepBias, m.StateDict()["2.bias"].ToDoubleArray());

        var all = Mlp().LoadStateDict(Clone(source));
        Assert.True(all.AllMatched);
        Assert.Equal("<All keys matched successfully>", all.ToString());
    }

    [Fact]
    public void A_shape_mismatch_is_refused_even_when_not_strict()
    {
        var m = Mlp();
        var state = Clone(Mlp());
        state.Remove("0.bias");
        state["2.bias"] = Tensor.Zeros(new Shape(2, 1));

        var e = Assert.Throws<ArgumentException>(() => m.LoadStateDict(state, strict: false));
        Assert.Equal(
            "LoadStateDict: the state dict does not fit the model (1 mismatched entry):\n" +
            "  '2.bias': shape [2, 1] in the state dict, [2] in the model",
            e.Message);
    }

    [Fact]
    public void Float64_values_load_into_float32_parameters_rounded_to_nearest()
    {
        var m = new Linear(2, 1, generator: new Generator(0));
        m.LoadStateDict(new Dictionary<string, Tensor>
        {
            ["weight"] = Tensor.FromArray(new[] { 0.1, 1.0 / 3 }, new Shape(1, 2)),
            ["bias"] = Tensor.FromArray(new[] { -2.5 }),
        });

        var w = m.StateDict()["weight"];
        Assert.Equal(DType.Float32, w.DType);
        var bits = w.ToFloatArray().Select(BitConverter.SingleToInt32Bits).ToArray();
        // float32 nearest to 0.1: 0x3DCCCCCD (1.6 × 2^-4, mantissa 0x4CCCCD rounded up from ...CCC|CC...);
        // nearest to 1/3: 0x3EAAAAAB (1.333… × 2^-2, mantissa 0x2AAAAB rounded up from ...AAA|AA...).
        Assert.Equal([0x3DCCCCCD, 0x3EAAAAAB], bits);
        Assert.Equal([-2.5], m.StateDict()["bias"].ToDoubleArray());
    }

    [Fact]
    public void Conversions_that_would_change_a_value_are_refused()
    {
        var bn = new BatchNorm1d(2);
        var state = Clone(bn);
        state["num_batches_tracked"] = Tensor.Scalar(7, DType.Float32);
        bn.LoadStateDict(state); // 7.0 is an integer: loads as the Int64 7
        Assert.Equal([7.0], bn.StateDict()["num_batches_tracked"].ToDoubleArray());

        state["num_batches_tracked"] = Tensor.Scalar(2.5, DType.Float32);
        state["weight"] = Tensor.FromArray(new[] { 1e39, 0 }); // float32's largest finite value is about 3.4e38
        var e = Assert.Throws<ArgumentException>(() => bn.LoadStateDict(state));
        Assert.Contains("\n  'weight': the Float64 value 1E+39 overflows float32, and the model's entry is Float32", e.Message);
        Assert.Contains("\n  'num_batches_tracked': the Float32 value 2.5 is not a 64-bit integer, and the model's entry is Int64", e.Message);
        Assert.Equal([7.0], bn.StateDict()["num_batches_tracked"].ToDoubleArray());
    }

    [Fact]
    public void Long_lists_are_cut_after_twenty_keys_and_counted()
    {
        var m = new Sequential(Enumerable.Range(0, 25).Select(_ => (Module)new Linear(1, 1, generator: new Generator(0))).ToArray());
        var e = Assert.Throws<ArgumentException>(() => m.LoadStateDict(new Dictionary<string, Tensor>()));
        var lines = e.Message.Split('\n');
        Assert.StartsWith("LoadStateDict: the state dict does not fit the model (50 missing keys):", lines[0]);
        Assert.Equal(22, lines.Length); // the heading, 20 keys, the count of the other 30
        Assert.Equal("  missing key '0.weight'", lines[1]);
        Assert.Equal("  ... and 30 more missing keys", lines[21]);
    }

    [Fact]
    public void A_checkpoint_that_does_not_fit_lists_the_keys_under_the_file_name()
    {
        string path = Path.Combine(TestPaths.TempDir(), "c.safetensors");
        Checkpoint.Save(path, new Linear(3, 2, bias: false, generator: new Generator(0)));
        var model = new Linear(3, 2, generator: new Generator(1));

        var e = Assert.Throws<InvalidFileException>(() => Checkpoint.Load(path).Restore(model));
        Assert.Equal($"{path}: the checkpoint does not fit the model (1 missing key):\n  missing key 'bias'", e.Message);

        var skipped = Checkpoint.Load(path).Restore(model, strict: false);
        Assert.Equal(["bias"], skipped.MissingKeys);
        Assert.Empty(skipped.UnexpectedKeys);
    }

    [Theory]
    [InlineData("layer1.weight", new[] { "layer1.bias", "layer2.weight", "layers.weight" }, "layer2.weight")] // 1 edit; ties go to the first
    [InlineData("Conv2D", new[] { "Linear", "Conv2d" }, "Conv2d")] // case-insensitive
    [InlineData("fc.weight", new[] { "classifier.weight" }, null)] // 8 edits > max(2, 9 / 3)
    public void Did_you_mean_picks_the_nearest_close_name(string name, string[] candidates, string? expected) =>
        Assert.Equal(expected, DidYouMean.Nearest(name, candidates));
}
