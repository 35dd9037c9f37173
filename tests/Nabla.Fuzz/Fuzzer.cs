using System.Diagnostics;
using Nabla.Formats;

namespace Nabla.Fuzz;

/// <summary>What a campaign found: a crash (an exception that is not a clean refusal), a hang or an allocation over the cap.</summary>
/// <param name="Kind">crash, hang or memory.</param>
/// <param name="Message">The exception's type and message, or the time or bytes measured.</param>
/// <param name="Input">The input that caused it.</param>
public sealed record FuzzFinding(string Kind, string Message, byte[] Input);

/// <summary>The outcome of a campaign.</summary>
public sealed record FuzzReport(string Target, long Executions, double Seconds, double SlowestSeconds, long MostAllocated, int CorpusSize, IReadOnlyList<FuzzFinding> Findings);

/// <summary>How long and how a campaign runs.</summary>
/// <param name="Seconds">Stop after this many seconds (0: no limit).</param>
/// <param name="MaxExecutions">Stop after this many inputs (0: no limit).</param>
/// <param name="Seed">The seed of the mutations, so a campaign can be replayed.</param>
/// <param name="HangSeconds">An input that takes longer is a hang.</param>
/// <param name="MaxAllocatedBytes">An input that allocates more (on the reading thread) is a memory finding.</param>
/// <param name="LastInputPath">When set, each input is written there before it runs, so an input that kills the process (a stack overflow) is kept.</param>
public sealed record FuzzOptions(double Seconds = 10, long MaxExecutions = 0, int Seed = 1, double HangSeconds = 5, long MaxAllocatedBytes = 256L << 20, string? LastInputPath = null);

/// <summary>
/// A mutation fuzzer without instrumentation: it mutates seeds and corpus entries, runs the target, and keeps as new
/// corpus entries the inputs that were accepted or refused with an error not seen before (the error's first words
/// stand in for coverage: each is a distinct path through the reader's checks).
/// </summary>
public static class Fuzzer
{
    /// <summary>The memory cap the readers run under while fuzzing (<see cref="ReadLimits.Cap"/>, this thread only).</summary>
    public const long ReaderCap = 64L << 20;

    /// <summary>Runs a campaign on <paramref name="target"/>.</summary>
    public static FuzzReport Run(FuzzTarget target, FuzzOptions options)
    {
        using var cap = ReadLimits.Cap(ReaderCap);
        var random = new Random(options.Seed);
        var mutator = new Mutator(random);
        var corpus = target.Seeds().ToList();
        var seenErrors = new HashSet<string>(StringComparer.Ordinal);
        var findings = new List<FuzzFinding>();
        var seenFindings = new HashSet<string>(StringComparer.Ordinal);
        using var last = options.LastInputPath is null ? null : new FileStream(options.LastInputPath, FileMode.Create, FileAccess.Write, FileShare.Read);
        var clock = Stopwatch.StartNew();
        long executions = 0, mostAllocated = 0;
        double slowest = 0;
        while ((options.Seconds <= 0 || clock.Elapsed.TotalSeconds < options.Seconds) && (options.MaxExecutions <= 0 || executions < options.MaxExecutions))
        {
            // Seeds run once as they are, then mutations of random corpus entries.
            byte[] input = executions < corpus.Count && executions < target.Seeds().Count
                ? corpus[(int)executions]
                : target.Mutate(corpus[random.Next(corpus.Count)], corpus[random.Next(corpus.Count)], mutator, random);
            if (last is not null)
            {
                last.Position = 0;
                last.Write(input);
                last.SetLength(input.Length);
                last.Flush();
            }

            var (outcome, seconds, allocated) = RunOne(target, input);
            executions++;
            slowest = Math.Max(slowest, seconds);
            mostAllocated = Math.Max(mostAllocated, allocated);
            if (outcome is { Kind: "crash" } crash && seenFindings.Add(crash.Message.Split('\n')[0]))
            {
                findings.Add(crash with { Input = input });
            }
            else if (outcome is null || (outcome.Kind == "clean" && seenErrors.Add(Signature(outcome.Message))))
            {
                if (corpus.Count < 4096)
                {
                    corpus.Add(input);
                }
            }

            if (seconds > options.HangSeconds)
            {
                findings.Add(new FuzzFinding("hang", $"{seconds:F1} s", input));
            }

            if (allocated > options.MaxAllocatedBytes)
            {
                findings.Add(new FuzzFinding("memory", $"{allocated:N0} bytes allocated", input));
            }
        }

        return new FuzzReport(target.Name, executions, clock.Elapsed.TotalSeconds, slowest, mostAllocated, corpus.Count, findings);
    }

    /// <summary>Runs one input: null when accepted, a clean finding with the message when refused cleanly, or a crash.</summary>
    public static (FuzzFinding? Outcome, double Seconds, long Allocated) RunOne(FuzzTarget target, byte[] input)
    {
        using var cap = ReadLimits.Cap(Math.Min(ReadLimits.MaxBytes, ReaderCap));
        long before = GC.GetAllocatedBytesForCurrentThread();
        long start = Stopwatch.GetTimestamp();
        FuzzFinding? outcome = null;
        try
        {
            target.Run(input);
        }
        catch (Exception e) when (FuzzTarget.IsClean(e))
        {
            outcome = new FuzzFinding("clean", e.Message, input);
        }
        catch (Exception e)
        {
            outcome = new FuzzFinding("crash", $"{e.GetType().Name}: {e.Message}\n{e.StackTrace}", input);
        }

        return (outcome, Stopwatch.GetElapsedTime(start).TotalSeconds, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    /// <summary>The error message with its numbers and quoted parts removed: one signature per kind of refusal.</summary>
    private static string Signature(string message) =>
        new(message.Where(c => !char.IsAsciiDigit(c)).Take(80).ToArray());
}
