using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using Nabla.Analysis;
using Nabla.Data;
using Nabla.Formats;
using Nabla.Models;
using Nabla.NN;
using Nabla.Optim;
using Nabla.Training;

namespace Nabla.Cli.Commands;

/// <summary>
/// <c>nabla train</c>: trains a built-in model (LeNet-5 by default) on the built-in synthetic digits or on
/// MNIST / Fashion-MNIST / CSV data, printing the model summary, progress and the final test accuracy, and
/// writing a run folder (metrics CSV/JSON, loss and accuracy PNGs, the checkpoint, weights and summary).
/// </summary>
internal static class TrainCommand
{
    public const string Examples = """
        Examples:
          nabla train                                   (LeNet-5 on built-in synthetic digits, a few seconds)
          nabla train --epochs 5 --optimizer adam --lr 0.001 --out runs/adam
          nabla train --model mlp --data mnist:data/mnist --batch-size=128 --json > epochs.jsonl
          nabla train --model examples/models/lenet5.yaml --data csv:digits.csv
          nabla train --data images:photos --epochs 5  (PNGs in photos/CLASS/ or photos/train/CLASS/ and photos/test/CLASS/)
          nabla train --resume runs/adam --epochs 10    (continue to 10 epochs in all)
          nabla train --model gpt-tiny --out runs/gpt   (a character-level GPT on the built-in text; then nabla generate runs/gpt)
          nabla train --model gpt-tiny --data text:book.txt --epochs 3 --train-size 100
          mpirun -np 2 nabla train --distributed        (data-parallel on 2 processes; --batch-size is the global batch)

        Exit status: 0 trained; 1 training failed (NaN, Inf or divergence: the last good checkpoint is kept) or a
        file could not be read or written; 2 a bad argument. A run that fails before training starts leaves no folder.
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
        public bool Json, Distributed;
    }

    /// <summary>Runs <c>nabla train</c> with <paramref name="args"/> (the words after <c>train</c>): 0 trained, 1 training failed or a file error, 2 bad arguments.</summary>
    public static int Run(string[] args, TextWriter stdout, TextWriter stderr) => NablaCommandLine.Invoke(["train", .. args], stdout, stderr);

    /// <summary>The <c>train</c> command: its options (each checked as it is parsed) and the action that runs <see cref="Run(Options, TextWriter, TextWriter)"/>.</summary>
    internal static Command Create()
    {
        var model = CliOptions.Text("--model", "NAME|FILE", $"{string.Join(", ", BuiltinModels.Names)}, {GptTraining.ModelName} (a character-level GPT, trained on text), or a model file (.yaml, see nabla summary) for 1xHxW inputs (default lenet5)");
        model.CompletionSources.Add([.. BuiltinModels.Names, GptTraining.ModelName]);
        var data = new Option<string>("--data")
        {
            HelpName = "SPEC", Description = "synthetic, mnist:DIR, fashion-mnist:DIR, csv:FILE (label first, 784 pixels), images:DIR (PNGs in DIR/CLASS/, or DIR/train/CLASS/ and DIR/test/CLASS/; default model cnn); for gpt-tiny text:FILE (default: the built-in text)",
            DefaultValueFactory = _ => "synthetic", CustomParser = DataSpec,
        };
        data.CompletionSources.Add("synthetic", "mnist:", "fashion-mnist:", "csv:", "images:", "text:");
        var epochs = CliOptions.Int("--epochs", "N", "epochs in total (default 3 on synthetic, 10 otherwise)");
        var batch = CliOptions.Int("--batch-size", "N", "default 64");
        var optimizer = OptimizerOption();
        var lr = CliOptions.Positive("--lr", "X", "learning rate (default 0.05 for sgd, else PyTorch's default for the optimizer)");
        var seed = CliOptions.Long("--seed", "S", "initialisation, shuffling and data seed (default 0)");
        var threads = CliOptions.Int("--threads", "N", "worker threads (default: all cores)");
        var trainSize = CliOptions.Int("--train-size", "N", "synthetic: training images (default 8000); others: use the first N");
        var testSize = CliOptions.Int("--test-size", "N", "synthetic: test images (default 2000)");
        var resume = CliOptions.Text("--resume", "PATH", "continue from a run folder or its checkpoint.safetensors");
        var outDir = CliOptions.Text("--out", "DIR", "run folder (default runs/MODEL-DATA-TIMESTAMP)");
        var divergence = new Option<double?>("--divergence-factor")
        {
            HelpName = "X|off", Description = "stop, failed, when a batch loss exceeds X times the first batch's (default 1000)",
            CustomParser = r => Factor(r),
        };
        var anomaly = CliOptions.Flag("--detect-anomaly", "check every op for NaN/Inf as it runs (slower; a failing batch is checked anyway)");
        var json = CliOptions.Flag("--json", "one JSON object per epoch on stdout; the human output goes to stderr");
        var distributed = CliOptions.Flag("--distributed", "data-parallel training on the processes of mpirun -np N (docs/distributed.md)");
        var command = new Command("train", "Train a model; with no options, LeNet-5 on built-in synthetic digits (a few seconds).")
        {
            model, data, epochs, batch, optimizer, lr, seed, threads, trainSize, testSize, resume, outDir, divergence, anomaly, json, distributed,
        };
        command.SetAction(r => Run(
            new Options
            {
                Model = r.GetValue(model) ?? (r.GetValue(data)!.StartsWith("images:", StringComparison.Ordinal) ? TrainImages.DefaultModel : "lenet5"), Data = r.GetValue(data)!, Optimizer = r.GetValue(optimizer)!,
                Epochs = r.GetValue(epochs), TrainSize = r.GetValue(trainSize), TestSize = r.GetValue(testSize),
                BatchSize = r.GetValue(batch) ?? 64, Threads = r.GetValue(threads) ?? TrainDistributed.DefaultThreads(), Lr = r.GetValue(lr),
                DivergenceFactor = r.GetValue(divergence) ?? 1e3, DetectAnomaly = r.GetValue(anomaly), Seed = r.GetValue(seed) ?? 0,
                Resume = r.GetValue(resume), Out = r.GetValue(outDir), Json = r.GetValue(json), Distributed = r.GetValue(distributed),
            },
            r.InvocationConfiguration.Output, r.InvocationConfiguration.Error));
        return command;
    }

    private static int Run(Options o, TextWriter stdout, TextWriter stderr)
    {
        if (o.Distributed && TrainDistributed.Start(o.BatchSize, stderr) is int code)
        {
            return code;
        }

        bool main = !o.Distributed || Distributed.IsMainProcess; // rank 0 alone prints and writes the run folder
        (stdout, stderr) = main ? (stdout, stderr) : (TextWriter.Null, stderr);
        TextWriter human = !main ? TextWriter.Null : o.Json ? stderr : stdout;
        int threads = Threads.Count;
        Threads.Count = o.Threads;
        string outDir = OutDir(o);
        bool existed = Directory.Exists(outDir);
        try
        {
            int result = Train(o, outDir, human, stdout, stderr);
            if (o.Distributed)
            {
                Distributed.Finalize();
            }

            return result;
        }
        catch (Exception e) when (e is InvalidFileException or InvalidDataException or IOException or UnauthorizedAccessException)
        {
            stderr.WriteLine($"nabla train: {e.Message}");
            return 1;
        }
        finally
        {
            Threads.Count = threads;
            RemoveIfEmpty(outDir, existed);
        }
    }

    /// <summary>The run folder: --out, else the resumed run's folder, else runs/MODEL-DATA-TIMESTAMP.</summary>
    private static string OutDir(Options o) =>
        o.Out ?? (o.Resume is { } r ? (Directory.Exists(r) ? r : Path.GetDirectoryName(Path.GetFullPath(r))!)
            : Path.Combine("runs", $"{Path.GetFileNameWithoutExtension(o.Model)}-{o.Data.Split(':')[0]}-{DateTime.Now.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture)}"));

    /// <summary>
    /// A run that failed before it wrote anything (a bad model, data or checkpoint) leaves no empty folder behind; one
    /// the user made beforehand, or one with files in it, stays.
    /// </summary>
    private static void RemoveIfEmpty(string dir, bool existed)
    {
        try
        {
            if (!existed && Directory.Exists(dir) && !Directory.EnumerateFileSystemEntries(dir).Any())
            {
                Directory.Delete(dir);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Best effort: the run's own error (if any) is the message that matters.
        }
    }

    private static int Train(Options o, string outDir, TextWriter human, TextWriter stdout, TextWriter stderr)
    {
        if (o.Model == GptTraining.ModelName)
        {
            return TrainGpt(o, outDir, human, stderr);
        }

        var total = Stopwatch.StartNew();
        int epochs = o.Epochs ?? (o.Data.Split(':')[0] == "synthetic" ? 3 : 10);

        Generator.Default.ManualSeed(o.Seed);
        var (model, train, test, description) = ModelAndData(o);
        model = o.Distributed ? SyncBatchNorm.ConvertSyncBatchNorm(model) : model;
        bool main = !o.Distributed || Distributed.IsMainProcess;
        var optimizer = CreateOptimizer(o.Optimizer, model.Parameters(), o.Lr);
        var trainLoader = o.Distributed ? TrainDistributed.Loader(train, o.BatchSize, new Generator(o.Seed + 1))
            : new DataLoader(train, o.BatchSize, shuffle: true, generator: new Generator(o.Seed + 1));
        var testLoader = new DataLoader(test, 500);
        string ckpt = Path.Combine(outDir, "checkpoint.safetensors");
        var trainer = NewTrainer(o, model, optimizer, main ? ckpt : null, outDir, human, stdout);
        string? resumed = Resume(o, trainer);
        using var ddp = o.Distributed ? TrainDistributed.Wrap(model, trainer) : null;

        // Everything that can be wrong with the arguments, the data or the checkpoint has been found by now: the run starts.
        string summary = Summarize(model, new Shape(train.Inputs.Shape.ToArray()[1..]), Path.GetFileNameWithoutExtension(o.Model));
        if (main)
        {
            Directory.CreateDirectory(outDir);
            AtomicFile.WriteText(Path.Combine(outDir, "summary.txt"), $"{model}\n\n{summary}");
        }

        string processes = o.Distributed ? TrainDistributed.Describe(o.BatchSize) : $", {Threads.Count} threads";
        human.WriteLine($"nabla train: {o.Model} on {description}, {epochs} epochs, batch {o.BatchSize}, {Describe(optimizer)}{processes}, seed {o.Seed}");
        human.WriteLine();
        human.Write(summary);
        human.WriteLine();
        if (resumed is not null)
        {
            human.WriteLine($"resumed from {resumed} after epoch {trainer.Epoch}");
        }

        trainer.Fit(trainLoader, epochs, main ? testLoader : null);
        if (!main)
        {
            return trainer.Failure is null ? 0 : 1;
        }

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

    // gpt-tiny: --train-size = steps per epoch, --test-size = validation batches; AdamW whatever --optimizer says.
    private static int TrainGpt(Options o, string outDir, TextWriter human, TextWriter stderr)
    {
        if (o.Resume is not null || o.Json || o.DetectAnomaly)
        {
            throw new ArgumentException($"{GptTraining.ModelName} does not take --resume, --json or --detect-anomaly");
        }

        return GptTraining.Run(new(o.Data, o.Epochs ?? 5, o.TrainSize ?? 200, o.TestSize ?? 20, o.BatchSize, o.Lr ?? 2e-3, o.Seed, outDir), human, stderr);
    }

    /// <summary>Loads the --resume checkpoint (every rank of a distributed run reads rank 0's); returns its path, or null.</summary>
    private static string? Resume(Options o, Trainer trainer)
    {
        if (o.Resume is not { } resume)
        {
            return null;
        }

        string path = Directory.Exists(resume) ? Path.Combine(resume, "checkpoint.safetensors") : resume;
        trainer.LoadCheckpoint(path);

        // The checkpoint restores the optimizer's learning rate; an --lr given with --resume is the user's newer word.
        if (o.Lr is double lr)
        {
            foreach (var group in trainer.Optimizer.ParamGroups)
            {
                group.Lr = lr;
            }
        }

        return path;
    }

    /// <summary>The trainer with the run folder's callbacks: metrics CSV, checkpoint, and the --json lines.</summary>
    /// <remarks>Without <paramref name="ckpt"/> (a distributed run's ranks but 0) the trainer writes nothing.</remarks>
    private static Trainer NewTrainer(Options o, Module model, Optimizer optimizer, string? ckpt, string outDir, TextWriter human, TextWriter stdout)
    {
        var trainer = new Trainer(model, optimizer)
        {
            Log = human, Progress = new ProgressBar(human), DivergenceFactor = o.DivergenceFactor, DetectAnomaly = o.DetectAnomaly,
        };
        if (ckpt is null)
        {
            return trainer;
        }

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

        return trainer;
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

    /// <summary>
    /// --optimizer: a name or spec from <see cref="OptimizerRegistry"/> (<c>sgd</c>, <c>adamw(weight_decay=0.1)</c>),
    /// checked as it is parsed; LBFGS is refused (the trainer steps without a closure).
    /// </summary>
    private static Option<string> OptimizerOption()
    {
        var names = OptimizerRegistry.All.Where(e => !e.NeedsClosure).Select(e => e.Name.ToLowerInvariant()).ToArray();
        var option = new Option<string>("--optimizer")
        {
            HelpName = "NAME[(ARGS)]",
            Description = $"{string.Join(", ", names)}, optionally with PyTorch's arguments: adamw(weight_decay=0.1) (default sgd: momentum 0.9, lr 0.05)",
            DefaultValueFactory = _ => "sgd",
            CustomParser = r =>
            {
                string s = r.Tokens.Count == 1 ? r.Tokens[0].Value : "";
                try
                {
                    var (name, args) = RegistryArgs.ParseCall(s);
                    var entry = OptimizerRegistry.Find(name);
                    if (entry.NeedsClosure)
                    {
                        r.AddError($"--optimizer {entry.Name} needs a closure that re-evaluates the loss, which train does not give; choose another");
                    }

                    _ = new RegistryArgs(entry.Name, entry.Args, args);
                }
                catch (ArgumentException e)
                {
                    r.AddError($"--optimizer: {e.Message}");
                }

                return s;
            },
        };
        option.CompletionSources.Add(names);
        return option;
    }

    /// <summary>The optimizer from its spec; train's own defaults for SGD (momentum 0.9, lr 0.05), --lr over the spec's lr.</summary>
    private static Optimizer CreateOptimizer(string spec, IEnumerable<Tensor> parameters, double? lr)
    {
        var (name, args) = RegistryArgs.ParseCall(spec);
        if (OptimizerRegistry.Find(name).Name == "SGD")
        {
            args.TryAdd("momentum", "0.9");
            args.TryAdd("lr", "0.05");
        }

        if (lr is double x)
        {
            args["lr"] = x.ToString("R", CultureInfo.InvariantCulture);
        }

        return OptimizerRegistry.Create(name, parameters, args);
    }

    private static string Describe(Optimizer opt) => string.Create(CultureInfo.InvariantCulture,
        $"{opt.GetType().Name} lr {opt.ParamGroups[0].Lr}") + (opt is SGD ? string.Create(CultureInfo.InvariantCulture, $" momentum {opt.ParamGroups[0]["momentum"]}") : "");

    /// <summary>The model and the data; for images:DIR the data first, since the model is built for the images' shape and classes.</summary>
    private static (Module Model, TensorDataset Train, TensorDataset Test, string Description) ModelAndData(Options o)
    {
        if (o.Data.StartsWith("images:", StringComparison.Ordinal))
        {
            var (train, test, description, classes) = TrainImages.Load(o.Data["images:".Length..], o.Seed);
            train = o.TrainSize is int n && n < train.Count ? train.Slice(0, n) : train;
            return (TrainImages.Model(o.Model, new Shape(train.Inputs.Shape.ToArray()[1..]), classes, o.Seed), train, test, description);
        }

        var (model, inputSize) = CreateModel(o);
        var (tr, te, d) = LoadData(o, inputSize);
        return (model, tr, te, d);
    }

    /// <summary>A built-in model (initialised from the seed) or one built from a model file (initialised from the default generator, seeded).</summary>
    private static (Module Model, int InputSize) CreateModel(Options o)
    {
        if (BuiltinModels.Names.Contains(o.Model))
        {
            return (BuiltinModels.Create(o.Model, new Generator(o.Seed)), BuiltinModels.InputSize(o.Model));
        }

        if (!File.Exists(o.Model))
        {
            throw new ArgumentException($"'{o.Model}' is neither a built-in model ({string.Join(", ", BuiltinModels.Names)}) nor a model file");
        }

        try
        {
            var def = ModelFile.Load(o.Model);
            if (def.InputShape is not Shape s || s.Rank != 3 || s[0] != 1 || s[1] != s[2] || s[1] < 28)
            {
                throw new ArgumentException($"{o.Model}: the digits datasets need 'input: [1, N, N]' with N >= 28 (28, or 32 to pad), got {def.InputShape?.ToString() ?? "none"}");
            }

            return (def.Build(), s[1]);
        }
        catch (Exception e) when (e is InvalidFileException or ModelShapeException or NotSupportedException)
        {
            throw new ArgumentException($"{e.Message}", e);
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
            case "text":
                throw new ArgumentException($"--data {o.Data}: text trains the {GptTraining.ModelName} model only (--model {GptTraining.ModelName})");
            default:
                throw new ArgumentException($"unknown --data '{o.Data}' (synthetic, mnist:DIR, fashion-mnist:DIR, csv:FILE, images:DIR)");
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
    private static double? Factor(System.CommandLine.Parsing.ArgumentResult r)
    {
        string s = r.Tokens.Count > 0 ? r.Tokens[^1].Value : "";
        if (s == "off")
        {
            return double.PositiveInfinity;
        }

        if (double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out double f) && f > 1 && double.IsFinite(f))
        {
            return f;
        }

        r.AddError($"--divergence-factor must be a number above 1 or 'off', got '{s}'");
        return null;
    }

    /// <summary>A data spec: synthetic, mnist:DIR, fashion-mnist:DIR, csv:FILE or images:DIR (whether DIR or FILE is there is found when it is read).</summary>
    private static string DataSpec(System.CommandLine.Parsing.ArgumentResult r)
    {
        string s = r.Tokens.Count > 0 ? r.Tokens[^1].Value : "";
        int colon = s.IndexOf(':', StringComparison.Ordinal);
        string kind = colon > 0 ? s[..colon] : s;
        bool ok = colon < 0 ? s == "synthetic" : kind is "mnist" or "fashion-mnist" or "csv" or "images" or "text" && colon < s.Length - 1;
        if (!ok)
        {
            r.AddError($"--data must be synthetic, mnist:DIR, fashion-mnist:DIR, csv:FILE, images:DIR or text:FILE, got '{s}'");
        }

        return s;
    }
}
