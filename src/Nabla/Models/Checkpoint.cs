using System.Globalization;
using System.Text.Json.Nodes;
using Nabla.Formats;
using Nabla.NN;
using Nabla.Optim;

namespace Nabla.Models;

/// <summary>
/// A training checkpoint in one safetensors file: the model's state dict under PyTorch's names (so
/// <c>safetensors.torch.load_file</c> + <c>load_state_dict(strict=False)</c> reads it), the optimizer's per-parameter
/// state under <c>optimizer/&lt;param&gt;/&lt;key&gt;</c>, and the hyper-parameters and any caller state (the
/// trainer's epoch, history and random-generator states) as JSON in <c>__metadata__</c>.
/// </summary>
/// <remarks>
/// Everything needed to resume lives in the one file, written atomically (<see cref="AtomicFile"/>), so a
/// checkpoint is always either the previous one or the new one, never a mixture or a partial file.
/// </remarks>
public sealed partial class Checkpoint
{
    /// <summary>The prefix of optimizer-state tensor names.</summary>
    public const string OptimizerPrefix = "optimizer/";

    private Checkpoint(string source, SafetensorsFile file)
    {
        Source = source;
        File = file;
    }

    /// <summary>Where the checkpoint was read from.</summary>
    public string Source { get; }

    /// <summary>The raw file contents.</summary>
    public SafetensorsFile File { get; }

    /// <summary>The model's state dict (names without the optimizer prefix).</summary>
    public Dictionary<string, Tensor> ModelState =>
        File.Tensors.Where(kv => !kv.Key.StartsWith(OptimizerPrefix, StringComparison.Ordinal)).ToDictionary(kv => kv.Key, kv => kv.Value);

    /// <summary>The caller's state saved under <paramref name="key"/> in the metadata, or null.</summary>
    public string? Extra(string key) => File.Metadata.GetValueOrDefault(key);

    /// <summary>Saves <paramref name="model"/>, the optimizer's state and <paramref name="extra"/> metadata atomically.</summary>
    public static void Save(string path, Module model, Optimizer? optimizer = null, IReadOnlyDictionary<string, string>? extra = null)
    {
        var tensors = new Dictionary<string, Tensor>(model.StateDict());
        var metadata = new Dictionary<string, string> { ["format"] = "pt" };
        if (optimizer is not null)
        {
            optimizer.CheckSavable();
            foreach (var (name, p) in model.NamedParameters())
            {
                if (optimizer.State.TryGetValue(p, out var state))
                {
                    foreach (var (k, t) in state)
                    {
                        tensors[$"{OptimizerPrefix}{name}/{k}"] = t;
                    }
                }
            }

            var groups = new JsonArray();
            foreach (var g in optimizer.ParamGroups)
            {
                var opts = new JsonObject();
                foreach (var (k, v) in g.Options)
                {
                    opts[k] = v;
                }

                groups.Add(new JsonObject { ["lr"] = g.Lr, ["initial_lr"] = g.InitialLr, ["options"] = opts });
            }

            metadata["nabla.optimizer"] = new JsonObject { ["type"] = optimizer.GetType().Name, ["param_groups"] = groups }.ToJsonString();
        }

        foreach (var (k, v) in extra ?? new Dictionary<string, string>())
        {
            metadata[k] = v;
        }

        Safetensors.Save(path, tensors, metadata);
    }

    /// <summary>Reads a checkpoint.</summary>
    /// <exception cref="InvalidFileException">The file is truncated or malformed (the message names it, the key and the problem).</exception>
    public static Checkpoint Load(string path) => new(path, Safetensors.Load(path));

    /// <summary>
    /// Copies the weights into <paramref name="model"/> and, if given, the state into <paramref name="optimizer"/>.
    /// Everything is checked first (weight names and shapes, the optimizer metadata, every state tensor against its
    /// parameter's shape and dtype), so a checkpoint that does not fit changes nothing.
    /// </summary>
    /// <param name="model">The model whose parameters and buffers receive the weights.</param>
    /// <param name="optimizer">The optimizer whose state is restored, or null for the weights only.</param>
    /// <param name="strict">As in <see cref="Module.LoadStateDict"/>: when false, missing and unexpected weights are skipped.</param>
    /// <returns>The weights that were missing from the checkpoint and the ones the model does not have.</returns>
    /// <exception cref="InvalidFileException">
    /// The checkpoint does not fit the model (one line per missing, unexpected or mis-shaped key) or the optimizer,
    /// or its metadata is malformed.
    /// </exception>
    public IncompatibleKeys Restore(Module model, Optimizer? optimizer = null, bool strict = true)
    {
        if (optimizer is not null)
        {
            ValidateOptimizer(model, optimizer, strict);
        }

        var weights = ModelState;
        if (StateDictLoad.Compare(model.StateDict(), weights, strict).Problem is { } problem)
        {
            throw new InvalidFileException(Source, null, $"the checkpoint does not fit the model {problem}");
        }

        var result = model.LoadStateDict(weights, strict);
        if (optimizer is null)
        {
            return result;
        }

        if (File.Metadata.TryGetValue("nabla.optimizer", out var json))
        {
            var groups = JsonNode.Parse(json)!["param_groups"]!.AsArray();
            for (int i = 0; i < groups.Count; i++)
            {
                optimizer.ParamGroups[i].Lr = groups[i]!["lr"]!.GetValue<double>();
            }
        }

        optimizer.State.Clear();
        foreach (var (name, p) in model.NamedParameters())
        {
            string prefix = $"{OptimizerPrefix}{name}/";
            var state = File.Tensors.Where(kv => kv.Key.StartsWith(prefix, StringComparison.Ordinal) && !kv.Key[prefix.Length..].Contains('/')).ToList();
            if (state.Count > 0)
            {
                optimizer.State[p] = state.ToDictionary(kv => kv.Key[prefix.Length..], kv => kv.Value);
            }
        }

        return result;
    }

    /// <summary>Formats a number for metadata without loss (round-trip "R" format).</summary>
    public static string Number(double v) => v.ToString("R", CultureInfo.InvariantCulture);
}
