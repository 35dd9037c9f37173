using Nabla.Formats;


namespace Nabla.Explain;

/// <summary>Writes 2-D quantities (an image, a kernel's response) as grayscale PNGs, min → black, max → white, each pixel 16×16.</summary>
internal static class Pictures
{
    public static IReadOnlyList<string> Write(Solution sol, string directory, int scale = 16)
    {
        Directory.CreateDirectory(directory);
        var written = new List<string>();
        foreach (var name in sol.Exercise.Images)
        {
            var t = sol.Evaluation.Lookup(name) ?? throw new ArgumentException($"images: '{name}' is not a quantity or given value");
            if (t.Rank != 2)
            {
                throw new ArgumentException($"images: '{name}' has shape {t.Shape}; a picture needs 2 dimensions (height, width)");
            }

            var path = Path.Combine(directory, $"{string.Concat(name.Select(c => char.IsLetterOrDigit(c) ? c : '_'))}.png");
            File.WriteAllBytes(path, Encode(t, scale));
            written.Add(path);
        }

        return written;
    }

    public static byte[] Encode(Tensor image, int scale)
    {
        int h = image.Shape[0], w = image.Shape[1];
        var v = image.Detach().ToDoubleArray();
        double lo = v.Min(), hi = v.Max(), range = hi > lo ? hi - lo : 1;
        var rgb = new byte[h * scale * w * scale * 3];
        for (int y = 0; y < h * scale; y++)
        {
            for (int x = 0; x < w * scale; x++)
            {
                byte g = (byte)Math.Round(255 * (v[((y / scale) * w) + (x / scale)] - lo) / range);
                int o = ((y * w * scale) + x) * 3;
                rgb[o] = rgb[o + 1] = rgb[o + 2] = g;
            }
        }

        return Png.Encode(w * scale, h * scale, rgb);
    }
}
