using Nabla.Formats;


namespace Nabla.Explain;

/// <summary>
/// Roots of one scalar equation in one unknown (the residual f = lhs − rhs): the coefficients of a polynomial of
/// degree ≤ 2 read off three evaluations, sign changes on a grid refined by bracketed Newton iterations, or a scan of
/// whole numbers; and the test of each root against the unknown's type and bounds.
/// </summary>
internal static class RootFinding
{
    /// <summary>
    /// f as a·x² + b·x + c when it is one: the quadratic through three points (s, s+1, s+2; s = −1 for reals, the
    /// smallest admissible size ≥ 1 for integers) must reproduce f at five more points to 1e-9 of the terms' size.
    /// Otherwise null and why not.
    /// </summary>
    public static (PolynomialSteps? Steps, string? Why) Polynomial(SolveResidual res, UnknownSpec u)
    {
        double s = u.Integer ? Math.Max(1, Math.Ceiling(u.Min)) : -1;
        double[] fit = [s, s + 1, s + 2];
        double[] checks = u.Integer ? [s + 3, s + 4, s + 6, s + 11, s + 29] : [-2.5, 0.5, 1.75, 3.25, 10.5];
        var f = new double[3];
        double a, bs, A, B, C;
        try
        {
            for (int i = 0; i < 3; i++)
            {
                f[i] = res.At([fit[i]]).R[0];
            }

            // In t = x − s: f = a·t² + bs·t + f0 with a = Δ²f/2, bs = Δf − a; then expanded in x.
            a = (f[2] - (2 * f[1]) + f[0]) / 2;
            bs = f[1] - f[0] - a;
            (A, B, C) = (a, bs - (2 * a * s), (a * s * s) - (bs * s) + f[0]);
            foreach (double t in checks)
            {
                var p = res.At([t]);
                double q = (A * t * t) + (B * t) + C;
                if (!(Math.Abs(p.R[0] - q) <= 1e-9 * (Math.Abs(A * t * t) + Math.Abs(B * t) + Math.Abs(C) + p.Scale[0])))
                {
                    return (null, $"not a polynomial of degree ≤ 2 in {u.Name}: at {u.Name} = {Unknowns.Num(t)}, lhs − rhs = {Unknowns.Num(p.R[0])}, but the parabola through {u.Name} = {string.Join(", ", fit.Select(Unknowns.Num))} gives {Unknowns.Num(q)}");
                }
            }
        }
        catch (YamlException e)
        {
            return (null, $"not a polynomial of degree ≤ 2 in {u.Name}: {e.Problem}");
        }

        double size = Math.Abs(A) + Math.Abs(B) + Math.Abs(C);
        A = Math.Abs(A) <= 1e-12 * size ? 0 : A;
        B = A == 0 && Math.Abs(B) <= 1e-12 * size ? 0 : B;
        if (A == 0 && B == 0)
        {
            throw new YamlException(C == 0 ? $"solve: the equation holds for every {u.Name} (infinitely many solutions): lhs − rhs does not depend on it"
                : $"solve: no value of {u.Name} satisfies the equation: lhs − rhs = {Unknowns.Num(C)} whatever {u.Name} is", res.Node);
        }

        if (A == 0)
        {
            return (new PolynomialSteps(0, B, C, 1, null, [-C / B], fit), null);
        }

        double disc = (B * B) - (4 * A * C);
        disc = Math.Abs(disc) <= 1e-12 * Math.Max(B * B, Math.Abs(4 * A * C)) ? 0 : disc;
        double[] roots;
        if (disc < 0)
        {
            roots = [];
        }
        else if (disc == 0)
        {
            roots = [-B / (2 * A)];
        }
        else
        {
            // q = −(b + sign(b)·√Δ)/2 avoids cancellation; the roots are q/a and c/q.
            double q = -(B + (B >= 0 ? 1 : -1) * Math.Sqrt(disc)) / 2;
            roots = [.. new[] { q / A, C / q }.Order()];
        }

        return (new PolynomialSteps(A, B, C, 2, disc, roots, fit), null);
    }

    /// <summary>A root tested against the unknown: whole number, bounds, and the equations evaluated there.</summary>
    public static RootCandidate Admit(SolveResidual res, UnknownSpec u, double x)
    {
        var reasons = new List<string>();
        double v = x;
        if (u.Integer)
        {
            double r = Math.Round(x);
            if (Math.Abs(x - r) <= 1e-9 * Math.Max(1, Math.Abs(x)))
            {
                v = r;
            }
            else
            {
                reasons.Add("not a whole number");
            }
        }

        if (v < u.Min)
        {
            reasons.Insert(0, v < 0 && u.Min == 0 ? "negative" : $"below min {Unknowns.Num(u.Min)}");
        }

        if (v > u.Max)
        {
            reasons.Add($"above max {Unknowns.Num(u.Max)}");
        }

        if (reasons.Count > 0)
        {
            return new RootCandidate(x, null, string.Join(" and ", reasons));
        }

        ResidualPoint p;
        try
        {
            p = res.At([v]);
        }
        catch (YamlException e)
        {
            return new RootCandidate(v, null, $"the equations cannot be evaluated there: {e.Problem}");
        }

        return Math.Abs(p.R[0]) <= 1e-8 * p.Scale[0] ? new RootCandidate(v, p.R[0], null)
            : new RootCandidate(v, p.R[0], $"lhs − rhs = {Unknowns.Num(p.R[0])} there, not 0 (a sign change across a pole or a jump)");
    }

    /// <summary>The whole numbers to scan: the interval, else [min, min + 1000], within the bounds.</summary>
    public static (double Lo, double Hi) IntegerRange(SolveSpec spec, UnknownSpec u)
    {
        double lo = Math.Max(Math.Ceiling(spec.Interval?[0] ?? u.Min), u.Min);
        double hi = Math.Min(Math.Floor(spec.Interval?[1] ?? lo + 1000), u.Max);
        return hi >= lo && hi - lo < SolveSpec.MaxGrid ? (lo, hi)
            : throw new YamlException($"solve: the whole numbers to scan for {u.Name} are [{Unknowns.Num(lo)}, {Unknowns.Num(hi)}]: give an interval: of at most {SolveSpec.MaxGrid} numbers within min and max", spec.Node);
    }

    /// <summary>Every whole number in [lo, hi] where lhs = rhs; a sign change between neighbours is a root that is not whole.</summary>
    public static List<RootCandidate> IntegerScan(SolveResidual res, UnknownSpec u, double lo, double hi)
    {
        var list = new List<RootCandidate>();
        double? prev = null;
        for (double k = lo; k <= hi; k++)
        {
            ResidualPoint p;
            try
            {
                p = res.At([k]);
            }
            catch (YamlException)
            {
                prev = null;
                continue;
            }

            double f = p.R[0];
            if (Math.Abs(f) <= 1e-12 * p.Scale[0])
            {
                list.Add(new RootCandidate(k, f, null));
                f = 0;
            }
            else if (prev is { } pf && pf != 0 && Math.Sign(pf) != Math.Sign(f))
            {
                list.Add(new RootCandidate(k - 1 + (pf / (pf - f)), null, $"not a whole number: lhs − rhs changes sign between {u.Name} = {Unknowns.Num(k - 1)} and {Unknowns.Num(k)}"));
            }

            prev = f;
        }

        return list;
    }

    /// <summary>Sign changes of f on a grid of <paramref name="cells"/> cells of [lo, hi], each refined by bracketed Newton.</summary>
    public static List<RootCandidate> Bracket(SolveResidual res, UnknownSpec u, double lo, double hi, int cells, List<BracketSteps> brackets)
    {
        var xs = Enumerable.Range(0, cells + 1).Select(i => i == cells ? hi : lo + ((hi - lo) * i / cells)).ToArray();
        var fs = new double[xs.Length];
        YamlException? first = null;
        for (int i = 0; i < xs.Length; i++)
        {
            try
            {
                fs[i] = res.At([xs[i]]).R[0];
            }
            catch (YamlException e)
            {
                fs[i] = double.NaN;
                first ??= e;
            }
        }

        if (first is not null && fs.All(double.IsNaN))
        {
            throw new YamlException($"solve: the equation cannot be evaluated anywhere on [{Unknowns.Num(lo)}, {Unknowns.Num(hi)}]: {first.Problem}", first.Line, first.Column);
        }

        var list = new List<RootCandidate>();
        for (int i = 0; i < xs.Length; i++)
        {
            if (fs[i] == 0)
            {
                list.Add(Admit(res, u, xs[i]));
            }
            else if (i + 1 < xs.Length && fs[i] * fs[i + 1] < 0)
            {
                var steps = Newton(res, xs[i], xs[i + 1], fs[i]);
                brackets.Add(steps);
                list.Add(Admit(res, u, steps.Iterations[^1].X));
            }
        }

        return list;
    }

    // Newton's x − f/f' while it stays strictly inside the bracket [a, b] (which keeps a sign change), else bisection.
    private static BracketSteps Newton(SolveResidual res, double a, double b, double fa)
    {
        var steps = new List<NewtonStep>();
        double lo = a, hi = b, x = (a + b) / 2, floor = 1e-9 * (b - a);
        for (int k = 1; k <= 200; k++)
        {
            var p = res.At([x], slope: true);
            double f = p.R[0], s = p.Slope ?? 0;
            if (f == 0)
            {
                steps.Add(new NewtonStep(k, x, f, s, "f = 0: the root"));
                break;
            }

            (a, b, fa) = Math.Sign(f) == Math.Sign(fa) ? (x, b, f) : (a, x, fa);
            double newton = x - (f / s);
            bool inside = s != 0 && newton > a && newton < b;
            double next = inside ? newton : (a + b) / 2;
            bool done = Math.Abs(next - x) <= 4e-16 * Math.Max(Math.Abs(x), floor) || b - a <= 4e-16 * Math.Max(Math.Abs(a), Math.Abs(b)) || k == 200;
            steps.Add(new NewtonStep(k, x, f, s, done ? "converged" : inside ? "Newton: x − f/f'" : "bisection: (a + b)/2"));
            if (done)
            {
                break;
            }

            x = next;
        }

        return new BracketSteps(lo, hi, steps);
    }
}
