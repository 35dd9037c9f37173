// Convolution workloads (../../shared/bench/README.md): conv2d forward, and forward + gradients of input, weight
// and bias for a fixed random grad_output, float32. GFLOP/s = 2·MACs (fwd), 3·2·MACs (fwdbwd).
using System.Text.Json.Nodes;
using Nabla.NN;

namespace Nabla.Bench;

internal static class ConvWorkloads
{
    public static IEnumerable<Workload> All() =>
    [
        Conv("conv_lenet_c3", [64, 6, 14, 14], [16, 6, 5, 5], 0, backward: false),
        Conv("conv_lenet_c3", [64, 6, 14, 14], [16, 6, 5, 5], 0, backward: true),
        Conv("conv_resnet_3x3", [32, 64, 32, 32], [64, 64, 3, 3], 1, backward: false),
        Conv("conv_resnet_3x3", [32, 64, 32, 32], [64, 64, 3, 3], 1, backward: true),
    ];

    private static Workload Conv(string name, int[] xs, int[] ws, int padding, bool backward)
    {
        int oh = xs[2] + (2 * padding) - ws[2] + 1, ow = xs[3] + (2 * padding) - ws[3] + 1;
        double macs = (double)xs[0] * ws[0] * oh * ow * ws[1] * ws[2] * ws[3];
        double flop = (backward ? 3 : 1) * 2 * macs;
        var p = new JsonObject
        {
            ["input"] = string.Join("x", xs), ["weight"] = string.Join("x", ws), ["bias"] = ws[0],
            ["stride"] = 1, ["padding"] = padding, ["dtype"] = "float32",
            ["op"] = backward ? "F.Conv2d + Autograd.Grad of input, weight, bias for a fixed random grad_output" : "F.Conv2d under NoGrad",
            ["flop_per_iter"] = flop,
        };
        return new Workload($"{name}_{(backward ? "fwdbwd" : "fwd")}", p, "GFLOP/s", flop * 1e-9, flop, () =>
        {
            var x = Tensor.FromArray(Workloads.RandN(xs.Aggregate(1, (a, b) => a * b), 1), new Shape(xs)).RequireGrad(backward);
            var w = Tensor.FromArray(Workloads.RandN(ws.Aggregate(1, (a, b) => a * b), 2), new Shape(ws)).RequireGrad(backward);
            var b = Tensor.FromArray(Workloads.RandN(ws[0], 3), new Shape(ws[0])).RequireGrad(backward);
            if (!backward)
            {
                return new Bench(() =>
                {
                    using var _ = GradMode.NoGrad();
                    F.Conv2d(x, w, b, padding: padding);
                });
            }

            var gy = Tensor.FromArray(Workloads.RandN(xs[0] * ws[0] * oh * ow, 4), new Shape(xs[0], ws[0], oh, ow));
            return new Bench(() => Autograd.Grad([F.Conv2d(x, w, b, padding: padding)], [x, w, b], [gy]));
        });
    }
}
