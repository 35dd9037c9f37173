using System.Globalization;
using Nabla.Formats;

namespace Nabla.NN;

/// <summary>
/// What <see cref="Module.LoadStateDict"/> with <c>strict: false</c> skipped, as PyTorch's
/// <c>load_state_dict</c> returns <c>_IncompatibleKeys(missing_keys, unexpected_keys)</c>.
/// </summary>
/// <param name="MissingKeys">The model's parameters and buffers that the state dict lacks (left unchanged), in model order.</param>
/// <param name="UnexpectedKeys">The state dict's entries that name nothing in the model (ignored), in state order.</param>
public sealed record IncompatibleKeys(IReadOnlyList<string> MissingKeys, IReadOnlyList<string> UnexpectedKeys)
{
    /// <summary>Whether every key matched.</summary>
    public bool AllMatched => MissingKeys.Count == 0 && UnexpectedKeys.Count == 0;

    /// <summary>PyTorch's wording: <c>&lt;All keys matched successfully&gt;</c> or the two lists.</summary>
    public override string ToString() => AllMatched
        ? "<All keys matched successfully>"
        : $"IncompatibleKeys(missing_keys=[{string.Join(", ", MissingKeys.Select(InvalidFileException.Quote))}], unexpected_keys=[{string.Join(", ", UnexpectedKeys.Select(InvalidFileException.Quote))}])";
}

/// <summary>
/// The checks of <see cref="Module.LoadStateDict"/>, all done before any value is copied, so a state dict that
/// does not fit changes nothing: names (missing and unexpected keys, each with a did-you-mean drawn from the other
/// list), shapes (always an error, as in PyTorch), and conversions that would lose a value outright.
/// </summary>
internal static class StateDictLoad
{
    /// <summary>At most this many keys of each kind are listed; the rest are counted (a message stays readable).</summary>
    private const int MaxListed = 20;

    /// <summary>Did-you-mean hints are looked for among at most this many candidates (the search is quadratic in key length).</summary>
    private const int MaxCandidates = 4096;

    /// <summary>
    /// Checks <paramref name="state"/> against <paramref name="own"/>: what did not match and, when the load cannot
    /// go ahead, the problem as "(summary):" followed by one indented line per key (null when it can).
    /// </summary>
    public static (IncompatibleKeys Result, string? Problem) Compare(Dictionary<string, Tensor> own, IReadOnlyDictionary<string, Tensor> state, bool strict)
    {
        var missing = own.Keys.Where(k => !state.ContainsKey(k)).ToList();
        var unexpected = state.Keys.Where(k => !own.ContainsKey(k)).ToList();
        var mismatched = new List<string>();
        foreach (var (k, target) in own)
        {
            if (state.TryGetValue(k, out var value) && Mismatch(value, target) is { } problem)
            {
                mismatched.Add($"{InvalidFileException.Quote(k)}: {problem}");
            }
        }

        var result = new IncompatibleKeys(missing, unexpected);
        bool namesFail = strict && !result.AllMatched;
        if (mismatched.Count == 0 && !namesFail)
        {
            return (result, null);
        }

        var lines = new List<string>();
        if (namesFail)
        {
            List(lines, "missing key", missing, unexpected);
            List(lines, "unexpected key", unexpected, missing);
        }

        lines.AddRange(mismatched.Take(MaxListed));
        More(lines, mismatched.Count, "mismatched entry", "mismatched entries");
        return (result, $"({Summary(namesFail, missing.Count, unexpected.Count, mismatched.Count)}):\n  {string.Join("\n  ", lines)}");
    }

    /// <summary>Why <paramref name="value"/> cannot be copied into <paramref name="target"/>, or null when it can.</summary>
    private static string? Mismatch(Tensor value, Tensor target)
    {
        if (value.Shape != target.Shape)
        {
            return $"shape {value.Shape} in the state dict, {target.Shape} in the model";
        }

        if (value.DType == target.DType || value.DType == DType.Bool || target.DType == DType.Float64)
        {
            return null; // exact, or rounded to nearest (Int64 → Float64)
        }

        // Values are converted like PyTorch's copy_, except where that would change a value beyond rounding: a
        // fraction or NaN into an integer, anything but 0 and 1 into a boolean, a finite value that overflows float32.
        foreach (double v in value.ToDoubleArray())
        {
            string? bad = target.DType switch
            {
                DType.Float32 => double.IsFinite(v) && float.IsInfinity((float)v) ? "overflows float32" : null,
                DType.Int64 => v != Math.Round(v) || v < -9.2233720368547758E18 || v >= 9.2233720368547758E18 ? "is not a 64-bit integer" : null,
                DType.Bool => v is not (0 or 1) ? "is neither 0 nor 1" : null,
                _ => null,
            };
            if (bad is not null)
            {
                return $"the {value.DType} value {v.ToString("R", CultureInfo.InvariantCulture)} {bad}, and the model's entry is {target.DType}";
            }
        }

        return null;
    }

    private static void List(List<string> lines, string what, List<string> keys, List<string> others)
    {
        var candidates = others.Count <= MaxCandidates ? others : [];
        foreach (var k in keys.Take(MaxListed))
        {
            string? near = DidYouMean.Nearest(k, candidates);
            lines.Add($"{what} {InvalidFileException.Quote(k)}{(near is null ? "" : $"; did you mean {InvalidFileException.Quote(near)}?")}");
        }

        More(lines, keys.Count, what, what + "s");
    }

    private static void More(List<string> lines, int count, string one, string many)
    {
        if (count > MaxListed)
        {
            lines.Add($"... and {count - MaxListed} more {(count - MaxListed == 1 ? one : many)}");
        }
    }

    private static string Summary(bool names, int missing, int unexpected, int mismatched)
    {
        var parts = new List<string>();
        if (names && missing > 0)
        {
            parts.Add(Count(missing, "missing key"));
        }

        if (names && unexpected > 0)
        {
            parts.Add(Count(unexpected, "unexpected key"));
        }

        if (mismatched > 0)
        {
            parts.Add(mismatched == 1 ? "1 mismatched entry" : $"{mismatched} mismatched entries");
        }

        return string.Join(", ", parts);
    }

    private static string Count(int n, string what) => n == 1 ? $"1 {what}" : $"{n} {what}s";
}
