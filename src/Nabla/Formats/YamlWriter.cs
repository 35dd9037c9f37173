using System.Text;

namespace Nabla.Formats;

/// <summary>
/// Writes a <see cref="YamlNode"/> tree as text that <see cref="YamlParser"/> reads back: block mappings and
/// sequences, with short collections of scalars written in flow style (<c>[1, 32, 32]</c>, <c>{a: 1}</c>).
/// </summary>
public static class YamlWriter
{
    private const int FlowWidth = 100;

    /// <summary>The document as text, ending with a newline.</summary>
    public static string Write(YamlNode node)
    {
        var sb = new StringBuilder();
        WriteBlock(sb, node, 0);
        return sb.ToString();
    }

    /// <summary>A scalar's text, quoted when plain text would read differently.</summary>
    public static string Scalar(YamlScalar s)
    {
        string v = s.Value;
        bool needsQuotes = s.Quoted || v.Length == 0 || v != v.Trim() || v.IndexOfAny([':', '#', ',', '[', ']', '{', '}', '"', '\'', '\n', '&', '*', '!', '|', '>', '%', '@', '`']) >= 0 || (v[0] == '-' && (v.Length == 1 || v[1] == ' '));
        return needsQuotes ? "'" + v.Replace("'", "''", StringComparison.Ordinal) + "'" : v;
    }

    /// <summary>The node in flow style when it is small and contains only scalars and flow collections, else null.</summary>
    public static string? Flow(YamlNode node)
    {
        string? text = node switch
        {
            YamlScalar s => Scalar(s),
            YamlSequence q => q.Items.Select(Flow).ToList() is var parts && parts.All(p => p is not null) ? "[" + string.Join(", ", parts) + "]" : null,
            YamlMapping m => m.Entries.Select(e => Flow(e.Value) is string v ? $"{Scalar(e.Key)}: {v}" : null).ToList() is var kv && kv.All(p => p is not null) ? "{" + string.Join(", ", kv) + "}" : null,
            _ => null,
        };
        return text is not null && text.Length <= FlowWidth ? text : null;
    }

    private static void WriteBlock(StringBuilder sb, YamlNode node, int indent)
    {
        string pad = new(' ', indent);
        switch (node)
        {
            case YamlMapping m when m.Entries.Count > 0:
                foreach (var (k, v) in m.Entries)
                {
                    sb.Append(pad).Append(Scalar(k)).Append(':');
                    WriteValue(sb, v, indent);
                }

                break;
            case YamlSequence q when q.Items.Count > 0:
                foreach (var item in q.Items)
                {
                    sb.Append(pad).Append('-');
                    if (item is YamlMapping { Entries.Count: > 0 } im)
                    {
                        // "- key: value" with the following keys lined up under the first.
                        var inner = new StringBuilder();
                        WriteBlock(inner, im, indent + 2);
                        sb.Append(' ').Append(inner.ToString(indent + 2, inner.Length - indent - 2));
                    }
                    else if (Flow(item) is string f)
                    {
                        sb.Append(' ').Append(f).Append('\n');
                    }
                    else
                    {
                        sb.Append('\n');
                        WriteBlock(sb, item, indent + 2);
                    }
                }

                break;
            default:
                sb.Append(pad).Append(Flow(node) ?? "null").Append('\n');
                break;
        }
    }

    private static bool IsSimple(YamlNode v) => v switch
    {
        YamlScalar => true,
        YamlSequence q => q.Items.All(i => i is YamlScalar),
        YamlMapping m => m.Entries.All(e => e.Value is YamlScalar || (e.Value is YamlSequence q && q.Items.All(i => i is YamlScalar))),
        _ => false,
    };

    private static void WriteValue(StringBuilder sb, YamlNode v, int indent)
    {
        if (IsSimple(v) && Flow(v) is not null)
        {
            sb.Append(' ').Append(Flow(v)).Append('\n');
        }
        else
        {
            sb.Append('\n');
            WriteBlock(sb, v, indent + 2);
        }
    }
}
