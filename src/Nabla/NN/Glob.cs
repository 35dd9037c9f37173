namespace Nabla.NN;

/// <summary>Matches dotted parameter names against glob patterns (<c>*</c> any run, <c>?</c> one character).</summary>
internal static class Glob
{
    public static bool IsMatch(string text, string pattern) => Match(text, 0, pattern, 0);

    private static bool Match(string t, int i, string p, int j)
    {
        while (j < p.Length)
        {
            if (p[j] == '*')
            {
                for (int k = i; k <= t.Length; k++)
                {
                    if (Match(t, k, p, j + 1))
                    {
                        return true;
                    }
                }

                return false;
            }

            if (i >= t.Length || (p[j] != '?' && p[j] != t[i]))
            {
                return false;
            }

            i++;
            j++;
        }

        return i == t.Length;
    }
}
