using Nabla.Formats;

namespace Nabla.Models;

/// <summary>
/// A model file's switches, as torchvision's model functions take them (<c>googlenet(aux_logits=True)</c>):
/// <c>options: {aux_logits: false}</c> declares each with its default, and a layer of a list marked
/// <c>if: aux_logits</c> is kept only when the option is true. Dropped layers are gone before the layers are read,
/// as if the file did not have them (positions count the kept layers, as an <c>nn.Sequential</c> built
/// conditionally would).
/// </summary>
internal static class ModelFileOptions
{
    /// <summary>The most options a file may declare (a bound on what a hostile file can ask).</summary>
    private const int MaxOptions = 64;

    /// <summary>The layers with the options applied: items whose option is off dropped, and the 'if:' keys removed.</summary>
    /// <exception cref="YamlException">An option is malformed, or an 'if:' names no declared option.</exception>
    /// <exception cref="ArgumentException"><paramref name="given"/> names an option the file does not declare.</exception>
    public static YamlNode Apply(YamlNode? declaration, YamlNode layers, IReadOnlyDictionary<string, bool>? given)
    {
        var values = Declared(declaration);
        foreach (var (name, value) in given ?? new Dictionary<string, bool>())
        {
            if (!values.ContainsKey(name))
            {
                throw new ArgumentException(values.Count == 0 ? $"the model file has no options (asked for '{name}')"
                    : $"the model file has no option '{name}'{DidYouMean.Suggest(name, values.Keys)} (options: {string.Join(", ", values.Keys)})");
            }

            values[name] = value;
        }

        return Prune(layers, values);
    }

    private static Dictionary<string, bool> Declared(YamlNode? node)
    {
        var values = new Dictionary<string, bool>(StringComparer.Ordinal);
        if (node is null or YamlScalar { IsNull: true })
        {
            return values;
        }

        if (node is not YamlMapping m || m.Entries.Count > MaxOptions)
        {
            throw new YamlException($"'options' maps option names to their defaults, true or false (at most {MaxOptions}), as in 'options: {{aux_logits: false}}'; found {node.Describe()}", node);
        }

        foreach (var (key, value) in m.Entries)
        {
            if (!IsName(key.Value))
            {
                throw new YamlException($"an option's name is letters, digits and '_' (aux_logits); found {YamlNode.Quote(key.Value)}", key);
            }

            values[key.Value] = value is YamlScalar s && s.TryGetBool(out bool b) ? b
                : throw new YamlException($"option '{key.Value}' must default to true or false; found {value.Describe()}", value);
        }

        return values;
    }

    private static bool IsName(string k) =>
        k.Length is > 0 and <= 128 && (char.IsAsciiLetter(k[0]) || k[0] == '_') && k.All(c => char.IsAsciiLetterOrDigit(c) || c == '_');

    private static YamlNode Prune(YamlNode node, Dictionary<string, bool> values) => node switch
    {
        YamlSequence seq => new YamlSequence([.. seq.Items.Where(i => Keep(i, values)).Select(i => Prune(WithoutCondition(i), values))], seq.Line, seq.Column),
        YamlMapping m => new YamlMapping([.. m.Entries.Select(e => new KeyValuePair<YamlScalar, YamlNode>(e.Key, Prune(e.Value, values)))], m.Line, m.Column),
        _ => node,
    };

    private static bool Keep(YamlNode item, Dictionary<string, bool> values)
    {
        if (item is not YamlMapping m || m["if"] is not { } cond)
        {
            return true;
        }

        if (cond is YamlScalar { IsNull: false } s && values.TryGetValue(s.Value, out bool on))
        {
            return on;
        }

        string name = cond is YamlScalar c ? c.Value : string.Empty;
        throw new YamlException(values.Count == 0
            ? $"'if:' names an option, but the file declares none (add 'options: {{{(IsName(name) ? name : "aux_logits")}: false}}')"
            : $"'if:' must name an option of the file{DidYouMean.Suggest(name, values.Keys)} (options: {string.Join(", ", values.Keys)}); found {cond.Describe()}", cond);
    }

    private static YamlNode WithoutCondition(YamlNode item) =>
        item is YamlMapping m && m["if"] is not null ? new YamlMapping([.. m.Entries.Where(e => e.Key.Value != "if")], m.Line, m.Column) : item;
}
