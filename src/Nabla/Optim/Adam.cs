using System.Numerics;
using System.Runtime.Intrinsics;

namespace Nabla.Optim;

/// <summary>Adam, with optional AMSGrad, and AdamW's decoupled weight decay (PyTorch's <c>optim.Adam</c>).</summary>
/// <remarks>
/// <code>
/// t ← t + 1;  g ← ∇θ (negated if maximize)
/// Adam:  g ← g + λθ          AdamW:  θ ← θ·(1 − lr·λ)
/// m ← β₁m + (1 − β₁)g;   v ← β₂v + (1 − β₂)g²
/// v̂ ← max(v̂, v) if amsgrad else v
/// θ ← θ − lr/(1 − β₁ᵗ) · m / (√v̂/√(1 − β₂ᵗ) + ε)
/// </code>
/// </remarks>
public class Adam : Optimizer
{
    private readonly bool decoupled;

    /// <summary>Creates the optimizer; <paramref name="decoupledWeightDecay"/> makes it AdamW (PyTorch's Adam argument of that name).</summary>
    public Adam(IEnumerable<Tensor> parameters, double lr = 1e-3, double beta1 = 0.9, double beta2 = 0.999,
        double eps = 1e-8, double weightDecay = 0, bool amsgrad = false, bool maximize = false, bool decoupledWeightDecay = false)
        : this([new ParamGroup(parameters)], lr, beta1, beta2, eps, weightDecay, amsgrad, maximize, decoupledWeightDecay)
    {
    }

    /// <summary>Creates the optimizer over parameter groups.</summary>
    public Adam(IEnumerable<ParamGroup> groups, double lr = 1e-3, double beta1 = 0.9, double beta2 = 0.999,
        double eps = 1e-8, double weightDecay = 0, bool amsgrad = false, bool maximize = false)
        : this(groups, lr, beta1, beta2, eps, weightDecay, amsgrad, maximize, false)
    {
    }

    private protected Adam(IEnumerable<ParamGroup> groups, double lr, double beta1, double beta2, double eps,
        double weightDecay, bool amsgrad, bool maximize, bool decoupled)
        : base(groups, lr, new Dictionary<string, double>
        {
            ["beta1"] = beta1, ["beta2"] = beta2, ["eps"] = eps, ["weightDecay"] = weightDecay,
            ["amsgrad"] = amsgrad ? 1 : 0, ["maximize"] = maximize ? 1 : 0,
        })
    {
        if (beta1 is < 0 or >= 1 || beta2 is < 0 or >= 1)
        {
            throw new ArgumentOutOfRangeException(nameof(beta1), $"betas must be in [0, 1), got ({beta1}, {beta2})");
        }

        this.decoupled = decoupled;
    }

    /// <inheritdoc/>
    protected override void Update(Tensor param, Tensor grad, ParamGroup group, Dictionary<string, Tensor> state)
    {
        int t = NextStep(state);
        var m = StateTensor(state, "exp_avg", param);
        var v = StateTensor(state, "exp_avg_sq", param);
        var vmax = group["amsgrad"] != 0 ? StateTensor(state, "max_exp_avg_sq", param) : null;
        if (param.DType == DType.Float32)
        {
            Run(param.Elements<float>(), param.Offset, grad.Span<float>(), m.Span<float>(), v.Span<float>(), vmax is null ? default : vmax.Span<float>(), group, t);
        }
        else
        {
            Run(param.Elements<double>(), param.Offset, grad.Span<double>(), m.Span<double>(), v.Span<double>(), vmax is null ? default : vmax.Span<double>(), group, t);
        }
    }

    private void Run<T>(T[] p, int offset, ReadOnlySpan<T> grad, Span<T> m, Span<T> v, Span<T> vmax, ParamGroup group, int t)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        double b1 = group["beta1"], b2 = group["beta2"];
        var k = new AdamConstants<T>(
            T.CreateTruncating(b1), T.CreateTruncating(b2), T.CreateTruncating(group["eps"]), T.CreateTruncating(group["weightDecay"]),
            T.CreateTruncating(group.Lr / (1 - Math.Pow(b1, t))), T.CreateTruncating(Math.Sqrt(1 - Math.Pow(b2, t))),
            T.CreateTruncating(1 - (group.Lr * group["weightDecay"])), group["maximize"] != 0 ? -T.One : T.One);
        bool amsgrad = group["amsgrad"] != 0;
        var ps = p.AsSpan(offset, grad.Length);
        int i = 0;

        // One fused pass over θ, g, m, v (4 reads, 3 writes) instead of a pass per formula term.
        if (Vector512.IsHardwareAccelerated && !amsgrad)
        {
            var vk = new AdamConstants<Vector512<T>>(
                Vector512.Create(k.Beta1), Vector512.Create(k.Beta2), Vector512.Create(k.Eps), Vector512.Create(k.Lambda),
                Vector512.Create(k.StepSize), Vector512.Create(k.SqrtBc2), Vector512.Create(k.Decay), Vector512.Create(k.Sign));
            var one = Vector512<T>.One;
            for (; i <= grad.Length - Vector512<T>.Count; i += Vector512<T>.Count)
            {
                var theta = Vector512.Create(ps[i..]);
                var g = Vector512.Create(grad[i..]) * vk.Sign;
                if (decoupled)
                {
                    theta *= vk.Decay;
                }
                else
                {
                    g += vk.Lambda * theta;
                }

                var mi = (vk.Beta1 * Vector512.Create(m[i..])) + ((one - vk.Beta1) * g);
                var vi = (vk.Beta2 * Vector512.Create(v[i..])) + ((one - vk.Beta2) * g * g);
                mi.CopyTo(m[i..]);
                vi.CopyTo(v[i..]);
                (theta - (vk.StepSize * mi / ((Vector512.Sqrt(vi) / vk.SqrtBc2) + vk.Eps))).CopyTo(ps[i..]);
            }
        }

        for (; i < grad.Length; i++)
        {
            T theta = ps[i];
            T g = grad[i] * k.Sign;
            if (decoupled)
            {
                theta *= k.Decay;
            }
            else
            {
                g += k.Lambda * theta;
            }

            m[i] = (k.Beta1 * m[i]) + ((T.One - k.Beta1) * g);
            v[i] = (k.Beta2 * v[i]) + ((T.One - k.Beta2) * g * g);
            T vhat = v[i];
            if (amsgrad)
            {
                vmax[i] = T.Max(vmax[i], v[i]);
                vhat = vmax[i];
            }

            ps[i] = theta - (k.StepSize * m[i] / ((T.Sqrt(vhat) / k.SqrtBc2) + k.Eps));
        }
    }

    private readonly record struct AdamConstants<TV>(TV Beta1, TV Beta2, TV Eps, TV Lambda, TV StepSize, TV SqrtBc2, TV Decay, TV Sign);
}

/// <summary>Adam with decoupled weight decay θ ← θ(1 − lr·λ), default λ = 0.01 (PyTorch's <c>optim.AdamW</c>).</summary>
public sealed class AdamW : Adam
{
    /// <summary>Creates the optimizer.</summary>
    public AdamW(IEnumerable<Tensor> parameters, double lr = 1e-3, double beta1 = 0.9, double beta2 = 0.999,
        double eps = 1e-8, double weightDecay = 1e-2, bool amsgrad = false, bool maximize = false)
        : base([new ParamGroup(parameters)], lr, beta1, beta2, eps, weightDecay, amsgrad, maximize, true)
    {
    }
}
