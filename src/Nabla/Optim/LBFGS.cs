namespace Nabla.Optim;

/// <summary>
/// Limited-memory BFGS (PyTorch's <c>optim.LBFGS</c>): each <see cref="Step(Func{Tensor})"/> runs up to
/// <c>max_iter</c> quasi-Newton iterations, re-evaluating the loss through the closure.
/// </summary>
/// <remarks>
/// <code>
/// d = −H·g  (two-loop recursion over the last history_size pairs s = θₖ₊₁ − θₖ, y = gₖ₊₁ − gₖ kept when yᵀs &gt; 1e-10,
///            H₀ = yᵀs / yᵀy;  first iteration d = −g)
/// step t = lr (first iteration: min(1, 1/‖g‖₁)·lr), or by a strong-Wolfe line search (c₁ 1e-4, c₂ 0.9, 25 evaluations)
/// θ ← θ + t·d
/// stops on max_iter, max_eval, ‖g‖∞ ≤ tolerance_grad, ‖t·d‖∞ ≤ tolerance_change, |Δloss| &lt; tolerance_change,
/// or a direction that is not a descent one (gᵀd &gt; −tolerance_change)
/// </code>
/// Like PyTorch it takes one parameter group and keeps its state (the curvature pairs, the last direction and
/// step) across calls. The arithmetic is in float64 whatever the parameters' dtype. Its state is not part of
/// <see cref="Optimizer.StateDict"/> (that would be refused rather than saved incompletely).
/// </remarks>
public sealed class LBFGS : Optimizer
{
    private readonly List<double[]> oldDirs = [], oldSteps = [];
    private readonly List<double> ro = [];
    private double[]? direction, prevFlatGrad;
    private double stepLength, hDiag = 1, prevLoss;

    /// <summary>Creates the optimizer (PyTorch's defaults).</summary>
    /// <param name="parameters">The parameters.</param>
    /// <param name="lr">The step length scale.</param>
    /// <param name="maxIter">Iterations per <see cref="Step(Func{Tensor})"/>.</param>
    /// <param name="maxEval">Closure evaluations per step; null means maxIter·5/4.</param>
    /// <param name="toleranceGrad">Stop when the largest absolute gradient entry is at most this.</param>
    /// <param name="toleranceChange">Stop when the step or the loss change is below this.</param>
    /// <param name="historySize">How many curvature pairs are kept.</param>
    /// <param name="lineSearchFn">null (a fixed step) or "strong_wolfe".</param>
    public LBFGS(IEnumerable<Tensor> parameters, double lr = 1, int maxIter = 20, int? maxEval = null, double toleranceGrad = 1e-7,
        double toleranceChange = 1e-9, int historySize = 100, string? lineSearchFn = null)
        : base(parameters, lr, new Dictionary<string, double>
        {
            ["maxIter"] = maxIter, ["maxEval"] = maxEval ?? (maxIter * 5 / 4), ["toleranceGrad"] = toleranceGrad,
            ["toleranceChange"] = toleranceChange, ["historySize"] = historySize, ["strongWolfe"] = lineSearchFn is null ? 0 : 1,
        })
    {
        if (lineSearchFn is not (null or "strong_wolfe"))
        {
            throw new ArgumentException($"LBFGS: line_search_fn must be None or 'strong_wolfe', got '{lineSearchFn}'", nameof(lineSearchFn));
        }

        if (maxIter < 1 || maxEval is < 1 || historySize < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(maxIter), $"LBFGS: max_iter ({maxIter}), max_eval ({maxEval}) and history_size ({historySize}) must be ≥ 1");
        }

        Params = ParamGroups[0].Params;
    }

    /// <summary>Closure evaluations over all steps so far (PyTorch's <c>state['func_evals']</c>).</summary>
    public int FuncEvals { get; private set; }

    /// <summary>Iterations over all steps so far (PyTorch's <c>state['n_iter']</c>).</summary>
    public int Iterations { get; private set; }

    private List<Tensor> Params { get; }

    /// <summary>Refused: LBFGS re-evaluates the loss, so it needs <see cref="Step(Func{Tensor})"/>.</summary>
    public override void Step() =>
        throw new InvalidOperationException("LBFGS needs a closure that recomputes the loss and its gradients: call Step(closure)");

    /// <summary>Runs up to max_iter iterations; returns the loss the closure gave first.</summary>
    public override Tensor Step(Func<Tensor> closure)
    {
        ArgumentNullException.ThrowIfNull(closure);
        var g = ParamGroups[0];
        double lr = g.Lr, tolGrad = g["toleranceGrad"], tolChange = g["toleranceChange"];
        int maxIter = (int)g["maxIter"], maxEval = (int)g["maxEval"];
        var origLoss = Evaluate(closure, out double loss, out var flatGrad);
        int currentEvals = 1;
        if (MaxAbs(flatGrad) <= tolGrad)
        {
            return origLoss;
        }

        for (int nIter = 1; ; nIter++)
        {
            Iterations++;
            var d = Direction(flatGrad, (int)g["historySize"]);
            prevFlatGrad = (double[])flatGrad.Clone();
            prevLoss = loss;
            double t = Iterations == 1 ? Math.Min(1, 1 / flatGrad.Sum(Math.Abs)) * lr : lr;
            stepLength = t;
            double gtd = Dot(flatGrad, d);
            if (gtd > -tolChange)
            {
                break;
            }

            int lsEvals = 0;
            bool optCond = false;
            if (g["strongWolfe"] != 0)
            {
                var x0 = FlatParams();
                (loss, flatGrad, t, lsEvals) = new StrongWolfe(this, closure, x0, d, tolChange).Search(t, loss, flatGrad, gtd);
                AddStep(t, d);
                optCond = MaxAbs(flatGrad) <= tolGrad;
            }
            else
            {
                AddStep(t, d);
                if (nIter != maxIter)
                {
                    Evaluate(closure, out loss, out flatGrad);
                    optCond = MaxAbs(flatGrad) <= tolGrad;
                    lsEvals = 1;
                }
            }

            stepLength = t;
            currentEvals += lsEvals;
            if (nIter == maxIter || currentEvals >= maxEval || optCond || MaxAbs(d) * Math.Abs(t) <= tolChange || Math.Abs(loss - prevLoss) < tolChange)
            {
                break;
            }
        }

        return origLoss;
    }

    /// <summary>Refused once a step was taken: the curvature history is not per-parameter state and is not saved.</summary>
    protected internal override void CheckSavable()
    {
        if (Iterations > 0)
        {
            throw new NotSupportedException("LBFGS keeps its curvature history (directions, steps, last gradient) outside the per-parameter state: saving it is not supported");
        }
    }

    /// <inheritdoc/>
    protected override void Update(Tensor param, Tensor grad, ParamGroup group, Dictionary<string, Tensor> state) =>
        throw new InvalidOperationException("LBFGS updates all parameters together in Step(closure)");

    /// <summary>The search direction −H·g by the two-loop recursion, after recording the last curvature pair.</summary>
    private double[] Direction(double[] flatGrad, int historySize)
    {
        if (Iterations == 1)
        {
            hDiag = 1;
            oldDirs.Clear();
            oldSteps.Clear();
            ro.Clear();
            return direction = flatGrad.Select(v => -v).ToArray();
        }

        var y = flatGrad.Zip(prevFlatGrad!, (a, b) => a - b).ToArray();
        var s = direction!.Select(v => v * stepLength).ToArray();
        double ys = Dot(y, s);
        if (ys > 1e-10)
        {
            if (oldDirs.Count == historySize)
            {
                oldDirs.RemoveAt(0);
                oldSteps.RemoveAt(0);
                ro.RemoveAt(0);
            }

            oldDirs.Add(y);
            oldSteps.Add(s);
            ro.Add(1 / ys);
            hDiag = ys / Dot(y, y);
        }

        var q = flatGrad.Select(v => -v).ToArray();
        var al = new double[oldDirs.Count];
        for (int i = oldDirs.Count - 1; i >= 0; i--)
        {
            al[i] = Dot(oldSteps[i], q) * ro[i];
            Axpy(-al[i], oldDirs[i], q);
        }

        var r = q.Select(v => v * hDiag).ToArray();
        for (int i = 0; i < oldDirs.Count; i++)
        {
            double be = Dot(oldDirs[i], r) * ro[i];
            Axpy(al[i] - be, oldSteps[i], r);
        }

        return direction = r;
    }

    /// <summary>Runs the closure with grad mode on; the loss as a double and the flattened gradient (zeros where none).</summary>
    internal Tensor Evaluate(Func<Tensor> closure, out double loss, out double[] flatGrad)
    {
        Tensor result;
        using (GradMode.Enable(true))
        {
            result = closure() ?? throw new InvalidOperationException("LBFGS: the closure returned null; it must return the loss");
        }

        loss = result.Item();
        FuncEvals++;
        flatGrad = new double[Params.Sum(p => (int)p.Numel)];
        int offset = 0;
        foreach (var p in Params)
        {
            if (p.Grad is { } gr)
            {
                var c = gr.Contiguous().To(DType.Float64).Span<double>();
                c.CopyTo(flatGrad.AsSpan(offset));
            }

            offset += (int)p.Numel;
        }

        return result;
    }

    /// <summary>The parameters flattened into one float64 vector.</summary>
    internal double[] FlatParams()
    {
        var x = new double[Params.Sum(p => (int)p.Numel)];
        int offset = 0;
        foreach (var p in Params)
        {
            p.Detach().Contiguous().To(DType.Float64).Span<double>().CopyTo(x.AsSpan(offset));
            offset += (int)p.Numel;
        }

        return x;
    }

    /// <summary>θ ← θ + t·d, in each parameter's dtype (PyTorch's <c>_add_grad</c>).</summary>
    internal void AddStep(double t, double[] d) => SetParams(i => t * d[i], add: true);

    /// <summary>θ ← x (PyTorch's <c>_set_param</c>).</summary>
    internal void SetFlat(double[] x) => SetParams(i => x[i], add: false);

    private void SetParams(Func<int, double> value, bool add)
    {
        int offset = 0;
        foreach (var p in Params)
        {
            int n = (int)p.Numel, o = offset;
            if (p.DType == DType.Float32)
            {
                var s = p.Span<float>();
                for (int i = 0; i < n; i++)
                {
                    s[i] = add ? s[i] + (float)value(o + i) : (float)value(o + i);
                }
            }
            else
            {
                var s = p.Span<double>();
                for (int i = 0; i < n; i++)
                {
                    s[i] = add ? s[i] + value(o + i) : value(o + i);
                }
            }

            offset += n;
        }
    }

    internal static double Dot(double[] a, double[] b)
    {
        double s = 0;
        for (int i = 0; i < a.Length; i++)
        {
            s += a[i] * b[i];
        }

        return s;
    }

    internal static double MaxAbs(double[] a) => a.Length == 0 ? 0 : a.Max(Math.Abs);

    private static void Axpy(double alpha, double[] x, double[] y)
    {
        for (int i = 0; i < y.Length; i++)
        {
            y[i] += alpha * x[i];
        }
    }
}
