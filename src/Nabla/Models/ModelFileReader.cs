using System.Globalization;
using Nabla.Formats;
using Nabla.NN;

namespace Nabla.Models;

/// <summary>Turns a parsed model file into a <see cref="ModelDefinition"/>, with line and column in every error.</summary>
internal static class ModelFileReader
{
    private static readonly string[] TopKeys = ["name", "description", "input", "options", "layers"];

    public static ModelDefinition Read(YamlNode root, IReadOnlyDictionary<string, bool>? options = null)
    {
        if (root is not YamlMapping top)
        {
            throw new YamlException($"a model file is a mapping with keys {string.Join(", ", TopKeys)}; found {root.Describe()}", root);
        }

        foreach (var (k, _) in top.Entries)
        {
            if (!TopKeys.Contains(k.Value))
            {
                throw new YamlException($"unknown key {YamlNode.Quote(k.Value)}{Suggest(k.Value, TopKeys)} (a model file has: {string.Join(", ", TopKeys)})", k);
            }
        }

        string? name = top["name"] is YamlScalar { IsNull: false } n ? n.Value : null;
        Shape? input = top["input"] is { } i && !(i is YamlScalar { IsNull: true }) ? new Shape(IntList(i, "input", positive: true)) : null;
        var layers = top["layers"] ?? throw new YamlException("the model file has no 'layers:' list", top);
        layers = ModelFileOptions.Apply(top["options"], layers, options);
        return new ModelDefinition(name, input, Layers(layers, "layers"));
    }

    /// <summary>A list of layers (a Sequential) or a single layer node.</summary>
    private static LayerSpec Layers(YamlNode node, string what) => node switch
    {
        YamlSequence seq => LayerSpec.Sequential(Keyed(seq)) with { Line = seq.Line, Column = seq.Column },
        YamlScalar { IsNull: true } => LayerSpec.Sequential() with { Line = node.Line, Column = node.Column },
        _ => throw new YamlException($"'{what}' must be a list of layers (lines starting with '- '); found {node.Describe()}", node),
    };

    private static LayerSpec LayerOrList(YamlNode node, string what)
    {
        if (node is YamlSequence or YamlScalar { IsNull: true })
        {
            return Layers(node, what);
        }

        var layer = Layer(node);
        return layer.Key is null ? layer
            : throw new YamlException($"'as:' names a layer in a list; this block is named '{what}' already", ((YamlMapping)node).Entries.First(e => e.Key.Value == "as").Key);
    }

    /// <summary>The layers of a list, each named (its 'as:', else its position) uniquely among its siblings.</summary>
    private static LayerSpec[] Keyed(YamlSequence seq)
    {
        var layers = seq.Items.Select(Layer).ToArray();
        var seen = new Dictionary<string, int>();
        for (int i = 0; i < layers.Length; i++)
        {
            string name = LayerSpec.ChildName(layers[i], i);
            if (!seen.TryAdd(name, i))
            {
                var at = seq.Items[i] is YamlMapping m && m["as"] is { } a ? a : seq.Items[i];
                throw new YamlException($"two layers of this list are named '{name}' (items {seen[name] + 1} and {i + 1}); state-dict names must be unique among siblings", at);
            }
        }

        return layers;
    }

    // A state-dict name: an identifier (conv1, layer1, fc) or a position (0).
    private static string? Key(YamlMapping m)
    {
        if (m["as"] is not { } node)
        {
            return null;
        }

        return node is YamlScalar { IsNull: false } s && IsKey(s.Value) ? s.Value
            : throw new YamlException($"'as' must be a state-dict name such as conv1 (letters, digits and '_', not starting with a digit) or a position such as 0; found {node.Describe()}", node);
    }

    private static bool IsKey(string k) =>
        k.Length is > 0 and <= 128 && (k.All(char.IsAsciiDigit) || ((char.IsAsciiLetter(k[0]) || k[0] == '_') && k.All(c => char.IsAsciiLetterOrDigit(c) || c == '_')));

    private static LayerSpec Layer(YamlNode node)
    {
        if (node is YamlScalar s)
        {
            var kind = Kind(s.Value, s);
            return Finish(kind, new LayerSpec(kind.Name) { Line = s.Line, Column = s.Column }, s);
        }

        if (node is not YamlMapping m)
        {
            throw new YamlException($"expected a layer ('ReLU' or 'Conv2d: {{...}}'); found {node.Describe()}", node);
        }

        RefuseCondition(m);
        var typeEntries = m.Entries.Where(e => e.Key.Value is not ("name" or "as")).ToList();
        if (typeEntries.Count != 1)
        {
            throw new YamlException(typeEntries.Count == 0
                ? "a layer needs a type, as in 'Conv2d: {inChannels: 1, outChannels: 6, kernelSize: 5}'"
                : $"one layer per list item: found {string.Join(", ", typeEntries.Select(e => YamlNode.Quote(e.Key.Value)))} (start each layer with '- ')", typeEntries.Count == 0 ? m : typeEntries[1].Key);
        }

        var (typeKey, body) = (typeEntries[0].Key, typeEntries[0].Value);
        var k = Kind(typeKey.Value, typeKey);
        string? label = m["name"] is YamlScalar { IsNull: false } ns ? ns.Value : null;
        var spec = new LayerSpec(k.Name) { Name = label, Key = Key(m), Line = typeKey.Line, Column = typeKey.Column };
        if (k.Name == "Sequential" && body is YamlSequence)
        {
            return spec with { Layers = Layers(body, "Sequential").Layers };
        }

        var args = new Dictionary<string, object>();
        var blocks = new List<KeyValuePair<string, LayerSpec>>();
        if (body is YamlMapping argMap)
        {
            foreach (var (key, value) in argMap.Entries)
            {
                string argName = Camel(key.Value);
                if (Block(k.Name, argName, value, blocks, ref spec))
                {
                    continue;
                }

                var def = k.Arg(argName) ?? throw new YamlException(
                    $"{k.Name} has no argument {YamlNode.Quote(key.Value)}{Suggest(argName, [.. k.Args.Select(a => a.Name), .. BlockKeys(k.Name)])}" +
                    $" (arguments: {string.Join(", ", k.Args.Select(a => a.Name).Concat(BlockKeys(k.Name)))})", key);
                args[def.Name] = Value(def, value, k.Name);
            }
        }
        else if (body is not YamlScalar { IsNull: true })
        {
            throw new YamlException($"the arguments of {k.Name} must be a mapping such as {{name: value}}; found {body.Describe()}", body);
        }

        return Finish(k, new LayerSpec(k.Name, args) { Name = label, Key = spec.Key, Line = spec.Line, Column = spec.Column, Layers = spec.Layers, Branches = blocks }, typeKey);
    }

    // The options have removed the 'if:' of every item of a list (ModelFileOptions); one left is elsewhere.
    private static void RefuseCondition(YamlMapping m)
    {
        if (m.Entries.FirstOrDefault(e => e.Key.Value == "if").Key is { } cond)
        {
            throw new YamlException("'if:' keeps or drops a layer of a list ('- '); this layer is not an item of a list", cond);
        }
    }

    private static IReadOnlyList<string> BlockKeys(string kind) => LayerRegistry.Find(kind)?.BlockKeys ?? [];

    private static bool Block(string kind, string key, YamlNode value, List<KeyValuePair<string, LayerSpec>> blocks, ref LayerSpec spec)
    {
        if (!BlockKeys(kind).Contains(key))
        {
            return false;
        }

        if (key == "layers")
        {
            spec = spec with { Layers = Layers(value, "layers").Layers };
        }
        else if (key == "branches")
        {
            if (value is not YamlMapping bm || bm.Entries.Count == 0)
            {
                throw new YamlException($"'branches' must map branch names to lists of layers; found {value.Describe()}", value);
            }

            blocks.AddRange(bm.Entries.Select(e => new KeyValuePair<string, LayerSpec>(e.Key.Value, LayerOrList(e.Value, e.Key.Value))));
        }
        else
        {
            blocks.Add(new(key, LayerOrList(value, key)));
        }

        return true;
    }

    private static LayerSpec Finish(LayerDescriptor kind, LayerSpec spec, YamlNode at)
    {
        foreach (var def in kind.Args.Where(a => a.Required && !spec.Args.ContainsKey(a.Name)))
        {
            throw new YamlException($"{kind.Name} needs the argument '{def.Name}' (arguments: {string.Join(", ", kind.Args.Select(a => a.Required ? a.Name + "*" : a.Name))}; * = required)", at);
        }

        if (kind.Name == "Residual" && spec.Block("body") is null)
        {
            throw new YamlException("a Residual needs a 'body:' list of layers", at);
        }

        if (kind.Name == "Auxiliary" && spec.Layers.Count == 0)
        {
            throw new YamlException("an Auxiliary needs a 'layers:' list, the head it runs off the main path", at);
        }

        if (kind.Name == "Branches" && spec.Branches.Count == 0)
        {
            throw new YamlException("Branches needs 'branches:', a mapping from branch names to lists of layers", at);
        }

        return spec;
    }

    private static LayerDescriptor Kind(string name, YamlNode at) =>
        LayerRegistry.Find(name) ?? throw new YamlException($"unknown layer {YamlNode.Quote(name)}{Suggest(name, LayerRegistry.Names)}", at);

    private static object Value(ArgDef def, YamlNode v, string kind)
    {
        string Where() => $"{kind}'s '{def.Name}'";
        switch (def.Kind)
        {
            case ArgKind.Int:
                return Int(v, Where());
            case ArgKind.OptionalInt:
                return v is YamlScalar { IsNull: true } ? throw new YamlException($"{Where()} needs a value; leave the argument out for its default", v) : Int(v, Where());
            case ArgKind.IntPair:
                return v is YamlSequence ? Pair(v, Where()) : Int(v, Where());
            case ArgKind.Padding:
                return v switch
                {
                    YamlScalar { Value: "same" or "valid" } s => s.Value,
                    YamlSequence => Pair(v, Where()),
                    _ => Int(v, Where(), "an integer, [height, width], 'same' or 'valid'"),
                };
            case ArgKind.IntTriple:
                return v is YamlSequence ? Triple(v, Where()) : Int(v, Where());
            case ArgKind.Padding3d:
                return v switch
                {
                    YamlScalar { Value: "same" or "valid" } s => s.Value,
                    YamlSequence => Triple(v, Where()),
                    _ => Int(v, Where(), "an integer, [depth, height, width], 'same' or 'valid'"),
                };
            case ArgKind.IntList:
                return IntList(v, Where(), positive: false);
            case ArgKind.Double:
                return v is YamlScalar sd && sd.TryGetDouble(out double d) ? d : throw Expected(v, Where(), "a number");
            case ArgKind.Bool or ArgKind.OptionalBool:
                return v is YamlScalar sb && sb.TryGetBool(out bool b) ? b : throw Expected(v, Where(), "true or false");
            case ArgKind.Doubles:
                return (v is YamlSequence seq ? seq.Items : [v]).Select(i => i is YamlScalar si && si.TryGetDouble(out double x) ? x : throw Expected(i, Where(), "a number")).ToArray();
            default:
                return v is YamlScalar { IsNull: false } ss ? ss.Value : throw Expected(v, Where(), "a string");
        }
    }

    private static int[] Pair(YamlNode v, string where)
    {
        var list = IntList(v, where, positive: false);
        return list.Length is 1 or 2 ? list : throw new YamlException($"{where} must be an integer or a [height, width] pair; found {list.Length} numbers", v);
    }

    private static int[] Triple(YamlNode v, string where)
    {
        var list = IntList(v, where, positive: false);
        return list.Length is 1 or 3 ? list : throw new YamlException($"{where} must be an integer or a [depth, height, width] triple; found {list.Length} numbers", v);
    }

    private static int Int(YamlNode v, string where, string expected = "an integer")
    {
        if (v is YamlScalar s && s.TryGetInt64(out long l))
        {
            return l is >= int.MinValue and <= int.MaxValue ? (int)l
                : throw new YamlException($"{where} = {s.Value} is too large (each size must fit in 32 bits; parameter counts may be far larger)", v);
        }

        throw Expected(v, where, expected);
    }

    private static int[] IntList(YamlNode v, string where, bool positive)
    {
        var items = v is YamlSequence seq ? seq.Items : [v];
        var r = items.Select(i => Int(i, where)).ToArray();
        var bad = items.Zip(r).FirstOrDefault(p => positive && p.Second <= 0);
        return bad.First is null ? r : throw new YamlException($"{where} sizes must be positive; found {bad.Second}", bad.First);
    }

    private static YamlException Expected(YamlNode v, string where, string expected) => new($"{where} must be {expected}; found {v.Describe()}", v);

    /// <summary>snake_case → camelCase (PyTorch's argument names are accepted as written there).</summary>
    internal static string Camel(string name)
    {
        var parts = name.Split('_', StringSplitOptions.RemoveEmptyEntries);
        return parts.Length <= 1 ? name : parts[0] + string.Concat(parts.Skip(1).Select(p => char.ToUpperInvariant(p[0]) + p[1..]));
    }

    /// <summary>"; did you mean 'Conv2d'?" for the nearest candidate by edit distance (case-insensitive), or "" (see <see cref="DidYouMean"/>).</summary>
    internal static string Suggest(string name, IEnumerable<string> candidates) => DidYouMean.Suggest(name, candidates);

    internal static string Format(object v) => v switch
    {
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        double[] a => string.Join(", ", a.Select(x => x.ToString("R", CultureInfo.InvariantCulture))),
        bool b => b ? "true" : "false",
        _ => Convert.ToString(v, CultureInfo.InvariantCulture) ?? string.Empty,
    };
}
