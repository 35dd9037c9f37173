using System.Globalization;

namespace Nabla;

/// <summary>The outcome of <see cref="GradCheck.Check"/>: whether analytic and numerical derivatives agree.</summary>
/// <param name="Passed">True when every Jacobian entry agrees within tolerance.</param>
/// <param name="MaxAbsError">The largest |analytic − numerical| over all entries.</param>
/// <param name="Message">Where the first disagreement is (input, output and input element, both values), or "ok".</param>
public sealed record GradCheckResult(bool Passed, double MaxAbsError, string Message);

/// <summary>
/// Compares autograd's derivatives with central finite differences, in float64
/// (<c>torch.autograd.gradcheck</c> and <c>gradgradcheck</c>).
/// </summary>
/// <remarks>
/// For each input xⱼ and output element yᵢ, the numerical entry is (f(x + εeⱼ) − f(x − εeⱼ)) / 2ε, and the
/// analytic row i comes from one backward pass seeded with eᵢ. An entry passes when
/// |analytic − numerical| ≤ atol + rtol·|numerical| (PyTorch's defaults: ε = 1e-6, atol = 1e-5, rtol = 1e-3).
/// </remarks>
public static class GradCheck
{
    /// <summary>Checks first derivatives of <paramref name="f"/> at <paramref name="inputs"/> (Float64 leaves).</summary>
    /// <param name="f">The function; it may return any shape.</param>
    /// <param name="inputs">Float64 tensors; those with <see cref="Tensor.RequiresGrad"/> are checked.</param>
    /// <param name="eps">Finite-difference step.</param>
    /// <param name="atol">Absolute tolerance.</param>
    /// <param name="rtol">Relative tolerance.</param>
    public static GradCheckResult Check(Func<Tensor[], Tensor> f, Tensor[] inputs, double eps = 1e-6, double atol = 1e-5, double rtol = 1e-3)
    {
        foreach (var x in inputs)
        {
            if (x.RequiresGrad && x.DType != DType.Float64)
            {
                throw new ArgumentException($"GradCheck needs Float64 inputs (float32 differences are too coarse), got {x.DType}", nameof(inputs));
            }
        }

        var checkedInputs = inputs.Where(x => x.RequiresGrad).ToArray();
        var analytic = AnalyticJacobians(f, inputs, checkedInputs);
        double maxErr = 0;
        string? first = null;
        for (int k = 0; k < checkedInputs.Length; k++)
        {
            var numerical = NumericalJacobian(f, inputs, checkedInputs[k], eps);
            for (int i = 0; i < numerical.GetLength(0); i++)
            {
                for (int j = 0; j < numerical.GetLength(1); j++)
                {
                    double a = analytic[k][i, j], n = numerical[i, j];
                    double err = Math.Abs(a - n);
                    if (double.IsNaN(err) && double.IsNaN(a) == double.IsNaN(n))
                    {
                        continue;
                    }

                    maxErr = Math.Max(maxErr, double.IsNaN(err) ? double.PositiveInfinity : err);
                    if (first is null && !(err <= atol + (rtol * Math.Abs(n))))
                    {
                        first = string.Create(CultureInfo.InvariantCulture,
                            $"Jacobian mismatch for input {Array.IndexOf(inputs, checkedInputs[k])}: d output[{i}] / d input[{j}] analytic {a:G10} vs numerical {n:G10}");
                    }
                }
            }
        }

        return new GradCheckResult(first is null, maxErr, first ?? "ok");
    }

    /// <summary>
    /// Checks second derivatives: the gradient v·∂f/∂x (v random, fixed by <paramref name="seed"/>) is itself
    /// checked with <see cref="Check"/>, which needs backward rules that are differentiable.
    /// </summary>
    public static GradCheckResult CheckSecondOrder(Func<Tensor[], Tensor> f, Tensor[] inputs, long seed = 0,
        double eps = 1e-6, double atol = 1e-5, double rtol = 1e-3)
    {
        var probe = f(inputs.Select(x => x.Detach()).ToArray());
        var v = Tensor.Randn(probe.Shape, new Generator(seed), DType.Float64);
        var idx = inputs.Select((x, i) => (x, i)).Where(p => p.x.RequiresGrad).Select(p => p.i).ToArray();
        Tensor GradOfF(Tensor[] xs)
        {
            var y = f(xs);
            var grads = Autograd.Grad([y], idx.Select(i => xs[i]).ToArray(), [v], createGraph: true, allowUnused: true);
            var flat = grads.Select((g, k) => (g ?? Tensor.ZerosLike(xs[idx[k]])).Reshape(-1)).ToArray();
            return Tensor.Cat(flat, 0);
        }

        return Check(GradOfF, inputs, eps, atol, rtol);
    }

    private static double[][,] AnalyticJacobians(Func<Tensor[], Tensor> f, Tensor[] inputs, Tensor[] checkedInputs)
    {
        var y = f(inputs);
        int m = (int)y.Numel;
        var result = checkedInputs.Select(x => new double[m, x.Numel]).ToArray();
        if (!y.RequiresGrad)
        {
            return result; // f does not depend on any input: an all-zero Jacobian
        }

        var flat = y.Reshape(-1);
        for (int i = 0; i < m; i++)
        {
            var seed = Tensor.Zeros(flat.Shape, y.DType);
            seed.SetFlat(i, 1);
            var grads = Autograd.Grad([flat], checkedInputs, [seed], retainGraph: true, allowUnused: true);
            for (int k = 0; k < checkedInputs.Length; k++)
            {
                if (grads[k] is { } g)
                {
                    var gv = g.ToDoubleArray();
                    for (int j = 0; j < gv.Length; j++)
                    {
                        result[k][i, j] = gv[j];
                    }
                }
            }
        }

        return result;
    }

    private static double[,] NumericalJacobian(Func<Tensor[], Tensor> f, Tensor[] inputs, Tensor x, double eps)
    {
        // Perturb a private contiguous copy so that views and shared storage are never written.
        var copy = x.Detach().CloneNoGrad().RequireGrad();
        var args = inputs.Select(t => ReferenceEquals(t, x) ? copy : t).ToArray();
        var data = copy.Elements<double>();
        // Grad mode stays on: for second-order checks f itself runs a backward pass.
        double[] Eval() => f(args).ToDoubleArray();

        int m = Eval().Length;
        var jac = new double[m, data.Length];
        for (int j = 0; j < data.Length; j++)
        {
            double orig = data[j];
            data[j] = orig + eps;
            var plus = Eval();
            data[j] = orig - eps;
            var minus = Eval();
            data[j] = orig;
            for (int i = 0; i < m; i++)
            {
                jac[i, j] = (plus[i] - minus[i]) / (2 * eps);
            }
        }

        return jac;
    }
}
