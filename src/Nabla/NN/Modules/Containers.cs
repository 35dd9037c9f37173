namespace Nabla.NN;

/// <summary>Runs its children in order, each on the previous one's output (PyTorch's <c>nn.Sequential</c>).</summary>
/// <remarks>
/// Children are named "0", "1", … by position, or by the names given (as <c>nn.Sequential(OrderedDict(...))</c> names
/// them: torchvision's <c>conv1</c>, <c>layer1</c>, <c>fc</c>), which are the prefixes of their state-dict keys. A shape
/// error in a child is reported with its name and type.
/// </remarks>
public sealed class Sequential : Module
{
    private readonly List<Module> layers = [];
    private readonly List<string> names = [];

    /// <summary>Creates the container from layers, named by position.</summary>
    public Sequential(params Module[] layers)
    {
        foreach (var l in layers)
        {
            Append(l);
        }
    }

    /// <summary>Creates the container from named layers (PyTorch's <c>nn.Sequential(OrderedDict(...))</c>).</summary>
    /// <exception cref="ArgumentException">A name is empty, contains '.', or is given twice.</exception>
    public Sequential(IEnumerable<(string Name, Module Module)> layers)
    {
        ArgumentNullException.ThrowIfNull(layers);
        foreach (var (name, layer) in layers)
        {
            Append(name, layer);
        }
    }

    /// <summary>Number of layers.</summary>
    public int Count => layers.Count;

    /// <summary>The layer at position <paramref name="index"/>.</summary>
    public Module this[int index] => layers[index];

    /// <summary>The layer named <paramref name="name"/>.</summary>
    /// <exception cref="KeyNotFoundException">No child has that name.</exception>
    public Module this[string name] => names.IndexOf(name) is int i and >= 0 ? layers[i]
        : throw new KeyNotFoundException($"Sequential has no layer named '{name}' (it has: {string.Join(", ", names)})");

    /// <summary>The children's names, in order ("0", "1", … unless named).</summary>
    public IReadOnlyList<string> Names => names;

    /// <summary>Appends a layer named by its position.</summary>
    public Sequential Append(Module layer) => Append(layers.Count.ToString(System.Globalization.CultureInfo.InvariantCulture), layer);

    /// <summary>Appends a layer under <paramref name="name"/> (its state-dict prefix).</summary>
    /// <exception cref="ArgumentException">The name is empty, contains '.', or is taken.</exception>
    public Sequential Append(string name, Module layer)
    {
        layers.Add(RegisterModule(name, layer));
        names.Add(name);
        return this;
    }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input)
    {
        var x = input;
        for (int i = 0; i < layers.Count; i++)
        {
            try
            {
                using var group = Trace.Group($"{names[i]}: {layers[i].TypeName}");
                x = layers[i].Forward(x);
            }
            catch (ArgumentException e) when (!e.Message.StartsWith("Sequential", StringComparison.Ordinal))
            {
                throw new ArgumentException($"Sequential layer {names[i]} ({layers[i].TypeName}): {e.Message}", e);
            }
        }

        return x;
    }

    /// <inheritdoc/>
    public override Shape OutputShape(Shape input)
    {
        var s = input;
        for (int i = 0; i < layers.Count; i++)
        {
            try
            {
                s = layers[i].OutputShape(s);
            }
            catch (ArgumentException e) when (!e.Message.StartsWith("Sequential", StringComparison.Ordinal))
            {
                throw new ArgumentException($"Sequential layer {names[i]} ({layers[i].TypeName}): {e.Message}", e);
            }
        }

        return s;
    }

    /// <inheritdoc/>
    protected override void OnModuleReplaced(string name, Module module) => layers[names.IndexOf(name)] = module;
}

/// <summary>Holds modules in a list, registered as "0", "1", … (PyTorch's <c>nn.ModuleList</c>); it has no Forward of its own.</summary>
public sealed class ModuleList : Module
{
    private readonly List<Module> items = [];

    /// <summary>Creates the list.</summary>
    public ModuleList(params Module[] modules)
    {
        foreach (var m in modules)
        {
            Add(m);
        }
    }

    /// <summary>Number of modules.</summary>
    public int Count => items.Count;

    /// <summary>The module at <paramref name="index"/>.</summary>
    public Module this[int index] => items[index];

    /// <summary>Appends a module.</summary>
    public void Add(Module module) => items.Add(RegisterModule(items.Count.ToString(System.Globalization.CultureInfo.InvariantCulture), module));

    /// <summary>A ModuleList is a container only.</summary>
    public override Tensor Forward(Tensor input) =>
        throw new InvalidOperationException("ModuleList has no Forward: iterate over its modules in your own Forward");

    /// <inheritdoc/>
    protected override void OnModuleReplaced(string name, Module module) =>
        items[int.Parse(name, System.Globalization.CultureInfo.InvariantCulture)] = module;
}

/// <summary>Holds modules by name (PyTorch's <c>nn.ModuleDict</c>); it has no Forward of its own.</summary>
public sealed class ModuleDict : Module
{
    private readonly Dictionary<string, Module> items = [];

    /// <summary>The module named <paramref name="name"/>.</summary>
    public Module this[string name] => items[name];

    /// <summary>Adds a module under a name.</summary>
    public void Add(string name, Module module) => items[name] = RegisterModule(name, module);

    /// <summary>A ModuleDict is a container only.</summary>
    public override Tensor Forward(Tensor input) =>
        throw new InvalidOperationException("ModuleDict has no Forward: call its modules from your own Forward");

    /// <inheritdoc/>
    protected override void OnModuleReplaced(string name, Module module) => items[name] = module;
}

/// <summary>Flattens dimensions startDim..endDim (default 1..−1, keeping the batch).</summary>
public sealed class Flatten(int startDim = 1, int endDim = -1) : Module
{
    /// <summary>First dimension flattened.</summary>
    public int StartDim => startDim;

    /// <summary>Last dimension flattened.</summary>
    public int EndDim => endDim;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => input.Flatten(startDim, endDim);

    /// <inheritdoc/>
    public override Shape OutputShape(Shape input)
    {
        int s = input.NormalizeDim(startDim), e = input.NormalizeDim(endDim);
        var d = input.ToArray();
        long prod = 1;
        for (int i = s; i <= e; i++)
        {
            prod *= d[i];
        }

        return new Shape([.. d[..s], (int)prod, .. d[(e + 1)..]]);
    }

    /// <inheritdoc/>
    public override string ExtraRepr() => $"startDim={startDim}, endDim={endDim}";
}

/// <summary>Expands one dimension into several (the inverse of Flatten).</summary>
public sealed class Unflatten(int dim, int[] unflattenedSize) : Module
{
    /// <summary>The dimension expanded (0 is the batch).</summary>
    public int Dim => dim;

    /// <summary>The sizes it is expanded into.</summary>
    public IReadOnlyList<int> UnflattenedSize => unflattenedSize;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => input.Reshape(OutputShape(input.Shape));

    /// <inheritdoc/>
    public override Shape OutputShape(Shape input)
    {
        int d = input.NormalizeDim(dim);
        long prod = unflattenedSize.Aggregate(1L, (a, b) => a * b);
        if (prod != input[d])
        {
            throw new ArgumentException($"{TypeName}: sizes [{string.Join(", ", unflattenedSize)}] do not multiply to dimension {dim} of size {input[d]} (input {input})");
        }

        var s = input.ToArray();
        return new Shape([.. s[..d], .. unflattenedSize, .. s[(d + 1)..]]);
    }

    /// <inheritdoc/>
    public override string ExtraRepr() => $"dim={dim}, unflattenedSize=({string.Join(", ", unflattenedSize)})";
}

/// <summary>
/// Gives each sample a new shape (Keras's <c>Reshape</c>): the batch dimension is kept and the rest of the input is
/// reshaped to <see cref="TargetShape"/>, in which one size may be −1 (inferred).
/// </summary>
public sealed class Reshape(int[] shape) : Module
{
    /// <summary>The shape of one sample after the layer.</summary>
    public IReadOnlyList<int> TargetShape => shape;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => input.Reshape(OutputShape(input.Shape));

    /// <inheritdoc/>
    public override Shape OutputShape(Shape input)
    {
        if (input.Rank == 0)
        {
            throw new ArgumentException($"{TypeName}: needs a batch dimension, got a 0-d input");
        }

        long per = input.Numel / Math.Max(1, input[0]);
        int unknown = Array.FindIndex(shape, s => s == -1);
        if (shape.Any(s => s < -1 || s == 0 && per != 0) || shape.Count(s => s == -1) > 1)
        {
            throw new ArgumentException($"{TypeName}: shape [{string.Join(", ", shape)}] must be sizes ≥ 1 with at most one −1");
        }

        long known = shape.Where(s => s != -1).Aggregate(1L, (a, b) => a * b);
        var dims = shape.ToArray();
        if (unknown >= 0 && known > 0 && per % known == 0)
        {
            dims[unknown] = (int)(per / known);
        }

        if (dims.Aggregate(1L, (a, b) => a * b) != per || dims.Contains(-1))
        {
            throw new ArgumentException($"{TypeName}: a sample of shape {new Shape(input.ToArray()[1..])} ({per} elements) cannot be reshaped to [{string.Join(", ", shape)}]");
        }

        return new Shape([input[0], .. dims]);
    }

    /// <inheritdoc/>
    public override string ExtraRepr() => $"shape=({string.Join(", ", shape)})";
}

/// <summary>Reorders the dimensions of the input, batch included (torchvision's <c>ops.Permute</c>): output dim i is input dim dims[i].</summary>
public sealed class Permute(int[] dims) : Module
{
    /// <summary>The new order of the input's dimensions.</summary>
    public IReadOnlyList<int> Dims => dims;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input)
    {
        OutputShape(input.Shape);
        return input.Permute(dims);
    }

    /// <inheritdoc/>
    public override Shape OutputShape(Shape input)
    {
        var norm = dims.Select(d => d >= -input.Rank && d < input.Rank ? (d + input.Rank) % input.Rank : -1).ToArray();
        if (dims.Length != input.Rank || norm.Contains(-1) || norm.Distinct().Count() != norm.Length)
        {
            throw new ArgumentException($"{TypeName}: dims ({string.Join(", ", dims)}) are not an order of the {input.Rank} dimensions of {input}");
        }

        return new Shape([.. norm.Select(d => input[d])]);
    }

    /// <inheritdoc/>
    public override string ExtraRepr() => $"dims=({string.Join(", ", dims)})";
}
