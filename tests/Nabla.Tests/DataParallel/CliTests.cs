using System.Diagnostics;
using System.Text.Json.Nodes;
using Nabla.Cli.Commands;
using Nabla.Formats;
using Nabla.Models;
using Nabla.Tests.Training;
using Nabla.Training;

namespace Nabla.Tests.DataParallel;

/// <summary>
/// <c>mpirun -np 2 nabla train --distributed</c>: the same training as one process with the same global batch, rank 0
/// alone printing; a rank killed mid-epoch ending the job with the checkpoint intact and resumable; bad input refused.
/// Runs alone (<see cref="GlobalStateCollection"/>): the in-process reference run sets the process-wide thread count,
/// which another test changing it meanwhile would alter (one full-suite run ended 0.029 apart on a bias).
/// </summary>
[Collection(GlobalStateCollection.Name)]
public class CliTests
{
    private static readonly string[] Small =
        ["train", "--epochs", "1", "--seed", "0", "--train-size", "1024", "--test-size", "200", "--threads", "1"];

    private static string[] Nabla(params string[] args) => ["dotnet", MpiTests.Dll("src", "Nabla.Cli"), .. args];

    [MpiFact]
    public void Two_ranks_train_the_same_weights_as_one_process_and_only_rank_0_prints()
    {
        string one = TestPaths.TempDir(), two = TestPaths.TempDir();
        using var stdout = new StringWriter();
        Assert.Equal(0, TrainCommand.Run([.. Small[1..], "--out", one], stdout, stdout));
        using var p = MpiTests.StartMpirun(Nabla([.. Small, "--distributed", "--out", two]));
        var (code, output) = MpiTests.Finish(p, 240, "mpirun nabla train --distributed");
        Assert.True(code == 0, output);
        Assert.Single(output.Split('\n'), l => l.Contains("nabla train: lenet5", StringComparison.Ordinal));
        Assert.Contains("2 processes × 1 threads (batch 32 each)", output, StringComparison.Ordinal);

        var expected = Safetensors.Load(Path.Combine(one, "model.safetensors")).Tensors;
        var actual = Safetensors.Load(Path.Combine(two, "model.safetensors")).Tensors;
        Assert.Equal(expected.Keys.Order(), actual.Keys.Order()); // plain names, no "module." prefix
        foreach (var (name, t) in expected)
        {
            double diff = (t.To(DType.Float64) - actual[name].To(DType.Float64)).Abs().Max().Item();
            Assert.True(diff < 1e-3, $"{name}: max |Δ| {diff}");
        }

        double Accuracy(string dir) => JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "metrics.json")))!["test_accuracy"]!.GetValue<double>();
        Assert.InRange(Math.Abs(Accuracy(one) - Accuracy(two)), 0, 0.003);
    }

    [MpiFact]
    public void Killing_a_rank_mid_epoch_ends_the_job_keeps_the_checkpoint_and_resume_continues()
    {
        string dir = TestPaths.TempDir(), tag = Guid.NewGuid().ToString("N");
        string[] run = [.. Small, "--json", "--distributed", "--out", dir];
        run[Array.IndexOf(run, "--epochs") + 1] = "6";
        var env = new Dictionary<string, string> { ["NABLA_TEST_TAG"] = tag };
        using (var p = MpiTests.StartMpirun(Nabla(run), env))
        {
            // After epoch 1's JSON line its checkpoint is on disk; kill rank 1 in epoch 2.
            while (p.StandardOutput.ReadLine() is { } line && !line.StartsWith('{'))
            {
            }

            var clock = Stopwatch.StartNew();
            int victim = RankPid(tag, 1);
            Process.GetProcessById(victim).Kill();
            var (code, output) = MpiTests.Finish(p, 120, "mpirun after kill -9 of rank 1");
            Assert.NotEqual(0, code);
            Assert.True(clock.Elapsed.TotalSeconds < 60, $"the job took {clock.Elapsed.TotalSeconds:F0} s to end after the kill");
            Assert.Contains("process rank 1", output, StringComparison.Ordinal);
        }

        string ckpt = Path.Combine(dir, "checkpoint.safetensors");
        Assert.Contains("\"epoch\":", Checkpoint.Load(ckpt).Extra(Trainer.StateKey)!, StringComparison.Ordinal); // complete and readable
        run[Array.IndexOf(run, "--epochs") + 1] = "3";
        using var resumed = MpiTests.StartMpirun(Nabla([.. run, "--resume", dir]));
        var (rc, log) = MpiTests.Finish(resumed, 240, "mpirun nabla train --distributed --resume");
        Assert.True(rc == 0, log);
        Assert.Contains("resumed from", log, StringComparison.Ordinal);
        Assert.Equal(3, JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "metrics.json")))!["epochs"]!.GetValue<int>());
    }

    [MpiFact]
    public void A_global_batch_that_the_ranks_do_not_divide_is_refused_in_one_line()
    {
        using var p = MpiTests.StartMpirun(Nabla("train", "--distributed", "--batch-size", "33"));
        var (code, output) = MpiTests.Finish(p, 120, "mpirun nabla train --batch-size 33");
        Assert.NotEqual(0, code);
        Assert.Single(output.Split('\n'), l => l.StartsWith("nabla train: --batch-size 33 is the global batch: it must be a multiple of the 2 processes", StringComparison.Ordinal));
    }

    [Fact]
    public void Distributed_without_mpirun_is_refused_with_exit_2()
    {
        using var err = new StringWriter();
        Assert.Equal(2, TrainCommand.Run(["--distributed"], TextWriter.Null, err));
        Assert.Equal("nabla train: --distributed needs the processes that mpirun starts: run mpirun -np N nabla train --distributed ...",
            err.ToString().TrimEnd());
    }

    [Fact]
    public void A_missing_libmpi_names_the_package_to_install_with_exit_1()
    {
        // As if started by mpirun, with the library looked for where there is none.
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in (string[])[MpiTests.Dll("src", "Nabla.Cli"), "train", "--distributed"])
        {
            psi.ArgumentList.Add(a);
        }

        psi.Environment["OMPI_COMM_WORLD_SIZE"] = "2";
        psi.Environment["NABLA_MPI_LIBRARY"] = "/nonexistent/libmpi.so.40";
        using var p = Process.Start(psi)!;
        var (code, output) = MpiTests.Finish(p, 60, "nabla train --distributed without libmpi");
        Assert.Equal(1, code);
        Assert.Equal("nabla train: libmpi (Open MPI) was not found (/nonexistent/libmpi.so.40): install it with `apt-get install openmpi-bin` (Debian/Ubuntu) or your system's Open MPI package",
            output.Trim());
    }

    /// <summary>The pid of the process of rank <paramref name="rank"/> among those started with <paramref name="tag"/> (read from /proc).</summary>
    private static int RankPid(string tag, int rank)
    {
        for (int attempt = 0; attempt < 100; attempt++)
        {
            foreach (var dir in Directory.EnumerateDirectories("/proc"))
            {
                if (!int.TryParse(Path.GetFileName(dir), out int pid))
                {
                    continue;
                }

                try
                {
                    var env = File.ReadAllText(Path.Combine(dir, "environ")).Split('\0');
                    if (env.Contains($"NABLA_TEST_TAG={tag}") && env.Contains($"OMPI_COMM_WORLD_RANK={rank}"))
                    {
                        return pid;
                    }
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                }
            }

            Thread.Sleep(100);
        }

        throw new InvalidOperationException($"no process of rank {rank} found");
    }
}
