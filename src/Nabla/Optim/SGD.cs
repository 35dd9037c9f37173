using System.Numerics;
using System.Runtime.Intrinsics;

namespace Nabla.Optim;

/// <summary>Stochastic gradient descent with momentum, dampening, Nesterov and weight decay (PyTorch's <c>optim.SGD</c>).</summary>
/// <remarks>
/// <code>
/// g ← ∇θ (−∇θ if maximize);  g ← g + λθ                (weight decay λ)
/// if μ ≠ 0:  b ← g at the first step, else b ← μb + (1 − τ)g   (dampening τ)
///            g ← g + μb if nesterov else b
/// θ ← θ − lr·g
/// </code>
/// </remarks>
public sealed class SGD : Optimizer
{
    /// <summary>Creates the optimizer.</summary>
    public SGD(IEnumerable<Tensor> parameters, double lr = 1e-3, double momentum = 0, double dampening = 0,
        double weightDecay = 0, bool nesterov = false, bool maximize = false)
        : this([new ParamGroup(parameters)], lr, momentum, dampening, weightDecay, nesterov, maximize)
    {
    }

    /// <summary>Creates the optimizer over parameter groups.</summary>
    public SGD(IEnumerable<ParamGroup> groups, double lr = 1e-3, double momentum = 0, double dampening = 0,
        double weightDecay = 0, bool nesterov = false, bool maximize = false)
        : base(groups, lr, new Dictionary<string, double>
        {
            ["momentum"] = momentum, ["dampening"] = dampening, ["weightDecay"] = weightDecay,
            ["nesterov"] = nesterov ? 1 : 0, ["maximize"] = maximize ? 1 : 0,
        })
    {
        if (nesterov && (momentum <= 0 || dampening != 0))
        {
            throw new ArgumentException("SGD: Nesterov momentum requires a momentum and zero dampening");
        }
    }

    /// <inheritdoc/>
    protected override void Update(Tensor param, Tensor grad, ParamGroup group, Dictionary<string, Tensor> state)
    {
        bool first = !state.ContainsKey("momentum_buffer");
        var buf = group["momentum"] != 0 ? StateTensor(state, "momentum_buffer", param) : null;
        if (param.DType == DType.Float32)
        {
            Run(param.Elements<float>(), param.Offset, grad.Span<float>(), buf is null ? default : buf.Span<float>(), group, first);
        }
        else
        {
            Run(param.Elements<double>(), param.Offset, grad.Span<double>(), buf is null ? default : buf.Span<double>(), group, first);
        }
    }

    private static void Run<T>(T[] p, int offset, ReadOnlySpan<T> grad, Span<T> buf, ParamGroup group, bool first)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T lr = T.CreateTruncating(group.Lr), mu = T.CreateTruncating(group["momentum"]);
        T damp = T.One - T.CreateTruncating(group["dampening"]), wd = T.CreateTruncating(group["weightDecay"]);
        T sign = group["maximize"] != 0 ? -T.One : T.One;
        bool nesterov = group["nesterov"] != 0;
        var ps = p.AsSpan(offset, grad.Length);
        int i = 0;

        // The common case (momentum, no Nesterov, after the first step) as one fused vector pass.
        if (Vector512.IsHardwareAccelerated && mu != T.Zero && !first && !nesterov)
        {
            var (vlr, vmu, vdamp, vwd, vsign) = (Vector512.Create(lr), Vector512.Create(mu), Vector512.Create(damp), Vector512.Create(wd), Vector512.Create(sign));
            for (; i <= grad.Length - Vector512<T>.Count; i += Vector512<T>.Count)
            {
                var theta = Vector512.Create(ps[i..]);
                var g = (Vector512.Create(grad[i..]) * vsign) + (vwd * theta);
                var b = (vmu * Vector512.Create(buf[i..])) + (vdamp * g);
                b.CopyTo(buf[i..]);
                (theta - (vlr * b)).CopyTo(ps[i..]);
            }
        }

        for (; i < grad.Length; i++)
        {
            T theta = ps[i];
            T g = (grad[i] * sign) + (wd * theta);
            if (mu != T.Zero)
            {
                buf[i] = first ? g : (mu * buf[i]) + (damp * g);
                g = nesterov ? g + (mu * buf[i]) : buf[i];
            }

            ps[i] = theta - (lr * g);
        }
    }
}
