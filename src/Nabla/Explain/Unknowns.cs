using System.Globalization;
using Nabla.Formats;

namespace Nabla.Explain;

/// <summary>A polynomial of degree ≤ 2 found by evaluation: a·x² + b·x + c, its discriminant (degree 2) and real roots.</summary>
internal sealed record PolynomialSteps(double A, double B, double C, int Degree, double? Discriminant, IReadOnlyList<double> Roots, IReadOnlyList<double> FitPoints);

/// <summary>One iteration of bracketed Newton: x, the residual f(x), f'(x) (autograd) and how the next x was chosen.</summary>
internal sealed record NewtonStep(int K, double X, double F, double Slope, string Next);

/// <summary>A sign change of the residual on the grid and the iterations that narrowed it to a root.</summary>
internal sealed record BracketSteps(double Lo, double Hi, IReadOnlyList<NewtonStep> Iterations);

/// <summary>A root and whether it is admissible: <see cref="Rejected"/> says why not (negative, not a whole number, ...).</summary>
internal sealed record RootCandidate(double Value, double? Residual, string? Rejected);

/// <summary>What a <c>solve:</c> section found and how: the values of the unknowns and the steps to show.</summary>
internal sealed class SolveResult
{
    /// <summary>linear system, quadratic formula, linear equation, bracketing and Newton, or integer scan.</summary>
    public required string Method { get; init; }

    /// <summary>The unknowns' values (a vector of every admissible root when a scalar equation has several).</summary>
    public Dictionary<string, Tensor> Values { get; } = new(StringComparer.Ordinal);

    public LinearSteps? Linear { get; init; }

    public PolynomialSteps? Polynomial { get; init; }

    /// <summary>Why the scalar equation is not a polynomial of degree ≤ 2 (so roots are bracketed), or null.</summary>
    public string? NotPolynomial { get; init; }

    /// <summary>The interval and grid cells scanned for sign changes (nonlinear equations).</summary>
    public (double Lo, double Hi, int Cells)? Scan { get; init; }

    public List<BracketSteps> Brackets { get; } = [];

    public List<RootCandidate> Candidates { get; } = [];

    /// <summary>max |lhs − rhs| over every scalar equation at the solution.</summary>
    public double MaxResidual { get; set; }

    /// <summary>The models whose sizes were unknown, read with the solved sizes.</summary>
    public List<ExerciseModel> Models { get; } = [];
}

/// <summary>
/// Solves a <c>solve:</c> section: several scalar unknowns (or one with several scalar equations) as a linear system
/// (its matrix read off by evaluating at a base point and at each unit step, linearity checked at two more points,
/// then <see cref="LinearSystem"/>); one scalar equation in one unknown by the quadratic formula when it is a
/// polynomial of degree ≤ 2 (coefficients from three evaluations, checked at five more points), otherwise by
/// bracketing sign changes on a grid and bracketed Newton iterations (integers: by scanning every whole number).
/// </summary>
internal static class Unknowns
{
    public static SolveResult Solve(Exercise ex, SolveSpec spec)
    {
        var res = new SolveResidual(ex, spec);
        var u0 = spec.Unknowns.SelectMany(u => Enumerable.Repeat(Start(u), u.Count)).ToArray();
        var p0 = res.At(u0);
        var result = res.Unknowns == 1 && p0.R.Length == 1 && !spec.LinearOnly ? Scalar(res, spec) : Linear(res, spec, u0, p0);
        var scalars = result.Values.Where(v => v.Value.Numel == 1).ToDictionary(v => v.Key, v => v.Value.Item(), StringComparer.Ordinal);
        if (spec.Templates.Count > 0)
        {
            if (scalars.Count < spec.Unknowns.Count)
            {
                throw new YamlException($"solve: a model's size is an unknown with several admissible values ({string.Join(", ", result.Candidates.Where(c => c.Rejected is null).Select(c => Num(c.Value)))}); narrow it with min: or max:", spec.Node);
            }

            result.Models.AddRange(res.Models(scalars));
        }

        return result;
    }

    // The base point: 1 for integers (a size of 0 may be refused by a model), else 0 when admissible.
    private static double Start(UnknownSpec u) => u.Integer ? Math.Max(1, Math.Ceiling(u.Min)) : Math.Clamp(0, u.Min, u.Max);

    private static SolveResult Linear(SolveResidual res, SolveSpec spec, double[] u0, ResidualPoint p0)
    {
        int n = u0.Length, m = p0.R.Length;
        var names = spec.Unknowns.SelectMany(u => Enumerable.Range(0, u.Count).Select(u.Element)).ToList();
        var a = Enumerable.Range(0, m).Select(_ => new double[n]).ToArray();
        for (int j = 0; j < n; j++)
        {
            var u = (double[])u0.Clone();
            u[j] += 1;
            var pj = res.At(u);
            for (int i = 0; i < m; i++)
            {
                a[i][j] = pj.R[i] - p0.R[i];
            }
        }

        // r(u) = r(u0) + A·(u − u0) = 0  ⇔  A·u = A·u0 − r(u0).
        var b = Enumerable.Range(0, m).Select(i => Dot(a[i], u0) - p0.R[i]).ToArray();
        var ints = spec.Unknowns.SelectMany(u => Enumerable.Repeat(u.Integer, u.Count)).ToArray();
        CheckLinear(res, a, u0, p0, names, Enumerable.Range(0, n).Select(j => ints[j] ? 2.0 + (j % 3) : 0.5 + (0.25 * (j % 5))).ToArray());
        CheckLinear(res, a, u0, p0, names, Enumerable.Range(0, n).Select(j => ints[j] ? 5.0 + (j % 4) : -1.75 - (0.3 * (j % 7))).ToArray());
        var steps = LinearSystem.Solve(names, a, b, spec.Node);
        var x = steps.Solution();
        for (int j = 0; j < n; j++)
        {
            if (ints[j])
            {
                x[j] = Math.Abs(x[j] - Math.Round(x[j])) <= 1e-9 * Math.Max(1, Math.Abs(x[j])) ? Math.Round(x[j])
                    : throw new YamlException($"solve: {names[j]} = {Num(x[j])} is not a whole number, but it is an integer unknown", spec.Node);
            }
        }

        var result = new SolveResult { Method = "linear system", Linear = steps };
        int at = 0;
        foreach (var u in spec.Unknowns)
        {
            for (int k = at; k < at + u.Count; k++)
            {
                if (x[k] < u.Min || x[k] > u.Max)
                {
                    throw new YamlException($"solve: {names[k]} = {Num(x[k])} is outside [{Num(u.Min)}, {Num(u.Max)}] (min:/max: of {u.Name})", u.Node);
                }
            }

            result.Values[u.Name] = Tensor.FromArray(x[at..(at + u.Count)], new Shape(u.Shape));
            at += u.Count;
        }

        var check = res.At(x);
        for (int i = 0; i < m; i++)
        {
            double size = check.Scale[i] + Math.Abs(b[i]) + a[i].Select((v, j) => Math.Abs(v * x[j])).Sum();
            if (!(Math.Abs(check.R[i]) <= 1e-8 * size))
            {
                throw new YamlException($"solve: the solution of the linear system does not satisfy scalar equation {i + 1} (lhs − rhs = {Num(check.R[i])}): the system is too ill-conditioned for double precision", spec.Node);
            }
        }

        result.MaxResidual = check.R.Select(Math.Abs).DefaultIfEmpty(0).Max();
        return result;
    }

    // r(u0 + d) must equal r(u0) + A·d (to rounding): otherwise the equations are not linear in the unknowns.
    private static void CheckLinear(SolveResidual res, double[][] a, double[] u0, ResidualPoint p0, List<string> names, double[] d)
    {
        var q = u0.Zip(d, (x, y) => x + y).ToArray();
        var pq = res.At(q);
        for (int i = 0; i < a.Length; i++)
        {
            double predicted = p0.R[i] + Dot(a[i], d);
            double size = pq.Scale[i] + p0.Scale[i] + a[i].Select((v, j) => Math.Abs(v * d[j])).Sum();
            if (!(Math.Abs(pq.R[i] - predicted) <= 1e-9 * size))
            {
                string point = string.Join(", ", names.Zip(q).Take(6).Select(p => $"{p.First} = {Num(p.Second)}")) + (names.Count > 6 ? ", ..." : string.Empty);
                throw new YamlException($"solve: the equations are not linear in {string.Join(", ", names.Take(6))}{(names.Count > 6 ? ", ..." : string.Empty)}: at {point} scalar equation {i + 1} has lhs − rhs = {Num(pq.R[i])}, a linear function would give {Num(predicted)} (a system of several unknowns must be linear)", res.Node);
            }
        }
    }

    private static SolveResult Scalar(SolveResidual res, SolveSpec spec)
    {
        var u = spec.Unknowns[0];
        var (poly, why) = RootFinding.Polynomial(res, u);
        SolveResult result;
        if (poly is not null)
        {
            result = new SolveResult { Method = poly.Degree == 2 ? "quadratic formula" : "linear equation", Polynomial = poly };
            result.Candidates.AddRange(poly.Roots.Select(r => RootFinding.Admit(res, u, r)));
        }
        else if (u.Integer)
        {
            var (lo, hi) = RootFinding.IntegerRange(spec, u);
            result = new SolveResult { Method = "integer scan", NotPolynomial = why, Scan = (lo, hi, (int)(hi - lo)) };
            result.Candidates.AddRange(RootFinding.IntegerScan(res, u, lo, hi));
        }
        else
        {
            var (lo, hi) = spec.Interval is { } iv ? (iv[0], iv[1]) : (Math.Max(u.Min, -100), Math.Min(u.Max, 100));
            if (!(lo < hi))
            {
                throw new YamlException($"solve: give interval: [a, b] to search for roots of {u.Name} in", spec.Node);
            }

            result = new SolveResult { Method = "bracketing and Newton", NotPolynomial = why, Scan = (lo, hi, spec.Grid) };
            result.Candidates.AddRange(RootFinding.Bracket(res, u, lo, hi, spec.Grid, result.Brackets));
        }

        var ok = result.Candidates.Where(c => c.Rejected is null).Select(c => c.Value).Distinct().Order().ToArray();
        if (ok.Length == 0)
        {
            string found = result.Candidates.Count == 0 ? "no root found" : string.Join("; ", result.Candidates.Select(c => $"{u.Name} = {Num(c.Value)} rejected: {c.Rejected}"));
            throw new YamlException($"solve: no admissible value of {u.Name} ({result.Method}): {found}", spec.Node);
        }

        result.Values[u.Name] = ok.Length == 1 ? Tensor.Scalar(ok[0]) : Tensor.FromArray(ok);
        result.MaxResidual = result.Candidates.Where(c => c.Rejected is null).Max(c => Math.Abs(c.Residual ?? 0));
        return result;
    }

    private static double Dot(double[] x, double[] y) => x.Zip(y, (p, q) => p * q).Sum();

    internal static string Num(double v) => v.ToString("G10", CultureInfo.InvariantCulture);
}
