using Nabla.Training;

namespace Nabla.Tests.Training;

/// <summary>The interactive progress bar fits the terminal: every drawn line is narrower than the width, so it never wraps.</summary>
public class ProgressBarTests
{
    private static string Draw(int width)
    {
        var w = new StringWriter();
        var bar = new ProgressBar(w, interactive: true, width: width);
        bar.Begin();
        bar.Update(epoch: 1, epochs: 3, batch: 5, batches: 10, samples: 320, meanLoss: 0.1234);
        bar.End("epoch 1/3 done");
        return w.ToString();
    }

    [Theory]
    [InlineData(10, 20)] // clamped up to ProgressBar.MinWidth
    [InlineData(40, 40)]
    [InlineData(63, 63)]
    [InlineData(80, 80)]
    [InlineData(120, 120)]
    [InlineData(500, 160)] // clamped down to ProgressBar.MaxWidth
    public void Every_drawn_line_is_one_column_narrower_than_the_terminal(int width, int clamped)
    {
        string text = Draw(width);
        string[] drawn = text.Split('\r')[1..^1]; // the bar, then the blanking line; the last piece is the summary
        Assert.Equal(2, drawn.Length);
        Assert.All(drawn, line => Assert.Equal(clamped - 1, line.Length));
        Assert.EndsWith("\repoch 1/3 done" + Environment.NewLine, text, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', text[..^Environment.NewLine.Length].Replace(Environment.NewLine, "", StringComparison.Ordinal));
    }

    [Fact]
    public void At_80_columns_the_bar_has_24_cells_half_filled()
    {
        // "epoch 1/3 " is 10 characters and " 5/10  loss 0.1234  1000 samples/s  ETA 2.5s" 44, so 79 - 54 = 25 cells
        // would fit: the bar takes its maximum of 24, and 5 of 10 batches fill 12 of them; 78 characters padded to 79.
        string line = new ProgressBar(TextWriter.Null, interactive: true, width: 80).Line(1, 3, 5, 10, 0.1234, 1000, 2.5);
        Assert.Equal(79, line.Length);
        Assert.Equal("epoch 1/3 ████████████░░░░░░░░░░░░ 5/10  loss 0.1234  1000 samples/s  ETA 2.5s ", line);
        Assert.Equal(12, line.Count(c => c == '█'));
        Assert.Equal(12, line.Count(c => c == '░'));
        Assert.StartsWith("epoch 1/3 ████████████░░░░░░░░░░░░ 5/10  loss 0.1234", line, StringComparison.Ordinal);
    }

    [Fact]
    public void A_narrow_terminal_keeps_a_short_bar_and_cuts_the_figures()
    {
        // 39 columns leave no room for the figures beside even the 8-cell minimum bar: the line is cut at 39.
        string line = new ProgressBar(TextWriter.Null, interactive: true, width: 40).Line(1, 3, 5, 10, 0.1234, 1000, 2.5);
        Assert.Equal("epoch 1/3 ████░░░░ 5/10  loss 0.1234  1", line);
    }
}
