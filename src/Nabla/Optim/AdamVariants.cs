using System.Numerics;

namespace Nabla.Optim;

/// <summary>Adamax: Adam with the infinity norm in place of the second moment (PyTorch's <c>optim.Adamax</c>).</summary>
/// <remarks>
/// <code>
/// t ← t + 1;  g ← ∇θ (negated if maximize);  g ← g + λθ
/// m ← β₁m + (1 − β₁)g;   u ← max(β₂u, |g| + ε)
/// θ ← θ − lr/(1 − β₁ᵗ) · m/u
/// </code>
/// State: <c>step</c>, <c>exp_avg</c> (m), <c>exp_inf</c> (u).
/// </remarks>
public sealed class Adamax : Optimizer
{
    /// <summary>Creates the optimizer (PyTorch's defaults: lr 2e-3, betas (0.9, 0.999), eps 1e-8).</summary>
    public Adamax(IEnumerable<Tensor> parameters, double lr = 2e-3, double beta1 = 0.9, double beta2 = 0.999,
        double eps = 1e-8, double weightDecay = 0, bool maximize = false)
        : base(parameters, lr, new Dictionary<string, double>
        {
            ["beta1"] = beta1, ["beta2"] = beta2, ["eps"] = eps, ["weightDecay"] = weightDecay, ["maximize"] = maximize ? 1 : 0,
        }) => CheckAdamLike(lr, beta1, beta2, eps, weightDecay);

    /// <inheritdoc/>
    protected override void Update(Tensor param, Tensor grad, ParamGroup group, Dictionary<string, Tensor> state)
    {
        int t = NextStep(state);
        var m = StateTensor(state, "exp_avg", param);
        var u = StateTensor(state, "exp_inf", param);
        double clr = group.Lr / (1 - Math.Pow(group["beta1"], t));
        if (param.DType == DType.Float32)
        {
            Run(param.Span<float>(), grad.Span<float>(), m.Span<float>(), u.Span<float>(), group, clr);
        }
        else
        {
            Run(param.Span<double>(), grad.Span<double>(), m.Span<double>(), u.Span<double>(), group, clr);
        }
    }

    private static void Run<T>(Span<T> p, ReadOnlySpan<T> grad, Span<T> m, Span<T> u, ParamGroup group, double clr)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T b1 = T.CreateTruncating(group["beta1"]), b2 = T.CreateTruncating(group["beta2"]), eps = T.CreateTruncating(group["eps"]);
        T wd = T.CreateTruncating(group["weightDecay"]), lr = T.CreateTruncating(clr);
        bool maximize = group["maximize"] != 0;
        for (int i = 0; i < p.Length; i++)
        {
            T g = (maximize ? -grad[i] : grad[i]) + (wd * p[i]);
            m[i] += (T.One - b1) * (g - m[i]);
            u[i] = T.Max(b2 * u[i], T.Abs(g) + eps);
            p[i] -= lr * (m[i] / u[i]);
        }
    }
}

/// <summary>NAdam: Adam with Nesterov momentum and a momentum schedule (PyTorch's <c>optim.NAdam</c>).</summary>
/// <remarks>
/// <code>
/// t ← t + 1;  g ← ∇θ (negated if maximize)
/// weight decay λ: g ← g + λθ, or θ ← θ(1 − lr·λ) if decoupled_weight_decay
/// μₜ = β₁(1 − ½·0.96^(t·ψ));  μₜ₊₁ = β₁(1 − ½·0.96^((t+1)·ψ));  Πₜ = Πₜ₋₁·μₜ      (ψ = momentum_decay)
/// m ← β₁m + (1 − β₁)g;   v ← β₂v + (1 − β₂)g²;   d = √(v/(1 − β₂ᵗ)) + ε
/// θ ← θ − lr(1 − μₜ)/(1 − Πₜ) · g/d − lr·μₜ₊₁/(1 − Πₜμₜ₊₁) · m/d
/// </code>
/// State: <c>step</c>, <c>mu_product</c> (Πₜ, a scalar), <c>exp_avg</c>, <c>exp_avg_sq</c>.
/// </remarks>
public sealed class NAdam : Optimizer
{
    private static readonly HashSet<string> Scalars = new(StringComparer.Ordinal) { "step", "mu_product" };

    /// <summary>Creates the optimizer (PyTorch's defaults: lr 2e-3, betas (0.9, 0.999), eps 1e-8, momentum_decay 4e-3).</summary>
    public NAdam(IEnumerable<Tensor> parameters, double lr = 2e-3, double beta1 = 0.9, double beta2 = 0.999,
        double eps = 1e-8, double weightDecay = 0, double momentumDecay = 4e-3, bool decoupledWeightDecay = false, bool maximize = false)
        : base(parameters, lr, new Dictionary<string, double>
        {
            ["beta1"] = beta1, ["beta2"] = beta2, ["eps"] = eps, ["weightDecay"] = weightDecay, ["momentumDecay"] = momentumDecay,
            ["decoupledWeightDecay"] = decoupledWeightDecay ? 1 : 0, ["maximize"] = maximize ? 1 : 0,
        })
    {
        CheckAdamLike(lr, beta1, beta2, eps, weightDecay);
        if (!(momentumDecay >= 0))
        {
            throw new ArgumentOutOfRangeException(nameof(momentumDecay), $"invalid momentum_decay value: {momentumDecay}");
        }
    }

    /// <inheritdoc/>
    public override IReadOnlySet<string> ScalarStateKeys => Scalars;

    /// <inheritdoc/>
    protected override void Update(Tensor param, Tensor grad, ParamGroup group, Dictionary<string, Tensor> state)
    {
        int t = NextStep(state);
        double b1 = group["beta1"], psi = group["momentumDecay"];
        double mu = b1 * (1 - (0.5 * Math.Pow(0.96, t * psi)));
        double muNext = b1 * (1 - (0.5 * Math.Pow(0.96, (t + 1) * psi)));
        double muProduct = ScalarState(state, "mu_product", 1) * mu;
        SetScalarState(state, "mu_product", muProduct);
        var k = new NAdamConstants(
            -group.Lr * (1 - mu) / (1 - muProduct), -group.Lr * muNext / (1 - (muProduct * muNext)),
            1 - Math.Pow(group["beta2"], t), group["decoupledWeightDecay"] != 0 ? 1 - (group.Lr * group["weightDecay"]) : 1);
        var m = StateTensor(state, "exp_avg", param);
        var v = StateTensor(state, "exp_avg_sq", param);
        if (param.DType == DType.Float32)
        {
            Run(param.Span<float>(), grad.Span<float>(), m.Span<float>(), v.Span<float>(), group, k);
        }
        else
        {
            Run(param.Span<double>(), grad.Span<double>(), m.Span<double>(), v.Span<double>(), group, k);
        }
    }

    private static void Run<T>(Span<T> p, ReadOnlySpan<T> grad, Span<T> m, Span<T> v, ParamGroup group, NAdamConstants k)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T b1 = T.CreateTruncating(group["beta1"]), b2 = T.CreateTruncating(group["beta2"]), eps = T.CreateTruncating(group["eps"]);
        bool decoupled = group["decoupledWeightDecay"] != 0, maximize = group["maximize"] != 0;
        T wd = decoupled ? T.Zero : T.CreateTruncating(group["weightDecay"]), decay = T.CreateTruncating(k.Decay);
        T cg = T.CreateTruncating(k.GradCoefficient), cm = T.CreateTruncating(k.MomentCoefficient), bc2 = T.CreateTruncating(k.BiasCorrection2);
        for (int i = 0; i < p.Length; i++)
        {
            T g = (maximize ? -grad[i] : grad[i]) + (wd * p[i]);
            p[i] *= decay;
            m[i] += (T.One - b1) * (g - m[i]);
            v[i] = (b2 * v[i]) + ((T.One - b2) * g * g);
            T d = T.Sqrt(v[i] / bc2) + eps;
            p[i] += cg * (g / d);
            p[i] += cm * (m[i] / d);
        }
    }

    private readonly record struct NAdamConstants(double GradCoefficient, double MomentCoefficient, double BiasCorrection2, double Decay);
}

/// <summary>RAdam: Adam with the variance of the adaptive rate rectified (PyTorch's <c>optim.RAdam</c>).</summary>
/// <remarks>
/// <code>
/// t ← t + 1;  g ← ∇θ (negated if maximize)
/// weight decay λ: g ← g + λθ, or θ ← θ(1 − lr·λ) if decoupled_weight_decay
/// m ← β₁m + (1 − β₁)g;   v ← β₂v + (1 − β₂)g²;   m̂ = m/(1 − β₁ᵗ)
/// ρ∞ = 2/(1 − β₂) − 1;   ρₜ = ρ∞ − 2tβ₂ᵗ/(1 − β₂ᵗ)
/// ρₜ &gt; 5: r = √((ρₜ − 4)(ρₜ − 2)ρ∞ / ((ρ∞ − 4)(ρ∞ − 2)ρₜ));  θ ← θ − lr·m̂·r·√(1 − β₂ᵗ)/(√v + ε)
/// else:   θ ← θ − lr·m̂
/// </code>
/// State: <c>step</c>, <c>exp_avg</c>, <c>exp_avg_sq</c>.
/// </remarks>
public sealed class RAdam : Optimizer
{
    /// <summary>Creates the optimizer (PyTorch's defaults: lr 1e-3, betas (0.9, 0.999), eps 1e-8).</summary>
    public RAdam(IEnumerable<Tensor> parameters, double lr = 1e-3, double beta1 = 0.9, double beta2 = 0.999,
        double eps = 1e-8, double weightDecay = 0, bool decoupledWeightDecay = false, bool maximize = false)
        : base(parameters, lr, new Dictionary<string, double>
        {
            ["beta1"] = beta1, ["beta2"] = beta2, ["eps"] = eps, ["weightDecay"] = weightDecay,
            ["decoupledWeightDecay"] = decoupledWeightDecay ? 1 : 0, ["maximize"] = maximize ? 1 : 0,
        }) => CheckAdamLike(lr, beta1, beta2, eps, weightDecay);

    /// <inheritdoc/>
    protected override void Update(Tensor param, Tensor grad, ParamGroup group, Dictionary<string, Tensor> state)
    {
        int t = NextStep(state);
        double b1 = group["beta1"], b2 = group["beta2"];
        double bc1 = 1 - Math.Pow(b1, t), bc2 = 1 - Math.Pow(b2, t);
        double rhoInf = (2 / (1 - b2)) - 1;
        double rhoT = rhoInf - (2 * t * Math.Pow(b2, t) / bc2);
        double rect = rhoT > 5 ? Math.Sqrt((rhoT - 4) * (rhoT - 2) * rhoInf / ((rhoInf - 4) * (rhoInf - 2) * rhoT)) : double.NaN;
        var k = new RAdamConstants(bc1, Math.Sqrt(bc2), rect, group["decoupledWeightDecay"] != 0 ? 1 - (group.Lr * group["weightDecay"]) : 1);
        var m = StateTensor(state, "exp_avg", param);
        var v = StateTensor(state, "exp_avg_sq", param);
        if (param.DType == DType.Float32)
        {
            Run(param.Span<float>(), grad.Span<float>(), m.Span<float>(), v.Span<float>(), group, k);
        }
        else
        {
            Run(param.Span<double>(), grad.Span<double>(), m.Span<double>(), v.Span<double>(), group, k);
        }
    }

    private static void Run<T>(Span<T> p, ReadOnlySpan<T> grad, Span<T> m, Span<T> v, ParamGroup group, RAdamConstants k)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T b1 = T.CreateTruncating(group["beta1"]), b2 = T.CreateTruncating(group["beta2"]), eps = T.CreateTruncating(group["eps"]);
        bool decoupled = group["decoupledWeightDecay"] != 0, maximize = group["maximize"] != 0, rectify = !double.IsNaN(k.Rect);
        T wd = decoupled ? T.Zero : T.CreateTruncating(group["weightDecay"]), decay = T.CreateTruncating(k.Decay);
        T lr = T.CreateTruncating(group.Lr), bc1 = T.CreateTruncating(k.BiasCorrection1), sqrtBc2 = T.CreateTruncating(k.SqrtBiasCorrection2);
        T rect = rectify ? T.CreateTruncating(k.Rect) : T.One;
        for (int i = 0; i < p.Length; i++)
        {
            T g = (maximize ? -grad[i] : grad[i]) + (wd * p[i]);
            p[i] *= decay;
            m[i] += (T.One - b1) * (g - m[i]);
            v[i] = (b2 * v[i]) + ((T.One - b2) * g * g);
            T step = m[i] / bc1 * lr;
            p[i] -= rectify ? step * (sqrtBc2 / (T.Sqrt(v[i]) + eps)) * rect : step;
        }
    }

    private readonly record struct RAdamConstants(double BiasCorrection1, double SqrtBiasCorrection2, double Rect, double Decay);
}
