using Nabla.Data;
using Nabla.Formats;
using Nabla.NN;
using Nabla.Optim;
using Nabla.Training;
using Nabla.Training.Plots;

namespace Nabla.Tests.Training;

public class TrainerTests
{
    private static (TensorDataset Train, TensorDataset Test) Digits(int train = 600, int test = 200) =>
        (SyntheticDigits.Generate(train, seed: 1), SyntheticDigits.Generate(test, seed: 2));

    private static Sequential SmallNet(Generator g, double dropout = 0, Generator? dropoutGen = null) => new(
        new Flatten(), new Linear(784, 32, generator: g), new ReLU(), new Dropout(dropout, dropoutGen), new Linear(32, 10, generator: g));

    [Fact]
    public void Fit_learns_synthetic_digits_and_reports_history()
    {
        var (train, test) = Digits();
        var model = SmallNet(new Generator(0));
        var trainer = new Trainer(model, new Adam(model.Parameters(), lr: 3e-3));
        var history = trainer.Fit(new DataLoader(train, 32, shuffle: true, generator: new Generator(1)), 4, new DataLoader(test, 100));
        Assert.Equal(4, history.Epochs.Count);
        Assert.True(history["loss"][^1] < history["loss"][0]);
        var r = trainer.Evaluate(new DataLoader(test, 100));
        Assert.InRange(r.Accuracy, 0.6, 1.0);
        Assert.True(r.TopKAccuracy >= r.Accuracy);
        Assert.Equal(200, r.Samples);
        Assert.Equal(r.Accuracy, r.Confusion!.Accuracy, 12);
        Assert.Equal(new Shape(200, 10), trainer.Predict(test.Inputs, batchSize: 64).Shape);
    }

    [Fact]
    public void Resume_in_process_matches_uninterrupted_run_with_dropout()
    {
        var (train, _) = Digits(300, 10);
        Tensor[] Run(int stopAfter, string? resumeFrom, string? saveTo)
        {
            var dropoutGen = new Generator(11);
            var model = SmallNet(new Generator(0), 0.3, dropoutGen);
            // Tests share the process: keep Generator.Default out of it; the dropout generator is tracked instead.
            var trainer = new Trainer(model, new SGD(model.Parameters(), lr: 0.05, momentum: 0.9)) { TrackDefaultGenerator = false };
            trainer.Generators.Add(dropoutGen);
            trainer.Callbacks.Add(new LRSchedulerCallback(new StepLR(trainer.Optimizer, 2, 0.5)));
            if (resumeFrom is not null)
            {
                trainer.LoadCheckpoint(resumeFrom);
            }

            trainer.Fit(new DataLoader(train, 25, shuffle: true, generator: new Generator(5)), stopAfter);
            if (saveTo is not null)
            {
                trainer.SaveCheckpoint(saveTo);
            }

            return model.Parameters().Select(p => p.Detach().Clone()).ToArray();
        }

        string path = Path.Combine(TestPaths.TempDir(), "ckpt.safetensors");
        var full = Run(4, null, null);
        Run(2, null, path);
        var resumed = Run(4, path, null);
        for (int i = 0; i < full.Length; i++)
        {
            Assert.Equal(full[i].ToFloatArray(), resumed[i].ToFloatArray());
        }
    }

    [Fact]
    public void EarlyStopping_stops_and_restores_best_weights()
    {
        var (train, test) = Digits(200, 100);
        var model = SmallNet(new Generator(0));
        // A rate so high that the validation loss gets worse quickly.
        var trainer = new Trainer(model, new SGD(model.Parameters(), lr: 0.01));
        var stop = new EarlyStopping("val_accuracy", patience: 1, minDelta: 1.0, restoreBestWeights: true);
        trainer.Callbacks.Add(stop);
        trainer.Fit(new DataLoader(train, 50), 10, new DataLoader(test, 100));
        Assert.Equal(2, trainer.History.Epochs.Count); // nothing can improve by more than 1.0
        Assert.Equal(1, stop.BestEpoch);
        Assert.Equal(trainer.History["val_accuracy"][0], trainer.Evaluate(new DataLoader(test, 100)).Accuracy, 12);
    }

    [Fact]
    public void TerminateOnNaN_stops_training()
    {
        var (train, _) = Digits(100, 10);
        var model = SmallNet(new Generator(0));
        var trainer = new Trainer(model, new SGD(model.Parameters(), lr: 0.1), (o, t) => F.CrossEntropy(o, t) * double.NaN);
        trainer.Callbacks.Add(new TerminateOnNaN());
        trainer.Fit(new DataLoader(train, 10), 5);
        Assert.True(trainer.StoppedOnNaN);
        Assert.Single(trainer.History.Epochs);
    }

    [Fact]
    public void Metrics_topk_and_confusion()
    {
        var logits = Tensor.FromArray([0.1f, 0.7f, 0.2f, 0.5f, 0.3f, 0.2f, 0.2f, 0.3f, 0.5f], new Shape(3, 3));
        var targets = Tensor.FromArray([1L, 1, 0]);
        Assert.Equal(1.0 / 3, Metrics.Accuracy(logits, targets), 12);
        Assert.Equal(2.0 / 3, Metrics.TopKAccuracy(logits, targets, 2), 12);
        var cm = new ConfusionMatrix(3);
        cm.Add(logits, targets);
        Assert.Equal(1, cm.Counts[1, 1]);
        Assert.Equal(1, cm.Counts[1, 0]);
        Assert.Equal(1, cm.Counts[0, 2]);
    }

    [Fact]
    public void Png_is_well_formed()
    {
        var png = LinePlot.Render("loss", "epoch", [new Series("train", [1.0, 0.5, 0.25], LinePlot.Palette[0])]);
        Assert.Equal(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A }, png[..8]);
        // Every chunk's CRC matches.
        int pos = 8;
        while (pos < png.Length)
        {
            int len = System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(pos));
            uint crc = System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(png.AsSpan(pos + 8 + len));
            Assert.Equal(crc, Png.Crc32(png.AsSpan(pos + 4, 4 + len)));
            pos += 12 + len;
        }

        Assert.Equal(png.Length, pos);
        Assert.Equal(0xCBF43926u, Png.Crc32("123456789"u8)); // the standard CRC-32 check value
    }

    [Fact]
    public void Transfer_learning_freezes_by_pattern_and_trains_only_the_head()
    {
        var (train, _) = Digits(100, 10);
        var model = BuiltinModels.LeNet5(new Generator(0));
        var prepared = new TensorDataset(new Pad(2).Apply(train.Inputs, new Generator(0)), train.Targets);
        model.RequiresGrad(false);
        model.ReplaceModule("11", new Linear(84, 10, generator: new Generator(1)));
        var frozen = model.NamedParameters().Where(p => !p.Name.StartsWith("11.", StringComparison.Ordinal))
            .ToDictionary(p => p.Name, p => p.Parameter.ToFloatArray());
        var trainer = new Trainer(model, new SGD(model.Parameters().Where(p => p.RequiresGrad), lr: 0.05));
        trainer.Fit(new DataLoader(prepared, 20), 1);
        foreach (var (name, p) in model.NamedParameters())
        {
            if (frozen.TryGetValue(name, out var before))
            {
                Assert.Equal(before, p.ToFloatArray());
            }
        }
    }
}
