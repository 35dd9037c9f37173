using Nabla.Analysis;
using Nabla.Data;
using Nabla.Formats;
using Nabla.Models;
using Nabla.NN;
using Nabla.Training;

namespace Nabla.Cli.Commands;

/// <summary>
/// <c>nabla train --data images:DIR</c>: PNG images in class subfolders (<see cref="ImageFolder"/>), and a model built
/// for their shape and class count.
/// </summary>
internal static class TrainImages
{
    /// <summary>The model <c>--data images:DIR</c> trains when no --model is given (it fits any image size of 4×4 or more).</summary>
    public const string DefaultModel = "cnn";

    /// <summary>
    /// DIR/train and DIR/test when both are folders (torchvision's usual layout); else DIR itself, split by a
    /// permutation seeded with --seed: the last 20% (at least one image) to test. Normalised to [−1, 1] by
    /// (x − 0.5) / 0.5 per channel. Returns the class names too.
    /// </summary>
    public static (TensorDataset Train, TensorDataset Test, string Description, int Classes) Load(string dir, long seed)
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
    public static Module Model(string name, Shape shape, int classes, long seed)
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
