using System.Reflection;
using System.Text;
using Nabla.Analysis;
using Nabla.Data;
using Nabla.Explain;
using Nabla.Formats;
using Nabla.Models;
using Nabla.NN;
using Nabla.Optim;
using Nabla.Training;

namespace Nabla.Fuzz;

/// <summary>The fuzz targets: one per reader of untrusted input.</summary>
public static class Targets
{
    // The file-based readers get their input through a file; in memory (/dev/shm) where there is one, since a
    // disk-backed temp folder made each input cost milliseconds.
    private static readonly string Scratch = Directory.Exists("/dev/shm")
        ? Directory.CreateDirectory(Path.Combine("/dev/shm", $"nabla-fuzz-{Environment.ProcessId}-{Guid.NewGuid():N}")).FullName
        : Directory.CreateTempSubdirectory("nabla-fuzz-").FullName;

    /// <summary>Every target, by name.</summary>
    public static IReadOnlyList<FuzzTarget> All { get; } =
    [
        new("model", () => Embedded("seeds/model/"), RunModel, Text),
        new("exercise", () => Embedded("seeds/exercise/"), RunExercise, Text),
        new("expr", ExprSeeds, RunExpr, Text),
        new("safetensors", SafetensorsSeeds, b => Safetensors.Deserialize(b, "fuzz.safetensors"), Formats.MutateSafetensors),
        new("checkpoint", CheckpointSeeds, RunCheckpoint, Formats.MutateSafetensors),
        new("idx", IdxSeeds, b => Idx.Read(Write("fuzz.idx", b)), Formats.MutateMaybeGzip),
        new("csv", CsvSeeds, b => Csv.Load(Write("fuzz.csv", b)), Text),
        new("png", Formats.PngSeeds, b => Png.Decode(b, "fuzz.png"), Formats.MutatePng),
    ];

    /// <summary>The target called <paramref name="name"/>.</summary>
    public static FuzzTarget Get(string name) =>
        All.FirstOrDefault(t => t.Name == name) ?? throw new ArgumentException($"no fuzz target '{name}' (targets: {string.Join(", ", All.Select(t => t.Name))})");

    private static byte[] Text(byte[] seed, byte[] other, Mutator m, Random r) => m.Mutate(seed, other, text: true);

    private static string Write(string name, byte[] bytes)
    {
        string path = Path.Combine(Scratch, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    private static IReadOnlyList<byte[]> Embedded(string prefix)
    {
        var asm = Assembly.GetExecutingAssembly();
        return asm.GetManifestResourceNames().Where(n => n.StartsWith(prefix, StringComparison.Ordinal)).Order(StringComparer.Ordinal)
            .Select(n =>
            {
                using var s = asm.GetManifestResourceStream(n)!;
                using var ms = new MemoryStream();
                s.CopyTo(ms);
                return ms.ToArray();
            }).ToList();
    }

    /// <summary>A model file: parsed, analysed, and when small built and run on zeros (the analysis and the modules must agree).</summary>
    private static void RunModel(byte[] input)
    {
        var def = ModelFile.Parse(Encoding.UTF8.GetString(input));
        if (def.InputShape is not Shape shape)
        {
            return;
        }

        var totals = def.Summarize().Totals;
        if (totals.Params > 200_000 || shape.Numel > 4096 || totals.Macs > 20_000_000)
        {
            return;
        }

        var module = def.Build();
        module.Eval();
        using var _ = GradMode.NoGrad();
        // An Embedding reads token indices, which the analysis does not track (it knows shapes, not dtypes): such a
        // model is built but not run on float zeros.
        static bool HasEmbedding(LayerSpec s) => s.Type == "Embedding" || s.Layers.Any(HasEmbedding) || s.Branches.Any(b => HasEmbedding(b.Value));
        if (!HasEmbedding(def.Model))
        {
            module.Forward(Tensor.Zeros(new Shape([1, .. shape.Dims])));
        }
    }

    /// <summary>An exercise: parsed (files confined to an empty folder), solved and rendered.</summary>
    private static void RunExercise(byte[] input)
    {
        var ex = Exercise.Parse(Encoding.UTF8.GetString(input), new ConfinedFolder(Scratch));
        TextRenderer.Render(Solver.Solve(ex), markdown: false);
    }

    private static IReadOnlyList<byte[]> ExprSeeds() =>
        new[]
        {
            "W @ x + b", "sum(tanh(W @ x + b))", "softmax(x, dim=0)", "mean(W, dim=1, keepdim=true)", "var(W, 0)", "max(W, 1)",
            "-log(sigmoid(x[0])) + x[1]^2 / 2", "conv2d(I, K, stride=1, padding=1)", "maxpool2d(I, 2)", "reshape(W, [3, 2])",
            "dot(x, x) % 2", "bce(sigmoid(x), [1, 0, 1])", "mse(x, [0, 0, 0])", "transpose(W) @ b", "prod(x)", "pad(I, 1)",
        }.Select(e => Encoding.UTF8.GetBytes(e)).ToList();

    /// <summary>An expression in a small exercise with a vector, a matrix and an image given; the sum of its value is the loss.</summary>
    private static void RunExpr(byte[] input)
    {
        string expr = new(Encoding.UTF8.GetString(input).Select(c => char.IsControl(c) ? ' ' : c).ToArray());
        string yaml = $"""
            given:
              x: [1.0, -2.0, 0.5]
              W: [[0.1, 0.2, 0.3], [-0.4, 0.5, -0.6]]
              b: [0.01, -0.02]
              I: [[1, 2, 3, 4], [5, 6, 7, 8], [9, 10, 11, 12], [13, 14, 15, 16]]
              K: [[1, 0], [0, -1]]
            equations:
              - 'z = {expr.Replace("'", "''", StringComparison.Ordinal)}'
              - "L = sum(z)"
            loss: L
            gradients: [x, W]
            """;
        TextRenderer.Render(Solver.Solve(Exercise.Parse(yaml, new ConfinedFolder(Scratch))), markdown: false);
    }

    private static IReadOnlyList<byte[]> SafetensorsSeeds()
    {
        var tensors = new Dictionary<string, Tensor>
        {
            ["fc.weight"] = Tensor.FromArray([1f, 2f, 3f, 4f, 5f, 6f], new Shape(2, 3)),
            ["fc.bias"] = Tensor.FromArray([0.5, -0.5]),
            ["steps"] = Tensor.FromArray([3L, 4L]),
            ["empty"] = Tensor.Zeros(new Shape(0, 2)),
        };
        return [Safetensors.Serialize(tensors, new Dictionary<string, string> { ["format"] = "pt" }), Safetensors.Serialize(new Dictionary<string, Tensor>())];
    }

    private static (Linear Model, Adam Optimizer) SmallModel()
    {
        var model = new Linear(4, 3, generator: new Generator(0));
        return (model, new Adam(model.Parameters(), lr: 0.01));
    }

    private static IReadOnlyList<byte[]> CheckpointSeeds()
    {
        var (model, adam) = SmallModel();
        F.MseLoss(model.Forward(Tensor.Ones(new Shape(2, 4))), Tensor.Zeros(new Shape(2, 3))).Backward();
        adam.Step();
        string path = Path.Combine(Scratch, "seed.ckpt");
        new Trainer(model, adam).SaveCheckpoint(path);
        return [File.ReadAllBytes(path)];
    }

    /// <summary>A checkpoint: read and restored into a fresh model and optimizer of the same shapes, as <c>--resume</c> does.</summary>
    private static void RunCheckpoint(byte[] input)
    {
        var (model, adam) = SmallModel();
        new Trainer(model, adam).LoadCheckpoint(Write("fuzz.ckpt", input));
    }

    private static IReadOnlyList<byte[]> IdxSeeds()
    {
        byte[] images = [0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 3, .. Enumerable.Range(0, 18).Select(i => (byte)(i * 14))];
        byte[] labels = [0, 0, 8, 1, 0, 0, 0, 4, 1, 2, 3, 9];
        return [images, labels, Formats.Gzip(images), Formats.Gzip(labels)];
    }

    private static IReadOnlyList<byte[]> CsvSeeds() =>
        new[] { "label,a,b,c\n1,0.5,0.25,3\n0,1,2,-4\n2,1e-3,7,8\n", "3,1,2\n4,5,6\n", "y,x\n0,1\n\n1,2\n" }.Select(Encoding.UTF8.GetBytes).ToList();
}
