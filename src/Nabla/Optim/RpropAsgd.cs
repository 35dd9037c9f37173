using System.Numerics;

namespace Nabla.Optim;

/// <summary>Rprop: per-element step sizes adapted from the signs of successive gradients (PyTorch's <c>optim.Rprop</c>).</summary>
/// <remarks>
/// <code>
/// g ← ∇θ (negated if maximize);  s = sign(g·g_prev)
/// s &gt; 0: η ← clamp(η·η₊)     s &lt; 0: η ← clamp(η·η₋), g ← 0     s = 0: η ← clamp(η)
/// θ ← θ − sign(g)·η;   g_prev ← g          (clamp to [step_sizes.min, step_sizes.max]; η starts at lr)
/// </code>
/// State: <c>step</c>, <c>prev</c> (g_prev), <c>step_size</c> (η). Like PyTorch, a later change of the
/// learning rate does not affect step sizes already created.
/// </remarks>
public sealed class Rprop : Optimizer
{
    /// <summary>Creates the optimizer (PyTorch's defaults: lr 1e-2, etas (0.5, 1.2), step_sizes (1e-6, 50)).</summary>
    /// <exception cref="ArgumentOutOfRangeException">Unless 0 &lt; etaminus &lt; 1 &lt; etaplus.</exception>
    public Rprop(IEnumerable<Tensor> parameters, double lr = 1e-2, double etaMinus = 0.5, double etaPlus = 1.2,
        double stepSizeMin = 1e-6, double stepSizeMax = 50, bool maximize = false)
        : base(parameters, lr, new Dictionary<string, double>
        {
            ["etaMinus"] = etaMinus, ["etaPlus"] = etaPlus, ["stepSizeMin"] = stepSizeMin, ["stepSizeMax"] = stepSizeMax,
            ["maximize"] = maximize ? 1 : 0,
        })
    {
        if (!(etaMinus > 0 && etaMinus < 1 && etaPlus > 1))
        {
            throw new ArgumentOutOfRangeException(nameof(etaMinus), $"invalid eta values: ({etaMinus}, {etaPlus}); need 0 < etaminus < 1 < etaplus");
        }
    }

    /// <inheritdoc/>
    protected override void Update(Tensor param, Tensor grad, ParamGroup group, Dictionary<string, Tensor> state)
    {
        NextStep(state);
        var prev = StateTensor(state, "prev", param);
        var size = StateTensor(state, "step_size", param, () => Tensor.FullLike(param, group.Lr));
        if (param.DType == DType.Float32)
        {
            Run(param.Span<float>(), grad.Span<float>(), prev.Span<float>(), size.Span<float>(), group);
        }
        else
        {
            Run(param.Span<double>(), grad.Span<double>(), prev.Span<double>(), size.Span<double>(), group);
        }
    }

    private static void Run<T>(Span<T> p, ReadOnlySpan<T> grad, Span<T> prev, Span<T> size, ParamGroup group)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T minus = T.CreateTruncating(group["etaMinus"]), plus = T.CreateTruncating(group["etaPlus"]);
        T lo = T.CreateTruncating(group["stepSizeMin"]), hi = T.CreateTruncating(group["stepSizeMax"]);
        bool maximize = group["maximize"] != 0;
        for (int i = 0; i < p.Length; i++)
        {
            T g = maximize ? -grad[i] : grad[i];
            T s = g * prev[i];
            T eta = s > T.Zero ? plus : s < T.Zero ? minus : T.One;
            size[i] = T.Clamp(size[i] * eta, lo, hi);
            if (s < T.Zero)
            {
                g = T.Zero;
            }

            p[i] -= T.CreateTruncating(T.Sign(g)) * size[i];
            prev[i] = g;
        }
    }
}

/// <summary>Averaged stochastic gradient descent (PyTorch's <c>optim.ASGD</c>).</summary>
/// <remarks>
/// <code>
/// t ← t + 1;  g ← ∇θ (negated if maximize) + λ_wd·θ
/// θ ← θ(1 − λ·η) − η·g
/// ax ← θ if μ = 1, else ax + μ(θ − ax)
/// η ← lr / (1 + λ·lr·t)^α;   μ ← 1 / max(1, t − t₀)
/// </code>
/// State: <c>step</c>, <c>eta</c> (η, starts at lr), <c>mu</c> (μ, starts at 1) as scalars, and <c>ax</c>, the
/// averaged parameters (read them with <see cref="Averaged"/>).
/// </remarks>
public sealed class ASGD : Optimizer
{
    private static readonly HashSet<string> Scalars = new(StringComparer.Ordinal) { "step", "eta", "mu" };

    /// <summary>Creates the optimizer (PyTorch's defaults: lr 1e-2, lambd 1e-4, alpha 0.75, t0 1e6, weight_decay 0).</summary>
    public ASGD(IEnumerable<Tensor> parameters, double lr = 1e-2, double lambd = 1e-4, double alpha = 0.75, double t0 = 1e6,
        double weightDecay = 0, bool maximize = false)
        : base(parameters, lr, new Dictionary<string, double>
        {
            ["lambd"] = lambd, ["alpha"] = alpha, ["t0"] = t0, ["weightDecay"] = weightDecay, ["maximize"] = maximize ? 1 : 0,
        })
    {
        if (!(weightDecay >= 0))
        {
            throw new ArgumentOutOfRangeException(nameof(weightDecay), $"invalid weight_decay value: {weightDecay}");
        }
    }

    /// <inheritdoc/>
    public override IReadOnlySet<string> ScalarStateKeys => Scalars;

    /// <summary>The running average <c>ax</c> of <paramref name="param"/>, or null before its first step.</summary>
    public Tensor? Averaged(Tensor param) => State.TryGetValue(param, out var s) && s.TryGetValue("ax", out var ax) ? ax : null;

    /// <inheritdoc/>
    protected override void Update(Tensor param, Tensor grad, ParamGroup group, Dictionary<string, Tensor> state)
    {
        int t = NextStep(state);
        double eta = ScalarState(state, "eta", group.Lr), mu = ScalarState(state, "mu", 1);
        var ax = StateTensor(state, "ax", param);
        if (param.DType == DType.Float32)
        {
            Run(param.Span<float>(), grad.Span<float>(), ax.Span<float>(), group, eta, mu);
        }
        else
        {
            Run(param.Span<double>(), grad.Span<double>(), ax.Span<double>(), group, eta, mu);
        }

        double lr = group.Lr, lambd = group["lambd"];
        SetScalarState(state, "eta", lr / Math.Pow(1 + (lambd * lr * t), group["alpha"]));
        SetScalarState(state, "mu", 1 / Math.Max(1, t - group["t0"]));
    }

    private static void Run<T>(Span<T> p, ReadOnlySpan<T> grad, Span<T> ax, ParamGroup group, double eta, double mu)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T wd = T.CreateTruncating(group["weightDecay"]), decay = T.CreateTruncating(1 - (group["lambd"] * eta));
        T e = T.CreateTruncating(eta), m = T.CreateTruncating(mu);
        bool maximize = group["maximize"] != 0;
        for (int i = 0; i < p.Length; i++)
        {
            T g = (maximize ? -grad[i] : grad[i]) + (wd * p[i]);
            p[i] = (p[i] * decay) - (e * g);
            ax[i] = mu == 1 ? p[i] : ax[i] + ((p[i] - ax[i]) * m);
        }
    }
}
