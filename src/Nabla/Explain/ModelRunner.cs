using Nabla.Analysis;
using Nabla.Formats;
using Nabla.Models;
using Nabla.NN;
using Nabla.Optim;

namespace Nabla.Explain;

/// <summary>One parameter of a layer in a run: value before, gradient, value after the optimizer step and its state.</summary>
/// <param name="Name">The name with the layer's label (<c>C1.weight</c>).</param>
/// <param name="Local">The name inside the layer (<c>weight</c>).</param>
/// <param name="Live">The module's parameter tensor itself (the optimizer updates it).</param>
/// <param name="Value">A copy of the value the forward pass used.</param>
internal sealed record ParamStep(string Name, string Local, Tensor Live, Tensor Value)
{
    public Tensor? Grad { get; set; }

    public Tensor? After { get; set; }

    public Dictionary<string, Tensor> State { get; } = new(StringComparer.Ordinal);
}

/// <summary>One top-level layer of a run: what it computes, on what, and what came out (and back).</summary>
internal sealed record LayerStep(int Index, string Label, string Type, string Formula, Tensor Input, Tensor Output, IReadOnlyList<string> Ops, IReadOnlyList<ParamStep> Params)
{
    /// <summary>dL/d(output), after the backward pass.</summary>
    public Tensor? GradOutput { get; set; }
}

/// <summary>One parameter in one optimizer step of a run: before, the gradient the step used, after, the optimizer's state after.</summary>
internal sealed record ParamUpdate(ParamStep Param, Tensor Before, Tensor Grad, Tensor After, IReadOnlyDictionary<string, Tensor> State);

/// <summary>
/// One optimizer step of a run: the loss it started from, each parameter's update, and the forward pass again at the
/// parameters after it (every layer's output, the loss and the gradients there).
/// </summary>
internal sealed record RunStep(int Step, double LossBefore, IReadOnlyList<ParamUpdate> Params, IReadOnlyList<Tensor> Outputs, double Loss, IReadOnlyList<Tensor> Grads);

/// <summary>A model executed on an input: per layer outputs, and with a loss the gradients and an optimizer step.</summary>
internal sealed class ModelRun
{
    public required ExerciseModel Model { get; init; }

    public required Tensor Input { get; init; }

    public required string Weights { get; init; }

    public List<LayerStep> Layers { get; } = [];

    public Tensor Output => Layers.Count > 0 ? Layers[^1].Output : Input;

    public Tensor? Target { get; set; }

    public double? Loss { get; set; }

    public List<double> StepLosses { get; } = [];

    public double? LossAfter { get; set; }

    /// <summary>The optimizer steps, each with the forward pass at the parameters after it.</summary>
    public List<RunStep> Steps { get; } = [];

    public string Name => Model.Name;

    public ModelRunSpec Spec => Model.Run!;
}

/// <summary>
/// Runs an exercise's layer model for real: builds the modules from the model file (<see cref="LayerRegistry"/>),
/// converts them to Float64, loads the given weights, runs every top-level layer inside a <see cref="Trace"/> group,
/// applies the loss, differentiates with <see cref="Autograd.Grad"/> and steps the real optimizer from <see cref="OptimizerRegistry"/>.
/// </summary>
internal static class ModelRunner
{
    /// <summary>The input as a batch, and the definition with its per-sample input shape (taken from the input when the model gives none).</summary>
    public static (ModelDefinition Definition, Tensor Batch) PrepareInput(ExerciseModel model, IReadOnlyDictionary<string, GivenValue> given)
    {
        var spec = model.Run!;
        var value = Resolve(spec.Input, given, "input");
        var x = Tensor.FromArray(value.Values, new Shape(value.Shape));
        int[] s = value.Shape;
        if (model.Definition.InputShape is not Shape shape)
        {
            return (model.Definition with { InputShape = new Shape(s) }, x.Unsqueeze(0));
        }

        int[] p = shape.ToArray();
        if (s.SequenceEqual(p))
        {
            return (model.Definition, x.Unsqueeze(0));
        }

        if (s.Length == p.Length + 1 && s.AsSpan(1).SequenceEqual(p))
        {
            return (model.Definition, x);
        }

        if (p.Length > 1 && p[0] == 1 && s.AsSpan().SequenceEqual(p.AsSpan(1)))
        {
            return (model.Definition, x.Reshape(new Shape([1, .. p])));
        }

        throw new YamlException($"model '{model.Name}': the input has shape {new Shape(s)}, the model expects {shape} per sample (or [N, {string.Join(", ", p)}] for a batch)", spec.Input.Node);
    }

    public static ModelRun Run(ExerciseModel model, ModelDefinition def, Tensor batch, IReadOnlyDictionary<string, GivenValue> given, Trace trace)
    {
        var spec = model.Run!;
        var (seq, labels, weights) = Build(model, def);
        var run = new ModelRun { Model = model, Input = batch, Weights = weights };
        seq.Train(spec.Train);
        // Dropout draws from the current generator: lend it one seeded for this run, on this thread only.
        using (Generator.Use(new Generator(spec.Seed)))
        {
            Forward(run, seq, labels, def, trace);
            if (spec.Loss is { } lossSpec)
            {
                run.Target = Target(run, lossSpec, Resolve(spec.Target!, given, "target"));
                var loss = Loss(lossSpec, run.Output, run.Target);
                run.Loss = loss.Item();
                Backward(run, loss);
                if (spec.Optimizer is { } opt)
                {
                    Optimize(run, seq, opt);
                }
            }
        }

        return run;
    }

    /// <summary>
    /// The named values of a run, for claims and equations, with the names each was computed from (for the checker's
    /// blame): <c>m.input</c>, <c>m.C1.weight</c>, <c>m.C1.output</c>, <c>m.output</c>, <c>m.loss</c>, <c>dL/dm.C1.output</c>,
    /// <c>dL/dm.C1.weight</c>, and after optimizer step k of n every one of them again with the step's suffix
    /// (<see cref="Explain.Steps"/>: <c>m.C1.weight@k</c>, <c>m.C1.output@k</c>, <c>m.loss@k</c>, <c>dL/dm.C1.weight@k</c>, <c>m.C1.weight.exp_avg@k</c>;
    /// <c>m.C1.weight'</c>, <c>m.loss'</c> after the last step).
    /// </summary>
    public static IEnumerable<NamedValue> Values(ModelRun run)
    {
        string m = run.Name;
        string Out(int i) => i < 0 ? $"{m}.input" : $"{m}.{run.Layers[i].Label}.output";
        string P(ParamStep p) => $"{m}.{p.Name}";
        static string G(string name) => $"dL/d{name}";
        int last = run.Layers.Count - 1;
        yield return new($"{m}.input", run.Input, [], "given");
        foreach (var l in run.Layers)
        {
            foreach (var p in l.Params)
            {
                yield return new(P(p), p.Value, [], "model");
            }

            yield return new(Out(l.Index), l.Output.Detach(), [Out(l.Index - 1), .. l.Params.Select(P)], "model");
        }

        yield return new($"{m}.output", run.Output.Detach(), [Out(last)], "model");
        if (run.Loss is not { } loss)
        {
            yield break;
        }

        yield return new($"{m}.loss", Tensor.Scalar(loss), [$"{m}.output"], "model");
        yield return new(G($"{m}.output"), run.Layers[^1].GradOutput!, [$"{m}.loss"], "gradient");
        for (int i = last; i >= 0; i--)
        {
            var l = run.Layers[i];
            yield return new(G(Out(i)), l.GradOutput!, i == last ? [$"{m}.loss"] : [G(Out(i + 1)), .. run.Layers[i + 1].Params.Select(P), Out(i)], "gradient");
            foreach (var p in l.Params)
            {
                yield return new(G(P(p)), p.Grad!, [G(Out(i)), Out(i - 1)], "gradient");
            }
        }

        int n = run.Steps.Count;
        string At(string name, int k) => Explain.Steps.Name(name, k, n);
        foreach (var s in run.Steps)
        {
            int k = s.Step;
            foreach (var u in s.Params)
            {
                string p = P(u.Param);
                var stateNames = u.State.Keys.Select(key => At($"{p}.{key}", k)).ToList();
                foreach (var (key, v) in u.State)
                {
                    yield return new(At($"{p}.{key}", k), v, k > 1 ? [At($"{p}.{key}", k - 1), At(G(p), k - 1)] : [G(p)], "update");
                }

                yield return new(At(p, k), u.After, [At(p, k - 1), At(G(p), k - 1), .. stateNames], "update");
            }

            string OutK(int i) => i < 0 ? $"{m}.input" : At(Out(i), k);
            for (int i = 0; i <= last; i++)
            {
                yield return new(OutK(i), s.Outputs[i], [OutK(i - 1), .. run.Layers[i].Params.Select(p => At(P(p), k))], "model");
            }

            yield return new(At($"{m}.output", k), last >= 0 ? s.Outputs[last] : run.Input, [OutK(last)], "model");
            yield return new(At($"{m}.loss", k), Tensor.Scalar(s.Loss), [At($"{m}.output", k)], "model");
            var ps = run.Layers.SelectMany(l => l.Params.Select(p => (Layer: l.Index, P: p))).ToList();
            for (int j = 0; j < ps.Count; j++)
            {
                yield return new(At(G(P(ps[j].P)), k), s.Grads[j], [At($"{m}.loss", k), OutK(ps[j].Layer - 1)], "gradient");
            }
        }
    }

    private static GivenValue Resolve(RunValue v, IReadOnlyDictionary<string, GivenValue> given, string what) =>
        v.Inline ?? given.GetValueOrDefault(v.Reference!)
        ?? throw new YamlException($"the {what} '{v.Reference}' is not a given value{DidYouMean.Suggest(v.Reference!, given.Keys)}", v.Node);

    private static (Sequential Seq, string[] Labels, string Weights) Build(ExerciseModel model, ModelDefinition def)
    {
        Module module;
        try
        {
            module = def.Build(new Generator(model.Weights?.InitSeed ?? 0));
        }
        catch (ModelShapeException e)
        {
            throw new YamlException($"model '{model.Name}': {e.Message}", model.Node);
        }

        var seq = module as Sequential ?? new Sequential(module);
        var specs = def.Model.Type == "Sequential" ? def.Model.Layers : [def.Model];
        var labels = specs.Select((s, i) => s.Name ?? i.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        seq.To(DType.Float64);
        return (seq, labels, LoadWeights(model, seq, labels));
    }

    private static string LoadWeights(ExerciseModel model, Sequential seq, string[] labels)
    {
        var w = model.Weights;
        var state = seq.StateDict();
        var display = state.Keys.ToDictionary(k => k, k => Display(k, labels), StringComparer.Ordinal);
        var loaded = new HashSet<string>(StringComparer.Ordinal);
        string? StateName(string key)
        {
            if (state.ContainsKey(key))
            {
                return key;
            }

            int dot = key.IndexOf('.', StringComparison.Ordinal);
            int index = dot > 0 ? Array.IndexOf(labels, key[..dot]) : -1;
            return index >= 0 && state.ContainsKey($"{index}{key[dot..]}") ? $"{index}{key[dot..]}" : null;
        }

        string Known() => string.Join(", ", seq.NamedParameters().Select(p => $"{display[p.Name]} {p.Parameter.Shape}"));
        void Copy(string key, Tensor value, YamlNode at)
        {
            string name = StateName(key) ?? throw new YamlException(
                $"model '{model.Name}' has no parameter or buffer '{key}'{DidYouMean.Suggest(key, display.Values)} (parameters: {Known()})", at);
            var target = state[name];
            if (value.Numel != target.Numel || (value.Shape != target.Shape && value.Rank != 1))
            {
                throw new YamlException($"'{key}' of model '{model.Name}' has shape {target.Shape} ({target.Numel} values); the value given has shape {value.Shape} ({value.Numel} values)", at);
            }

            using (GradMode.NoGrad())
            {
                target.CopyInPlace(value.To(target.DType).Reshape(target.Shape));
            }

            loaded.Add(name);
        }

        var sources = new List<string>();
        if (w?.InitSeed is long seed)
        {
            sources.Add($"PyTorch's default initialisation, seed {seed}");
        }

        if (w?.File is { } file)
        {
            Dictionary<string, Tensor> tensors;
            try
            {
                tensors = Safetensors.Deserialize(ConfinedFolder.ReadFile(file), file).Tensors;
            }
            catch (Exception e) when (e is IOException or InvalidDataException or FormatException or UnauthorizedAccessException or ArgumentException)
            {
                throw new YamlException($"model '{model.Name}': cannot read the weights file: {e.Message}", w.Node);
            }

            foreach (var (k, t) in tensors)
            {
                Copy(k, t, w.Node);
            }

            sources.Add($"the file {Path.GetFileName(file)}");
        }

        foreach (var (value, key) in w?.Inline ?? [])
        {
            Copy(value.Name, Tensor.FromArray(value.Values, new Shape(value.Shape)), key);
        }

        if (w?.Inline.Count > 0)
        {
            sources.Add($"given values ({string.Join(", ", w.Inline.Select(i => i.Value.Name))})");
        }

        var missing = seq.NamedParameters().Where(p => !loaded.Contains(p.Name)).ToList();
        if (w?.InitSeed is null && missing.Count > 0)
        {
            throw new YamlException($"model '{model.Name}': no weights for {string.Join(", ", missing.Select(p => $"{display[p.Name]} {p.Parameter.Shape}"))}; " +
                "give them under weights: (by name, or file: a safetensors file), or initialise the rest with init: {seed: 0}", (YamlNode?)w?.Node ?? model.Node);
        }

        return sources.Count == 0 ? "none (the model has no parameters)" : string.Join("; ", sources);
    }

    /// <summary>A state-dict name with the top-level index replaced by the layer's label (<c>0.weight</c> → <c>C1.weight</c>).</summary>
    private static string Display(string stateName, string[] labels)
    {
        int dot = stateName.IndexOf('.', StringComparison.Ordinal);
        return dot > 0 && int.TryParse(stateName[..dot], out int i) && i < labels.Length ? labels[i] + stateName[dot..] : stateName;
    }

    private static void Forward(ModelRun run, Sequential seq, string[] labels, ModelDefinition def, Trace trace)
    {
        var specs = def.Model.Type == "Sequential" ? def.Model.Layers : [def.Model];
        var x = run.Input;
        for (int i = 0; i < seq.Count; i++)
        {
            var layer = seq[i];
            int start = trace.Steps.Count;
            Tensor y;
            using (Trace.Group($"{run.Name}.{labels[i]}"))
            {
                try
                {
                    y = layer.Forward(x);
                }
                catch (ArgumentException e)
                {
                    throw new YamlException($"model '{run.Name}', layer {labels[i]} ({layer.TypeName}{specs[i].Where}): {e.Message}", run.Spec.Node);
                }
            }

            var ops = trace.Steps.Skip(start).Where(s => s.Phase == TracePhase.Forward).Select(s => s.Op).Distinct().ToList();
            var ps = layer.NamedParameters().Select(p => new ParamStep($"{labels[i]}.{p.Name}", p.Name, p.Parameter, p.Parameter.Detach().Clone())).ToList();
            run.Layers.Add(new LayerStep(i, labels[i], layer.TypeName, LayerFormula.Of(specs[i], layer, run.Spec.Train), x, y, ops, ps));
            x = y;
        }
    }

    private static Tensor Target(ModelRun run, LossSpec loss, GivenValue t)
    {
        var output = run.Output;
        var values = Tensor.FromArray(t.Values, new Shape(t.Shape));
        if (!loss.ClassTarget)
        {
            return values.Numel == output.Numel ? values.Reshape(output.Shape)
                : throw new YamlException($"the target has {values.Numel} values, the model's output {output.Shape} has {output.Numel}", run.Spec.Target!.Node);
        }

        int n = output.Shape[0], classes = output.Rank == 2 ? output.Shape[1] : -1;
        if (classes < 0 || t.Values.Length != n || t.Values.Any(v => v != Math.Floor(v) || v < 0 || v >= classes))
        {
            throw new YamlException($"{loss.Type} needs one class index in 0..{classes - 1} per sample ({n}) and an output of shape [N, classes]; " +
                $"the output has shape {output.Shape}, the target is [{string.Join(", ", t.Values)}]", run.Spec.Target!.Node);
        }

        return Tensor.FromArray(t.Values.Select(v => (long)v).ToArray());
    }

    private static Tensor Loss(LossSpec spec, Tensor output, Tensor target) => spec.Apply(output, target);

    private static void Backward(ModelRun run, Tensor loss)
    {
        // One reverse pass for the gradients of every layer output (an intermediate tensor) and of every parameter.
        var outputs = run.Layers.Select(l => l.Output).Where(o => o.RequiresGrad).Distinct(ReferenceEqualityComparer.Instance).Cast<Tensor>().ToList();
        var ps = run.Layers.SelectMany(l => l.Params).ToList();
        var grads = Derivatives.Grad(loss, [.. outputs, .. ps.Select(p => p.Live)]);
        var byTensor = new Dictionary<Tensor, Tensor>(ReferenceEqualityComparer.Instance);
        for (int i = 0; i < outputs.Count; i++)
        {
            byTensor[outputs[i]] = grads[i]?.Detach() ?? Tensor.ZerosLike(outputs[i]);
        }

        foreach (var l in run.Layers)
        {
            l.GradOutput = byTensor.GetValueOrDefault(l.Output) ?? Tensor.ZerosLike(l.Output);
        }

        for (int i = 0; i < ps.Count; i++)
        {
            ps[i].Grad = grads[outputs.Count + i]?.Detach() ?? Tensor.ZerosLike(ps[i].Live);
        }
    }

    private static void Optimize(ModelRun run, Sequential seq, OptimizerSpec spec)
    {
        var ps = run.Layers.SelectMany(l => l.Params).ToList();
        var tensors = ps.Select(p => p.Live).ToList();
        CheckTrajectorySize(run, spec);
        Optimizer opt = spec.Create(tensors);
        IReadOnlyList<Tensor> grads = ps.Select(p => p.Grad!).ToList();
        double loss = run.Loss!.Value;
        for (int step = 1; step <= spec.Steps; step++)
        {
            var before = step == 1 ? ps.Select(p => p.Value).ToList() : run.Steps[^1].Params.Select(u => u.After).ToList();
            for (int i = 0; i < ps.Count; i++)
            {
                tensors[i].Grad = grads[i].Clone();
            }

            opt.Step();
            run.StepLosses.Add(loss);
            var updates = ps.Select((p, i) => new ParamUpdate(p, before[i], grads[i], p.Live.Detach().Clone(),
                (opt.State.GetValueOrDefault(p.Live) ?? []).ToDictionary(kv => kv.Key, kv => kv.Value.Detach().Clone(), StringComparer.Ordinal))).ToList();

            // The forward pass again at the new parameters, layer by layer, outside the explanation's trace.
            var outputs = new List<Tensor>();
            Tensor l;
            using (Trace.Pause())
            {
                var x = run.Input;
                for (int i = 0; i < seq.Count; i++)
                {
                    x = seq[i].Forward(x);
                    outputs.Add(x.Detach());
                }

                l = Loss(run.Spec.Loss!, x, run.Target!);
                grads = Derivatives.Grad(l, tensors).Select((g, i) => g?.Detach() ?? Tensor.ZerosLike(tensors[i])).ToList();
            }

            loss = l.Item();
            run.Steps.Add(new RunStep(step, run.StepLosses[^1], updates, outputs, loss, grads));
        }

        foreach (var u in run.Steps[^1].Params)
        {
            u.Param.After = u.After;
            foreach (var (k, v) in u.State)
            {
                u.Param.State[k] = v;
            }
        }

        run.LossAfter = loss;
    }

    // Every step keeps the parameters, gradients, optimizer state and layer outputs: bounded before the first step.
    private static void CheckTrajectorySize(ModelRun run, OptimizerSpec spec)
    {
        long perStep = (run.Layers.Sum(l => l.Params.Sum(p => (long)p.Value.Numel)) * 4) + run.Layers.Sum(l => (long)l.Output.Numel);
        if (perStep * spec.Steps > MaxTrajectoryElements)
        {
            throw new YamlException($"model '{run.Name}': {spec.Steps} optimizer steps would keep {perStep * spec.Steps:N0} values " +
                $"(parameters, gradients, optimizer state and layer outputs of every step); at most {MaxTrajectoryElements:N0}: take fewer steps", run.Spec.Node);
        }
    }

    /// <summary>The most values (8 bytes each) the steps of one run keep: 2^26, 512 MiB.</summary>
    private const long MaxTrajectoryElements = 1L << 26;
}
