using System.Diagnostics;
using System.Globalization;

namespace Nabla.Training;

/// <summary>
/// Reports training progress: on a terminal, one bar per epoch redrawn in place with loss, throughput and ETA;
/// otherwise (output redirected to a file or pipe) one plain line per epoch, so logs stay readable.
/// </summary>
public sealed class ProgressBar
{
    private readonly TextWriter output;
    private readonly Stopwatch clock = new();
    private long lastDrawMs = -1000;

    /// <summary>
    /// Creates a reporter writing to <paramref name="output"/>; <paramref name="interactive"/> null means "a terminal"
    /// (<see cref="Console.IsOutputRedirected"/>). <paramref name="width"/> is the line's room in columns; null means
    /// the terminal's <see cref="Console.WindowWidth"/> (80 when it cannot be read).
    /// </summary>
    public ProgressBar(TextWriter output, bool? interactive = null, int? width = null)
    {
        this.output = output;
        Interactive = interactive ?? (ReferenceEquals(output, Console.Out) && !Console.IsOutputRedirected);
        Width = Math.Clamp(width ?? (Interactive ? TerminalWidth() : 80), MinWidth, MaxWidth);
    }

    /// <summary>The narrowest and widest line drawn, in columns.</summary>
    public const int MinWidth = 20, MaxWidth = 160;

    /// <summary>Whether the bar is redrawn in place.</summary>
    public bool Interactive { get; }

    /// <summary>
    /// The terminal's width in columns, clamped to <see cref="MinWidth"/>..<see cref="MaxWidth"/>. A drawn line is at
    /// most <c>Width - 1</c> characters: a line as wide as the terminal wraps on some terminals, and a wrapped line
    /// cannot be redrawn in place with '\r'.
    /// </summary>
    public int Width { get; }

    private static int TerminalWidth()
    {
        try
        {
            return Console.WindowWidth is int w and > 0 ? w : 80;
        }
        catch (Exception e) when (e is IOException or PlatformNotSupportedException or InvalidOperationException)
        {
            return 80;
        }
    }

    /// <summary>Starts an epoch.</summary>
    public void Begin() => clock.Restart();

    /// <summary>Updates after <paramref name="batch"/> of <paramref name="batches"/> batches (<paramref name="samples"/> seen this epoch).</summary>
    public void Update(int epoch, int epochs, int batch, int batches, long samples, double meanLoss)
    {
        if (!Interactive || (clock.ElapsedMilliseconds - lastDrawMs < 100 && batch < batches))
        {
            return;
        }

        lastDrawMs = clock.ElapsedMilliseconds;
        double s = clock.Elapsed.TotalSeconds, rate = samples / Math.Max(s, 1e-9);
        double eta = batch == 0 ? 0 : s / batch * (batches - batch);
        output.Write('\r');
        output.Write(Line(epoch, epochs, batch, batches, meanLoss, rate, eta));
    }

    /// <summary>
    /// One drawn line, at most <c>Width - 1</c> characters: the bar takes the room the figures leave (8 to 24
    /// cells); on a terminal too narrow for the figures and an 8-cell bar, the line is cut at the end.
    /// </summary>
    internal string Line(int epoch, int epochs, int batch, int batches, double meanLoss, double rate, double eta)
    {
        string head = string.Create(CultureInfo.InvariantCulture, $"epoch {epoch}/{epochs} ");
        string tail = string.Create(CultureInfo.InvariantCulture, $" {batch}/{batches}  loss {meanLoss:F4}  {rate:F0} samples/s  ETA {eta:F1}s");
        int room = Width - 1;
        int cells = Math.Clamp(room - head.Length - tail.Length, 8, 24);
        int filled = batches == 0 ? cells : (int)((long)cells * batch / batches);
        string line = head + new string('█', filled) + new string('░', cells - filled) + tail;
        return line.Length <= room ? line.PadRight(room) : line[..room];
    }

    /// <summary>Ends the epoch with its summary line.</summary>
    public void End(string summary)
    {
        if (Interactive)
        {
            output.Write('\r');
            output.Write(new string(' ', Width - 1));
            output.Write('\r');
        }

        output.WriteLine(summary);
    }
}
