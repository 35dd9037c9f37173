using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Nabla.Formats;
using Nabla.Optim;

namespace Nabla.Training;

/// <summary>
/// A hook into <see cref="Trainer.Fit"/> (Keras' <c>Callback</c>). Callbacks run in list order, except that
/// those with <see cref="RunsLast"/> (checkpoints) run after the others, so they save the others' updated state.
/// </summary>
public abstract class Callback
{
    /// <summary>True for callbacks that must see every other callback's end-of-epoch update (checkpointing).</summary>
    public virtual bool RunsLast => false;

    /// <summary>Called once when <see cref="Trainer.Fit"/> starts (after a resume, with the restored state).</summary>
    public virtual void OnTrainBegin(Trainer trainer)
    {
    }

    /// <summary>Called after each batch with its mean loss.</summary>
    public virtual void OnBatchEnd(Trainer trainer, int batch, double loss)
    {
    }

    /// <summary>Called after each epoch with its metrics (<c>loss</c>, <c>accuracy</c>, <c>val_*</c>, <c>lr</c>).</summary>
    public virtual void OnEpochEnd(Trainer trainer, int epoch, IReadOnlyDictionary<string, double> logs)
    {
    }

    /// <summary>Called once when training ends (normally, by early stopping or on NaN).</summary>
    public virtual void OnTrainEnd(Trainer trainer)
    {
    }

    /// <summary>The state to save in checkpoints (null if none).</summary>
    public virtual JsonNode? GetState() => null;

    /// <summary>Restores the state saved by <see cref="GetState"/>.</summary>
    /// <exception cref="InvalidFileException">A field of the saved state is missing or out of range.</exception>
    public virtual void SetState(JsonNode state)
    {
    }

    /// <summary>The integer <paramref name="key"/> of a saved state, in [<paramref name="min"/>, <paramref name="max"/>].</summary>
    protected static int StateInt(JsonNode state, string key, int min, int max) =>
        state[key] is JsonValue v && v.TryGetValue(out int i) && i >= min && i <= max
            ? i
            : throw new InvalidFileException(null, $"checkpoint callback state, key '{key}'", $"must be an integer from {min} to {max}");
}

/// <summary>
/// Stops training when a monitored metric has not improved by more than <c>minDelta</c> for <c>patience</c>
/// epochs, optionally restoring the best weights (Keras' <c>EarlyStopping</c>).
/// </summary>
/// <param name="monitor">The metric (<c>val_loss</c>, <c>val_accuracy</c>, <c>loss</c>...).</param>
/// <param name="patience">Epochs without improvement before stopping.</param>
/// <param name="minDelta">The smallest change that counts as an improvement.</param>
/// <param name="mode"><c>min</c>, <c>max</c> or <c>auto</c> (max for metrics whose name contains "acc").</param>
/// <param name="restoreBestWeights">Copy the best epoch's weights back into the model when stopping.</param>
public sealed class EarlyStopping(string monitor = "val_loss", int patience = 0, double minDelta = 0, string mode = "auto",
    bool restoreBestWeights = false) : Callback
{
    private readonly bool maximize = mode == "max" || (mode == "auto" && monitor.Contains("acc", StringComparison.Ordinal));
    private Dictionary<string, Tensor>? bestWeights;

    /// <summary>The best value seen.</summary>
    public double Best { get; private set; } = double.NaN;

    /// <summary>The epoch of <see cref="Best"/>.</summary>
    public int BestEpoch { get; private set; }

    /// <summary>Epochs since the last improvement.</summary>
    public int Wait { get; private set; }

    /// <summary>The epoch at which training was stopped, or 0.</summary>
    public int StoppedEpoch { get; private set; }

    /// <inheritdoc/>
    public override void OnEpochEnd(Trainer trainer, int epoch, IReadOnlyDictionary<string, double> logs)
    {
        if (!logs.TryGetValue(monitor, out double v) || double.IsNaN(v))
        {
            throw new InvalidOperationException($"EarlyStopping: the metric '{monitor}' is not logged (logged: {string.Join(", ", logs.Keys)})");
        }

        bool improved = double.IsNaN(Best) || (maximize ? v - minDelta > Best : v + minDelta < Best);
        if (improved)
        {
            (Best, BestEpoch, Wait) = (v, epoch, 0);
            if (restoreBestWeights)
            {
                bestWeights = trainer.Model.StateDict().ToDictionary(kv => kv.Key, kv => kv.Value.Detach().Clone());
            }

            return;
        }

        if (++Wait >= patience)
        {
            StoppedEpoch = epoch;
            trainer.StopTraining = true;
            if (restoreBestWeights && bestWeights is not null)
            {
                trainer.Model.LoadStateDict(bestWeights);
                trainer.Log?.WriteLine($"early stopping at epoch {epoch}: restored the weights of epoch {BestEpoch} ({monitor} {Best:G5})");
            }
            else
            {
                trainer.Log?.WriteLine($"early stopping at epoch {epoch}: no {monitor} improvement since epoch {BestEpoch}");
            }
        }
    }

    /// <inheritdoc/>
    public override JsonNode? GetState() => new JsonObject { ["best"] = double.IsNaN(Best) ? null : Best, ["best_epoch"] = BestEpoch, ["wait"] = Wait };

    /// <inheritdoc/>
    public override void SetState(JsonNode state)
    {
        Best = state["best"]?.GetValue<double>() ?? double.NaN;
        BestEpoch = StateInt(state, "best_epoch", 0, int.MaxValue);
        Wait = StateInt(state, "wait", 0, int.MaxValue);
    }
}

/// <summary>
/// Saves a resumable checkpoint (weights, optimizer and trainer state, one safetensors file, written atomically)
/// after every epoch, or only when the monitored metric improves.
/// </summary>
/// <param name="path">The checkpoint file.</param>
/// <param name="monitor">With <paramref name="saveBestOnly"/>, the metric that decides.</param>
/// <param name="saveBestOnly">Save only when <paramref name="monitor"/> improves.</param>
public sealed class ModelCheckpoint(string path, string monitor = "val_loss", bool saveBestOnly = false) : Callback
{
    private double best = double.NaN;

    /// <summary>The checkpoint file.</summary>
    public string Path { get; } = path;

    /// <inheritdoc/>
    public override bool RunsLast => true;

    /// <inheritdoc/>
    public override void OnEpochEnd(Trainer trainer, int epoch, IReadOnlyDictionary<string, double> logs)
    {
        if (saveBestOnly)
        {
            bool max = monitor.Contains("acc", StringComparison.Ordinal);
            double v = logs.GetValueOrDefault(monitor, double.NaN);
            if (double.IsNaN(v) || (!double.IsNaN(best) && (max ? v <= best : v >= best)))
            {
                return;
            }

            best = v;
        }

        trainer.SaveCheckpoint(Path);
    }
}

/// <summary>Steps an epoch-based <see cref="LRScheduler"/> after every epoch (its position is saved in checkpoints).</summary>
public sealed class LRSchedulerCallback(LRScheduler scheduler) : Callback
{
    /// <inheritdoc/>
    public override void OnEpochEnd(Trainer trainer, int epoch, IReadOnlyDictionary<string, double> logs) => scheduler.Step();

    /// <inheritdoc/>
    public override JsonNode? GetState() => new JsonObject { ["last_epoch"] = scheduler.LastEpoch };

    /// <inheritdoc/>
    public override void SetState(JsonNode state)
    {
        // Replaying the schedule costs one step per epoch: refuse a position no real run reaches.
        int target = StateInt(state, "last_epoch", -1, scheduler.LastEpoch + 1_000_000);
        scheduler.FastForward(target);
    }
}

/// <summary>Writes the history as CSV after every epoch (the whole file, atomically, so it always matches the checkpoint).</summary>
public sealed class CsvLogger(string path) : Callback
{
    /// <inheritdoc/>
    public override void OnEpochEnd(Trainer trainer, int epoch, IReadOnlyDictionary<string, double> logs) => Write(trainer.History, path);

    /// <summary>Writes <paramref name="history"/> to <paramref name="path"/> as CSV (header: the metric names).</summary>
    public static void Write(History history, string path)
    {
        var keys = history.Keys;
        var sb = new StringBuilder(string.Join(',', keys)).Append('\n');
        foreach (var e in history.Epochs)
        {
            sb.AppendJoin(',', keys.Select(k => e.TryGetValue(k, out var v) ? v.ToString("R", CultureInfo.InvariantCulture) : ""))
                .Append('\n');
        }

        AtomicFile.WriteText(path, sb.ToString());
    }
}

/// <summary>
/// Stops training as soon as a batch loss is NaN or infinite (Keras' <c>TerminateOnNaN</c>). <see cref="Trainer.Fit"/>
/// now does this itself, before the step and with the op named (<see cref="Trainer.Failure"/>); the callback is kept
/// for code written against Keras' API and only fires for a NaN the trainer's rules let through.
/// </summary>
public sealed class TerminateOnNaN : Callback
{
    /// <inheritdoc/>
    public override void OnBatchEnd(Trainer trainer, int batch, double loss)
    {
        if (!double.IsFinite(loss) && !trainer.StopTraining)
        {
            trainer.StopTraining = true;
            trainer.StoppedOnNaN = true;
            trainer.Log?.WriteLine($"batch {batch}: loss is {loss}, stopping training");
        }
    }
}

/// <summary>Calls a delegate after every epoch (for reporting, e.g. JSON lines).</summary>
public sealed class LambdaCallback(Action<Trainer, int, IReadOnlyDictionary<string, double>> onEpochEnd) : Callback
{
    /// <inheritdoc/>
    public override void OnEpochEnd(Trainer trainer, int epoch, IReadOnlyDictionary<string, double> logs) => onEpochEnd(trainer, epoch, logs);
}
