// Benchmark harness: options, timing method and statistics, mirroring the reference harness
// (../../shared/bench/torch/Program.cs) line for line so that both print comparable JSON.
// See Program.cs for the usage and ../../docs/performance.md for how to compare.
using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Nabla.Bench;

internal sealed class Options
{
    public int Threads = 1;
    public int Reps = 21;
    public double RepTime = 0.25;
    public double Warmup = 1.0;
    public string? Out;
    public bool List;
    public List<string> Only = new();

    public static Options Parse(string[] a)
    {
        var o = new Options();
        for (int i = 0; i < a.Length; i++)
        {
            string Next() => i + 1 < a.Length ? a[++i] : throw new ArgumentException($"missing value for {a[i]}");
            switch (a[i])
            {
                case "--threads": o.Threads = int.Parse(Next()); break;
                case "--reps": o.Reps = int.Parse(Next()); break;
                case "--rep-time": o.RepTime = double.Parse(Next(), System.Globalization.CultureInfo.InvariantCulture); break;
                case "--warmup": o.Warmup = double.Parse(Next(), System.Globalization.CultureInfo.InvariantCulture); break;
                case "--out": o.Out = Next(); break;
                case "--only": o.Only.AddRange(Next().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)); break;
                case "--list": o.List = true; break;
                default: throw new ArgumentException($"unknown option {a[i]}");
            }
        }
        if (o.Threads < 1) throw new ArgumentException("--threads must be >= 1");
        if (o.Reps < 1) throw new ArgumentException("--reps must be >= 1");
        return o;
    }
}

internal static class Measure
{
    public sealed class Run
    {
        public readonly Workload Workload;
        public readonly IBench Bench;
        public int K = 1, WarmupIters;
        public double Estimate;
        public readonly List<double> Samples = new();
        public long CpuSteal, CpuTotal;

        public Run(Workload w, IBench b) { Workload = w; Bench = b; }

        // Warm up for opt.Warmup seconds (>= 3 iterations), then pick k so that k iterations last
        // >= opt.RepTime.
        public void WarmUpAndCalibrate(Options opt)
        {
            Clean();
            var sw = Stopwatch.StartNew();
            var sinceClean = Stopwatch.StartNew();
            int warm = 0;
            while (warm < 3 || sw.Elapsed.TotalSeconds < opt.Warmup)
            {
                Bench.Step(); warm++;
                if (sinceClean.Elapsed.TotalSeconds > 0.25) { Clean(); sinceClean.Restart(); }
            }
            Clean();
            sw.Restart();
            int cal = 0;
            while (cal < 2 || sw.Elapsed.TotalSeconds < 0.1) { Bench.Step(); cal++; }
            Estimate = sw.Elapsed.TotalSeconds / cal;
            K = Math.Max(1, (int)Math.Ceiling(opt.RepTime / Estimate));
            WarmupIters = warm + cal;
        }

        // One repetition: GC, one untimed iteration (re-warms caches after the other workloads ran),
        // then k timed iterations.
        public void TimeOneRep()
        {
            Clean();
            Bench.Step();
            var c0 = Env.CpuTimes();
            long t0 = Stopwatch.GetTimestamp();
            for (int i = 0; i < K; i++) Bench.Step();
            double dt = Stopwatch.GetElapsedTime(t0).TotalSeconds;
            var c1 = Env.CpuTimes();
            Samples.Add(dt / K);
            if (c0.Total > 0 && c1.Total >= c0.Total) { CpuSteal += c1.Steal - c0.Steal; CpuTotal += c1.Total - c0.Total; }
        }

        public (double Median, double Min, double Max) Stats() => (Sig(Median(Samples)), Sig(Samples.Min()), Sig(Samples.Max()));
    }

    public const double QuietThreshold = 1.10;

    public static double Median(IEnumerable<double> xs)
    {
        var t = xs.OrderBy(x => x).ToArray();
        return t.Length % 2 == 1 ? t[t.Length / 2] : 0.5 * (t[t.Length / 2 - 1] + t[t.Length / 2]);
    }

    // Per round: median over workloads of sample / (that workload's minimum sample).
    public static double[] RoundSpeedIndex(IReadOnlyList<Run> runs)
    {
        int n = runs.Min(r => r.Samples.Count);
        var mins = runs.Select(r => r.Samples.Min()).ToArray();
        return Enumerable.Range(0, n).Select(i => Median(runs.Select((r, j) => r.Samples[i] / mins[j]))).ToArray();
    }

    // A full .NET GC, run untimed during warm-up and before every repetition, exactly as the
    // reference harness does (there it keeps libtorch's native heap in a steady state; here it makes
    // every repetition start from the same managed heap state).
    public static void Clean()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
    }

    public static double Sig(double x) => double.Parse(x.ToString("G6", System.Globalization.CultureInfo.InvariantCulture), System.Globalization.CultureInfo.InvariantCulture);
}

internal static class Env
{
    public static JsonSerializerOptions Json(bool indented) =>
        new() { WriteIndented = indented, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    // Aggregate jiffies from the first line of /proc/stat: (steal, total). Zeros where unavailable.
    public static (long Steal, long Total) CpuTimes()
    {
        try
        {
            var f = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (f[0] != "cpu" || f.Length < 9) return (0, 0);
            long total = 0;
            for (int i = 1; i <= 8 && i < f.Length; i++) total += long.Parse(f[i]);   // user..steal (guest is inside user)
            return (long.Parse(f[8]), total);
        }
        catch (Exception) { return (0, 0); }
    }

    public static string CpuModel()
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/cpuinfo"))
                if (line.StartsWith("model name")) return line[(line.IndexOf(':') + 1)..].Trim();
        }
        catch (IOException) { }
        return RuntimeInformation.ProcessArchitecture.ToString();
    }
}

internal interface IBench : IDisposable
{
    void Step();
}

internal sealed class Bench : IBench
{
    readonly Action step;
    readonly IDisposable[] owned;
    public Bench(Action step, params IDisposable[] owned) { this.step = step; this.owned = owned; }
    public void Step() => step();
    public void Dispose() { foreach (var d in owned) d.Dispose(); }
}

internal sealed record Workload(string Name, JsonObject Params, string Unit, double WorkPerIter, double ApproxFlopPerIter, Func<IBench> Setup);

