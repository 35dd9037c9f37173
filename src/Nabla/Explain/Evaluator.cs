using Nabla.Formats;
using Nabla.Models;
using Nabla.NN;

namespace Nabla.Explain;

/// <summary>One evaluated equation instance (<c>h[3]</c>), with the values it read.</summary>
internal sealed class Quantity(string name, string? family, int? index, Equation eq, IReadOnlyDictionary<string, double> env)
{
    public string Name { get; } = name;

    public string? Family { get; } = family;

    public int? Index { get; } = index;

    public Equation Equation { get; } = eq;

    /// <summary>Loop variable bindings (<c>t = 3</c>).</summary>
    public IReadOnlyDictionary<string, double> Env { get; } = env;

    public Tensor Value { get; set; } = Tensor.Scalar(0);

    /// <summary>Directly used quantities and given values, in order of first use.</summary>
    public List<string> Deps { get; } = [];

    /// <summary>The value each symbol or element reference had (for the substituted formula).</summary>
    public Dictionary<Expr, (string Label, Tensor Value)> Reads { get; } = new(ReferenceEqualityComparer.Instance);

    /// <summary>The right-hand side with loop variables replaced by their values (<c>w1*h[2] + w2*x[2]</c>).</summary>
    public string Formula => Instantiate(Equation.Rhs);

    private string Instantiate(Expr e) => e switch
    {
        SymExpr s when Env.TryGetValue(s.Name, out var v) => v.ToString(System.Globalization.CultureInfo.InvariantCulture),
        IndexExpr ix when Reads.TryGetValue(ix, out var r) => r.Label,
        _ => Rewrite(e),
    };

    private string Rewrite(Expr e) => e switch
    {
        BinExpr b => ShowBin(b, Instantiate(b.Left), Instantiate(b.Right)),
        NegExpr n => n.Operand is BinExpr ? $"-({Instantiate(n.Operand)})" : $"-{Instantiate(n.Operand)}",
        CallExpr c => $"{c.Name}({string.Join(", ", c.Args.Select(Instantiate).Concat(c.Named.Select(kv => $"{kv.Key}={Instantiate(kv.Value)}")))})",
        ListExpr l => $"[{string.Join(", ", l.Items.Select(Instantiate))}]",
        IndexExpr ix => $"{Instantiate(ix.Target)}[{string.Join(", ", ix.Indices.Select(Instantiate))}]",
        _ => e.Show(),
    };

    internal static string ShowBin(BinExpr b, string l, string r)
    {
        int p = BinExpr.Precedence(b.Op);
        if (b.Left is BinExpr lb && (BinExpr.Precedence(lb.Op) < p || (b.Op == '^' && BinExpr.Precedence(lb.Op) == p)))
        {
            l = $"({l})";
        }

        if ((b.Right is BinExpr rb && (BinExpr.Precedence(rb.Op) < p || (BinExpr.Precedence(rb.Op) == p && b.Op is '-' or '/' or '%'))) || b.Right is NegExpr)
        {
            r = $"({r})";
        }

        return b.Op is '*' or '^' ? $"{l}{b.Op}{r}" : $"{l} {b.Op} {r}";
    }
}

/// <summary>The values of one run of an exercise's equations.</summary>
internal sealed class Evaluation
{
    public Dictionary<string, Tensor> Given { get; } = new(StringComparer.Ordinal);

    public Dictionary<string, Tensor> Exports { get; } = new(StringComparer.Ordinal);

    public List<Quantity> Quantities { get; } = [];

    public Dictionary<string, Quantity> ByName { get; } = new(StringComparer.Ordinal);

    public Dictionary<string, SortedDictionary<int, Quantity>> Families { get; } = new(StringComparer.Ordinal);

    /// <summary>A quantity, family (stacked), given value or model export by name; null when unknown.</summary>
    public Tensor? Lookup(string name)
    {
        if (ByName.TryGetValue(name, out var q))
        {
            return q.Value;
        }

        if (Families.TryGetValue(name, out var fam))
        {
            // The family as a whole, [h[0], ..., h[n]], exists only when its members have one shape.
            if (fam.Values.Select(v => v.Value.Shape).Distinct().Count() > 1)
            {
                throw new YamlException($"'{name}' is used as a whole, but its members have different shapes ({string.Join(", ", fam.Values.Take(4).Select(v => $"{v.Name}: {v.Value.Shape}"))}{(fam.Count > 4 ? ", ..." : "")}), so they do not stack into one tensor");
            }

            return Tensor.Stack(fam.Values.Select(v => v.Value).ToList());
        }

        return Given.TryGetValue(name, out var g) ? g : Exports.GetValueOrDefault(name);
    }

    /// <summary>All names a claim or request may refer to.</summary>
    public IEnumerable<string> Names => ByName.Keys.Concat(Families.Keys).Concat(Given.Keys).Concat(Exports.Keys);
}

/// <summary>
/// Runs an exercise's equations on Nabla tensors (Float64): given values become leaves that require gradients,
/// each equation instance becomes a named tensor (<c>Named("h[3]")</c>) computed inside <c>Trace.Group</c>.
/// Consecutive equations with the same loop run as one block, the loop variable outermost (so an LSTM's gates at
/// step t can read h[t−1] from the block's last equation).
/// </summary>
internal sealed class Evaluator(Exercise exercise, IReadOnlyDictionary<string, Tensor> exports)
{
    public Exercise Exercise { get; } = exercise;

    /// <summary>How many of the equations to run (all by default; fewer for a named Hessian, computed before the rest).</summary>
    public int Limit { get; init; } = int.MaxValue;

    /// <summary>Evaluates everything; <paramref name="overrides"/> replace given values (for Jacobians, Hessians, updates).</summary>
    public Evaluation Run(IReadOnlyDictionary<string, Tensor>? overrides = null, bool requireGrad = true)
    {
        var ev = new Evaluation();
        foreach (var (k, v) in exports)
        {
            ev.Exports[k] = v;
        }

        foreach (var g in Exercise.Given)
        {
            if (overrides is not null && overrides.TryGetValue(g.Name, out var o))
            {
                ev.Given[g.Name] = o;
                continue;
            }

            var t = Tensor.FromArray(g.Values, new Shape(g.Shape)).Named(g.Name);
            ev.Given[g.Name] = requireGrad ? t.RequireGrad() : t;
        }

        var eqs = Exercise.Equations;
        Continue(ev, eqs.Count <= Limit ? eqs : eqs.Take(Limit).ToList());
        return ev;
    }

    /// <summary>Evaluates <paramref name="eqs"/> in order on top of what <paramref name="ev"/> holds (it is extended).</summary>
    public static void Continue(Evaluation ev, IReadOnlyList<Equation> eqs)
    {
        for (int i = 0; i < eqs.Count;)
        {
            int j = i + 1;
            if (eqs[i].Loop is { } loop)
            {
                while (j < eqs.Count && eqs[j].Loop == loop)
                {
                    j++;
                }

                for (int t = loop.From; t <= loop.To; t++)
                {
                    var env = new Dictionary<string, double>(StringComparer.Ordinal) { [loop.Var] = t };
                    for (int k = i; k < j; k++)
                    {
                        Define(ev, eqs[k], env);
                    }
                }
            }
            else
            {
                Define(ev, eqs[i], new Dictionary<string, double>(StringComparer.Ordinal));
            }

            i = j;
        }
    }

    private static void Define(Evaluation ev, Equation eq, Dictionary<string, double> env)
    {
        int? index = null;
        string name = eq.Target;
        if (eq.TargetIndex is { } ti)
        {
            try
            {
                index = ConstEval.Int(ti, env);
            }
            catch (ExprException e)
            {
                throw new YamlException(e.Message, eq.Line, eq.Column + eq.Target.Length + 1 + e.Pos);
            }

            name = $"{eq.Target}[{index}]";
        }

        if (ev.ByName.ContainsKey(name) || (index is null && ev.Families.ContainsKey(name)) || ev.Given.ContainsKey(name))
        {
            throw new YamlException($"'{name}' is defined twice", eq.Line, eq.Column);
        }

        var q = new Quantity(name, index is null ? null : eq.Target, index, eq, env);
        using (Trace.Group(name))
        {
            try
            {
                q.Value = new Scope(ev, q).Eval(eq.Rhs).Named(name);
            }
            catch (ExprException e)
            {
                throw new YamlException($"{name}: {e.Message}", eq.Line, eq.Column + e.Pos);
            }
        }

        ev.Quantities.Add(q);
        ev.ByName[name] = q;
        if (index is { } ix)
        {
            if (!ev.Families.TryGetValue(eq.Target, out var fam))
            {
                ev.Families[eq.Target] = fam = [];
            }

            fam[ix] = q;
        }
    }

    /// <summary>Evaluates an alternative right-hand side in a quantity's context (for the checker's "what if"); null on failure.</summary>
    public static (Tensor? Value, IReadOnlyDictionary<Expr, (string Label, Tensor Value)>? Reads) TryEvaluate(Evaluation ev, Quantity q, Expr rhs)
    {
        var probe = new Quantity(q.Name, q.Family, q.Index, q.Equation, q.Env);
        try
        {
            return (new Scope(ev, probe).Eval(rhs).Detach(), probe.Reads);
        }
        catch (ExprException)
        {
            return (null, null);
        }
    }

    /// <summary>
    /// The direct partial derivatives ∂u/∂dep of a quantity's own equation, every other quantity held fixed: the
    /// right-hand side is re-run on detached copies of the values it reads (leaves), then differentiated.
    /// </summary>
    public static Dictionary<string, Tensor> LocalPartials(Evaluation ev, Quantity u)
    {
        var local = new Evaluation();
        var leaves = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        Tensor Leaf(string name, Tensor t) => leaves[name] = t.Detach().RequireGrad();
        foreach (var (k, v) in ev.Given)
        {
            local.Given[k] = u.Deps.Contains(k) ? Leaf(k, v) : v;
        }

        foreach (var (k, v) in ev.Exports)
        {
            local.Exports[k] = v;
        }

        foreach (var q in ev.Quantities)
        {
            var copy = new Quantity(q.Name, q.Family, q.Index, q.Equation, q.Env) { Value = u.Deps.Contains(q.Name) ? Leaf(q.Name, q.Value) : q.Value };
            local.ByName[q.Name] = copy;
            if (q.Index is { } ix)
            {
                if (!local.Families.TryGetValue(q.Family!, out var fam))
                {
                    local.Families[q.Family!] = fam = [];
                }

                fam[ix] = copy;
            }
        }

        foreach (var fam in ev.Families.Keys)
        {
            local.ByName.Remove(fam);
        }

        local.ByName.Remove(u.Name);
        var probe = new Quantity(u.Name, u.Family, u.Index, u.Equation, u.Env);
        var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        Tensor y;
        try
        {
            y = new Scope(local, probe).Eval(u.Equation.Rhs);
        }
        catch (ExprException)
        {
            return result;
        }

        if (y.Numel != 1 || !y.RequiresGrad || leaves.Count == 0)
        {
            return result;
        }

        var names = leaves.Keys.ToList();
        Tensor?[] grads;
        try
        {
            grads = Autograd.Grad([y], names.Select(n => leaves[n]).ToList(), allowUnused: true);
        }
        catch (NotDifferentiableException)
        {
            return result; // eigvals/eigvecs: no local partials to show (a gradient through them is refused where it is asked for)
        }

        for (int i = 0; i < names.Count; i++)
        {
            result[names[i]] = grads[i]?.Detach() ?? Tensor.ZerosLike(leaves[names[i]]);
        }

        return result;
    }

    private sealed class Scope(Evaluation ev, Quantity q) : IArgSource
    {
        /// <summary>Evaluates a sub-expression; the first one whose value is NaN or ±∞ is an error naming it.</summary>
        public Tensor Eval(Expr e)
        {
            Tensor t;
            try
            {
                t = EvalCore(e);
            }
            catch (ArgumentOutOfRangeException x)
            {
                throw new ExprException($"{e.Show()}: {x.Message}", e.Pos);
            }
            catch (ArgumentException x)
            {
                throw new ExprException($"shape mismatch in {e.Show()}: {x.Message}", e.Pos);
            }
            catch (InvalidOperationException x)
            {
                throw new ExprException($"{e.Show()}: {x.Message}", e.Pos);
            }

            NonFinite.Check(e, t);
            return t;
        }

        public double? Constant(Expr e) => e is SymExpr or NumExpr or BinExpr or NegExpr && !Mentions(e) ? ConstEval.E(e, q.Env) : null;

        private void Use(string dep)
        {
            if (!q.Deps.Contains(dep))
            {
                q.Deps.Add(dep);
            }
        }

        private Tensor EvalCore(Expr e)
        {
            switch (e)
            {
                case NumExpr n:
                    return Tensor.Scalar(n.Value);
                case SymExpr s:
                    return Symbol(s);
                case NegExpr n:
                    return -Eval(n.Operand);
                case BinExpr b:
                    return Binary(b);
                case ListExpr l:
                    var items = l.Items.Select(Eval).ToList();
                    return items.All(t => t.Rank == 0) ? Tensor.Stack(items) : Tensor.Cat(items.Select(t => t.Rank == 0 ? t.Reshape(1) : t).ToList());
                case IndexExpr ix:
                    return Index(ix);
                case CallExpr c:
                    return Functions.Call(c, this);
                case StrExpr s:
                    throw new ExprException($"the string '{s.Value}' can only be a function option", s.Pos);
                default:
                    throw new ExprException($"cannot evaluate {e.Show()}", e.Pos);
            }
        }

        private double Const(Expr e) => Constant(e) ?? Eval(e).Item();

        private bool Mentions(Expr e) => e switch
        {
            SymExpr s => !q.Env.ContainsKey(s.Name),
            BinExpr b => Mentions(b.Left) || Mentions(b.Right),
            NegExpr n => Mentions(n.Operand),
            NumExpr => false,
            _ => true,
        };

        private Tensor Symbol(SymExpr s)
        {
            if (q.Env.TryGetValue(s.Name, out var v))
            {
                return Tensor.Scalar(v);
            }

            var t = ev.Lookup(s.Name);
            if (t is null)
            {
                var known = ev.Names.Concat(q.Env.Keys).ToList();
                string hint = s.Name == q.Equation.Target ? " (a quantity cannot use itself; a recurrence reads an earlier step, h[t-1])"
                    : Steps.IsStepped(s.Name) ? " (values after optimizer steps can be used by the equations of 'after:')"
                    : DidYouMean.Suggest(s.Name, known);
                throw new ExprException($"unknown symbol '{s.Name}'{hint}: it is neither given nor defined by an earlier equation", s.Pos);
            }

            if (ev.Families.TryGetValue(s.Name, out var fam))
            {
                foreach (var m in fam.Values)
                {
                    Use(m.Name);
                }
            }
            else
            {
                Use(s.Name);
            }

            q.Reads[s] = (s.Name, t);
            return t;
        }

        private Tensor Index(IndexExpr ix)
        {
            var idx = ix.Indices.Select(i => (int)Math.Round(Const(i))).ToArray();
            if (ix.Target is SymExpr fs && ev.Families.TryGetValue(fs.Name, out var fam) && !ev.ByName.ContainsKey(fs.Name))
            {
                if (idx.Length != 1 || !fam.TryGetValue(idx[0], out var m))
                {
                    throw new ExprException($"{fs.Name}[{string.Join(", ", idx)}] is not defined (yet): {fs.Name} has steps {string.Join(", ", fam.Keys)} so far", ix.Pos);
                }

                Use(m.Name);
                q.Reads[ix] = (m.Name, m.Value);
                return m.Value;
            }

            if (ix.Target is SymExpr self && self.Name == q.Equation.Target && q.Equation.TargetIndex is not null && !ev.Families.ContainsKey(self.Name))
            {
                throw new ExprException($"{self.Name}[{string.Join(", ", idx)}] is not defined: a recurrence needs its start, e.g. an equation \"{self.Name}[{string.Join(", ", idx)}] = ...\" before this one", ix.Pos);
            }

            if (ix.Target is SymExpr us && ev.Lookup(us.Name) is null && !q.Env.ContainsKey(us.Name))
            {
                throw new ExprException($"{us.Name}[{string.Join(", ", idx)}]: '{us.Name}' is neither given nor defined by an earlier equation{(Steps.IsStepped(us.Name) ? " (values after optimizer steps can be used by the equations of 'after:')" : DidYouMean.Suggest(us.Name, ev.Names))}", ix.Pos);
            }

            var t = Eval(ix.Target);
            if (idx.Length > t.Rank)
            {
                throw new ExprException($"{ix.Target.Show()} has shape {t.Shape}: {idx.Length} indices are too many", ix.Pos);
            }

            var r = t;
            for (int d = 0; d < idx.Length; d++)
            {
                int size = r.Shape[0];
                if (idx[d] < -size || idx[d] >= size)
                {
                    throw new ExprException($"index {idx[d]} is out of range for {ix.Target.Show()} (shape {t.Shape}; indices start at 0)", ix.Indices[d].Pos);
                }

                r = r.Select(0, idx[d] < 0 ? idx[d] + size : idx[d]);
            }

            string label = $"{ix.Target.Show()}[{string.Join(", ", idx)}]";
            q.Reads[ix] = (label, r);
            return r;
        }

        private Tensor Binary(BinExpr b)
        {
            if (b.Op == '^' && b.Right is NumExpr or NegExpr { Operand: NumExpr })
            {
                return Eval(b.Left).Pow(ConstEval.E(b.Right, q.Env));
            }

            var l = Eval(b.Left);
            var r = Eval(b.Right);
            return b.Op switch
            {
                '+' => l + r,
                '-' => l - r,
                '*' => l * r,
                '/' => l / r,
                '@' => l.MatMul(r),
                '^' => l.Pow(r),
                // a mod b = a − b·⌊a/b⌋ with the quotient a constant: ∂/∂a = 1, ∂/∂b = −⌊a/b⌋ (as torch.remainder).
                '%' => l - (r * Tensor.FromArray(l.Broadcast(r).Select(p => Math.Floor(p.A / p.B)).ToArray(), Shape.Broadcast(l.Shape, r.Shape))),
                _ => throw new ExprException($"unknown operator {b.Op}", b.Pos),
            };
        }
    }
}

/// <summary>Element pairs of two broadcast tensors (for the few operators without a differentiable kernel).</summary>
internal static class BroadcastPairs
{
    public static IEnumerable<(double A, double B)> Broadcast(this Tensor a, Tensor b)
    {
        var shape = Shape.Broadcast(a.Shape, b.Shape);
        var x = a.Detach().Expand(shape).ToDoubleArray();
        var y = b.Detach().Expand(shape).ToDoubleArray();
        return x.Zip(y);
    }
}
