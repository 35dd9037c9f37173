using System.Buffers.Binary;
using System.IO.Compression;

namespace Nabla.Data;

/// <summary>The contents of an IDX file: its dimensions and its unsigned-byte elements.</summary>
/// <param name="Dims">The dimensions (for MNIST images <c>[N, 28, 28]</c>, for labels <c>[N]</c>).</param>
/// <param name="Data">The elements, row-major.</param>
public sealed record IdxArray(int[] Dims, byte[] Data)
{
    /// <summary>The elements as a Float32 tensor of shape <see cref="Dims"/>, each multiplied by <paramref name="scale"/>.</summary>
    public Tensor ToFloat32(double scale = 1.0)
    {
        var f = new float[Data.Length];
        float s = (float)scale;
        for (int i = 0; i < f.Length; i++)
        {
            f[i] = Data[i] * s;
        }

        return Tensor.FromArray(f, new Shape(Dims));
    }

    /// <summary>The elements as an Int64 tensor of shape <see cref="Dims"/> (labels).</summary>
    public Tensor ToInt64() => Tensor.FromArray(Array.ConvertAll(Data, b => (long)b), new Shape(Dims));
}

/// <summary>
/// Reads IDX files, the format of MNIST and Fashion-MNIST (plain or gzip-compressed, detected by content).
/// </summary>
/// <remarks>
/// Layout: two zero bytes, a type code (0x08 = unsigned byte, the only one used by these datasets), the number of
/// dimensions, each dimension as a big-endian int32, then the elements. Every defect (bad magic, truncation,
/// trailing bytes, a broken gzip stream) is an <see cref="InvalidDataException"/> whose message starts with the
/// file's path and says what is wrong.
/// </remarks>
public static class Idx
{
    /// <summary>Reads an IDX file.</summary>
    /// <exception cref="InvalidDataException">The file is not a well-formed unsigned-byte IDX file.</exception>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    public static IdxArray Read(string path)
    {
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"{path}: file not found", path);
        }

        return Parse(ReadMaybeGzip(path), path);
    }

    /// <summary>The file's bytes, decompressed when it starts with the gzip magic (1f 8b).</summary>
    internal static byte[] ReadMaybeGzip(string path)
    {
        byte[] raw = File.ReadAllBytes(path);
        if (raw.Length < 2 || raw[0] != 0x1f || raw[1] != 0x8b)
        {
            return raw;
        }

        try
        {
            using var gz = new GZipStream(new MemoryStream(raw), CompressionMode.Decompress);
            using var ms = new MemoryStream();
            gz.CopyTo(ms);
            return ms.ToArray();
        }
        catch (Exception e) when (e is InvalidDataException or EndOfStreamException or IOException)
        {
            throw new InvalidDataException($"{path}: the gzip stream is corrupt or truncated ({e.Message})", e);
        }
    }

    /// <summary>Parses IDX bytes; <paramref name="path"/> names the source in errors.</summary>
    internal static IdxArray Parse(byte[] bytes, string path)
    {
        if (bytes.Length < 4)
        {
            throw new InvalidDataException($"{path}: not an IDX file: {bytes.Length} bytes, shorter than the 4-byte header");
        }

        if (bytes[0] != 0 || bytes[1] != 0)
        {
            throw new InvalidDataException($"{path}: not an IDX file: the first two bytes are {bytes[0]:x2} {bytes[1]:x2}, expected 00 00");
        }

        if (bytes[2] != 0x08)
        {
            throw new InvalidDataException($"{path}: IDX element type 0x{bytes[2]:x2} is not supported (only 0x08, unsigned byte, as in MNIST)");
        }

        int rank = bytes[3];
        if (rank is < 1 or > 4)
        {
            throw new InvalidDataException($"{path}: IDX header declares {rank} dimensions; expected 1 to 4");
        }

        int headerLength = 4 + (4 * rank);
        if (bytes.Length < headerLength)
        {
            throw new InvalidDataException($"{path}: truncated IDX header: {rank} dimensions need {headerLength} bytes, the file has {bytes.Length}");
        }

        var dims = new int[rank];
        long count = 1;
        for (int i = 0; i < rank; i++)
        {
            dims[i] = BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(4 + (4 * i)));
            if (dims[i] < 0)
            {
                throw new InvalidDataException($"{path}: IDX dimension {i} is negative ({dims[i]})");
            }

            count *= dims[i];
        }

        long available = bytes.Length - headerLength;
        if (available < count)
        {
            throw new InvalidDataException(
                $"{path}: truncated IDX data: the header declares [{string.Join(", ", dims)}] = {count} bytes, only {available} follow");
        }

        if (available > count)
        {
            throw new InvalidDataException(
                $"{path}: {available - count} unexpected bytes after the IDX data (header declares [{string.Join(", ", dims)}] = {count} bytes)");
        }

        return new IdxArray(dims, bytes.AsSpan(headerLength).ToArray());
    }

    /// <summary>Writes an unsigned-byte IDX file (plain, or gzip when the name ends in <c>.gz</c>), e.g. for test fixtures.</summary>
    public static void Write(string path, int[] dims, byte[] data)
    {
        using var file = File.Create(path);
        using Stream s = path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase) ? new GZipStream(file, CompressionLevel.Fastest) : file;
        s.Write([0, 0, 0x08, (byte)dims.Length]);
        Span<byte> b = stackalloc byte[4];
        foreach (int d in dims)
        {
            BinaryPrimitives.WriteInt32BigEndian(b, d);
            s.Write(b);
        }

        s.Write(data);
    }
}
