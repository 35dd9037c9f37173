using System.IO.Compression;
using Nabla.Data;
using Nabla.Formats;
using Nabla.Models;
using Nabla.NN;
using Nabla.Optim;
using Nabla.Training;

namespace Nabla.Tests.Training;

/// <summary>Corrupt, truncated or missing files give an error that names the file and the problem.</summary>
public class FileErrorTests
{
    private static void AssertNamesFile<TException>(string path, string problem, Action read)
        where TException : Exception
    {
        var e = Assert.Throws<TException>(read);
        Assert.Contains(path, e.Message, StringComparison.Ordinal);
        Assert.Contains(problem, e.Message, StringComparison.OrdinalIgnoreCase);
    }

    private static string Write(string name, byte[] bytes)
    {
        string path = Path.Combine(TestPaths.TempDir(), name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    private static byte[] IdxBytes(int n) => [0, 0, 8, 3, 0, 0, 0, (byte)n, 0, 0, 0, 2, 0, 0, 0, 2, .. new byte[n * 4]];

    [Fact]
    public void Idx_truncated_data()
    {
        string path = Write("t-idx3-ubyte", IdxBytes(3)[..^5]);
        AssertNamesFile<InvalidFileException>(path, "truncated IDX data", () => Idx.Read(path));
    }

    [Fact]
    public void Idx_bad_magic_and_trailing_bytes_and_bad_type()
    {
        string bad = Write("bad-idx", [1, 2, 8, 1, 0, 0, 0, 0]);
        AssertNamesFile<InvalidFileException>(bad, "not an IDX file", () => Idx.Read(bad));
        string extra = Write("extra-idx", [.. IdxBytes(1), 7, 7]);
        AssertNamesFile<InvalidFileException>(extra, "unexpected bytes", () => Idx.Read(extra));
        string type = Write("type-idx", [0, 0, 0x0D, 1, 0, 0, 0, 0]);
        AssertNamesFile<InvalidFileException>(type, "not supported", () => Idx.Read(type));
        string header = Write("header-idx", [0, 0, 8, 3, 0, 0]);
        AssertNamesFile<InvalidFileException>(header, "truncated IDX header", () => Idx.Read(header));
    }

    [Fact]
    public void Idx_truncated_gzip()
    {
        using var ms = new MemoryStream();
        using (var gz = new GZipStream(ms, CompressionLevel.Fastest, leaveOpen: true))
        {
            gz.Write(IdxBytes(200));
        }

        var bytes = ms.ToArray();
        string path = Write("t-idx3-ubyte.gz", bytes[..(bytes.Length / 2)]);
        var e = Assert.Throws<InvalidFileException>(() => Idx.Read(path));
        Assert.Contains(path, e.Message, StringComparison.Ordinal);
        Assert.True(e.Message.Contains("gzip", StringComparison.Ordinal) || e.Message.Contains("truncated", StringComparison.Ordinal), e.Message);
    }

    [Fact]
    public void Csv_wrong_field_count_and_non_numbers()
    {
        string ragged = Write("r.csv", "1,2,3\n0,4,5\n1,2\n"u8.ToArray());
        AssertNamesFile<InvalidFileException>(ragged, "line 3: 2 fields, expected 3", () => Csv.Load(ragged));
        string text = Write("t.csv", "1,2,3\n0,x,5\n"u8.ToArray());
        AssertNamesFile<InvalidFileException>(text, "line 2, column 2: the field is not a finite number", () => Csv.Load(text));
        string label = Write("l.csv", "1.5,2,3\n"u8.ToArray());
        AssertNamesFile<InvalidFileException>(label, "not a non-negative integer", () => Csv.Load(label));
        string empty = Write("e.csv", "label,a\n"u8.ToArray());
        AssertNamesFile<InvalidFileException>(empty, "no data lines", () => Csv.Load(empty));
    }

    [Fact]
    public void Checkpoint_truncated_or_corrupt()
    {
        var model = new Linear(3, 2, generator: new Generator(0));
        string dir = TestPaths.TempDir();
        string good = Path.Combine(dir, "c.safetensors");
        Checkpoint.Save(good, model);
        var bytes = File.ReadAllBytes(good);

        string cut = Write("cut.safetensors", bytes[..^4]);
        AssertNamesFile<InvalidFileException>(cut, "truncated", () => Checkpoint.Load(cut));
        string tiny = Write("tiny.safetensors", bytes[..5]);
        AssertNamesFile<InvalidFileException>(tiny, "shorter than the 8-byte header", () => Checkpoint.Load(tiny));
        string header = Write("header.safetensors", bytes[..40]);
        AssertNamesFile<InvalidFileException>(header, "header length", () => Checkpoint.Load(header));
        var garbled = (byte[])bytes.Clone();
        garbled[9] = (byte)'#';
        string json = Write("json.safetensors", garbled);
        AssertNamesFile<InvalidFileException>(json, "invalid JSON", () => Checkpoint.Load(json));

        var trainer = new Trainer(model, new SGD(model.Parameters(), lr: 0.1));
        AssertNamesFile<InvalidFileException>(good, "not a training checkpoint", () => trainer.LoadCheckpoint(good));
        var other = new Linear(4, 2, generator: new Generator(0));
        AssertNamesFile<InvalidFileException>(good, "does not fit the model", () => Checkpoint.Load(good).Restore(other));
    }

    [Fact]
    public void Mnist_missing_files_without_network_give_a_clear_error()
    {
        string dir = TestPaths.TempDir();
        var e = Assert.Throws<IOException>(() => new MNIST(dir, train: false, download: true, mirrors: ["http://127.0.0.1:9/"]));
        Assert.Contains("t10k-images-idx3-ubyte.gz is missing and could not be downloaded", e.Message, StringComparison.Ordinal);
        Assert.Contains("127.0.0.1:9", e.Message, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFiles(dir));

        var f = Assert.Throws<FileNotFoundException>(() => new MNIST(dir, train: false));
        Assert.Contains("download: true", f.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Mnist_present_file_with_wrong_checksum_is_rejected()
    {
        string dir = TestPaths.TempDir();
        Idx.Write(Path.Combine(dir, "t10k-images-idx3-ubyte.gz"), [2, 28, 28], new byte[2 * 784]);
        Idx.Write(Path.Combine(dir, "t10k-labels-idx1-ubyte.gz"), [2], new byte[2]);
        var e = Assert.Throws<InvalidFileException>(() => new MNIST(dir, train: false, download: true, mirrors: ["http://127.0.0.1:9/"]));
        Assert.Contains(Path.Combine(dir, "t10k-images-idx3-ubyte.gz"), e.Message, StringComparison.Ordinal);
        Assert.Contains("checksum mismatch", e.Message, StringComparison.Ordinal);
        Assert.Contains("9fb629c4189551a2d022fa330f9573f3", e.Message, StringComparison.Ordinal);
    }
}
