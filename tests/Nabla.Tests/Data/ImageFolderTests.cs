using System.Buffers.Binary;
using System.IO.Compression;
using System.Text.Json;
using Nabla.Data;
using Nabla.Formats;
using Nabla.Tests.Training;

namespace Nabla.Tests.Data;

/// <summary>
/// <see cref="ImageFolder"/> on small folders of PNGs written here (RGB by the repository's encoder, grey and alpha
/// ones by <see cref="EncodePng"/>, written from the PNG specification), the <see cref="Resize"/> transform against a
/// hand-computed bilinear resize, and <c>nabla train --data images:DIR</c>.
/// </summary>
public class ImageFolderTests
{
    /// <summary>An 8-bit PNG of colour type 0 (grey), 4 (grey + alpha), 2 (RGB) or 6 (RGBA), filter 0 on every row.</summary>
    private static byte[] EncodePng(int width, int height, byte colourType, byte[] samples)
    {
        int channels = colourType switch { 0 => 1, 4 => 2, 2 => 3, _ => 4 };
        Assert.Equal(width * height * channels, samples.Length);
        using var ms = new MemoryStream();
        ms.Write([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]);
        var ihdr = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(ihdr, width);
        BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(4), height);
        (ihdr[8], ihdr[9]) = (8, colourType);
        Chunk(ms, "IHDR", ihdr);
        using var raw = new MemoryStream();
        using (var z = new ZLibStream(raw, CompressionLevel.Fastest, leaveOpen: true))
        {
            for (int y = 0; y < height; y++)
            {
                z.WriteByte(0);
                z.Write(samples, y * width * channels, width * channels);
            }
        }

        Chunk(ms, "IDAT", raw.ToArray());
        Chunk(ms, "IEND", []);
        return ms.ToArray();
    }

    private static void Chunk(Stream s, string type, byte[] data)
    {
        var head = new byte[8];
        BinaryPrimitives.WriteInt32BigEndian(head, data.Length);
        System.Text.Encoding.ASCII.GetBytes(type).CopyTo(head, 4);
        s.Write(head);
        s.Write(data);
        var crc = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(crc, Png.Crc32(data, Png.Crc32(head.AsSpan(4))));
        s.Write(crc);
    }

    private static void Put(string root, string rel, byte[] bytes)
    {
        string path = Path.Combine(root, rel);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, bytes);
    }

    /// <summary>A 2×2 RGB image whose every sample is <paramref name="v"/> (pixel p, channel c: v + 10p + c).</summary>
    private static byte[] Rgb(byte v) => Png.Encode(2, 2, Enumerable.Range(0, 12).Select(i => (byte)(v + (10 * (i / 3)) + (i % 3))).ToArray());

    [Fact]
    public void Classes_are_sorted_subfolders_and_pixels_are_chw_over_255()
    {
        string root = TestPaths.TempDir();
        Put(root, "dog/b.png", Rgb(100));
        Put(root, "dog/a.png", Rgb(50));
        Put(root, "cat/x/deep.png", Rgb(20)); // nested folders count for their class
        Put(root, "Zebra/z.png", Rgb(0));
        Put(root, "dog/notes.txt", [1, 2, 3]); // ignored: not .png
        Put(root, "dog/photo.jpg", [0xFF, 0xD8]);
        Put(root, "stray.png", Rgb(7)); // ignored: not in a class folder

        var set = new ImageFolder(root);
        Assert.Equal(["Zebra", "cat", "dog"], set.Classes); // ordinal: upper case before lower case
        Assert.Equal([(Path.Join("Zebra", "z.png"), 0), (Path.Join("cat", "x", "deep.png"), 1), (Path.Join("dog", "a.png"), 2), (Path.Join("dog", "b.png"), 2)],
            set.Samples);
        Assert.Equal([4, 3, 2, 2], set.Data.Inputs.Shape.ToArray());
        Assert.Equal([0L, 1, 2, 2], set.Data.Targets.ToInt64Array());
        var a = set.Get(2).Input; // dog/a.png, v = 50: pixel (y, x) = p = 2y + x, channel c → 50 + 10p + c
        Assert.Equal((50 + 10 + 0) / 255f, a[0, 0, 1].Item(), 1e-6);
        Assert.Equal((50 + 20 + 1) / 255f, a[1, 1, 0].Item(), 1e-6);
        Assert.Equal((50 + 30 + 2) / 255f, a[2, 1, 1].Item(), 1e-6);
    }

    [Fact]
    public void Grey_folders_give_one_channel_and_colour_promotes_grey_to_three_equal_planes()
    {
        string grey = TestPaths.TempDir();
        Put(grey, "a/g.png", EncodePng(2, 1, 0, [0, 255]));
        Put(grey, "b/ga.png", EncodePng(2, 1, 4, [51, 0, 102, 255])); // grey + alpha: alpha dropped
        var g = new ImageFolder(grey);
        Assert.Equal([2, 1, 1, 2], g.Data.Inputs.Shape.ToArray());
        Assert.Equal([0f, 1f, 0.2f, 0.4f], g.Data.Inputs.ToFloatArray());

        Put(grey, "c/rgba.png", EncodePng(2, 1, 6, [255, 0, 51, 7, 0, 102, 255, 9])); // RGBA: alpha dropped
        var mixed = new ImageFolder(grey);
        Assert.Equal([3, 3, 1, 2], mixed.Data.Inputs.Shape.ToArray());
        Assert.Equal([0.2f, 0.4f, 0.2f, 0.4f, 0.2f, 0.4f], mixed.Get(1).Input.ToFloatArray()); // grey ga.png, three planes
        Assert.Equal([1f, 0f, 0f, 0.4f, 0.2f, 1f], mixed.Get(2).Input.ToFloatArray()); // R plane, G plane, B plane
    }

    [Fact]
    public void Mixed_sizes_are_refused_naming_both_files_unless_resized()
    {
        string root = TestPaths.TempDir();
        Put(root, "a/one.png", Rgb(0));
        Put(root, "b/two.png", Png.Encode(3, 2, new byte[18]));
        var e = Assert.Throws<InvalidFileException>(() => new ImageFolder(root));
        Assert.Equal($"{Path.Join(root, "b", "two.png")}: 3×2 pixels, but {Path.Join(root, "a", "one.png")} is 2×2: all images must share a size (or give a Resize)", e.Message);

        var resized = new ImageFolder(root, new Resize(4, 5));
        Assert.Equal([2, 3, 4, 5], resized.Data.Inputs.Shape.ToArray());
    }

    [Fact]
    public void Resize_is_bilinear_without_align_corners()
    {
        // [[0, 1], [2, 3]] → 4×4: source index s = (i + 0.5)/2 − 0.5 clamped at 0 → 0, 0.25, 0.75, 1.25 (→ the last
        // index), so columns mix as [0, 0.25, 0.75, 1] and rows as [row0, 0.75·row0 + 0.25·row1, 0.25·row0 + 0.75·row1, row1].
        var x = Tensor.FromArray(new float[] { 0, 1, 2, 3 }, new Shape(1, 1, 2, 2));
        var y = new Resize(4, 4).Apply(x, new Generator(0));
        Assert.Equal([0f, 0.25f, 0.75f, 1f, 0.5f, 0.75f, 1.25f, 1.5f, 1.5f, 1.75f, 2.25f, 2.5f, 2f, 2.25f, 2.75f, 3f], y.ToFloatArray());
        // Shrinking 4 → 2 reads s = 0.5 and 2.5: the mean of each pair (torchvision's antialias=False).
        var z = new Resize(1, 2).Apply(Tensor.FromArray(new float[] { 0, 4, 8, 12 }, new Shape(1, 1, 1, 4)), new Generator(0));
        Assert.Equal([2f, 10f], z.ToFloatArray());
    }

    [Fact]
    public void Empty_classes_non_png_contents_and_missing_folders_are_refused()
    {
        string root = TestPaths.TempDir();
        Put(root, "a/one.png", Rgb(0));
        Put(root, "b/readme.txt", [65]);
        var e = Assert.Throws<InvalidFileException>(() => new ImageFolder(root));
        Assert.Equal($"{Path.Join(root, "b")}: the class folder holds no .png file (an ImageFolder class needs at least one image)", e.Message);

        Put(root, "b/fake.png", "not a png at all, just text"u8.ToArray());
        e = Assert.Throws<InvalidFileException>(() => new ImageFolder(root));
        Assert.StartsWith($"{Path.Join(root, "b", "fake.png")}: not a PNG file", e.Message, StringComparison.Ordinal);

        string empty = TestPaths.TempDir();
        Assert.EndsWith("has no class subfolders (ImageFolder reads ROOT/CLASS/*.png)", Assert.Throws<InvalidFileException>(() => new ImageFolder(empty)).Message, StringComparison.Ordinal);
        Assert.EndsWith("no such folder", Assert.Throws<InvalidFileException>(() => new ImageFolder(Path.Join(empty, "nope"))).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_corrupt_png_is_refused_by_the_decoder_naming_the_file()
    {
        string root = TestPaths.TempDir();
        var bytes = Rgb(0);
        bytes[^20] ^= 0xFF; // inside IDAT: its CRC no longer matches
        Put(root, "a/bad.png", bytes);
        var e = Assert.Throws<InvalidFileException>(() => new ImageFolder(root));
        Assert.StartsWith($"{Path.Join(root, "a", "bad.png")}: byte ", e.Message, StringComparison.Ordinal);
        Assert.Contains("CRC mismatch", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_link_to_a_file_outside_the_folder_is_refused()
    {
        if (OperatingSystem.IsWindows())
        {
            return; // creating links needs rights Windows runners may lack
        }

        string root = TestPaths.TempDir(), outside = Path.Combine(TestPaths.TempDir(), "secret.png");
        File.WriteAllBytes(outside, Rgb(0));
        Put(root, "a/one.png", Rgb(0));
        File.CreateSymbolicLink(Path.Join(root, "a", "two.png"), outside);
        var e = Assert.Throws<InvalidFileException>(() => new ImageFolder(root));
        Assert.Equal($"{Path.Join(root, "a", "two.png")}: resolves outside the image folder {root} (by a link); ImageFolder reads only files inside it", e.Message);
    }

    [Fact]
    public void The_memory_cap_is_checked_before_the_images_are_decoded()
    {
        string root = TestPaths.TempDir();
        Put(root, "a/big.png", Png.Encode(64, 64, new byte[64 * 64 * 3])); // a few hundred bytes, 48 KiB as floats
        using var cap = ReadLimits.Cap(4096);
        var e = Assert.Throws<InvalidFileException>(() => new ImageFolder(root));
        Assert.Equal($"{root}: 12,288 elements of 4 bytes pass the memory cap of 4,096 bytes (NABLA_MAX_READ_BYTES)", e.Message);
    }

    [Fact]
    public void Cli_trains_one_epoch_on_train_and_test_folders_and_splits_a_plain_folder()
    {
        string dir = TestPaths.TempDir();
        for (int i = 0; i < 6; i++)
        {
            // Class "dark" near 0, class "light" near 255: separable by the mean.
            string split = i < 4 ? "train" : "test";
            Put(dir, $"{split}/dark/{i}.png", Png.Encode(8, 8, Enumerable.Repeat((byte)(10 + i), 192).ToArray()));
            Put(dir, $"{split}/light/{i}.png", Png.Encode(8, 8, Enumerable.Repeat((byte)(240 - i), 192).ToArray()));
        }

        string run = Path.Combine(dir, "run");
        var (rc, output, err) = Cli.CommandLineTests.Nabla("train", "--data", "images:" + dir, "--epochs", "1", "--batch-size", "4", "--threads", "1", "--out", run);
        Assert.True(rc == 0, err);
        Assert.Contains($"nabla train: cnn on images {dir} (2 classes, 3×8×8; 8 train, 4 test images: train/ and test/ folders)", output, StringComparison.Ordinal);
        using (var metrics = JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "metrics.json"))))
        {
            Assert.Equal("trained", metrics.RootElement.GetProperty("status").GetString());
        }

        // Without test/: DIR/train itself is the folder (classes dark, light), split 80/20 by the seed.
        var (rc2, output2, err2) = Cli.CommandLineTests.Nabla("train", "--data", "images:" + Path.Join(dir, "train"), "--model", "mlp", "--epochs", "1",
            "--threads", "1", "--out", Path.Combine(dir, "run2"));
        Assert.True(rc2 == 0, err2);
        Assert.Contains("(2 classes, 3×8×8; 7 train, 1 test images: no train/ and test/ folders: a random 80/20 split, seed 0)", output2, StringComparison.Ordinal);

        var (rc3, _, err3) = Cli.CommandLineTests.Nabla("train", "--data", "images:" + dir, "--model", "lenet5", "--out", Path.Combine(dir, "run3"));
        Assert.Equal(2, rc3);
        Assert.Contains("--model lenet5 needs 1×32×32 images; the images are 3×8×8", err3, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(dir, "run3")));
    }
}
