using System.Buffers.Binary;
using System.Text;
using Nabla.Formats;
using Nabla.NN;
using Nabla.Optim;
using Nabla.Tests.Training;
using Nabla.Training;

namespace Nabla.Tests.Serialization;

/// <summary>
/// Hostile safetensors headers and edited checkpoints, built byte by byte here: each must fail with one
/// <see cref="InvalidFileException"/> naming the file, the key and the problem, before a tensor is allocated.
/// </summary>
public class HostileSafetensorsTests
{
    /// <summary>A safetensors file: the 8-byte little-endian length, the JSON header, then <paramref name="data"/> zero bytes.</summary>
    internal static byte[] File(string json, int data = 0)
    {
        byte[] h = Encoding.UTF8.GetBytes(json);
        var bytes = new byte[8 + h.Length + data];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)h.Length);
        h.CopyTo(bytes, 8);
        return bytes;
    }

    private static string Problem(string json, int data = 0)
    {
        long before = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.Throws<InvalidFileException>(() => Safetensors.Deserialize(File(json, data), "w.safetensors"));
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 1 << 20, "a rejected header allocates less than 1 MB");
        Assert.StartsWith("w.safetensors: ", e.Message);
        Assert.DoesNotContain('\n', e.Message);
        return e.Message;
    }

    [Fact]
    public void Element_counts_that_wrap_past_2_pow_64_are_refused()
    {
        // 65536^4 = 2^64 wraps to 0 in 64-bit arithmetic, so unchecked code accepted data_offsets [0, 0].
        string m = Problem("""{"w":{"dtype":"I64","shape":[65536,65536,65536,65536],"data_offsets":[0,0]}}""");
        Assert.Contains("tensor 'w'", m);
        Assert.Contains("past 2^63", m);

        // Within 2^63 but past the memory cap (2^40 elements of 4 bytes).
        Assert.Contains("memory cap", Problem("""{"w":{"dtype":"F32","shape":[1048576,1048576],"data_offsets":[0,0]}}"""));
    }

    [Fact]
    public void A_header_that_is_not_UTF8_is_refused()
    {
        // Found by the fuzzer: the JSON parser accepts invalid UTF-8 inside a string and throws
        // InvalidOperationException only when the string is read. 0xFF never occurs in UTF-8.
        byte[] bytes = File("{\"__metadata__\":{\"k\":\"v\"}}");
        bytes[8 + 22] = 0xFF;
        var e = Assert.Throws<InvalidFileException>(() => Safetensors.Deserialize(bytes, "w.safetensors"));
        Assert.Equal("w.safetensors: header: the header is not valid UTF-8", e.Message);
    }

    [Fact]
    public void Every_schema_violation_names_the_key()
    {
        Assert.Contains("tensor 'a': data_offsets must be [begin, end]", Problem("""{"a":{"dtype":"F32","shape":[1],"data_offsets":[0]}}""", 4));
        Assert.Contains("tensor 'a': dtype 'Q7' is not supported; Nabla reads F32, F64, F16, BF16, I64 and BOOL", Problem("""{"a":{"dtype":"Q7","shape":[1],"data_offsets":[0,2]}}""", 2));
        Assert.Contains("tensor 'a': 'shape' element 0 must be an integer", Problem("""{"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}""", 4));
        Assert.Contains("tensor 'a': 'shape' element 1 must be an integer", Problem("""{"a":{"dtype":"F32","shape":[1,1.5],"data_offsets":[0,4]}}""", 4));
        Assert.Contains("tensor 'a': lacks 'shape'", Problem("""{"a":{"dtype":"F32","data_offsets":[0,4]}}""", 4));
        Assert.Contains("tensor 'a': unknown key 'extra'", Problem("""{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4],"extra":1}}""", 4));
        Assert.Contains("tensor 'a': must be an object", Problem("""{"a":[1]}"""));
        Assert.Contains("tensor 'a': shape [2] of F32 needs 8 bytes but data_offsets [0, 4] span 4", Problem("""{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}}""", 4));
        Assert.Contains("'__metadata__', entry 'k': must be a string, found a number", Problem("""{"__metadata__":{"k":1}}"""));
        Assert.Contains("key '__metadata__': must be an object", Problem("""{"__metadata__":"x"}"""));
        Assert.Contains("header: the header is not a JSON object: invalid JSON (a property appears twice in one object)", Problem("""{"a":1,"a":2}"""));
        Assert.Contains("maximum configured depth of 256", Problem(new string('[', 300) + new string(']', 300)));
        Assert.Contains("an array, not a JSON object", Problem("[]"));
        Assert.Contains("tensor 'a\\u000a", Problem("{\"a\\n\":1}"));
    }

    [Fact]
    public void Offsets_must_tile_the_data_exactly()
    {
        const string A = "\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}";
        Assert.Contains("tensor 'b': data_offsets start at byte 8 of the data, expected 4 (a gap", Problem("{" + A + ""","b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}""", 12));
        Assert.Contains("tensor 'b': data_offsets start at byte 2 of the data, expected 4 (an overlap", Problem("{" + A + ""","b":{"dtype":"F32","shape":[1],"data_offsets":[2,6]}}""", 6));
        Assert.Contains("the tensors need 4 bytes of data, the file has only 3 (truncated)", Problem("{" + A + "}", 3));
        Assert.Contains("5 bytes after the last tensor's data", Problem("{" + A + "}", 9));

        var bytes = File("{" + A + "}", 4);
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, ulong.MaxValue);
        var e = Assert.Throws<InvalidFileException>(() => Safetensors.Deserialize(bytes, "w.safetensors"));
        Assert.Contains("w.safetensors: byte 0: the header length", e.Message);
    }

    [Fact]
    public void A_valid_header_still_round_trips()
    {
        var t = Tensor.FromArray(new float[] { 1, -2, 3.5f }, new Shape([3]));
        var back = Safetensors.Deserialize(Safetensors.Serialize(new Dictionary<string, Tensor> { ["x"] = t }, new Dictionary<string, string> { ["k"] = "v" }));
        Assert.Equal([1f, -2f, 3.5f], back.Tensors["x"].ToFloatArray());
        Assert.Equal("v", back.Metadata["k"]);
    }

    [Fact]
    public void Trainer_metadata_that_is_not_an_object_is_refused()
    {
        // The 47-byte reproduction: a header whose only content is the trainer metadata "[]".
        string path = Write("t.safetensors", File("""{"__metadata__":{"nabla.trainer":"[]"}}"""));
        Assert.Equal(47, new FileInfo(path).Length);
        var model = new Linear(2, 1, generator: new Generator(0));
        var e = Assert.Throws<InvalidFileException>(() => new Trainer(model, new SGD(model.Parameters(), lr: 0.1)).LoadCheckpoint(path));
        Assert.Equal($"{path}: metadata 'nabla.trainer': must be a JSON object", e.Message);
    }

    [Theory]
    [InlineData("epoch", "\"x\"", "key 'epoch': must be an integer")]
    [InlineData("epoch", "-1", "key 'epoch': must be an integer")]
    [InlineData("elapsed_s", "null", "key 'elapsed_s': must be a number")]
    [InlineData("history", "[{\"loss\":\"x\"}]", "key 'history', epoch 0, key 'loss': must be a finite number")]
    [InlineData("generators", "[[\"1\"]]", "key 'generators', entry 0: a generator state must be a list of 6")]
    [InlineData("default_generator", "[\"1\",\"2\",\"3\",\"4\",\"5\",\"-6\"]", "key 'default_generator': a generator state")]
    [InlineData("callbacks", "[3]", "key 'callbacks', entry 0: must be an object of numbers")]
    public void Edited_trainer_state_names_the_key(string key, string value, string expected)
    {
        var (model, trainer, path) = Trained();
        var file = Safetensors.Load(path);
        var state = System.Text.Json.Nodes.JsonNode.Parse(file.Metadata[Trainer.StateKey])!.AsObject();
        state[key] = System.Text.Json.Nodes.JsonNode.Parse(value);
        file.Metadata[Trainer.StateKey] = state.ToJsonString();
        Safetensors.Save(path, file.Tensors, file.Metadata);
        var before = model.Parameters().Select(p => p.ToFloatArray()).ToList();

        var e = Assert.Throws<InvalidFileException>(() => trainer.LoadCheckpoint(path));
        Assert.StartsWith($"{path}: metadata 'nabla.trainer', ", e.Message);
        Assert.Contains(expected, e.Message);
        Assert.Equal(before, model.Parameters().Select(p => p.ToFloatArray()).ToList()); // nothing restored
    }

    [Fact]
    public void Optimizer_state_must_match_the_parameters()
    {
        var (model, trainer, path) = Trained();
        var file = Safetensors.Load(path);
        string key = file.Tensors.Keys.Single(k => k.EndsWith("weight/exp_avg", StringComparison.Ordinal));
        file.Tensors[key] = Tensor.Zeros(new Shape(5, 5));
        Safetensors.Save(path, file.Tensors, file.Metadata);
        var e = Assert.Throws<InvalidFileException>(() => trainer.LoadCheckpoint(path));
        Assert.Equal($"{path}: tensor '{key}': optimizer state of shape [5, 5] Float32, but the parameter is [1, 2] Float32", e.Message);

        file.Tensors[key] = Tensor.Zeros(new Shape(1, 2));
        string step = file.Tensors.Keys.Single(k => k.EndsWith("weight/step", StringComparison.Ordinal));
        file.Tensors[step] = Tensor.Scalar(-3, DType.Float64);
        Safetensors.Save(path, file.Tensors, file.Metadata);
        Assert.Contains($"tensor '{step}': the step count must be one integer", Assert.Throws<InvalidFileException>(() => trainer.LoadCheckpoint(path)).Message);

        file.Tensors[step] = Tensor.Scalar(1, DType.Float64);
        file.Tensors["optimizer/ghost/exp_avg"] = Tensor.Zeros(new Shape(1));
        Safetensors.Save(path, file.Tensors, file.Metadata);
        Assert.Contains("tensor 'optimizer/ghost/exp_avg': optimizer state for a parameter the model does not have",
            Assert.Throws<InvalidFileException>(() => trainer.LoadCheckpoint(path)).Message);

        file.Tensors.Remove("optimizer/ghost/exp_avg");
        file.Metadata["nabla.optimizer"] = """{"type":"Adam","param_groups":[{"lr":"fast"}]}""";
        Safetensors.Save(path, file.Tensors, file.Metadata);
        Assert.Contains("metadata 'nabla.optimizer', param_groups[0], key 'lr': must be a number",
            Assert.Throws<InvalidFileException>(() => trainer.LoadCheckpoint(path)).Message);
        _ = model;
    }

    /// <summary>A model, an Adam trainer that has taken one step, and its checkpoint.</summary>
    private static (Linear Model, Trainer Trainer, string Path) Trained()
    {
        var model = new Linear(2, 1, generator: new Generator(0));
        var adam = new Adam(model.Parameters(), lr: 0.01);
        model.Forward(Tensor.Ones(new Shape(3, 2))).Sum().Backward();
        adam.Step();
        var trainer = new Trainer(model, adam);
        string path = Path.Combine(TestPaths.TempDir(), "ckpt.safetensors");
        trainer.SaveCheckpoint(path);
        return (model, trainer, path);
    }

    private static string Write(string name, byte[] bytes)
    {
        string path = Path.Combine(TestPaths.TempDir(), name);
        System.IO.File.WriteAllBytes(path, bytes);
        return path;
    }
}
