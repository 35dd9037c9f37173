namespace Nabla.NN;

/// <summary>The kinds of value a layer argument takes.</summary>
public enum ArgKind
{
    /// <summary>An integer.</summary>
    Int,

    /// <summary>An integer or an optional integer (absent = null).</summary>
    OptionalInt,

    /// <summary>An integer or a [height, width] pair.</summary>
    IntPair,

    /// <summary>An integer, a [height, width] pair, or 'same' / 'valid' (convolution padding).</summary>
    Padding,

    /// <summary>A list of integers (or one integer).</summary>
    IntList,

    /// <summary>A floating-point number.</summary>
    Double,

    /// <summary>true or false.</summary>
    Bool,

    /// <summary>A string.</summary>
    String,

    /// <summary>A list of numbers (or one number).</summary>
    Doubles,

    /// <summary>true, false, or absent (null).</summary>
    OptionalBool,

    /// <summary>An integer or a [depth, height, width] triple (3-D layers).</summary>
    IntTriple,

    /// <summary>An integer, a [depth, height, width] triple, or 'same' / 'valid' (3-D convolution padding).</summary>
    Padding3d,
}

/// <summary>One constructor argument of a layer: camelCase name, kind, and default (null with <paramref name="Required"/>).</summary>
/// <param name="Name">The camelCase name (<c>kernelSize</c>); model files also accept PyTorch's snake_case spelling.</param>
/// <param name="Kind">What values it takes.</param>
/// <param name="Default">PyTorch's default, or null.</param>
/// <param name="Required">Whether a model file must give it.</param>
public sealed record ArgDef(string Name, ArgKind Kind, object? Default, bool Required = false)
{
    /// <summary>PyTorch's spelling of the name (<c>kernel_size</c>).</summary>
    public string PyTorchName => string.Concat(Name.Select(c => char.IsUpper(c) ? "_" + char.ToLowerInvariant(c) : c.ToString()));
}

/// <summary>How a layer changes the receptive field of the units after it (see <c>Analysis.ReceptiveField</c>).</summary>
public enum RfRule
{
    /// <summary>Element-wise or per-position: each output sees what its input saw.</summary>
    Keep,

    /// <summary>A sliding window (<see cref="LayerFacts.Window"/>): convolution, pooling, padding.</summary>
    Window,

    /// <summary>A transposed convolution's window (<see cref="LayerFacts.Window"/>).</summary>
    Transposed,

    /// <summary>Positions are rearranged (reshape, permute): no field is carried past it.</summary>
    Reset,

    /// <summary>All spatial axes are folded into features (Flatten): a following dense layer sees the whole map.</summary>
    FoldSpatial,

    /// <summary>A dense layer: after a <see cref="FoldSpatial"/>, it sees the whole folded map.</summary>
    Dense,
}

/// <summary>
/// What shape arithmetic alone says of a leaf layer for a given input: output shape, parameter and buffer counts,
/// multiply-accumulates, and its effect on the receptive field. No tensor is allocated to find them.
/// </summary>
/// <param name="Output">The batched output shape.</param>
/// <param name="Params">Parameter count (trainable unless frozen).</param>
/// <param name="Buffers">Float buffers that are statistics (BatchNorm's running mean and variance), not bookkeeping.</param>
/// <param name="Macs">Multiply-accumulates for the whole input (see Note [MAC convention] in the analysis).</param>
/// <param name="Rf">The receptive-field rule.</param>
/// <param name="Window">The window for <see cref="RfRule.Window"/> and <see cref="RfRule.Transposed"/> (1-D layers: height 1).</param>
/// <param name="MacsPerStep">For recurrent layers, the MACs of one time step; for Transformer layers, the MACs per token; else null.</param>
/// <param name="DepthWindow">For 3-D layers, the window along depth (<see cref="Window"/> holds height and width); else null.</param>
public sealed record LayerFacts(Shape Output, long Params, long Buffers, long Macs, RfRule Rf = RfRule.Keep, SpatialGeometry? Window = null, long? MacsPerStep = null,
    (int Kernel, int Stride, int Padding, int Dilation)? DepthWindow = null);

/// <summary>A layer spec and a per-sample input it accepts: the completeness test builds, writes, reads and runs each.</summary>
/// <param name="Spec">The layer with non-default arguments.</param>
/// <param name="Input">A per-sample input shape (no batch dimension).</param>
/// <param name="IndexBound">For layers that take integer indices (Embedding): the input holds int64 values below this; 0 for a float input.</param>
public sealed record LayerExample(LayerSpec Spec, Shape Input, int IndexBound = 0);

/// <summary>
/// Everything Nabla knows about one layer type, in one place: its constructor arguments (names, kinds, PyTorch's
/// defaults), how to build the module from a <see cref="LayerSpec"/> and describe a built one back, what shape
/// arithmetic says of it (output shape, parameters, buffers, MACs, receptive field), its formula for
/// <c>nabla explain</c>, and examples for the completeness test. Model files, summaries, receptive fields and explain
/// all read from the <see cref="LayerRegistry"/> of these descriptors.
/// </summary>
/// <remarks>
/// A new layer type derives from <see cref="LayerDescriptor{TModule}"/> (a public parameterless class is found by the
/// registry; one in another assembly is added with <see cref="LayerRegistry.Register"/>). Containers
/// (<c>Sequential</c>, <c>Branches</c>, <c>Residual</c> and the named blocks) are walked by the analysis itself and
/// set <see cref="IsContainer"/>.
/// </remarks>
public abstract class LayerDescriptor
{
    /// <summary>
    /// The most layers a model may expand to (blocks counted by their parts): far above any real model (DenseNet-121
    /// has about 900, a 96-layer Transformer a few thousand), and a bound on the work a hostile file's block counts can
    /// ask of the analysis. A block checks its count against it before expanding.
    /// </summary>
    public const int MaxLayers = 10_000;

    private readonly Dictionary<string, ArgDef> byName;

    /// <summary>Creates a descriptor.</summary>
    /// <param name="name">The PyTorch class name (<c>Conv2d</c>).</param>
    /// <param name="moduleType">The module class it builds.</param>
    /// <param name="args">The constructor arguments in PyTorch's order.</param>
    protected LayerDescriptor(string name, Type moduleType, IReadOnlyList<ArgDef> args)
    {
        Name = name;
        ModuleType = moduleType;
        Args = args;
        byName = args.ToDictionary(a => a.Name);
    }

    /// <summary>The PyTorch class name.</summary>
    public string Name { get; }

    /// <summary>The module class.</summary>
    public Type ModuleType { get; }

    /// <summary>The constructor arguments, in PyTorch's order.</summary>
    public IReadOnlyList<ArgDef> Args { get; }

    /// <summary>The keys of a container's sub-blocks in a model file (<c>body</c>, <c>branches</c>); empty for a leaf.</summary>
    public virtual IReadOnlyList<string> BlockKeys => [];

    /// <summary>Whether the analysis walks it as a container of other layers.</summary>
    public virtual bool IsContainer => false;

    /// <summary>
    /// For a block (a container other than <c>Sequential</c>, <c>Branches</c> and <c>Residual</c>): the same block as
    /// those three basic containers, its layers keyed by the names the module gives them (see
    /// <see cref="LayerSpec.Key"/>; <see cref="LayerSpec.Inline"/> for a part whose layers the block names directly).
    /// The analysis walks this expansion, so a block's shapes, parameters, MACs, receptive field and row paths come
    /// from the same leaf descriptors as everything else. Null for leaves and the basic containers.
    /// </summary>
    public virtual LayerSpec? Expand(LayerSpec spec) => null;

    /// <summary>Specs and inputs the completeness test exercises (non-default arguments included).</summary>
    public abstract IReadOnlyList<LayerExample> Examples { get; }

    /// <summary>The argument named <paramref name="name"/>, or null.</summary>
    public ArgDef? Arg(string name) => byName.GetValueOrDefault(name);

    /// <summary>Builds the module a spec describes (allocating and initialising its parameters).</summary>
    /// <exception cref="ArgumentException">An argument is of the wrong kind or refused by the module.</exception>
    public abstract Module Build(LayerSpec spec);

    /// <summary>The spec of a module of this type; arguments equal to their defaults are left out.</summary>
    public abstract LayerSpec Describe(Module module);

    /// <summary>Output shape, parameters, buffers, MACs and receptive-field effect for a batched input.</summary>
    /// <exception cref="ModelShapeException">The input does not fit the layer.</exception>
    public abstract LayerFacts Analyze(LayerSpec spec, Shape input);

    /// <summary>What the layer computes, with its settings, for <c>nabla explain</c>.</summary>
    /// <param name="spec">The layer's spec.</param>
    /// <param name="layer">The built layer (whether it has a bias, for example).</param>
    /// <param name="train">Whether the model runs in training mode.</param>
    public virtual string Formula(LayerSpec spec, Module layer, bool train) => $"y = {Name}(x)";

    /// <summary>Refuses a block whose <paramref name="count"/> parts of <paramref name="layersEach"/> layers would pass <see cref="MaxLayers"/>.</summary>
    /// <exception cref="ModelShapeException">The block is too large.</exception>
    protected static void CheckExpansion(string what, int count, int layersEach)
    {
        if (count < 0 || (long)count * layersEach > MaxLayers)
        {
            throw new ModelShapeException($"{what} = {count} would make {(long)count * layersEach:N0} layers, more than the {MaxLayers:N0} a model may have");
        }
    }

    /// <summary>The per-sample part of a batched shape, for messages.</summary>
    protected internal static Shape PerSample(Shape batched) => new(batched.ToArray()[1..]);

    /// <summary>A spec of this type from (name, value) pairs, leaving out nulls and values equal to their defaults.</summary>
    public LayerSpec SpecOf(params (string Name, object? Value)[] args)
    {
        var d = new Dictionary<string, object>();
        foreach (var (name, value) in args)
        {
            var def = Arg(name) ?? throw new InvalidOperationException($"{Name} has no argument '{name}'");
            bool isDefault = Equals(value, def.Default) || (value is int[] a && def.Default is int i && a.All(x => x == i));
            if (value is not null && !isDefault)
            {
                d[name] = value;
            }
        }

        return new LayerSpec(Name, d);
    }

    /// <summary>An int, or an [h, w] pair when the two differ (how pairs are written to model files).</summary>
    protected static object PairValue((int H, int W) p) => p.H == p.W ? p.H : new[] { p.H, p.W };

    /// <summary>An int, or a [d, h, w] triple when the three differ (how triples are written to model files).</summary>
    protected static object TripleValue((int D, int H, int W) t) => t.D == t.H && t.H == t.W ? t.D : new[] { t.D, t.H, t.W };

    /// <summary>A layer whose output shape is its input shape and that has nothing to learn.</summary>
    protected static LayerFacts Unchanged(Shape input) => new(input, 0, 0, 0);

    /// <summary>Refuses an input of the wrong rank: "expects input of shape (C, H, W) but its input has shape [...]".</summary>
    protected static void RequireRank(Shape input, int rank, string layout)
    {
        if (input.Rank != rank)
        {
            throw new ModelShapeException($"expects input of shape {layout} but its input has shape {PerSample(input)}");
        }
    }
}

/// <summary>A <see cref="LayerDescriptor"/> for the module class <typeparamref name="TModule"/>.</summary>
/// <typeparam name="TModule">The module class.</typeparam>
public abstract class LayerDescriptor<TModule> : LayerDescriptor
    where TModule : Module
{
    /// <summary>Creates a descriptor for <typeparamref name="TModule"/>, named after it unless <paramref name="name"/> is given.</summary>
    protected LayerDescriptor(IReadOnlyList<ArgDef> args, string? name = null)
        : base(name ?? typeof(TModule).Name, typeof(TModule), args)
    {
    }

    /// <inheritdoc/>
    public sealed override LayerSpec Describe(Module module) => Describe((TModule)module);

    /// <summary>The spec of <paramref name="module"/> (use <see cref="LayerDescriptor.SpecOf"/>).</summary>
    protected abstract LayerSpec Describe(TModule module);
}
