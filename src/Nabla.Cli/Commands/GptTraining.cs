using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using Nabla.Data;
using Nabla.Formats;
using Nabla.Optim;
using Nabla.Training;

namespace Nabla.Cli.Commands;

/// <summary>
/// <c>nabla train --model gpt-tiny [--data text:FILE]</c>: a character-level GPT (<see cref="Gpt.Tiny"/>) trained on
/// a text (the built-in <i>Devil's Dictionary</i> by default) with AdamW, printing the training and validation loss
/// after every epoch and a sample at the end, and writing a run folder that <c>nabla generate</c> reads.
/// </summary>
/// <remarks>
/// An epoch is <c>steps</c> random batches of <c>batch</c> windows of 64 characters from the first 90% of the text;
/// the validation loss is the mean over <c>valBatches</c> batches of the last 10%, drawn from a generator seeded
/// alike every epoch (the same windows each time). The run folder gets <c>model.safetensors</c> (the weights, with
/// the vocabulary and the model's sizes in its metadata), <c>metrics.json</c>/<c>metrics.csv</c>, <c>loss.png</c>
/// and <c>sample.txt</c>.
/// </remarks>
internal static class GptTraining
{
    /// <summary>The built-in model name.</summary>
    public const string ModelName = "gpt-tiny";

    /// <summary>Metadata keys in model.safetensors.</summary>
    public const string ModelKey = "nabla.model", VocabKey = "nabla.vocab", SizesKey = "nabla.gpt";

    /// <summary>The run's settings, from <c>nabla train</c>'s options.</summary>
    public sealed record Settings(string Data, int Epochs, int Steps, int ValBatches, int Batch, double Lr, long Seed, string OutDir);

    /// <summary>The built-in text: The Devil's Dictionary (public domain; src/Nabla.Cli/Texts/README.md).</summary>
    public static string BuiltinText()
    {
        using var stream = typeof(GptTraining).Assembly.GetManifestResourceStream("texts/devils-dictionary.txt")
            ?? throw new InvalidOperationException("the built-in text is missing from the nabla assembly");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    /// <summary>Trains and writes the run folder: 0 trained, 1 the loss became NaN or infinite.</summary>
    public static int Run(Settings s, TextWriter human, TextWriter stderr)
    {
        var (text, description) = LoadText(s.Data);
        var corpus = new TextCorpus(text);
        var g = new Generator(s.Seed);
        Generator.Default.ManualSeed(s.Seed);
        var model = Gpt.Tiny(corpus.Vocabulary.Size, generator: g);
        var optimizer = new AdamW(model.Parameters(), lr: s.Lr);
        long parameters = model.Parameters().Sum(p => p.Shape.Numel);
        human.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"nabla train: {ModelName} ({parameters:N0} parameters, {model.NLayer} layers, {model.NHead} heads, {model.NEmbd} features, context {model.BlockSize}) on {description}"));
        human.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  {corpus.Vocabulary.Size} characters; {corpus.Train.Length:N0} for training, {corpus.Validation.Length:N0} for validation; {s.Epochs} epochs of {s.Steps} steps, batch {s.Batch}, AdamW lr {s.Lr}, {Threads.Count} threads, seed {s.Seed}"));

        var history = new History();
        var clock = Stopwatch.StartNew();
        for (int epoch = 1; epoch <= s.Epochs; epoch++)
        {
            double train = TrainEpoch(model, optimizer, corpus, s, g);
            double val = ValidationLoss(model, corpus, s);
            history.Epochs.Add(new() { ["epoch"] = epoch, ["loss"] = train, ["val_loss"] = val, ["elapsed_s"] = clock.Elapsed.TotalSeconds });
            human.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"epoch {epoch}/{s.Epochs}  train loss {train:F4}  val loss {val:F4}  ({clock.Elapsed.TotalSeconds:F1} s)"));
            if (!double.IsFinite(train) || !double.IsFinite(val))
            {
                stderr.WriteLine($"nabla train: the loss became {(double.IsFinite(train) ? val : train)} in epoch {epoch}; no weights were written");
                return 1;
            }
        }

        string sample = corpus.Vocabulary.Decode(model.Generate(corpus.Vocabulary.Encode("\n"), 300, 0.8, null, new Generator(s.Seed)));
        human.WriteLine();
        human.WriteLine("sample (300 characters, temperature 0.8):");
        human.WriteLine(sample);
        Write(s, model, corpus.Vocabulary, history, sample, clock.Elapsed.TotalSeconds);
        human.WriteLine();
        human.WriteLine($"run folder: {s.OutDir} (nabla generate {s.OutDir} --prompt \"...\")");
        return 0;
    }

    private static (string Text, string Description) LoadText(string data)
    {
        if (data == "synthetic")
        {
            return (BuiltinText(), "the built-in text (The Devil's Dictionary, Ambrose Bierce, public domain)");
        }

        if (!data.StartsWith("text:", StringComparison.Ordinal))
        {
            throw new ArgumentException($"{ModelName} trains on text: --data text:FILE, or no --data for the built-in text (got '{data}')");
        }

        string path = data["text:".Length..];
        var info = new FileInfo(path);
        if (info.Exists && info.Length > 256L << 20)
        {
            throw new InvalidDataException($"{path}: {info.Length:N0} bytes, more than the 256 MiB a text may have");
        }

        string text = File.ReadAllText(path);
        return (text, $"{path} ({text.Length:N0} characters)");
    }

    private static double TrainEpoch(Gpt model, Optimizer optimizer, TextCorpus corpus, Settings s, Generator g)
    {
        model.Train();
        double sum = 0;
        for (int step = 0; step < s.Steps; step++)
        {
            var (x, y) = corpus.Batch(false, model.BlockSize, s.Batch, g);
            optimizer.ZeroGrad();
            var loss = model.Loss(x, y);
            loss.Backward();
            ClipGrad.Norm(model.Parameters(), 1.0);
            optimizer.Step();
            sum += loss.Item();
        }

        return sum / s.Steps;
    }

    private static double ValidationLoss(Gpt model, TextCorpus corpus, Settings s)
    {
        model.Eval();
        var g = new Generator(s.Seed + 1);
        double sum = 0;
        using (GradMode.NoGrad())
        {
            for (int i = 0; i < s.ValBatches; i++)
            {
                var (x, y) = corpus.Batch(true, model.BlockSize, s.Batch, g);
                sum += model.Loss(x, y).Item();
            }
        }

        return sum / s.ValBatches;
    }

    private static void Write(Settings s, Gpt model, CharVocabulary vocab, History history, string sample, double seconds)
    {
        Directory.CreateDirectory(s.OutDir);
        Safetensors.Save(Path.Combine(s.OutDir, "model.safetensors"), model.StateDict(), new Dictionary<string, string>
        {
            ["format"] = "pt", [ModelKey] = ModelName, [VocabKey] = vocab.Chars,
            [SizesKey] = string.Create(CultureInfo.InvariantCulture, $"{model.VocabSize} {model.BlockSize} {model.NEmbd} {model.NHead} {model.NLayer}"),
        });
        RunReport.WriteMetrics(s.OutDir, history, new Dictionary<string, JsonNode?>
        {
            ["status"] = "trained", ["model"] = ModelName, ["data"] = s.Data, ["epochs"] = s.Epochs, ["steps_per_epoch"] = s.Steps,
            ["batch_size"] = s.Batch, ["optimizer"] = "adamw", ["lr"] = s.Lr, ["seed"] = s.Seed, ["threads"] = Threads.Count,
            ["val_loss"] = history.Epochs[^1]["val_loss"], ["train_seconds"] = seconds,
        });
        RunReport.WritePlots(s.OutDir, history);
        AtomicFile.WriteText(Path.Combine(s.OutDir, "sample.txt"), sample + "\n");
    }

    /// <summary>Reads a run folder's (or a file's) model written by <see cref="Run"/>, with its vocabulary.</summary>
    /// <exception cref="InvalidFileException">The file is not a gpt-tiny model of this program.</exception>
    public static (Gpt Model, CharVocabulary Vocabulary) Load(string run)
    {
        string path = Directory.Exists(run) ? Path.Combine(run, "model.safetensors") : run;
        var file = Safetensors.Load(path);
        if (file.Metadata.GetValueOrDefault(ModelKey) != ModelName || !file.Metadata.TryGetValue(VocabKey, out var chars)
            || !file.Metadata.TryGetValue(SizesKey, out var sizes))
        {
            throw new InvalidFileException(path, null, $"not a {ModelName} model written by nabla train (its metadata lacks {ModelKey}, {VocabKey} or {SizesKey})");
        }

        var n = sizes.Split(' ').Select(v => int.TryParse(v, NumberStyles.None, CultureInfo.InvariantCulture, out int x) && x is > 0 and <= 1 << 20 ? x : -1).ToArray();
        if (n.Length != 5 || n.Contains(-1) || n[0] != chars.Length)
        {
            throw new InvalidFileException(path, null, $"bad {SizesKey} metadata '{sizes}'");
        }

        var model = new Gpt(n[0], n[1], n[2], n[3], n[4]);
        try
        {
            model.LoadStateDict(file.Tensors);
        }
        catch (ArgumentException e)
        {
            throw new InvalidFileException(path, null, e.Message, e);
        }

        return (model, CharVocabulary.FromChars(chars));
    }
}
