namespace Nabla.Formats;

/// <summary>
/// "Did you mean …?" hints for a misspelt name: the nearest candidate by edit distance (Levenshtein,
/// case-insensitive), used by every reader that refuses an unknown key, layer, function or state-dict entry.
/// </summary>
internal static class DidYouMean
{
    /// <summary>Names longer than this get no hint: the distance costs length² per candidate.</summary>
    private const int MaxLength = 256;

    /// <summary>"; did you mean 'Conv2d'?" for the nearest candidate, or "" when none is close enough.</summary>
    public static string Suggest(string name, IEnumerable<string> candidates) =>
        Nearest(name, candidates) is { } best ? $"; did you mean '{best}'?" : string.Empty;

    /// <summary>
    /// The candidate nearest to <paramref name="name"/> when its distance is at most max(2, length / 3), else null.
    /// Ties go to the first candidate.
    /// </summary>
    public static string? Nearest(string name, IEnumerable<string> candidates)
    {
        if (name.Length > MaxLength)
        {
            return null;
        }

        string lower = name.ToLowerInvariant();
        int limit = Math.Max(2, name.Length / 3);
        string? best = null;
        int bestDistance = int.MaxValue;
        foreach (var c in candidates)
        {
            // The length difference bounds the distance from below: skip candidates that cannot be close.
            if (c.Length > MaxLength || Math.Abs(c.Length - name.Length) > Math.Min(limit, bestDistance - 1))
            {
                continue;
            }

            int d = Distance(lower, c.ToLowerInvariant());
            if (d <= limit && d < bestDistance)
            {
                (best, bestDistance) = (c, d);
            }
        }

        return best;
    }

    private static int Distance(string a, string b)
    {
        var prev = new int[b.Length + 1];
        var cur = new int[b.Length + 1];
        for (int j = 0; j <= b.Length; j++)
        {
            prev[j] = j;
        }

        for (int i = 1; i <= a.Length; i++)
        {
            cur[0] = i;
            for (int j = 1; j <= b.Length; j++)
            {
                cur[j] = Math.Min(Math.Min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
            }

            (prev, cur) = (cur, prev);
        }

        return prev[b.Length];
    }
}
