namespace Nabla.Data;

/// <summary>
/// A built-in, procedurally drawn digits dataset: 28×28 grey images of 0-9 made of pen strokes (lines and arcs)
/// with a random affine distortion, wobble, stroke thickness and noise. It needs no download, is deterministic
/// by seed, and generates ~10,000 images per second per core, so that training works out of the box.
/// </summary>
/// <remarks>
/// Images are Float32 in [0, 1] of shape <c>(N, 1, 28, 28)</c>, with the digit in a ~20×20 box centred in the
/// frame, as in MNIST; labels are Int64 and balanced (sample i has label i mod 10; shuffle with the loader).
/// Sample i depends only on (seed, i), so images are generated in parallel with identical results.
/// </remarks>
public static class SyntheticDigits
{
    private const int Size = 28;

    /// <summary>Generates <paramref name="count"/> images and labels from <paramref name="seed"/>.</summary>
    public static TensorDataset Generate(int count, long seed = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        var pixels = new float[(long)count * Size * Size];
        var labels = new long[count];
        Parallel.For(0, count, Threads.Options, i =>
        {
            labels[i] = i % 10;
            Draw(i % 10, new Generator(Mix(seed, i)), pixels.AsSpan(i * Size * Size, Size * Size));
        });
        return new TensorDataset(Tensor.FromArray(pixels, new Shape(count, 1, Size, Size)), Tensor.FromArray(labels));
    }

    /// <summary>The strokes of each digit as polylines in the unit square (x right, y down).</summary>
    private static readonly (double X, double Y)[][][] Strokes =
    [
        [Arc(0.5, 0.5, 0.3, 0.42, 0, 360)],
        [[(0.32, 0.24), (0.52, 0.08), (0.52, 0.92)]],
        [[.. Arc(0.5, 0.32, 0.26, 0.24, 190, 390), (0.2, 0.92), (0.82, 0.92)]],
        [Arc(0.5, 0.3, 0.24, 0.22, 200, 450), Arc(0.5, 0.73, 0.27, 0.21, 270, 520)],
        [[(0.66, 0.92), (0.66, 0.08), (0.18, 0.66), (0.86, 0.66)]],
        [[(0.78, 0.1), (0.32, 0.1), (0.28, 0.48), .. Arc(0.5, 0.66, 0.26, 0.25, 217, 505)]],
        [Arc(0.78, 0.66, 0.5, 0.56, 255, 180), Arc(0.5, 0.7, 0.23, 0.22, 0, 360)],
        [[(0.18, 0.1), (0.82, 0.1), (0.42, 0.92)]],
        [Arc(0.5, 0.28, 0.2, 0.19, 0, 360), Arc(0.5, 0.7, 0.25, 0.22, 0, 360)],
        [Arc(0.5, 0.32, 0.23, 0.22, 0, 360), [(0.73, 0.32), (0.64, 0.92)]],
    ];

    private static (double X, double Y)[] Arc(double cx, double cy, double rx, double ry, double fromDeg, double toDeg)
    {
        const int n = 18;
        var pts = new (double, double)[n + 1];
        for (int k = 0; k <= n; k++)
        {
            double a = (fromDeg + ((toDeg - fromDeg) * k / n)) * Math.PI / 180;
            pts[k] = (cx + (rx * Math.Cos(a)), cy + (ry * Math.Sin(a)));
        }

        return pts;
    }

    private static long Mix(long seed, int i)
    {
        ulong z = unchecked(((ulong)seed * 0x9E3779B97F4A7C15UL) + (ulong)i + 1);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return unchecked((long)(z ^ (z >> 31)));
    }

    private static double U(Generator g, double lo, double hi) => lo + ((hi - lo) * g.NextDouble());

    private static void Draw(int digit, Generator g, Span<float> img)
    {
        // Random affine map of the unit square: scale, rotation, shear, translation; then into a 20×20 box.
        double rot = U(g, -0.3, 0.3), shear = U(g, -0.45, 0.45);
        double sx = U(g, 0.65, 1.15), sy = U(g, 0.8, 1.12);
        double tx = U(g, -0.1, 0.1), ty = U(g, -0.08, 0.08);
        double cos = Math.Cos(rot), sin = Math.Sin(rot);
        double thickness = U(g, 1.0, 3.2);
        double wobble = U(g, 0, 0.06);
        (double, double) Map(double x, double y)
        {
            x = ((x - 0.5) * sx) + (shear * (y - 0.5));
            y = (y - 0.5) * sy;
            double rx = (cos * x) - (sin * y) + tx, ry = (sin * x) + (cos * y) + ty;
            return (14 + (20 * rx), 14 + (20 * ry));
        }

        foreach (var stroke in Strokes[digit])
        {
            double jx = U(g, -wobble, wobble), jy = U(g, -wobble, wobble);
            var prev = Map(stroke[0].X + jx, stroke[0].Y + jy);
            for (int k = 1; k < stroke.Length; k++)
            {
                // Slowly varying wobble: a random walk of the offset along the stroke.
                jx = Math.Clamp(jx + U(g, -wobble, wobble) * 0.5, -2 * wobble, 2 * wobble);
                jy = Math.Clamp(jy + U(g, -wobble, wobble) * 0.5, -2 * wobble, 2 * wobble);
                var cur = Map(stroke[k].X + jx, stroke[k].Y + jy);
                Segment(img, prev, cur, thickness / 2);
                prev = cur;
            }
        }

        double noise = U(g, 0, 0.2);
        for (int p = 0; p < img.Length; p++)
        {
            double v = img[p] + (noise * g.NextNormal());
            img[p] = (float)Math.Clamp(v, 0, 1);
        }
    }

    /// <summary>Draws an anti-aliased segment: intensity 1 within <paramref name="r"/> of it, fading over one pixel.</summary>
    private static void Segment(Span<float> img, (double X, double Y) a, (double X, double Y) b, double r)
    {
        int x0 = Math.Max(0, (int)Math.Floor(Math.Min(a.X, b.X) - r - 1)), x1 = Math.Min(Size - 1, (int)Math.Ceiling(Math.Max(a.X, b.X) + r + 1));
        int y0 = Math.Max(0, (int)Math.Floor(Math.Min(a.Y, b.Y) - r - 1)), y1 = Math.Min(Size - 1, (int)Math.Ceiling(Math.Max(a.Y, b.Y) + r + 1));
        double dx = b.X - a.X, dy = b.Y - a.Y, len2 = (dx * dx) + (dy * dy);
        for (int y = y0; y <= y1; y++)
        {
            for (int x = x0; x <= x1; x++)
            {
                double px = x + 0.5 - a.X, py = y + 0.5 - a.Y;
                double t = len2 == 0 ? 0 : Math.Clamp(((px * dx) + (py * dy)) / len2, 0, 1);
                double ex = px - (t * dx), ey = py - (t * dy);
                double v = Math.Clamp(r + 0.5 - Math.Sqrt((ex * ex) + (ey * ey)), 0, 1);
                ref float pix = ref img[(y * Size) + x];
                pix = Math.Max(pix, (float)v);
            }
        }
    }
}
