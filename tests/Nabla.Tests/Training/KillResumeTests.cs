using System.Diagnostics;
using Nabla.Formats;
using Nabla.Models;
using Nabla.Training;

namespace Nabla.Tests.Training;

/// <summary>
/// Kills a real <c>nabla train</c> child process with SIGKILL in the middle of training, checks that the checkpoint
/// on disk is intact, resumes, and compares the final weights with those of an uninterrupted run.
/// </summary>
public class KillResumeTests
{
    private static readonly string[] Common =
        ["train", "--model", "lenet5", "--data", "synthetic", "--train-size", "640", "--test-size", "100",
         "--epochs", "12", "--batch-size", "32", "--threads", "1", "--seed", "3", "--json"];

    private static string CliDll()
    {
        string config = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Debug{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Debug" : "Release";
        string dll = Path.Combine(TestPaths.RepoRoot(), "src", "Nabla.Cli", "bin", config, "net10.0", "Nabla.Cli.dll");
        Assert.True(File.Exists(dll), $"{dll} not found: build src/Nabla.Cli ({config}) first (the test project builds it as a dependency)");
        return dll;
    }

    private static Process Start(params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(CliDll());
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        var p = Process.Start(psi)!;
        p.ErrorDataReceived += (_, _) => { };
        p.BeginErrorReadLine();
        return p;
    }

    private static void RunToEnd(params string[] args)
    {
        using var p = Start(args);
        string stdout = p.StandardOutput.ReadToEnd();
        Assert.True(p.WaitForExit(120_000), "nabla train did not finish in 2 minutes");
        Assert.True(p.ExitCode == 0, $"nabla train exited with {p.ExitCode}: {stdout}");
    }

    [Fact]
    public void Kill9_mid_run_then_resume_gives_the_same_weights()
    {
        string full = TestPaths.TempDir(), killed = TestPaths.TempDir();
        RunToEnd([.. Common, "--out", full]);

        // Start the same run and kill it (SIGKILL) as soon as it reports epoch 2, while it writes that checkpoint. An
        // epoch takes some 50 ms here: the 10 epochs left keep the run alive well past the kill on a busy machine.
        using (var p = Start([.. Common, "--out", killed]))
        {
            int lines = 0;
            while (p.StandardOutput.ReadLine() is { } line)
            {
                if (line.StartsWith('{') && ++lines == 2)
                {
                    p.Kill(entireProcessTree: true);
                    break;
                }
            }

            Assert.True(p.WaitForExit(30_000));
            Assert.Equal(2, lines);
        }

        string ckpt = Path.Combine(killed, "checkpoint.safetensors");
        Assert.False(File.Exists(Path.Combine(killed, "model.safetensors")), "the run was killed before it finished");
        var state = Checkpoint.Load(ckpt); // never corrupt: the previous or the new checkpoint, complete
        string json = state.Extra(Trainer.StateKey)!;
        Assert.True(json.Contains("\"epoch\":1,", StringComparison.Ordinal) || json.Contains("\"epoch\":2,", StringComparison.Ordinal), json);

        RunToEnd([.. Common, "--resume", killed, "--out", killed]);
        var expected = Safetensors.Load(Path.Combine(full, "model.safetensors")).Tensors;
        var actual = Safetensors.Load(Path.Combine(killed, "model.safetensors")).Tensors;
        Assert.Equal(expected.Keys.Order(), actual.Keys.Order());
        foreach (var (name, t) in expected)
        {
            Assert.Equal(t.ToFloatArray(), actual[name].ToFloatArray());
        }
    }
}
