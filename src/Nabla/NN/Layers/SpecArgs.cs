namespace Nabla.NN;

/// <summary>Typed access to a <see cref="LayerSpec"/>'s arguments, falling back to the registry's defaults.</summary>
/// <remarks>Each accessor throws an <see cref="ArgumentException"/> naming the layer, the argument and what it got when the value is of the wrong kind.</remarks>
public static class SpecArgs
{
    /// <summary>The argument's value, else its default, else null.</summary>
    public static object? Arg(this LayerSpec s, string name) =>
        s.Args.TryGetValue(name, out var v) ? v : LayerRegistry.Find(s.Type)?.Arg(name)?.Default;

    /// <summary>An integer (the first of a list).</summary>
    public static int Int(this LayerSpec s, string name) => s.Arg(name) switch
    {
        int i => i,
        int[] { Length: > 0 } a => a[0],
        var v => throw Bad(s, name, "an integer", v),
    };

    /// <summary>An integer, or null when absent and without default.</summary>
    public static int? OptionalInt(this LayerSpec s, string name) => s.Arg(name) switch
    {
        null => null,
        int i => i,
        int[] { Length: > 0 } a => a[0],
        var v => throw Bad(s, name, "an integer", v),
    };

    /// <summary>An integer n as (n, n), or an [h, w] pair.</summary>
    public static (int H, int W) Pair(this LayerSpec s, string name) => s.Arg(name) switch
    {
        int i => (i, i),
        int[] { Length: 1 } a => (a[0], a[0]),
        int[] { Length: 2 } a => (a[0], a[1]),
        var v => throw Bad(s, name, "an integer or a [height, width] pair", v),
    };

    /// <summary>An integer n as (n, n, n), or a [d, h, w] triple.</summary>
    public static (int D, int H, int W) Triple(this LayerSpec s, string name) => s.Arg(name) switch
    {
        int i => (i, i, i),
        int[] { Length: 1 } a => (a[0], a[0], a[0]),
        int[] { Length: 3 } a => (a[0], a[1], a[2]),
        var v => throw Bad(s, name, "an integer or a [depth, height, width] triple", v),
    };

    /// <summary>A list of integers (one integer as a list of one).</summary>
    public static int[] IntList(this LayerSpec s, string name) => s.Arg(name) switch
    {
        int i => [i],
        int[] a => a,
        var v => throw Bad(s, name, "a list of integers", v),
    };

    /// <summary>A list of numbers (one number as a list of one).</summary>
    public static double[] Doubles(this LayerSpec s, string name) => s.Arg(name) switch
    {
        double d => [d],
        int i => [i],
        double[] a => a,
        int[] a => [.. a.Select(x => (double)x)],
        var v => throw Bad(s, name, "a list of numbers", v),
    };

    /// <summary>A number.</summary>
    public static double Double(this LayerSpec s, string name) => s.Arg(name) switch
    {
        double d => d,
        int i => i,
        var v => throw Bad(s, name, "a number", v),
    };

    /// <summary>true or false.</summary>
    public static bool Bool(this LayerSpec s, string name) => s.Arg(name) is bool b ? b : throw Bad(s, name, "true or false", s.Arg(name));

    /// <summary>A string.</summary>
    public static string Str(this LayerSpec s, string name) => s.Arg(name) is string t ? t : throw Bad(s, name, "a string", s.Arg(name));

    /// <summary>The named sub-block of a container spec (a Residual's <c>body</c>, a branch), or null.</summary>
    public static LayerSpec? Block(this LayerSpec s, string name) => s.Branches.FirstOrDefault(b => b.Key == name).Value;

    /// <summary>A display name: the label if any, else the path, for error messages.</summary>
    public static string Label(this LayerSpec s, string path) =>
        $"layer '{(s.Name ?? (path.Length == 0 ? "(model)" : path))}' ({s.Type}{(s.Line > 0 ? $", line {s.Line}, column {s.Column}" : string.Empty)})";

    private static ArgumentException Bad(LayerSpec s, string name, string expected, object? got) =>
        new($"{s.Type}{s.Where}: argument '{name}' must be {expected}, got {(got is null ? "nothing" : got is int[] a ? $"[{string.Join(", ", a)}]" : got is double[] d ? $"[{string.Join(", ", d)}]" : got)}");
}
