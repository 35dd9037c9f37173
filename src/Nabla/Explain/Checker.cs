using Nabla.Formats;


namespace Nabla.Explain;

/// <summary>One claim compared with the computed value.</summary>
internal sealed record ClaimResult(string Name, Tensor Claimed, Tensor Computed, bool Right, int Line);

/// <summary>A wrong claim that no other wrong claim explains, with why, and the wrong claims that follow from it.</summary>
internal sealed record Blame(string Name, string Why, IReadOnlyList<string> Downstream);

/// <summary>The result of <c>nabla check</c>.</summary>
internal sealed record CheckReport(IReadOnlyList<ClaimResult> Results, IReadOnlyList<Blame> Blames)
{
    public bool AllRight => Results.All(r => r.Right);
}

/// <summary>
/// Compares claimed values with the computed solution. A claim is right when every element satisfies
/// |claimed − computed| ≤ max(abs, rel·|computed|) (defaults abs = 1e-9, rel = 5e-4, for values rounded to about four digits).
/// The blamed quantities are the wrong claims that depend on no other wrong claim (through the dependency graph of
/// named quantities); for each, the checker tries the usual slips (an index off by one or two, a term added instead of
/// subtracted, a term left out, swapped operands, the wrong sign) to say why.
/// </summary>
internal static class Checker
{
    public static CheckReport Check(Solution sol, YamlNode claims)
    {
        if (claims is not YamlMapping map)
        {
            throw new YamlException("claims are a mapping: name: value (\"h[4]\": 115, dL/dw1: -4378.75)", claims);
        }

        double abs = 1e-9, rel = 5e-4;
        if (map["tolerance"] is YamlMapping tol)
        {
            abs = tol["abs"] is YamlScalar a && a.TryGetDouble(out var av) ? av : abs;
            rel = tol["rel"] is YamlScalar r && r.TryGetDouble(out var rv) ? rv : rel;
        }

        var results = new List<ClaimResult>();
        foreach (var (key, node) in map.Entries.Where(e => e.Key.Value != "tolerance"))
        {
            var computed = sol.Find(key.Value)
                ?? throw new YamlException($"claim about '{key.Value}': no such quantity{DidYouMean.Suggest(key.Value, sol.Values.Select(v => v.Name))}", key);
            var claimed = Claimed(key.Value, node);
            var c = computed.Value.Detach();
            if (claimed.Numel != c.Numel)
            {
                throw new YamlException($"claim about '{key.Value}': {claimed.Numel} value(s) given, the quantity has shape {c.Shape}", node);
            }

            var cv = claimed.ToDoubleArray();
            var xv = c.ToDoubleArray();
            bool right = cv.Zip(xv).All(p => Math.Abs(p.First - p.Second) <= Math.Max(abs, rel * Math.Abs(p.Second)));
            results.Add(new ClaimResult(key.Value, claimed.Reshape(c.Shape), c, right, key.Line));
        }

        // The graph is over the names values are stored under (w1' for w1@3 after 3 steps); blames use the claims' spelling.
        var written = results.Where(r => !r.Right).GroupBy(r => sol.Canonical(r.Name)).ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
        var wrong = written.Keys.ToHashSet(StringComparer.Ordinal);
        var blames = new List<Blame>();
        var order = sol.Values.Select((v, i) => (v.Name, i)).GroupBy(p => p.Name).ToDictionary(g => g.Key, g => g.Last().i, StringComparer.Ordinal);
        foreach (var name in wrong.OrderBy(n => order[n]))
        {
            var upstream = Closure(sol, name);
            if (upstream.Any(u => u != name && wrong.Contains(u)))
            {
                continue;
            }

            var downstream = wrong.Where(o => o != name && Closure(sol, o).Contains(name)).OrderBy(o => order[o]).Select(o => written[o].Name).ToList();
            var claim = written[name];
            blames.Add(new Blame(claim.Name, Why(sol, name, claim.Claimed), downstream));
        }

        return new CheckReport(results, blames);
    }

    private static Tensor Claimed(string name, YamlNode node)
    {
        var values = new List<double>();
        void Walk(YamlNode n)
        {
            switch (n)
            {
                case YamlScalar s when s.TryGetDouble(out var v):
                    values.Add(v);
                    break;
                case YamlSequence q:
                    foreach (var i in q.Items)
                    {
                        Walk(i);
                    }

                    break;
                default:
                    throw new YamlException($"claim about '{name}' must be a number or a list of numbers, found {n.Describe()}", n);
            }
        }

        Walk(node);
        return Tensor.FromArray([.. values]);
    }

    /// <summary>The names a value depends on, itself included, transitively.</summary>
    public static HashSet<string> Closure(Solution sol, string name)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var stack = new Stack<string>([name]);
        while (stack.Count > 0)
        {
            var n = sol.Canonical(stack.Pop());
            if (seen.Add(n) && sol.Find(n) is { } v)
            {
                foreach (var dep in v.Deps)
                {
                    stack.Push(dep);
                }
            }
        }

        return seen;
    }

    private static string Why(Solution sol, string name, Tensor claimed)
    {
        int d = sol.Digits;
        var computed = sol.Find(name)!.Value;
        string values = $"the computed value is {Format.Tensor(computed, d)}, not {Format.Tensor(claimed, d)}";
        if (Sections.ExerciseSections.All.Select(s => s.Why(sol, name, claimed)).FirstOrDefault(w => w is not null) is { } why)
        {
            return why;
        }

        if (sol.Source(name) is not var (ev, q))
        {
            return values;
        }

        string how = $"{name} = {q.Formula} = {TextRenderer.Substitute(q, q.Equation.Rhs, d, latex: false)} = {Format.Tensor(computed, d)}";
        bool Matches(Tensor? value) => Close(value, claimed);
        (Tensor? Value, IReadOnlyDictionary<Expr, (string Label, Tensor Value)>? Reads) Try(Expr rhs) => Evaluator.TryEvaluate(ev, q, rhs);
        string Valued(Expr e) => Try(e).Value is { } v ? $"{e.Show()} = {Format.Tensor(v, d)}" : e.Show();
        foreach (var ix in Walk(q.Equation.Rhs).OfType<IndexExpr>().Where(ix => ix.Indices.Count == 1))
        {
            foreach (int delta in (int[])[-1, 1, -2, 2])
            {
                var shifted = new IndexExpr(ix.Target, [new BinExpr('+', ix.Indices[0], new NumExpr(delta, ix.Pos), ix.Pos)], ix.Pos);
                var (value, reads) = Try(Replace(q.Equation.Rhs, ix, shifted));
                if (Matches(value) && q.Reads.TryGetValue(ix, out var right) && reads!.TryGetValue(shifted, out var used))
                {
                    return $"it must use {right.Label} = {Format.Tensor(right.Value, d)}, not {used.Label} = {Format.Tensor(used.Value, d)} ({how})";
                }
            }
        }

        // The other usual slips, each tried on every sum, difference and quotient of the equation: a term added
        // instead of subtracted (or the reverse), a term left out, the operands of − or / swapped, the sign of the whole.
        foreach (var b in Walk(q.Equation.Rhs).OfType<BinExpr>())
        {
            if (b.Op is '+' or '-')
            {
                if (Matches(Try(Replace(q.Equation.Rhs, b, b with { Op = b.Op == '+' ? '-' : '+' })).Value))
                {
                    return $"the term {Valued(b.Right)} must be {(b.Op == '+' ? "added, not subtracted" : "subtracted, not added")} ({how})";
                }

                if (Matches(Try(Replace(q.Equation.Rhs, b, b.Left)).Value))
                {
                    return $"it leaves out the term {Valued(b.Right)} ({how})";
                }

                if (Matches(Try(Replace(q.Equation.Rhs, b, b.Op == '+' ? b.Right : new NegExpr(b.Right, b.Pos))).Value))
                {
                    return $"it leaves out the term {Valued(b.Left)} ({how})";
                }
            }

            if (b.Op is '-' or '/' && Matches(Try(Replace(q.Equation.Rhs, b, b with { Left = b.Right, Right = b.Left })).Value))
            {
                return $"the operands of '{b.Op}' are swapped: it is {b.Show()}, not {(b with { Left = b.Right, Right = b.Left }).Show()} ({how})";
            }
        }

        return Matches(-computed) ? $"it has the wrong sign ({how})" : $"{values}: {how}";
    }

    /// <summary>Whether <paramref name="claimed"/> is <paramref name="value"/> up to rounding (a slip the claim matches).</summary>
    internal static bool Close(Tensor? value, Tensor claimed) => value is not null && value.Numel == claimed.Numel
        && value.ToDoubleArray().Zip(claimed.ToDoubleArray()).All(p => Math.Abs(p.First - p.Second) <= 1e-9 + (5e-4 * Math.Abs(p.First)));

    private static IEnumerable<Expr> Walk(Expr e)
    {
        yield return e;
        IEnumerable<Expr> children = e switch
        {
            BinExpr b => [b.Left, b.Right],
            NegExpr n => [n.Operand],
            CallExpr c => c.Args,
            ListExpr l => l.Items,
            IndexExpr ix => [ix.Target, .. ix.Indices],
            _ => [],
        };
        foreach (var c in children.SelectMany(Walk))
        {
            yield return c;
        }
    }

    private static Expr Replace(Expr e, Expr target, Expr with) => ReferenceEquals(e, target) ? with : e switch
    {
        BinExpr b => b with { Left = Replace(b.Left, target, with), Right = Replace(b.Right, target, with) },
        NegExpr n => n with { Operand = Replace(n.Operand, target, with) },
        CallExpr c => c with { Args = c.Args.Select(a => Replace(a, target, with)).ToList() },
        ListExpr l => l with { Items = l.Items.Select(i => Replace(i, target, with)).ToList() },
        _ => e,
    };
}
