using System.Diagnostics;
using System.Globalization;
using Nabla;
using DistributedRunner;

// Runs scenarios in turn under mpirun (or alone, as world size 1). Exit 0: the checks passed; 1: a check failed (the
// reason is on standard error, prefixed with the rank).
Distributed.Init();
int rank = Distributed.Rank;
try
{
    var failures = new List<string>();
    foreach (var scenario in args.Length == 0 ? [""] : args)
    {
        failures.AddRange(scenario switch
        {
            "collectives" => Collectives.Run(),
            "ddp-float64" => DdpEquivalence.Run(DType.Float64),
            "ddp-float32" => DdpEquivalence.Run(DType.Float32),
            "nosync" => DdpEquivalence.RunNoSync(),
            "kill" => Faults.Kill(),
            "hang" => Faults.Hang(),
            _ when scenario.StartsWith("scale-", StringComparison.Ordinal) =>
                Scaling.Run(scenario.Split('-')[1], !scenario.EndsWith("-nooverlap", StringComparison.Ordinal)),
            _ => ["usage: Nabla.Distributed.TestRunner SCENARIO... (collectives, ddp-float64, ddp-float32, nosync, kill, hang, scale-lenet5|mlp|resnet8[-nooverlap])"],
        });
    }

    foreach (var f in failures)
    {
        Console.Error.WriteLine($"rank {rank}: {f}");
    }

    Distributed.Finalize();
    return failures.Count == 0 ? 0 : 1;
}
catch (Exception e)
{
    Console.Error.WriteLine($"rank {rank}: {e}");
    return 1;
}

namespace DistributedRunner
{
    /// <summary>Checks of one scenario, as messages (none: passed).</summary>
    internal static class Check
    {
        public static void Close(List<string> failures, string what, double actual, double expected, double tol)
        {
            if (!(Math.Abs(actual - expected) <= tol))
            {
                failures.Add(string.Create(CultureInfo.InvariantCulture, $"{what}: got {actual:R}, expected {expected:R} (tolerance {tol:G3})"));
            }
        }
    }

    /// <summary>Kills or hangs one rank and lets the others find out.</summary>
    internal static class Faults
    {
        /// <summary>Rank 1 kills itself with SIGKILL after 3 all-reduces; rank 0 keeps all-reducing (mpirun must end it).</summary>
        public static List<string> Kill()
        {
            var t = Tensor.Ones(new Shape(1000), DType.Float64);
            for (int i = 0; ; i++)
            {
                if (Distributed.Rank == 1 && i == 3)
                {
                    Console.Error.WriteLine($"rank 1: pid {Environment.ProcessId} kills itself (SIGKILL)");
                    Process.GetCurrentProcess().Kill();
                }

                Distributed.AllReduce(t);
                Thread.Sleep(10);
            }
        }

        /// <summary>Rank 1 stops taking part without dying; rank 0's collective times out after 3 s and aborts the job.</summary>
        public static List<string> Hang()
        {
            Distributed.Timeout = TimeSpan.FromSeconds(3);
            Distributed.Barrier();
            if (Distributed.Rank == 1)
            {
                Thread.Sleep(TimeSpan.FromSeconds(120));
            }

            Distributed.AllReduce(Tensor.Ones(new Shape(10)));
            return ["the hung rank's all-reduce completed"];
        }
    }
}
