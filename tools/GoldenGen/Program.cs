// Golden-value generator: runs PyTorch (TorchSharp-cpu 0.107.0 = libtorch 2.10) on fixed inputs and writes
// tests/Nabla.Tests/Golden/*.json. See README.md. Every computation is float64.
using System.Text.Json;
using TorchSharp;
using static TorchSharp.torch;

namespace GoldenGen;

/// <summary>A tensor as stored in the JSON: shape, row-major values, and "float64" or "int64".</summary>
public sealed record TensorJson(long[] shape, double[] data, string dtype);

/// <summary>One golden case.</summary>
public sealed class Case
{
    public string name { get; set; } = "";
    public string op { get; set; } = "";
    public string mode { get; set; } = "";
    public Dictionary<string, double> args { get; set; } = [];
    public Dictionary<string, TensorJson> tensors { get; set; } = [];
}

public static class Program
{
    public static int Main(string[] argv)
    {
        if (argv.Length > 1 && argv[0] == "--gpt-tiny")
        {
            return GptReference.Run(argv); // not a golden file: trains PyTorch's gpt-tiny and prints its losses
        }

        string outDir = argv.Length > 0 ? argv[0] : FindOutDir();
        torch.set_default_dtype(float64);
        torch.set_num_threads(1);
        Write(outDir, "losses", Losses.All());
        Write(outDir, "layers", Layers.All());
        Write(outDir, "optimizers", Optimizers.All());
        Write(outDir, "schedulers", Schedulers.All());
        Write(outDir, "conv", ConvCases.All());
        Write(outDir, "pool", PoolCases.All());
        Write(outDir, "norm", NormCases.All());
        Write(outDir, "blocks", BlockCases.All());
        Write(outDir, "recurrent", Recurrent.All());
        Write(outDir, "attention", Attention.All());
        Write(outDir, "losses_more", LossesMore.All());
        Write(outDir, "layers_more", LayersMore.All());
        Write(outDir, "optimizers_more", OptimizersMore.All());
        Write(outDir, "schedulers_more", SchedulersMore.All());
        Write(outDir, "transformer", TransformerCases.All());
        Write(outDir, "pool_more", PoolMore.All());
        Write(outDir, "volumetric", Volumetric.All());
        return 0;
    }

    private static string FindOutDir()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Nabla.slnx")))
        {
            dir = dir.Parent;
        }

        return Path.Combine(dir?.FullName ?? throw new InvalidOperationException("run from inside the repository or pass the output folder"),
            "tests", "Nabla.Tests", "Golden");
    }

    private static void Write(string dir, string file, List<Case> cases)
    {
        Directory.CreateDirectory(dir);
        var names = new HashSet<string>();
        foreach (var c in cases)
        {
            if (!names.Add(c.name))
            {
                throw new InvalidOperationException($"duplicate case name {c.name}");
            }
        }

        var json = JsonSerializer.Serialize(new { generator = "tools/GoldenGen (TorchSharp-cpu 0.107.0, libtorch 2.10, float64)", cases },
            new JsonSerializerOptions { WriteIndented = false });
        // One case per line keeps diffs readable.
        json = json.Replace("},{\"name\"", "},\n{\"name\"").Replace("\"cases\":[{", "\"cases\":[\n{");
        File.WriteAllText(Path.Combine(dir, file + ".json"), json + "\n");
        Console.WriteLine($"{file}.json: {cases.Count} cases");
    }

    /// <summary>Packs a tensor (any dtype) for the JSON.</summary>
    public static TensorJson Pack(Tensor t)
    {
        bool isInt = t.dtype == int64;
        var d = t.detach().to_type(float64).contiguous().cpu();
        var data = d.data<double>().ToArray();
        foreach (var v in data)
        {
            if (!double.IsFinite(v))
            {
                throw new InvalidOperationException("non-finite value in golden data");
            }
        }

        return new TensorJson(t.shape, data, isInt ? "int64" : "float64");
    }

    /// <summary>Standard-normal values from a fixed seed.</summary>
    public static Tensor Randn(int seed, params long[] shape)
    {
        torch.manual_seed(seed);
        return torch.randn(shape, dtype: float64);
    }

    /// <summary>Uniform [0, 1) values from a fixed seed.</summary>
    public static Tensor Rand(int seed, params long[] shape)
    {
        torch.manual_seed(seed);
        return torch.rand(shape, dtype: float64);
    }
}
