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

    /// <summary>
    /// The learning rate schedulers compute from (PyTorch's <c>initial_lr</c>): the rate at the optimizer's
    /// construction until the first scheduler attaches, which takes the rate then (PyTorch's <c>setdefault</c>).
    /// </summary>
    public double InitialLr { get; internal set; }

    /// <summary>True once a scheduler has fixed <see cref="InitialLr"/>.</summary>
    internal bool InitialLrFixed { get; set; }

    /// <summary>Other hyper-parameters by name.</summary>
    public Dictionary<string, double> Options { get; }

    /// <summary>A hyper-parameter's value.</summary>
    public double this[string name] => Options.TryGetValue(name, out var v) ? v
        : throw new KeyNotFoundException($"param group has no option '{name}' (it has: {string.Join(", ", Options.Keys)})");
}

/// <summary>
/// The base of all optimizers: parameter groups, per-parameter state, <see cref="ZeroGrad"/> and
/// <see cref="Step()"/>. Each optimizer is one readable update loop (PyTorch's single-tensor path).
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

    /// <summary>
    /// The per-parameter state entries that are one-element Float64 scalars (the step count, NAdam's
    /// <c>mu_product</c>, ASGD's <c>eta</c> and <c>mu</c>); every other entry has its parameter's shape and dtype.
    /// </summary>
    public virtual IReadOnlySet<string> ScalarStateKeys { get; } = new HashSet<string>(StringComparer.Ordinal) { "step" };

    /// <summary>
    /// Evaluates <paramref name="closure"/> (which recomputes the loss and its gradients) with grad mode on, then
    /// performs one <see cref="Step()"/>; returns the closure's loss (PyTorch's <c>optimizer.step(closure)</c>).
    /// </summary>
    public virtual Tensor Step(Func<Tensor> closure)
    {
        ArgumentNullException.ThrowIfNull(closure);
        Tensor loss;
        using (GradMode.Enable(true))
        {
            loss = closure();
        }

        Step();
        return loss;
    }

    /// <summary>Performs one update of every parameter that has a gradient.</summary>
    public virtual void Step()
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

    /// <summary>Throws when the optimizer holds state that <see cref="State"/> does not show (LBFGS after a step).</summary>
    /// <exception cref="NotSupportedException">Saving would lose part of the state.</exception>
    protected internal virtual void CheckSavable()
    {
    }

    /// <summary>The state tensor <paramref name="name"/>, created as zeros (or by <paramref name="init"/>) on first use.</summary>
    protected static Tensor StateTensor(Dictionary<string, Tensor> state, string name, Tensor like, Func<Tensor>? init = null)
    {
        if (!state.TryGetValue(name, out var t))
        {
            state[name] = t = init?.Invoke() ?? Tensor.ZerosLike(like);
        }

        return t;
    }

    /// <summary>The one-element Float64 state entry <paramref name="name"/>, created as <paramref name="initial"/> on first use.</summary>
    protected static double ScalarState(Dictionary<string, Tensor> state, string name, double initial)
    {
        if (!state.TryGetValue(name, out var t))
        {
            state[name] = t = Tensor.Scalar(initial, DType.Float64);
        }

        return t.Item();
    }

    /// <summary>Sets the one-element state entry <paramref name="name"/>.</summary>
    protected static void SetScalarState(Dictionary<string, Tensor> state, string name, double value) =>
        state[name].FillInPlace(value);

    /// <summary>Throws unless the betas are in [0, 1) and eps, weight decay and the learning rate are ≥ 0 (PyTorch's checks).</summary>
    protected static void CheckAdamLike(double lr, double beta1, double beta2, double eps, double weightDecay)
    {
        if (!(lr >= 0))
        {
            throw new ArgumentOutOfRangeException(nameof(lr), $"invalid learning rate: {lr}");
        }

        if (!(eps >= 0))
        {
            throw new ArgumentOutOfRangeException(nameof(eps), $"invalid epsilon value: {eps}");
        }

        if (!(beta1 is >= 0 and < 1) || !(beta2 is >= 0 and < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(beta1), $"betas must be in [0, 1), got ({beta1}, {beta2})");
        }

        if (!(weightDecay >= 0))
        {
            throw new ArgumentOutOfRangeException(nameof(weightDecay), $"invalid weight_decay value: {weightDecay}");
        }
    }

    /// <summary>Increments and returns the step count kept in the state.</summary>
    protected static int NextStep(Dictionary<string, Tensor> state)
    {
        var s = StateTensor(state, "step", Tensor.Scalar(0, DType.Float64), () => Tensor.Scalar(0, DType.Float64));
        double next = s.Item() + 1;
        s.FillInPlace(next);
        return (int)next;
    }

    /// <summary>
    /// A copy of the optimizer's state as PyTorch lays it out: parameters numbered in group order, each group's
    /// hyper-parameters and parameter numbers, and the per-parameter state tensors by number.
    /// </summary>
    public OptimizerStateDict StateDict()
    {
        CheckSavable();
        var groups = new List<ParamGroupState>();
        var state = new Dictionary<int, IReadOnlyDictionary<string, Tensor>>();
        int index = 0;
        foreach (var g in ParamGroups)
        {
            var ids = new List<int>();
            foreach (var p in g.Params)
            {
                if (State.TryGetValue(p, out var s))
                {
                    state[index] = s.ToDictionary(kv => kv.Key, kv => kv.Value.Detach().CloneNoGrad());
                }

                ids.Add(index++);
            }

            groups.Add(new ParamGroupState(ids, g.Lr, g.InitialLr, new Dictionary<string, double>(g.Options)));
        }

        return new OptimizerStateDict(groups, state);
    }

    /// <summary>Restores hyper-parameters and per-parameter state saved by <see cref="StateDict"/> (copies are taken).</summary>
    /// <exception cref="ArgumentException">The group layout or a state tensor's shape differs from this optimizer's.</exception>
    public void LoadStateDict(OptimizerStateDict stateDict)
    {
        if (stateDict.ParamGroups.Count != ParamGroups.Count)
        {
            throw new ArgumentException($"optimizer state has {stateDict.ParamGroups.Count} parameter groups, this optimizer has {ParamGroups.Count}", nameof(stateDict));
        }

        var byIndex = ParamGroups.SelectMany(g => g.Params).ToList();
        for (int i = 0; i < ParamGroups.Count; i++)
        {
            var (saved, g) = (stateDict.ParamGroups[i], ParamGroups[i]);
            if (saved.Params.Count != g.Params.Count)
            {
                throw new ArgumentException($"parameter group {i} has {saved.Params.Count} parameters in the state but {g.Params.Count} here", nameof(stateDict));
            }

            g.Lr = saved.Lr;
            g.InitialLr = saved.InitialLr;
            foreach (var (k, v) in saved.Options)
            {
                g.Options[k] = v;
            }
        }

        State.Clear();
        foreach (var (i, s) in stateDict.State)
        {
            var p = byIndex[i];
            foreach (var (k, t) in s)
            {
                if (!ScalarStateKeys.Contains(k) && t.Shape != p.Shape)
                {
                    throw new ArgumentException($"state '{k}' of parameter {i} has shape {t.Shape}, the parameter has {p.Shape}", nameof(stateDict));
                }
            }

            State[p] = s.ToDictionary(kv => kv.Key, kv => kv.Value.Detach().CloneNoGrad());
        }
    }

    /// <summary>Gradient clipping helpers live in <see cref="ClipGrad"/>.</summary>
    public override string ToString() =>
        $"{GetType().Name}(" + string.Join("; ", ParamGroups.Select((g, i) =>
            $"group {i}: lr={g.Lr}" + string.Concat(g.Options.Select(o => $", {o.Key}={o.Value}")))) + ")";
}

/// <summary>One parameter group in an <see cref="OptimizerStateDict"/>.</summary>
/// <param name="Params">The numbers of its parameters (in group order across all groups).</param>
/// <param name="Lr">The current learning rate.</param>
/// <param name="InitialLr">The learning rate schedulers start from.</param>
/// <param name="Options">The other hyper-parameters.</param>
public sealed record ParamGroupState(IReadOnlyList<int> Params, double Lr, double InitialLr, IReadOnlyDictionary<string, double> Options);

/// <summary>An optimizer's saved state (PyTorch's <c>optimizer.state_dict()</c>).</summary>
/// <param name="ParamGroups">The groups.</param>
/// <param name="State">Per-parameter state tensors by parameter number (momentum buffers, moments, step).</param>
public sealed record OptimizerStateDict(IReadOnlyList<ParamGroupState> ParamGroups, IReadOnlyDictionary<int, IReadOnlyDictionary<string, Tensor>> State);
