namespace Nabla.Optim;

/// <summary>A set of parameters sharing hyper-parameters (PyTorch's param group dict).</summary>
/// <remarks>
/// <see cref="Lr"/> is a property because schedulers change it; other hyper-parameters live in
/// <see cref="Options"/> under PyTorch's names converted to camelCase (<c>momentum</c>, <c>weightDecay</c>).
/// </remarks>
public sealed class ParamGroup
{
    /// <summary>Creates a group; missing options take the optimizer's defaults.</summary>
    public ParamGroup(IEnumerable<Tensor> parameters, double? lr = null, IReadOnlyDictionary<string, double>? options = null)
    {
        Params = parameters.ToList();
        Lr = lr ?? double.NaN;
        Options = options is null ? [] : new Dictionary<string, double>(options);
    }

    /// <summary>The parameters.</summary>
    public List<Tensor> Params { get; }

    /// <summary>The learning rate.</summary>
    public double Lr { get; set; }

    /// <summary>The learning rate the group started with (schedulers compute from it).</summary>
    public double InitialLr { get; internal set; }

    /// <summary>Other hyper-parameters by name.</summary>
    public Dictionary<string, double> Options { get; }

    /// <summary>A hyper-parameter's value.</summary>
    public double this[string name] => Options.TryGetValue(name, out var v) ? v
        : throw new KeyNotFoundException($"param group has no option '{name}' (it has: {string.Join(", ", Options.Keys)})");
}

/// <summary>
/// The base of all optimizers: parameter groups, per-parameter state, <see cref="ZeroGrad"/> and
/// <see cref="Step"/>. Each optimizer is one readable update loop (PyTorch's single-tensor path).
/// </summary>
public abstract class Optimizer
{
    /// <summary>Creates the optimizer with one group of parameters and the default hyper-parameters.</summary>
    protected Optimizer(IEnumerable<Tensor> parameters, double lr, IReadOnlyDictionary<string, double> defaults)
        : this([new ParamGroup(parameters)], lr, defaults)
    {
    }

    /// <summary>Creates the optimizer with several groups; options missing from a group take the defaults.</summary>
    protected Optimizer(IEnumerable<ParamGroup> groups, double lr, IReadOnlyDictionary<string, double> defaults)
    {
        if (lr < 0 || double.IsNaN(lr))
        {
            throw new ArgumentOutOfRangeException(nameof(lr), $"invalid learning rate: {lr}");
        }

        ParamGroups = groups.ToList();
        foreach (var g in ParamGroups)
        {
            g.Lr = double.IsNaN(g.Lr) ? lr : g.Lr;
            g.InitialLr = g.Lr;
            foreach (var (k, v) in defaults)
            {
                g.Options.TryAdd(k, v);
            }

            foreach (var p in g.Params)
            {
                if (!p.DType.IsFloatingPoint() || !p.IsLeaf)
                {
                    throw new ArgumentException($"{GetType().Name} can only optimize floating-point leaf tensors, got a {p.DType} tensor of shape {p.Shape}");
                }
            }
        }

        if (ParamGroups.Sum(g => g.Params.Count) == 0)
        {
            throw new ArgumentException($"{GetType().Name} got an empty parameter list");
        }
    }

    /// <summary>The parameter groups.</summary>
    public List<ParamGroup> ParamGroups { get; }

    /// <summary>Per-parameter state (momentum buffers, moment estimates, step counts), keyed by parameter.</summary>
    public Dictionary<Tensor, Dictionary<string, Tensor>> State { get; } = new(ReferenceEqualityComparer.Instance);

    /// <summary>Zeroes every parameter's gradient in place.</summary>
    public void ZeroGrad()
    {
        foreach (var g in ParamGroups)
        {
            foreach (var p in g.Params)
            {
                p.Grad?.ZeroInPlace();
            }
        }
    }

    /// <summary>Performs one update of every parameter that has a gradient.</summary>
    public void Step()
    {
        using (GradMode.NoGrad())
        {
            foreach (var g in ParamGroups)
            {
                foreach (var p in g.Params)
                {
                    if (p.Grad is { } grad)
                    {
                        if (!State.TryGetValue(p, out var state))
                        {
                            State[p] = state = [];
                        }

                        Update(p, grad.Contiguous(), g, state);
                    }
                }
            }
        }
    }

    /// <summary>Updates one parameter in place from its gradient (contiguous), its group and its state.</summary>
    protected abstract void Update(Tensor param, Tensor grad, ParamGroup group, Dictionary<string, Tensor> state);

    /// <summary>The state tensor <paramref name="name"/>, created as zeros (or by <paramref name="init"/>) on first use.</summary>
    protected static Tensor StateTensor(Dictionary<string, Tensor> state, string name, Tensor like, Func<Tensor>? init = null)
    {
        if (!state.TryGetValue(name, out var t))
        {
            state[name] = t = init?.Invoke() ?? Tensor.ZerosLike(like);
        }

        return t;
    }

    /// <summary>Increments and returns the step count kept in the state.</summary>
    protected static int NextStep(Dictionary<string, Tensor> state)
    {
        var s = StateTensor(state, "step", Tensor.Scalar(0, DType.Float64), () => Tensor.Scalar(0, DType.Float64));
        double next = s.Item() + 1;
        s.FillInPlace(next);
        return (int)next;
    }

    /// <summary>Gradient clipping helpers live in <see cref="ClipGrad"/>.</summary>
    public override string ToString() =>
        $"{GetType().Name}(" + string.Join("; ", ParamGroups.Select((g, i) =>
            $"group {i}: lr={g.Lr}" + string.Concat(g.Options.Select(o => $", {o.Key}={o.Value}")))) + ")";
}
