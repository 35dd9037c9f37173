using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using Nabla.Data;
using Nabla.Formats;
using Nabla.Models;
using Nabla.NN;
using Nabla.Optim;

namespace Nabla.Training;

/// <summary>
/// The training loop (Keras' <c>fit</c>/<c>evaluate</c>/<c>predict</c> over a PyTorch-style model and optimizer):
/// batches from a <see cref="DataLoader"/>, forward, loss, backward, optimizer step, metrics, callbacks, history,
/// progress, and checkpoints that resume exactly.
/// </summary>
/// <remarks>
/// <para><b>Exact resume.</b> A checkpoint (<see cref="SaveCheckpoint"/>) holds the weights, the optimizer state,
/// the history, the callbacks' state and the states of every random generator that the rest of training draws
/// from: the training loader's (shuffling, augmentation), <see cref="Generator.Default"/> (dropout without an
/// explicit generator) and any in <see cref="Generators"/>. Loading it and calling <see cref="Fit"/> again with the
/// same settings therefore produces the same weights as an uninterrupted run.</para>
/// <example><code>
/// var trainer = new Trainer(model, new SGD(model.Parameters(), lr: 0.05, momentum: 0.9));
/// trainer.Callbacks.Add(new ModelCheckpoint("run/checkpoint.safetensors"));
/// var history = trainer.Fit(trainLoader, epochs: 10, validation: testLoader);
/// </code></example>
/// </remarks>
public sealed class Trainer
{
    /// <summary>The metadata key of the trainer state in checkpoints.</summary>
    public const string StateKey = "nabla.trainer";

    private JsonObject? pendingState;

    /// <summary>Creates a trainer.</summary>
    /// <param name="model">The model.</param>
    /// <param name="optimizer">The optimizer over (some of) the model's parameters.</param>
    /// <param name="loss">The loss of (output, target), mean over the batch (default: cross-entropy).</param>
    public Trainer(Module model, Optimizer optimizer, Func<Tensor, Tensor, Tensor>? loss = null)
    {
        Model = model;
        Optimizer = optimizer;
        Loss = loss ?? ((o, t) => F.CrossEntropy(o, t));
    }

    /// <summary>The model.</summary>
    public Module Model { get; }

    /// <summary>The optimizer.</summary>
    public Optimizer Optimizer { get; }

    /// <summary>The loss function (mean over the batch).</summary>
    public Func<Tensor, Tensor, Tensor> Loss { get; }

    /// <summary>The callbacks.</summary>
    public List<Callback> Callbacks { get; } = [];

    /// <summary>Extra generators whose state is saved in checkpoints (for example a dropout layer's).</summary>
    public List<Generator> Generators { get; } = [];

    /// <summary>
    /// Whether checkpoints save and restore <see cref="Generator.Default"/> (true by default, for dropout layers without
    /// a generator of their own; turn it off where other code shares the process and its default generator).
    /// </summary>
    public bool TrackDefaultGenerator { get; set; } = true;

    /// <summary>The metrics of every completed epoch.</summary>
    public History History { get; private set; } = new();

    /// <summary>The number of completed epochs (restored by <see cref="LoadCheckpoint"/>).</summary>
    public int Epoch { get; private set; }

    /// <summary>Where progress and messages go (null: silent).</summary>
    public TextWriter? Log { get; set; }

    /// <summary>The progress reporter (default: a <see cref="ProgressBar"/> on <see cref="Log"/>).</summary>
    public ProgressBar? Progress { get; set; }

    /// <summary>The k of the top-k accuracy reported by <see cref="Evaluate"/>.</summary>
    public int TopK { get; set; } = 5;

    /// <summary>Set by a callback to end training after the current batch or epoch.</summary>
    public bool StopTraining { get; set; }

    /// <summary>True when training stopped because a loss, a gradient or a weight was NaN or infinite.</summary>
    public bool StoppedOnNaN { get; set; }

    /// <summary>
    /// The divergence rule: <see cref="Fit"/> stops, failed, when a batch loss exceeds this many times the run's first
    /// batch loss (<see cref="ReferenceLoss"/>). 1000 by default; <see cref="double.PositiveInfinity"/> turns it off.
    /// </summary>
    public double DivergenceFactor { get; set; } = 1e3;

    /// <summary>The run's first non-zero batch loss, the divergence rule's yardstick (kept in checkpoints); null before it.</summary>
    public double? ReferenceLoss { get; private set; }

    /// <summary>
    /// Runs every batch's forward and backward pass under <see cref="Autograd.DetectAnomaly"/> (slower). Off, a failing
    /// batch is run again under it once, which names the same op unless the batch draws random numbers (dropout).
    /// </summary>
    public bool DetectAnomaly { get; set; }

    /// <summary>Why the last <see cref="Fit"/> failed (a NaN, an infinity or divergence), or null when it did not.</summary>
    public TrainingFailure? Failure { get; private set; }

    /// <summary>The training loader of the running <see cref="Fit"/>.</summary>
    public DataLoader? TrainLoader { get; private set; }

    /// <summary>
    /// In data-parallel training, sums an array element-wise across the processes, in place (set by
    /// <c>Nabla.Distributed</c>); null in one process. Batch losses and accuracy are then those of the global batch,
    /// so every process applies the stop rules alike and logs the same numbers.
    /// </summary>
    public Action<double[]>? AllReduceSum { get; set; }

    /// <summary>Training seconds over all epochs, including those before a resume.</summary>
    public double ElapsedSeconds { get; private set; }

    /// <summary>Trains until <paramref name="epochs"/> epochs are complete (counting those already done before a resume).</summary>
    /// <param name="train">The training batches.</param>
    /// <param name="epochs">The total number of epochs.</param>
    /// <param name="validation">Batches evaluated after each epoch (logged as <c>val_loss</c>, <c>val_accuracy</c>).</param>
    public History Fit(DataLoader train, int epochs, DataLoader? validation = null)
    {
        TrainLoader = train;
        StopTraining = false;
        StoppedOnNaN = false;
        Failure = null;
        ApplyPendingState(train);
        foreach (var c in Callbacks)
        {
            c.OnTrainBegin(this);
        }

        var progress = Progress ?? (Log is null ? null : new ProgressBar(Log));
        while (Epoch < epochs && !StopTraining)
        {
            int epoch = Epoch + 1;
            var clock = Stopwatch.StartNew();
            var (loss, acc) = TrainEpoch(train, epoch, epochs, progress);
            double seconds = clock.Elapsed.TotalSeconds;
            ElapsedSeconds += seconds;
            var logs = new Dictionary<string, double> { ["epoch"] = epoch, ["loss"] = loss };
            if (!double.IsNaN(acc))
            {
                logs["accuracy"] = acc;
            }

            if (validation is not null && Failure is null)
            {
                var r = Evaluate(validation);
                logs["val_loss"] = r.Loss;
                if (!double.IsNaN(r.Accuracy))
                {
                    logs["val_accuracy"] = r.Accuracy;
                }
            }

            logs["lr"] = Optimizer.ParamGroups[0].Lr;
            logs["time_s"] = seconds;
            logs["elapsed_s"] = ElapsedSeconds;
            History.Epochs.Add(logs);
            progress?.End(Summary(epoch, epochs, logs, train.Dataset.Count / seconds));
            if (Failure is { } failure)
            {
                // The epoch is incomplete: no end-of-epoch callbacks, so no checkpoint of it (the last good one stays).
                Log?.WriteLine(failure.Message);
                break;
            }

            Epoch = epoch;
            foreach (var c in Callbacks.Where(c => !c.RunsLast).Concat(Callbacks.Where(c => c.RunsLast)))
            {
                c.OnEpochEnd(this, epoch, logs);
            }
        }

        foreach (var c in Callbacks)
        {
            c.OnTrainEnd(this);
        }

        return History;
    }

    private (double Loss, double Accuracy) TrainEpoch(DataLoader train, int epoch, int epochs, ProgressBar? progress)
    {
        Model.Train();
        progress?.Begin();
        double lossSum = 0;
        long samples = 0, correct = 0;
        bool classification = true;
        int b = 0, batches = train.Count;
        foreach (var (x, y) in train)
        {
            b++;
            var (output, l, n) = RunBatch(x, y, epoch, b);
            lossSum += l * n;
            samples += n;
            classification &= output is not null && IsClassification(output, y);
            if (classification)
            {
                correct += Metrics.CountTopK(output!.Detach(), y, 1);
            }

            if (Failure is not null)
            {
                StopTraining = true;
                StoppedOnNaN = Failure.Kind != FailureKind.Divergence;
                break; // the failing batch did not end: no step, no OnBatchEnd
            }

            foreach (var c in Callbacks)
            {
                c.OnBatchEnd(this, b, l);
            }

            progress?.Update(epoch, epochs, b, batches, samples, lossSum / samples);
            if (StopTraining)
            {
                break;
            }
        }

        if (AllReduceSum is { } reduce && classification)
        {
            double[] counts = [correct]; // the samples are already global: RunBatch reduced them
            reduce(counts);
            correct = (long)counts[0];
        }

        return (samples == 0 ? double.NaN : lossSum / samples, classification && samples > 0 ? (double)correct / samples : double.NaN);
    }

    /// <summary>
    /// One batch: forward, loss, backward, the stop rules, and the optimizer step unless a rule fired (then
    /// <see cref="Failure"/> is set). Returns the output (null when anomaly detection stopped the forward pass), the loss and
    /// the number of samples (of the global batch in data-parallel training).
    /// </summary>
    private (Tensor? Output, double Loss, int Samples) RunBatch(Tensor x, Tensor y, int epoch, int batch)
    {
        Optimizer.ZeroGrad();
        Tensor output, loss;
        try
        {
            using (DetectAnomaly ? Autograd.DetectAnomaly(Model.NamedParameters()) : null)
            {
                output = Model.Forward(x);
                loss = Loss(output, y);
                loss.Backward();
            }
        }
        catch (AnomalyException e)
        {
            var kind = e.Phase == TracePhase.Forward ? FailureKind.NonFiniteLoss : FailureKind.NonFiniteGradient;
            Failure = new TrainingFailure(kind, epoch, batch, double.NaN, $"a {e.Phase.ToString().ToLowerInvariant()} value is not finite", e.Op, e.Layer, e);
            return (null, double.NaN, x.Shape[0]);
        }

        double l = loss.Item();
        int n = x.Shape[0];
        if (AllReduceSum is { } reduce)
        {
            double[] global = [l * n, n];
            reduce(global);
            (l, n) = (global[0] / global[1], (int)global[1]);
        }

        Failure = CheckBatch(x, y, l, epoch, batch);
        if (Failure is null)
        {
            Optimizer.Step();
            Failure = CheckWeights(l, epoch, batch);
        }

        return (output, l, n);
    }

    /// <summary>The stop rules before the step: a non-finite loss or gradient, then divergence.</summary>
    private TrainingFailure? CheckBatch(Tensor x, Tensor y, double l, int epoch, int batch)
    {
        if (!double.IsFinite(l))
        {
            return Diagnose(FailureKind.NonFiniteLoss, x, y, l, epoch, batch, string.Create(CultureInfo.InvariantCulture, $"the loss is {l}"));
        }

        var grads = Model.NamedParameters().Where(p => p.Parameter.Grad is not null).Select(p => (p.Name, p.Parameter.Grad!));
        if (NonFinite.First(grads) is { } g)
        {
            return Diagnose(FailureKind.NonFiniteGradient, x, y, l, epoch, batch,
                string.Create(CultureInfo.InvariantCulture, $"the loss is finite ({l:G6}) but the gradient of {g.Name} holds {g.Value}"));
        }

        if (ReferenceLoss is not { } first)
        {
            ReferenceLoss = l == 0 ? null : l;
            return null;
        }

        return l > DivergenceFactor * Math.Abs(first)
            ? new TrainingFailure(FailureKind.Divergence, epoch, batch, l, string.Create(CultureInfo.InvariantCulture,
                $"the loss {l:G6} is over {DivergenceFactor:G6} times the first batch's loss {first:G6}: training diverged (try a smaller learning rate)"))
            : null;
    }

    /// <summary>Names the op that made the first NaN by running the failing batch again under anomaly detection.</summary>
    private TrainingFailure Diagnose(FailureKind kind, Tensor x, Tensor y, double l, int epoch, int batch, string detail)
    {
        if (NonFinite.First(Model.NamedParameters()) is { } w)
        {
            return new TrainingFailure(kind, epoch, batch, l, $"{detail}; the weights were not finite before this batch ({w.Name})");
        }

        if (NonFinite.First(x) is { } v)
        {
            return new TrainingFailure(kind, epoch, batch, l, string.Create(CultureInfo.InvariantCulture,
                $"{detail}; the input batch holds {v.Value} (element {v.Index})"));
        }

        Optimizer.ZeroGrad();
        try
        {
            using var anomaly = Autograd.DetectAnomaly(Model.NamedParameters());
            Loss(Model.Forward(x), y).Backward();
        }
        catch (AnomalyException e)
        {
            return new TrainingFailure(kind, epoch, batch, l, detail, e.Op, e.Layer, e);
        }

        return new TrainingFailure(kind, epoch, batch, l, $"{detail}; run again under anomaly detection, no op made a non-finite value from finite inputs (a constant, the targets, or random draws that differ)");
    }

    /// <summary>The rule after the step: finite weights and gradients must give finite weights (else the rate overflowed them).</summary>
    private TrainingFailure? CheckWeights(double l, int epoch, int batch)
    {
        if (NonFinite.First(Model.NamedParameters()) is not { } w)
        {
            return null;
        }

        string op = $"{Optimizer.GetType().Name} step";
        int dot = w.Name.LastIndexOf('.');
        return new TrainingFailure(FailureKind.NonFiniteWeights, epoch, batch, l, string.Create(CultureInfo.InvariantCulture,
            $"the {op} made {w.Name} {w.Value} (element {w.Index}) from finite weights and gradients: the learning rate {Optimizer.ParamGroups[0].Lr:G6} is too large"),
            op, dot > 0 ? w.Name[..dot] : w.Name);
    }

    /// <summary>Computes the mean loss and, for class scores, accuracy, top-k accuracy and the confusion matrix.</summary>
    public EvaluationResult Evaluate(DataLoader loader)
    {
        bool wasTraining = Model.IsTraining;
        Model.Eval();
        try
        {
            using var _ = GradMode.NoGrad();
            double lossSum = 0;
            long samples = 0, correct = 0, topk = 0;
            bool classification = true;
            ConfusionMatrix? confusion = null;
            foreach (var (x, y) in loader)
            {
                var output = Model.Forward(x);
                int n = x.Shape[0];
                lossSum += Loss(output, y).Item() * n;
                samples += n;
                classification &= IsClassification(output, y);
                if (classification)
                {
                    correct += Metrics.CountTopK(output, y, 1);
                    topk += Metrics.CountTopK(output, y, Math.Min(TopK, output.Shape[1]));
                    confusion ??= new ConfusionMatrix(output.Shape[1]);
                    confusion.Add(output, y);
                }
            }

            double Frac(long k) => classification && samples > 0 ? (double)k / samples : double.NaN;
            return new EvaluationResult(samples == 0 ? double.NaN : lossSum / samples, Frac(correct), Frac(topk), TopK,
                classification ? confusion : null, (int)samples);
        }
        finally
        {
            Model.Train(wasTraining);
        }
    }

    /// <summary>The model's outputs for every batch of <paramref name="loader"/>, concatenated (evaluation mode, no gradients).</summary>
    public Tensor Predict(DataLoader loader) => PredictBatches(loader.Select(b => b.Input));

    /// <summary>The model's outputs for <paramref name="inputs"/> (samples along dimension 0), in batches of <paramref name="batchSize"/>.</summary>
    public Tensor Predict(Tensor inputs, int batchSize = 256)
    {
        int n = inputs.Shape[0];
        return PredictBatches(Enumerable.Range(0, (n + batchSize - 1) / batchSize)
            .Select(i => inputs.Narrow(0, i * batchSize, Math.Min(batchSize, n - (i * batchSize)))));
    }

    private Tensor PredictBatches(IEnumerable<Tensor> batches)
    {
        bool wasTraining = Model.IsTraining;
        Model.Eval();
        try
        {
            using var _ = GradMode.NoGrad();
            return Tensor.Cat(batches.Select(Model.Forward).ToList());
        }
        finally
        {
            Model.Train(wasTraining);
        }
    }

    private static bool IsClassification(Tensor output, Tensor target) =>
        output.Rank == 2 && target.Rank == 1 && target.DType == DType.Int64 && output.Shape[0] == target.Shape[0];

    private static string Summary(int epoch, int epochs, Dictionary<string, double> logs, double rate)
    {
        var parts = new List<string> { $"epoch {epoch}/{epochs}", $"loss {logs["loss"]:F4}" };
        if (logs.TryGetValue("accuracy", out var a))
        {
            parts.Add($"acc {a * 100:F2}%");
        }

        if (logs.TryGetValue("val_loss", out var vl))
        {
            parts.Add($"val_loss {vl:F4}");
        }

        if (logs.TryGetValue("val_accuracy", out var va))
        {
            parts.Add($"val_acc {va * 100:F2}%");
        }

        parts.Add($"{logs["time_s"]:F2}s ({rate:F0} samples/s)");
        return string.Join("  ", parts.Select(p => p.ToString(CultureInfo.InvariantCulture)));
    }

    /// <summary>Saves a resumable checkpoint (see remarks) to <paramref name="path"/>, atomically.</summary>
    /// <exception cref="InvalidOperationException">A weight or buffer holds NaN or ±∞: the file on disk is left as it was.</exception>
    public void SaveCheckpoint(string path)
    {
        if (NonFinite.First(Model.StateDict().Select(kv => (kv.Key, kv.Value))) is { } bad)
        {
            throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture,
                $"SaveCheckpoint: {bad.Name} holds {bad.Value} (element {bad.Index}); {path} is left as it was, the last good checkpoint"));
        }

        static JsonArray Gen(Generator g) => new(g.GetState().Select(w => (JsonNode)w.ToString(CultureInfo.InvariantCulture)).ToArray());
        var history = new JsonArray();
        foreach (var e in History.Epochs.Take(Epoch)) // completed epochs only (not a failed one)
        {
            var o = new JsonObject();
            foreach (var (k, v) in e)
            {
                o[k] = double.IsFinite(v) ? v : null;
            }

            history.Add(o);
        }

        var state = new JsonObject
        {
            ["epoch"] = Epoch,
            ["elapsed_s"] = ElapsedSeconds,
            ["reference_loss"] = ReferenceLoss,
            ["history"] = history,
            ["default_generator"] = TrackDefaultGenerator ? Gen(Generator.Default) : null,
            ["train_generator"] = TrainLoader is null ? null : Gen(TrainLoader.Generator),
            ["generators"] = new JsonArray(Generators.Select(g => (JsonNode)Gen(g)).ToArray()),
            ["callbacks"] = new JsonArray(Callbacks.Select(c => c.GetState()).ToArray()),
        };
        Checkpoint.Save(path, Model, Optimizer, new Dictionary<string, string> { [StateKey] = state.ToJsonString() });
    }

    /// <summary>
    /// Restores weights, optimizer and trainer state from a checkpoint written by <see cref="SaveCheckpoint"/>;
    /// the loader and callback states are applied when <see cref="Fit"/> starts.
    /// </summary>
    /// <exception cref="InvalidFileException">The file is corrupt, truncated, or not a training checkpoint for this model.</exception>
    public void LoadCheckpoint(string path)
    {
        var ckpt = Checkpoint.Load(path);
        var state = ckpt.TrainerState(StateKey); // checked field by field before anything is restored
        ckpt.Restore(Model, Optimizer);
        Epoch = state["epoch"]!.GetValue<int>();
        ElapsedSeconds = state["elapsed_s"]!.GetValue<double>();
        ReferenceLoss = state["reference_loss"]?.GetValue<double>();
        History = new History();
        foreach (var e in state["history"]!.AsArray())
        {
            History.Epochs.Add(e!.AsObject().ToDictionary(kv => kv.Key, kv => kv.Value?.GetValue<double>() ?? double.NaN));
        }

        if (TrackDefaultGenerator && state["default_generator"] is { } dg)
        {
            Generator.Default.SetState(Words(dg));
        }

        var gens = state["generators"]!.AsArray();
        for (int i = 0; i < Math.Min(gens.Count, Generators.Count); i++)
        {
            Generators[i].SetState(Words(gens[i]!));
        }

        pendingState = state;
    }

    private void ApplyPendingState(DataLoader train)
    {
        if (pendingState is null)
        {
            return;
        }

        if (pendingState["train_generator"] is { } tg)
        {
            train.Generator.SetState(Words(tg));
        }

        var cbs = pendingState["callbacks"]!.AsArray();
        for (int i = 0; i < Math.Min(cbs.Count, Callbacks.Count); i++)
        {
            if (cbs[i] is { } s)
            {
                Callbacks[i].SetState(s);
            }
        }

        pendingState = null;
    }

    private static ulong[] Words(JsonNode node) =>
        node.AsArray().Select(w => ulong.Parse(w!.GetValue<string>(), CultureInfo.InvariantCulture)).ToArray();
}
