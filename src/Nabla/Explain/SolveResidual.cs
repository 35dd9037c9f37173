using Nabla.Formats;


namespace Nabla.Explain;

/// <summary>The residuals of a solve section at one trial point: lhs − rhs per scalar equation, and the size of the sides.</summary>
/// <param name="R">lhs − rhs, every equation's elements in order (row-major).</param>
/// <param name="Scale">max(|lhs|, |rhs|) per element: what "zero" is relative to.</param>
/// <param name="Slope">d(lhs − rhs)/du for one scalar unknown when asked (autograd), else null.</param>
internal sealed record ResidualPoint(double[] R, double[] Scale, double? Slope);

/// <summary>
/// Evaluates the equations of a <c>solve:</c> section at trial values of the unknowns: the exercise's given values, the
/// equations the solve equations read (and only those), and the model exports (models whose sizes name unknowns are
/// read again with the trial values substituted) are run by the ordinary <see cref="Evaluator"/>, with each side of
/// each solve equation as a quantity of its own.
/// </summary>
internal sealed class SolveResidual
{
    private readonly SolveSpec spec;
    private readonly Exercise probe = new();
    private readonly Dictionary<string, Tensor> baseExports = new(StringComparer.Ordinal);

    public SolveResidual(Exercise ex, SolveSpec spec)
    {
        this.spec = spec;
        var defined = ex.Given.Select(g => g.Name).Concat(ex.Equations.Select(e => e.Target)).Concat(ex.Models.Select(m => m.Name)).ToHashSet(StringComparer.Ordinal);
        foreach (var u in spec.Unknowns.Where(u => defined.Contains(u.Name)))
        {
            throw new YamlException($"'{u.Name}' is an unknown and is also given or defined by an equation or a model", u.Node);
        }

        probe.Given.AddRange(ex.Given);
        probe.Given.AddRange(spec.Unknowns.Select(u => new GivenValue(u.Name, new double[u.Count], u.Shape, u.Node)));
        probe.Equations.AddRange(Needed(ex.Equations, spec.Equations.SelectMany(e => new[] { e.Lhs, e.Rhs })));
        for (int i = 0; i < spec.Equations.Count; i++)
        {
            var e = spec.Equations[i];
            probe.Equations.Add(new Equation(Side(i, true), null, e.Lhs, null, e.Text, e.Line, e.Column));
            probe.Equations.Add(new Equation(Side(i, false), null, e.Rhs, null, e.Text, e.Line, e.Column));
        }

        foreach (var m in ex.Models)
        {
            Solver.Describe(m.Name, m.Definition, m.Node, baseExports);
        }
    }

    /// <summary>The <c>solve:</c> node, for errors.</summary>
    public YamlNode Node => spec.Node;

    /// <summary>The number of scalar unknowns.</summary>
    public int Unknowns => spec.Unknowns.Sum(u => u.Count);

    /// <summary>
    /// The residuals at the flattened unknowns <paramref name="u"/> (in the order of <see cref="SolveSpec.Unknowns"/>);
    /// with <paramref name="slope"/> (one scalar unknown) also the derivative by autograd.
    /// </summary>
    /// <exception cref="YamlException">An equation cannot be evaluated there (a model refuses a size, log of a negative number, ...).</exception>
    public ResidualPoint At(double[] u, bool slope = false)
    {
        var values = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        var scalars = new Dictionary<string, double>(StringComparer.Ordinal);
        int at = 0;
        foreach (var unk in spec.Unknowns)
        {
            var t = Tensor.FromArray(u[at..(at + unk.Count)], new Shape(unk.Shape)).Named(unk.Name);
            values[unk.Name] = slope ? t.RequireGrad() : t;
            scalars[unk.Name] = u[at];
            at += unk.Count;
        }

        var exports = new Dictionary<string, Tensor>(baseExports, StringComparer.Ordinal);
        foreach (var model in spec.Instantiate(scalars))
        {
            Solver.Describe(model.Name, model.Definition, model.Node, exports);
        }

        var ev = new Evaluator(probe, exports).Run(values, requireGrad: false);
        var r = new List<double>();
        var scale = new List<double>();
        Tensor? sum = null;
        for (int i = 0; i < spec.Equations.Count; i++)
        {
            var (l, rr) = (ev.ByName[Side(i, true)].Value, ev.ByName[Side(i, false)].Value);
            List<(double A, double B)> pairs;
            try
            {
                pairs = l.Broadcast(rr).ToList();
            }
            catch (ArgumentException)
            {
                var e = spec.Equations[i];
                throw new YamlException($"solve equation {i + 1}: the left side has shape {l.Shape} and the right side {rr.Shape}", e.Line, e.Column);
            }

            r.AddRange(pairs.Select(p => p.A - p.B));
            scale.AddRange(pairs.Select(p => Math.Max(Math.Abs(p.A), Math.Abs(p.B))));
            if (slope)
            {
                sum = sum is null ? (l - rr).Sum() : sum + (l - rr).Sum();
            }
        }

        double? d = null;
        if (slope && sum is not null && sum.RequiresGrad)
        {
            d = Derivatives.Grad(sum, [values[spec.Unknowns[0].Name]])[0]?.Item() ?? 0;
        }

        return new ResidualPoint([.. r], [.. scale], slope ? d ?? 0 : null);
    }

    /// <summary>The instantiated models at the solution (for the explanation's model tables).</summary>
    public IEnumerable<ExerciseModel> Models(IReadOnlyDictionary<string, double> values) => spec.Instantiate(values);

    private static string Side(int i, bool left) => $"solve equation {i + 1} ({(left ? "left" : "right")} side)";

    // The equations whose quantities the solve equations read, directly or through other equations, in file order.
    private static List<Equation> Needed(IReadOnlyList<Equation> equations, IEnumerable<Expr> roots)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var e in roots)
        {
            Symbols(e, names);
        }

        var keep = new List<Equation>();
        for (int i = equations.Count - 1; i >= 0; i--)
        {
            if (names.Contains(equations[i].Target))
            {
                keep.Add(equations[i]);
                Symbols(equations[i].Rhs, names);
            }
        }

        keep.Reverse();
        return keep;
    }

    private static void Symbols(Expr e, HashSet<string> names)
    {
        switch (e)
        {
            case SymExpr s:
                names.Add(s.Name);
                break;
            case IndexExpr ix:
                Symbols(ix.Target, names);
                ix.Indices.ToList().ForEach(i => Symbols(i, names));
                break;
            case CallExpr c:
                c.Args.Concat(c.Named.Values).ToList().ForEach(a => Symbols(a, names));
                break;
            case BinExpr b:
                Symbols(b.Left, names);
                Symbols(b.Right, names);
                break;
            case NegExpr n:
                Symbols(n.Operand, names);
                break;
            case ListExpr l:
                l.Items.ToList().ForEach(i => Symbols(i, names));
                break;
        }
    }
}
