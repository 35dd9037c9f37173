using System.Buffers.Binary;
using System.IO.Compression;
using Nabla.Analysis;
using Nabla.Data;
using Nabla.Formats;
using Nabla.Models;
using Nabla.NN;
using Nabla.Tests.Training;

namespace Nabla.Tests.Data;

/// <summary>
/// Hostile IDX, gzip, PNG and CSV files and a zero adaptive-pool size, built here in a few bytes: each is refused
/// with one <see cref="InvalidFileException"/> (or a shape error) naming the file, the position and the problem,
/// before the reader allocates what the file asks for.
/// </summary>
public class HostileDataFileTests
{
    private static string Write(string name, byte[] bytes)
    {
        string path = Path.Combine(TestPaths.TempDir(), name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    private static byte[] IdxHeader(params int[] dims)
    {
        var h = new byte[4 + (4 * dims.Length)];
        (h[2], h[3]) = (8, (byte)dims.Length);
        for (int i = 0; i < dims.Length; i++)
        {
            BinaryPrimitives.WriteInt32BigEndian(h.AsSpan(4 + (4 * i)), dims[i]);
        }

        return h;
    }

    private static byte[] Gzip(byte[] head, int zeros)
    {
        using var ms = new MemoryStream();
        using (var gz = new GZipStream(ms, CompressionLevel.Optimal))
        {
            gz.Write(head);
            gz.Write(new byte[zeros]);
        }

        return ms.ToArray();
    }

    /// <summary>Runs <paramref name="read"/>, expecting the error, and checks it allocated under 4 MB.</summary>
    private static string Refused(string path, Action read)
    {
        long before = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.Throws<InvalidFileException>(read);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(allocated < 4 << 20, $"allocated {allocated:N0} bytes");
        Assert.StartsWith(path + ": ", e.Message);
        Assert.DoesNotContain('\n', e.Message);
        return e.Message;
    }

    [Fact]
    public void Idx_dimensions_past_2_pow_31_with_no_data_behind_them()
    {
        // 65536 × 65536 = 2^32 bytes: past the memory cap (2 GiB by default), refused from the header alone.
        string big = Write("big-idx", IdxHeader(65536, 65536));
        Assert.Contains("IDX header: 4,294,967,296 elements of 1 bytes pass the memory cap", Refused(big, () => Idx.Read(big)));

        // 1000^3 = 10^9 bytes is within the cap, but the file holds none of them.
        string empty = Write("empty-idx", IdxHeader(1000, 1000, 1000));
        Assert.Contains("byte 16: truncated IDX data: the header declares [1000, 1000, 1000] = 1,000,000,000 bytes, only 0 follow", Refused(empty, () => Idx.Read(empty)));

        // A dimension of 2^31 or more reads as a negative int32.
        string neg = Write("neg-idx", IdxHeader(-5));
        Assert.Contains("negative dimension -5", Refused(neg, () => Idx.Read(neg)));
    }

    [Fact]
    public void Gzip_idx_that_declares_more_than_it_can_inflate_to_is_refused_before_allocating()
    {
        // A 1 GB header over a few dozen compressed bytes: deflate cannot exceed ~1032:1, so the data cannot be there.
        var gz = Gzip(IdxHeader(1024, 1024, 1024), 1000);
        Assert.True(gz.Length < 200);
        string path = Write("bomb-idx3-ubyte.gz", gz);
        Assert.Contains("more than the gzip stream may inflate to", Refused(path, () => Idx.Read(path)));
    }

    [Fact]
    public void Gzip_idx_bomb_stops_while_streaming()
    {
        // The header declares 16 bytes but 8 MB of zeros follow (a ~8 kB file): the reader stops one byte past the 16.
        string path = Write("extra-idx1-ubyte.gz", Gzip(IdxHeader(16), 8 << 20));
        Assert.Contains("unexpected bytes after the IDX data", Refused(path, () => Idx.Read(path)));
    }

    [Fact]
    public void Bounded_stream_throws_once_past_its_limit()
    {
        var gz = Gzip([], 1 << 20); // 1 MiB of zeros in about 1 kB
        using var s = new BoundedStream(new GZipStream(new MemoryStream(gz), CompressionMode.Decompress), 1000, "z.gz", "the gzip stream");
        var e = Assert.Throws<InvalidFileException>(() => s.CopyTo(Stream.Null));
        Assert.StartsWith("z.gz: decompressed byte 1,000: the gzip stream inflates past its limit of 1,000 bytes", e.Message);
        Assert.Equal(1001, s.Produced); // one byte past the limit is read, not the megabyte

        Assert.Equal(1000L * ReadLimits.MaxCompressionRatio, BoundedStream.LimitFor(1000, null));
        Assert.Equal(500, BoundedStream.LimitFor(1000, 500));
        Assert.Equal(ReadLimits.MaxBytes, BoundedStream.LimitFor(long.MaxValue / 2, null));
    }

    /// <summary>A PNG with the given IHDR and one IDAT chunk holding <paramref name="idat"/>.</summary>
    private static byte[] Png(int width, int height, int depth, int colorType, byte[] idat)
    {
        using var ms = new MemoryStream();
        ms.Write([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]);
        var ihdr = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(ihdr, width);
        BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(4), height);
        (ihdr[8], ihdr[9]) = ((byte)depth, (byte)colorType);
        void Chunk(string type, byte[] data)
        {
            var b = new byte[12 + data.Length];
            BinaryPrimitives.WriteInt32BigEndian(b, data.Length);
            System.Text.Encoding.ASCII.GetBytes(type).CopyTo(b, 4);
            data.CopyTo(b, 8);
            BinaryPrimitives.WriteUInt32BigEndian(b.AsSpan(8 + data.Length), Nabla.Formats.Png.Crc32(b.AsSpan(4, 4 + data.Length)));
            ms.Write(b);
        }

        Chunk("IHDR", ihdr);
        Chunk("IDAT", idat);
        Chunk("IEND", []);
        return ms.ToArray();
    }

    private static byte[] Zlib(int zeros)
    {
        using var ms = new MemoryStream();
        using (var z = new ZLibStream(ms, CompressionLevel.Optimal))
        {
            z.Write(new byte[zeros]);
        }

        return ms.ToArray();
    }

    [Fact]
    public void Png_whose_header_declares_100000_by_100000_is_refused_from_the_header()
    {
        string path = Write("huge.png", Png(100000, 100000, 8, 2, Zlib(10)));
        Assert.Contains("byte 8, IHDR: image size 100000×100000 is invalid or larger than 67108864 pixels", Refused(path, () => Nabla.Formats.Png.Load(path)));
        string zero = Write("zero.png", Png(0, 5, 8, 0, Zlib(10)));
        Assert.Contains("image size 0×5 is invalid", Refused(zero, () => Nabla.Formats.Png.Load(zero)));
    }

    [Fact]
    public void Png_bomb_is_refused_before_inflating()
    {
        // 8192 × 8192 RGBA at 8 bits = 2^26 pixels, 256 MiB of rows (the samples would be 2 GiB of doubles), over a
        // 10 kB zlib stream: more than deflate's ~1032:1 can produce, so it is refused before anything is allocated.
        string path = Write("bomb.png", Png(8192, 8192, 8, 6, Zlib(10 << 20)));
        Assert.True(new FileInfo(path).Length < 20_000);
        Assert.Contains("IDAT: the 8192×8192 image needs 268,443,648 bytes of image data but", Refused(path, () => Nabla.Formats.Png.Load(path)));
    }

    [Fact]
    public void Csv_errors_name_file_line_and_column_without_quoting_the_field()
    {
        string path = Write("bad.csv", "label,a,b\n1,2,3\n0,secret,5\n"u8.ToArray());
        var e = Assert.Throws<InvalidFileException>(() => Csv.Load(path));
        Assert.Equal($"{path}: line 3, column 2: the field is not a finite number", e.Message);
        string nan = Write("nan.csv", "1,NaN\n"u8.ToArray());
        Assert.Equal($"{nan}: line 1, column 2: the field is not a finite number", Assert.Throws<InvalidFileException>(() => Csv.Load(nan)).Message);
    }

    [Fact]
    public void Adaptive_pool_output_size_below_one_is_refused()
    {
        Assert.Contains("outputSize must be at least 1", Assert.Throws<ArgumentException>(() => new AdaptiveAvgPool2d(0)).Message);
        Assert.Contains("outputSize must be at least 1", Assert.Throws<ArgumentException>(() => new AdaptiveAvgPool2d((3, -1))).Message);
        Assert.Contains("outputSize must be at least 1", Assert.Throws<ArgumentException>(() => new AdaptiveAvgPool1d(0)).Message);
        Assert.Contains("outputSize must be at least 1", Assert.Throws<ArgumentException>(() => new AdaptiveMaxPool2d(0)).Message);

        const string Yaml = "input: [3, 32, 32]\nlayers:\n  - Conv2d: {inChannels: 3, outChannels: 4, kernelSize: 3}\n  - AdaptiveAvgPool2d: {outputSize: 0}\n";
        var e = Assert.Throws<ModelShapeException>(() => ModelFile.Parse(Yaml).Summarize());
        Assert.Contains("AdaptiveAvgPool2d, line 4", e.Message);
        Assert.Contains("outputSize must be at least 1, got 0", e.Message);
    }
}
