using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using Nabla.Formats;

namespace Nabla.Fuzz;

/// <summary>
/// The structure of the binary formats, so that mutations reach past their checksums, length prefixes and
/// compression: PNG chunks (CRC recomputed, IDAT inflated, mutated and deflated again), the safetensors header
/// (mutated as JSON text, its length prefix recomputed), gzip (the payload mutated, then compressed again).
/// </summary>
public static class Formats
{
    private static readonly byte[] PngSignature = [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];

    /// <summary>Small PNG seeds of every colour type (grey, RGB, palette, grey+alpha, RGBA), 8- and 16-bit, and one interlaced.</summary>
    public static IReadOnlyList<byte[]> PngSeeds()
    {
        var rgb = Enumerable.Range(0, 5 * 4 * 3).Select(i => (byte)(i * 17)).ToArray();
        var seeds = new List<byte[]> { Png.Encode(5, 4, rgb) };
        foreach (var (colour, depth, channels, interlace) in new[] { (0, 8, 1, 0), (0, 16, 2, 0), (3, 8, 1, 0), (4, 8, 2, 0), (6, 8, 4, 0), (2, 16, 6, 0), (0, 1, 1, 0), (2, 8, 3, 1) })
        {
            int width = 6, height = 3, rowBytes = depth < 8 ? (width * depth + 7) / 8 : width * channels;
            var raw = new byte[height * (rowBytes + 1)];
            for (int i = 0; i < raw.Length; i++)
            {
                raw[i] = i % (rowBytes + 1) == 0 ? (byte)(i / (rowBytes + 1) % 5) : (byte)(i * 29);
            }

            var chunks = new List<(string, byte[])> { ("IHDR", Ihdr(width, height, depth, colour, interlace)) };
            if (colour == 3)
            {
                chunks.Add(("PLTE", Enumerable.Range(0, 256 * 3).Select(i => (byte)i).ToArray()));
            }

            chunks.Add(("IDAT", Deflate(raw)));
            chunks.Add(("IEND", []));
            seeds.Add(BuildPng(chunks));
        }

        return seeds;
    }

    /// <summary>Mutates a PNG: raw bytes, one chunk's data with its CRC fixed, or the inflated image data.</summary>
    public static byte[] MutatePng(byte[] seed, byte[] other, Mutator m, Random r)
    {
        var chunks = ParsePng(seed);
        if (chunks is null || chunks.Count == 0 || r.Next(4) == 0)
        {
            return m.Mutate(seed, other, text: false);
        }

        int pick = r.Next(chunks.Count);
        var (type, data) = chunks[pick];
        if (type == "IDAT" && r.Next(2) == 0 && TryInflate(data) is { } pixels)
        {
            chunks[pick] = (type, Deflate(m.Mutate(pixels, pixels, text: false)));
        }
        else if (r.Next(8) == 0)
        {
            chunks.Insert(pick, (r.Next(3) switch { 0 => "IHDR", 1 => "IDAT", _ => "PLTE" }, m.Mutate(data, other, text: false)));
        }
        else
        {
            chunks[pick] = (type, m.Mutate(data, other, text: false));
        }

        return BuildPng(chunks);
    }

    /// <summary>Mutates a safetensors file: its header as JSON text (length prefix recomputed most of the time), or raw bytes.</summary>
    public static byte[] MutateSafetensors(byte[] seed, byte[] other, Mutator m, Random r)
    {
        if (seed.Length < 8 || r.Next(5) == 0)
        {
            return m.Mutate(seed, other, text: false);
        }

        long n = BinaryPrimitives.ReadInt64LittleEndian(seed);
        if (n < 0 || n > seed.Length - 8)
        {
            return m.Mutate(seed, other, text: false);
        }

        byte[] header = m.Mutate(seed.AsSpan(8, (int)n).ToArray(), other, text: true);
        byte[] data = seed.AsSpan(8 + (int)n).ToArray();
        if (r.Next(4) == 0)
        {
            data = m.Mutate(data, data, text: false);
        }

        var result = new byte[8 + header.Length + data.Length];
        BinaryPrimitives.WriteInt64LittleEndian(result, r.Next(6) == 0 ? n : header.Length);
        header.CopyTo(result, 8);
        data.CopyTo(result, 8 + header.Length);
        return result;
    }

    /// <summary>Mutates a possibly gzipped file: the payload mutated and compressed again, or the raw bytes.</summary>
    public static byte[] MutateMaybeGzip(byte[] seed, byte[] other, Mutator m, Random r)
    {
        bool gz = seed.Length > 2 && seed[0] == 0x1f && seed[1] == 0x8b;
        if (!gz || r.Next(4) == 0)
        {
            byte[] mutated = m.Mutate(seed, other, text: false);
            return r.Next(5) == 0 ? Gzip(mutated) : mutated;
        }

        using var input = new GZipStream(new MemoryStream(seed), CompressionMode.Decompress);
        using var payload = new MemoryStream();
        try
        {
            input.CopyTo(payload);
        }
        catch (InvalidDataException)
        {
            return m.Mutate(seed, other, text: false);
        }

        return Gzip(m.Mutate(payload.ToArray(), other, text: false));
    }

    /// <summary>The bytes compressed with gzip.</summary>
    public static byte[] Gzip(byte[] data)
    {
        using var ms = new MemoryStream();
        using (var gz = new GZipStream(ms, CompressionLevel.Fastest, leaveOpen: true))
        {
            gz.Write(data);
        }

        return ms.ToArray();
    }

    /// <summary>The PNG's chunks (type, data), or null when its framing is broken.</summary>
    public static List<(string Type, byte[] Data)>? ParsePng(byte[] png)
    {
        if (png.Length < 8 || !png.AsSpan(0, 8).SequenceEqual(PngSignature))
        {
            return null;
        }

        var chunks = new List<(string, byte[])>();
        for (int pos = 8; pos + 12 <= png.Length;)
        {
            uint len = BinaryPrimitives.ReadUInt32BigEndian(png.AsSpan(pos));
            if (len > png.Length - pos - 12)
            {
                return null;
            }

            chunks.Add((Encoding.ASCII.GetString(png, pos + 4, 4), png.AsSpan(pos + 8, (int)len).ToArray()));
            pos += 12 + (int)len;
        }

        return chunks;
    }

    /// <summary>A PNG file of these chunks, each with a correct CRC.</summary>
    public static byte[] BuildPng(IEnumerable<(string Type, byte[] Data)> chunks)
    {
        using var ms = new MemoryStream();
        ms.Write(PngSignature);
        Span<byte> word = stackalloc byte[4];
        foreach (var (type, data) in chunks)
        {
            var typeBytes = Encoding.ASCII.GetBytes(type.PadRight(4)[..4]);
            BinaryPrimitives.WriteUInt32BigEndian(word, (uint)data.Length);
            ms.Write(word);
            ms.Write(typeBytes);
            ms.Write(data);
            BinaryPrimitives.WriteUInt32BigEndian(word, Png.Crc32(data, Png.Crc32(typeBytes)));
            ms.Write(word);
        }

        return ms.ToArray();
    }

    /// <summary>An IHDR chunk's 13 bytes.</summary>
    public static byte[] Ihdr(int width, int height, int depth, int colour, int interlace)
    {
        var h = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(h, width);
        BinaryPrimitives.WriteInt32BigEndian(h.AsSpan(4), height);
        (h[8], h[9], h[12]) = ((byte)depth, (byte)colour, (byte)interlace);
        return h;
    }

    /// <summary>The data compressed as a zlib stream (PNG's IDAT).</summary>
    public static byte[] Deflate(byte[] raw)
    {
        using var ms = new MemoryStream();
        using (var z = new ZLibStream(ms, CompressionLevel.Fastest, leaveOpen: true))
        {
            z.Write(raw);
        }

        return ms.ToArray();
    }

    private static byte[]? TryInflate(byte[] data)
    {
        try
        {
            using var z = new ZLibStream(new MemoryStream(data), CompressionMode.Decompress);
            using var ms = new MemoryStream();
            var buffer = new byte[4096];
            for (int n; (n = z.Read(buffer)) > 0;)
            {
                ms.Write(buffer, 0, n);
                if (ms.Length > 1 << 20)
                {
                    return null;
                }
            }

            return ms.ToArray();
        }
        catch (InvalidDataException)
        {
            return null;
        }
    }
}
