using System.Globalization;
using Nabla.Formats;

namespace Nabla.Explain;

/// <summary>An unknown of a <c>solve:</c> section: a real or whole number (or a tensor of reals) with optional bounds.</summary>
/// <param name="Name">The name equations and claims use.</param>
/// <param name="Integer">Whether the value must be a whole number (a layer size, a count).</param>
/// <param name="Min">The smallest admissible value (0 for integers unless given; −∞ for reals).</param>
/// <param name="Max">The largest admissible value (+∞ unless given).</param>
/// <param name="Shape">The tensor shape (empty for a scalar).</param>
/// <param name="Node">The YAML node, for errors.</param>
internal sealed record UnknownSpec(string Name, bool Integer, double Min, double Max, int[] Shape, YamlNode Node)
{
    /// <summary>The number of scalar unknowns.</summary>
    public int Count => Shape.Aggregate(1, (a, b) => a * b);

    /// <summary>The name of scalar element <paramref name="flat"/> (<c>K[0, 1]</c>, or the name of a scalar).</summary>
    public string Element(int flat)
    {
        if (Shape.Length == 0)
        {
            return Name;
        }

        var idx = new int[Shape.Length];
        for (int d = Shape.Length - 1; d >= 0; d--)
        {
            idx[d] = flat % Shape[d];
            flat /= Shape[d];
        }

        return $"{Name}[{string.Join(", ", idx)}]";
    }
}

/// <summary>One equation <c>lhs = rhs</c> of a <c>solve:</c> section (tensor sides mean one equation per element).</summary>
internal sealed record SolveEquation(Expr Lhs, Expr Rhs, string Text, int Line, int Column);

/// <summary>A model whose layer sizes name unknowns: read again, with the values substituted, for each trial value.</summary>
internal sealed record ModelTemplate(string Name, YamlNode Node, ConfinedFolder Folder);

/// <summary>
/// The <c>solve:</c> section: unknowns, equations that must hold, the method (<c>auto</c> or <c>linear</c>) and, for
/// nonlinear scalar equations, the interval and grid on which roots are bracketed. See docs/explain.md.
/// </summary>
internal sealed record SolveSpec(IReadOnlyList<UnknownSpec> Unknowns, IReadOnlyList<SolveEquation> Equations, bool LinearOnly,
    double[]? Interval, int Grid, YamlNode Node)
{
    /// <summary>At most this many scalar unknowns (each costs one evaluation of the equations).</summary>
    public const int MaxUnknowns = 400;

    /// <summary>At most this many grid cells or integers are scanned for roots (each is an evaluation of the equations).</summary>
    public const int MaxGrid = 10_000;

    private static readonly string[] Keys = ["unknowns", "equations", "method", "interval", "grid"];

    /// <summary>Models that mention unknowns (read for each trial value).</summary>
    public List<ModelTemplate> Templates { get; } = [];

    /// <summary>Reads a <c>solve:</c> mapping.</summary>
    public static SolveSpec Read(YamlNode node)
    {
        if (node is not YamlMapping m)
        {
            throw new YamlException("solve is a mapping: {unknowns: {h: integer}, equations: [\"4*h*(1 + h) + 8*h = 216\"]}", node);
        }

        foreach (var (k, _) in m.Entries.Where(e => !Keys.Contains(e.Key.Value)))
        {
            throw new YamlException($"solve has no key '{k.Value}'{DidYouMean.Suggest(k.Value, Keys)} (keys: {string.Join(", ", Keys)})", k);
        }

        if (m["unknowns"] is not YamlMapping um || um.Entries.Count == 0)
        {
            throw new YamlException("solve needs 'unknowns: {name: real|integer, ...}'", m["unknowns"] ?? node);
        }

        var unknowns = um.Entries.Select(e => Unknown(e.Key, e.Value)).ToList();
        if (unknowns.Sum(u => (long)u.Count) > MaxUnknowns)
        {
            throw new YamlException($"solve: {unknowns.Sum(u => (long)u.Count)} scalar unknowns are more than the {MaxUnknowns} allowed", um);
        }

        var eqs = Exercise.Seq(m["equations"] ?? throw new YamlException("solve needs 'equations: [\"lhs = rhs\", ...]'", node), "equations").Select(ReadEquation).ToList();
        string method = Exercise.Str(m["method"]) ?? "auto";
        if (method is not ("auto" or "linear"))
        {
            throw new YamlException($"solve: method is auto (linear systems, polynomials, bracketed roots) or linear, not '{method}'", m["method"]!);
        }

        double[]? interval = null;
        if (m["interval"] is { } iv)
        {
            interval = Exercise.Numbers(iv);
            if (interval.Length != 2 || !(interval[0] < interval[1]) || !interval.All(double.IsFinite))
            {
                throw new YamlException("solve: interval is [a, b] with finite a < b", iv);
            }
        }

        int grid = 1000;
        if (m["grid"] is { } gn)
        {
            grid = gn is YamlScalar gs && gs.TryGetInt64(out long g) && g is >= 2 and <= MaxGrid ? (int)g
                : throw new YamlException($"solve: grid is a whole number of cells from 2 to {MaxGrid}", gn);
        }

        return new SolveSpec(unknowns, eqs, method == "linear", interval, grid, node);
    }

    private static UnknownSpec Unknown(YamlScalar key, YamlNode v)
    {
        string type = (v is YamlMapping vm ? Exercise.Str(vm["type"]) : Exercise.Str(v)) ?? "real";
        if (type is not ("real" or "integer"))
        {
            throw new YamlException($"unknown '{key.Value}': the type is real or integer (a whole number ≥ 0 unless min: says otherwise), not '{type}'", v);
        }

        var map = v as YamlMapping;
        double Bound(string k, double dflt) => map?[k] is { } b ? (b is YamlScalar s && s.TryGetDouble(out var d) ? d : throw new YamlException($"unknown '{key.Value}': {k} is a number", b)) : dflt;
        bool integer = type == "integer";
        var shape = map?["shape"] is { } sn ? Exercise.ShapeOf(sn) : [];
        if (shape.Any(d => d < 1))
        {
            throw new YamlException($"unknown '{key.Value}': every size of its shape must be at least 1", map!["shape"]!);
        }

        if (shape.Aggregate(1L, (a, b) => a * b) > MaxUnknowns)
        {
            throw new YamlException($"unknown '{key.Value}': more than {MaxUnknowns} elements", map!["shape"]!);
        }

        var u = new UnknownSpec(key.Value, integer, Bound("min", integer ? 0 : double.NegativeInfinity), Bound("max", double.PositiveInfinity), shape, key);
        return u.Min <= u.Max ? u : throw new YamlException($"unknown '{key.Value}': min is larger than max", v);
    }

    private static SolveEquation ReadEquation(YamlNode node)
    {
        if (node is not YamlScalar { IsNull: false } s)
        {
            throw new YamlException("a solve equation is a line such as \"4*h*(1 + h) + 8*h = 216\" or \"conv2d(x, K) = y\"", node);
        }

        string text = s.Value;
        int line = s.Line, col = s.Column + (s.Quoted ? 1 : 0);
        try
        {
            int eq = TopLevelEquals(text);
            return new SolveEquation(ExprParser.Parse(text, 0, eq), ExprParser.Parse(text, eq + 1), text, line, col);
        }
        catch (ExprException e)
        {
            throw new YamlException($"{e.Message} in {InvalidFileException.Quote(text)}", line, col + e.Pos);
        }
    }

    // The '=' between the two sides: outside parentheses, brackets and quotes (so `sum(x, dim=0) = 1` splits at the second).
    private static int TopLevelEquals(string text)
    {
        int depth = 0, at = -1;
        char quote = '\0';
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (quote != '\0')
            {
                quote = c == quote ? '\0' : quote;
            }
            else if (c is '\'' or '"')
            {
                quote = c;
            }
            else if (c is '(' or '[')
            {
                depth++;
            }
            else if (c is ')' or ']')
            {
                depth--;
            }
            else if (c == '=' && depth == 0)
            {
                at = at < 0 ? i : throw new ExprException("a solve equation has one '=' between its two sides", i);
            }
        }

        return at >= 0 ? at : throw new ExprException("a solve equation reads 'lhs = rhs'", text.Length);
    }

    /// <summary>Whether a model's YAML names an unknown as a value (<c>hiddenSize: h</c>); such a model must use integer scalar unknowns.</summary>
    public bool Mentions(YamlNode node)
    {
        switch (node)
        {
            case YamlScalar { Quoted: false } s when Unknowns.FirstOrDefault(u => u.Name == s.Value) is { } u:
                return u.Integer && u.Shape.Length == 0 ? true
                    : throw new YamlException($"'{u.Name}' is used as a size in a model, so it must be a scalar integer unknown ({u.Name}: integer)", s);
            case YamlSequence q:
                return q.Items.Aggregate(false, (any, i) => Mentions(i) | any); // every item, to refuse a bad use anywhere
            case YamlMapping m:
                return m.Entries.Aggregate(false, (any, e) => Mentions(e.Value) | any);
            default:
                return false;
        }
    }

    /// <summary>Keeps a model whose sizes name unknowns; such a model is described (shapes, parameters), not run.</summary>
    public void AddTemplate(string name, YamlNode node, ConfinedFolder folder)
    {
        if (node is YamlMapping m && (m["run"] ?? m["weights"]) is { } r)
        {
            throw new YamlException($"model '{name}' has a size that is an unknown, so it cannot have run: or weights: (solve for the size, then run a model with the number)", r);
        }

        Templates.Add(new ModelTemplate(name, node, folder));
    }

    /// <summary>A copy of <paramref name="node"/> with every unknown named as a value replaced by its value (same positions).</summary>
    public static YamlNode Substitute(YamlNode node, IReadOnlyDictionary<string, double> values) => node switch
    {
        YamlScalar { Quoted: false } s when values.TryGetValue(s.Value, out var v) => new YamlScalar(v.ToString("R", CultureInfo.InvariantCulture), false, s.Line, s.Column),
        YamlSequence q => new YamlSequence(q.Items.Select(i => Substitute(i, values)).ToList(), q.Line, q.Column),
        YamlMapping m => new YamlMapping(m.Entries.Select(e => new KeyValuePair<YamlScalar, YamlNode>(e.Key, Substitute(e.Value, values))).ToList(), m.Line, m.Column),
        _ => node,
    };

    /// <summary>The template models read with the unknowns' values substituted.</summary>
    public IEnumerable<ExerciseModel> Instantiate(IReadOnlyDictionary<string, double> values) =>
        Templates.Select(t => ExerciseModel.Read(t.Name, Substitute(t.Node, values), t.Folder));
}
