using System.Globalization;

namespace Nabla.Formats;

/// <summary>A node of a parsed YAML document, with the 1-based line and column where it starts.</summary>
/// <remarks>
/// Nabla reads a small subset of YAML (see <see cref="YamlParser"/>): block mappings and sequences, flow
/// sequences and mappings, plain and quoted scalars, comments. Scalars keep their text; callers interpret it.
/// </remarks>
public abstract class YamlNode
{
    /// <summary>Creates the node at a source position.</summary>
    protected YamlNode(int line, int column) => (Line, Column) = (line, column);

    /// <summary>1-based line of the node's first character (0 for nodes built in code).</summary>
    public int Line { get; }

    /// <summary>1-based column of the node's first character (0 for nodes built in code).</summary>
    public int Column { get; }

    /// <summary>"line L, column C" for error messages.</summary>
    public string Where => $"line {Line}, column {Column}";

    /// <summary>A short description of the node's kind for error messages ("a mapping", "the scalar '3'").</summary>
    public abstract string Describe();

    /// <summary>
    /// <paramref name="text"/> when it is short and looks like a token a message may repeat (a name, a number: at
    /// most 40 letters, digits and <c>_ . - +</c>), else null. Errors quote file text only through this, so that a
    /// file that is not what it should be (a secret, an environment dump) is described, never printed.
    /// </summary>
    public static string? Echo(string text) =>
        text.Length is > 0 and <= 40 && text.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '.' or '-' or '+') ? text : null;

    /// <summary>'text' when <see cref="Echo"/> allows it, else "a text of N characters", for messages.</summary>
    public static string Quote(string text) => Echo(text) is { } t ? $"'{t}'" : $"a text of {text.Length} characters";
}

/// <summary>A scalar: plain (<c>3</c>, <c>true</c>, <c>ReLU</c>) or quoted (<c>'same'</c>).</summary>
public sealed class YamlScalar(string value, bool quoted = false, int line = 0, int column = 0) : YamlNode(line, column)
{
    /// <summary>The text, without quotes and with escapes resolved.</summary>
    public string Value { get; } = value;

    /// <summary>True when the scalar was written in quotes (it is then always a string).</summary>
    public bool Quoted { get; } = quoted;

    /// <summary>True for an empty plain scalar, <c>~</c> or <c>null</c>.</summary>
    public bool IsNull => !Quoted && (Value.Length == 0 || Value is "~" or "null" or "Null" or "NULL");

    /// <summary>Reads the scalar as a 64-bit integer (underscores allowed as separators: <c>1_000_000</c>).</summary>
    public bool TryGetInt64(out long value)
    {
        value = 0;
        return !Quoted && long.TryParse(Value.Replace("_", string.Empty, StringComparison.Ordinal), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out value);
    }

    /// <summary>Reads the scalar as a floating-point number.</summary>
    public bool TryGetDouble(out double value)
    {
        value = 0;
        return !Quoted && double.TryParse(Value.Replace("_", string.Empty, StringComparison.Ordinal), NumberStyles.Float, CultureInfo.InvariantCulture, out value);
    }

    /// <summary>Reads <c>true</c>/<c>false</c> (any case, as YAML 1.2 core schema; also Python's <c>True</c>).</summary>
    public bool TryGetBool(out bool value)
    {
        value = false;
        if (Quoted)
        {
            return false;
        }

        return bool.TryParse(Value, out value);
    }

    /// <inheritdoc/>
    public override string Describe() => IsNull ? "an empty value" : Echo(Value) is { } t ? $"the scalar '{t}'" : $"a scalar of {Value.Length} characters";
}

/// <summary>A sequence (<c>- a</c> lines, or <c>[a, b]</c>).</summary>
public sealed class YamlSequence(IReadOnlyList<YamlNode> items, int line = 0, int column = 0) : YamlNode(line, column)
{
    /// <summary>The items in order.</summary>
    public IReadOnlyList<YamlNode> Items { get; } = items;

    /// <inheritdoc/>
    public override string Describe() => $"a sequence of {Items.Count} items";
}

/// <summary>A mapping (<c>key: value</c> lines, or <c>{a: 1}</c>) with keys in source order; keys are unique.</summary>
public sealed class YamlMapping : YamlNode
{
    // Built once so that a lookup is O(1) whatever the size (a file of 100,000 keys must not take minutes);
    // the first entry wins for a key repeated in a mapping built in code, as a scan in order would find it.
    private readonly Dictionary<string, YamlNode> byKey;

    /// <summary>Creates the mapping from its entries in source order.</summary>
    public YamlMapping(IReadOnlyList<KeyValuePair<YamlScalar, YamlNode>> entries, int line = 0, int column = 0)
        : base(line, column)
    {
        Entries = entries;
        byKey = new Dictionary<string, YamlNode>(entries.Count, StringComparer.Ordinal);
        foreach (var (k, v) in entries)
        {
            byKey.TryAdd(k.Value, v);
        }
    }

    /// <summary>The entries in source order.</summary>
    public IReadOnlyList<KeyValuePair<YamlScalar, YamlNode>> Entries { get; }

    /// <summary>The value under <paramref name="key"/>, or null.</summary>
    public YamlNode? this[string key] => byKey.GetValueOrDefault(key);

    /// <inheritdoc/>
    public override string Describe()
    {
        const int Shown = 8;
        var keys = Entries.Take(Shown).Select(e => Echo(e.Key.Value) ?? "…");
        return Entries.Count == 0 ? "an empty mapping"
            : $"a mapping with keys {string.Join(", ", keys)}{(Entries.Count > Shown ? $", … ({Entries.Count} keys)" : string.Empty)}";
    }
}

/// <summary>
/// A malformed YAML document or a document that does not fit its schema: the <see cref="InvalidFileException"/> of
/// the YAML readers, its message "file: line L, column C: problem" (the file once a loader knows it).
/// </summary>
public sealed class YamlException : InvalidFileException
{
    /// <summary>Creates the error at a position; <see cref="Exception.Message"/> reads "line L, column C: what".</summary>
    public YamlException(string problem, int line, int column)
        : base(null, line > 0 ? $"line {line}, column {column}" : null, problem) => (Line, Column) = (line, column);

    /// <summary>The same error in <paramref name="file"/>: the message reads "file: line L, column C: problem".</summary>
    public YamlException(string file, YamlException inner)
        : base(file, inner.Position, inner.Problem, inner) => (Line, Column) = (inner.Line, inner.Column);

    /// <summary>Creates the error at a node's position.</summary>
    public YamlException(string problem, YamlNode at)
        : this(problem, at.Line, at.Column)
    {
    }

    /// <summary>Creates an error without a position.</summary>
    public YamlException()
        : this("invalid YAML", 0, 0)
    {
    }

    /// <summary>Creates an error without a position.</summary>
    public YamlException(string message)
        : this(message, 0, 0)
    {
    }

    /// <summary>Creates an error without a position, wrapping another.</summary>
    public YamlException(string message, Exception innerException)
        : base(null, null, message, innerException)
    {
    }

    /// <summary>1-based line (0 when unknown).</summary>
    public int Line { get; }

    /// <summary>1-based column (0 when unknown).</summary>
    public int Column { get; }
}
