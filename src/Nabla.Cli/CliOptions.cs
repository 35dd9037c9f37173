using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;

namespace Nabla.Cli;

/// <summary>
/// Options and arguments whose values are checked while parsing, so that a bad value is a usage error (one line,
/// exit code 2) that names the option, what it needs and what it got, before any command starts working.
/// </summary>
internal static class CliOptions
{
    /// <summary>A whole number in <paramref name="min"/>..<paramref name="max"/>; null when the option is absent.</summary>
    public static Option<int?> Int(string name, string helpName, string description, int min = 1, int max = int.MaxValue) =>
        new(name)
        {
            HelpName = helpName, Description = description,
            CustomParser = r => Whole(r, name, min, max) is long v ? (int)v : null,
        };

    /// <summary>A 64-bit whole number in <paramref name="min"/>..<paramref name="max"/>; null when absent.</summary>
    public static Option<long?> Long(string name, string helpName, string description, long min = long.MinValue, long max = long.MaxValue) =>
        new(name) { HelpName = helpName, Description = description, CustomParser = r => Whole(r, name, min, max) };

    /// <summary>A finite number above zero (invariant culture: a dot for the decimal point); null when absent.</summary>
    public static Option<double?> Positive(string name, string helpName, string description) =>
        new(name)
        {
            HelpName = helpName, Description = description,
            CustomParser = r =>
            {
                string s = Single(r);
                if (double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) && double.IsFinite(v) && v > 0)
                {
                    return v;
                }

                r.AddError($"{name} must be a number above 0, got '{s}'");
                return null;
            },
        };

    /// <summary>One of <paramref name="values"/> (offered to tab completion); the message lists them.</summary>
    public static Option<string> Choice(string name, string description, string defaultValue, bool ignoreCase, params string[] values)
    {
        var option = new Option<string>(name)
        {
            HelpName = string.Join('|', values), Description = description,
            DefaultValueFactory = _ => defaultValue,
            CustomParser = r =>
            {
                string s = Single(r);
                string? match = values.FirstOrDefault(v => string.Equals(v, s, ignoreCase ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal));
                if (match is null)
                {
                    r.AddError($"{name} must be {string.Join(", ", values[..^1])} or {values[^1]}, got '{s}'");
                }

                return match ?? defaultValue;
            },
        };
        option.CompletionSources.Add(values);
        return option;
    }

    /// <summary>A text value (a path, a name); null when absent.</summary>
    public static Option<string?> Text(string name, string helpName, string description) =>
        new(name) { HelpName = helpName, Description = description };

    /// <summary>A flag: present or not (<c>--json=false</c> is accepted; any other value is an unexpected argument).</summary>
    public static Option<bool> Flag(string name, string description) => new(name) { Description = description };

    /// <summary>A value that may be given many times (<c>--allow-path A --allow-path B</c>), one value each time.</summary>
    public static Option<string[]> Repeated(string name, string helpName, string description) =>
        new(name) { HelpName = helpName, Description = description, Arity = ArgumentArity.OneOrMore, AllowMultipleArgumentsPerToken = false };

    /// <summary>
    /// A required positional argument. A token that starts with '-' is an option this command does not know, not
    /// a file name: without this check System.CommandLine would take <c>--bogus</c> for the file.
    /// </summary>
    public static Argument<string> Positional(string name, string helpName, string description)
    {
        var argument = new Argument<string>(name) { HelpName = helpName, Description = description };
        argument.Validators.Add(r =>
        {
            if (r.Tokens.FirstOrDefault(t => t.Value.Length > 1 && t.Value[0] == '-') is { } t)
            {
                r.AddError($"unknown option '{t.Value}'");
            }
        });
        return argument;
    }

    private static long? Whole(ArgumentResult r, string name, long min, long max)
    {
        string s = Single(r);
        if (long.TryParse(s, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long v) && v >= min && v <= max)
        {
            return v;
        }

        string range = (min, max) switch
        {
            (long.MinValue, long.MaxValue) => "a whole number",
            (_, int.MaxValue or long.MaxValue) => $"a whole number of at least {min}",
            _ => $"a whole number from {min} to {max}",
        };
        r.AddError($"{name} must be {range}, got '{s}'");
        return null;
    }

    private static string Single(ArgumentResult r) => r.Tokens.Count > 0 ? r.Tokens[^1].Value : "";
}
