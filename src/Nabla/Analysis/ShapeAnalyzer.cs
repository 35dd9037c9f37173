using Nabla.NN;

namespace Nabla.Analysis;

/// <summary>
/// Walks a <see cref="LayerSpec"/> tree by shape arithmetic alone (no tensor is allocated), producing one
/// <see cref="LayerRow"/> per layer and container. Batched shapes (batch 1) flow through; rows show them
/// without the batch dimension.
/// </summary>
internal sealed partial class ShapeAnalyzer(IReadOnlyDictionary<string, long>? frozenByPath)
{
    private const int BytesPerElement = 4;

    /// <summary>The most rows (layers and containers) an analysis walks: <see cref="LayerDescriptor.MaxLayers"/>.</summary>
    public const int MaxRows = LayerDescriptor.MaxLayers;
    private readonly List<LayerRow> rows = [];

    // How many Auxiliary heads the walk is inside (their rows are marked auxiliary).
    private int auxiliary;

    public IReadOnlyList<LayerRow> Rows => rows;

    /// <summary>What flows between layers: the batched shape, the receptive field so far, and the spatial size a Flatten folded away.</summary>
    internal readonly record struct Flow(Shape Shape, ReceptiveField? Rf, (int D, int H, int W)? Flattened);

    /// <summary>Figures of one leaf layer.</summary>
    internal readonly record struct LeafResult(Flow Output, long Params, long Buffers, long Macs, long? MacsPerStep = null);

    public Flow RunRoot(LayerSpec root, Flow input)
    {
        if (root.Type == "Sequential" && root.Opaque is null)
        {
            return Chain(Children(string.Empty, root), 1, input);
        }

        return Run(root, string.Empty, 1, input);
    }

    // A child's path; a container keyed "" (a block's inline part) adds no segment.
    private static string Child(string path, string name) => name.Length == 0 ? path : path.Length == 0 ? name : $"{path}.{name}";

    private static IEnumerable<(string Path, LayerSpec Spec)> Children(string path, LayerSpec sequential) =>
        sequential.Layers.Select((l, i) => (Child(path, LayerSpec.ChildName(l, i)), l));

    private static Shape PerSample(Shape batched) => new(batched.ToArray()[1..]);

    private Flow Chain(IEnumerable<(string Path, LayerSpec Spec)> layers, int depth, Flow input)
    {
        var x = input;
        foreach (var (path, spec) in layers)
        {
            x = Run(spec, path, depth, x);
        }

        return x;
    }

    private Flow Run(LayerSpec spec, string path, int depth, Flow input)
    {
        if (rows.Count >= MaxRows)
        {
            throw new ModelShapeException(spec.Label(path), $"the model has more than {MaxRows:N0} layers (a block count too large?); nothing was built");
        }

        if (spec.Opaque is null && IsContainer(spec.Type) && spec.Key is { Length: 0 })
        {
            // An inline part of a block's expansion: its children are the block's, one level below it.
            return RunContainer(spec, path, depth - 1, input);
        }

        if (spec.Opaque is null && spec.Type == "Auxiliary")
        {
            return RunAuxiliary(spec, path, depth, input);
        }

        if (spec.Opaque is null && IsContainer(spec.Type))
        {
            int at = rows.Count;
            rows.Add(null!);
            var output = RunContainer(spec, path, depth, input);
            rows[at] = ContainerRow(spec, path, depth, input, output, at);
            return output;
        }

        LeafResult leaf;
        try
        {
            leaf = RunLeaf(spec, input);
        }
        catch (Exception e) when (e is ModelShapeException { Layer.Length: 0 } or (ArgumentException and not ModelShapeException) or ArithmeticException)
        {
            // The descriptor says what does not fit; the layer's label and path are added here.
            // A size the file gave that no layer can have (a negative channel count, a zero kernel): the shape
            // arithmetic meets it first, so it is reported here, with the layer, instead of as a bare Shape error.
            throw new ModelShapeException(spec.Label(path), e.Message.Split(" (Parameter")[0]);
        }

        long frozen = frozenByPath?.GetValueOrDefault(path) ?? 0;
        rows.Add(new LayerRow(path, spec.Name, spec.Type, depth, false, PerSample(input.Shape), PerSample(leaf.Output.Shape),
            leaf.Params, leaf.Params - frozen, leaf.Buffers + frozen, leaf.Macs, leaf.MacsPerStep, leaf.Output.Shape.Numel * BytesPerElement, leaf.Output.Rf)
        { IsAuxiliary = auxiliary > 0 });
        return leaf.Output;
    }

    // A container's row sums its leaves; its MACs leave out those of auxiliary heads inside it (training only, see
    // Note [Auxiliary heads]) unless the container is itself part of a head.
    private LayerRow ContainerRow(LayerSpec spec, string path, int depth, Flow input, Flow output, int at)
    {
        var children = rows.Skip(at + 1).Where(r => !r.IsContainer).ToList();
        return new LayerRow(path, spec.Name, spec.Type, depth, true, PerSample(input.Shape), PerSample(output.Shape),
            children.Sum(r => r.Params), children.Sum(r => r.Trainable), children.Sum(r => r.NonTrainable),
            children.Where(r => auxiliary > 0 || !r.IsAuxiliary).Sum(r => r.Macs), null, output.Shape.Numel * BytesPerElement, output.Rf)
        { IsAuxiliary = auxiliary > 0 };
    }

    // Note [Auxiliary heads]: an Auxiliary's head is walked as a Sequential on the input (its rows give shapes,
    // parameters and MACs, marked auxiliary), and the main path goes on with the input unchanged. Its parameters are
    // the model's (PyTorch's parameters() counts them); its MACs are spent in training only and are kept apart from
    // the inference total. The head's row shows the head's output shape.
    private Flow RunAuxiliary(LayerSpec spec, string path, int depth, Flow input)
    {
        int at = rows.Count;
        rows.Add(null!);
        auxiliary++;
        try
        {
            var head = Chain(Children(path, spec), depth + 1, input);
            rows[at] = ContainerRow(spec, path, depth, input, head, at);
        }
        finally
        {
            auxiliary--;
        }

        return input;
    }

    private static bool IsContainer(string type) => LayerRegistry.Find(type)?.IsContainer ?? false;

    private Flow RunContainer(LayerSpec s, string path, int depth, Flow input)
    {
        int d = depth + 1;
        switch (s.Type)
        {
            case "Sequential":
                return Chain(Children(path, s), d, input);
            case "Branches":
                return Join(s, path, s.Str("join"), s.Int("dim"), [.. s.Branches.Select(b => new Branch(b.Key, [(Child(path, b.Value.Key ?? b.Key), b.Value)]))], d, input);
            case "Residual":
                {
                    var body = s.Block("body") ?? throw new ModelShapeException(s.Label(path), "a Residual needs a body");
                    var shortcut = s.Block("shortcut");
                    var y = Join(s, path, "add", 1,
                        [new("body", [(Child(path, body.Key ?? "body"), body)]), new("shortcut", shortcut is null ? [] : [(Child(path, shortcut.Key ?? "shortcut"), shortcut)])], d, input);
                    return s.Block("activation") is { } act ? Run(act, Child(path, act.Key ?? "activation"), d, y) : y;
                }

            default:
                // Every other block is walked through its expansion into the three above (ContainerDescriptor.Expand);
                // the block's own row stands for the expansion's root.
                var expanded = LayerRegistry.Find(s.Type)!.Expand(s)
                    ?? throw new InvalidOperationException($"the container {s.Type} has no expansion into Sequential, Branches and Residual");
                return RunContainer(expanded, path, depth, input);
        }
    }

    private sealed record Branch(string Name, List<(string Path, LayerSpec Spec)> Layers);

    private Flow Join(LayerSpec s, string path, string join, int dim, List<Branch> branches, int depth, Flow input)
    {
        if (join is not ("add" or "concat"))
        {
            throw new ModelShapeException(s.Label(path), $"join must be 'add' or 'concat', got '{join}'");
        }

        if (branches.Count == 0)
        {
            throw new ModelShapeException(s.Label(path), "needs at least one branch");
        }

        var outs = branches.Select(b => Chain(b.Layers, depth, input)).ToList();
        var first = outs[0].Shape;
        int cd = dim < 0 ? dim + first.Rank : dim;
        for (int i = 1; i < outs.Count; i++)
        {
            var si = outs[i].Shape;
            bool ok = join == "add" ? si == first
                : si.Rank == first.Rank && Enumerable.Range(0, first.Rank).All(k => k == cd || si[k] == first[k]);
            if (!ok)
            {
                string how = join == "add" ? "to be added they must be equal (add a projection shortcut?)" : $"to be concatenated they must agree on every dimension but {dim}";
                throw new ModelShapeException(s.Label(path),
                    $"branch '{branches[i].Name}' gives {PerSample(si)} but branch '{branches[0].Name}' gives {PerSample(first)}; {how}");
            }
        }

        long joined = outs.Sum(o => (long)o.Shape[cd]);
        if (joined > int.MaxValue)
        {
            throw new ModelShapeException(s.Label(path), $"the concatenated dimension would have {joined:N0} entries, more than a tensor dimension can hold");
        }

        var shape = join == "add" ? first : first.With(cd, (int)joined);

        // Note [Receptive field of branches]: the output unit sees the union of its branches' fields, so the largest wins.
        var rf = outs.Select(o => o.Rf).Where(r => r is not null).MaxBy(r => r!.Size);
        return new Flow(shape, rf, outs[0].Flattened);
    }
}
