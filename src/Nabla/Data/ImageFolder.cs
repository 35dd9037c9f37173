using System.Buffers.Binary;
using Nabla.Formats;

namespace Nabla.Data;

/// <summary>
/// Labelled images from a folder with one subfolder per class (torchvision's <c>ImageFolder</c>):
/// <c>ROOT/cat/001.png</c>, <c>ROOT/dog/nested/002.png</c>. The classes are the subfolders' names sorted by ordinal
/// comparison (Python's <c>sorted</c>), class i is target i; within a class, files are taken in ordinal order of their
/// paths, subfolders included. All images are decoded once, into an (N, C, H, W) Float32 tensor with values in [0, 1].
/// </summary>
/// <remarks>
/// <para>Only files ending in <c>.png</c> (any case) are read, with the hardened PNG decoder; other files (<c>.jpg</c>,
/// <c>.txt</c>, <c>.DS_Store</c>) and files directly in ROOT are ignored, as torchvision ignores files without an image
/// extension. A class folder without a PNG file is refused, as torchvision does.</para>
/// <para>Channels: C = 1 when every image is grey (with or without alpha), else C = 3 and grey images give three equal
/// planes. Alpha is dropped without compositing, as PIL's <c>convert("RGB")</c> in torchvision's loader does.
/// Samples are stored value / (2^bitdepth − 1), so 8-bit pixels are p / 255, as <c>ToTensor</c> gives.</para>
/// <para>Without a <see cref="Resize"/> every image must have the same size; mixed sizes are refused naming two
/// files. Every file must resolve (links followed) inside ROOT (<see cref="ConfinedFolder"/>). Bounded before anything is
/// allocated: at most <see cref="MaxFiles"/> files, their total size and the N·C·H·W floats within
/// <see cref="ReadLimits.MaxBytes"/>. Errors are <see cref="InvalidFileException"/>s: <c>file: position: problem</c>.</para>
/// </remarks>
public sealed class ImageFolder : Dataset
{
    /// <summary>The most files one folder may hold.</summary>
    public const int MaxFiles = 1 << 24;

    private readonly List<Entry> entries = [];

    /// <summary>Reads every PNG under the class subfolders of <paramref name="root"/>.</summary>
    /// <param name="root">The folder whose subfolders are the classes.</param>
    /// <param name="resize">Resizes every image as it is read (then the images' sizes may differ); null: all must share a size.</param>
    public ImageFolder(string root, Resize? resize = null)
    {
        Root = root;
        if (!System.IO.Directory.Exists(root))
        {
            throw new InvalidFileException(root, null, "no such folder");
        }

        Classes = [.. System.IO.Directory.GetDirectories(root).Select(d => Path.GetFileName(d)!).Order(StringComparer.Ordinal)];
        if (Classes.Count == 0)
        {
            throw new InvalidFileException(root, null, "has no class subfolders (ImageFolder reads ROOT/CLASS/*.png)");
        }

        var folder = new ConfinedFolder(root);
        long bytes = 0;
        for (int c = 0; c < Classes.Count; c++)
        {
            bytes += List(folder, c);
        }

        ReadLimits.CheckBytes(bytes, 1, root, null);
        var first = entries[0];
        var colour = entries.FirstOrDefault(e => e.Colour);
        if (resize is null && entries.FirstOrDefault(e => (e.Width, e.Height) != (first.Width, first.Height)) is { } other)
        {
            throw new InvalidFileException(Shown(other), null,
                $"{other.Width}×{other.Height} pixels, but {Shown(first)} is {first.Width}×{first.Height}: all images must share a size (or give a Resize)");
        }

        int channels = colour is null ? 1 : 3, height = resize?.Height ?? first.Height, width = resize?.Width ?? first.Width;
        long count = ReadLimits.ElementCount([entries.Count, channels, height, width], sizeof(float), root, null);
        var pixels = new float[count];
        for (int i = 0; i < entries.Count; i++)
        {
            Decode(folder, entries[i], channels, resize).CopyTo(pixels, (long)i * channels * height * width);
        }

        Data = new TensorDataset(Tensor.FromArray(pixels, new Shape(entries.Count, channels, height, width)),
            Tensor.FromArray(entries.Select(e => (long)e.Target).ToArray()));
    }

    /// <summary>The folder as given.</summary>
    public string Root { get; }

    /// <summary>The class names, sorted; class i has target i (torchvision's <c>classes</c>).</summary>
    public IReadOnlyList<string> Classes { get; }

    /// <summary>Each sample's file (relative to <see cref="Root"/>) and target, in sample order (torchvision's <c>samples</c>).</summary>
    public IReadOnlyList<(string Path, int Target)> Samples => [.. entries.Select(e => (e.Path, e.Target))];

    /// <summary>All images (N, C, H, W) in [0, 1] and their targets (Int64).</summary>
    public TensorDataset Data { get; }

    /// <inheritdoc/>
    public override int Count => Data.Count;

    /// <inheritdoc/>
    public override Batch Get(int index) => Data.Get(index);

    /// <inheritdoc/>
    public override Batch GetBatch(IReadOnlyList<int> indices) => Data.GetBatch(indices);

    /// <summary>Adds class <paramref name="target"/>'s PNG files, their headers read; returns their total size in bytes.</summary>
    private long List(ConfinedFolder folder, int target)
    {
        string dir = Path.Join(Root, Classes[target]);
        var options = new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0, IgnoreInaccessible = false };
        var files = System.IO.Directory.EnumerateFiles(dir, "*", options)
            .Where(f => f.EndsWith(".png", StringComparison.OrdinalIgnoreCase))
            .Select(f => Path.GetRelativePath(Root, f))
            .Take(MaxFiles + 1 - entries.Count).Order(StringComparer.Ordinal).ToList();
        if (files.Count == 0)
        {
            throw new InvalidFileException(dir, null, "the class folder holds no .png file (an ImageFolder class needs at least one image)");
        }

        long bytes = 0;
        foreach (string rel in files)
        {
            if (entries.Count == MaxFiles)
            {
                throw new InvalidFileException(Root, null, $"more than {MaxFiles:N0} PNG files");
            }

            string real = Confined(() => folder.Resolve(rel), rel);
            long length = new FileInfo(real).Length;
            bytes += length;
            entries.Add(Header(rel, real, target));
        }

        return bytes;
    }

    /// <summary>Width, height and colour from the PNG's IHDR (bytes 16-25); the full decode checks the rest.</summary>
    private Entry Header(string rel, string real, int target)
    {
        var head = new byte[26];
        int read;
        using (var stream = new FileStream(real, FileMode.Open, FileAccess.Read, FileShare.Read, 1))
        {
            read = stream.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        }

        ReadOnlySpan<byte> signature = [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];
        if (read < head.Length || !head.AsSpan(0, 8).SequenceEqual(signature) || !head.AsSpan(12, 4).SequenceEqual("IHDR"u8))
        {
            throw new InvalidFileException(Path.Join(Root, rel), null, "not a PNG file (a PNG starts with the bytes 89 50 4E 47 0D 0A 1A 0A and an IHDR chunk)");
        }

        int width = BinaryPrimitives.ReadInt32BigEndian(head.AsSpan(16)), height = BinaryPrimitives.ReadInt32BigEndian(head.AsSpan(20));
        return new Entry(rel, target, width, height, Colour: head[25] is 2 or 3 or 6);
    }

    /// <summary>One image as C planes of floats, resized when asked.</summary>
    private float[] Decode(ConfinedFolder folder, Entry e, int channels, Resize? resize)
    {
        string shown = Shown(e);
        var image = Png.Decode(Confined(() => folder.ReadAllBytes(e.Path), e.Path), shown);
        if ((image.Width, image.Height) != (e.Width, e.Height))
        {
            throw new InvalidFileException(shown, null, "the file changed while the folder was read");
        }

        int n = image.Width * image.Height;
        double[] planes = channels == 3 ? image.RgbPlanes() : new double[n];
        for (int i = 0; channels == 1 && i < n; i++)
        {
            planes[i] = image.Samples[i * image.Channels]; // grey, alpha dropped
        }

        var floats = Array.ConvertAll(planes, v => (float)v);
        return resize is null ? floats
            : resize.Apply(Tensor.FromArray(floats, new Shape(1, channels, image.Height, image.Width)), new Generator(0)).ToFloatArray();
    }

    /// <summary>Runs a <see cref="ConfinedFolder"/> call, naming the file by its path under ROOT in its errors.</summary>
    private T Confined<T>(Func<T> read, string rel)
    {
        try
        {
            return read();
        }
        catch (InvalidFileException e) when (e.File == rel)
        {
            string problem = e.Problem.StartsWith("leaves", StringComparison.Ordinal)
                ? $"resolves outside the image folder {Root} (by a link); ImageFolder reads only files inside it" : e.Problem;
            throw new InvalidFileException(Path.Join(Root, rel), e.Position, problem, e);
        }
    }

    private string Shown(Entry e) => Path.Join(Root, e.Path);

    private sealed record Entry(string Path, int Target, int Width, int Height, bool Colour);
}
