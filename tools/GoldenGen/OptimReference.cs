using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace GoldenGen;

/// <summary>
/// PyTorch's single-tensor optimizer updates (torch/optim/adamax.py, nadam.py, radam.py, rprop.py, asgd.py,
/// <c>_single_tensor_*</c>, non-differentiable, non-capturable path) transcribed line for line in libtorch ops.
/// </summary>
public sealed class Reference(string op, Args a, List<Parameter> ps)
{
    private readonly Dictionary<Parameter, Dictionary<string, Tensor>> state = [];
    private readonly Dictionary<Parameter, double> steps = [], muProducts = [], etas = [], mus = [];

    public string Op => op;

    public Dictionary<string, Tensor> State(Parameter p) => state[p];

    public void Step()
    {
        using var _ = torch.no_grad();
        foreach (var p in ps)
        {
            var grad = p.grad!;
            if (!state.TryGetValue(p, out var st))
            {
                state[p] = st = Init(p);
            }

            steps[p] = steps.GetValueOrDefault(p) + 1;
            double step = steps[p];
            switch (op)
            {
                case "adamax": Adamax(p, a.B("maximize") ? -grad : grad, st, step); break;
                case "nadam": NAdam(p, a.B("maximize") ? -grad : grad, st, step); break;
                case "radam": RAdam(p, a.B("maximize") ? -grad : grad, st, step); break;
                case "rprop": Rprop(p, a.B("maximize") ? -grad : grad, st); break;
                case "asgd": Asgd(p, a.B("maximize") ? -grad : grad, st, step); break;
                default: throw new InvalidOperationException(op);
            }
        }
    }

    private Dictionary<string, Tensor> Init(Parameter p) => op switch
    {
        "adamax" => new() { ["exp_avg"] = zeros_like(p), ["exp_inf"] = zeros_like(p) },
        "nadam" or "radam" => new() { ["exp_avg"] = zeros_like(p), ["exp_avg_sq"] = zeros_like(p) },
        "rprop" => new() { ["prev"] = zeros_like(p), ["step_size"] = full_like(p, a.F("lr")) },
        "asgd" => new() { ["ax"] = zeros_like(p) },
        _ => throw new InvalidOperationException(op),
    };

    private void Adamax(Parameter param, Tensor grad, Dictionary<string, Tensor> st, double step)
    {
        var (beta1, beta2) = a.Pair("betas", 0.9, 0.999);
        double lr = a.F("lr"), eps = a.F("eps", 1e-8), wd = a.F("weight_decay", 0);
        var (expAvg, expInf) = (st["exp_avg"], st["exp_inf"]);
        if (wd != 0)
        {
            grad = grad.add(param, alpha: wd);
        }

        expAvg.lerp_(grad, 1 - beta1);
        var normBuf = cat([expInf.mul_(beta2).unsqueeze(0), grad.abs().add_(eps).unsqueeze_(0)], 0);
        expInf.copy_(amax(normBuf, [0], false));
        double clr = lr / (1 - Math.Pow(beta1, step));
        param.addcdiv_(expAvg, expInf, value: -clr);
    }

    private void NAdam(Parameter param, Tensor grad, Dictionary<string, Tensor> st, double step)
    {
        var (beta1, beta2) = a.Pair("betas", 0.9, 0.999);
        double lr = a.F("lr"), eps = a.F("eps", 1e-8), wd = a.F("weight_decay", 0), psi = a.F("momentum_decay", 4e-3);
        var (expAvg, expAvgSq) = (st["exp_avg"], st["exp_avg_sq"]);
        double biasCorrection2 = 1 - Math.Pow(beta2, step);
        if (wd != 0)
        {
            if (a.B("decoupled_weight_decay"))
            {
                param.mul_(1 - (lr * wd));
            }
            else
            {
                grad = grad.add(param, alpha: wd);
            }
        }

        double mu = beta1 * (1.0 - (0.5 * Math.Pow(0.96, step * psi)));
        double muNext = beta1 * (1.0 - (0.5 * Math.Pow(0.96, (step + 1) * psi)));
        double muProduct = muProducts.GetValueOrDefault(param, 1.0) * mu;
        muProducts[param] = muProduct;
        expAvg.lerp_(grad, 1 - beta1);
        expAvgSq.mul_(beta2).addcmul_(grad, grad, value: 1 - beta2);
        var denom = expAvgSq.div(biasCorrection2).sqrt();
        double muProductNext = muProduct * muNext;
        denom.add_(eps);
        param.addcdiv_(grad, denom, value: -lr * (1.0 - mu) / (1.0 - muProduct));
        param.addcdiv_(expAvg, denom, value: -lr * muNext / (1.0 - muProductNext));
    }

    private void RAdam(Parameter param, Tensor grad, Dictionary<string, Tensor> st, double step)
    {
        var (beta1, beta2) = a.Pair("betas", 0.9, 0.999);
        double lr = a.F("lr"), eps = a.F("eps", 1e-8), wd = a.F("weight_decay", 0);
        var (expAvg, expAvgSq) = (st["exp_avg"], st["exp_avg_sq"]);
        if (wd != 0)
        {
            if (a.B("decoupled_weight_decay"))
            {
                param.mul_(1 - (lr * wd));
            }
            else
            {
                grad = grad.add(param, alpha: wd);
            }
        }

        expAvg.lerp_(grad, 1 - beta1);
        expAvgSq.mul_(beta2).addcmul_(grad, grad, value: 1 - beta2);
        double biasCorrection1 = 1 - Math.Pow(beta1, step), biasCorrection2 = 1 - Math.Pow(beta2, step);
        var biasCorrectedExpAvg = expAvg / biasCorrection1;
        double rhoInf = (2 / (1 - beta2)) - 1;
        double rhoT = rhoInf - (2 * step * Math.Pow(beta2, step) / biasCorrection2);
        if (rhoT > 5.0)
        {
            double rect = Math.Sqrt((rhoT - 4) * (rhoT - 2) * rhoInf / ((rhoInf - 4) * (rhoInf - 2) * rhoT));
            var expAvgSqSqrt = expAvgSq.sqrt().add_(eps);
            var adaptiveLr = Math.Sqrt(biasCorrection2) / expAvgSqSqrt;
            param.add_(biasCorrectedExpAvg * lr * adaptiveLr * rect, alpha: -1.0);
        }
        else
        {
            param.add_(biasCorrectedExpAvg * lr, alpha: -1.0);
        }
    }

    private void Rprop(Parameter param, Tensor grad, Dictionary<string, Tensor> st)
    {
        var (etaminus, etaplus) = a.Pair("etas", 0.5, 1.2);
        var (stepSizeMin, stepSizeMax) = a.Pair("step_sizes", 1e-6, 50);
        var (prev, stepSize) = (st["prev"], st["step_size"]);
        var sign = grad.mul(prev).sign();
        var pos = sign.gt(0);
        var neg = sign.lt(0);
        var zero = sign.eq(0);
        sign[pos] = etaplus;
        sign[neg] = etaminus;
        sign[zero] = 1;
        stepSize.mul_(sign).clamp_(stepSizeMin, stepSizeMax);
        grad = grad.clone();
        grad[sign.eq(etaminus)] = 0;
        param.addcmul_(grad.sign(), stepSize, value: -1);
        prev.copy_(grad);
    }

    private void Asgd(Parameter param, Tensor grad, Dictionary<string, Tensor> st, double step)
    {
        double lr = a.F("lr"), lambd = a.F("lambd", 1e-4), alpha = a.F("alpha", 0.75), t0 = a.F("t0", 1e6), wd = a.F("weight_decay", 0);
        var ax = st["ax"];
        double eta = etas.GetValueOrDefault(param, lr), mu = mus.GetValueOrDefault(param, 1);
        if (wd != 0)
        {
            grad = grad.add(param, alpha: wd);
        }

        param.mul_(1 - (lambd * eta));
        param.add_(grad, alpha: -eta);
        if (mu != 1)
        {
            ax.add_(param.sub(ax).mul_(mu));
        }
        else
        {
            ax.copy_(param);
        }

        etas[param] = lr / Math.Pow(1 + (lambd * lr * step), alpha);
        mus[param] = 1 / Math.Max(1, step - t0);
    }
}
