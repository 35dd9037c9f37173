using Nabla.Analysis;
using Nabla.Data;
using Nabla.Formats;
using Nabla.Models;
using Nabla.NN;

namespace Nabla.Training;

/// <summary>
/// The data sets of <see cref="TrainingSetup"/> (and so of <c>nabla train</c>) by name, prepared as training uses them:
/// the digits (synthetic, MNIST, Fashion-MNIST, CSV) padded to the model's input and normalised with MNIST's mean and
/// std, and PNG images in class folders normalised to [−1, 1], with the model built for their shape.
/// </summary>
public static class TrainingData
{
    /// <summary>The model <c>images:DIR</c> trains when none is named (it fits any image size of 4×4 or more).</summary>
    public const string DefaultImageModel = "cnn";

    /// <summary>MNIST's mean and standard deviation of the pixel values in [0, 1], the digits' normalisation.</summary>
    public const double MnistMean = 0.1307, MnistStd = 0.3081;

    /// <summary>
    /// The digits data <paramref name="data"/> names (<c>synthetic</c>, <c>mnist:DIR</c>, <c>fashion-mnist:DIR</c>,
    /// <c>csv:FILE</c>), the training set cut to <paramref name="trainSize"/> (synthetic: generated in those sizes, 8000
    /// and 2000 by default), padded to <paramref name="size"/>² and normalised with MNIST's mean and std.
    /// </summary>
    public static (TensorDataset Train, TensorDataset Test, string Description) LoadDigits(string data, int size, long seed, int? trainSize = null, int? testSize = null)
    {
        var (kind, arg) = data.IndexOf(':', StringComparison.Ordinal) is int i and > 0 ? (data[..i], data[(i + 1)..]) : (data, "");
        TensorDataset train, test;
        string description;
        switch (kind)
        {
            case "synthetic":
                int nTrain = trainSize ?? 8000, nTest = testSize ?? 2000;
                train = SyntheticDigits.Generate(nTrain, seed);
                test = SyntheticDigits.Generate(nTest, seed + 1_000_003);
                description = $"synthetic digits ({nTrain} train, {nTest} test images)";
                break;
            case "mnist" or "fashion-mnist" when arg.Length > 0:
                (train, test, description) = LoadIdx(kind, arg);
                break;
            case "csv" when arg.Length > 0:
                var all = Csv.Load(arg);
                double max = all.Inputs.Max().Item();
                if (all.Inputs.Shape[1] != 784)
                {
                    throw new InvalidDataException($"{arg}: the built-in models need 784 pixel columns (28×28) after the label, the file has {all.Inputs.Shape[1]}");
                }

                var x = (max > 1 ? all.Inputs * (1.0 / 255) : all.Inputs).Reshape(-1, 1, 28, 28);
                all = new TensorDataset(x, all.Targets);
                int cut = all.Count * 4 / 5;
                (train, test) = (all.Slice(0, cut), all.Slice(cut, all.Count - cut));
                description = $"{arg} ({train.Count} train, {test.Count} test rows: first 80% / last 20%)";
                break;
            default:
                throw new ArgumentException($"unknown data '{data}' (synthetic, mnist:DIR, fashion-mnist:DIR, csv:FILE; images:DIR through TrainingSetup)");
        }

        if (trainSize is int limit && kind != "synthetic" && limit < train.Count)
        {
            train = train.Slice(0, limit);
        }

        return (Prepare(train, size), Prepare(test, size), description);
    }

    /// <summary>
    /// MNIST's folder: the train/test files when both are there; only the test files: the 10,000 test digits split
    /// 8,000 / 2,000; no files at all: all four are downloaded into the folder (and checked).
    /// </summary>
    private static (TensorDataset, TensorDataset, string) LoadIdx(string kind, string dir)
    {
        var files = MNIST.Files(kind == "mnist" ? "MNIST" : "FashionMNIST");
        bool Has(DatasetFile f) => File.Exists(Path.Combine(dir, f.FileName)) || File.Exists(Path.Combine(dir, f.FileName[..^3]));
        bool hasTrain = Has(files[0]) && Has(files[1]), hasTest = Has(files[2]) && Has(files[3]);
        bool download = !hasTrain && !hasTest;
        MNIST Open(bool trainSplit) => kind == "mnist" ? new MNIST(dir, trainSplit, download) : new FashionMNIST(dir, trainSplit, download);
        var testSet = Open(false).Data;
        if (hasTrain || download)
        {
            var trainSet = Open(true).Data;
            return (trainSet, testSet, $"{kind} {dir} ({trainSet.Count} train, {testSet.Count} test images)");
        }

        int cut = testSet.Count * 4 / 5;
        return (testSet.Slice(0, cut), testSet.Slice(cut, testSet.Count - cut),
            $"{kind} {dir} (no training files: the first {cut} test images to train, the last {testSet.Count - cut} to test)");
    }

    /// <summary>Pads to the model's input size and normalises with MNIST's mean and std, once, before training.</summary>
    private static TensorDataset Prepare(TensorDataset d, int size)
    {
        var x = d.Inputs;
        int pad = (size - x.Shape[3]) / 2;
        if (pad > 0)
        {
            x = new Pad(pad).Apply(x, new Generator(0));
        }

        return new TensorDataset(new Normalize(MnistMean, MnistStd).Apply(x, new Generator(0)), d.Targets);
    }

    /// <summary>
    /// DIR/train and DIR/test when both are folders (torchvision's usual layout); else DIR itself, split by a
    /// permutation seeded with the seed: the last 20% (at least one image) to test. Normalised to [−1, 1] by
    /// (x − 0.5) / 0.5 per channel. Returns the class names too.
    /// </summary>
    public static (TensorDataset Train, TensorDataset Test, string Description, int Classes) LoadImages(string dir, long seed)
    {
        string trainDir = Path.Join(dir, "train"), testDir = Path.Join(dir, "test");
        TensorDataset train, test;
        IReadOnlyList<string> classes;
        string split;
        if (Directory.Exists(trainDir) && Directory.Exists(testDir))
        {
            var (a, b) = (new ImageFolder(trainDir), new ImageFolder(testDir));
            if (!a.Classes.SequenceEqual(b.Classes, StringComparer.Ordinal))
            {
                throw new InvalidDataException($"{testDir}: the classes ({string.Join(", ", b.Classes)}) differ from {trainDir}'s ({string.Join(", ", a.Classes)})");
            }

            if (!a.Data.Inputs.Shape.ToArray().AsSpan(1).SequenceEqual(b.Data.Inputs.Shape.ToArray().AsSpan(1)))
            {
                throw new InvalidDataException($"{testDir}: its images are {Describe(b.Data)}, {trainDir}'s {Describe(a.Data)}");
            }

            (train, test, classes, split) = (a.Data, b.Data, a.Classes, "train/ and test/ folders");
        }
        else
        {
            var all = new ImageFolder(dir);
            if (all.Count < 2)
            {
                throw new InvalidDataException($"{dir}: {all.Count} image; a train/test split needs at least 2 (or DIR/train and DIR/test folders)");
            }

            var order = Permutation(all.Count, new Generator(seed + 2));
            int nTest = Math.Max(1, all.Count / 5);
            (train, test) = (Gather(all.Data, order[..^nTest]), Gather(all.Data, order[^nTest..]));
            (classes, split) = (all.Classes, $"no train/ and test/ folders: a random 80/20 split, seed {seed}");
        }

        var normalize = new Normalize(0.5, 0.5);
        string description = $"images {dir} ({classes.Count} classes, {Describe(train)}; {train.Count} train, {test.Count} test images: {split})";
        return (new TensorDataset(normalize.Apply(train.Inputs, new Generator(0)), train.Targets),
            new TensorDataset(normalize.Apply(test.Inputs, new Generator(0)), test.Targets), description, classes.Count);
    }

    /// <summary>
    /// The model for images of <paramref name="shape"/> (C, H, W) in <paramref name="classes"/> classes: mlp and cnn
    /// built for them, lenet5 for 1×32×32 images only, a model file whose input is exactly C×H×W and whose output has
    /// at least one value per class.
    /// </summary>
    public static Module ImageModel(string name, Shape shape, int classes, long seed)
    {
        int c = shape[0], h = shape[1], w = shape[2];
        var g = new Generator(seed);
        switch (name)
        {
            case "mlp":
                return BuiltinModels.Mlp(shape, classes, g);
            case "cnn" when h >= 4 && w >= 4:
                return BuiltinModels.SmallCnn(shape, classes, g);
            case "lenet5" when (c, h, w) == (1, 32, 32):
                return BuiltinModels.LeNet5(g, classes);
            case "cnn" or "lenet5":
                throw new ArgumentException($"--model {name} needs {(name == "cnn" ? "images of at least 4×4" : "1×32×32 images")}; the images are {c}×{h}×{w}");
        }

        if (!File.Exists(name))
        {
            throw new ArgumentException($"'{name}' is neither a built-in model ({string.Join(", ", BuiltinModels.Names)}) nor a model file");
        }

        try
        {
            var def = ModelFile.Load(name);
            if (def.InputShape is not Shape s || s != shape)
            {
                throw new ArgumentException($"{name}: the images need 'input: [{c}, {h}, {w}]', the model file has {def.InputShape?.ToString() ?? "none"}");
            }

            var model = def.Build();
            using var _ = GradMode.NoGrad();
            var output = model.Eval().Forward(Tensor.Zeros(new Shape(1, c, h, w)));
            model.Train();
            if (output.Rank != 2 || output.Shape[1] < classes)
            {
                throw new ArgumentException($"{name}: the model's output {output.Shape} has not one score per class for {classes} classes");
            }

            return model;
        }
        catch (Exception e) when (e is InvalidFileException or ModelShapeException or NotSupportedException)
        {
            throw new ArgumentException(e.Message, e);
        }
    }

    private static string Describe(TensorDataset d) => string.Join("×", d.Inputs.Shape.ToArray()[1..]);

    private static int[] Permutation(int n, Generator g)
    {
        var p = Enumerable.Range(0, n).ToArray();
        for (int i = n - 1; i > 0; i--)
        {
            int j = (int)g.NextInt64(0, i + 1);
            (p[i], p[j]) = (p[j], p[i]);
        }

        return p;
    }

    private static TensorDataset Gather(TensorDataset d, int[] indices)
    {
        var b = d.GetBatch(indices);
        return new TensorDataset(b.Input, b.Target);
    }
}
