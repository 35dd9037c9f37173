using System.Globalization;

namespace Nabla.Serialization;

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
    public override string Describe() => IsNull ? "an empty value" : $"the scalar '{Value}'";
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
public sealed class YamlMapping(IReadOnlyList<KeyValuePair<YamlScalar, YamlNode>> entries, int line = 0, int column = 0) : YamlNode(line, column)
{
    /// <summary>The entries in source order.</summary>
    public IReadOnlyList<KeyValuePair<YamlScalar, YamlNode>> Entries { get; } = entries;

    /// <summary>The value under <paramref name="key"/>, or null.</summary>
    public YamlNode? this[string key] => Entries.FirstOrDefault(e => e.Key.Value == key).Value;

    /// <inheritdoc/>
    public override string Describe() => $"a mapping with keys {string.Join(", ", Entries.Select(e => e.Key.Value))}";
}

/// <summary>A malformed YAML document or a document that does not fit its schema; the message starts with the position.</summary>
public sealed class YamlException : FormatException
{
    /// <summary>Creates the error at a position; <see cref="Exception.Message"/> reads "line L, column C: what".</summary>
    public YamlException(string problem, int line, int column)
        : base(line > 0 ? $"line {line}, column {column}: {problem}" : problem) => (Problem, Line, Column) = (problem, line, column);

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
        : base(message, innerException) => Problem = message;

    /// <summary>What is wrong, without the position.</summary>
    public string Problem { get; } = string.Empty;

    /// <summary>1-based line (0 when unknown).</summary>
    public int Line { get; }

    /// <summary>1-based column (0 when unknown).</summary>
    public int Column { get; }
}
