using System.Globalization;
using Nabla.Formats;

namespace Nabla.Training.Plots;

/// <summary>One line of a <see cref="LinePlot"/>.</summary>
/// <param name="Label">The legend text.</param>
/// <param name="Y">The values at x = 1, 2, ... (NaN values are skipped).</param>
/// <param name="Color">The RGB colour.</param>
public sealed record Series(string Label, double[] Y, (byte R, byte G, byte B) Color);

/// <summary>
/// Rasterises line charts (training curves) into PNG: axes, a light grid with numeric tick labels, one line
/// per series with its points marked, a title and a legend, drawn with a built-in 3×5 pixel font.
/// </summary>
public static class LinePlot
{
    /// <summary>Default series colours (blue, orange, green, red).</summary>
    public static readonly (byte R, byte G, byte B)[] Palette = [(31, 119, 180), (255, 127, 14), (44, 160, 44), (214, 39, 40)];

    private const int W = 640, H = 400, Left = 64, Right = 16, Top = 34, Bottom = 40, Scale = 2;

    /// <summary>Renders the series as PNG bytes.</summary>
    public static byte[] Render(string title, string xLabel, IReadOnlyList<Series> series)
    {
        var img = new byte[W * H * 3];
        Array.Fill(img, (byte)255);
        int n = series.Count == 0 ? 0 : series.Max(s => s.Y.Length);
        var values = series.SelectMany(s => s.Y).Where(double.IsFinite).ToList();
        double lo = values.Count == 0 ? 0 : values.Min(), hi = values.Count == 0 ? 1 : values.Max();
        if (hi - lo < 1e-12)
        {
            (lo, hi) = (lo - 0.5, hi + 0.5);
        }

        double pad = (hi - lo) * 0.05;
        (lo, hi) = (lo - pad, hi + pad);
        int pw = W - Left - Right, ph = H - Top - Bottom;
        double X(double i) => Left + (n <= 1 ? pw / 2.0 : (i - 1) * pw / (n - 1));
        double Y(double v) => Top + ph - ((v - lo) / (hi - lo) * ph);

        // Grid and y tick labels.
        for (int k = 0; k <= 5; k++)
        {
            double v = lo + ((hi - lo) * k / 5);
            int y = (int)Math.Round(Y(v));
            Line(img, Left, y, W - Right, y, (225, 225, 225), 1);
            string label = Format(v, hi - lo);
            Text(img, Left - 6 - TextWidth(label), y - 5, label, (60, 60, 60));
        }

        // x ticks (epochs).
        int step = Math.Max(1, (int)Math.Ceiling(n / 10.0));
        for (int i = 1; i <= n; i += step)
        {
            int x = (int)Math.Round(X(i));
            Line(img, x, Top, x, Top + ph, (235, 235, 235), 1);
            string label = i.ToString(CultureInfo.InvariantCulture);
            Text(img, x - (TextWidth(label) / 2), Top + ph + 6, label, (60, 60, 60));
        }

        Line(img, Left, Top, Left, Top + ph, (0, 0, 0), 1);
        Line(img, Left, Top + ph, W - Right, Top + ph, (0, 0, 0), 1);
        Text(img, Left, 10, title, (0, 0, 0));
        Text(img, Left + (pw / 2) - (TextWidth(xLabel) / 2), H - 16, xLabel, (0, 0, 0));

        // The legend goes in the top or bottom right corner, whichever the curves' last third leaves emptier.
        int legendW = series.Select(s => TextWidth(s.Label) + 30).DefaultIfEmpty(0).Max(), legendH = (series.Count * 16) + 6;
        int legendX = W - Right - 4 - legendW;
        double mid = (lo + hi) / 2;
        int upper = series.Sum(s => s.Y.Skip(s.Y.Length * 2 / 3).Count(v => v > mid));
        int lower = series.Sum(s => s.Y.Skip(s.Y.Length * 2 / 3).Count(v => v <= mid));
        int legendY = upper > lower ? Top + ph - legendH - 4 : Top + 4;
        for (int s = 0; s < series.Count; s++)
        {
            var (label, ys, color) = series[s];
            double? px = null, py = null;
            for (int i = 0; i < ys.Length; i++)
            {
                if (!double.IsFinite(ys[i]))
                {
                    continue;
                }

                double x = X(i + 1), y = Y(ys[i]);
                if (px is double x0 && py is double y0)
                {
                    Line(img, (int)Math.Round(x0), (int)Math.Round(y0), (int)Math.Round(x), (int)Math.Round(y), color, 2);
                }

                Rect(img, (int)x - 2, (int)y - 2, 5, 5, color);
                (px, py) = (x, y);
            }
        }

        Rect(img, legendX, legendY, legendW, legendH, (200, 200, 200));
        Rect(img, legendX + 1, legendY + 1, legendW - 2, legendH - 2, (255, 255, 255));
        for (int s = 0; s < series.Count; s++)
        {
            int ly = legendY + 6 + (s * 16);
            Rect(img, legendX + 6, ly + 3, 16, 4, series[s].Color);
            Text(img, legendX + 28, ly, series[s].Label, (0, 0, 0));
        }

        return Png.Encode(W, H, img);
    }

    private static string Format(double v, double range)
    {
        int decimals = range >= 10 ? 1 : range >= 1 ? 2 : range >= 0.1 ? 3 : 4;
        return v.ToString("F" + decimals.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
    }

    private static void Put(byte[] img, int x, int y, (byte R, byte G, byte B) c)
    {
        if ((uint)x < W && (uint)y < H)
        {
            int i = ((y * W) + x) * 3;
            (img[i], img[i + 1], img[i + 2]) = c;
        }
    }

    private static void Rect(byte[] img, int x, int y, int w, int h, (byte, byte, byte) c)
    {
        for (int j = 0; j < h; j++)
        {
            for (int i = 0; i < w; i++)
            {
                Put(img, x + i, y + j, c);
            }
        }
    }

    /// <summary>Bresenham's line, drawn with a square pen of <paramref name="width"/> pixels.</summary>
    private static void Line(byte[] img, int x0, int y0, int x1, int y1, (byte, byte, byte) c, int width)
    {
        int dx = Math.Abs(x1 - x0), dy = -Math.Abs(y1 - y0), sx = x0 < x1 ? 1 : -1, sy = y0 < y1 ? 1 : -1, err = dx + dy;
        while (true)
        {
            Rect(img, x0 - (width / 2), y0 - (width / 2), width, width, c);
            if (x0 == x1 && y0 == y1)
            {
                break;
            }

            int e2 = 2 * err;
            if (e2 >= dy)
            {
                err += dy;
                x0 += sx;
            }

            if (e2 <= dx)
            {
                err += dx;
                y0 += sy;
            }
        }
    }

    private static int TextWidth(string s) => s.Length * 4 * Scale;

    private static void Text(byte[] img, int x, int y, string s, (byte, byte, byte) c)
    {
        foreach (char ch in s.ToLowerInvariant())
        {
            if (Font.TryGetValue(ch, out var rows))
            {
                for (int r = 0; r < 5; r++)
                {
                    for (int k = 0; k < 3; k++)
                    {
                        if (rows[r][k] == '#')
                        {
                            Rect(img, x + (k * Scale), y + (r * Scale), Scale, Scale, c);
                        }
                    }
                }
            }

            x += 4 * Scale;
        }
    }

    /// <summary>A 3×5 pixel font: digits, lower-case letters (drawn as capitals) and a little punctuation.</summary>
    private static readonly Dictionary<char, string[]> Font = new()
    {
        ['0'] = ["###", "#.#", "#.#", "#.#", "###"], ['1'] = [".#.", "##.", ".#.", ".#.", "###"],
        ['2'] = ["###", "..#", "###", "#..", "###"], ['3'] = ["###", "..#", ".##", "..#", "###"],
        ['4'] = ["#.#", "#.#", "###", "..#", "..#"], ['5'] = ["###", "#..", "###", "..#", "###"],
        ['6'] = ["###", "#..", "###", "#.#", "###"], ['7'] = ["###", "..#", ".#.", ".#.", ".#."],
        ['8'] = ["###", "#.#", "###", "#.#", "###"], ['9'] = ["###", "#.#", "###", "..#", "###"],
        ['.'] = ["...", "...", "...", "...", ".#."], ['-'] = ["...", "...", "###", "...", "..."],
        ['%'] = ["#.#", "..#", ".#.", "#..", "#.#"], ['('] = [".#.", "#..", "#..", "#..", ".#."],
        [')'] = [".#.", "..#", "..#", "..#", ".#."], ['_'] = ["...", "...", "...", "...", "###"],
        [':'] = ["...", ".#.", "...", ".#.", "..."], ['/'] = ["..#", "..#", ".#.", "#..", "#.."],
        ['a'] = [".#.", "#.#", "###", "#.#", "#.#"], ['b'] = ["##.", "#.#", "##.", "#.#", "##."],
        ['c'] = [".##", "#..", "#..", "#..", ".##"], ['d'] = ["##.", "#.#", "#.#", "#.#", "##."],
        ['e'] = ["###", "#..", "##.", "#..", "###"], ['f'] = ["###", "#..", "##.", "#..", "#.."],
        ['g'] = [".##", "#..", "#.#", "#.#", ".##"], ['h'] = ["#.#", "#.#", "###", "#.#", "#.#"],
        ['i'] = ["###", ".#.", ".#.", ".#.", "###"], ['j'] = ["..#", "..#", "..#", "#.#", ".#."],
        ['k'] = ["#.#", "#.#", "##.", "#.#", "#.#"], ['l'] = ["#..", "#..", "#..", "#..", "###"],
        ['m'] = ["#.#", "###", "#.#", "#.#", "#.#"], ['n'] = ["#.#", "###", "###", "###", "#.#"],
        ['o'] = [".#.", "#.#", "#.#", "#.#", ".#."], ['p'] = ["##.", "#.#", "##.", "#..", "#.."],
        ['q'] = [".#.", "#.#", "#.#", "##.", ".##"], ['r'] = ["##.", "#.#", "##.", "#.#", "#.#"],
        ['s'] = [".##", "#..", ".#.", "..#", "##."], ['t'] = ["###", ".#.", ".#.", ".#.", ".#."],
        ['u'] = ["#.#", "#.#", "#.#", "#.#", "###"], ['v'] = ["#.#", "#.#", "#.#", "#.#", ".#."],
        ['w'] = ["#.#", "#.#", "###", "###", "#.#"], ['x'] = ["#.#", "#.#", ".#.", "#.#", "#.#"],
        ['y'] = ["#.#", "#.#", ".#.", ".#.", ".#."], ['z'] = ["###", "..#", ".#.", "#..", "###"],
    };
}
