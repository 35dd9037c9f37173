using System.Globalization;
using Nabla.Analysis;
using Nabla.Data;
using Nabla.Formats;
using Nabla.Models;
using Nabla.NN;
using Nabla.Optim;

namespace Nabla.Training;

/// <summary>A model with its data, as <see cref="TrainingSetup.CreateModelAndData"/> makes them.</summary>
/// <param name="Model">The model, initialised from the setup's seed.</param>
/// <param name="Train">The training set, padded and normalised.</param>
/// <param name="Test">The test set, prepared as the training set.</param>
/// <param name="Description">One line: what the data is and how it was split.</param>
public sealed record ModelAndData(Module Model, TensorDataset Train, TensorDataset Test, string Description);

/// <summary>Everything <see cref="TrainingSetup.Create"/> makes: what <c>nabla train</c> trains, ready to fit.</summary>
/// <param name="Model">The model.</param>
/// <param name="Train">The training set.</param>
/// <param name="Test">The test set.</param>
/// <param name="Description">The data's one-line description.</param>
/// <param name="TrainLoader">Shuffled batches of the training set (seeded from the setup's seed + 1).</param>
/// <param name="TestLoader">Batches of 500 of the test set, in order.</param>
/// <param name="Trainer">A trainer with the optimizer and the loss (no callbacks, no log).</param>
/// <param name="Epochs">The number of epochs to fit.</param>
public sealed record TrainingRun(Module Model, TensorDataset Train, TensorDataset Test, string Description, DataLoader TrainLoader,
    DataLoader TestLoader, Trainer Trainer, int Epochs);

/// <summary>
/// The choices of <c>nabla train</c> as a library API, by the same names: the model (a built-in name or a model file),
/// the data (<c>synthetic</c>, <c>mnist:DIR</c>, <c>fashion-mnist:DIR</c>, <c>csv:FILE</c>, <c>images:DIR</c>) with its
/// normalisation, the optimizer (a <see cref="OptimizerRegistry"/> spec, with train's defaults for SGD), the loss (a
/// <see cref="LossRegistry"/> spec), the seed and the sizes. The command builds its run from this, so a program that
/// sets the same values trains the same model on the same data with the same numbers (docs/training.md).
/// </summary>
public sealed record TrainingSetup
{
    /// <summary>The data kinds <see cref="Data"/> names before its colon.</summary>
    public static IReadOnlyList<string> DataKinds { get; } = ["synthetic", "mnist", "fashion-mnist", "csv", "images"];

    /// <summary>A built-in model (<see cref="BuiltinModels.Names"/>) or a model file; null: <c>cnn</c> for <c>images:DIR</c>, else <c>lenet5</c>.</summary>
    public string? Model { get; init; }

    /// <summary>The data: <c>synthetic</c> (the default), <c>mnist:DIR</c>, <c>fashion-mnist:DIR</c>, <c>csv:FILE</c> or <c>images:DIR</c>.</summary>
    public string Data { get; init; } = "synthetic";

    /// <summary>An optimizer name or spec (<c>sgd</c>, <c>adamw(weight_decay=0.1)</c>); SGD defaults to momentum 0.9 and lr 0.05 here.</summary>
    public string Optimizer { get; init; } = "sgd";

    /// <summary>The learning rate over the spec's (null: the spec's, else train's SGD default or PyTorch's default).</summary>
    public double? Lr { get; init; }

    /// <summary>A loss name or spec of <see cref="LossRegistry"/> of (output, target); the default is cross-entropy.</summary>
    public string Loss { get; init; } = "CrossEntropyLoss";

    /// <summary>The seed of the initialisation (the seed itself), the shuffling (seed + 1) and the generated data.</summary>
    public long Seed { get; init; }

    /// <summary>The epochs in all (null: 3 on synthetic data, 10 otherwise).</summary>
    public int? Epochs { get; init; }

    /// <summary>Synthetic: the training images (default 8000); other data: use the first N (null: all).</summary>
    public int? TrainSize { get; init; }

    /// <summary>Synthetic: the test images (default 2000); ignored otherwise.</summary>
    public int? TestSize { get; init; }

    /// <summary>The batch size.</summary>
    public int BatchSize { get; init; } = 64;

    /// <summary>The model's name: <see cref="Model"/>, or its default for the data.</summary>
    public string ModelName => Model ?? (DataKind == "images" ? TrainingData.DefaultImageModel : "lenet5");

    /// <summary>The data's kind: the part of <see cref="Data"/> before the colon.</summary>
    public string DataKind => Data.IndexOf(':', StringComparison.Ordinal) is int i and > 0 ? Data[..i] : Data;

    /// <summary>The number of epochs: <see cref="Epochs"/>, or 3 on synthetic data and 10 otherwise.</summary>
    public int EpochCount => Epochs ?? (DataKind == "synthetic" ? 3 : 10);

    /// <summary>
    /// Seeds the default generator with <see cref="Seed"/> (model files initialise from it), then makes the model, the
    /// data, the loaders, the optimizer, the loss and a trainer, as <c>nabla train</c> does.
    /// </summary>
    /// <exception cref="ArgumentException">A bad model, data, optimizer or loss choice.</exception>
    /// <exception cref="InvalidDataException">The data cannot be used (wrong sizes, too few images).</exception>
    /// <exception cref="IOException">A file cannot be read.</exception>
    public TrainingRun Create()
    {
        var loss = CreateLoss();
        Generator.Default.ManualSeed(Seed);
        var (model, train, test, description) = CreateModelAndData();
        var trainer = new Trainer(model, CreateOptimizer(model.Parameters()), loss);
        return new TrainingRun(model, train, test, description, TrainLoader(train), TestLoader(test), trainer, EpochCount);
    }

    /// <summary>
    /// The model and the data; for <c>images:DIR</c> the data first, since the model is built for the images' shape and
    /// classes. Built-in models initialise from <c>new Generator(Seed)</c>, model files from the default generator (seed it).
    /// </summary>
    public ModelAndData CreateModelAndData()
    {
        if (DataKind == "images")
        {
            var (train, test, description, classes) = TrainingData.LoadImages(Data["images:".Length..], Seed);
            train = TrainSize is int n && n < train.Count ? train.Slice(0, n) : train;
            return new(TrainingData.ImageModel(ModelName, new Shape(train.Inputs.Shape.ToArray()[1..]), classes, Seed), train, test, description);
        }

        var (model, inputSize) = CreateDigitsModel();
        var (tr, te, d) = TrainingData.LoadDigits(Data, inputSize, Seed, TrainSize, TestSize);
        return new(model, tr, te, d);
    }

    /// <summary>The optimizer from <see cref="Optimizer"/> over <paramref name="parameters"/>: SGD with momentum 0.9 and lr 0.05 unless the spec says otherwise, <see cref="Lr"/> over the spec's lr.</summary>
    /// <exception cref="ArgumentException">An unknown optimizer, a bad argument, or one that needs a closure (LBFGS).</exception>
    public Optim.Optimizer CreateOptimizer(IEnumerable<Tensor> parameters)
    {
        var (name, args) = RegistryArgs.ParseCall(Optimizer);
        var entry = OptimizerRegistry.Find(name);
        if (entry.NeedsClosure)
        {
            throw new ArgumentException($"{entry.Name} needs a closure that re-evaluates the loss, which the trainer does not give; choose another");
        }

        if (entry.Name == "SGD")
        {
            args.TryAdd("momentum", "0.9");
            args.TryAdd("lr", "0.05");
        }

        if (Lr is double x)
        {
            args["lr"] = x.ToString("R", CultureInfo.InvariantCulture);
        }

        return OptimizerRegistry.Create(name, parameters, args);
    }

    /// <summary>The loss of (output, target) from <see cref="Loss"/>.</summary>
    /// <exception cref="ArgumentException">An unknown loss, a bad option, or a loss of more than an output and a target.</exception>
    public Func<Tensor, Tensor, Tensor> CreateLoss()
    {
        var (name, args) = RegistryArgs.ParseCall(Loss);
        var entry = LossRegistry.Find(name);
        if (entry.Inputs.Count != 2)
        {
            throw new ArgumentException($"{entry.Name} takes {string.Join(", ", entry.Inputs)}; the trainer gives a loss the output and the target only");
        }

        var loss = LossRegistry.Create(name, args);
        return (output, target) => loss.Forward(output, target);
    }

    /// <summary>Shuffled batches of <paramref name="train"/>, the order seeded from <see cref="Seed"/> + 1.</summary>
    public DataLoader TrainLoader(TensorDataset train) => new(train, BatchSize, shuffle: true, generator: new Generator(Seed + 1));

    /// <summary>Batches of 500 of <paramref name="test"/>, in order.</summary>
    public static DataLoader TestLoader(TensorDataset test) => new(test, 500);

    /// <summary>A built-in model (initialised from the seed) or one built from a model file (from the default generator).</summary>
    private (Module Model, int InputSize) CreateDigitsModel()
    {
        string name = ModelName;
        if (BuiltinModels.Names.Contains(name))
        {
            return (BuiltinModels.Create(name, new Generator(Seed)), BuiltinModels.InputSize(name));
        }

        if (!File.Exists(name))
        {
            throw new ArgumentException($"'{name}' is neither a built-in model ({string.Join(", ", BuiltinModels.Names)}) nor a model file");
        }

        try
        {
            var def = ModelFile.Load(name);
            if (def.InputShape is not Shape s || s.Rank != 3 || s[0] != 1 || s[1] != s[2] || s[1] < 28)
            {
                throw new ArgumentException($"{name}: the digits datasets need 'input: [1, N, N]' with N >= 28 (28, or 32 to pad), got {def.InputShape?.ToString() ?? "none"}");
            }

            return (def.Build(), s[1]);
        }
        catch (Exception e) when (e is InvalidFileException or ModelShapeException or NotSupportedException)
        {
            throw new ArgumentException($"{e.Message}", e);
        }
    }
}
