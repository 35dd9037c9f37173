namespace Nabla.Analysis;

/// <summary>Typed access to a <see cref="LayerSpec"/>'s arguments, falling back to the catalog's defaults.</summary>
internal static class SpecArgs
{
    public static object? Arg(this LayerSpec s, string name) =>
        s.Args.TryGetValue(name, out var v) ? v : LayerCatalog.Find(s.Type)?.Arg(name)?.Default;

    public static int Int(this LayerSpec s, string name) => s.Arg(name) switch
    {
        int i => i,
        int[] { Length: > 0 } a => a[0],
        var v => throw Bad(s, name, "an integer", v),
    };

    public static int? OptionalInt(this LayerSpec s, string name) => s.Arg(name) switch
    {
        null => null,
        int i => i,
        int[] { Length: > 0 } a => a[0],
        var v => throw Bad(s, name, "an integer", v),
    };

    public static (int H, int W) Pair(this LayerSpec s, string name) => s.Arg(name) switch
    {
        int i => (i, i),
        int[] { Length: 1 } a => (a[0], a[0]),
        int[] { Length: 2 } a => (a[0], a[1]),
        var v => throw Bad(s, name, "an integer or a [height, width] pair", v),
    };

    public static int[] IntList(this LayerSpec s, string name) => s.Arg(name) switch
    {
        int i => [i],
        int[] a => a,
        var v => throw Bad(s, name, "a list of integers", v),
    };

    public static double Double(this LayerSpec s, string name) => s.Arg(name) switch
    {
        double d => d,
        int i => i,
        var v => throw Bad(s, name, "a number", v),
    };

    public static bool Bool(this LayerSpec s, string name) => s.Arg(name) is bool b ? b : throw Bad(s, name, "true or false", s.Arg(name));

    public static string Str(this LayerSpec s, string name) => s.Arg(name) is string t ? t : throw Bad(s, name, "a string", s.Arg(name));

    /// <summary>A display name: the label if any, else the path, for error messages.</summary>
    public static string Label(this LayerSpec s, string path) =>
        $"layer '{(s.Name ?? (path.Length == 0 ? "(model)" : path))}' ({s.Type}{(s.Line > 0 ? $", line {s.Line}, column {s.Column}" : string.Empty)})";

    private static ArgumentException Bad(LayerSpec s, string name, string expected, object? got) =>
        new($"{s.Type}{s.Where}: argument '{name}' must be {expected}, got {(got is null ? "nothing" : got is int[] a ? $"[{string.Join(", ", a)}]" : got)}");
}
