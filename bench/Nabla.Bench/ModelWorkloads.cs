// Training workloads with the same models, batches and iteration definition as the reference harness
// (../../shared/bench/README.md): zero_grad (in place) + forward + cross-entropy + backward + step, on the
// same random batch and labels every iteration.
using System.Text.Json.Nodes;
using Nabla.NN;
using Nabla.Optim;

namespace Nabla.Bench;

internal static class ModelWorkloads
{
    public static IEnumerable<Workload> All() => [LeNet5Train(), MlpTrain(), ResNet8Train(), ResNet18Fwd()];

    private static JsonArray Arr(params int[] dims) => new(dims.Select(d => (JsonNode)d).ToArray());

    private static Bench TrainLoop(Module model, Optimizer optimizer, Tensor x, Tensor y)
    {
        var loss = new CrossEntropyLoss();
        return new Bench(() =>
        {
            optimizer.ZeroGrad();
            loss.Forward(model.Forward(x), y).Backward();
            optimizer.Step();
        });
    }

    private static Workload LeNet5Train()
    {
        const int bs = 64;
        double macs = (6 * 28 * 28 * 25.0) + (16 * 10 * 10 * 150.0) + (120 * 400.0) + (120 * 84) + (84 * 10);
        var p = new JsonObject
        {
            ["batch"] = bs, ["input"] = Arr(bs, 1, 32, 32),
            ["model"] = "conv 1->6 5x5, tanh, avgpool 2, conv 6->16 5x5, tanh, avgpool 2, conv 16->120 5x5, tanh, flatten, linear 120->84, tanh, linear 84->10",
            ["loss"] = "cross_entropy, random labels", ["optimizer"] = "SGD lr=0.01 momentum=0.9",
            ["fwd_macs_per_sample"] = macs,
        };
        return new Workload("lenet5_train", p, "images/s", bs, 6 * macs * bs, () =>
        {
            var g = new Generator(0);
            var model = new Sequential(
                new Conv2d(1, 6, 5, generator: g), new Tanh(), new AvgPool2d(2),
                new Conv2d(6, 16, 5, generator: g), new Tanh(), new AvgPool2d(2),
                new Conv2d(16, 120, 5, generator: g), new Tanh(), new Flatten(),
                new Linear(120, 84, generator: g), new Tanh(), new Linear(84, 10, generator: g));
            var opt = new SGD(model.Parameters(), lr: 0.01, momentum: 0.9);
            return TrainLoop(model, opt, Tensor.Randn(new Shape(bs, 1, 32, 32), g), Tensor.Randint(0, 10, new Shape(bs), g));
        });
    }

    private static Workload MlpTrain()
    {
        const int bs = 128;
        double macs = (784 * 256) + (256 * 128) + (128 * 10);
        var p = new JsonObject
        {
            ["batch"] = bs, ["input"] = Arr(bs, 784),
            ["model"] = "linear 784->256, relu, linear 256->128, relu, linear 128->10",
            ["loss"] = "cross_entropy, random labels", ["optimizer"] = "Adam lr=1e-3",
            ["fwd_macs_per_sample"] = macs,
        };
        return new Workload("mlp_train", p, "samples/s", bs, 6 * macs * bs, () =>
        {
            var g = new Generator(0);
            var model = new Sequential(new Linear(784, 256, generator: g), new ReLU(), new Linear(256, 128, generator: g), new ReLU(), new Linear(128, 10, generator: g));
            var opt = new Adam(model.Parameters(), lr: 1e-3);
            return TrainLoop(model, opt, Tensor.Randn(new Shape(bs, 784), g), Tensor.Randint(0, 10, new Shape(bs), g));
        });
    }

    private static Workload ResNet8Train()
    {
        const int bs = 32;
        double macs = (16 * 32 * 32 * 27.0) + (2 * (16 * 32 * 32 * 144.0))
            + (32 * 16 * 16 * 144.0) + (32 * 16 * 16 * 288.0) + (32 * 16 * 16 * 16.0)
            + (64 * 8 * 8 * 288.0) + (64 * 8 * 8 * 576.0) + (64 * 8 * 8 * 32.0) + (64 * 10);
        var p = new JsonObject
        {
            ["batch"] = bs, ["input"] = Arr(bs, 3, 32, 32),
            ["model"] = "conv3x3 3->16 + BN + ReLU; basic blocks 16 (s1), 32 (s2, projection), 64 (s2, projection); global avg pool; linear 64->10",
            ["loss"] = "cross_entropy, random labels", ["optimizer"] = "SGD lr=0.01 momentum=0.9",
            ["fwd_macs_per_sample"] = macs,
        };
        return new Workload("resnet8_train", p, "images/s", bs, 6 * macs * bs, () =>
        {
            var g = new Generator(0);
            var model = new Sequential(
                new Conv2d(3, 16, 3, 1, 1, bias: false, generator: g), new BatchNorm2d(16), new ReLU(),
                new BasicBlock(16, 16, 1, g), new BasicBlock(16, 32, 2, g), new BasicBlock(32, 64, 2, g),
                new AdaptiveAvgPool2d(1), new Flatten(), new Linear(64, 10, generator: g));
            var opt = new SGD(model.Parameters(), lr: 0.01, momentum: 0.9);
            return TrainLoop(model, opt, Tensor.Randn(new Shape(bs, 3, 32, 32), g), Tensor.Randint(0, 10, new Shape(bs), g));
        });
    }

    // torchvision's ResNet-18 (11,689,512 parameters), forward only under NoGrad in eval mode (BN with running
    // statistics), batch [8,3,224,224]; built in code with the same blocks as examples/models/resnet18.yaml.
    private static Workload ResNet18Fwd()
    {
        const int bs = 8;
        const long torchvisionParams = 11_689_512;
        double macs = (64 * 112 * 112 * 147.0)                                                          // conv1 7x7/2 3->64
            + (4 * (64 * 56 * 56 * 576.0))                                                               // layer1
            + (128 * 28 * 28 * 576.0) + (3 * (128 * 28 * 28 * 1152.0)) + (128 * 28 * 28 * 64.0)         // layer2 + 1x1 projection
            + (256 * 14 * 14 * 1152.0) + (3 * (256 * 14 * 14 * 2304.0)) + (256 * 14 * 14 * 128.0)       // layer3
            + (512 * 7 * 7 * 2304.0) + (3 * (512 * 7 * 7 * 4608.0)) + (512 * 7 * 7 * 256.0)             // layer4
            + (512 * 1000);                                                                              // fc
        var p = new JsonObject
        {
            ["batch"] = bs, ["input"] = Arr(bs, 3, 224, 224),
            ["model"] = "torchvision ResNet-18: conv7x7/2 3->64 + BN + ReLU + maxpool 3x3/2 pad 1; BasicBlock stages [2,2,2,2] of 64/128/256/512 channels, "
                      + "first block of stages 2-4 stride 2 with 1x1 conv+BN projection; global avg pool; linear 512->1000",
            ["params_count"] = torchvisionParams,
            ["iteration"] = "forward only under NoGrad, eval mode (BN uses running statistics); same random batch every iteration",
            ["fwd_macs_per_sample"] = macs, ["approx_gflops_convention"] = "2*fwd_macs*batch per iteration",
        };
        return new Workload("resnet18_fwd", p, "images/s", bs, 2 * macs * bs, () =>
        {
            var g = new Generator(0);
            Sequential Stage(int cin, int cout, int stride) => new(new BasicBlock(cin, cout, stride, g), new BasicBlock(cout, cout, 1, g));
            var model = new Sequential(
                new Conv2d(3, 64, 7, 2, 3, bias: false, generator: g), new BatchNorm2d(64), new ReLU(), new MaxPool2d(3, 2, 1),
                Stage(64, 64, 1), Stage(64, 128, 2), Stage(128, 256, 2), Stage(256, 512, 2),
                new AdaptiveAvgPool2d(1), new Flatten(), new Linear(512, 1000, generator: g));
            long count = model.Parameters().Sum(t => t.Numel);
            if (count != torchvisionParams) throw new InvalidOperationException($"resnet18_fwd: {count} parameters, torchvision has {torchvisionParams}");
            model.Eval();
            var x = Tensor.Randn(new Shape(bs, 3, 224, 224), g);
            return new Bench(() =>
            {
                using var _ = GradMode.NoGrad();
                model.Forward(x);
            });
        });
    }
}
