using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace Nabla.Explain;

/// <summary>The steps of a <c>solve:</c> section as text, Markdown and JSON (see docs/explain.md).</summary>
internal static class SolveRenderer
{
    private const int MaxColumns = 12;
    private const int MaxRows = 40;
    private const int MaxOps = 120;

    public static void Text(StringBuilder w, Solution sol, bool markdown)
    {
        if (sol.Solved is not { } r || sol.Exercise.Solve is not { } spec)
        {
            return;
        }

        int d = sol.Digits;
        string N(double v) => Format.Number(v, d);
        void Line(string text) => w.Append(markdown ? $"- {text}\n" : $"  {text}\n");
        w.Append(markdown ? "\n## Unknowns\n\n" : "\nUnknowns\n--------\n");
        string kinds = string.Join(", ", spec.Unknowns.Select(u => $"{u.Name} ({(u.Integer ? "integer" : "real")}{Bounds(u, N)}{(u.Shape.Length > 0 ? $", shape [{string.Join(", ", u.Shape)}]" : string.Empty)})"));
        Line($"find {kinds} such that {string.Join(" and ", spec.Equations.Select(e => e.Text))}");
        if (r.Linear is { } lin)
        {
            Linear(w, lin, markdown, d, Line);
        }

        if (r.Polynomial is { } p)
        {
            Polynomial(p, spec.Unknowns[0].Name, N, Line);
        }

        if (r.NotPolynomial is { } why)
        {
            Line($"{why}; so the roots are searched numerically");
        }

        if (r.Scan is { } scan)
        {
            Line(r.Method == "integer scan"
                ? $"every whole number {spec.Unknowns[0].Name} = {N(scan.Lo)}, ..., {N(scan.Hi)} tried"
                : $"sign changes of lhs − rhs on a grid of {scan.Cells} cells of [{N(scan.Lo)}, {N(scan.Hi)}]: {r.Brackets.Count} (a root where lhs − rhs touches 0 without changing sign is found only on a grid point)");
        }

        foreach (var b in r.Brackets)
        {
            Line($"bracket [{N(b.Lo)}, {N(b.Hi)}]: Newton's x − f/f' (f' by autograd) while it stays inside the bracket, else bisection");
            TextRenderer.Table(w, markdown, ["k", "x", "f(x) = lhs − rhs", "f'(x)", "next"],
                b.Iterations.Select(i => new[] { i.K.ToString(CultureInfo.InvariantCulture), Format.Number(i.X, 15), N(i.F), N(i.Slope), i.Next }).ToList());
        }

        string name = spec.Unknowns[0].Name;
        foreach (var c in r.Candidates)
        {
            Line(c.Rejected is null ? $"{name} = {N(c.Value)}: admissible (lhs − rhs = {N(c.Residual ?? 0)})" : $"{name} = {N(c.Value)}: rejected, {c.Rejected}");
        }

        foreach (var (k, v) in r.Values)
        {
            Line($"→ {k} = {Format.Tensor(v, d)}");
        }

        Line($"check: max |lhs − rhs| at the solution = {N(r.MaxResidual)}");
    }

    private static string Bounds(UnknownSpec u, Func<double, string> n) =>
        (double.IsFinite(u.Min) && !(u.Integer && u.Min == 0) ? $", ≥ {n(u.Min)}" : u.Integer ? ", ≥ 0" : string.Empty) + (double.IsFinite(u.Max) ? $", ≤ {n(u.Max)}" : string.Empty);

    private static void Polynomial(PolynomialSteps p, string x, Func<double, string> n, Action<string> line)
    {
        string Wrap(double v) => v < 0 ? $"({n(v)})" : n(v);
        line($"lhs − rhs is a polynomial of degree {p.Degree} in {x} (fitted through {x} = {string.Join(", ", p.FitPoints.Select(n))}, checked at 5 more points): "
            + (p.Degree == 2 ? $"{n(p.A)}·{x}²{Signed(p.B, $"·{x}", n)}{Signed(p.C, string.Empty, n)} = 0" : $"{n(p.B)}·{x}{Signed(p.C, string.Empty, n)} = 0"));
        if (p.Degree == 1)
        {
            line($"{x} = −c/b = −{Wrap(p.C)}/{Wrap(p.B)} = {n(p.Roots[0])}");
            return;
        }

        double disc = p.Discriminant!.Value;
        line($"quadratic formula {x} = (−b ± √Δ)/(2a), Δ = b² − 4ac = {Wrap(p.B)}² − 4·{Wrap(p.A)}·{Wrap(p.C)} = {n(disc)}");
        if (disc < 0)
        {
            line("Δ < 0: no real root");
        }
        else if (disc == 0)
        {
            line($"Δ = 0: one (double) root {x} = −b/(2a) = {n(p.Roots[0])}");
        }
        else
        {
            double sq = Math.Sqrt(disc);
            line($"√Δ = {n(sq)}: {x} = ({n(-p.B)} − {n(sq)})/{Wrap(2 * p.A)} = {n((-p.B - sq) / (2 * p.A))}, {x} = ({n(-p.B)} + {n(sq)})/{Wrap(2 * p.A)} = {n((-p.B + sq) / (2 * p.A))}");
        }
    }

    // " + 3·x" or " − 3·x" (nothing for a zero coefficient).
    private static string Signed(double v, string factor, Func<double, string> n) => v == 0 ? string.Empty : v < 0 ? $" − {n(-v)}{factor}" : $" + {n(v)}{factor}";

    private static void Linear(StringBuilder w, LinearSteps s, bool markdown, int d, Action<string> line)
    {
        string N(double v) => Format.Number(v, d);
        int m = s.A.Length, n = s.Names.Count;
        line($"the equations are linear in the {n} unknowns (lhs − rhs evaluated at a base point and one step along each unknown, linearity checked at 2 more points): {m} equations A·u = b, u = ({string.Join(", ", s.Names)})");
        bool show = n <= MaxColumns && m <= MaxRows;
        if (show)
        {
            Matrix(w, markdown, s.Names, s.A, s.B, d, "[A | b]");
        }

        line($"Gaussian elimination with partial pivoting (in each column the row with the largest |entry| is the pivot): {s.Ops.Count} row operations");
        foreach (var op in s.Ops.Take(MaxOps))
        {
            line(op.Factor is { } f ? $"R{op.Target + 1} ← R{op.Target + 1} − ({N(f)})·R{op.Source + 1}   (clears {op.Column})"
                : $"R{op.Target + 1} ↔ R{op.Source + 1}   (largest pivot for {op.Column})");
        }

        if (s.Ops.Count > MaxOps)
        {
            line($"... {s.Ops.Count - MaxOps} more (all in the JSON output)");
        }

        if (show)
        {
            Matrix(w, markdown, s.Names, s.Echelon.Select(r => r[..n]).ToArray(), s.Echelon.Select(r => r[n]).ToArray(), d, "echelon form");
        }

        line("back substitution, last unknown first:");
        foreach (var b in s.Back)
        {
            string known = b.Known.Count == 0 ? N(b.Rhs) : $"({N(b.Rhs)} − {string.Join(" − ", b.Known.Select(k => $"({N(k.Coefficient)})·{(k.Value < 0 ? $"({N(k.Value)})" : N(k.Value))}"))})";
            line($"{b.Name} = {known}/({N(b.Pivot)}) = {N(b.Value)}");
        }
    }

    private static void Matrix(StringBuilder w, bool markdown, IReadOnlyList<string> names, double[][] a, double[] b, int d, string title)
    {
        w.Append(markdown ? $"\n{title}:\n" : $"  {title}:\n");
        TextRenderer.Table(w, markdown, ["", .. names, "b"],
            a.Select((row, i) => new[] { $"R{i + 1}" }.Concat(row.Select(v => Format.Number(v, d))).Append(Format.Number(b[i], d)).ToArray()).ToList());
    }

    public static JsonObject? Json(Solution sol)
    {
        if (sol.Solved is not { } r || sol.Exercise.Solve is not { } spec)
        {
            return null;
        }

        var o = new JsonObject
        {
            ["method"] = r.Method,
            ["equations"] = new JsonArray(spec.Equations.Select(e => (JsonNode?)e.Text).ToArray()),
            ["unknowns"] = new JsonObject(r.Values.Select(v => KeyValuePair.Create(v.Key, JsonRenderer.Value(v.Value)))),
            ["max_residual"] = Num(r.MaxResidual),
        };
        if (r.Linear is { } s)
        {
            o["linear"] = new JsonObject
            {
                ["unknowns"] = new JsonArray(s.Names.Select(n => (JsonNode?)n).ToArray()),
                ["A"] = Rows(s.A),
                ["b"] = Arr(s.B),
                ["operations"] = new JsonArray(s.Ops.Select(op => (JsonNode?)new JsonObject
                {
                    ["op"] = op.Factor is null ? "swap" : "subtract",
                    ["target"] = op.Target + 1,
                    ["source"] = op.Source + 1,
                    ["factor"] = op.Factor is { } f ? Num(f) : null,
                    ["column"] = op.Column,
                }).ToArray()),
                ["echelon"] = Rows(s.Echelon),
                ["back_substitution"] = new JsonArray(s.Back.Select(b => (JsonNode?)new JsonObject { ["name"] = b.Name, ["rhs"] = Num(b.Rhs), ["pivot"] = Num(b.Pivot), ["value"] = Num(b.Value) }).ToArray()),
            };
        }

        if (r.Polynomial is { } p)
        {
            o["polynomial"] = new JsonObject { ["degree"] = p.Degree, ["a"] = Num(p.A), ["b"] = Num(p.B), ["c"] = Num(p.C), ["discriminant"] = p.Discriminant is { } dd ? Num(dd) : null, ["roots"] = Arr([.. p.Roots]) };
        }

        if (r.NotPolynomial is { } why)
        {
            o["not_polynomial"] = why;
        }

        if (r.Scan is { } scan)
        {
            o["scan"] = new JsonObject { ["interval"] = Arr([scan.Lo, scan.Hi]), ["cells"] = scan.Cells };
        }

        if (r.Brackets.Count > 0)
        {
            o["brackets"] = new JsonArray(r.Brackets.Select(b => (JsonNode?)new JsonObject
            {
                ["interval"] = Arr([b.Lo, b.Hi]),
                ["iterations"] = new JsonArray(b.Iterations.Select(i => (JsonNode?)new JsonObject { ["k"] = i.K, ["x"] = Num(i.X), ["f"] = Num(i.F), ["slope"] = Num(i.Slope), ["next"] = i.Next }).ToArray()),
            }).ToArray());
        }

        if (r.Candidates.Count > 0)
        {
            o["candidates"] = new JsonArray(r.Candidates.Select(c => (JsonNode?)new JsonObject
            {
                ["value"] = Num(c.Value),
                ["admissible"] = c.Rejected is null,
                ["residual"] = c.Residual is { } res ? Num(res) : null,
                ["reason"] = c.Rejected,
            }).ToArray());
        }

        return o;
    }

    private static JsonArray Rows(double[][] rows) => new(rows.Select(r => (JsonNode?)Arr(r)).ToArray());

    private static JsonArray Arr(double[] values) => new(values.Select(Num).ToArray());

    private static JsonNode? Num(double v) => double.IsFinite(v) ? JsonValue.Create(v) : JsonValue.Create(v.ToString(CultureInfo.InvariantCulture));
}
