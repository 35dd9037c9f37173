using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace Nabla.Formats;

/// <summary>A decoded PNG image: samples scaled to [0, 1], row-major with the channels of a pixel side by side.</summary>
/// <param name="Width">Pixels per row.</param>
/// <param name="Height">Rows.</param>
/// <param name="Channels">1 grey, 2 grey + alpha, 3 RGB (palette images too), 4 RGBA.</param>
/// <param name="BitDepth">Bits per sample in the file (1, 2, 4, 8 or 16).</param>
/// <param name="Samples">
/// <c>Samples[(y·Width + x)·Channels + c]</c> = stored value / (2^BitDepth − 1); for palette images the palette
/// entry's 8-bit RGB / 255.
/// </param>
public sealed record PngImage(int Width, int Height, int Channels, int BitDepth, double[] Samples)
{
    /// <summary>Whether the last channel is alpha (grey + alpha, RGBA).</summary>
    public bool HasAlpha => Channels is 2 or 4;

    /// <summary>
    /// One value per pixel, row-major: the grey level, or the luminance 0.299·R + 0.587·G + 0.114·B (ITU-R BT.601)
    /// of a colour pixel. Alpha is ignored.
    /// </summary>
    public double[] Luminance()
    {
        var y = new double[Width * Height];
        for (int i = 0; i < y.Length; i++)
        {
            int o = i * Channels;
            y[i] = Channels < 3 ? Samples[o] : (0.299 * Samples[o]) + (0.587 * Samples[o + 1]) + (0.114 * Samples[o + 2]);
        }

        return y;
    }

    /// <summary>
    /// The red, green and blue planes one after the other (<c>[3, Height, Width]</c> row-major, PyTorch's
    /// channels-first layout); a grey image gives three equal planes. Alpha is ignored.
    /// </summary>
    public double[] RgbPlanes()
    {
        int n = Width * Height;
        var planes = new double[3 * n];
        for (int i = 0; i < n; i++)
        {
            for (int c = 0; c < 3; c++)
            {
                planes[(c * n) + i] = Samples[(i * Channels) + (Channels < 3 ? 0 : c)];
            }
        }

        return planes;
    }
}

/// <summary>The PNG decoder: chunks with CRC check, zlib inflate of the IDAT stream, the five row filters, every colour type.</summary>
public static partial class Png
{
    private static readonly byte[] Signature = [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];

    /// <summary>The largest image <see cref="Decode"/> accepts, in pixels (a guard against absurd headers).</summary>
    public const long MaxPixels = 1L << 26;

    /// <summary>Reads and decodes a PNG file.</summary>
    /// <exception cref="InvalidFileException">The file is not a valid PNG, or its image would pass the read limits; the message names the path, position and problem.</exception>
    public static PngImage Load(string path)
    {
        long length = new FileInfo(path).Length;
        ReadLimits.CheckBytes(length, 1, path, null);
        return Decode(File.ReadAllBytes(path), path);
    }

    /// <summary>
    /// Decodes a non-interlaced PNG of any colour type (grey, grey + alpha, RGB, RGBA, palette) and bit depth
    /// (1, 2, 4, 8, 16). Ancillary chunks (gamma, text, transparency) are skipped.
    /// </summary>
    /// <param name="png">The file's bytes.</param>
    /// <param name="source">How to name the data in error messages (the file's path).</param>
    /// <exception cref="InvalidFileException">
    /// A bad signature, a CRC mismatch, a truncated file or image stream, an invalid header or filter type, a
    /// palette index outside the palette, or an image whose size passes <see cref="MaxPixels"/>, the memory cap or
    /// what the compressed data can hold (a decompression bomb); the message starts with <paramref name="source"/>.
    /// </exception>
    public static PngImage Decode(ReadOnlySpan<byte> png, string source = "PNG data")
    {
        InvalidFileException Bad(string problem, string? at = null) => new(source, at, problem);
        if (png.Length < Signature.Length || !png[..Signature.Length].SequenceEqual(Signature))
        {
            throw Bad("bad signature: not a PNG file (a PNG starts with the bytes 89 50 4E 47 0D 0A 1A 0A)");
        }

        Header? header = null;
        byte[]? palette = null;
        bool ended = false;
        using var compressed = new MemoryStream();
        for (int pos = Signature.Length; pos < png.Length && !ended;)
        {
            if (png.Length - pos < 12)
            {
                throw Bad($"truncated: {png.Length - pos} byte(s) are too few for a chunk (length, type, CRC: 12 bytes)", $"byte {pos}");
            }

            uint length = BinaryPrimitives.ReadUInt32BigEndian(png[pos..]);
            var typeBytes = png.Slice(pos + 4, 4);
            string type = Encoding.ASCII.GetString(typeBytes);
            if (length > int.MaxValue || length > png.Length - pos - 12)
            {
                throw Bad($"truncated: chunk {InvalidFileException.Quote(type)} declares {length:N0} bytes of data but the file has {png.Length - pos - 12:N0} after its header", $"byte {pos}");
            }

            var data = png.Slice(pos + 8, (int)length);
            uint stored = BinaryPrimitives.ReadUInt32BigEndian(png[(pos + 8 + (int)length)..]);
            uint computed = Crc32(data, Crc32(typeBytes));
            if (stored != computed)
            {
                throw Bad($"CRC mismatch in chunk {InvalidFileException.Quote(type)} (stored {stored:X8}, computed {computed:X8}): the file is corrupt", $"byte {pos}");
            }

            if (header is null && type != "IHDR")
            {
                throw Bad($"the first chunk must be IHDR, found {InvalidFileException.Quote(type)}", $"byte {pos}");
            }

            switch (type)
            {
                case "IHDR":
                    header = ReadHeader(data, (problem, _) => Bad(problem, $"byte {pos}, IHDR"), source);
                    break;
                case "PLTE":
                    palette = length % 3 == 0 && length is > 0 and <= 768 ? data.ToArray() : throw Bad($"PLTE has {length} bytes; it must hold 1 to 256 RGB entries (a multiple of 3)", $"byte {pos}");
                    break;
                case "IDAT":
                    compressed.Write(data);
                    break;
                case "IEND":
                    ended = true;
                    break;
                default:
                    if (char.IsUpper(type[0]))
                    {
                        throw Bad($"unknown critical chunk {InvalidFileException.Quote(type)} (a chunk whose name starts with an upper-case letter must be understood)", $"byte {pos}");
                    }

                    break;
            }

            pos += 12 + (int)length;
        }

        if (header is not { } h)
        {
            throw Bad("truncated: the file ends before the IHDR chunk");
        }

        if (!ended)
        {
            throw Bad("truncated: the file ends before the IEND chunk");
        }

        if (compressed.Length == 0)
        {
            throw Bad("no IDAT chunk: the file has no image data");
        }

        if (h.ColorType == 3 && palette is null)
        {
            throw Bad("a palette image (colour type 3) without a PLTE chunk");
        }

        var pixels = Unfilter(Inflate(compressed, h, Bad, source), h, Bad);
        return new PngImage(h.Width, h.Height, h.OutChannels, h.BitDepth, Samples(pixels, h, palette, Bad));
    }

    private sealed record Header(int Width, int Height, int BitDepth, int ColorType)
    {
        /// <summary>Samples per pixel as stored (a palette index is one).</summary>
        public int Channels => ColorType switch { 0 => 1, 2 => 3, 3 => 1, 4 => 2, _ => 4 };

        /// <summary>Samples per pixel as decoded (a palette index becomes RGB).</summary>
        public int OutChannels => ColorType == 3 ? 3 : Channels;

        public int BitsPerPixel => Channels * BitDepth;

        /// <summary>Bytes per row without the filter byte.</summary>
        public int RowBytes => (int)(((long)Width * BitsPerPixel + 7) / 8);

        /// <summary>The byte distance to the corresponding byte of the previous pixel (at least 1), for the Sub, Average and Paeth filters.</summary>
        public int FilterStride => Math.Max(1, BitsPerPixel / 8);
    }

    private static Header ReadHeader(ReadOnlySpan<byte> d, Func<string, string?, InvalidFileException> bad, string source)
    {
        if (d.Length != 13)
        {
            throw bad($"IHDR has {d.Length} bytes; it must have 13", null);
        }

        int width = BinaryPrimitives.ReadInt32BigEndian(d), height = BinaryPrimitives.ReadInt32BigEndian(d[4..]);
        int depth = d[8], colorType = d[9];
        if (width <= 0 || height <= 0 || (long)width * height > MaxPixels)
        {
            throw bad($"image size {width}×{height} is invalid or larger than {MaxPixels} pixels", null);
        }

        int[] depths = colorType switch { 0 => [1, 2, 4, 8, 16], 3 => [1, 2, 4, 8], 2 or 4 or 6 => [8, 16], _ => [] };
        if (depths.Length == 0)
        {
            throw bad($"colour type {colorType} does not exist (PNG has 0 grey, 2 RGB, 3 palette, 4 grey + alpha, 6 RGBA)", null);
        }

        if (!depths.Contains(depth))
        {
            throw bad($"bit depth {depth} is not allowed for colour type {colorType} (allowed: {string.Join(", ", depths)})", null);
        }

        if (d[10] != 0 || d[11] != 0)
        {
            throw bad($"compression method {d[10]} / filter method {d[11]}: PNG defines only method 0 for both", null);
        }

        return d[12] switch
        {
            0 => new Header(width, height, depth, colorType),
            1 => throw bad("interlaced (Adam7) PNGs are not supported; save the image without interlacing", null),
            _ => throw bad($"interlace method {d[12]} does not exist (0 none, 1 Adam7)", null),
        };
    }

    /// <summary>
    /// Inflates the IDAT stream into exactly the bytes the header declares (rows of one filter byte + pixels). The
    /// size is checked before anything is allocated: the pixel bytes and the decoded samples (8 bytes each) within
    /// <see cref="ReadLimits.MaxBytes"/>, and no more than the compressed bytes can inflate to
    /// (<see cref="ReadLimits.MaxCompressionRatio"/>); the inflater then runs through a <see cref="BoundedStream"/>.
    /// </summary>
    private static byte[] Inflate(MemoryStream compressed, Header h, Func<string, string?, InvalidFileException> bad, string source)
    {
        long expected = (h.RowBytes + 1L) * h.Height;
        string at = "IDAT";
        ReadLimits.CheckBytes(expected, 1, source, at);
        ReadLimits.CheckBytes((long)h.Width * h.Height * h.OutChannels, sizeof(double), source, at);
        long limit = BoundedStream.LimitFor(compressed.Length, expected);
        if (expected > limit)
        {
            throw bad($"the {h.Width}×{h.Height} image needs {expected:N0} bytes of image data but {compressed.Length:N0} compressed bytes inflate to at most {limit:N0} " +
                $"({ReadLimits.MaxCompressionRatio}× the compressed size): a decompression bomb or a truncated file", at);
        }

        var raw = new byte[expected];
        compressed.Position = 0;
        int read;
        try
        {
            using var z = new BoundedStream(new ZLibStream(compressed, CompressionMode.Decompress, leaveOpen: true), limit, source, "the image data (IDAT)");
            read = z.ReadAtLeast(raw, raw.Length, throwOnEndOfStream: false);
        }
        catch (Exception e) when (e is InvalidDataException or IOException)
        {
            // zlib reports some corruptions as ZLibException, an IOException ("unexpected error code").
            throw bad($"the image data is not a valid zlib stream: {e.Message}", at);
        }

        return read == expected ? raw : throw bad($"truncated image data: {read:N0} of {expected:N0} bytes ({h.Height} rows of 1 + {h.RowBytes}) after inflating", at);
    }

    /// <summary>Undoes the per-row filters (PNG specification, section 9) and drops the filter bytes.</summary>
    private static byte[] Unfilter(byte[] raw, Header h, Func<string, string?, InvalidFileException> bad)
    {
        int n = h.RowBytes, bpp = h.FilterStride;
        var pixels = new byte[n * h.Height];
        for (int y = 0; y < h.Height; y++)
        {
            int filter = raw[y * (n + 1)];
            var line = raw.AsSpan((y * (n + 1)) + 1, n);
            var cur = pixels.AsSpan(y * n, n);
            ReadOnlySpan<byte> prev = y > 0 ? pixels.AsSpan((y - 1) * n, n) : new byte[n];
            for (int i = 0; i < n; i++)
            {
                int a = i >= bpp ? cur[i - bpp] : 0, b = prev[i], c = i >= bpp ? prev[i - bpp] : 0;
                int predictor = filter switch
                {
                    0 => 0,
                    1 => a,
                    2 => b,
                    3 => (a + b) >> 1,
                    4 => Paeth(a, b, c),
                    _ => throw bad($"row {y} has filter type {filter}; PNG defines 0 to 4 (None, Sub, Up, Average, Paeth)", null),
                };
                cur[i] = (byte)(line[i] + predictor);
            }
        }

        return pixels;
    }

    private static int Paeth(int a, int b, int c)
    {
        int p = a + b - c, pa = Math.Abs(p - a), pb = Math.Abs(p - b), pc = Math.Abs(p - c);
        return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
    }

    private static double[] Samples(byte[] pixels, Header h, byte[]? palette, Func<string, string?, InvalidFileException> bad)
    {
        int perPixel = h.Channels, depth = h.BitDepth, n = h.RowBytes;
        double max = (1 << depth) - 1;
        int outChannels = h.ColorType == 3 ? 3 : perPixel;
        var samples = new double[(long)h.Width * h.Height * outChannels];
        for (int y = 0; y < h.Height; y++)
        {
            var row = pixels.AsSpan(y * n, n);
            for (int k = 0; k < h.Width * perPixel; k++)
            {
                int value = depth switch
                {
                    16 => BinaryPrimitives.ReadUInt16BigEndian(row[(2 * k)..]),
                    8 => row[k],
                    _ => (row[k * depth / 8] >> (8 - depth - (k * depth % 8))) & ((1 << depth) - 1),
                };
                long o = ((long)y * h.Width * outChannels) + ((long)k * outChannels / perPixel);
                if (h.ColorType != 3)
                {
                    samples[o] = value / max;
                    continue;
                }

                if ((3 * value) + 2 >= palette!.Length)
                {
                    throw bad($"pixel ({k}, {y}) uses palette index {value} but the palette has {palette.Length / 3} entries", null);
                }

                for (int c = 0; c < 3; c++)
                {
                    samples[o + c] = palette[(3 * value) + c] / 255.0;
                }
            }
        }

        return samples;
    }
}
