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

    /// <summary>Creates a reporter writing to <paramref name="output"/>; <paramref name="interactive"/> null means "a terminal" (<see cref="Console.IsOutputRedirected"/>).</summary>
    public ProgressBar(TextWriter output, bool? interactive = null)
    {
        this.output = output;
        Interactive = interactive ?? (ReferenceEquals(output, Console.Out) && !Console.IsOutputRedirected);
    }

    /// <summary>Whether the bar is redrawn in place.</summary>
    public bool Interactive { get; }

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
        const int width = 24;
        int filled = batches == 0 ? width : width * batch / batches;
        string bar = new string('█', filled) + new string('░', width - filled);
        output.Write(string.Create(CultureInfo.InvariantCulture,
            $"\repoch {epoch}/{epochs} {bar} {batch}/{batches}  loss {meanLoss:F4}  {rate:F0} samples/s  ETA {eta:F1}s   "));
    }

    /// <summary>Ends the epoch with its summary line.</summary>
    public void End(string summary)
    {
        if (Interactive)
        {
            output.Write('\r');
            output.Write(new string(' ', 100));
            output.Write('\r');
        }

        output.WriteLine(summary);
    }
}
