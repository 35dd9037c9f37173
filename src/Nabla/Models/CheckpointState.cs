using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Nabla.Formats;
using Nabla.NN;
using Nabla.Optim;

namespace Nabla.Models;

/// <summary>
/// The checks of a checkpoint's metadata and optimizer state, done before anything is restored: every field the
/// restore code reads has the type and range it expects, and every optimizer-state tensor matches its parameter,
/// so an edited or hostile checkpoint fails with one <see cref="InvalidFileException"/> naming the file and the key.
/// </summary>
public sealed partial class Checkpoint
{
    /// <summary>
    /// The trainer state saved under metadata <paramref name="key"/>, checked against the layout
    /// <c>Trainer.SaveCheckpoint</c> writes: <c>epoch</c> (integer ≥ 0), <c>elapsed_s</c> (finite ≥ 0),
    /// <c>history</c> (objects of numbers or nulls), the generator states (six 64-bit words as decimal strings, or
    /// null), <c>generators</c> (a list of them) and <c>callbacks</c> (objects of numbers or nulls, or null).
    /// </summary>
    /// <exception cref="InvalidFileException">The key is absent, not JSON, or a field breaks the layout.</exception>
    public JsonObject TrainerState(string key)
    {
        string json = Extra(key) ?? throw new InvalidFileException(Source, null,
            $"not a training checkpoint (no '{key}' metadata); load weights with Checkpoint.Load(...).Restore(model)");
        var o = ParseObject(json, key);
        string At(string field) => $"metadata '{key}', key '{field}'";
        Number(o, "epoch", At("epoch"), 0, int.MaxValue, integer: true);
        Number(o, "elapsed_s", At("elapsed_s"), 0, double.MaxValue, integer: false);
        foreach (var (e, i) in Array(o, "history", At("history")).Select((e, i) => (e, i)))
        {
            Numbers(e, $"{At("history")}, epoch {i}");
        }

        Words(o["default_generator"], At("default_generator"), nullable: true);
        Words(o["train_generator"], At("train_generator"), nullable: true);
        foreach (var (g, i) in Array(o, "generators", At("generators")).Select((g, i) => (g, i)))
        {
            Words(g, $"{At("generators")}, entry {i}", nullable: false);
        }

        foreach (var (c, i) in Array(o, "callbacks", At("callbacks")).Select((c, i) => (c, i)))
        {
            if (c is not null)
            {
                Numbers(c, $"{At("callbacks")}, entry {i}");
            }
        }

        return o;
    }

    /// <summary>Checks the optimizer metadata and state tensors against <paramref name="model"/> and <paramref name="optimizer"/>.</summary>
    private void ValidateOptimizer(Module model, Optimizer optimizer, bool strict)
    {
        const string key = "nabla.optimizer";
        if (File.Metadata.TryGetValue(key, out var json))
        {
            var o = ParseObject(json, key);
            string type = o["type"] is JsonValue tv && tv.GetValueKind() == JsonValueKind.String ? tv.GetValue<string>()
                : throw new InvalidFileException(Source, $"metadata '{key}', key 'type'", "must be a string");
            if (type != optimizer.GetType().Name)
            {
                throw new InvalidFileException(Source, $"metadata '{key}', key 'type'",
                    $"the checkpoint holds {InvalidFileException.Quote(type)} state but the optimizer is {optimizer.GetType().Name}");
            }

            var groups = Array(o, "param_groups", $"metadata '{key}', key 'param_groups'");
            if (groups.Count != optimizer.ParamGroups.Count)
            {
                throw new InvalidFileException(Source, $"metadata '{key}', key 'param_groups'",
                    $"{groups.Count} parameter groups saved, the optimizer has {optimizer.ParamGroups.Count}");
            }

            for (int i = 0; i < groups.Count; i++)
            {
                string at = $"metadata '{key}', param_groups[{i}]";
                var g = groups[i] as JsonObject ?? throw new InvalidFileException(Source, at, "must be an object");
                Number(g, "lr", at + ", key 'lr'", 0, double.MaxValue, integer: false);
            }
        }

        var owners = model.NamedParameters().ToDictionary(kv => kv.Name, kv => kv.Parameter);
        foreach (var (name, t) in File.Tensors.Where(kv => kv.Key.StartsWith(OptimizerPrefix, StringComparison.Ordinal)))
        {
            string rest = name[OptimizerPrefix.Length..];
            int slash = rest.LastIndexOf('/');
            string at = $"tensor {InvalidFileException.Quote(name)}";
            if (slash < 0 || !owners.TryGetValue(rest[..slash], out var p))
            {
                if (strict)
                {
                    throw new InvalidFileException(Source, at, "optimizer state for a parameter the model does not have");
                }

                continue;
            }

            StateTensor(rest[(slash + 1)..], t, p, at, optimizer.ScalarStateKeys);
        }
    }

    /// <summary>
    /// A state tensor: <c>step</c> a scalar count, the optimizer's other scalar entries (NAdam's <c>mu_product</c>,
    /// ASGD's <c>eta</c> and <c>mu</c>) one finite number, anything else the parameter's shape and dtype.
    /// </summary>
    private void StateTensor(string key, Tensor t, Tensor p, string at, IReadOnlySet<string> scalars)
    {
        if (key != "step" && scalars.Contains(key))
        {
            if (!(t.Numel == 1 && t.DType is DType.Float64 or DType.Float32 && double.IsFinite(t.Item())))
            {
                throw new InvalidFileException(Source, at, $"the optimizer's '{key}' must be one finite number, found shape {t.Shape} of {t.DType}");
            }

            return;
        }

        if (key == "step")
        {
            double s = t.Numel == 1 && t.DType is DType.Float64 or DType.Float32 or DType.Int64 ? t.Item() : double.NaN;
            if (!(s >= 0 && s <= int.MaxValue && s == Math.Floor(s)))
            {
                throw new InvalidFileException(Source, at, $"the step count must be one integer from 0 to {int.MaxValue}, found shape {t.Shape} of {t.DType}");
            }
        }
        else if (t.Shape != p.Shape || t.DType != p.DType)
        {
            throw new InvalidFileException(Source, at, $"optimizer state of shape {t.Shape} {t.DType}, but the parameter is {p.Shape} {p.DType}");
        }
    }

    private JsonObject ParseObject(string json, string key)
    {
        // Checked whole first: JsonNode reports duplicate keys and unpaired surrogates only when a value is read.
        using (StrictJson.Parse(json, Source, $"metadata '{key}'"))
        {
        }

        return JsonNode.Parse(json) as JsonObject ?? throw new InvalidFileException(Source, $"metadata '{key}'", "must be a JSON object");
    }

    private JsonArray Array(JsonObject o, string field, string at) =>
        o[field] as JsonArray ?? throw new InvalidFileException(Source, at, "must be a list");

    private void Number(JsonObject o, string field, string at, double min, double max, bool integer)
    {
        var jv = o[field] as JsonValue;
        double v = integer ? (jv is not null && jv.TryGetValue(out int i) ? i : double.NaN) : (jv is not null && jv.TryGetValue(out double d) ? d : double.NaN);
        if (!(v >= min && v <= max))
        {
            throw new InvalidFileException(Source, at, $"must be {(integer ? "an integer" : "a number")} from {min} to {max.ToString("G3", CultureInfo.InvariantCulture)}");
        }
    }

    /// <summary>An object whose values are all numbers or null (a history entry, a callback's state).</summary>
    private void Numbers(JsonNode? node, string at)
    {
        var o = node as JsonObject ?? throw new InvalidFileException(Source, at, "must be an object of numbers");
        foreach (var (k, v) in o)
        {
            if (v is not null && !(v is JsonValue jv && jv.GetValueKind() == JsonValueKind.Number && jv.TryGetValue(out double d) && double.IsFinite(d)))
            {
                throw new InvalidFileException(Source, $"{at}, key {InvalidFileException.Quote(k)}", "must be a finite number or null");
            }
        }
    }

    /// <summary>A random-generator state: six unsigned 64-bit words as decimal strings.</summary>
    private void Words(JsonNode? node, string at, bool nullable)
    {
        if (node is null && nullable)
        {
            return;
        }

        bool ok = node is JsonArray { Count: 6 } a && a.All(w => w is JsonValue v && v.GetValueKind() == JsonValueKind.String
            && ulong.TryParse(v.GetValue<string>(), NumberStyles.None, CultureInfo.InvariantCulture, out _));
        if (!ok)
        {
            throw new InvalidFileException(Source, at, "a generator state must be a list of 6 unsigned 64-bit integers written as strings");
        }
    }
}
