using TorchSharp;
using static TorchSharp.torch;
using static GoldenGen.Harness;
using static GoldenGen.Program;
using TF = TorchSharp.torch.nn.functional;

namespace GoldenGen;

/// <summary>
/// ResNet BasicBlock (identity, projection), Bottleneck (projection, identity), Inception v1 and a generic residual
/// wrapper, in training mode, written out as functional PyTorch with every parameter and buffer under its
/// state-dict name (torchvision's names: conv1.weight, bn1.running_mean, downsample.0.weight, downsample.1.bias...).
/// </summary>
public static class BlockCases
{
    private sealed class Params
    {
        public List<(string Name, Tensor Value)> P { get; } = [];

        public List<(string Name, Tensor Value)> B { get; } = [];

        public Tensor this[string name] => P.Concat(B).First(p => p.Name == name).Value;

        public Tensor Conv(string name, long cout, long cin, long k, bool bias)
        {
            var w = Harness.P(0.6 / Math.Sqrt(cin * k * k), [cout, cin, k, k]);
            P.Add((name + ".weight", w));
            if (bias)
            {
                P.Add((name + ".bias", Harness.P(0.1, [cout])));
            }

            return w;
        }

        public void Bn(string name, long c)
        {
            P.Add((name + ".weight", Harness.P(0.2, [c], 1.0)));
            P.Add((name + ".bias", Harness.P(0.2, [c])));
            B.Add((name + ".running_mean", N(0.3, c)));
            B.Add((name + ".running_var", Rand(NextSeed(), c) + 0.5));
        }

        public Tensor ConvF(Tensor x, string name, long stride, long padding) =>
            TF.conv2d(x, this[name + ".weight"], P.Any(p => p.Name == name + ".bias") ? this[name + ".bias"] : null, [stride, stride], [padding, padding]);

        public Tensor BnF(Tensor x, string name) =>
            TF.batch_norm(x, this[name + ".running_mean"], this[name + ".running_var"], this[name + ".weight"], this[name + ".bias"], true, 0.1, 1e-5);
    }

    public static List<Case> All()
    {
        var cases = new List<Case>();
        using var scope = torch.NewDisposeScope();

        foreach (var (name, inPlanes, planes, stride, hw) in new[] { ("basic_block_identity", 4, 4, 1, 6), ("basic_block_projection", 3, 4, 2, 7) })
        {
            using var sc = torch.NewDisposeScope();
            var p = new Params();
            p.Conv("conv1", planes, inPlanes, 3, false);
            p.Bn("bn1", planes);
            p.Conv("conv2", planes, planes, 3, false);
            p.Bn("bn2", planes);
            bool proj = stride != 1 || inPlanes != planes;
            if (proj)
            {
                p.Conv("downsample.0", planes, inPlanes, 1, false);
                p.Bn("downsample.1", planes);
            }

            Tensor F(Tensor x)
            {
                var y = TF.relu(p.BnF(p.ConvF(x, "conv1", stride, 1), "bn1"));
                y = p.BnF(p.ConvF(y, "conv2", 1, 1), "bn2");
                var s = proj ? p.BnF(p.ConvF(x, "downsample.0", stride, 0), "downsample.1") : x;
                return TF.relu(y + s);
            }

            cases.Add(Run(name, "basic_block", "train", A(("in_planes", inPlanes), ("planes", planes), ("stride", stride)),
                N(1, 2, inPlanes, hw, hw - 1), p.P, F, p.B));
        }

        foreach (var (name, inPlanes, planes, stride, hw) in new[] { ("bottleneck_projection", 4, 2, 2, 6), ("bottleneck_identity", 8, 2, 1, 5) })
        {
            using var sc = torch.NewDisposeScope();
            var p = new Params();
            int outPlanes = planes * 4;
            p.Conv("conv1", planes, inPlanes, 1, false);
            p.Bn("bn1", planes);
            p.Conv("conv2", planes, planes, 3, false);
            p.Bn("bn2", planes);
            p.Conv("conv3", outPlanes, planes, 1, false);
            p.Bn("bn3", outPlanes);
            bool proj = stride != 1 || inPlanes != outPlanes;
            if (proj)
            {
                p.Conv("downsample.0", outPlanes, inPlanes, 1, false);
                p.Bn("downsample.1", outPlanes);
            }

            Tensor F(Tensor x)
            {
                var y = TF.relu(p.BnF(p.ConvF(x, "conv1", 1, 0), "bn1"));
                y = TF.relu(p.BnF(p.ConvF(y, "conv2", stride, 1), "bn2"));
                y = p.BnF(p.ConvF(y, "conv3", 1, 0), "bn3");
                var s = proj ? p.BnF(p.ConvF(x, "downsample.0", stride, 0), "downsample.1") : x;
                return TF.relu(y + s);
            }

            cases.Add(Run(name, "bottleneck", "train", A(("in_planes", inPlanes), ("planes", planes), ("stride", stride)),
                N(1, 2, inPlanes, hw, hw + 1), p.P, F, p.B));
        }

        {
            // Inception v1: in 4; 1×1 → 2; 3×3 reduce 2 → 3; 5×5 reduce 2 → 3; pool proj 2 (Nabla's Sequential names).
            using var sc = torch.NewDisposeScope();
            var p = new Params();
            p.Conv("branch1.0", 2, 4, 1, true);
            p.Conv("branch2.0", 2, 4, 1, true);
            p.Conv("branch2.2", 3, 2, 3, true);
            p.Conv("branch3.0", 2, 4, 1, true);
            p.Conv("branch3.2", 3, 2, 5, true);
            p.Conv("branch4.1", 2, 4, 1, true);
            Tensor F(Tensor x)
            {
                var b1 = TF.relu(p.ConvF(x, "branch1.0", 1, 0));
                var b2 = TF.relu(p.ConvF(TF.relu(p.ConvF(x, "branch2.0", 1, 0)), "branch2.2", 1, 1));
                var b3 = TF.relu(p.ConvF(TF.relu(p.ConvF(x, "branch3.0", 1, 0)), "branch3.2", 1, 2));
                var b4 = TF.relu(p.ConvF(TF.max_pool2d(x, [3, 3], [1, 1], [1, 1]), "branch4.1", 1, 0));
                return torch.cat([b1, b2, b3, b4], 1);
            }

            cases.Add(Run("inception_v1", "inception_v1", "", A(("in_channels", 4), ("ch1x1", 2), ("ch3x3_reduce", 2), ("ch3x3", 3),
                ("ch5x5_reduce", 2), ("ch5x5", 3), ("pool_proj", 2)), N(1, 2, 4, 5, 6), p.P, F));
        }

        {
            // Residual(body = Sequential(conv3×3 pad 1, ReLU, conv3×3 pad 1), identity shortcut, activation ReLU).
            using var sc = torch.NewDisposeScope();
            var p = new Params();
            p.Conv("body.0", 3, 3, 3, true);
            p.Conv("body.2", 3, 3, 3, true);
            Tensor F(Tensor x) => TF.relu(p.ConvF(TF.relu(p.ConvF(x, "body.0", 1, 1)), "body.2", 1, 1) + x);
            cases.Add(Run("residual_conv_relu", "residual", "", A(("channels", 3)), N(1, 2, 3, 4, 5), p.P, F));
        }

        return cases;
    }
}
