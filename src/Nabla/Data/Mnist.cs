using System.Security.Cryptography;
using Nabla.Formats;

namespace Nabla.Data;

/// <summary>One file of a downloadable dataset: its name and published MD5.</summary>
/// <param name="FileName">The file name (for example <c>t10k-images-idx3-ubyte.gz</c>).</param>
/// <param name="Md5">The lower-case hexadecimal MD5 of the published file.</param>
public sealed record DatasetFile(string FileName, string Md5);

/// <summary>
/// The MNIST handwritten digits (LeCun, Cortes and Burges), read from the four IDX files in a folder, which is
/// also the download cache (torchvision's <c>datasets.MNIST</c>).
/// </summary>
/// <remarks>
/// Images are Float32 in [0, 1] of shape <c>(N, 1, 28, 28)</c>, labels Int64. Files present in the folder are used
/// after their MD5 is checked against the published value (a mismatch is an error, not a silent re-download).
/// Missing files are downloaded when <c>download</c> is true, from each mirror in turn, into a temporary file that
/// is checked and then renamed, so an interrupted download never leaves a partial file under the real name.
/// </remarks>
public class MNIST : Dataset
{
    private readonly TensorDataset data;

    /// <summary>Loads the training (60,000) or test (10,000) split from <paramref name="root"/>.</summary>
    /// <param name="root">The folder holding (or to receive) the files.</param>
    /// <param name="train">The training split; false for the test split.</param>
    /// <param name="download">Download missing files.</param>
    /// <param name="mirrors">Base URLs to try, in order (default <see cref="DefaultMirrors"/>).</param>
    /// <param name="httpClient">The client used to download (default: a new one with a 60-second timeout).</param>
    public MNIST(string root, bool train = true, bool download = false, IReadOnlyList<string>? mirrors = null, HttpClient? httpClient = null)
        : this(root, train, download, mirrors, httpClient, "MNIST")
    {
    }

    /// <summary>For subclasses with other files (<see cref="FashionMNIST"/>).</summary>
    protected MNIST(string root, bool train, bool download, IReadOnlyList<string>? mirrors, HttpClient? httpClient, string name)
    {
        Root = root;
        Train = train;
        var files = Files(name);
        var (images, labels) = train ? (files[0], files[1]) : (files[2], files[3]);
        var urls = mirrors ?? DefaultMirrors(name);
        string imagesPath = Ensure(root, images, download, urls, httpClient, name);
        string labelsPath = Ensure(root, labels, download, urls, httpClient, name);
        var x = Idx.Read(imagesPath);
        var y = Idx.Read(labelsPath);
        if (x.Dims.Length != 3 || y.Dims.Length != 1 || x.Dims[0] != y.Dims[0])
        {
            throw new InvalidFileException(imagesPath, "IDX header",
                $"expected images [N, H, W] matching labels [N] in {labelsPath}, got [{string.Join(", ", x.Dims)}] and [{string.Join(", ", y.Dims)}]");
        }

        // The images become Float32 (4 bytes per pixel) and the labels Int64 (8 bytes): bound those too.
        ReadLimits.CheckBytes(x.Data.Length, sizeof(float), imagesPath, "IDX header");
        ReadLimits.CheckBytes(y.Data.Length, sizeof(long), labelsPath, "IDX header");
        data = new TensorDataset(x.ToFloat32(1.0 / 255).Reshape(x.Dims[0], 1, x.Dims[1], x.Dims[2]), y.ToInt64());
    }

    /// <summary>The folder of the files.</summary>
    public string Root { get; }

    /// <summary>Whether this is the training split.</summary>
    public bool Train { get; }

    /// <summary>The images and labels as tensors.</summary>
    public TensorDataset Data => data;

    /// <inheritdoc/>
    public override int Count => data.Count;

    /// <inheritdoc/>
    public override Batch Get(int index) => data.Get(index);

    /// <inheritdoc/>
    public override Batch GetBatch(IReadOnlyList<int> indices) => data.GetBatch(indices);

    /// <summary>The four files (train images, train labels, test images, test labels) with their published MD5s.</summary>
    public static IReadOnlyList<DatasetFile> Files(string name = "MNIST") => name == "FashionMNIST"
        ?
        [
            new("train-images-idx3-ubyte.gz", "8d4fb7e6c68d591d4c3dfef9ec88bf0d"),
            new("train-labels-idx1-ubyte.gz", "25c81989df183df01b3e8a0aad5dffbe"),
            new("t10k-images-idx3-ubyte.gz", "bef4ecab320f06d8554ea6380940ec79"),
            new("t10k-labels-idx1-ubyte.gz", "bb300cfdad3c16e7a12a480ee83cd310"),
        ]
        :
        [
            new("train-images-idx3-ubyte.gz", "f68b3c2dcbeaaa9fbdd348bbdeb94873"),
            new("train-labels-idx1-ubyte.gz", "d53e105ee54ea40749a09fcbcd1e9432"),
            new("t10k-images-idx3-ubyte.gz", "9fb629c4189551a2d022fa330f9573f3"),
            new("t10k-labels-idx1-ubyte.gz", "ec29112dd5afa0611ce80d1b7f02629c"),
        ];

    /// <summary>The mirrors torchvision uses for <paramref name="name"/>.</summary>
    public static IReadOnlyList<string> DefaultMirrors(string name = "MNIST") => name == "FashionMNIST"
        ? ["http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"]
        : ["https://ossci-datasets.s3.amazonaws.com/mnist/", "http://yann.lecun.com/exdb/mnist/"];

    /// <summary>The MD5 of a file as lower-case hexadecimal.</summary>
    public static string Md5Of(string path)
    {
        using var s = File.OpenRead(path);
#pragma warning disable CA5351 // MD5 is what the dataset authors publish; it checks integrity, not authenticity.
        return Convert.ToHexStringLower(MD5.HashData(s));
#pragma warning restore CA5351
    }

    /// <summary>Returns the path of a verified file, downloading it first if it is missing and allowed.</summary>
    private static string Ensure(string root, DatasetFile file, bool download, IReadOnlyList<string> mirrors, HttpClient? client, string name)
    {
        string path = Path.Combine(root, file.FileName);
        if (!File.Exists(path))
        {
            // Also accept the decompressed file (no checksum is published for it).
            string plain = path.EndsWith(".gz", StringComparison.Ordinal) ? path[..^3] : path;
            if (File.Exists(plain))
            {
                return plain;
            }

            if (!download)
            {
                throw new FileNotFoundException($"{name}: {path} is missing; pass download: true to fetch it, or copy the file there", path);
            }

            Download(root, file, mirrors, client, name);
        }

        string md5 = Md5Of(path);
        if (md5 != file.Md5)
        {
            throw new InvalidFileException(path, null,
                $"checksum mismatch: MD5 is {md5}, the published {name} file has {file.Md5} (corrupt or a different file; delete it to download again)");
        }

        return path;
    }

    private static void Download(string root, DatasetFile file, IReadOnlyList<string> mirrors, HttpClient? client, string name)
    {
        Directory.CreateDirectory(root);
        string path = Path.Combine(root, file.FileName);
        string tmp = path + $".download-{Environment.ProcessId}";
        var errors = new List<string>();
        using var own = client is null ? new HttpClient { Timeout = TimeSpan.FromSeconds(60) } : null;
        var http = client ?? own!;
        foreach (var mirror in mirrors)
        {
            string url = mirror.TrimEnd('/') + "/" + file.FileName;
            try
            {
                using (var response = http.GetAsync(url, HttpCompletionOption.ResponseHeadersRead).GetAwaiter().GetResult())
                {
                    response.EnsureSuccessStatusCode();
                    using var body = response.Content.ReadAsStream();
                    using var fs = File.Create(tmp);
                    body.CopyTo(fs);
                    fs.Flush(true);
                }

                string md5 = Md5Of(tmp);
                if (md5 != file.Md5)
                {
                    errors.Add($"{url}: MD5 {md5} != {file.Md5}");
                    continue;
                }

                File.Move(tmp, path, overwrite: true);
                return;
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException or IOException)
            {
                errors.Add($"{url}: {e.Message}");
            }
            finally
            {
                if (File.Exists(tmp))
                {
                    File.Delete(tmp);
                }
            }
        }

        throw new IOException(
            $"{name}: {path} is missing and could not be downloaded ({string.Join("; ", errors)}). " +
            $"Without network access, copy {file.FileName} into {root} by hand.");
    }
}

/// <summary>
/// Fashion-MNIST (Xiao, Rasul and Vollgraf): 28×28 grey images of ten kinds of clothing, in MNIST's format and
/// layout, loaded and downloaded as <see cref="MNIST"/> is.
/// </summary>
public sealed class FashionMNIST : MNIST
{
    /// <summary>The class names, by label.</summary>
    public static IReadOnlyList<string> Classes { get; } =
        ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"];

    /// <inheritdoc cref="MNIST(string, bool, bool, IReadOnlyList{string}?, HttpClient?)"/>
    public FashionMNIST(string root, bool train = true, bool download = false, IReadOnlyList<string>? mirrors = null, HttpClient? httpClient = null)
        : base(root, train, download, mirrors, httpClient, "FashionMNIST")
    {
    }
}
