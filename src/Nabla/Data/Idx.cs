using System.Buffers.Binary;
using System.IO.Compression;
using Nabla.Formats;

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
/// dimensions, each dimension as a big-endian int32, then the elements. The reader streams the file: it reads the
/// header, checks the declared element count (overflow-checked, within <see cref="ReadLimits.MaxBytes"/>, and no
/// more than the file can hold: its length, or for gzip its compressed size times
/// <see cref="ReadLimits.MaxCompressionRatio"/>) before it allocates, and inflates gzip through a
/// <see cref="BoundedStream"/>. Every defect (bad magic, truncation, trailing bytes, a broken or bomb gzip stream)
/// is an <see cref="InvalidFileException"/> naming the file, the position and the problem.
/// </remarks>
public static class Idx
{
    /// <summary>Reads an IDX file.</summary>
    /// <exception cref="InvalidFileException">The file is not a well-formed unsigned-byte IDX file.</exception>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    public static IdxArray Read(string path)
    {
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"{path}: file not found", path);
        }

        using var file = File.OpenRead(path);
        Span<byte> magic = stackalloc byte[2];
        int m = file.ReadAtLeast(magic, 2, throwOnEndOfStream: false);
        file.Position = 0;
        if (m < 2 || magic[0] != 0x1f || magic[1] != 0x8b)
        {
            return Parse(file, file.Length, path);
        }

        try
        {
            using var gz = new BoundedStream(new GZipStream(file, CompressionMode.Decompress, leaveOpen: true),
                BoundedStream.LimitFor(file.Length, null), path, "the gzip stream");
            return Parse(gz, null, path);
        }
        catch (Exception e) when (e is InvalidDataException or EndOfStreamException or IOException)
        {
            throw new InvalidFileException(path, "gzip stream", $"corrupt or truncated ({e.Message})", e);
        }
    }

    /// <summary>
    /// Parses the IDX data of <paramref name="s"/>; <paramref name="length"/> is its exact length when known (a plain
    /// file), null for a decompressing stream, whose <see cref="BoundedStream.Limit"/> then bounds what it may hold.
    /// </summary>
    private static IdxArray Parse(Stream s, long? length, string path)
    {
        InvalidFileException Bad(string position, string problem) => new(path, position, problem);
        var head = new byte[4 + (4 * 4)];
        int got = s.ReadAtLeast(head.AsSpan(0, 4), 4, throwOnEndOfStream: false);
        if (got < 4)
        {
            throw Bad("byte 0", $"not an IDX file: {got} bytes, shorter than the 4-byte header");
        }

        if (head[0] != 0 || head[1] != 0)
        {
            throw Bad("byte 0", $"not an IDX file: the first two bytes are {head[0]:x2} {head[1]:x2}, expected 00 00");
        }

        if (head[2] != 0x08)
        {
            throw Bad("byte 2", $"IDX element type 0x{head[2]:x2} is not supported (only 0x08, unsigned byte, as in MNIST)");
        }

        int rank = head[3];
        if (rank is < 1 or > 4)
        {
            throw Bad("byte 3", $"IDX header declares {rank} dimensions; expected 1 to 4");
        }

        int headerLength = 4 + (4 * rank);
        got = 4 + s.ReadAtLeast(head.AsSpan(4, 4 * rank), 4 * rank, throwOnEndOfStream: false);
        if (got < headerLength)
        {
            throw Bad($"byte {got}", $"truncated IDX header: {rank} dimensions need {headerLength} bytes, the file has {got}");
        }

        var dims = new int[rank];
        for (int i = 0; i < rank; i++)
        {
            dims[i] = BinaryPrimitives.ReadInt32BigEndian(head.AsSpan(4 + (4 * i)));
        }

        long count = ReadLimits.ElementCount(dims.Select(d => (long)d), 1, path, "IDX header");
        string declared = $"[{string.Join(", ", dims)}] = {count:N0} bytes";
        long room = length is { } n ? n - headerLength : (s is BoundedStream b ? b.Limit - headerLength : long.MaxValue);
        if (count > room || count > Array.MaxLength)
        {
            throw Bad($"byte {headerLength}", length is null
                ? $"the header declares {declared}, more than the gzip stream may inflate to ({room:N0} bytes: {ReadLimits.MaxCompressionRatio}× its compressed size, within NABLA_MAX_READ_BYTES)"
                : $"truncated IDX data: the header declares {declared}, only {Math.Max(0, room):N0} follow");
        }

        if (length is not null && room > count)
        {
            throw Bad($"byte {headerLength + count}", $"{room - count:N0} unexpected bytes after the IDX data (header declares {declared})");
        }

        var data = new byte[count];
        int read = s.ReadAtLeast(data, data.Length, throwOnEndOfStream: false);
        if (read < count)
        {
            throw Bad($"byte {headerLength + read}", $"truncated IDX data: the header declares {declared}, only {read:N0} follow");
        }

        if (length is null && s.ReadByte() >= 0)
        {
            throw Bad($"byte {headerLength + count}", $"unexpected bytes after the IDX data (header declares {declared})");
        }

        return new IdxArray(dims, data);
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
