using System.Text.Json;

namespace Nabla.Tests.Golden;

/// <summary>A tensor as stored in the golden JSON: shape, row-major values (as doubles) and "float64" or "int64".</summary>
internal sealed record GoldenTensor(int[] Shape, double[] Data, string Dtype)
{
    /// <summary>The values as a Nabla tensor: Int64 for integer data, else <paramref name="dtype"/>.</summary>
    public Tensor ToTensor(DType dtype) => Dtype == "int64"
        ? Tensor.FromArray(Array.ConvertAll(Data, v => (long)v), new Shape(Shape))
        : Tensor.FromArray(Data, new Shape(Shape)).To(dtype);
}

/// <summary>One golden case written by tools/GoldenGen: an op, its settings, its inputs and PyTorch's outputs.</summary>
internal sealed record GoldenCase(string Name, string Op, string Mode, Dictionary<string, double> Args, Dictionary<string, GoldenTensor> Tensors)
{
    /// <summary>A named tensor of the case, converted to <paramref name="dtype"/> (integer data stays Int64).</summary>
    public Tensor T(string name, DType dtype) => Tensors.TryGetValue(name, out var t) ? t.ToTensor(dtype)
        : throw new KeyNotFoundException($"golden case {Name} has no tensor '{name}'");

    /// <summary>The named tensor as a Nabla tensor, or null when the case lacks it.</summary>
    public Tensor? TOrNull(string name, DType dtype) => Tensors.TryGetValue(name, out var t) ? t.ToTensor(dtype) : null;

    /// <summary>A numeric argument, or <paramref name="fallback"/> when absent.</summary>
    public double Arg(string name, double fallback) => Args.TryGetValue(name, out var v) ? v : fallback;

    /// <summary>A flag argument (non-zero = true).</summary>
    public bool Flag(string name) => Arg(name, 0) != 0;
}

/// <summary>Loads tests/Nabla.Tests/Golden/*.json (copied next to the test assembly) once per file.</summary>
internal static class GoldenData
{
    private static readonly Dictionary<string, IReadOnlyDictionary<string, GoldenCase>> Files = [];
    private static readonly Lock Gate = new();

    private sealed record FileJson(string Generator, List<GoldenCase> Cases);

    /// <summary>All cases of a file by name.</summary>
    public static IReadOnlyDictionary<string, GoldenCase> Load(string file)
    {
        lock (Gate)
        {
            if (!Files.TryGetValue(file, out var cases))
            {
                var path = Path.Combine(AppContext.BaseDirectory, "Golden", file + ".json");
                var json = JsonSerializer.Deserialize<FileJson>(File.ReadAllText(path), new JsonSerializerOptions { PropertyNameCaseInsensitive = true })
                    ?? throw new InvalidDataException($"empty golden file {path}");
                Files[file] = cases = json.Cases.ToDictionary(c => c.Name);
            }

            return cases;
        }
    }

    /// <summary>Theory rows: every case name of the file, once per dtype.</summary>
    public static TheoryData<string, DType> Rows(string file)
    {
        var rows = new TheoryData<string, DType>();
        foreach (var name in Load(file).Keys)
        {
            rows.Add(name, DType.Float32);
            rows.Add(name, DType.Float64);
        }

        return rows;
    }

    /// <summary>
    /// Asserts that <paramref name="actual"/> has the golden shape and values within tolerance:
    /// |a − e| ≤ atol + rtol·|e| elementwise. The golden values are float64 (PyTorch, CPU). For Float64 we use
    /// torch.testing.assert_close's float64 defaults (atol 1e-7, rtol 1e-7). For Float32 the reference is still
    /// float64, so rounding of inputs and of every intermediate (ε = 1.19e-7) adds up over a few dozen
    /// operations; atol 1e-5 (assert_close's float32 default) with rtol 1e-4 covers that.
    /// </summary>
    public static void AssertClose(GoldenTensor expected, Tensor actual, DType dtype, string what)
    {
        Assert.True(expected.Shape.SequenceEqual(actual.Shape.ToArray()),
            $"{what}: shape {actual.Shape}, PyTorch has [{string.Join(", ", expected.Shape)}]");
        double atol = dtype == DType.Float32 ? 1e-5 : 1e-7, rtol = dtype == DType.Float32 ? 1e-4 : 1e-7;
        var a = actual.ToDoubleArray();
        for (int i = 0; i < a.Length; i++)
        {
            double e = expected.Data[i];
            if (!(Math.Abs(a[i] - e) <= atol + (rtol * Math.Abs(e))))
            {
                Assert.Fail($"{what}[{i}] (flat index): Nabla {a[i]:R}, PyTorch {e:R}, |diff| {Math.Abs(a[i] - e):G3} > {atol + (rtol * Math.Abs(e)):G3}" +
                    $"\n  Nabla:   [{string.Join(", ", a.Take(24).Select(v => v.ToString("G6")))}{(a.Length > 24 ? ", ..." : "")}]" +
                    $"\n  PyTorch: [{string.Join(", ", expected.Data.Take(24).Select(v => v.ToString("G6")))}{(a.Length > 24 ? ", ..." : "")}]");
            }
        }
    }
}
