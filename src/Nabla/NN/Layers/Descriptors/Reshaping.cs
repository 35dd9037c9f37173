namespace Nabla.NN;

/// <summary>
/// Layers without parameters whose output shape the module itself computes (building one allocates nothing):
/// the analysis asks the module, and positions are rearranged, so the receptive field is not carried past them.
/// </summary>
/// <typeparam name="TModule">The module class.</typeparam>
public abstract class RearrangeDescriptor<TModule>(IReadOnlyList<ArgDef> args) : LayerDescriptor<TModule>(args)
    where TModule : Module
{
    /// <inheritdoc/>
    public override LayerFacts Analyze(LayerSpec spec, Shape input)
    {
        try
        {
            return new(Build(spec).OutputShape(input), 0, 0, 0, RfRule.Reset);
        }
        catch (ArgumentException e) when (e is not ModelShapeException)
        {
            throw new ModelShapeException($"{e.Message.Split(" (Parameter")[0]} (input {PerSample(input)})");
        }
    }

    /// <summary>An int list as text: [2, 3].</summary>
    protected static string List(IEnumerable<int> v) => $"[{string.Join(", ", v)}]";
}

/// <summary><c>nn.Flatten</c>.</summary>
public sealed class FlattenDescriptor() : LayerDescriptor<Flatten>([new("startDim", ArgKind.Int, 1), new("endDim", ArgKind.Int, -1)])
{
    /// <inheritdoc/>
    public override IReadOnlyList<LayerExample> Examples =>
        [new(new LayerSpec("Flatten"), new Shape(2, 3, 4)), new(LayerSpec.Of("Flatten", ("startDim", 2), ("endDim", 3)), new Shape(2, 3, 4))];

    /// <inheritdoc/>
    public override Module Build(LayerSpec s) => new Flatten(s.Int("startDim"), s.Int("endDim"));

    /// <inheritdoc/>
    public override LayerFacts Analyze(LayerSpec s, Shape x)
    {
        int r = x.Rank;
        int start = s.Int("startDim"), end = s.Int("endDim");
        int a = start < 0 ? start + r : start, b = end < 0 ? end + r : end;
        if (a < 0 || b >= r || a > b)
        {
            throw new ModelShapeException($"cannot flatten dimensions {start}..{end} of its input {PerSample(x)}");
        }

        var dims = x.ToArray();
        long prod = 1;
        for (int i = a; i <= b; i++)
        {
            prod *= dims[i];
        }

        // Folding every spatial axis of a (C, L) or (C, H, W) input into features: a dense layer next sees the whole map.
        bool fold = a <= 1 && b == r - 1 && r is 3 or 4;
        return new(new Shape([.. dims[..a], checked((int)prod), .. dims[(b + 1)..]]), 0, 0, 0, fold ? RfRule.FoldSpatial : RfRule.Keep);
    }

    /// <inheritdoc/>
    public override string Formula(LayerSpec spec, Module layer, bool train) => $"y = x reshaped, dims {spec.Int("startDim")}..{spec.Int("endDim")} joined";

    /// <inheritdoc/>
    protected override LayerSpec Describe(Flatten f) => SpecOf(("startDim", f.StartDim), ("endDim", f.EndDim));
}

/// <summary><c>nn.Unflatten</c>.</summary>
public sealed class UnflattenDescriptor() : RearrangeDescriptor<Unflatten>([new("dim", ArgKind.Int, null, true), new("unflattenedSize", ArgKind.IntList, null, true)])
{
    /// <inheritdoc/>
    public override IReadOnlyList<LayerExample> Examples => [new(LayerSpec.Of("Unflatten", ("dim", 1), ("unflattenedSize", new[] { 2, 3 })), new Shape(6))];

    /// <inheritdoc/>
    public override Module Build(LayerSpec s) => new Unflatten(s.Int("dim"), s.IntList("unflattenedSize"));

    /// <inheritdoc/>
    public override LayerFacts Analyze(LayerSpec spec, Shape input) =>
        spec.Int("dim") == 0 || spec.Int("dim") == -input.Rank ? throw new ModelShapeException("cannot unflatten the batch dimension 0") : base.Analyze(spec, input);

    /// <inheritdoc/>
    public override string Formula(LayerSpec spec, Module layer, bool train) => $"y = x reshaped, dim {spec.Int("dim")} split into {List(spec.IntList("unflattenedSize"))}";

    /// <inheritdoc/>
    protected override LayerSpec Describe(Unflatten u) => SpecOf(("dim", u.Dim), ("unflattenedSize", u.UnflattenedSize.ToArray()));
}

/// <summary>Reshapes each sample (Keras's <c>Reshape</c>; PyTorch writes <c>x.view(N, ...)</c>).</summary>
public sealed class ReshapeDescriptor() : RearrangeDescriptor<Reshape>([new("shape", ArgKind.IntList, null, true)])
{
    /// <inheritdoc/>
    public override IReadOnlyList<LayerExample> Examples => [new(LayerSpec.Of("Reshape", ("shape", new[] { 3, -1 })), new Shape(2, 6))];

    /// <inheritdoc/>
    public override Module Build(LayerSpec s) => new Reshape(s.IntList("shape"));

    /// <inheritdoc/>
    public override string Formula(LayerSpec spec, Module layer, bool train) => $"y = x reshaped, each sample to {List(spec.IntList("shape"))}";

    /// <inheritdoc/>
    protected override LayerSpec Describe(Reshape r) => SpecOf(("shape", r.TargetShape.ToArray()));
}

/// <summary>Reorders dimensions (<c>x.permute(...)</c>); the batch dimension stays first.</summary>
public sealed class PermuteDescriptor() : RearrangeDescriptor<Permute>([new("dims", ArgKind.IntList, null, true)])
{
    /// <inheritdoc/>
    public override IReadOnlyList<LayerExample> Examples => [new(LayerSpec.Of("Permute", ("dims", new[] { 0, 2, 1 })), new Shape(3, 5))];

    /// <inheritdoc/>
    public override Module Build(LayerSpec s) => new Permute(s.IntList("dims"));

    /// <inheritdoc/>
    public override LayerFacts Analyze(LayerSpec spec, Shape input) =>
        spec.IntList("dims") is [var first, ..] && first != 0
            ? throw new ModelShapeException($"dims {List(spec.IntList("dims"))} move the batch dimension 0, which must stay first")
            : base.Analyze(spec, input);

    /// <inheritdoc/>
    public override string Formula(LayerSpec spec, Module layer, bool train) => $"y = x with its dims reordered to {List(spec.IntList("dims"))}";

    /// <inheritdoc/>
    protected override LayerSpec Describe(Permute p) => SpecOf(("dims", p.Dims.ToArray()));
}

/// <summary><c>nn.Upsample</c>: exactly one of <c>size</c> and <c>scaleFactor</c>.</summary>
public sealed class UpsampleDescriptor() : RearrangeDescriptor<Upsample>(
    [new("size", ArgKind.IntList, null), new("scaleFactor", ArgKind.Doubles, null), new("mode", ArgKind.String, "nearest"), new("alignCorners", ArgKind.OptionalBool, null)])
{
    /// <inheritdoc/>
    public override IReadOnlyList<LayerExample> Examples =>
    [
        new(LayerSpec.Of("Upsample", ("scaleFactor", new[] { 2.0 })), new Shape(2, 3, 4)),
        new(LayerSpec.Of("Upsample", ("size", new[] { 5, 7 }), ("mode", "bilinear"), ("alignCorners", true)), new Shape(2, 3, 4)),
        new(LayerSpec.Of("Upsample", ("scaleFactor", new[] { 1.5 }), ("mode", "linear")), new Shape(2, 6)),
    ];

    /// <inheritdoc/>
    public override Module Build(LayerSpec s) =>
        new Upsample(s.Arg("size") is null ? null : s.IntList("size"), s.Arg("scaleFactor") is null ? null : s.Doubles("scaleFactor"), s.Str("mode"), s.Arg("alignCorners") as bool?);

    /// <inheritdoc/>
    public override string Formula(LayerSpec spec, Module layer, bool train) =>
        $"y = x resized by {spec.Str("mode")} interpolation" + (spec.Arg("alignCorners") is true ? " (corners aligned)" : string.Empty);

    /// <inheritdoc/>
    protected override LayerSpec Describe(Upsample u) => SpecOf(("size", u.Size), ("scaleFactor", u.ScaleFactor), ("mode", u.Mode), ("alignCorners", u.AlignCorners));
}
