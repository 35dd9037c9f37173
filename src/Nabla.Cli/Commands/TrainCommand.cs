using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using Nabla.Analysis;
using Nabla.Data;
using Nabla.NN;
using Nabla.Optim;
using Nabla.Serialization;
using Nabla.Training;

namespace Nabla.Cli.Commands;

/// <summary>
/// <c>nabla train</c>: trains a built-in model (LeNet-5 by default) on the built-in synthetic digits or on
/// MNIST / Fashion-MNIST / CSV data, printing the model summary, progress and the final test accuracy, and
/// writing a run folder (metrics CSV/JSON, loss and accuracy PNGs, the checkpoint, weights and summary).
/// </summary>
internal static class TrainCommand
{
    public const string Usage = """
        nabla train [options]   train a model; with no options, LeNet-5 on built-in synthetic digits (a few seconds)
          --model NAME|FILE     lenet5 (default), mlp, cnn, or a model file (.yaml, see nabla summary) for 1×H×W inputs
          --data SPEC           synthetic (default), mnist:DIR, fashion-mnist:DIR, csv:FILE (label first, 784 pixels)
          --epochs N            epochs in total (default 3 on synthetic, 10 otherwise)
          --batch-size N        default 64
          --optimizer NAME      sgd (default, momentum 0.9) or adam
          --lr X                default 0.05 for sgd, 0.001 for adam
          --seed S              initialisation, shuffling and data seed (default 0)
          --threads N           worker threads (default: all cores)
          --train-size N        synthetic: training images (default 8000); others: use the first N
          --test-size N         synthetic: test images (default 2000)
          --resume PATH         continue from a run folder or its checkpoint.safetensors
          --out DIR             run folder (default runs/MODEL-DATA-TIMESTAMP)
          --divergence-factor X stop, failed, when a batch loss exceeds X times the first batch's (default 1000; off)
          --detect-anomaly      check every op for NaN/Inf as it runs (slower; a failing batch is checked anyway)
          --json                one JSON object per epoch on stdout; the human output goes to stderr
        Exit status: 0 trained; 1 training failed (NaN, Inf or divergence: the last good checkpoint is kept) or a
        file could not be read or written; 2 bad arguments.
        """;

    private sealed class Options
    {
        public string Model = "lenet5", Data = "synthetic", Optimizer = "sgd";
        public int? Epochs, TrainSize, TestSize;
        public int BatchSize = 64, Threads = Environment.ProcessorCount;
        public double? Lr;
        public double DivergenceFactor = 1e3;
        public bool DetectAnomaly;
        public long Seed;
        public string? Resume, Out;
        public bool Json;
    }

    /// <summary>Runs <c>nabla train</c>: 0 trained, 1 training failed or a file error, 2 (thrown as ArgumentException) bad arguments.</summary>
    public static int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        var o = Parse(args);
        TextWriter human = o.Json ? stderr : stdout;
        int threads = Threads.Count;
        Threads.Count = o.Threads;
        try
        {
            return Train(o, human, stdout, stderr);
        }
        catch (Exception e) when (e is InvalidFileException or InvalidDataException or IOException or UnauthorizedAccessException)
        {
            stderr.WriteLine($"nabla train: {e.Message}");
            return 1;
        }
        finally
        {
            Threads.Count = threads;
        }
    }

    private static int Train(Options o, TextWriter human, TextWriter stdout, TextWriter stderr)
    {
        var total = Stopwatch.StartNew();
        string dataName = o.Data.Split(':')[0];
        int epochs = o.Epochs ?? (dataName == "synthetic" ? 3 : 10);
        string outDir = o.Out ?? (o.Resume is { } r ? (Directory.Exists(r) ? r : Path.GetDirectoryName(Path.GetFullPath(r))!)
            : Path.Combine("runs", $"{o.Model}-{dataName}-{DateTime.Now.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture)}"));
        Directory.CreateDirectory(outDir);

        Generator.Default.ManualSeed(o.Seed);
        var (model, inputSize) = CreateModel(o);
        var (train, test, description) = LoadData(o, inputSize);
        Optimizer optimizer = o.Optimizer switch
        {
            "sgd" => new SGD(model.Parameters(), lr: o.Lr ?? 0.05, momentum: 0.9),
            "adam" => new Adam(model.Parameters(), lr: o.Lr ?? 1e-3),
            _ => throw new ArgumentException($"train: unknown optimizer '{o.Optimizer}' (sgd, adam)"),
        };
        var trainLoader = new DataLoader(train, o.BatchSize, shuffle: true, generator: new Generator(o.Seed + 1));
        var testLoader = new DataLoader(test, 500);

        string summary = Summarize(model, new Shape(train.Inputs.Shape.ToArray()[1..]), Path.GetFileNameWithoutExtension(o.Model));
        AtomicFile.WriteText(Path.Combine(outDir, "summary.txt"), $"{model}\n\n{summary}");
        human.WriteLine($"nabla train: {o.Model} on {description}, {epochs} epochs, batch {o.BatchSize}, {Describe(optimizer)}, {Threads.Count} threads, seed {o.Seed}");
        human.WriteLine();
        human.Write(summary);
        human.WriteLine();

        string ckpt = Path.Combine(outDir, "checkpoint.safetensors");
        var trainer = new Trainer(model, optimizer)
        {
            Log = human, Progress = new ProgressBar(human), DivergenceFactor = o.DivergenceFactor, DetectAnomaly = o.DetectAnomaly,
        };
        trainer.Callbacks.Add(new CsvLogger(Path.Combine(outDir, "metrics.csv")));
        trainer.Callbacks.Add(new ModelCheckpoint(ckpt));
        if (o.Json)
        {
            trainer.Callbacks.Add(new LambdaCallback((t, epoch, logs) => stdout.WriteLine(new JsonObject
            {
                ["epoch"] = epoch, ["loss"] = JsonMetric.Value(logs["loss"]), ["test_acc"] = JsonMetric.Value(logs.GetValueOrDefault("val_accuracy", double.NaN)),
                ["elapsed_s"] = Math.Round(logs["elapsed_s"], 3),
            }.ToJsonString())));
        }

        if (o.Resume is { } resume)
        {
            string path = Directory.Exists(resume) ? Path.Combine(resume, "checkpoint.safetensors") : resume;
            trainer.LoadCheckpoint(path);
            human.WriteLine($"resumed from {path} after epoch {trainer.Epoch}");
        }

        trainer.Fit(trainLoader, epochs, testLoader);
        if (trainer.Failure is { } failure)
        {
            ReportFailure(o, outDir, trainer, failure);
            string kept = File.Exists(ckpt) ? $"{ckpt} (the last good one) is kept" : "no epoch completed, so no checkpoint was written";
            stderr.WriteLine($"nabla train: {failure.Message}. {kept}; metrics in {Path.Combine(outDir, "metrics.json")}");
            return 1;
        }

        Report(o, outDir, trainer, testLoader, human, total);
        return 0;
    }

    /// <summary>
    /// A failed run's files: the metrics (with the failure), never the weights, which may be NaN or diverged:
    /// model.safetensors and the checkpoint stay as the last good epoch left them.
    /// </summary>
    private static void ReportFailure(Options o, string outDir, Trainer trainer, TrainingFailure failure)
    {
        RunReport.WriteMetrics(outDir, trainer.History, new Dictionary<string, JsonNode?>
        {
            ["status"] = "failed", ["stop_reason"] = failure.Message, ["failure"] = failure.ToJson(),
            ["model"] = o.Model, ["data"] = o.Data, ["epochs"] = trainer.Epoch, ["batch_size"] = o.BatchSize,
            ["optimizer"] = o.Optimizer, ["lr"] = trainer.Optimizer.ParamGroups[0].InitialLr, ["seed"] = o.Seed,
            ["divergence_factor"] = JsonMetric.Value(o.DivergenceFactor), ["train_seconds"] = trainer.ElapsedSeconds,
        });
        RunReport.WritePlots(outDir, trainer.History);
    }

    /// <summary>Evaluates, writes the run folder's weights, metrics and plots, and prints the final lines.</summary>
    private static void Report(Options o, string outDir, Trainer trainer, DataLoader testLoader, TextWriter human, Stopwatch total)
    {
        var model = trainer.Model;
        var optimizer = trainer.Optimizer;
        var result = trainer.Evaluate(testLoader);
        if (NonFinite.First(model.StateDict().Select(kv => (kv.Key, kv.Value))) is { } bad)
        {
            throw new InvalidDataException($"{bad.Name} holds {bad.Value}: model.safetensors is not written"); // the trainer's rules stop before this
        }

        Safetensors.Save(Path.Combine(outDir, "model.safetensors"), model.StateDict(), new Dictionary<string, string> { ["format"] = "pt" });
        RunReport.WriteMetrics(outDir, trainer.History, new Dictionary<string, JsonNode?>
        {
            ["status"] = "trained", ["model"] = o.Model, ["data"] = o.Data, ["epochs"] = trainer.Epoch, ["batch_size"] = o.BatchSize,
            ["optimizer"] = o.Optimizer, ["lr"] = optimizer.ParamGroups[0].InitialLr, ["seed"] = o.Seed, ["threads"] = Threads.Count,
            ["test_loss"] = result.Loss, ["test_accuracy"] = result.Accuracy, [$"test_top{result.K}_accuracy"] = result.TopKAccuracy,
            ["train_seconds"] = trainer.ElapsedSeconds,
        });
        var plots = RunReport.WritePlots(outDir, trainer.History);

        human.WriteLine();
        human.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"test accuracy {result.Accuracy * 100:F2}% ({result.Samples} images), top-{result.K} {result.TopKAccuracy * 100:F2}%, test loss {result.Loss:F4}"));
        if (result.Confusion is { } cm)
        {
            human.WriteLine("confusion matrix (rows: true digit, columns: predicted):");
            human.WriteLine(cm.ToString());
        }

        double perEpoch = trainer.History.Epochs.Count == 0 ? 0 : trainer.History["time_s"].Average();
        human.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{perEpoch:F2} s per epoch on average; {total.Elapsed.TotalSeconds:F1} s in all"));
        human.WriteLine($"run folder {outDir}: summary.txt, metrics.csv, metrics.json, "
            + string.Concat(plots.Select(p => Path.GetFileName(p) + ", ")) + "checkpoint.safetensors, model.safetensors");
    }

    private static string Describe(Optimizer opt) => string.Create(CultureInfo.InvariantCulture,
        $"{opt.GetType().Name} lr {opt.ParamGroups[0].Lr}") + (opt is SGD ? string.Create(CultureInfo.InvariantCulture, $" momentum {opt.ParamGroups[0]["momentum"]}") : "");

    /// <summary>A built-in model (initialised from the seed) or one built from a model file (initialised from the default generator, seeded).</summary>
    private static (Module Model, int InputSize) CreateModel(Options o)
    {
        if (BuiltinModels.Names.Contains(o.Model))
        {
            return (BuiltinModels.Create(o.Model, new Generator(o.Seed)), BuiltinModels.InputSize(o.Model));
        }

        if (!File.Exists(o.Model))
        {
            throw new ArgumentException($"train: '{o.Model}' is neither a built-in model ({string.Join(", ", BuiltinModels.Names)}) nor a model file");
        }

        try
        {
            var def = ModelFile.Load(o.Model);
            if (def.InputShape is not Shape s || s.Rank != 3 || s[0] != 1 || s[1] != s[2] || s[1] < 28)
            {
                throw new ArgumentException($"train: {o.Model}: the digits datasets need 'input: [1, N, N]' with N >= 28 (28, or 32 to pad), got {def.InputShape?.ToString() ?? "none"}");
            }

            return (def.Build(), s[1]);
        }
        catch (Exception e) when (e is InvalidFileException or ModelShapeException or NotSupportedException)
        {
            throw new ArgumentException($"train: {e.Message}", e);
        }
    }

    /// <summary>The analysis library's summary table, or a simple per-layer table if it cannot analyse the model.</summary>
    private static string Summarize(Module model, Shape perSample, string name)
    {
        try
        {
            using var w = new StringWriter(CultureInfo.InvariantCulture);
            SummaryRenderer.ToText(ModelSummary.Of(model, perSample, name), w);
            return w.ToString();
        }
        catch (Exception e) when (e is ModelShapeException or NotSupportedException or ArgumentException)
        {
            return RunReport.Summary(model, new Shape([1, .. perSample.ToArray()]));
        }
    }

    private static (TensorDataset Train, TensorDataset Test, string Description) LoadData(Options o, int size)
    {
        var (kind, arg) = o.Data.IndexOf(':', StringComparison.Ordinal) is int i and > 0 ? (o.Data[..i], o.Data[(i + 1)..]) : (o.Data, "");
        TensorDataset train, test;
        string description;
        switch (kind)
        {
            case "synthetic":
                int nTrain = o.TrainSize ?? 8000, nTest = o.TestSize ?? 2000;
                train = SyntheticDigits.Generate(nTrain, o.Seed);
                test = SyntheticDigits.Generate(nTest, o.Seed + 1_000_003);
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
                throw new ArgumentException($"train: unknown --data '{o.Data}' (synthetic, mnist:DIR, fashion-mnist:DIR, csv:FILE)");
        }

        if (o.TrainSize is int limit && kind != "synthetic" && limit < train.Count)
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

        return new TensorDataset(new Normalize(0.1307, 0.3081).Apply(x, new Generator(0)), d.Targets);
    }

    /// <summary>A divergence factor: a number above 1, or <c>off</c>.</summary>
    private static double Factor(string s) =>
        s == "off" ? double.PositiveInfinity
        : double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out double f) && f > 1 && double.IsFinite(f) ? f
        : throw new ArgumentException($"train: --divergence-factor needs a number above 1 or 'off', got '{s}'");

    private static Options Parse(string[] args)
    {
        var o = new Options();
        for (int i = 0; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"train: {args[i]} needs a value");
            int Int() => int.Parse(Next(), CultureInfo.InvariantCulture);
            switch (args[i])
            {
                case "--model": o.Model = Next(); break;
                case "--data": o.Data = Next(); break;
                case "--epochs": o.Epochs = Int(); break;
                case "--batch-size": o.BatchSize = Int(); break;
                case "--optimizer": o.Optimizer = Next().ToLowerInvariant(); break;
                case "--lr": o.Lr = double.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--seed": o.Seed = long.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--threads": o.Threads = Int(); break;
                case "--train-size": o.TrainSize = Int(); break;
                case "--test-size": o.TestSize = Int(); break;
                case "--resume": o.Resume = Next(); break;
                case "--out": o.Out = Next(); break;
                case "--json": o.Json = true; break;
                case "--detect-anomaly": o.DetectAnomaly = true; break;
                case "--divergence-factor": o.DivergenceFactor = Factor(Next()); break;
                default: throw new ArgumentException($"train: unknown option '{args[i]}'\n{Usage}");
            }
        }

        return o;
    }
}
