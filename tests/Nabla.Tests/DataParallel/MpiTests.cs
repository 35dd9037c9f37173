using System.Diagnostics;
using Nabla.Tests.Training;

namespace Nabla.Tests.DataParallel;

/// <summary>A fact that needs Open MPI's <c>mpirun</c> on the PATH (<c>.ci/run</c> installs it); skipped, with the reason, without it.</summary>
public sealed class MpiFactAttribute : FactAttribute
{
    /// <summary>Skips unless <c>mpirun</c> is found.</summary>
    public MpiFactAttribute()
    {
        if (MpiTests.Mpirun() is null)
        {
            Skip = "mpirun not found: install Open MPI (apt-get install openmpi-bin libopenmpi-dev; .ci/run does)";
        }
    }
}

/// <summary>
/// Starts tests/Nabla.Distributed.TestRunner under <c>mpirun -np 2</c>: the collectives against hand sums, data-parallel
/// training against one process, and the failure modes (a killed rank, a hung rank) ending the job in bounded time.
/// </summary>
public class MpiTests
{
    /// <summary>The full path of mpirun, or null.</summary>
    internal static string? Mpirun() =>
        (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(':')
            .Select(d => Path.Combine(d, "mpirun")).FirstOrDefault(File.Exists);

    /// <summary>Starts <c>mpirun -np 2 --oversubscribe</c> on <paramref name="command"/>, as root if need be, output redirected.</summary>
    internal static Process StartMpirun(IEnumerable<string> command, IReadOnlyDictionary<string, string>? environment = null)
    {
        var psi = new ProcessStartInfo(Mpirun()!) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in (string[])["-np", "2", "--oversubscribe", .. command])
        {
            psi.ArgumentList.Add(a);
        }

        // Open MPI refuses to run as root unless told (CI containers run as root).
        psi.Environment["OMPI_ALLOW_RUN_AS_ROOT"] = "1";
        psi.Environment["OMPI_ALLOW_RUN_AS_ROOT_CONFIRM"] = "1";
        foreach (var (k, v) in environment ?? new Dictionary<string, string>())
        {
            psi.Environment[k] = v;
        }

        return Process.Start(psi)!;
    }

    /// <summary>Waits for <paramref name="p"/> (killing it past the timeout): exit code and all of its output.</summary>
    internal static (int ExitCode, string Output) Finish(Process p, int timeoutSeconds, string what)
    {
        var stderr = p.StandardError.ReadToEndAsync();
        var stdout = p.StandardOutput.ReadToEndAsync();
        if (!p.WaitForExit(timeoutSeconds * 1000))
        {
            p.Kill(entireProcessTree: true);
            Assert.Fail($"{what} did not end within {timeoutSeconds} s");
        }

        p.WaitForExit();

        // .NET's console writes the terminal's keypad-mode sequence (terminfo keypad_xmit) when TERM is set: not output.
        return (p.ExitCode, (stdout.Result + stderr.Result).Replace("\u001b[?1h\u001b=", string.Empty, StringComparison.Ordinal));
    }

    /// <summary>A built project's dll under tests/ or src/ (Release or Debug, as this test run).</summary>
    internal static string Dll(string folder, string project)
    {
        string config = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Debug{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Debug" : "Release";
        string dll = Path.Combine(TestPaths.RepoRoot(), folder, project, "bin", config, "net10.0", project + ".dll");
        Assert.True(File.Exists(dll), $"{dll} not found: it is built with the test project");
        return dll;
    }

    /// <summary>Runs the test runner with <paramref name="scenarios"/> on 2 ranks: exit code, output, seconds.</summary>
    internal static (int ExitCode, string Output, double Seconds) Launch(int timeoutSeconds, params string[] scenarios)
    {
        var clock = Stopwatch.StartNew();
        using var p = StartMpirun(["dotnet", Dll("tests", "Nabla.Distributed.TestRunner"), .. scenarios]);
        var (code, output) = Finish(p, timeoutSeconds, $"mpirun {string.Join(' ', scenarios)}");
        return (code, output, clock.Elapsed.TotalSeconds);
    }

    [MpiFact]
    public void Collectives_on_two_ranks_match_hand_sums_for_odd_and_larger_than_bucket_sizes()
    {
        var (code, output, _) = Launch(240, "collectives");
        Assert.True(code == 0, output);
    }

    [MpiFact]
    public void Ddp_with_SyncBatchNorm_on_two_ranks_trains_the_same_cnn_as_one_process_with_the_global_batch()
    {
        // 20 steps, global batch 64 = 2 × 32: float64 to 1e-9, float32 to 1e-5 (checked in the runner); NoSync accumulates.
        var (code, output, _) = Launch(240, "ddp-float64", "ddp-float32", "nosync");
        Assert.True(code == 0, output);
        Assert.Contains("rank 0: Float64: 11 tensors", output, StringComparison.Ordinal);
        Assert.Contains("rank 0: Float32: 11 tensors", output, StringComparison.Ordinal);
    }

    [MpiFact]
    public void A_rank_killed_with_sigkill_ends_the_job_within_60_seconds_naming_it()
    {
        var (code, output, seconds) = Launch(120, "kill");
        Assert.NotEqual(0, code);
        Assert.True(seconds < 60, $"the job took {seconds:F0} s to end");
        Assert.Contains("process rank 1", output, StringComparison.Ordinal);
        Assert.Contains("signal 9", output, StringComparison.Ordinal);
    }

    [MpiFact]
    public void A_hung_rank_makes_the_others_abort_the_job_after_the_collective_timeout()
    {
        var (code, output, seconds) = Launch(120, "hang");
        Assert.NotEqual(0, code);
        Assert.True(seconds < 60, $"the job took {seconds:F0} s to end");
        Assert.Contains("nabla: rank 0: all-reduce (collective #", output, StringComparison.Ordinal);
        Assert.Contains("did not complete within 3 s", output, StringComparison.Ordinal);
    }
}
