using System.Globalization;
using Nabla.Formats;

namespace Nabla.Explain;

/// <summary>Forward sensitivities (BPTT's recursive terms), Jacobians, Hessians and the second-derivative test.</summary>
internal static class Calculus
{
    /// <summary>dq[t]/dw for each member of a family (one reverse pass per member).</summary>
    public static void Sensitivities(Solution sol, Evaluation ev)
    {
        foreach (var (family, wrts) in sol.Exercise.Sensitivities)
        {
            if (!ev.Families.TryGetValue(family, out var members))
            {
                throw new YamlException($"sensitivities: '{family}' is not a family of indexed quantities (h[t] = ...){DidYouMean.Suggest(family, ev.Families.Keys)}");
            }

            foreach (var w in wrts)
            {
                var x = ev.Given.GetValueOrDefault(w) ?? ev.ByName.GetValueOrDefault(w)?.Value
                    ?? throw new YamlException($"sensitivities: unknown '{w}'{DidYouMean.Suggest(w, ev.Names)}");
                var values = new List<(int, double)>();
                foreach (var (t, m) in members)
                {
                    double v = m.Value.RequiresGrad ? Autograd.Grad([m.Value], [x], retainGraph: true, allowUnused: true)[0]?.Item() ?? 0 : 0;
                    values.Add((t, v));
                    sol.Values.Add(new NamedValue($"d{family}[{t}]/d{w}", Tensor.Scalar(v), [m.Name], "sensitivity"));
                }

                sol.Sensitivities.Add((family, w, values));
                sol.Values.Add(new NamedValue($"d{family}/d{w}", Tensor.FromArray(values.Select(v => v.Item2).ToArray()), members.Values.Select(m => m.Name).ToList(), "sensitivity"));
            }
        }
    }

    /// <summary>J = ∂of/∂wrt by <see cref="Autograd.Functional.Jacobian"/>, re-running the equations at the given point.</summary>
    public static void Jacobians(Solution sol, Evaluator evaluator)
    {
        foreach (var spec in sol.Exercise.Jacobians)
        {
            var x0 = sol.Evaluation.Given.GetValueOrDefault(spec.Wrt)
                ?? throw new YamlException($"jacobian: '{spec.Wrt}' must be a given value{DidYouMean.Suggest(spec.Wrt, sol.Evaluation.Given.Keys)}");
            var j = Autograd.Functional.Jacobian(x => Lookup(evaluator.Run(new Dictionary<string, Tensor> { [spec.Wrt] = x }), spec.Of), x0.Detach());
            if (spec.Shape is { } s)
            {
                long wanted = s.Aggregate(1L, (a, d) => a * d);
                if (wanted != j.Numel)
                {
                    throw new YamlException($"jacobian '{spec.Name}': shape [{string.Join(", ", s)}] holds {wanted} elements but d{spec.Of}/d{spec.Wrt} has {j.Numel} (shape {j.Shape})");
                }

                j = j.Reshape(s);
            }

            sol.Jacobians.Add((spec, j));
            sol.Values.Add(new NamedValue(spec.Name, j, [spec.Of], "jacobian"));
        }
    }

    /// <summary>
    /// Gradient, Hessian (double backward), eigenvalues and the classification at each requested point (or uses
    /// <paramref name="computed"/>, the points of a named Hessian computed before the equations); a named Hessian's
    /// results become named values for claims.
    /// </summary>
    public static void Hessian(Solution sol, Evaluator evaluator, IReadOnlyList<CriticalPoint>? computed = null)
    {
        if (sol.Exercise.Hessian is not { } spec)
        {
            return;
        }

        var points = computed ?? HessianPoints(spec, evaluator, sol.Evaluation.Given);
        sol.CriticalPoints.AddRange(points);
        for (int i = 0; i < points.Count; i++)
        {
            // Every point is claimable by position too (f.hessian[0], ...), named or not.
            var (p, k) = (points[i], $"[{i}]");
            string hk = $"{spec.Of}.hessian{k}";
            sol.Values.Add(new NamedValue($"{spec.Of}.value{k}", Tensor.Scalar(p.F), [], "hessian"));
            sol.Values.Add(new NamedValue($"{spec.Of}.gradient{k}", p.Gradient, [], "hessian"));
            sol.Values.Add(new NamedValue(hk, p.Hessian, [], "hessian"));
            sol.Values.Add(new NamedValue($"{spec.Of}.eigenvalues{k}", Tensor.FromArray(p.Eigenvalues), [hk], "hessian"));
            sol.Values.Add(new NamedValue($"{spec.Of}.det{k}", Tensor.Scalar(p.Determinant), [hk], "hessian"));
        }

        for (int i = 0; i < points.Count && i < spec.Names.Count; i++)
        {
            foreach (var (name, value) in HessianExports(spec.Names[i], points[i]))
            {
                sol.Values.Add(new NamedValue(name, value, [spec.Of], "hessian"));
            }
        }
    }

    /// <summary>
    /// A named Hessian (<c>hessian: {..., name: H}</c>) is computed before the equations, from the equations up to
    /// the one that defines <c>of</c>, so later equations can use <c>H</c>, <c>H.eigenvalues</c>, ...: its exports are
    /// added to <paramref name="exports"/>. Null (and nothing added) when the Hessian has no name.
    /// </summary>
    public static List<CriticalPoint>? NamedHessian(Exercise ex, Dictionary<string, Tensor> exports)
    {
        if (ex.Hessian is not { Names.Count: > 0 } spec)
        {
            return null;
        }

        string target = spec.Of.Split('[')[0];
        int last = ex.Equations.FindLastIndex(e => e.Target == target);
        var prefix = new Evaluator(ex, exports) { Limit = last + 1 };
        List<CriticalPoint> points;
        using (Trace.Pause())
        {
            points = HessianPoints(spec, prefix, prefix.Run(requireGrad: false).Given);
        }

        for (int i = 0; i < points.Count; i++)
        {
            foreach (var (name, value) in HessianExports(spec.Names[i], points[i]))
            {
                exports[name] = value;
            }
        }

        return points;
    }

    /// <summary>The names a Hessian named N exports: N, N.gradient, N.eigenvalues, N.eigenvectors (distinct eigenvalues only), N.det, N.f, N.at, N.index.</summary>
    private static IEnumerable<(string, Tensor)> HessianExports(string name, CriticalPoint p)
    {
        yield return (name, p.Hessian);
        yield return ($"{name}.gradient", p.Gradient);
        yield return ($"{name}.eigenvalues", Tensor.FromArray(p.Eigenvalues));
        if (p.Eigenvectors is { } v)
        {
            yield return ($"{name}.eigenvectors", v);
        }

        yield return ($"{name}.det", Tensor.Scalar(p.Determinant));
        yield return ($"{name}.f", Tensor.Scalar(p.F));
        yield return ($"{name}.at", Tensor.FromArray(p.At));
        yield return ($"{name}.index", Tensor.Scalar(p.Eigenvalues.Count(e => e < -1e-12 * Math.Max(1, p.Eigenvalues.Max(Math.Abs)))));
    }

    private static List<CriticalPoint> HessianPoints(HessianSpec spec, Evaluator evaluator, IReadOnlyDictionary<string, Tensor> given)
    {
        Tensor F(Tensor v)
        {
            var o = new Dictionary<string, Tensor>(StringComparer.Ordinal);
            for (int i = 0; i < spec.Wrt.Count; i++)
            {
                o[spec.Wrt[i]] = v[i];
            }

            return Lookup(evaluator.Run(o), spec.Of);
        }

        foreach (string w in spec.Wrt.Where(w => Given(given, w) is not { Numel: 1 }))
        {
            throw new YamlException($"hessian: '{w}' must be a given scalar{DidYouMean.Suggest(w, given.Keys)}");
        }

        var points = spec.Points.Count > 0 ? spec.Points : [spec.Wrt.Select(w => Given(given, w).Item()).ToArray()];
        foreach (var p in points.Where(p => p.Length != spec.Wrt.Count))
        {
            throw new YamlException($"hessian: the point [{string.Join(", ", p)}] has {p.Length} coordinates but wrt names {spec.Wrt.Count} ({string.Join(", ", spec.Wrt)})");
        }

        if (spec.Names.Count > 0 && spec.Names.Count != points.Count)
        {
            throw new YamlException($"hessian: 'name' gives {spec.Names.Count} name(s) for {points.Count} point(s); give one name per point");
        }

        var result = new List<CriticalPoint>();
        foreach (var p in points)
        {
            var v = Tensor.FromArray(p).RequireGrad();
            var f = F(v);
            if (f.Numel != 1)
            {
                throw new YamlException($"hessian: '{spec.Of}' must be a scalar, but it has shape {f.Shape}");
            }

            var grad = (f.RequiresGrad ? Autograd.Grad([f], [v], allowUnused: true)[0] : null) ?? Tensor.ZerosLike(v);
            var h = Autograd.Functional.Hessian(F, Tensor.FromArray(p));
            var (eig, vectors) = Linalg.Decompose(h);
            double det = Determinant(h);
            var (type, reason) = Classify(grad.ToDoubleArray(), eig, det, h.ToDoubleArray()[0]);
            var eigenvectors = Linalg.RepeatedAt(eig) is null ? Tensor.FromArray(vectors, h.Shape) : null;
            result.Add(new CriticalPoint(p, f.Item(), grad.Detach(), h, eig, det, type, reason) { Eigenvectors = eigenvectors });
        }

        return result;
    }

    private static Tensor Given(IReadOnlyDictionary<string, Tensor> given, string name) =>
        given.GetValueOrDefault(name) ?? throw new YamlException($"hessian: '{name}' must be a given value (or give the points with 'at:'){DidYouMean.Suggest(name, given.Keys)}");

    private static Tensor Lookup(Evaluation ev, string name) =>
        ev.Lookup(name) ?? throw new YamlException($"'{name}' is not defined{DidYouMean.Suggest(name, ev.Names)}");

    private static double Determinant(Tensor h)
    {
        int n = h.Shape[0];
        var a = h.ToDoubleArray();
        double det = 1;
        for (int c = 0; c < n; c++)
        {
            int piv = c;
            for (int r = c + 1; r < n; r++)
            {
                if (Math.Abs(a[(r * n) + c]) > Math.Abs(a[(piv * n) + c]))
                {
                    piv = r;
                }
            }

            if (a[(piv * n) + c] == 0)
            {
                return 0;
            }

            if (piv != c)
            {
                for (int k = 0; k < n; k++)
                {
                    (a[(c * n) + k], a[(piv * n) + k]) = (a[(piv * n) + k], a[(c * n) + k]);
                }

                det = -det;
            }

            det *= a[(c * n) + c];
            for (int r = c + 1; r < n; r++)
            {
                double f = a[(r * n) + c] / a[(c * n) + c];
                for (int k = c; k < n; k++)
                {
                    a[(r * n) + k] -= f * a[(c * n) + k];
                }
            }
        }

        return det;
    }

    /// <summary>
    /// The second-derivative test: at a critical point (∇f = 0) a positive-definite Hessian (all eigenvalues &gt; 0)
    /// gives a local minimum, a negative-definite one a local maximum, eigenvalues of both signs a saddle; a zero
    /// eigenvalue leaves it undecided. For two variables: det H &gt; 0 and H₁₁ &gt; 0 ⇒ minimum, det H &gt; 0 and H₁₁ &lt; 0 ⇒
    /// maximum, det H &lt; 0 ⇒ saddle.
    /// </summary>
    public static (string Type, string Reason) Classify(double[] grad, double[] eig, double det, double h11)
    {
        static string F(double v) => Format.Number(v, 6);
        double scale = Math.Max(1, eig.Max(Math.Abs));
        string ev = string.Join(", ", eig.Select(F));
        if (grad.Any(g => Math.Abs(g) > 1e-9 * scale))
        {
            return ("not a critical point", $"the gradient ({string.Join(", ", grad.Select(F))}) is not zero");
        }

        string det2 = eig.Length == 2 ? $"; equivalently det H = {F(det)} {(det > 0 ? ">" : det < 0 ? "<" : "=")} 0" + (det > 0 ? $" and H11 = {F(h11)} {(h11 > 0 ? ">" : "<")} 0" : string.Empty) : string.Empty;
        double tol = 1e-12 * scale;
        if (eig.All(e => e > tol))
        {
            return ("local minimum", $"the gradient is 0 and all eigenvalues of the Hessian ({ev}) are positive: H is positive definite{det2}");
        }

        if (eig.All(e => e < -tol))
        {
            return ("local maximum", $"the gradient is 0 and all eigenvalues of the Hessian ({ev}) are negative: H is negative definite{det2}");
        }

        if (eig.Any(e => e > tol) && eig.Any(e => e < -tol))
        {
            return ("saddle point", $"the gradient is 0 and the Hessian has eigenvalues of both signs ({ev}): H is indefinite{det2}");
        }

        return ("undecided", $"the gradient is 0 but an eigenvalue of the Hessian is 0 ({ev}): the second-derivative test is inconclusive");
    }

    internal static string Inv(double v) => v.ToString("R", CultureInfo.InvariantCulture);
}
