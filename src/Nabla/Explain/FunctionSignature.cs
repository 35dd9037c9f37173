using System.Globalization;
using Nabla.Formats;

namespace Nabla.Explain;

/// <summary>What an argument of a language function must be; the binder converts the expression accordingly.</summary>
internal enum ArgKind
{
    /// <summary>A tensor (any expression).</summary>
    Tensor,

    /// <summary>An integer: a constant, or an expression whose value is one integral number (a model export).</summary>
    Int,

    /// <summary>A dimension: an integer constant (numbers and loop variables only, so that a tensor is never read as a dim).</summary>
    Dim,

    /// <summary>One dimension or a list of them, all constants.</summary>
    Dims,

    /// <summary>A list of integers, or the remaining positional integers (<c>reshape(x, 2, 3)</c>).</summary>
    Ints,

    /// <summary><c>True</c>/<c>False</c> (also <c>true</c>/<c>false</c>, 1/0).</summary>
    Bool,

    /// <summary>A real number (a constant or a one-element tensor).</summary>
    Number,

    /// <summary>A quoted string, one of <see cref="Param.Choices"/>.</summary>
    Str,

    /// <summary>An integer or one of the quoted strings <see cref="Param.Choices"/> (<c>padding='same'</c>).</summary>
    IntOrStr,

    /// <summary>A real number or one of the quoted strings <see cref="Param.Choices"/> (<c>norm(x, p='inf')</c>).</summary>
    NumberOrStr,
}

/// <summary>
/// One parameter of a language function, by its PyTorch name. <paramref name="Default"/> is the value when it is not
/// given (null stands for Python's None); <paramref name="Required"/> parameters have none. A
/// <paramref name="KeywordOnly"/> parameter can only be given by name; a <paramref name="Rest"/> parameter takes the
/// remaining positional arguments.
/// </summary>
internal sealed record Param(string Name, ArgKind Kind, object? Default = null, bool Required = false, bool KeywordOnly = false,
    bool Rest = false, string[]? Choices = null)
{
    /// <summary>The parameter as it reads in a signature: <c>dim=None</c>, <c>*shape</c>, <c>input</c>.</summary>
    public string Show() => Rest ? $"*{Name}" : Required ? Name : $"{Name}={ShowValue(Default)}";

    private static string ShowValue(object? v) => v switch
    {
        null => "None",
        bool b => b ? "True" : "False",
        string s => $"'{s}'",
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        int[] a => $"[{string.Join(", ", a)}]",
        _ => Convert.ToString(v, CultureInfo.InvariantCulture) ?? "None",
    };
}

/// <summary>A function of the exercise language: its one signature and its body over the bound arguments.</summary>
internal sealed record Signature(string Name, IReadOnlyList<Param> Params, Func<BoundArgs, Tensor> Body, string Doc)
{
    /// <summary><c>sum(input, dim=None, keepdim=False)</c>, with <c>*</c> before keyword-only parameters.</summary>
    public string Show()
    {
        var parts = new List<string>();
        bool star = false;
        foreach (var p in Params)
        {
            if (p.KeywordOnly && !star)
            {
                parts.Add("*");
                star = true;
            }

            parts.Add(p.Show());
        }

        return $"{Name}({string.Join(", ", parts)})";
    }
}

/// <summary>How the binder evaluates argument expressions in the caller's scope.</summary>
internal interface IArgSource
{
    /// <summary>Evaluates an expression to a tensor.</summary>
    Tensor Eval(Expr e);

    /// <summary>The value of a constant expression (numbers and loop variables), or null when it reads a tensor.</summary>
    double? Constant(Expr e);
}

/// <summary>The arguments of one call, bound to the function's parameters and converted to their kinds.</summary>
internal sealed class BoundArgs(Signature sig, CallExpr call, Dictionary<string, object?> values, HashSet<string> given)
{
    /// <summary>The call (for positions in error messages).</summary>
    public CallExpr Call { get; } = call;

    /// <summary>The function's name.</summary>
    public string Name => sig.Name;

    /// <summary>Whether the caller gave the parameter (positionally or by name) rather than taking its default.</summary>
    public bool Given(string name) => given.Contains(name);

    public Tensor Tensor(string name) => (Tensor)Get(name)!;

    public Tensor? OptTensor(string name) => (Tensor?)Get(name);

    public int Int(string name) => (int)Get(name)!;

    public int? OptInt(string name) => (int?)Get(name);

    public int[]? Ints(string name) => (int[]?)Get(name);

    public bool Bool(string name) => (bool)Get(name)!;

    public double Number(string name) => (double)Get(name)!;

    public string Str(string name) => (string)Get(name)!;

    public object? Raw(string name) => Get(name);

    /// <summary>An error about this call, at the argument's position when it was given.</summary>
    public ExprException Error(string message, string? param = null) =>
        new($"{sig.Name}: {message}", param is not null && Binder.ArgExpr(Call, sig, param) is { } e ? e.Pos : Call.Pos);

    private object? Get(string name) =>
        values.TryGetValue(name, out var v) ? v : throw new InvalidOperationException($"{sig.Name} has no parameter '{name}'");
}

/// <summary>
/// Binds a call's positional and named arguments to a <see cref="Signature"/>, Python's way: positional arguments fill
/// the parameters in order, named ones by name; an unknown name, a parameter given twice, too many positional
/// arguments or a missing required one is an error naming the function and the argument.
/// </summary>
internal static class Binder
{
    private static readonly string[] TrueNames = ["True", "true"];
    private static readonly string[] FalseNames = ["False", "false"];

    public static BoundArgs Bind(Signature sig, CallExpr c, IArgSource src)
    {
        var exprs = new Dictionary<string, Expr>(StringComparer.Ordinal);
        var rest = new List<Expr>();
        var positional = sig.Params.Where(p => !p.KeywordOnly).ToList();
        for (int i = 0; i < c.Args.Count; i++)
        {
            if (i < positional.Count && positional[i].Rest)
            {
                rest.AddRange(c.Args.Skip(i));
                break;
            }

            if (i >= positional.Count)
            {
                throw new ExprException($"{sig.Name} takes at most {positional.Count} positional argument(s), got {c.Args.Count}: {sig.Show()}", c.Args[i].Pos);
            }

            exprs[positional[i].Name] = c.Args[i];
        }

        foreach (var (key, e) in c.Named)
        {
            var p = sig.Params.FirstOrDefault(p => p.Name == key) ?? throw new ExprException(
                $"{sig.Name} has no argument '{key}'{DidYouMean.Suggest(key, sig.Params.Select(p => p.Name))}: {sig.Show()}", e.Pos);
            if (exprs.ContainsKey(key) || (p.Rest && rest.Count > 0))
            {
                throw new ExprException($"{sig.Name}: argument '{key}' is given twice (by position and by name): {sig.Show()}", e.Pos);
            }

            exprs[key] = e;
        }

        var values = new Dictionary<string, object?>(StringComparer.Ordinal);
        var given = new HashSet<string>(StringComparer.Ordinal);
        foreach (var p in sig.Params)
        {
            if (p.Rest && rest.Count > 0)
            {
                values[p.Name] = rest.SelectMany(e => (int[])Convert(sig, p, e, src)!).ToArray();
                given.Add(p.Name);
            }
            else if (exprs.TryGetValue(p.Name, out var e))
            {
                values[p.Name] = Convert(sig, p, e, src);
                given.Add(p.Name);
            }
            else if (p.Required)
            {
                throw new ExprException($"{sig.Name} needs the argument '{p.Name}': {sig.Show()}", c.Pos);
            }
            else
            {
                values[p.Name] = p.Default;
            }
        }

        return new BoundArgs(sig, c, values, given);
    }

    /// <summary>The expression the caller gave for a parameter, or null.</summary>
    public static Expr? ArgExpr(CallExpr c, Signature sig, string param)
    {
        if (c.Named.TryGetValue(param, out var e))
        {
            return e;
        }

        int i = sig.Params.Where(p => !p.KeywordOnly).Select(p => p.Name).ToList().IndexOf(param);
        return i >= 0 && i < c.Args.Count ? c.Args[i] : null;
    }

    private static object? Convert(Signature sig, Param p, Expr e, IArgSource src)
    {
        if (e is SymExpr { Name: "None" })
        {
            return !p.Required && p.Default is null ? null
                : throw new ExprException($"{sig.Name}: argument '{p.Name}' cannot be None: {sig.Show()}", e.Pos);
        }

        switch (p.Kind)
        {
            case ArgKind.Tensor:
                return e is StrExpr ? throw Wrong(sig, p, e, "a tensor") : src.Eval(e);
            case ArgKind.Int:
                return ToInt(sig, p, e, src);
            case ArgKind.Dim:
                return ToDim(sig, p, e, src);
            case ArgKind.Dims:
                return e is ListExpr dl ? dl.Items.Select(i => ToDim(sig, p, i, src)).ToArray() : new[] { ToDim(sig, p, e, src) };
            case ArgKind.Ints:
                return e is ListExpr il ? il.Items.Select(i => ToInt(sig, p, i, src)).ToArray() : IntsOf(sig, p, e, src);
            case ArgKind.Bool:
                return ToBool(sig, p, e, src);
            case ArgKind.Number:
                return ToNumber(sig, p, e, src, "a number");
            case ArgKind.Str:
                return ToStr(sig, p, e);
            case ArgKind.IntOrStr:
                return e is StrExpr ? ToStr(sig, p, e) : ToInt(sig, p, e, src);
            case ArgKind.NumberOrStr:
                return e is StrExpr ? ToStr(sig, p, e) : ToNumber(sig, p, e, src, "a number");
            default:
                throw new InvalidOperationException($"unknown argument kind {p.Kind}");
        }
    }

    private static ExprException Wrong(Signature sig, Param p, Expr e, string what, double? value = null)
    {
        string v = value?.ToString("R", CultureInfo.InvariantCulture) ?? string.Empty;
        string got = value is null || e.Show() == v ? e.Show() : $"{e.Show()} = {v}";
        return new($"{sig.Name}: argument '{p.Name}' must be {what}, got {got}: {sig.Show()}", e.Pos);
    }

    private static double ToNumber(Signature sig, Param p, Expr e, IArgSource src, string what)
    {
        if (e is StrExpr or ListExpr)
        {
            throw Wrong(sig, p, e, what);
        }

        if (src.Constant(e) is { } v)
        {
            return v;
        }

        var t = src.Eval(e);
        return t.Numel == 1 ? t.Item() : throw Wrong(sig, p, e, $"{what} (it is a tensor of shape {t.Shape})");
    }

    private static int ToInt(Signature sig, Param p, Expr e, IArgSource src) => Integral(sig, p, e, ToNumber(sig, p, e, src, "an integer"), "an integer");

    private static int ToDim(Signature sig, Param p, Expr e, IArgSource src)
    {
        // A dim must not be read from a tensor: max(a, b) with a tensor b would otherwise quietly reduce along b's value.
        double v = e is StrExpr or ListExpr || src.Constant(e) is not { } c
            ? throw Wrong(sig, p, e, "an integer constant (a dimension; numbers and loop variables only)")
            : c;
        return Integral(sig, p, e, v, "an integer (a dimension)");
    }

    private static int Integral(Signature sig, Param p, Expr e, double v, string what) =>
        double.IsFinite(v) && v == Math.Floor(v) && Math.Abs(v) <= int.MaxValue ? (int)v
            : throw Wrong(sig, p, e, what, v);

    // A shape given as a tensor expression (a model export such as m.out): its elements, each an integer.
    private static int[] IntsOf(Signature sig, Param p, Expr e, IArgSource src)
    {
        if (src.Constant(e) is { } v)
        {
            return [Integral(sig, p, e, v, "integers")];
        }

        return src.Eval(e).ToDoubleArray().Select(x => Integral(sig, p, e, x, "a list of integers")).ToArray();
    }

    private static bool ToBool(Signature sig, Param p, Expr e, IArgSource src)
    {
        if (e is SymExpr s && (TrueNames.Contains(s.Name) || FalseNames.Contains(s.Name)))
        {
            return TrueNames.Contains(s.Name);
        }

        double? v = e is StrExpr or ListExpr ? null : src.Constant(e);
        return v is 0 or 1 ? v == 1 : throw Wrong(sig, p, e, "True or False");
    }

    private static string ToStr(Signature sig, Param p, Expr e)
    {
        var choices = p.Choices ?? [];
        string list = string.Join(" or ", choices.Select(ch => $"'{ch}'"));
        return e is StrExpr s && choices.Contains(s.Value) ? s.Value
            : throw Wrong(sig, p, e, p.Kind switch { ArgKind.IntOrStr => $"an integer or {list}", ArgKind.NumberOrStr => $"a number or {list}", _ => list });
    }
}
