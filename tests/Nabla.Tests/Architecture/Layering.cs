using System.Reflection;
using System.Reflection.Emit;
using System.Text.RegularExpressions;

namespace Nabla.Tests.Architecture;

/// <summary>
/// The layering of src/Nabla by folder. Each folder has a level and a namespace; <see cref="MisplacedNamespaces"/>
/// reads the sources and holds every file to its folder's namespace, so a type's namespace says its folder.
/// <see cref="Violations"/> then reads every reference the compiled library makes — signatures, base types, and the
/// types, methods and fields named in each method body's IL — and reports the arrows that point up, or sideways
/// between sibling folders of one level (Core's three folders are one layer and may use each other).
/// </summary>
public static partial class Layering
{
    /// <summary>Folder (under src/Nabla, '/'-separated) → level and namespace; the longest matching folder wins.</summary>
    public static readonly IReadOnlyDictionary<string, (int Level, string Namespace)> Folders = new Dictionary<string, (int, string)>
    {
        ["Ops/Kernels"] = (0, "Nabla.Ops.Kernels"),
        ["Tensors"] = (1, "Nabla"),
        ["Autograd"] = (1, "Nabla"), // users write `using Nabla;` for tensors and autograd alike

        ["Ops"] = (1, "Nabla.Ops"),
        ["Formats"] = (2, "Nabla.Formats"),
        ["NN"] = (3, "Nabla.NN"),
        ["Data"] = (3, "Nabla.Data"),
        ["Optim"] = (4, "Nabla.Optim"),
        ["Models"] = (5, "Nabla.Models"),
        ["Analysis"] = (6, "Nabla.Analysis"),
        ["Training"] = (7, "Nabla.Training"),
        ["Explain"] = (7, "Nabla.Explain"),
    };

    private const BindingFlags All = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;

    private static readonly Dictionary<short, OpCode> OpCodesByValue = typeof(OpCodes).GetFields(BindingFlags.Public | BindingFlags.Static)
        .Select(f => (OpCode)f.GetValue(null)!).ToDictionary(o => o.Value);

    [GeneratedRegex(@"^namespace\s+([\w.]+)", RegexOptions.Multiline)]
    private static partial Regex NamespaceLine();

    /// <summary>The layer of a namespace: ("Core", 1) for Nabla, Nabla.Autograd and Nabla.Ops; null outside the library.</summary>
    public static (string Layer, int Level)? LayerOf(string? ns)
    {
        if (ns is null || !(ns == "Nabla" || ns.StartsWith("Nabla.", StringComparison.Ordinal)))
        {
            return null;
        }

        var match = Folders.Where(f => ns == f.Value.Namespace || (f.Value.Namespace != "Nabla" && ns.StartsWith(f.Value.Namespace + ".", StringComparison.Ordinal)))
            .OrderByDescending(f => f.Value.Namespace.Length).First();
        return match.Value.Level == 1 ? ("Core", 1) : (match.Key, match.Value.Level);
    }

    /// <summary>Whether code in <paramref name="from"/> may use <paramref name="to"/>: its own layer, or a lower level.</summary>
    public static bool Allowed((string Layer, int Level) from, (string Layer, int Level) to) => from.Layer == to.Layer || to.Level < from.Level;

    /// <summary>Every arrow of <paramref name="assembly"/> that points up or sideways: "Type.Member uses Other (Layer, level L) from Layer (level K)".</summary>
    public static List<string> Violations(Assembly assembly)
    {
        var found = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var type in assembly.GetTypes())
        {
            if (LayerOf(type.Namespace) is not { } from)
            {
                continue;
            }

            void Check(Type? used, string where)
            {
                foreach (var t in Flatten(used))
                {
                    if (t.Assembly == assembly && LayerOf(t.Namespace) is { } to && !Allowed(from, to))
                    {
                        found.Add($"{Name(type)}{where} uses {Name(t)} ({to.Layer}, level {to.Level}) from {from.Layer} (level {from.Level})");
                    }
                }
            }

            Check(type.BaseType, string.Empty);
            foreach (var i in type.GetInterfaces())
            {
                Check(i, string.Empty);
            }

            foreach (var f in type.GetFields(All))
            {
                Check(f.FieldType, "." + f.Name);
            }

            foreach (var m in type.GetMethods(All).Cast<MethodBase>().Concat(type.GetConstructors(All)))
            {
                if (m is MethodInfo mi)
                {
                    Check(mi.ReturnType, "." + m.Name);
                }

                foreach (var p in m.GetParameters())
                {
                    Check(p.ParameterType, "." + m.Name);
                }

                foreach (var used in BodyReferences(m))
                {
                    Check(used, "." + m.Name);
                }
            }
        }

        return [.. found];
    }

    /// <summary>Source files whose namespace does not follow their folder.</summary>
    /// <param name="files">(path relative to src/Nabla, text).</param>
    public static List<string> MisplacedNamespaces(IEnumerable<(string Path, string Text)> files)
    {
        var wrong = new List<string>();
        foreach (var (path, text) in files)
        {
            string expected = Folders[FolderOf(path)].Namespace;
            var ns = NamespaceLine().Match(text);
            bool ok = ns.Success && (ns.Groups[1].Value == expected || (expected != "Nabla" && ns.Groups[1].Value.StartsWith(expected + ".", StringComparison.Ordinal)));
            if (!ok)
            {
                wrong.Add($"{path}: namespace {(ns.Success ? ns.Groups[1].Value : "(none)")}, expected {expected} for its folder");
            }
        }

        return wrong;
    }

    /// <summary>The folder key of a source path relative to src/Nabla ('/'-separated).</summary>
    public static string FolderOf(string relative)
    {
        string dir = Path.GetDirectoryName(relative)?.Replace('\\', '/') ?? string.Empty;
        return Folders.Keys.Where(k => dir == k || dir.StartsWith(k + "/", StringComparison.Ordinal)).MaxBy(k => k.Length)
              ?? throw new InvalidOperationException($"{relative}: the folder {dir} has no level in Layering.Folders");
    }

    // The types a method body names: the declaring types of the methods and fields it calls or reads, and the types it
    // creates, casts to or loads tokens of.
    private static IEnumerable<Type?> BodyReferences(MethodBase m)
    {
        byte[]? il;
        try
        {
            il = m.GetMethodBody()?.GetILAsByteArray();
        }
        catch (InvalidOperationException)
        {
            yield break;
        }

        if (il is null)
        {
            yield break;
        }

        Type[]? typeArgs = m.DeclaringType?.IsGenericType == true ? m.DeclaringType.GetGenericArguments() : null;
        Type[]? methodArgs = m.IsGenericMethod ? m.GetGenericArguments() : null;
        for (int pos = 0; pos < il.Length;)
        {
            short value = il[pos] == 0xFE ? (short)(0xFE00 | il[pos + 1]) : il[pos];
            pos += il[pos] == 0xFE ? 2 : 1;
            var op = OpCodesByValue[value];
            if (op.OperandType is OperandType.InlineMethod or OperandType.InlineField or OperandType.InlineType or OperandType.InlineTok)
            {
                MemberInfo? member = null;
                try
                {
                    member = m.Module.ResolveMember(BitConverter.ToInt32(il, pos), typeArgs, methodArgs);
                }
                catch (ArgumentException)
                {
                }

                yield return member as Type ?? member?.DeclaringType;
                if (member is MethodInfo { IsGenericMethod: true } gm)
                {
                    foreach (var a in gm.GetGenericArguments())
                    {
                        yield return a;
                    }
                }
            }

            pos += OperandSize(op, il, pos);
        }
    }

    private static int OperandSize(OpCode op, byte[] il, int pos) => op.OperandType switch
    {
        OperandType.InlineNone => 0,
        OperandType.ShortInlineBrTarget or OperandType.ShortInlineI or OperandType.ShortInlineVar => 1,
        OperandType.InlineVar => 2,
        OperandType.InlineI8 or OperandType.InlineR => 8,
        OperandType.InlineSwitch => 4 + (4 * BitConverter.ToInt32(il, pos)),
        _ => 4,
    };

    // A type and the types inside it: element types of arrays and references, generic arguments.
    private static IEnumerable<Type> Flatten(Type? t)
    {
        if (t is null || t.IsGenericParameter)
        {
            yield break;
        }

        if (t.HasElementType)
        {
            foreach (var e in Flatten(t.GetElementType()))
            {
                yield return e;
            }

            yield break;
        }

        yield return t.IsGenericType ? t.GetGenericTypeDefinition() : t;
        if (t.IsGenericType)
        {
            foreach (var e in t.GetGenericArguments().SelectMany(Flatten))
            {
                yield return e;
            }
        }
    }

    private static string Name(Type t) => t.FullName?.Replace("Nabla.", string.Empty, StringComparison.Ordinal) ?? t.Name;
}
