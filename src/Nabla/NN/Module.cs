using System.Text;

namespace Nabla.NN;

/// <summary>
/// The base class of every layer and model (PyTorch's <c>nn.Module</c>): it owns named parameters, buffers
/// and submodules, registered explicitly in the constructor, and maps an input tensor to an output.
/// </summary>
/// <remarks>
/// Parameters are plain tensors with <see cref="Tensor.RequiresGrad"/> set (Nabla has no Parameter subclass:
/// <see cref="Tensor"/> is sealed so that operators work on every tensor alike). Names follow PyTorch, so
/// <see cref="StateDict"/> keys (<c>0.weight</c>, <c>bn.running_mean</c>) line up with PyTorch checkpoints.
/// </remarks>
public abstract class Module
{
    private readonly List<KeyValuePair<string, Tensor>> parameters = [];
    private readonly List<KeyValuePair<string, Tensor>> buffers = [];
    private readonly List<KeyValuePair<string, Module>> modules = [];

    /// <summary>True in training mode (the default), false after <see cref="Eval"/>.</summary>
    public bool IsTraining { get; private set; } = true;

    /// <summary>The module's type name as shown in summaries (the class name).</summary>
    public virtual string TypeName => GetType().Name;

    /// <summary>Maps the input to the output.</summary>
    public abstract Tensor Forward(Tensor input);

    /// <summary>Calls <see cref="Forward"/> (PyTorch's <c>module(x)</c>).</summary>
    public Tensor Call(Tensor input) => Forward(input);

    /// <summary>
    /// The output shape for an input shape, without computing (Keras' <c>compute_output_shape</c>). The default
    /// runs <see cref="Forward"/> on zeros without recording a graph; layers override it with shape arithmetic.
    /// </summary>
    public virtual Shape OutputShape(Shape input)
    {
        using (GradMode.NoGrad())
        {
            return Forward(Tensor.Zeros(input)).Shape;
        }
    }

    /// <summary>The layer's settings as shown in <see cref="ToString"/> (PyTorch's <c>extra_repr</c>).</summary>
    public virtual string ExtraRepr() => string.Empty;

    /// <summary>Registers a learnable tensor under <paramref name="name"/> and marks it as requiring gradients.</summary>
    protected Tensor RegisterParameter(string name, Tensor value)
    {
        CheckName(name);
        value.RequiresGrad = true;
        parameters.Add(new(name, value));
        return value;
    }

    /// <summary>Registers a non-learnable state tensor (e.g. BatchNorm's running mean) saved in the state dict.</summary>
    protected Tensor RegisterBuffer(string name, Tensor value)
    {
        CheckName(name);
        buffers.Add(new(name, value));
        return value;
    }

    /// <summary>Registers a child module under <paramref name="name"/>.</summary>
    protected T RegisterModule<T>(string name, T module) where T : Module
    {
        CheckName(name);
        modules.Add(new(name, module));
        return module;
    }

    /// <summary>Replaces a registered child (for example a classifier head in transfer learning).</summary>
    public void ReplaceModule(string name, Module module)
    {
        int i = modules.FindIndex(m => m.Key == name);
        if (i < 0)
        {
            throw new ArgumentException($"{TypeName} has no submodule named '{name}' (it has: {string.Join(", ", modules.Select(m => m.Key))})", nameof(name));
        }

        modules[i] = new(name, module);
        OnModuleReplaced(name, module);
    }

    /// <summary>Lets a subclass update a typed property after <see cref="ReplaceModule"/>.</summary>
    protected virtual void OnModuleReplaced(string name, Module module)
    {
    }

    /// <summary>Direct children with their names.</summary>
    public IEnumerable<(string Name, Module Module)> NamedChildren() => modules.Select(m => (m.Key, m.Value));

    /// <summary>Direct children.</summary>
    public IEnumerable<Module> Children() => modules.Select(m => m.Value);

    /// <summary>This module and all descendants with dotted paths ("" for this one).</summary>
    public IEnumerable<(string Name, Module Module)> NamedModules(string prefix = "")
    {
        yield return (prefix, this);
        foreach (var (name, child) in modules)
        {
            foreach (var m in child.NamedModules(Join(prefix, name)))
            {
                yield return m;
            }
        }
    }

    /// <summary>Parameters with dotted names (<c>features.0.weight</c>), this module's first.</summary>
    public IEnumerable<(string Name, Tensor Parameter)> NamedParameters(bool recurse = true) =>
        Collect(m => m.parameters, recurse);

    /// <summary>All learnable parameters.</summary>
    public IEnumerable<Tensor> Parameters(bool recurse = true) => NamedParameters(recurse).Select(p => p.Parameter);

    /// <summary>Buffers with dotted names.</summary>
    public IEnumerable<(string Name, Tensor Buffer)> NamedBuffers(bool recurse = true) => Collect(m => m.buffers, recurse);

    /// <summary>All buffers.</summary>
    public IEnumerable<Tensor> Buffers(bool recurse = true) => NamedBuffers(recurse).Select(b => b.Buffer);

    /// <summary>Sets training mode on this module and all descendants (affects dropout and batch norm).</summary>
    public Module Train(bool mode = true)
    {
        foreach (var (_, m) in NamedModules())
        {
            m.IsTraining = mode;
        }

        return this;
    }

    /// <summary>Sets evaluation mode (<c>Train(false)</c>).</summary>
    public Module Eval() => Train(false);

    /// <summary>
    /// Converts every parameter and buffer of this module and its descendants to <paramref name="dtype"/> in place
    /// (PyTorch's <c>module.to(torch.float64)</c>): the tensors stay the same objects, so layers and optimizers
    /// created afterwards see the new dtype. Only floating-point tensors are converted (integer buffers such as
    /// BatchNorm's <c>num_batches_tracked</c> keep theirs).
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="dtype"/> is not a floating-point type.</exception>
    public Module To(DType dtype)
    {
        if (!dtype.IsFloatingPoint())
        {
            throw new ArgumentException($"a module converts to a floating-point dtype, not {dtype}", nameof(dtype));
        }

        foreach (var t in Parameters().Concat(Buffers()).Where(t => t.DType.IsFloatingPoint()))
        {
            t.ConvertStorageInPlace(dtype);
        }

        return this;
    }

    /// <summary>Clears the gradients of all parameters (in place, as TorchSharp's <c>zero_grad</c>).</summary>
    public void ZeroGrad()
    {
        foreach (var p in Parameters())
        {
            p.Grad?.ZeroInPlace();
        }
    }

    /// <summary>Freezes (false) or unfreezes (true) all parameters, or those whose name matches <paramref name="namePattern"/>.</summary>
    /// <param name="requiresGrad">Whether the parameters should receive gradients.</param>
    /// <param name="namePattern">A glob over dotted names (<c>features.*</c>, <c>*.bias</c>); null for all.</param>
    public Module RequiresGrad(bool requiresGrad, string? namePattern = null)
    {
        foreach (var (name, p) in NamedParameters())
        {
            if (namePattern is null || Glob.IsMatch(name, namePattern))
            {
                p.RequiresGrad = requiresGrad;
            }
        }

        return this;
    }

    /// <summary>Calls <paramref name="fn"/> on every descendant and then this module (PyTorch's <c>apply</c>).</summary>
    public Module Apply(Action<Module> fn)
    {
        foreach (var child in Children())
        {
            child.Apply(fn);
        }

        fn(this);
        return this;
    }

    /// <summary>Parameters and buffers by dotted name (they share storage with the module).</summary>
    public Dictionary<string, Tensor> StateDict()
    {
        var d = new Dictionary<string, Tensor>();
        foreach (var (n, p) in NamedParameters())
        {
            d[n] = p;
        }

        foreach (var (n, b) in NamedBuffers())
        {
            d[n] = b;
        }

        return d;
    }

    /// <summary>
    /// Copies values from <paramref name="state"/> into the parameters and buffers, by dotted name, converting each
    /// value to the entry's dtype as PyTorch's <c>load_state_dict</c> does (a Float64 tensor loads into a Float32
    /// parameter rounded to nearest). Everything is checked before anything is copied, so a state dict that does not
    /// fit changes nothing.
    /// </summary>
    /// <param name="state">Tensors by dotted name (<c>Safetensors.Load(path).Tensors</c> of a PyTorch export).</param>
    /// <param name="strict">
    /// When true, missing and unexpected keys are an error; when false they are skipped and returned. A shape
    /// mismatch is an error either way, as in PyTorch.
    /// </param>
    /// <returns>The keys the state dict lacked (left unchanged) and the ones it had that the model does not.</returns>
    /// <exception cref="ArgumentException">
    /// The state dict does not fit: one line per missing or unexpected key (with the nearest name of the other list
    /// as a did-you-mean), per shape mismatch, and per value the conversion would lose (a fraction or NaN into an
    /// integer buffer, a finite Float64 beyond the Float32 range).
    /// </exception>
    public IncompatibleKeys LoadStateDict(IReadOnlyDictionary<string, Tensor> state, bool strict = true)
    {
        var own = StateDict();
        var (result, problem) = StateDictLoad.Compare(own, state, strict);
        if (problem is not null)
        {
            throw new ArgumentException($"LoadStateDict: the state dict does not fit the model {problem}");
        }

        using (GradMode.NoGrad())
        {
            foreach (var (k, target) in own)
            {
                if (state.TryGetValue(k, out var value))
                {
                    target.CopyInPlace(value);
                }
            }
        }

        return result;
    }

    /// <summary>A PyTorch-style tree: <c>Sequential(\n  (0): Linear(inFeatures=2, ...)\n)</c>.</summary>
    public override string ToString()
    {
        if (modules.Count == 0)
        {
            return $"{TypeName}({ExtraRepr()})";
        }

        var sb = new StringBuilder($"{TypeName}(");
        if (ExtraRepr() is { Length: > 0 } extra)
        {
            sb.Append('\n').Append("  ").Append(extra);
        }

        foreach (var (name, m) in modules)
        {
            sb.Append("\n  (").Append(name).Append("): ").Append(m.ToString().Replace("\n", "\n  ", StringComparison.Ordinal));
        }

        return sb.Append("\n)").ToString();
    }

    /// <summary>Throws an error naming this layer when <paramref name="input"/> lacks the expected rank or last-dim size.</summary>
    protected void CheckInput(Tensor input, int? rank, string expected, Func<Shape, bool> ok)
    {
        if ((rank is int r && input.Rank != r) || !ok(input.Shape))
        {
            throw new ArgumentException($"{TypeName}: expected input of shape {expected}, got {input.Shape}");
        }
    }

    private IEnumerable<(string, Tensor)> Collect(Func<Module, List<KeyValuePair<string, Tensor>>> pick, bool recurse)
    {
        var seen = new HashSet<Tensor>(ReferenceEqualityComparer.Instance);
        foreach (var (prefix, m) in recurse ? NamedModules() : [("", this)])
        {
            foreach (var (name, t) in pick(m))
            {
                if (seen.Add(t))
                {
                    yield return (Join(prefix, name), t);
                }
            }
        }
    }

    private void CheckName(string name)
    {
        if (string.IsNullOrEmpty(name) || name.Contains('.', StringComparison.Ordinal))
        {
            throw new ArgumentException($"invalid name '{name}': names must be non-empty and contain no '.'", nameof(name));
        }

        if (parameters.Any(p => p.Key == name) || buffers.Any(b => b.Key == name) || modules.Any(m => m.Key == name))
        {
            throw new ArgumentException($"{TypeName} already has a member named '{name}'", nameof(name));
        }
    }

    private static string Join(string prefix, string name) => prefix.Length == 0 ? name : $"{prefix}.{name}";
}
