using System.Text.Json.Nodes;
using Nabla.Cli.Commands;

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
}
