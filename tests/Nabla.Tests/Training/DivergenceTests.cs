using System.Text.Json;
using Nabla.Cli.Commands;
using Nabla.Data;
using Nabla.Formats;
using Nabla.Models;
using Nabla.NN;
using Nabla.Optim;
using Nabla.Training;

namespace Nabla.Tests.Training;

/// <summary>
/// NaN, infinity and divergence stop training as failed: the op and layer are named, the last good checkpoint is kept
/// byte for byte, non-finite metrics stay valid JSON, and <c>nabla train</c> exits 1.
/// </summary>
public class DivergenceTests
{
    private static TensorDataset Digits(int n) => SyntheticDigits.Generate(n, seed: 1);

    private static Sequential SmallNet() => new(
        new Flatten(), new Linear(784, 32, generator: new Generator(0)), new ReLU(), new Linear(32, 10, generator: new Generator(0)));

    private static Trainer NewTrainer(Module model, double lr) =>
        new(model, new SGD(model.Parameters(), lr: lr, momentum: 0.9)) { TrackDefaultGenerator = false };

    [Fact]
    public void Nan_after_a_good_epoch_keeps_the_checkpoint_byte_for_byte()
    {
        string dir = TestPaths.TempDir(), ckpt = Path.Combine(dir, "checkpoint.safetensors");
        var model = SmallNet();
        var trainer = NewTrainer(model, 0.05);
        trainer.Callbacks.Add(new ModelCheckpoint(ckpt));
        var loader = new DataLoader(Digits(128), 32);
        trainer.Fit(loader, 1);
        var good = File.ReadAllBytes(ckpt);

        trainer.Optimizer.ParamGroups[0].Lr = 1e300;
        trainer.Fit(loader, 3);
        var f = trainer.Failure!;
        Assert.NotNull(f);
        Assert.True(trainer.StoppedOnNaN);
        Assert.Equal((2, 1), (f.Epoch, f.Batch)); // the first batch after the rate change: 1e300 × a gradient overflows
        Assert.Equal(FailureKind.NonFiniteWeights, f.Kind);
        Assert.Equal(("SGD step", "1"), (f.Op, f.Layer));
        Assert.Equal(1, trainer.Epoch);
        Assert.Equal(good, File.ReadAllBytes(ckpt));
        Assert.Empty(Directory.GetFiles(dir, "*.tmp"));

        // Saving now (weights are ±inf) is refused and leaves the file alone.
        var e = Assert.Throws<InvalidOperationException>(() => trainer.SaveCheckpoint(ckpt));
        Assert.Contains("1.weight", e.Message, StringComparison.Ordinal);
        Assert.Equal(good, File.ReadAllBytes(ckpt));
    }

    [Fact]
    public void Forward_overflow_is_rerun_under_anomaly_detection_and_named()
    {
        // Weights of 3e38 (finite float32) times 784 non-negative pixels overflow: the logits are +inf, the loss NaN.
        var model = SmallNet();
        using (GradMode.NoGrad())
        {
            ((Linear)model[1]).Weight.FillInPlace(3e38);
        }

        var before = model.StateDict().ToDictionary(kv => kv.Key, kv => kv.Value.ToDoubleArray());
        var trainer = NewTrainer(model, 0.05);
        trainer.Fit(new DataLoader(Digits(64), 32), 2);
        var f = trainer.Failure!;
        Assert.Equal(FailureKind.NonFiniteLoss, f.Kind);
        Assert.Equal((1, 1), (f.Epoch, f.Batch));
        Assert.Equal(("linear", "1"), (f.Op, f.Layer));
        Assert.Equal(TracePhase.Forward, f.Anomaly!.Phase);
        Assert.Contains("op 'linear' in layer 1", f.Message, StringComparison.Ordinal);
        foreach (var (name, values) in model.StateDict())
        {
            Assert.Equal(before[name], values.ToDoubleArray()); // no step was taken on the failing batch
        }
    }

    [Fact]
    public void Loss_above_the_divergence_factor_stops_and_the_factor_is_configurable()
    {
        // The first batch (no shuffling) fixes the yardstick: its loss, computed here from the untrained model.
        var data = Digits(256);
        double first = F.CrossEntropy(SmallNet().Forward(data.Inputs.Narrow(0, 0, 32)), data.Targets.Narrow(0, 0, 32)).Item();
        var trainer = NewTrainer(SmallNet(), 1e6);
        trainer.Fit(new DataLoader(data, 32), 1);
        var f = trainer.Failure!;
        Assert.Equal(FailureKind.Divergence, f.Kind);
        Assert.Equal(first, trainer.ReferenceLoss!.Value, 1e-5);
        Assert.True(f.Loss > 1000 * first, $"{f.Loss} vs {first}");
        Assert.False(trainer.StoppedOnNaN);

        // A factor above every loss of this run lets it finish (badly, but finite): the rule is what stopped it.
        var lenient = NewTrainer(SmallNet(), 1e6);
        lenient.DivergenceFactor = double.PositiveInfinity;
        lenient.Fit(new DataLoader(data, 32), 1);
        Assert.Null(lenient.Failure);
        Assert.Equal(1, lenient.Epoch);
        Assert.True(lenient.History["loss"][0] > 1000 * first);
    }

    [Fact]
    public void Non_finite_metrics_are_json_strings_that_parse_back()
    {
        string dir = TestPaths.TempDir();
        var history = new History();
        history.Epochs.Add(new() { ["epoch"] = 1, ["loss"] = double.NaN, ["val_loss"] = double.PositiveInfinity, ["lr"] = 0.1 });
        RunReport.WriteMetrics(dir, history, new Dictionary<string, System.Text.Json.Nodes.JsonNode?> { ["test_loss"] = double.NegativeInfinity });
        string json = File.ReadAllText(Path.Combine(dir, "metrics.json"));
        using var doc = JsonDocument.Parse(json); // strict JSON: no bare NaN tokens
        var epoch = doc.RootElement.GetProperty("history")[0];
        Assert.Equal("NaN", epoch.GetProperty("loss").GetString());
        Assert.Equal("Infinity", epoch.GetProperty("val_loss").GetString());
        Assert.Equal("-Infinity", doc.RootElement.GetProperty("test_loss").GetString());
        Assert.Equal(0.1, epoch.GetProperty("lr").GetDouble());

        var named = new JsonSerializerOptions { NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals };
        Assert.True(double.IsNaN(JsonSerializer.Deserialize<double>(epoch.GetProperty("loss").GetRawText(), named)));
        Assert.Contains("1,NaN,Infinity,0.1", File.ReadAllText(Path.Combine(dir, "metrics.csv")), StringComparison.Ordinal);
    }

    [Fact]
    public void Failed_atomic_write_leaves_no_tmp_and_the_old_file()
    {
        // Disk full, for real: the .tmp is a link to /dev/full, where every write fails with ENOSPC.
        if (!OperatingSystem.IsLinux() || !File.Exists("/dev/full"))
        {
            return;
        }

        string dir = TestPaths.TempDir(), path = Path.Combine(dir, "checkpoint.safetensors");
        File.WriteAllBytes(path, [1, 2, 3]);
        File.CreateSymbolicLink(path + ".tmp", "/dev/full");
        Assert.Throws<IOException>(() => AtomicFile.Write(path, new byte[100_000]));
        Assert.False(File.Exists(path + ".tmp") || new FileInfo(path + ".tmp").LinkTarget is not null);
        Assert.Equal([1, 2, 3], File.ReadAllBytes(path));

        // The same through the trainer's checkpoint.
        File.CreateSymbolicLink(path + ".tmp", "/dev/full");
        var model = SmallNet();
        Assert.Throws<IOException>(() => NewTrainer(model, 0.1).SaveCheckpoint(path));
        Assert.Empty(Directory.GetFileSystemEntries(dir, "*.tmp"));
        Assert.Equal([1, 2, 3], File.ReadAllBytes(path));
    }
}

/// <summary><c>nabla train</c> itself on a run that blows up: exit 1, one line naming op and layer, no weights, valid metrics.</summary>
[Collection(GlobalStateCollection.Name)] // the command sets Threads.Count and seeds Generator.Default
public class TrainCommandFailureTests
{
    private static (int Rc, string Out, string Err, string Dir) Train(params string[] extra)
    {
        string dir = TestPaths.TempDir();
        var (o, e) = (new StringWriter(), new StringWriter());
        int rc = TrainCommand.Run(["--train-size", "128", "--test-size", "32", "--batch-size", "32", "--threads", "1", "--epochs", "2",
            "--out", dir, .. extra], o, e);
        return (rc, o.ToString(), e.ToString(), dir);
    }

    [Fact]
    public void Resume_keeps_the_checkpoints_learning_rate_unless_lr_is_given()
    {
        // Train sets --epochs 2 and --lr 0.05 (SGD's default); a resume to epoch 3 keeps 0.05, and --lr 0.01 replaces it.
        static double SavedLr(string dir) => System.Text.Json.Nodes.JsonNode.Parse(
            Nabla.Models.Checkpoint.Load(Path.Combine(dir, "checkpoint.safetensors")).Extra("nabla.optimizer")!)!["param_groups"]![0]!["lr"]!.GetValue<double>();
        var (rc, _, _, dir) = Train();
        Assert.Equal(0, rc);
        Assert.Equal(0.05, SavedLr(dir));
        var (o, e) = (new StringWriter(), new StringWriter());
        Assert.Equal(0, TrainCommand.Run(["--resume", dir, "--train-size", "128", "--test-size", "32", "--batch-size", "32", "--threads", "1", "--epochs", "3"], o, e));
        Assert.Equal(0.05, SavedLr(dir));
        Assert.Equal(0, TrainCommand.Run(["--resume", dir, "--lr", "0.01", "--train-size", "128", "--test-size", "32", "--batch-size", "32", "--threads", "1", "--epochs", "4"], o, e));
        Assert.Equal(0.01, SavedLr(dir));
    }

    [Fact]
    public void Lr_1e300_fails_with_exit_1_names_op_and_layer_and_writes_no_weights()
    {
        var (rc, _, err, dir) = Train("--lr", "1e300");
        Assert.Equal(1, rc);
        string line = Assert.Single(err.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("epoch 1, batch 1: the SGD step made 0.weight", line, StringComparison.Ordinal);
        Assert.Contains("no epoch completed, so no checkpoint was written", line, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(dir, "checkpoint.safetensors")));
        Assert.False(File.Exists(Path.Combine(dir, "model.safetensors")));
        Assert.Empty(Directory.GetFiles(dir, "*.tmp"));

        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "metrics.json")));
        var failure = doc.RootElement.GetProperty("failure");
        Assert.Equal("failed", doc.RootElement.GetProperty("status").GetString());
        Assert.Equal("NonFiniteWeights", failure.GetProperty("kind").GetString());
        Assert.Equal("SGD step", failure.GetProperty("op").GetString());
        Assert.Equal("0", failure.GetProperty("layer").GetString());
        Assert.Equal(0, doc.RootElement.GetProperty("epochs").GetInt32());
    }

    [Fact]
    public void Lr_1e6_is_caught_as_divergence_not_a_silent_success()
    {
        var (rc, _, err, dir) = Train("--lr", "1e6");
        Assert.Equal(1, rc);
        Assert.Contains("training diverged", err, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(dir, "model.safetensors")));

        // Turned off, the same run trains to the end (exit 0): the rule, not something else, made it fail.
        var (rcOff, _, _, _) = Train("--lr", "1e6", "--divergence-factor", "off");
        Assert.Equal(0, rcOff);
        Assert.Equal(2, Train("--divergence-factor", "0.5").Rc); // a usage error: exit 2, before any training
    }
}
