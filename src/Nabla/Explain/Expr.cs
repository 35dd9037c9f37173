using System.Globalization;
using System.Text;
using Nabla.Formats;

namespace Nabla.Explain;

/// <summary>A node of an equation's right-hand side; <see cref="Pos"/> is the 0-based offset in the equation text.</summary>
internal abstract record Expr(int Pos)
{
    /// <summary>The expression as source text (fully parenthesised where precedence requires).</summary>
    public abstract string Show();
}

/// <summary>A number literal.</summary>
internal sealed record NumExpr(double Value, int Pos) : Expr(Pos)
{
    public override string Show() => Value.ToString("R", CultureInfo.InvariantCulture);
}

/// <summary>A quoted string literal (for options such as <c>padding='same'</c>).</summary>
internal sealed record StrExpr(string Value, int Pos) : Expr(Pos)
{
    public override string Show() => $"'{Value}'";
}

/// <summary>A named quantity or index variable.</summary>
internal sealed record SymExpr(string Name, int Pos) : Expr(Pos)
{
    public override string Show() => Name;
}

/// <summary><c>target[i, j]</c>: an element of a time-indexed family or of a tensor.</summary>
internal sealed record IndexExpr(Expr Target, IReadOnlyList<Expr> Indices, int Pos) : Expr(Pos)
{
    public override string Show() => $"{Target.Show()}[{string.Join(", ", Indices.Select(i => i.Show()))}]";
}

/// <summary><c>f(a, b, name=c)</c>.</summary>
internal sealed record CallExpr(string Name, IReadOnlyList<Expr> Args, IReadOnlyDictionary<string, Expr> Named, int Pos) : Expr(Pos)
{
    public override string Show() =>
        $"{Name}({string.Join(", ", Args.Select(a => a.Show()).Concat(Named.Select(kv => $"{kv.Key}={kv.Value.Show()}")))})";
}

/// <summary><c>-a</c>.</summary>
internal sealed record NegExpr(Expr Operand, int Pos) : Expr(Pos)
{
    public override string Show() => $"-{Wrap(Operand)}";

    private static string Wrap(Expr e) => e is BinExpr ? $"({e.Show()})" : e.Show();
}

/// <summary>A binary operation: <c>+ - * / ^ @ %</c>.</summary>
internal sealed record BinExpr(char Op, Expr Left, Expr Right, int Pos) : Expr(Pos)
{
    public static int Precedence(char op) => op switch { '+' or '-' => 1, '*' or '/' or '@' or '%' => 2, _ => 3 };

    public override string Show()
    {
        int p = Precedence(Op);
        string l = Left is BinExpr lb && (Precedence(lb.Op) < p || (Op == '^' && Precedence(lb.Op) == p)) ? $"({lb.Show()})" : Left.Show();
        string r = Right is BinExpr rb && (Precedence(rb.Op) < p || (Precedence(rb.Op) == p && Op is '-' or '/' or '%')) ? $"({rb.Show()})" : Right.Show();
        if (Right is NegExpr)
        {
            r = $"({r})";
        }

        return Op is '*' or '^' ? $"{l}{Op}{r}" : $"{l} {Op} {r}";
    }
}

/// <summary><c>[a, b, c]</c>: stacks scalars into a vector, or concatenates vectors.</summary>
internal sealed record ListExpr(IReadOnlyList<Expr> Items, int Pos) : Expr(Pos)
{
    public override string Show() => $"[{string.Join(", ", Items.Select(i => i.Show()))}]";
}

/// <summary>A syntax or evaluation error at an offset of the equation text.</summary>
internal sealed class ExprException(string message, int pos) : Exception(message)
{
    public int Pos { get; } = pos;
}

/// <summary>
/// Recursive-descent parser for equation right-hand sides. Grammar (lowest precedence first):
/// <c>sum := prod (('+'|'-') prod)*</c>, <c>prod := unary (('*'|'/'|'@'|'%') unary)*</c>,
/// <c>unary := '-' unary | power</c>, <c>power := postfix ('^' unary)?</c> (right-associative, so −x^2 = −(x²)),
/// <c>postfix := primary ('[' sum (',' sum)* ']')*</c>,
/// <c>primary := number | 'string' | name | name '(' args ')' | '(' sum ')' | '[' sum (',' sum)* ']'</c>.
/// Names may contain dots (<c>m.conv1.params</c>) and primes; a step suffix follows a name or element directly
/// (<c>h[2]'</c>, <c>w1@2</c>, see <see cref="StepSuffix"/>). A tree deeper than <see cref="ReadLimits.MaxDepth"/>
/// (nested parentheses, a long chain of operators) is refused, so that everything walking it recursively
/// (<see cref="Expr.Show"/>, the evaluators, the derivatives) recurses a bounded number of times.
/// </summary>
internal sealed class ExprParser
{
    private readonly string text;
    private int pos;
    private int nesting;

    private ExprParser(string text) => this.text = text;

    public static Expr Parse(string text, int start = 0, int end = -1)
    {
        var p = new ExprParser(end < 0 ? text : text[..end]) { pos = start };
        var e = p.Sum();
        p.Skip();
        if (p.pos < p.text.Length)
        {
            throw new ExprException($"unexpected '{p.text[p.pos]}'", p.pos);
        }

        return Bounded(e);
    }

    /// <summary>
    /// <paramref name="e"/> when its tree is at most <see cref="ReadLimits.MaxDepth"/> deep, measured without
    /// recursion: operator chains such as <c>a+a+…+a</c> are parsed by loops but still make deep trees.
    /// </summary>
    private static Expr Bounded(Expr e)
    {
        var stack = new Stack<(Expr Node, int Depth)>([(e, 1)]);
        while (stack.TryPop(out var top))
        {
            if (top.Depth > ReadLimits.MaxDepth)
            {
                throw TooDeep(top.Node.Pos);
            }

            foreach (var child in Children(top.Node))
            {
                stack.Push((child, top.Depth + 1));
            }
        }

        return e;
    }

    private static IEnumerable<Expr> Children(Expr e) => e switch
    {
        BinExpr b => [b.Left, b.Right],
        NegExpr n => [n.Operand],
        IndexExpr i => [i.Target, .. i.Indices],
        CallExpr c => [.. c.Args, .. c.Named.Values],
        ListExpr l => l.Items,
        _ => [],
    };

    private static ExprException TooDeep(int at) =>
        new($"the expression nests deeper than {ReadLimits.MaxDepth} levels (each operator, parenthesis, bracket and call is one)", at);

    /// <summary>Reads a name at <paramref name="at"/> (used for equation left-hand sides).</summary>
    public static (string Name, IReadOnlyList<Expr> Indices, int End) ParseTarget(string text, int at)
    {
        var p = new ExprParser(text) { pos = at };
        p.Skip();
        int start = p.pos;
        string name = p.Name() ?? throw new ExprException("expected the name of the quantity before '='", start);
        var indices = new List<Expr>();
        p.Skip();
        if (p.Peek('['))
        {
            p.pos++;
            indices.Add(p.Sum());
            while (p.Accept(','))
            {
                indices.Add(p.Sum());
            }

            p.Expect(']');
        }

        return (name, [.. indices.Select(Bounded)], p.pos);
    }

    private Expr Sum()
    {
        var left = Product();
        while (true)
        {
            Skip();
            int at = pos;
            if (Accept('+'))
            {
                left = new BinExpr('+', left, Product(), at);
            }
            else if (Accept('-'))
            {
                left = new BinExpr('-', left, Product(), at);
            }
            else
            {
                return left;
            }
        }
    }

    private Expr Product()
    {
        var left = Unary();
        while (true)
        {
            Skip();
            int at = pos;
            if (pos < text.Length && text[pos] is '*' or '/' or '@' or '%' && !(text[pos] == '*' && pos + 1 < text.Length && text[pos + 1] == '*'))
            {
                char op = text[pos++];
                left = new BinExpr(op, left, Unary(), at);
            }
            else
            {
                return left;
            }
        }
    }

    // Every nesting (parentheses, brackets, arguments, signs, powers) passes through here, so counting here bounds
    // the parser's own recursion before a tree exists to measure.
    private Expr Unary()
    {
        Skip();
        int at = pos;
        if (++nesting > ReadLimits.MaxDepth)
        {
            throw TooDeep(at);
        }

        var e = Accept('-') ? new NegExpr(Unary(), at) : Accept('+') ? Unary() : Power();
        nesting--;
        return e;
    }

    private Expr Power()
    {
        var b = Postfix();
        Skip();
        int at = pos;
        if (Accept('^'))
        {
            return new BinExpr('^', b, Unary(), at);
        }

        if (pos + 1 < text.Length && text[pos] == '*' && text[pos + 1] == '*')
        {
            pos += 2;
            return new BinExpr('^', b, Unary(), at);
        }

        return b;
    }

    private Expr Postfix()
    {
        var e = Primary();
        while (true)
        {
            if (StepSuffix(e) is { } stepped)
            {
                e = stepped;
                continue;
            }

            Skip();
            int at = pos;
            if (!Accept('['))
            {
                return e;
            }

            var idx = new List<Expr> { Sum() };
            while (Accept(','))
            {
                idx.Add(Sum());
            }

            Expect(']');
            e = new IndexExpr(e, idx, at);
        }
    }

    private Expr Primary()
    {
        Skip();
        int at = pos;
        if (pos >= text.Length)
        {
            throw new ExprException("the expression ends too early", pos);
        }

        char c = text[pos];
        if (char.IsAsciiDigit(c) || (c == '.' && pos + 1 < text.Length && char.IsAsciiDigit(text[pos + 1])))
        {
            return Number();
        }

        if (c is '\'' or '"')
        {
            int end = text.IndexOf(c, pos + 1);
            if (end < 0)
            {
                throw new ExprException("unterminated string", pos);
            }

            var s = text[(pos + 1)..end];
            pos = end + 1;
            return new StrExpr(s, at);
        }

        if (Accept('('))
        {
            var inner = Sum();
            Expect(')');
            return inner;
        }

        if (Accept('['))
        {
            var items = new List<Expr> { Sum() };
            while (Accept(','))
            {
                items.Add(Sum());
            }

            Expect(']');
            return new ListExpr(items, at);
        }

        string? name = Name();
        if (name is null)
        {
            throw new ExprException($"unexpected '{c}'", pos);
        }

        Skip();
        if (!Accept('('))
        {
            return new SymExpr(name, at);
        }

        var args = new List<Expr>();
        var named = new Dictionary<string, Expr>(StringComparer.Ordinal);
        Skip();
        if (!Accept(')'))
        {
            do
            {
                Skip();
                int save = pos;
                string? key = Name();
                Skip();
                if (key is not null && Peek('=') && !(pos + 1 < text.Length && text[pos + 1] == '='))
                {
                    pos++;
                    if (!named.TryAdd(key, Sum()))
                    {
                        throw new ExprException($"{name}: argument '{key}' is given twice", save);
                    }
                }
                else if (named.Count > 0)
                {
                    throw new ExprException($"{name}: a positional argument cannot follow a named one", save);
                }
                else
                {
                    pos = save;
                    args.Add(Sum());
                }
            }
            while (Accept(','));
            Expect(')');
        }

        return new CallExpr(name, args, named, at);
    }

    // A value after optimizer steps, written right after a name or an element with no space: h[2]' is h'[2] (after
    // the last step) and w1@2, h[2]@2 are w1@2, h@2[2] (after step 2). '@' then a digit was never a valid matrix
    // product (a number is 0-d), so no equation changes meaning.
    private Expr? StepSuffix(Expr e)
    {
        if (pos >= text.Length || e is not (SymExpr or IndexExpr { Target: SymExpr }))
        {
            return null;
        }

        string suffix;
        if (text[pos] == '\'' && e is IndexExpr)
        {
            suffix = "'";
            pos++;
        }
        else if (text[pos] == '@' && pos + 1 < text.Length && char.IsAsciiDigit(text[pos + 1]))
        {
            int start = pos++;
            while (pos < text.Length && char.IsAsciiDigit(text[pos]))
            {
                pos++;
            }

            suffix = text[start..pos];
        }
        else
        {
            return null;
        }

        return e switch
        {
            SymExpr s => s with { Name = s.Name + suffix },
            IndexExpr { Target: SymExpr t } ix => ix with { Target = t with { Name = t.Name + suffix } },
            _ => null,
        };
    }

    private NumExpr Number()
    {
        int at = pos;
        while (pos < text.Length && (char.IsAsciiDigit(text[pos]) || text[pos] is '.' or '_'))
        {
            pos++;
        }

        if (pos < text.Length && text[pos] is 'e' or 'E' && pos + 1 < text.Length && (char.IsAsciiDigit(text[pos + 1]) || text[pos + 1] is '-' or '+'))
        {
            pos += 2;
            while (pos < text.Length && char.IsAsciiDigit(text[pos]))
            {
                pos++;
            }
        }

        var s = text[at..pos].Replace("_", string.Empty, StringComparison.Ordinal);
        return double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var v)
            ? new NumExpr(v, at)
            : throw new ExprException($"'{s}' is not a number", at);
    }

    private string? Name()
    {
        if (pos >= text.Length || !(char.IsLetter(text[pos]) || text[pos] == '_'))
        {
            return null;
        }

        var sb = new StringBuilder();
        while (pos < text.Length && (char.IsLetterOrDigit(text[pos]) || text[pos] is '_' or '\''
            || (text[pos] == '.' && pos + 1 < text.Length && (char.IsLetter(text[pos + 1]) || text[pos + 1] == '_'))))
        {
            sb.Append(text[pos++]);
        }

        return sb.ToString();
    }

    private void Skip()
    {
        while (pos < text.Length && char.IsWhiteSpace(text[pos]))
        {
            pos++;
        }
    }

    private bool Peek(char c)
    {
        Skip();
        return pos < text.Length && text[pos] == c;
    }

    private bool Accept(char c)
    {
        if (Peek(c))
        {
            pos++;
            return true;
        }

        return false;
    }

    private void Expect(char c)
    {
        if (!Accept(c))
        {
            throw new ExprException(pos < text.Length ? $"expected '{c}' but found '{text[pos]}'" : $"expected '{c}' at the end", pos);
        }
    }
}
