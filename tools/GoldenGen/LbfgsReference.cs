using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace GoldenGen;

/// <summary>torch/optim/lbfgs.py's <c>LBFGS.step</c>, <c>_strong_wolfe</c> and <c>_cubic_interpolate</c>, line for line.</summary>
public sealed class LbfgsReference(List<Parameter> ps, Args a)
{
    private readonly double lr = a.F("lr"), tolGrad = a.F("tolerance_grad", 1e-7), tolChange = a.F("tolerance_change", 1e-9);
    private readonly int maxIter = (int)a.F("max_iter"), historySize = (int)a.F("history_size", 100);
    private readonly int maxEval = (int)a.F("max_eval", Math.Floor(a.F("max_iter") * 5 / 4));
    private readonly bool strongWolfe = a.S("line_search_fn") == "strong_wolfe";
    private Tensor? d, prevFlatGrad;
    private double t, hDiag, prevLoss;
    private List<Tensor> oldDirs = [], oldStps = [];
    private List<double> ro = [];
    private int funcEvals, nIterTotal;

    public Tensor Step(Func<Tensor> closure)
    {
        Tensor origLoss;
        using (torch.enable_grad())
        {
            origLoss = closure();
        }

        using var _ = torch.no_grad();
        double loss = origLoss.item<double>();
        int currentEvals = 1;
        funcEvals++;
        var flatGrad = GatherFlatGrad();
        bool optCond = flatGrad.abs().max().item<double>() <= tolGrad;
        if (optCond)
        {
            return origLoss;
        }

        int nIter = 0;
        while (nIter < maxIter)
        {
            nIter++;
            nIterTotal++;
            if (nIterTotal == 1)
            {
                d = flatGrad.neg();
                oldDirs = [];
                oldStps = [];
                ro = [];
                hDiag = 1;
            }
            else
            {
                var y = flatGrad.sub(prevFlatGrad!);
                var s = d!.mul(t);
                double ys = y.dot(s).item<double>();
                if (ys > 1e-10)
                {
                    if (oldDirs.Count == historySize)
                    {
                        oldDirs.RemoveAt(0);
                        oldStps.RemoveAt(0);
                        ro.RemoveAt(0);
                    }

                    oldDirs.Add(y);
                    oldStps.Add(s);
                    ro.Add(1.0 / ys);
                    hDiag = ys / y.dot(y).item<double>();
                }

                int numOld = oldDirs.Count;
                var al = new double[historySize];
                var q = flatGrad.neg();
                for (int i = numOld - 1; i >= 0; i--)
                {
                    al[i] = oldStps[i].dot(q).item<double>() * ro[i];
                    q.add_(oldDirs[i], alpha: -al[i]);
                }

                var r = torch.mul(q, hDiag);
                d = r;
                for (int i = 0; i < numOld; i++)
                {
                    double beI = oldDirs[i].dot(r).item<double>() * ro[i];
                    r.add_(oldStps[i], alpha: al[i] - beI);
                }
            }

            prevFlatGrad = flatGrad.clone();
            prevLoss = loss;
            t = nIterTotal == 1 ? Math.Min(1.0, 1.0 / flatGrad.abs().sum().item<double>()) * lr : lr;
            double gtd = flatGrad.dot(d!).item<double>();
            if (gtd > -tolChange)
            {
                break;
            }

            int lsFuncEvals = 0;
            if (strongWolfe)
            {
                var xInit = ps.Select(p => p.clone()).ToList();
                (loss, flatGrad, t, lsFuncEvals) = StrongWolfe(closure, xInit, t, d!, loss, flatGrad, gtd);
                AddGrad(t, d!);
                optCond = flatGrad.abs().max().item<double>() <= tolGrad;
            }
            else
            {
                AddGrad(t, d!);
                if (nIter != maxIter)
                {
                    using (torch.enable_grad())
                    {
                        loss = closure().item<double>();
                    }

                    flatGrad = GatherFlatGrad();
                    optCond = flatGrad.abs().max().item<double>() <= tolGrad;
                    lsFuncEvals = 1;
                }
            }

            currentEvals += lsFuncEvals;
            funcEvals += lsFuncEvals;
            if (nIter == maxIter || currentEvals >= maxEval || optCond)
            {
                break;
            }

            if (d!.mul(t).abs().max().item<double>() <= tolChange || Math.Abs(loss - prevLoss) < tolChange)
            {
                break;
            }
        }

        return origLoss;
    }

    private Tensor GatherFlatGrad() => torch.cat(ps.Select(p => p.grad is null ? p.new_zeros(p.numel()) : p.grad.view(-1)).ToList(), 0).clone();

    private void AddGrad(double stepSize, Tensor update)
    {
        long offset = 0;
        foreach (var p in ps)
        {
            long n = p.numel();
            p.add_(update.narrow(0, offset, n).view_as(p), alpha: stepSize);
            offset += n;
        }
    }

    private void SetParam(List<Tensor> x)
    {
        for (int i = 0; i < ps.Count; i++)
        {
            ps[i].copy_(x[i]);
        }
    }

    private (double F, Tensor G) DirectionalEvaluate(Func<Tensor> closure, List<Tensor> x, double step, Tensor dir)
    {
        AddGrad(step, dir);
        double loss;
        using (torch.enable_grad())
        {
            loss = closure().item<double>();
        }

        var flatGrad = GatherFlatGrad();
        SetParam(x);
        return (loss, flatGrad);
    }

    private static double Cubic(double x1, double f1, double g1, double x2, double f2, double g2, (double, double)? bounds = null)
    {
        var (xminBound, xmaxBound) = bounds ?? (x1 <= x2 ? (x1, x2) : (x2, x1));
        double d1 = g1 + g2 - (3 * (f1 - f2) / (x1 - x2));
        double d2Square = (d1 * d1) - (g1 * g2);
        if (d2Square >= 0)
        {
            double d2 = Math.Sqrt(d2Square);
            double minPos = x1 <= x2
                ? x2 - ((x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + (2 * d2))))
                : x1 - ((x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + (2 * d2))));
            return Math.Min(Math.Max(minPos, xminBound), xmaxBound);
        }

        return (xminBound + xmaxBound) / 2.0;
    }

    private (double, Tensor, double, int) StrongWolfe(Func<Tensor> closure, List<Tensor> x, double t, Tensor d, double f, Tensor g, double gtd)
    {
        const double c1 = 1e-4, c2 = 0.9;
        const int maxLs = 25;
        double dNorm = d.abs().max().item<double>();
        g = g.clone();
        var (fNew, gNew) = DirectionalEvaluate(closure, x, t, d);
        int lsFuncEvals = 1;
        double gtdNew = gNew.dot(d).item<double>();
        double tPrev = 0, fPrev = f, gtdPrev = gtd;
        var gPrev = g;
        bool done = false;
        int lsIter = 0;
        var bracket = new List<double>();
        var bracketF = new List<double>();
        var bracketG = new List<Tensor>();
        var bracketGtd = new List<double>();
        while (lsIter < maxLs)
        {
            if (fNew > (f + (c1 * t * gtd)) || (lsIter > 1 && fNew >= fPrev))
            {
                (bracket, bracketF, bracketG, bracketGtd) = ([tPrev, t], [fPrev, fNew], [gPrev, gNew.clone()], [gtdPrev, gtdNew]);
                break;
            }

            if (Math.Abs(gtdNew) <= -c2 * gtd)
            {
                (bracket, bracketF, bracketG) = ([t], [fNew], [gNew]);
                done = true;
                break;
            }

            if (gtdNew >= 0)
            {
                (bracket, bracketF, bracketG, bracketGtd) = ([tPrev, t], [fPrev, fNew], [gPrev, gNew.clone()], [gtdPrev, gtdNew]);
                break;
            }

            double minStep = t + (0.01 * (t - tPrev));
            double maxStep = t * 10;
            double tmp = t;
            t = Cubic(tPrev, fPrev, gtdPrev, t, fNew, gtdNew, (minStep, maxStep));
            tPrev = tmp;
            fPrev = fNew;
            gPrev = gNew.clone();
            gtdPrev = gtdNew;
            (fNew, gNew) = DirectionalEvaluate(closure, x, t, d);
            lsFuncEvals++;
            gtdNew = gNew.dot(d).item<double>();
            lsIter++;
        }

        if (lsIter == maxLs)
        {
            (bracket, bracketF, bracketG) = ([0, t], [f, fNew], [g, gNew]);
        }

        bool insufProgress = false;
        var (lowPos, highPos) = bracketF[0] <= bracketF[^1] ? (0, 1) : (1, 0);
        while (!done && lsIter < maxLs)
        {
            if (Math.Abs(bracket[1] - bracket[0]) * dNorm < tolChange)
            {
                break;
            }

            t = Cubic(bracket[0], bracketF[0], bracketGtd[0], bracket[1], bracketF[1], bracketGtd[1]);
            double eps = 0.1 * (bracket.Max() - bracket.Min());
            if (Math.Min(bracket.Max() - t, t - bracket.Min()) < eps)
            {
                if (insufProgress || t >= bracket.Max() || t <= bracket.Min())
                {
                    t = Math.Abs(t - bracket.Max()) < Math.Abs(t - bracket.Min()) ? bracket.Max() - eps : bracket.Min() + eps;
                    insufProgress = false;
                }
                else
                {
                    insufProgress = true;
                }
            }
            else
            {
                insufProgress = false;
            }

            (fNew, gNew) = DirectionalEvaluate(closure, x, t, d);
            lsFuncEvals++;
            gtdNew = gNew.dot(d).item<double>();
            lsIter++;
            if (fNew > (f + (c1 * t * gtd)) || fNew >= bracketF[lowPos])
            {
                bracket[highPos] = t;
                bracketF[highPos] = fNew;
                bracketG[highPos] = gNew.clone();
                bracketGtd[highPos] = gtdNew;
                (lowPos, highPos) = bracketF[0] <= bracketF[1] ? (0, 1) : (1, 0);
            }
            else
            {
                if (Math.Abs(gtdNew) <= -c2 * gtd)
                {
                    done = true;
                }
                else if (gtdNew * (bracket[highPos] - bracket[lowPos]) >= 0)
                {
                    bracket[highPos] = bracket[lowPos];
                    bracketF[highPos] = bracketF[lowPos];
                    bracketG[highPos] = bracketG[lowPos];
                    bracketGtd[highPos] = bracketGtd[lowPos];
                }

                bracket[lowPos] = t;
                bracketF[lowPos] = fNew;
                bracketG[lowPos] = gNew.clone();
                bracketGtd[lowPos] = gtdNew;
            }
        }

        t = bracket[lowPos];
        return (bracketF[lowPos], bracketG[lowPos], t, lsFuncEvals);
    }
}
