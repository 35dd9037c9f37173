using System.Numerics;

namespace Nabla.Optim;

/// <summary>RMSprop with optional centering and momentum (PyTorch's <c>optim.RMSprop</c>).</summary>
/// <remarks>
/// <code>
/// g ← ∇θ + λθ;  s ← αs + (1 − α)g²
/// centered: a ← αa + (1 − α)g;  d ← √(s − a²) + ε     else d ← √s + ε
/// momentum μ &gt; 0: b ← μb + g/d;  θ ← θ − lr·b        else θ ← θ − lr·g/d
/// </code>
/// </remarks>
public sealed class RMSprop : Optimizer
{
    /// <summary>Creates the optimizer.</summary>
    public RMSprop(IEnumerable<Tensor> parameters, double lr = 1e-2, double alpha = 0.99, double eps = 1e-8,
        double weightDecay = 0, double momentum = 0, bool centered = false, bool maximize = false)
        : base(parameters, lr, new Dictionary<string, double>
        {
            ["alpha"] = alpha, ["eps"] = eps, ["weightDecay"] = weightDecay, ["momentum"] = momentum,
            ["centered"] = centered ? 1 : 0, ["maximize"] = maximize ? 1 : 0,
        })
    {
    }

    /// <inheritdoc/>
    protected override void Update(Tensor param, Tensor grad, ParamGroup group, Dictionary<string, Tensor> state)
    {
        var sq = StateTensor(state, "square_avg", param);
        var avg = group["centered"] != 0 ? StateTensor(state, "grad_avg", param) : null;
        var buf = group["momentum"] > 0 ? StateTensor(state, "momentum_buffer", param) : null;
        if (param.DType == DType.Float32)
        {
            Run(param.Elements<float>(), param.Offset, grad.Span<float>(), sq.Span<float>(), avg is null ? default : avg.Span<float>(), buf is null ? default : buf.Span<float>(), group);
        }
        else
        {
            Run(param.Elements<double>(), param.Offset, grad.Span<double>(), sq.Span<double>(), avg is null ? default : avg.Span<double>(), buf is null ? default : buf.Span<double>(), group);
        }
    }

    private static void Run<T>(T[] p, int offset, ReadOnlySpan<T> grad, Span<T> sq, Span<T> avg, Span<T> buf, ParamGroup group)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T lr = T.CreateTruncating(group.Lr), alpha = T.CreateTruncating(group["alpha"]), eps = T.CreateTruncating(group["eps"]);
        T wd = T.CreateTruncating(group["weightDecay"]), mu = T.CreateTruncating(group["momentum"]);
        bool centered = group["centered"] != 0, maximize = group["maximize"] != 0;
        for (int i = 0; i < grad.Length; i++)
        {
            T theta = p[offset + i];
            T g = (maximize ? -grad[i] : grad[i]) + (wd * theta);
            sq[i] = (alpha * sq[i]) + ((T.One - alpha) * g * g);
            T d;
            if (centered)
            {
                avg[i] = (alpha * avg[i]) + ((T.One - alpha) * g);
                d = T.Sqrt(sq[i] - (avg[i] * avg[i])) + eps;
            }
            else
            {
                d = T.Sqrt(sq[i]) + eps;
            }

            if (mu > T.Zero)
            {
                buf[i] = (mu * buf[i]) + (g / d);
                p[offset + i] = theta - (lr * buf[i]);
            }
            else
            {
                p[offset + i] = theta - (lr * g / d);
            }
        }
    }
}

/// <summary>Adagrad: per-element learning rates from the sum of squared gradients (PyTorch's <c>optim.Adagrad</c>).</summary>
/// <remarks>
/// <code>
/// t ← t + 1;  g ← ∇θ + λθ;  lr_t = lr / (1 + (t − 1)·lr_decay)
/// s ← s + g²;  θ ← θ − lr_t · g / (√s + ε)
/// </code>
/// </remarks>
public sealed class Adagrad : Optimizer
{
    /// <summary>Creates the optimizer.</summary>
    public Adagrad(IEnumerable<Tensor> parameters, double lr = 1e-2, double lrDecay = 0, double weightDecay = 0,
        double initialAccumulatorValue = 0, double eps = 1e-10, bool maximize = false)
        : base(parameters, lr, new Dictionary<string, double>
        {
            ["lrDecay"] = lrDecay, ["weightDecay"] = weightDecay, ["initialAccumulatorValue"] = initialAccumulatorValue,
            ["eps"] = eps, ["maximize"] = maximize ? 1 : 0,
        })
    {
    }

    /// <inheritdoc/>
    protected override void Update(Tensor param, Tensor grad, ParamGroup group, Dictionary<string, Tensor> state)
    {
        int t = NextStep(state);
        var sum = StateTensor(state, "sum", param, () => Tensor.FullLike(param, group["initialAccumulatorValue"]));
        double clr = group.Lr / (1 + ((t - 1) * group["lrDecay"]));
        if (param.DType == DType.Float32)
        {
            Run(param.Elements<float>(), param.Offset, grad.Span<float>(), sum.Span<float>(), group, clr);
        }
        else
        {
            Run(param.Elements<double>(), param.Offset, grad.Span<double>(), sum.Span<double>(), group, clr);
        }
    }

    private static void Run<T>(T[] p, int offset, ReadOnlySpan<T> grad, Span<T> sum, ParamGroup group, double clr)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T lr = T.CreateTruncating(clr), eps = T.CreateTruncating(group["eps"]), wd = T.CreateTruncating(group["weightDecay"]);
        bool maximize = group["maximize"] != 0;
        for (int i = 0; i < grad.Length; i++)
        {
            T theta = p[offset + i];
            T g = (maximize ? -grad[i] : grad[i]) + (wd * theta);
            sum[i] += g * g;
            p[offset + i] = theta - (lr * g / (T.Sqrt(sum[i]) + eps));
        }
    }
}

/// <summary>Adadelta: step sizes from running averages of squared gradients and updates (PyTorch's <c>optim.Adadelta</c>).</summary>
/// <remarks>
/// <code>
/// g ← ∇θ + λθ;  s ← ρs + (1 − ρ)g²
/// Δ ← √(u + ε) / √(s + ε) · g;  u ← ρu + (1 − ρ)Δ²;  θ ← θ − lr·Δ
/// </code>
/// </remarks>
public sealed class Adadelta : Optimizer
{
    /// <summary>Creates the optimizer.</summary>
    public Adadelta(IEnumerable<Tensor> parameters, double lr = 1.0, double rho = 0.9, double eps = 1e-6,
        double weightDecay = 0, bool maximize = false)
        : base(parameters, lr, new Dictionary<string, double>
        {
            ["rho"] = rho, ["eps"] = eps, ["weightDecay"] = weightDecay, ["maximize"] = maximize ? 1 : 0,
        })
    {
    }

    /// <inheritdoc/>
    protected override void Update(Tensor param, Tensor grad, ParamGroup group, Dictionary<string, Tensor> state)
    {
        var sq = StateTensor(state, "square_avg", param);
        var acc = StateTensor(state, "acc_delta", param);
        if (param.DType == DType.Float32)
        {
            Run(param.Elements<float>(), param.Offset, grad.Span<float>(), sq.Span<float>(), acc.Span<float>(), group);
        }
        else
        {
            Run(param.Elements<double>(), param.Offset, grad.Span<double>(), sq.Span<double>(), acc.Span<double>(), group);
        }
    }

    private static void Run<T>(T[] p, int offset, ReadOnlySpan<T> grad, Span<T> sq, Span<T> acc, ParamGroup group)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T lr = T.CreateTruncating(group.Lr), rho = T.CreateTruncating(group["rho"]), eps = T.CreateTruncating(group["eps"]);
        T wd = T.CreateTruncating(group["weightDecay"]);
        bool maximize = group["maximize"] != 0;
        for (int i = 0; i < grad.Length; i++)
        {
            T theta = p[offset + i];
            T g = (maximize ? -grad[i] : grad[i]) + (wd * theta);
            sq[i] = (rho * sq[i]) + ((T.One - rho) * g * g);
            T delta = T.Sqrt(acc[i] + eps) / T.Sqrt(sq[i] + eps) * g;
            acc[i] = (rho * acc[i]) + ((T.One - rho) * delta * delta);
            p[offset + i] = theta - (lr * delta);
        }
    }
}
