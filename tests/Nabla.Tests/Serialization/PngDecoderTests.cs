using System.Buffers.Binary;
using System.IO.Compression;
using Nabla.Formats;

namespace Nabla.Tests.Serialization;

/// <summary>
/// The PNG decoder against our encoder and against PNGs built here byte by byte: the rows are filtered by this
/// file's own transcription of the specification's filter definitions (PNG spec, section 9.2), so the decoder's
/// inverse filters are checked against independent code.
/// </summary>
public class PngDecoderTests
{
    /// <summary>A PNG from raw (unfiltered) rows, each row filtered with the given filter type.</summary>
    private static byte[] Build(int width, int height, int depth, int colorType, byte[][] rows, int[] filters, byte[]? palette = null, int interlace = 0)
    {
        int channels = colorType switch { 0 => 1, 2 => 3, 3 => 1, 4 => 2, _ => 4 };
        int bpp = Math.Max(1, channels * depth / 8);
        using var raw = new MemoryStream();
        for (int y = 0; y < height; y++)
        {
            raw.WriteByte((byte)filters[y]);
            var up = y > 0 ? rows[y - 1] : new byte[rows[y].Length];
            for (int i = 0; i < rows[y].Length; i++)
            {
                int left = i >= bpp ? rows[y][i - bpp] : 0, above = up[i], upperLeft = i >= bpp ? up[i - bpp] : 0;
                int p = left + above - upperLeft;
                int paeth = Math.Abs(p - left) <= Math.Abs(p - above) && Math.Abs(p - left) <= Math.Abs(p - upperLeft) ? left
                    : Math.Abs(p - above) <= Math.Abs(p - upperLeft) ? above : upperLeft;
                int predictor = filters[y] switch { 1 => left, 2 => above, 3 => (left + above) / 2, 4 => paeth, _ => 0 };
                raw.WriteByte((byte)(rows[y][i] - predictor));
            }
        }

        using var z = new MemoryStream();
        using (var zs = new ZLibStream(z, CompressionLevel.Fastest, leaveOpen: true))
        {
            zs.Write(raw.ToArray());
        }

        var ihdr = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(ihdr, width);
        BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(4), height);
        ihdr[8] = (byte)depth;
        ihdr[9] = (byte)colorType;
        ihdr[12] = (byte)interlace;
        using var png = new MemoryStream();
        png.Write([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]);
        Chunk(png, "IHDR", ihdr);
        if (palette is not null)
        {
            Chunk(png, "PLTE", palette);
        }

        Chunk(png, "tEXt", "Comment\0ancillary chunks are skipped"u8.ToArray());
        Chunk(png, "IDAT", z.ToArray());
        Chunk(png, "IEND", []);
        return png.ToArray();
    }

    private static void Chunk(Stream s, string type, byte[] data)
    {
        var head = new byte[8];
        BinaryPrimitives.WriteInt32BigEndian(head, data.Length);
        System.Text.Encoding.ASCII.GetBytes(type, head.AsSpan(4));
        s.Write(head);
        s.Write(data);
        var crc = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(crc, Png.Crc32(data, Png.Crc32(head.AsSpan(4))));
        s.Write(crc);
    }

    private static byte[][] Gradient(int width, int height, int channels) =>
        Enumerable.Range(0, height).Select(y => Enumerable.Range(0, width * channels).Select(i => (byte)((37 * y) + (53 * i) + (i * i * y % 7) + 200)).ToArray()).ToArray();

    [Fact]
    public void Round_trip_with_our_encoder()
    {
        var g = new Generator(5);
        var rgb = Enumerable.Range(0, 7 * 5 * 3).Select(_ => (byte)(g.NextDouble() * 256)).ToArray();
        var img = Png.Decode(Png.Encode(7, 5, rgb));
        Assert.Equal((7, 5, 3, 8), (img.Width, img.Height, img.Channels, img.BitDepth));
        Assert.Equal(rgb.Select(b => b / 255.0), img.Samples);
        var lum = img.Luminance();
        Assert.Equal((0.299 * rgb[3]) + (0.587 * rgb[4]) + (0.114 * rgb[5]), lum[1] * 255, 9);
        var planes = img.RgbPlanes();
        Assert.Equal(rgb[(3 * 8) + 2] / 255.0, planes[(2 * 35) + 8]); // blue of pixel 8 is in the third plane
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    public void Each_filter_type_decodes_grey_and_rgb(int filter)
    {
        var grey = Gradient(6, 4, 1);
        var img = Png.Decode(Build(6, 4, 8, 0, grey, [filter, filter, filter, filter]));
        Assert.Equal(grey.SelectMany(r => r).Select(b => b / 255.0), img.Samples);
        var rgb = Gradient(5, 3, 3); // three bytes per pixel: Sub/Average/Paeth look 3 bytes back
        var color = Png.Decode(Build(5, 3, 8, 2, rgb, [filter, filter, filter]));
        Assert.Equal(rgb.SelectMany(r => r).Select(b => b / 255.0), color.Samples);
    }

    [Fact]
    public void Mixed_filters_rgba_and_grey_alpha()
    {
        var rgba = Gradient(4, 5, 4);
        var img = Png.Decode(Build(4, 5, 8, 6, rgba, [0, 1, 2, 3, 4]));
        Assert.Equal(4, img.Channels);
        Assert.True(img.HasAlpha);
        Assert.Equal(rgba.SelectMany(r => r).Select(b => b / 255.0), img.Samples);

        var ga = new[] { new byte[] { 10, 255, 200, 0 } }; // two pixels: grey 10 opaque, grey 200 transparent
        var lum = Png.Decode(Build(2, 1, 8, 4, ga, [1])).Luminance();
        Assert.Equal([10 / 255.0, 200 / 255.0], lum); // alpha ignored
    }

    [Fact]
    public void Sixteen_bit_one_bit_and_palette_samples()
    {
        // 16-bit grey, big-endian: 0x1234 = 4660 → 4660/65535.
        var img16 = Png.Decode(Build(2, 1, 16, 0, [[0x12, 0x34, 0xFF, 0xFF]], [4]));
        Assert.Equal([4660 / 65535.0, 1.0], img16.Samples);

        // 1-bit grey: 0b1011_0000, the first pixel in the most significant bit; the last 4 bits are padding.
        var img1 = Png.Decode(Build(4, 1, 1, 0, [[0b1011_0000]], [0]));
        Assert.Equal([1.0, 0, 1, 1], img1.Samples);

        // 2-bit palette: indices 2, 0, 1 (0b10_00_01_00) into red, green, blue.
        byte[] palette = [255, 0, 0, 0, 255, 0, 0, 0, 255];
        var pal = Png.Decode(Build(3, 1, 2, 3, [[0b10_00_01_00]], [0], palette));
        Assert.Equal(3, pal.Channels);
        Assert.Equal([0.0, 0, 1, 1, 0, 0, 0, 1, 0], pal.Samples);
        Assert.Equal([0.114, 0.299, 0.587], pal.Luminance().Select(v => Math.Round(v, 12)));
    }

    [Fact]
    public void Corrupt_files_name_the_source_and_the_problem()
    {
        var good = Build(6, 4, 8, 0, Gradient(6, 4, 1), [0, 1, 2, 3]);
        string Problem(byte[] bytes) => Assert.Throws<InvalidFileException>(() => Png.Decode(bytes, "digit.png")).Message;

        var notPng = (byte[])good.Clone();
        notPng[1] = (byte)'J';
        Assert.StartsWith("digit.png: bad signature", Problem(notPng));

        var flipped = (byte[])good.Clone();
        flipped[^20] ^= 0x40; // inside the IDAT data
        Assert.Matches(@"^digit\.png: byte \d+: CRC mismatch in chunk 'IDAT'", Problem(flipped));

        Assert.Contains("truncated", Problem(good[..(good.Length / 2)]));
        Assert.Contains("before the IEND chunk", Problem(good[..^12]));

        var badFilter = Build(2, 2, 8, 0, [[1, 2], [3, 4]], [0, 7]);
        Assert.Contains("row 1 has filter type 7", Problem(badFilter));

        var badPalette = Build(2, 1, 8, 3, [[0, 5]], [0], [1, 2, 3]);
        Assert.Contains("palette index 5", Problem(badPalette));

        var interlaced = Build(2, 2, 8, 0, [[1, 2], [3, 4]], [0, 0], interlace: 1);
        var e = Assert.Throws<InvalidFileException>(() => Png.Decode(interlaced, "digit.png"));
        Assert.Contains("interlaced (Adam7)", e.Message);
    }
}
