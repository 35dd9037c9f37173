using System.Buffers.Binary;
using System.Text;
using System.Text.Json.Nodes;
using Nabla.Formats;
using Nabla.Models;
using Nabla.NN;
using Nabla.Optim;
using Nabla.Training;

namespace Nabla.Tests.Training;

public class SafetensorsTests
{
    [Fact]
    public void Round_trip_all_dtypes_and_metadata()
    {
        var tensors = new Dictionary<string, Tensor>
        {
            ["w"] = Tensor.FromArray([1f, -2.5f, 3e-8f, float.MaxValue, 0f, 6f], new Shape(2, 3)),
            ["d"] = Tensor.FromArray([Math.PI, -1e300]),
            ["i"] = Tensor.FromArray([long.MinValue, 0L, 42L], new Shape(3, 1)),
            ["b"] = Tensor.FromArray([true, false, true]),
            ["s"] = Tensor.Scalar(7, DType.Float64),
            ["t"] = Tensor.Arange(0, 6, 1).Reshape(2, 3).Transpose(0, 1),
        };
        string path = Path.Combine(TestPaths.TempDir(), "x.safetensors");
        Safetensors.Save(path, tensors, new Dictionary<string, string> { ["format"] = "pt", ["note"] = "ünïcode" });
        var back = Safetensors.Load(path);
        Assert.Equal("ünïcode", back.Metadata["note"]);
        foreach (var (k, t) in tensors)
        {
            Assert.Equal(t.Shape, back.Tensors[k].Shape);
            Assert.Equal(t.DType, back.Tensors[k].DType);
            Assert.Equal(t.ToDoubleArray(), back.Tensors[k].ToDoubleArray());
        }

        Assert.False(File.Exists(path + ".tmp"));
    }

    [Fact]
    public void Layout_follows_the_format()
    {
        var bytes = Safetensors.Serialize(new Dictionary<string, Tensor>
        {
            ["b.weight"] = Tensor.Ones(new Shape(3)),
            ["a.weight"] = Tensor.Ones(new Shape(1)),
            ["c"] = Tensor.Ones(new Shape(1), DType.Float64),
        });
        ulong n = BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        Assert.Equal(0UL, n % 8);
        var header = JsonNode.Parse(Encoding.UTF8.GetString(bytes, 8, (int)n))!.AsObject();
        // Larger elements first (aligned), then by name; offsets tile the data.
        Assert.Equal(["c", "a.weight", "b.weight"], header.Select(kv => kv.Key));
        Assert.Equal("F64", header["c"]!["dtype"]!.GetValue<string>());
        Assert.Equal("[0,8]", header["c"]!["data_offsets"]!.ToJsonString());
        Assert.Equal("[8,12]", header["a.weight"]!["data_offsets"]!.ToJsonString());
        Assert.Equal("[12,24]", header["b.weight"]!["data_offsets"]!.ToJsonString());
        Assert.Equal(8 + (long)n + 24, bytes.Length);
    }

    [Fact]
    public void Checkpoint_restores_weights_and_optimizer_state_under_pytorch_names()
    {
        var model = new Sequential(new Linear(4, 3, generator: new Generator(1)), new ReLU(), new Linear(3, 2, generator: new Generator(2)));
        var opt = new SGD(model.Parameters(), lr: 0.1, momentum: 0.9);
        var x = Tensor.Randn(new Shape(5, 4), new Generator(3));
        var y = Tensor.FromArray([0L, 1, 0, 1, 1]);
        void Step(Module m, Optimizer o)
        {
            o.ZeroGrad();
            F.CrossEntropy(m.Forward(x), y).Backward();
            o.Step();
        }

        Step(model, opt);
        string path = Path.Combine(TestPaths.TempDir(), "c.safetensors");
        Checkpoint.Save(path, model, opt);
        var names = Safetensors.Load(path).Tensors.Keys.ToHashSet();
        Assert.Contains("0.weight", names);
        Assert.Contains("2.bias", names);
        Assert.Contains("optimizer/0.weight/momentum_buffer", names);

        var copy = new Sequential(new Linear(4, 3, generator: new Generator(8)), new ReLU(), new Linear(3, 2, generator: new Generator(9)));
        var copyOpt = new SGD(copy.Parameters(), lr: 0.1, momentum: 0.9);
        Checkpoint.Load(path).Restore(copy, copyOpt);
        Step(model, opt);
        Step(copy, copyOpt);
        foreach (var (name, p) in model.NamedParameters())
        {
            Assert.Equal(p.ToDoubleArray(), copy.StateDict()[name].ToDoubleArray());
        }
    }

    [Fact]
    public void Trainer_checkpoint_is_atomic_replace()
    {
        var model = new Linear(2, 2, generator: new Generator(0));
        var trainer = new Trainer(model, new SGD(model.Parameters(), lr: 0.1)) { TrackDefaultGenerator = false };
        string path = Path.Combine(TestPaths.TempDir(), "ckpt.safetensors");
        trainer.SaveCheckpoint(path);
        // A stale temporary file from a killed writer does not disturb the next save or load.
        File.WriteAllBytes(path + ".tmp", [1, 2, 3]);
        trainer.SaveCheckpoint(path);
        Assert.False(File.Exists(path + ".tmp"));
        trainer.LoadCheckpoint(path);
        Assert.Equal(0, trainer.Epoch);
    }
}
