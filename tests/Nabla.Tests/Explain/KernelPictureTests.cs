using System.Text.Json.Nodes;
using Nabla.Cli.Commands;
using Nabla.Formats;

namespace Nabla.Tests.Explain;

/// <summary>"What does this kernel do": given kernels applied to given images, values checked by hand, written as PNG.</summary>
public class KernelPictureTests
{
    private static JsonNode Run(string file, params string[] extra)
    {
        var o = new StringWriter();
        int rc = ExplainCommand.Run([Path.Combine(ExerciseExamplesTests.Root, "examples/exercises/kernels", file), "--format", "json", .. extra], o, new StringWriter());
        Assert.Equal(0, rc);
        return JsonNode.Parse(o.ToString())!["quantities"]!;
    }

    private static double[][] Matrix(JsonNode node) =>
        node.AsArray().Select(r => r!.AsArray().Select(v => v!.GetValue<double>()).ToArray()).ToArray();

    [Fact]
    public void Box_blur_spreads_the_square()
    {
        // Each output averages a 3×3 window: the window at (1, 1) covers the four 9s, 36/9 = 4; the corner
        // window (0, 0) covers one of them, 9/9 = 1.
        var y = Matrix(Run("box-blur.yaml")["blurred"]!);
        double[][] expected = [[1, 2, 2, 1], [2, 4, 4, 2], [2, 4, 4, 2], [1, 2, 2, 1]];
        for (int i = 0; i < 4; i++)
        {
            for (int j = 0; j < 4; j++)
            {
                Assert.Equal(expected[i][j], y[i][j], 9);
            }
        }
    }

    [Fact]
    public void Black_cross_detector_peaks_on_the_cross_and_writes_pngs()
    {
        // At the cross centre the window is [[1,0,1],[0,0,0],[1,0,1]]: the four +1 corners see white (+4) and
        // the five −1 cross cells see black (0), so the response is 4, the maximum of the map.
        var dir = Path.Combine(Path.GetTempPath(), $"nabla-cross-{Guid.NewGuid():N}");
        try
        {
            var y = Matrix(Run("black-cross.yaml", "--png", dir)["response"]!);
            Assert.Equal(4, y[1][1]);
            Assert.Equal(4, y.SelectMany(r => r).Max());
            Assert.Equal(0, y[0][0]); // corners 1+1+1+0, cross −(1+1+1) = 0
            Assert.True(File.Exists(Path.Combine(dir, "response.png")));
            Assert.True(File.Exists(Path.Combine(dir, "image.png")));
        }
        finally
        {
            if (Directory.Exists(dir))
            {
                Directory.Delete(dir, true);
            }
        }
    }

    [Fact]
    public void Sobel_kernel_on_a_png_file_matches_a_hand_computed_correlation()
    {
        // The given image is the PNG's grey levels (it was written as 8-bit grey, R = G = B, so every value is k/255);
        // the edge map is recomputed here by the definition of cross-correlation, y[i, j] = Σ x[i+u, j+v]·k[u, v].
        var q = Run("sobel-digit-png.yaml", "--allow-path", Path.Combine(ExerciseExamplesTests.Root, "examples/exercises/images")); // ../images
        var img = Nabla.Formats.Png.Load(Path.Combine(ExerciseExamplesTests.Root, "examples/exercises/images/digit7-32x32.png"));
        Assert.Equal((32, 32), (img.Width, img.Height));
        var x = img.Samples.Where((_, i) => i % 3 == 0).ToArray();
        Assert.All(x, v => Assert.Equal(Math.Round(v * 255), v * 255, 9));
        double[,] k = { { -1, 0, 1 }, { -2, 0, 2 }, { -1, 0, 1 } };
        var edges = Matrix(q["edges"]!);
        Assert.Equal(30, edges.Length);
        Assert.Equal(30, edges[0].Length);
        double max = double.MinValue, min = double.MaxValue;
        for (int i = 0; i < 30; i++)
        {
            for (int j = 0; j < 30; j++)
            {
                double sum = 0;
                for (int u = 0; u < 3; u++)
                {
                    for (int v = 0; v < 3; v++)
                    {
                        sum += x[((i + u) * 32) + j + v] * k[u, v];
                    }
                }

                Assert.Equal(sum, edges[i][j], 9);
                (max, min) = (Math.Max(max, sum), Math.Min(min, sum));
            }
        }

        Assert.Equal(max, q["rising"]!.GetValue<double>(), 9);
        Assert.Equal(min, q["falling"]!.GetValue<double>(), 9);
        Assert.True(max > 2 && min < -2, "a white stroke on black gives strong rising and falling edges");
        Assert.Equal(x.Average(), q["ink"]!.GetValue<double>(), 9);
    }

    [Fact]
    public void Png_channels_rgb_gives_three_planes_and_bad_pngs_name_the_line()
    {
        var dir = Path.Combine(Path.GetTempPath(), $"nabla-pngin-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        try
        {
            // 2×1 RGB: a red and a blue pixel; luminance 0.299 and 0.114.
            File.WriteAllBytes(Path.Combine(dir, "rb.png"), Nabla.Formats.Png.Encode(2, 1, [255, 0, 0, 0, 0, 255]));
            File.WriteAllBytes(Path.Combine(dir, "broken.png"), [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0]);
            File.WriteAllText(Path.Combine(dir, "ok.yaml"), "given:\n  grey: {png: rb.png}\n  colour: {png: rb.png, channels: rgb}\n");
            var o = new StringWriter();
            Assert.Equal(0, ExplainCommand.Run([Path.Combine(dir, "ok.yaml"), "--format", "json"], o, new StringWriter()));
            var given = JsonNode.Parse(o.ToString())!["given"]!;
            Assert.Equal(0.299, given["grey"]![0]![0]!.GetValue<double>(), 12);
            Assert.Equal(0.114, given["grey"]![0]![1]!.GetValue<double>(), 12);
            Assert.Equal("[[[1,0]],[[0,0]],[[0,1]]]", given["colour"]!.ToJsonString());

            File.WriteAllText(Path.Combine(dir, "bad.yaml"), "given:\n  x: 1\n  img: {png: broken.png}\n");
            var e = new StringWriter();
            Assert.Equal(2, ExplainCommand.Run([Path.Combine(dir, "bad.yaml")], new StringWriter(), e));
            Assert.Contains("line 3", e.ToString(), StringComparison.Ordinal);
            Assert.Matches(@"broken\.png: byte \d+: truncated", e.ToString());

            File.WriteAllText(Path.Combine(dir, "missing.yaml"), "given:\n  img: {png: nowhere.png}\n");
            e = new StringWriter();
            Assert.Equal(2, ExplainCommand.Run([Path.Combine(dir, "missing.yaml")], new StringWriter(), e));
            Assert.Contains("line 2", e.ToString(), StringComparison.Ordinal);
            Assert.Contains("nowhere.png", e.ToString(), StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }
}
