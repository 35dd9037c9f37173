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
                Model = r.GetValue(model) ?? (r.GetValue(data)!.StartsWith("images:", StringComparison.Ordinal) ? TrainingData.DefaultImageModel : "lenet5"), Data = r.GetValue(data)!, Optimizer = r.GetValue(optimizer)!,
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
        var setup = Setup(o);
        int epochs = setup.EpochCount;
        Generator.Default.ManualSeed(o.Seed);
        var (model, train, test, description) = setup.CreateModelAndData();
        model = o.Distributed ? SyncBatchNorm.ConvertSyncBatchNorm(model) : model;
        bool main = !o.Distributed || Distributed.IsMainProcess;
        var optimizer = setup.CreateOptimizer(model.Parameters());
        var trainLoader = o.Distributed ? TrainDistributed.Loader(train, o.BatchSize, new Generator(o.Seed + 1)) : setup.TrainLoader(train);
        var testLoader = TrainingSetup.TestLoader(test);
        string ckpt = Path.Combine(outDir, "checkpoint.safetensors");
        var trainer = NewTrainer(o, new Trainer(model, optimizer, setup.CreateLoss()), main ? ckpt : null, outDir, human, stdout);
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

    /// <summary>The choices as the library's <see cref="TrainingSetup"/>: the command adds processes, the run folder and the output.</summary>
    private static TrainingSetup Setup(Options o) => o.Data.StartsWith("text:", StringComparison.Ordinal)
        ? throw new ArgumentException($"--data {o.Data}: text trains the {GptTraining.ModelName} model only (--model {GptTraining.ModelName})")
        : new TrainingSetup
        {
            Model = o.Model, Data = o.Data, Optimizer = o.Optimizer, Lr = o.Lr, Seed = o.Seed, Epochs = o.Epochs,
            TrainSize = o.TrainSize, TestSize = o.TestSize, BatchSize = o.BatchSize,
        };

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

    /// <summary>The trainer with the output, the stop rules and the run folder's callbacks: metrics CSV, checkpoint, and the --json lines.</summary>
    /// <remarks>Without <paramref name="ckpt"/> (a distributed run's ranks but 0) the trainer writes nothing.</remarks>
    private static Trainer NewTrainer(Options o, Trainer trainer, string? ckpt, string outDir, TextWriter human, TextWriter stdout)
    {
        trainer.Log = human;
        trainer.Progress = new ProgressBar(human);
        trainer.DivergenceFactor = o.DivergenceFactor;
        trainer.DetectAnomaly = o.DetectAnomaly;
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

    private static string Describe(Optimizer opt) => string.Create(CultureInfo.InvariantCulture,
        $"{opt.GetType().Name} lr {opt.ParamGroups[0].Lr}") + (opt is SGD ? string.Create(CultureInfo.InvariantCulture, $" momentum {opt.ParamGroups[0]["momentum"]}") : "");

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
