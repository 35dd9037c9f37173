using System.Globalization;
using Nabla.Formats;

namespace Nabla.Optim;

/// <summary>The type of an optimizer's or scheduler's argument in the registries.</summary>
public enum ArgKind
{
    /// <summary>A real number.</summary>
    Float,

    /// <summary>A whole number.</summary>
    Int,

    /// <summary>True or False (also true/false/1/0).</summary>
    Bool,

    /// <summary>Two numbers, <c>(a, b)</c>, as PyTorch's <c>betas</c>, <c>etas</c>, <c>step_sizes</c>.</summary>
    Pair,

    /// <summary>A list of whole numbers, <c>[2, 5]</c>.</summary>
    IntList,

    /// <summary>One of the listed words (<c>None</c> where allowed).</summary>
    Choice,

    /// <summary>A list of scheduler specs, <c>[LinearLR(total_iters=2), ExponentialLR(gamma=0.9)]</c>.</summary>
    Schedulers,
}

/// <summary>One argument: its PyTorch name, type, default (as PyTorch writes it) and meaning.</summary>
/// <param name="Name">PyTorch's keyword.</param>
/// <param name="Kind">The type.</param>
/// <param name="Default">The default as text (<c>0.001</c>, <c>(0.9, 0.999)</c>, <c>False</c>, <c>None</c>); null when required.</param>
/// <param name="Help">One line.</param>
/// <param name="Choices">For <see cref="ArgKind.Choice"/>, the words allowed.</param>
public sealed record ArgSpec(string Name, ArgKind Kind, string? Default, string Help, IReadOnlyList<string>? Choices = null);

/// <summary>
/// Arguments given by name as text, checked against an <see cref="ArgSpec"/> list: unknown names get a
/// did-you-mean, PyTorch's implementation switches (foreach, fused, capturable, differentiable) are refused,
/// values are parsed by their kind, and missing ones take the default.
/// </summary>
public sealed class RegistryArgs
{
    private static readonly string[] Unsupported = ["foreach", "fused", "capturable", "differentiable", "last_epoch", "verbose"];
    private readonly Dictionary<string, string> values;
    private readonly IReadOnlyList<ArgSpec> specs;

    /// <summary>Checks <paramref name="given"/> against <paramref name="specs"/>.</summary>
    /// <exception cref="ArgumentException">An unknown or unsupported name, a bad value, or a required argument missing.</exception>
    public RegistryArgs(string owner, IReadOnlyList<ArgSpec> specs, IReadOnlyDictionary<string, string>? given)
    {
        (Owner, this.specs) = (owner, specs);
        values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (k, v) in given ?? new Dictionary<string, string>())
        {
            var spec = specs.FirstOrDefault(s => s.Name == k);
            if (spec is null)
            {
                throw new ArgumentException(Unsupported.Contains(k)
                    ? $"{owner}: argument '{k}' is not supported (Nabla has one implementation: PyTorch's single-tensor path)"
                    : $"{owner} has no argument '{k}'{DidYouMean.Suggest(k, specs.Select(s => s.Name))}; it takes: {string.Join(", ", specs.Select(s => s.Name))}");
            }

            values[k] = v.Trim();
        }

        foreach (var s in specs)
        {
            if (!values.ContainsKey(s.Name) && s.Default is null)
            {
                throw new ArgumentException($"{owner} needs the argument '{s.Name}' ({s.Help})");
            }

            Check(s, values.GetValueOrDefault(s.Name) ?? s.Default!);
        }
    }

    /// <summary>The optimizer or scheduler the arguments are for.</summary>
    public string Owner { get; }

    /// <summary>A <see cref="ArgKind.Float"/> argument.</summary>
    public double Float(string name) => ParseFloat(Raw(name), name);

    /// <summary>An <see cref="ArgKind.Int"/> argument.</summary>
    public int Int(string name) => ParseInt(Raw(name), name);

    /// <summary>An <see cref="ArgKind.Int"/> argument that may be None.</summary>
    public int? OptionalInt(string name) => Raw(name) == "None" ? null : Int(name);

    /// <summary>A <see cref="ArgKind.Bool"/> argument.</summary>
    public bool Bool(string name) => Raw(name) is "True" or "true" or "1";

    /// <summary>A <see cref="ArgKind.Choice"/> argument; null for None.</summary>
    public string? Choice(string name) => Raw(name) is "None" ? null : Unquote(Raw(name));

    /// <summary>A <see cref="ArgKind.Pair"/> argument.</summary>
    public (double A, double B) Pair(string name)
    {
        var parts = Items(Raw(name), '(', ')');
        return (ParseFloat(parts[0], name), ParseFloat(parts[1], name));
    }

    /// <summary>An <see cref="ArgKind.IntList"/> argument.</summary>
    public int[] IntList(string name) => [.. Items(Raw(name), '[', ']').Select(p => ParseInt(p, name))];

    /// <summary>A <see cref="ArgKind.Schedulers"/> argument: the specs of the list.</summary>
    public IReadOnlyList<string> Specs(string name) => Items(Raw(name), '[', ']');

    /// <summary>Splits <c>name(k=v, k2=(1, 2))</c> into the name and the raw values by key (brackets nest).</summary>
    /// <exception cref="ArgumentException">The text is not of that form.</exception>
    public static (string Name, Dictionary<string, string> Args) ParseCall(string spec)
    {
        spec = spec.Trim();
        int open = spec.IndexOf('(', StringComparison.Ordinal);
        if (open < 0)
        {
            return (spec, new Dictionary<string, string>(StringComparer.Ordinal));
        }

        if (!spec.EndsWith(')'))
        {
            throw new ArgumentException($"'{spec}': expected name(arg=value, ...)");
        }

        var args = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var item in Split(spec[(open + 1)..^1]))
        {
            int eq = item.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0)
            {
                throw new ArgumentException($"'{spec}': '{item}' is not arg=value (arguments go by name, as PyTorch's keywords)");
            }

            if (!args.TryAdd(item[..eq].Trim(), item[(eq + 1)..].Trim()))
            {
                throw new ArgumentException($"'{spec}': argument '{item[..eq].Trim()}' given twice");
            }
        }

        return (spec[..open].Trim(), args);
    }

    private string Raw(string name) => values.GetValueOrDefault(name) ?? specs.First(s => s.Name == name).Default!;

    private void Check(ArgSpec s, string v)
    {
        switch (s.Kind)
        {
            case ArgKind.Float: ParseFloat(v, s.Name); break;
            case ArgKind.Int when v != "None" || s.Default != "None": ParseInt(v, s.Name); break;
            case ArgKind.Bool when v is not ("True" or "False" or "true" or "false" or "1" or "0"):
                throw new ArgumentException($"{Owner}: {s.Name} must be True or False, got '{v}'");
            case ArgKind.Pair when !Bracketed(v, '(', ')') || Items(v, '(', ')').Count != 2:
                throw new ArgumentException($"{Owner}: {s.Name} must be a pair (a, b), got '{v}'");
            case ArgKind.Pair: Pair2(v, s.Name); break;
            case ArgKind.IntList when !Bracketed(v, '[', ']'):
                throw new ArgumentException($"{Owner}: {s.Name} must be a list [a, b, ...], got '{v}'");
            case ArgKind.IntList: Items(v, '[', ']').ForEach(p => ParseInt(p, s.Name)); break;
            case ArgKind.Schedulers when !Bracketed(v, '[', ']'):
                throw new ArgumentException($"{Owner}: {s.Name} must be a list [Name(args), ...], got '{v}'");
            case ArgKind.Choice when !s.Choices!.Contains(Unquote(v)):
                throw new ArgumentException($"{Owner}: {s.Name} is one of {string.Join(", ", s.Choices!)}, got '{Unquote(v)}'{DidYouMean.Suggest(Unquote(v), s.Choices!)}");
            case ArgKind.Schedulers: Items(v, '[', ']'); break;
        }
    }

    private void Pair2(string v, string name)
    {
        var parts = Items(v, '(', ')');
        ParseFloat(parts[0], name);
        ParseFloat(parts[1], name);
    }

    private double ParseFloat(string v, string name) =>
        double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && !double.IsNaN(d) ? d
        : throw new ArgumentException($"{Owner}: {name} must be a number, got '{v}'");

    private int ParseInt(string v, string name) =>
        int.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out var i) ? i
        : double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && d == Math.Floor(d) && Math.Abs(d) <= int.MaxValue ? (int)d
        : throw new ArgumentException($"{Owner}: {name} must be a whole number, got '{v}'");

    private List<string> Items(string v, char open, char close)
    {
        v = v.Trim();
        if (v.Length < 2 || v[0] != open || v[^1] != close)
        {
            throw new ArgumentException($"{Owner}: expected {open}...{close}, got '{v}'");
        }

        return Split(v[1..^1]);
    }

    private static bool Bracketed(string v, char open, char close) => v.Trim() is { Length: >= 2 } t && t[0] == open && t[^1] == close;

    private static string Unquote(string v) => v.Trim('\'', '"');

    /// <summary>Splits on commas outside brackets; empty items are dropped.</summary>
    private static List<string> Split(string s)
    {
        var items = new List<string>();
        int depth = 0, start = 0;
        for (int i = 0; i <= s.Length; i++)
        {
            if (i == s.Length || (s[i] == ',' && depth == 0))
            {
                if (s[start..i].Trim() is { Length: > 0 } item)
                {
                    items.Add(item);
                }

                start = i + 1;
            }
            else if (s[i] is '(' or '[')
            {
                depth++;
            }
            else if (s[i] is ')' or ']')
            {
                depth--;
            }
        }

        return depth == 0 ? items : throw new ArgumentException($"unbalanced brackets in '{s}'");
    }
}
