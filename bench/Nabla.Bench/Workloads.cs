// The workload list. Each workload is one entry: a name (the reference's name), its parameters
// (printed in the JSON), the throughput unit and work per iteration, and a Setup that allocates the
// inputs once and returns the step (one iteration). To add a workload (conv, lenet5_train, mlp_train,
// lstm, resnet8, attention, ...), write one method returning a Workload, with the same name, shapes and
// definition of one iteration as in ../../shared/bench/README.md, and add it to All().
using System.Text.Json.Nodes;
using Nabla.Ops.Kernels;

namespace Nabla.Bench;

internal static class Workloads
{
    public static List<Workload> All()
    {
        var list = new List<Workload>();
        foreach (int n in new[] { 128, 256, 512, 1024, 2048 }) list.Add(Gemm(n));
        list.AddRange(ConvWorkloads.All());
        list.AddRange(ModelWorkloads.All());
        list.AddRange(LstmWorkloads.All());
        list.AddRange(AttentionWorkloads.All());
        return list;
    }

    /// <summary>Standard normal samples from a fixed seed (the reference uses torch.manual_seed(0) + randn).</summary>
    internal static float[] RandN(int count, int seed)
    {
        var rng = new Random(seed);
        var x = new float[count];
        for (int i = 0; i < count; i += 2)
        {
            // Box-Muller: two independent N(0, 1) samples per pair of uniforms.
            double u1 = 1.0 - rng.NextDouble(), u2 = rng.NextDouble();
            double r = Math.Sqrt(-2.0 * Math.Log(u1));
            x[i] = (float)(r * Math.Cos(2 * Math.PI * u2));
            if (i + 1 < count) x[i + 1] = (float)(r * Math.Sin(2 * Math.PI * u2));
        }
        return x;
    }

    // ---------------------------------------------------------------- gemm
    private static Workload Gemm(int n)
    {
        double flop = 2.0 * n * n * n;
        var p = new JsonObject
        {
            ["M"] = n, ["N"] = n, ["K"] = n, ["dtype"] = "float32",
            ["op"] = "C = A·B with Gemm.Multiply<float>, A,B ~ randn, new C array each call (GC.AllocateUninitializedArray)",
            ["flop_per_iter"] = flop,
        };
        return new Workload($"gemm_{n}", p, "GFLOP/s", flop * 1e-9, 0, () =>
        {
            float[] a = RandN(n * n, 1), b = RandN(n * n, 2);
            return new Bench(() =>
            {
                float[] c = GC.AllocateUninitializedArray<float>(n * n);
                Ops.Kernels.Gemm.Multiply(false, false, n, n, n, a, 0, n, b, 0, n, c, 0, n, false);
            });
        });
    }
}
