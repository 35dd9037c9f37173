namespace Nabla.Optim;

/// <summary>
/// The strong-Wolfe line search of PyTorch's LBFGS (<c>_strong_wolfe</c>, after Nocedal and Wright, algorithms
/// 3.5 and 3.6): bracket a step that satisfies f(t) ≤ f(0) + c₁·t·gᵀd and |g(t)ᵀd| ≤ −c₂·gᵀd, then zoom in by
/// safeguarded cubic interpolation. Every evaluation moves the parameters to x + t·d and back.
/// </summary>
internal sealed class StrongWolfe(LBFGS opt, Func<Tensor> closure, double[] x, double[] d, double toleranceChange)
{
    private const double C1 = 1e-4, C2 = 0.9;
    private const int MaxLs = 25;

    private readonly double[] bracket = new double[2], bracketF = new double[2], bracketGtd = new double[2];
    private readonly double[][] bracketG = new double[2][];
    private int evals;

    /// <summary>Returns the loss, gradient and step accepted, and the number of closure evaluations.</summary>
    public (double Loss, double[] Grad, double T, int Evals) Search(double t, double f, double[] g, double gtd)
    {
        double dNorm = LBFGS.MaxAbs(d);
        var (fNew, gNew) = Evaluate(t);
        double gtdNew = LBFGS.Dot(gNew, d);
        double tPrev = 0, fPrev = f, gtdPrev = gtd;
        var gPrev = g;
        bool done = false;
        int count = 1, lsIter = 0;
        while (lsIter < MaxLs)
        {
            bool sufficientDecrease = !(fNew > f + (C1 * t * gtd) || (lsIter > 1 && fNew >= fPrev));
            if (sufficientDecrease && Math.Abs(gtdNew) <= -C2 * gtd)
            {
                Set(0, t, fNew, gNew, gtdNew);
                count = 1;
                done = true;
                break;
            }

            if (!sufficientDecrease || gtdNew >= 0)
            {
                Set(0, tPrev, fPrev, gPrev, gtdPrev);
                Set(1, t, fNew, gNew, gtdNew);
                count = 2;
                break;
            }

            double minStep = t + (0.01 * (t - tPrev)), maxStep = t * 10, tmp = t;
            t = Cubic(tPrev, fPrev, gtdPrev, t, fNew, gtdNew, minStep, maxStep);
            (tPrev, fPrev, gPrev, gtdPrev) = (tmp, fNew, gNew, gtdNew);
            (fNew, gNew) = Evaluate(t);
            gtdNew = LBFGS.Dot(gNew, d);
            lsIter++;
        }

        if (lsIter == MaxLs)
        {
            // Out of evaluations while still expanding: PyTorch's bracket [0, t] (its zoom loop then does not run).
            Set(0, 0, f, g, gtd);
            Set(1, t, fNew, gNew, gtdNew);
            count = 2;
        }

        int low = count == 1 || bracketF[0] <= bracketF[1] ? 0 : 1;
        if (!done && count == 2)
        {
            low = Zoom(f, gtd, dNorm, lsIter);
        }

        return (bracketF[low], bracketG[low], bracket[low], evals);
    }

    /// <summary>Shrinks the bracket until a point satisfies the strong-Wolfe conditions; returns the low end's index.</summary>
    private int Zoom(double f, double gtd, double dNorm, int lsIter)
    {
        bool insufProgress = false;
        int low = bracketF[0] <= bracketF[1] ? 0 : 1, high = 1 - low;
        while (lsIter < MaxLs)
        {
            if (Math.Abs(bracket[1] - bracket[0]) * dNorm < toleranceChange)
            {
                break;
            }

            double t = Cubic(bracket[0], bracketF[0], bracketGtd[0], bracket[1], bracketF[1], bracketGtd[1],
                Math.Min(bracket[0], bracket[1]), Math.Max(bracket[0], bracket[1]));
            double bMax = Math.Max(bracket[0], bracket[1]), bMin = Math.Min(bracket[0], bracket[1]);
            double eps = 0.1 * (bMax - bMin);

            (t, insufProgress) = AwayFromEnds(t, bMin, bMax, eps, insufProgress);

            var (fNew, gNew) = Evaluate(t);
            double gtdNew = LBFGS.Dot(gNew, d);
            lsIter++;
            if (fNew > f + (C1 * t * gtd) || fNew >= bracketF[low])
            {
                Set(high, t, fNew, gNew, gtdNew);
                (low, high) = bracketF[0] <= bracketF[1] ? (0, 1) : (1, 0);
            }
            else
            {
                if (Math.Abs(gtdNew) <= -C2 * gtd)
                {
                    Set(low, t, fNew, gNew, gtdNew);
                    break;
                }

                if (gtdNew * (bracket[high] - bracket[low]) >= 0)
                {
                    Set(high, bracket[low], bracketF[low], bracketG[low], bracketGtd[low]);
                }

                Set(low, t, fNew, gNew, gtdNew);
            }
        }

        return low;
    }

    // Too close to an end of the bracket: move away from it unless the last step already made progress.
    private static (double T, bool InsufProgress) AwayFromEnds(double t, double bMin, double bMax, double eps, bool insufProgress)
    {
        if (Math.Min(bMax - t, t - bMin) >= eps)
        {
            return (t, false);
        }

        return insufProgress || t >= bMax || t <= bMin ? (Math.Abs(t - bMax) < Math.Abs(t - bMin) ? bMax - eps : bMin + eps, false) : (t, true);
    }

    private void Set(int i, double t, double f, double[] g, double gtd) =>
        (bracket[i], bracketF[i], bracketG[i], bracketGtd[i]) = (t, f, g, gtd);

    /// <summary>Loss and gradient at x + t·d; the parameters are put back to x.</summary>
    private (double F, double[] G) Evaluate(double t)
    {
        opt.AddStep(t, d);
        opt.Evaluate(closure, out double f, out var g);
        opt.SetFlat(x);
        evals++;
        return (f, g);
    }

    /// <summary>
    /// The minimiser of the cubic through (x1, f1, g1) and (x2, f2, g2), clamped to [lo, hi]; the middle of the
    /// bounds when the cubic has no minimum (PyTorch's <c>_cubic_interpolate</c>).
    /// </summary>
    internal static double Cubic(double x1, double f1, double g1, double x2, double f2, double g2, double lo, double hi)
    {
        double d1 = g1 + g2 - (3 * (f1 - f2) / (x1 - x2));
        double d2Square = (d1 * d1) - (g1 * g2);
        if (d2Square < 0)
        {
            return (lo + hi) / 2;
        }

        double d2 = Math.Sqrt(d2Square);
        double minPos = x1 <= x2
            ? x2 - ((x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + (2 * d2))))
            : x1 - ((x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + (2 * d2))));
        return Math.Min(Math.Max(minPos, lo), hi);
    }
}
