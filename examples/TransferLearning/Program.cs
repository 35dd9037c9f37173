// Transfer learning with Nabla: pre-train, save, load, freeze by name pattern, replace the head, fine-tune.
//
//   dotnet run -c Release --project examples/TransferLearning
//
// Source task: LeNet-5 learns Nabla's built-in synthetic digits (8,000 drawn images, 3 epochs); its weights are
// saved in safetensors under PyTorch's names. Target task: real handwritten MNIST digits with only 10 labelled
// images per class (from ../shared/data/mnist next to the repository; without it, the example falls back to
// synthetic digits of another seed). The pre-trained network is loaded, its convolutional layers frozen by name
// pattern ("0.*", "3.*", "6.*"), its head replaced by a fresh one, and only what is unfrozen is trained. The
// same network trained from scratch on the same 100 labels is the baseline.
using System.Diagnostics;
using Nabla.Formats;
using Nabla;
using Nabla.Data;
using Nabla.NN;
using Nabla.Optim;
using Nabla.Training;

var clock = Stopwatch.StartNew();
var prep = new Compose(new Pad(2), new Normalize(0.1307, 0.3081));
TensorDataset Prepare(TensorDataset d) => new(prep.Apply(d.Inputs, new Generator(0)), d.Targets);

// The first `perClass` samples of each class.
TensorDataset FewPerClass(TensorDataset d, int perClass)
{
    var labels = d.Targets.ToInt64Array();
    var taken = new int[10];
    var idx = Enumerable.Range(0, d.Count).Where(i => taken[labels[i]]++ < perClass).ToArray();
    var b = d.GetBatch(idx);
    return new TensorDataset(b.Input, b.Target);
}

double Fit(Module model, TensorDataset train, TensorDataset test, int epochs, double lr, int batch)
{
    var trainer = new Trainer(model, new SGD(model.Parameters().Where(p => p.RequiresGrad), lr: lr, momentum: 0.9));
    trainer.Fit(new DataLoader(train, batch, shuffle: true, generator: new Generator(1)), epochs);
    return trainer.Evaluate(new DataLoader(test, 500)).Accuracy;
}

// 1. Pre-train on the synthetic digits and save the weights.
var source = BuiltinModels.LeNet5(new Generator(0));
double sourceAcc = Fit(source, Prepare(SyntheticDigits.Generate(8000, 1)), Prepare(SyntheticDigits.Generate(1000, 2)), 3, 0.05, 64);
string weights = Path.Combine(Path.GetTempPath(), "nabla-lenet5-synthetic.safetensors");
Safetensors.Save(weights, source.StateDict(), new Dictionary<string, string> { ["format"] = "pt" });
Console.WriteLine($"pre-trained on synthetic digits: test accuracy {sourceAcc:P2}; weights saved to {weights}");

// 2. The target task: few labels.
string? mnist = FindMnist();
TensorDataset pool, targetTest;
if (mnist is not null)
{
    var all = new MNIST(mnist, train: false).Data;
    (pool, targetTest) = (all.Slice(0, 8000), all.Slice(8000, 2000));
}
else
{
    Console.WriteLine("(../shared/data/mnist not found: using synthetic digits of another seed as the target task)");
    (pool, targetTest) = (SyntheticDigits.Generate(1000, 77), SyntheticDigits.Generate(2000, 78));
}

var fewLabels = Prepare(FewPerClass(pool, 10));
targetTest = Prepare(targetTest);

// 3. Load, freeze the feature extractor by pattern, replace the head, train only what is unfrozen.
var transfer = BuiltinModels.LeNet5(new Generator(10));
transfer.LoadStateDict(Safetensors.Load(weights).Tensors);
transfer.RequiresGrad(false, "0.*").RequiresGrad(false, "3.*").RequiresGrad(false, "6.*");
transfer.ReplaceModule("11", new Linear(84, 10, generator: new Generator(11)));
long trainable = transfer.Parameters().Where(p => p.RequiresGrad).Sum(p => p.Numel);
long total = transfer.Parameters().Sum(p => p.Numel);
double transferAcc = Fit(transfer, fewLabels, targetTest, 40, 0.02, 20);

// 4. Baseline: the same network from scratch on the same labels.
var scratch = BuiltinModels.LeNet5(new Generator(10));
double scratchAcc = Fit(scratch, fewLabels, targetTest, 40, 0.02, 20);

Console.WriteLine($"{(mnist is null ? "synthetic" : "MNIST")} digits from {fewLabels.Count} labels, tested on {targetTest.Count} images:");
Console.WriteLine($"  from scratch (all {total:N0} parameters trained):          {scratchAcc:P2}");
Console.WriteLine($"  transferred (convolutions frozen, {trainable:N0} trained): {transferAcc:P2}");
Console.WriteLine($"  gain: {(transferAcc - scratchAcc) * 100:+0.00;-0.00} points  ({clock.Elapsed.TotalSeconds:F0} s)");

// ../shared/data/mnist relative to the folder that holds Nabla.slnx.
static string? FindMnist()
{
    for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
    {
        if (File.Exists(Path.Combine(dir.FullName, "Nabla.slnx")))
        {
            string m = Path.GetFullPath(Path.Combine(dir.FullName, "..", "shared", "data", "mnist"));
            return File.Exists(Path.Combine(m, "t10k-images-idx3-ubyte.gz")) ? m : null;
        }
    }

    return null;
}
