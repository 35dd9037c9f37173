// Nabla's benchmark: the same workloads, options, method and JSON lines as the reference harness
// (PyTorch through TorchSharp, ../../shared/bench/torch/Program.cs; contract in
// ../../shared/bench/README.md), so that the two can be run side by side and compared by ratio.
//
// Usage: Nabla.Bench [--threads 1|2] [--only name[,name...]] [--reps R] [--rep-time S]
//                    [--warmup S] [--out results.json] [--list]
//   --threads   Nabla.Threads.Count (intra-op threads), default 1
//   --only      workload names or name prefixes (gemm, conv, ...); default all
//   --reps      timed repetitions per workload (default 21); median/min/max are over these
//   --rep-time  minimum seconds per repetition (default 0.25): each repetition runs k iterations,
//               k calibrated after warm-up so that k * t_iter >= rep-time
//   --warmup    seconds of warm-up per workload before calibration (default 1.0; >= 3 iterations)
//   --out       also write all results (plus environment metadata) as one JSON object to this file
//   --list      print the workload names and exit
//
// Method (Harness.cs, identical to the reference): every selected workload is set up and warmed up
// first, then the timed repetitions run round-robin (rep 1 of every workload, then rep 2, ...).
// Before each repetition: a full .NET GC (untimed) and one untimed iteration; then k iterations are
// timed together and seconds/iteration = elapsed / k. Every workload prints one JSON line to stdout
// at the end (name, params, threads, reps, iters_per_rep, median_s, min_s, max_s, quiet_median_s,
// quiet_reps, throughput_unit, throughput, throughput_best, throughput_quiet, samples_s); progress
// goes to stderr. Workloads are listed in Workloads.cs, one entry per workload.
using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text.Json.Nodes;
using Nabla;
using Nabla.Bench;

var opt = Options.Parse(args);
var all = Workloads.All();
if (opt.List)
{
    foreach (var w in all) Console.WriteLine(w.Name);
    return 0;
}
var selected = all.Where(w => opt.Only.Count == 0 || opt.Only.Any(o => w.Name == o || w.Name.StartsWith(o + "_"))).ToList();
if (selected.Count == 0) { Console.Error.WriteLine("no workload matches --only"); return 2; }

Threads.Count = opt.Threads;
Console.Error.WriteLine($"Nabla {typeof(Threads).Assembly.GetName().Version}, {RuntimeInformation.FrameworkDescription}, Vector512 {System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated}, threads {Threads.Count}, {selected.Count} workloads, {opt.Reps} reps");

var total = Stopwatch.StartNew();
var runs = new List<Measure.Run>();
foreach (var w in selected)
{
    var run = new Measure.Run(w, w.Setup());
    run.WarmUpAndCalibrate(opt);
    Console.Error.WriteLine($"  warmed up {w.Name}: ~{run.Estimate * 1e3:G4} ms/iter, k = {run.K}");
    runs.Add(run);
}
for (int r = 0; r < opt.Reps; r++)
{
    foreach (var run in runs) run.TimeOneRep();
    Console.Error.WriteLine($"  rep {r + 1}/{opt.Reps} done, {total.Elapsed.TotalSeconds:F0} s");
}

// Machine-speed index of each round: median over workloads of (sample / that workload's fastest
// sample). This machine alternates between a quiet phase (index ~1.0) and a slow phase (~1.3-1.5);
// rounds with index <= QuietThreshold count as quiet, and each workload also gets the median over
// those rounds, the figure least affected by how much of the run fell into slow phases.
var speed = Measure.RoundSpeedIndex(runs);
var quiet = Enumerable.Range(0, speed.Length).Where(i => speed[i] <= Measure.QuietThreshold).ToArray();
Console.Error.WriteLine($"round speed index: {string.Join(" ", speed.Select(x => x.ToString("F2")))}; quiet rounds {quiet.Length}/{speed.Length}");

var results = new JsonArray();
foreach (var run in runs)
{
    var w = run.Workload;
    var (med, min, max) = run.Stats();
    double? qmed = quiet.Length >= 3 ? Measure.Sig(Measure.Median(quiet.Select(i => run.Samples[i]))) : null;
    var r = new JsonObject
    {
        ["name"] = w.Name,
        ["params"] = w.Params.DeepClone(),
        ["threads"] = Threads.Count,
        ["reps"] = run.Samples.Count,
        ["iters_per_rep"] = run.K,
        ["warmup_iters"] = run.WarmupIters,
        ["median_s"] = med,
        ["min_s"] = min,
        ["max_s"] = max,
        ["quiet_median_s"] = qmed,
        ["quiet_reps"] = quiet.Length,
        ["throughput_unit"] = w.Unit,
        ["throughput"] = Math.Round(w.WorkPerIter / med, 3),
        ["throughput_best"] = Math.Round(w.WorkPerIter / min, 3),
        ["throughput_quiet"] = qmed is double q ? Math.Round(w.WorkPerIter / q, 3) : null,
    };
    if (w.ApproxFlopPerIter > 0)
        r["approx_gflops"] = Math.Round(w.ApproxFlopPerIter / med * 1e-9, 3);
    // Share of CPU time the hypervisor gave to others during this workload's timed reps (noise indicator).
    if (run.CpuTotal > 0)
        r["cpu_steal_pct"] = Math.Round(100.0 * run.CpuSteal / run.CpuTotal, 2);
    r["samples_s"] = new JsonArray(run.Samples.Select(x => (JsonNode?)JsonValue.Create(Measure.Sig(x))).ToArray());
    Console.WriteLine(r.ToJsonString(Env.Json(false)));
    results.Add(r);
    run.Bench.Dispose();
}
Console.Error.WriteLine($"total {total.Elapsed.TotalSeconds:F1} s; tensor pool: {TensorMemory.Reused:N0} arrays reused, {TensorMemory.Collections} collections forced ({TensorMemory.CollectionTime.TotalMilliseconds:F0} ms), {GC.CollectionCount(2)} gen-2 collections in all, GC pauses {GC.GetTotalPauseDuration().TotalMilliseconds:F0} ms");

if (opt.Out is not null)
{
    var doc = new JsonObject
    {
        ["harness"] = "bench/Nabla.Bench",
        ["framework"] = "Nabla " + typeof(Threads).Assembly.GetName().Version,
        ["vector512"] = System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated,
        ["dotnet"] = RuntimeInformation.FrameworkDescription,
        ["os"] = RuntimeInformation.OSDescription,
        ["cpu"] = Env.CpuModel(),
        ["logical_cpus"] = Environment.ProcessorCount,
        ["threads"] = Threads.Count,
        ["timestamp_utc"] = DateTime.UtcNow.ToString("yyyy-MM-ddTHH:mm:ssZ"),
        ["options"] = new JsonObject
        {
            ["reps"] = opt.Reps, ["rep_time_s"] = opt.RepTime, ["warmup_s"] = opt.Warmup,
            ["only"] = opt.Only.Count == 0 ? "all" : string.Join(",", opt.Only),
            ["schedule"] = "warm-up + calibrate each workload, then timed reps round-robin across workloads",
        },
        ["total_s"] = Math.Round(total.Elapsed.TotalSeconds, 1),
        ["round_speed_index"] = new JsonArray(speed.Select(x => (JsonNode?)JsonValue.Create(Math.Round(x, 3))).ToArray()),
        ["quiet_threshold"] = Measure.QuietThreshold,
        ["quiet_rounds"] = quiet.Length,
        ["results"] = results,
    };
    File.WriteAllText(opt.Out, doc.ToJsonString(Env.Json(true)) + "\n");
    Console.Error.WriteLine($"wrote {opt.Out}");
}
return 0;

