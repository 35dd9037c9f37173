using System.Text;

namespace Nabla.Fuzz;

/// <summary>
/// Byte- and text-level mutations of a seed input, in the manner of libFuzzer's default mutators: bit flips,
/// interesting integers at random offsets (both byte orders), chunk insertion, deletion, duplication and splicing
/// with another seed; for text formats also token insertion (brackets, numbers at the edges of int and long,
/// path escapes) and deep nesting. Deterministic for a given <see cref="Random"/>.
/// </summary>
public sealed class Mutator(Random random)
{
    private static readonly long[] Interesting =
        [0, 1, -1, 2, 7, 8, 15, 16, 127, 128, 255, 256, 1024, 4096, 65535, 65536, int.MaxValue, int.MinValue, (long)int.MaxValue + 1,
         uint.MaxValue, long.MaxValue, long.MinValue, 1L << 40, 1L << 62];

    private static readonly string[] Tokens =
        ["[", "]", "{", "}", "(", ")", ",", ":", "- ", "\n", "\n  ", "  ", "'", "\"", "#", "&a", "*a", "!!str ", "|", ">", "0", "-1", "1e308",
         "-1e308", "nan", "inf", "1e-320", "2147483648", "4294967296", "9223372036854775808", "18446744073709551617", "99999999999999999999",
         "..", "../", "/", "/proc/self/environ", "/dev/zero", "~", "\\", "\0", "\t", "\r", "\u00e9", "\ud83d\ude00", "=", "^", "@", "%", "*",
         "+", "/0", "log(0)", "exp(1000)", "sqrt(-1)", " for t = 1..", "[t-1]", "dim=", "keepdim=", "true", "null", "~", "---", "...",
         "shape: [2147483648]", "file: ", "png: ", "seed: ", "outputSize: 0", "groups: 0", "stride: 0", "kernel_size: 0"];

    /// <summary>A mutation of <paramref name="input"/>: one to four stacked edits; <paramref name="other"/> feeds splicing.</summary>
    public byte[] Mutate(byte[] input, byte[] other, bool text)
    {
        var data = new List<byte>(input);
        int edits = 1 + random.Next(4);
        for (int i = 0; i < edits; i++)
        {
            Edit(data, other, text);
        }

        return [.. data];
    }

    /// <summary>A random text input of nested brackets or parentheses, <paramref name="depth"/> deep.</summary>
    public static string Nest(string open, string close, int depth) =>
        new StringBuilder().Insert(0, open, depth).Append('1').Insert(depth + 1, close, depth).ToString();

    private void Edit(List<byte> d, byte[] other, bool text)
    {
        int choice = random.Next(text ? 10 : 8);
        int at = d.Count == 0 ? 0 : random.Next(d.Count);
        switch (choice)
        {
            case 0 when d.Count > 0:
                d[at] ^= (byte)(1 << random.Next(8));
                break;
            case 1 when d.Count > 0:
                d[at] = (byte)random.Next(256);
                break;
            case 2:
                WriteInteger(d, at);
                break;
            case 3 when d.Count > 1:
                d.RemoveRange(at, Math.Min(d.Count - at, 1 + random.Next(Math.Min(64, d.Count))));
                break;
            case 4 when d.Count > 0:
                {
                    int len = Math.Min(d.Count - at, 1 + random.Next(64));
                    var chunk = d.GetRange(at, len);
                    d.InsertRange(random.Next(d.Count + 1), chunk);
                    break;
                }

            case 5 when other.Length > 0:
                {
                    int from = random.Next(other.Length);
                    int len = Math.Min(other.Length - from, 1 + random.Next(128));
                    d.InsertRange(at, other.AsSpan(from, len).ToArray());
                    break;
                }

            case 6:
                d.InsertRange(at, Enumerable.Range(0, 1 + random.Next(8)).Select(_ => (byte)random.Next(256)));
                break;
            case 7 when d.Count > 0:
                d.RemoveRange(at, d.Count - at);
                break;
            case 8:
                d.InsertRange(at, Encoding.UTF8.GetBytes(Tokens[random.Next(Tokens.Length)]));
                break;
            case 9:
                ReplaceNumber(d, at);
                break;
            default:
                d.Insert(at, (byte)random.Next(256));
                break;
        }
    }

    private void WriteInteger(List<byte> d, int at)
    {
        long v = Interesting[random.Next(Interesting.Length)];
        int size = random.Next(3) switch { 0 => 1, 1 => 4, _ => 8 };
        byte[] bytes = BitConverter.GetBytes(v)[..size];
        if (random.Next(2) == 0)
        {
            Array.Reverse(bytes);
        }

        for (int i = 0; i < size; i++)
        {
            if (at + i < d.Count)
            {
                d[at + i] = bytes[i];
            }
            else
            {
                d.Add(bytes[i]);
            }
        }
    }

    /// <summary>Replaces the run of digits around <paramref name="at"/> by an interesting number (text formats).</summary>
    private void ReplaceNumber(List<byte> d, int at)
    {
        int start = at;
        while (start < d.Count && !char.IsAsciiDigit((char)d[start]))
        {
            start++;
        }

        int end = start;
        while (end < d.Count && char.IsAsciiDigit((char)d[end]))
        {
            end++;
        }

        d.RemoveRange(start, end - start);
        d.InsertRange(start, Encoding.ASCII.GetBytes(Interesting[random.Next(Interesting.Length)].ToString(System.Globalization.CultureInfo.InvariantCulture)));
    }
}
