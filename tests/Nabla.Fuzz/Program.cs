using System.Globalization;
using Nabla.Fuzz;

// nabla-fuzz <target|all> [--seconds N] [--count N] [--seed S] [--out DIR]: runs campaigns and writes each finding to DIR;
// nabla-fuzz <target> --replay FILE: runs one kept input and prints what happened in full.
string? which = null, outDir = null;
var replay = new List<string>();
double seconds = 60;
long count = 0;
int seed = Environment.TickCount;
for (int i = 0; i < args.Length; i++)
{
    string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
    switch (args[i])
    {
        case "--seconds": seconds = double.Parse(Next(), CultureInfo.InvariantCulture); break;
        case "--count": count = long.Parse(Next(), CultureInfo.InvariantCulture); seconds = 0; break;
        case "--seed": seed = int.Parse(Next(), CultureInfo.InvariantCulture); break;
        case "--out": outDir = Next(); break;
        case "--replay": replay.Add(Next()); break;
        default: which = args[i]; break;
    }
}

if (which is null)
{
    Console.Error.WriteLine($"usage: nabla-fuzz <{string.Join("|", Targets.All.Select(t => t.Name))}|all> [--seconds N] [--count N] [--seed S] [--out DIR]");
    return 2;
}

if (replay.Count > 0)
{
    // nabla-fuzz <target> --replay FILE [--replay FILE ...]: runs kept inputs and prints each outcome in full.
    foreach (string file in replay)
    {
        var (outcome, secs, allocated) = Fuzzer.RunOne(Targets.Get(which), File.ReadAllBytes(file));
        Console.WriteLine($"{file}: {outcome?.Kind ?? "accepted"} in {secs * 1000:F1} ms, {allocated:N0} bytes allocated\n{outcome?.Message}");
    }

    return 0;
}

outDir ??= Path.Combine("fuzz-findings", DateTime.UtcNow.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture));
Directory.CreateDirectory(outDir);
int found = 0;
foreach (var target in which == "all" ? Targets.All : [Targets.Get(which)])
{
    var options = new FuzzOptions(seconds, count, seed, LastInputPath: Path.Combine(outDir, $"{target.Name}-last-input.bin"));
    var report = Fuzzer.Run(target, options);
    Console.WriteLine($"{report.Target,-12} {report.Executions,12:N0} inputs in {report.Seconds,7:F0} s, slowest {report.SlowestSeconds * 1000,8:F1} ms, " +
        $"most allocated {report.MostAllocated / 1048576.0,7:F1} MB, corpus {report.CorpusSize,5}, findings {report.Findings.Count} (seed {seed})");
    foreach (var (f, k) in report.Findings.Select((f, k) => (f, k)))
    {
        string file = Path.Combine(outDir, $"{target.Name}-{f.Kind}-{k}.bin");
        File.WriteAllBytes(file, f.Input);
        Console.WriteLine($"  {f.Kind}: {f.Message.Split('\n')[0]} -> {file}");
        found++;
    }

    File.Delete(options.LastInputPath!);
}

return found == 0 ? 0 : 1;
