// Training workloads with the same models, batches and iteration definition as the reference harness
// (../../shared/bench/README.md): zero_grad (in place) + forward + cross-entropy + backward + step, on the
// same random batch and labels every iteration.
using System.Text.Json.Nodes;
using Nabla.NN;
using Nabla.Optim;

namespace Nabla.Bench;

internal static class ModelWorkloads
{
    public static IEnumerable<Workload> All() => [LeNet5Train(), MlpTrain(), ResNet8Train()];

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
}
