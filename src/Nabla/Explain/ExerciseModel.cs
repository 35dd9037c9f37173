using Nabla.Formats;
using Nabla.Models;
using Nabla.NN;
using Nabla.Optim;

namespace Nabla.Explain;

/// <summary>Where a model's weights come from: a seeded default initialisation, a safetensors file, inline tensors (these win).</summary>
/// <param name="InitSeed">The seed of PyTorch-style default initialisation of every parameter, or null.</param>
/// <param name="File">A safetensors file (its real path, confined by <see cref="ConfinedFolder"/>) with state-dict names, or null.</param>
/// <param name="Inline">Tensors given by state-dict name (<c>0.weight</c>) or layer label (<c>C1.weight</c>).</param>
/// <param name="Node">The <c>weights:</c> node, for errors.</param>
internal sealed record WeightsSpec(long? InitSeed, string? File, IReadOnlyList<(GivenValue Value, YamlScalar Key)> Inline, YamlNode Node);

/// <summary>The loss of a model run: a loss of <see cref="LossRegistry"/> by name (as written), with its reduction and options.</summary>
/// <param name="Type">The name as the exercise writes it (<c>cross_entropy</c>, <c>MSELoss</c>).</param>
/// <param name="Reduction">Mean or sum: one number to differentiate.</param>
/// <param name="Entry">The registry's entry.</param>
/// <param name="Module">The loss, built with the options.</param>
/// <param name="Node">The <c>loss:</c> node, for errors.</param>
internal sealed record LossSpec(string Type, Reduction Reduction, LossEntry Entry, Loss Module, YamlNode Node)
{
    /// <summary>The losses a run may use: those of one output and one target, by PyTorch's functional names.</summary>
    public static IReadOnlyList<string> Types { get; } = [.. LossRegistry.All.Where(e => e.Inputs.Count == 2).Select(e => e.Functional)];

    /// <summary>Whether the target holds class indices (else a tensor shaped like the output).</summary>
    public bool ClassTarget => Entry.ClassTarget;

    /// <summary>The loss of the model's output against the target.</summary>
    public Tensor Apply(Tensor output, Tensor target) => Entry.Call(Module, [output, target]);
}

/// <summary>A value of a run: a given value named by <paramref name="Reference"/>, or an <paramref name="Inline"/> one.</summary>
internal sealed record RunValue(string? Reference, GivenValue? Inline, YamlNode Node);

/// <summary>What to run through a model: the input, and optionally a target with a loss and an optimizer step.</summary>
/// <param name="Input">The input tensor (one sample of the model's input shape, or a batch).</param>
/// <param name="Target">Class indices (cross_entropy, nll) or a tensor shaped like the output; null without a loss.</param>
/// <param name="Loss">The loss, or null for a forward pass only.</param>
/// <param name="Optimizer">An optimizer step on all parameters, or null.</param>
/// <param name="Train">Training mode (PyTorch's default) or evaluation mode.</param>
/// <param name="Seed">The seed of the generator lent to the run (<see cref="Generator.Use"/>): dropout masks draw from it.</param>
/// <param name="Node">The <c>run:</c> node, for errors.</param>
internal sealed record ModelRunSpec(RunValue Input, RunValue? Target, LossSpec? Loss, OptimizerSpec? Optimizer, bool Train, long Seed, YamlNode Node);

/// <summary>
/// A layer model of an exercise (the model-file format, inline or <c>file:</c>), with optional <c>weights:</c> and
/// <c>run:</c> that execute it on an input (see docs/explain.md).
/// </summary>
internal sealed record ExerciseModel(string Name, ModelDefinition Definition, YamlNode Node, WeightsSpec? Weights, ModelRunSpec? Run)
{
    private static readonly string[] ExtraKeys = ["file", "weights", "run"];
    private static readonly string[] RunKeys = ["input", "target", "loss", "optimizer", "mode", "seed"];

    public static ExerciseModel Read(string name, YamlNode node, ConfinedFolder folder)
    {
        if (node is not YamlMapping m)
        {
            throw new YamlException($"model '{name}' is a mapping: input and layers (the model-file format), or file: a model file; found {node.Describe()}", node);
        }

        var modelEntries = m.Entries.Where(e => !ExtraKeys.Contains(e.Key.Value)).ToList();
        ModelDefinition def;
        if (m["file"] is { } fileNode)
        {
            var other = modelEntries.FirstOrDefault(e => e.Key.Value != "input");
            if (other.Key is not null)
            {
                throw new YamlException($"model '{name}': with 'file:' the layers come from the file; '{other.Key.Value}' is not allowed here (only input: to override the input shape)", other.Key);
            }

            string file = Exercise.Str(fileNode) ?? throw new YamlException($"model '{name}': file needs a path", fileNode);
            try
            {
                def = ModelFile.Parse(ConfinedFolder.Decode(folder.ReadAllBytes(file)), file);
            }
            catch (InvalidFileException e)
            {
                throw new YamlException($"model '{name}': {e.Message}", fileNode);
            }

            if (m["input"] is { } inputNode)
            {
                var dims = Exercise.ShapeOf(inputNode);
                def = def with { InputShape = dims.All(d => d > 0) ? new Shape(dims) : throw new YamlException($"model '{name}': input sizes must be positive", inputNode) };
            }
        }
        else
        {
            def = ModelFileReader.Read(new YamlMapping(modelEntries, m.Line, m.Column));
        }

        var weights = m["weights"] is { } w ? ReadWeights(name, w, folder) : null;
        var run = m["run"] is { } r ? ReadRun(name, r, folder) : null;
        if (weights is not null && run is null)
        {
            throw new YamlException($"model '{name}': weights are given but nothing runs the model; add 'run: {{input: ...}}'", m["weights"]!);
        }

        return new ExerciseModel(name, def, node, weights, run);
    }

    private static WeightsSpec ReadWeights(string model, YamlNode node, ConfinedFolder folder)
    {
        if (node is not YamlMapping m)
        {
            throw new YamlException($"model '{model}': weights is a mapping: {{init: {{seed: 0}}}}, {{file: weights.safetensors}} and/or tensors by name (\"C1.bias\": [...])", node);
        }

        long? seed = null;
        string? file = null;
        var inline = new List<(GivenValue, YamlScalar)>();
        foreach (var (k, v) in m.Entries)
        {
            switch (k.Value)
            {
                case "init":
                    seed = v is YamlMapping im && im["seed"] is YamlScalar s && s.TryGetInt64(out var sv) && im.Entries.Count == 1 ? sv
                        : throw new YamlException($"model '{model}': init is {{seed: N}} (PyTorch's default initialisation of every parameter, from a seeded generator)", v);
                    break;
                case "file":
                    string written = Exercise.Str(v) ?? throw new YamlException($"model '{model}': weights file needs a path", v);
                    try
                    {
                        file = folder.Resolve(written);
                    }
                    catch (InvalidFileException e)
                    {
                        throw new YamlException($"model '{model}': weights: {e.Message}", v);
                    }

                    break;
                default:
                    inline.Add((Exercise.ReadGiven(k.Value, v, folder), k));
                    break;
            }
        }

        return new WeightsSpec(seed, file, inline, node);
    }

    private static ModelRunSpec ReadRun(string model, YamlNode node, ConfinedFolder folder)
    {
        if (node is not YamlMapping m || m["input"] is not { } inputNode)
        {
            throw new YamlException($"model '{model}': run needs at least 'input:' (a given name, a tensor, {{png: file}} or {{formula: ...}})", node);
        }

        foreach (var (k, _) in m.Entries.Where(e => !RunKeys.Contains(e.Key.Value)))
        {
            throw new YamlException($"model '{model}': run has no key '{k.Value}'{DidYouMean.Suggest(k.Value, RunKeys)} (keys: {string.Join(", ", RunKeys)})", k);
        }

        var loss = m["loss"] is { } ln ? ReadLoss(ln) : null;
        if ((loss is null) != (m["target"] is null))
        {
            throw new YamlException($"model '{model}': a loss needs a target and a target needs a loss (loss: cross_entropy, target: 7)", node);
        }

        var optimizer = m["optimizer"] is { } on
            ? (on is YamlMapping om ? Exercise.ReadOptimizer(om, []) : throw new YamlException("optimizer is {type: SGD, lr: 0.1}", on))
            : null;
        if (optimizer is not null && loss is null)
        {
            throw new YamlException($"model '{model}': an optimizer step needs a loss", m["optimizer"]!);
        }

        string mode = Exercise.Str(m["mode"]) ?? "train";
        if (mode is not ("train" or "eval"))
        {
            throw new YamlException($"mode is train (PyTorch's default: dropout active, batch statistics) or eval, not '{mode}'", m["mode"]!);
        }

        long seed = m["seed"] is YamlScalar ss && ss.TryGetInt64(out var sv) ? sv : 0;
        var target = m["target"] is { } tn ? Value(tn, $"{model}.target", folder) : null;
        return new ModelRunSpec(Value(inputNode, $"{model}.input", folder), target, loss, optimizer, mode == "train", seed, node);
    }

    /// <summary>
    /// <c>loss: cross_entropy</c>, or <c>{type: huber_loss, reduction: sum, delta: 0.5}</c>: a loss of one output and one
    /// target from <see cref="LossRegistry"/>, with its options as PyTorch names them; the reduction is mean or sum.
    /// </summary>
    private static LossSpec ReadLoss(YamlNode ln)
    {
        var lm = ln as YamlMapping;
        string type = (lm is null ? Exercise.Str(ln) : Exercise.Str(lm["type"])) ?? throw new YamlException("loss is a name (cross_entropy) or {type: mse, reduction: sum}", ln);
        if (LossRegistry.TryFind(type) is not { Inputs.Count: 2 } entry)
        {
            throw new YamlException($"unknown loss '{type}'{DidYouMean.Suggest(type, LossSpec.Types)} (losses: {string.Join(", ", LossSpec.Types)})", ln);
        }

        string reduction = Exercise.Str(lm?["reduction"]) ?? "mean";
        if (reduction is not ("mean" or "sum"))
        {
            throw new YamlException($"reduction must be mean or sum (one number to differentiate), not '{reduction}'", lm!["reduction"]!);
        }

        var args = new Dictionary<string, string>(StringComparer.Ordinal) { ["reduction"] = reduction };
        foreach (var (k, v) in lm?.Entries.Where(e => e.Key.Value is not ("type" or "reduction")) ?? [])
        {
            args[k.Value] = Exercise.Str(v) ?? throw new YamlException($"loss option '{k.Value}' is a number or a word", v);
        }

        try
        {
            return new LossSpec(type, reduction == "sum" ? Reduction.Sum : Reduction.Mean, entry, LossRegistry.Create(entry.Name, args), ln);
        }
        catch (ArgumentException e)
        {
            throw new YamlException($"loss: {e.Message}", ln);
        }
    }

    /// <summary>A reference to a given value by name (a word), or an inline value (a number, list, {png: ..}, {formula: ..}).</summary>
    private static RunValue Value(YamlNode node, string what, ConfinedFolder folder) =>
        node is YamlScalar { Quoted: false, IsNull: false } s && !s.TryGetDouble(out _)
            ? new RunValue(s.Value, null, node)
            : new RunValue(null, Exercise.ReadGiven(what, node, folder), node);
}
