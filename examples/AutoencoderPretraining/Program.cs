// Self-supervised pre-training with a convolutional autoencoder, then few-label classification.
//
//   dotnet run -c Release --project examples/AutoencoderPretraining
//
// 1. A convolutional autoencoder (encoder: two stride-2 3×3 convolutions, 1→16→32 channels, 28×28 → 7×7, then a
//    64-number code; decoder: the mirror image, with two transposed convolutions back to 28×28) learns to reconstruct 8,000 unlabelled images (MSE loss, Adam).
// 2. Its encoder, under a small linear classifier, is trained on only 10 labelled images per class, twice: with the
//    pre-trained encoder frozen (pattern "0.*": the encoder is child 0), and from scratch (same architecture and labels).
// 3. Both are tested on 2,000 held-out images and the gain of pre-training is reported.
// The images are real MNIST digits from ../shared/data/mnist next to the repository when present (first 8,000
// unlabelled, last 2,000 to test), else Nabla's built-in synthetic digits. Takes well under a minute.
using System.Diagnostics;
using Nabla;
using Nabla.Data;
using Nabla.NN;
using Nabla.Optim;
using Nabla.Training;

const int Code = 64; // the bottleneck: each image is squeezed into 64 numbers
var clock = Stopwatch.StartNew();
string? mnist = FindMnist();
TensorDataset pool, test;
if (mnist is not null)
{
    var all = new MNIST(mnist, train: false).Data;
    (pool, test) = (all.Slice(0, 8000), all.Slice(8000, 2000));
}
else
{
    (pool, test) = (SyntheticDigits.Generate(8000, 1), SyntheticDigits.Generate(2000, 2));
}

Console.WriteLine($"data: {(mnist is null ? "built-in synthetic digits" : $"MNIST from {mnist}")}: {pool.Count} unlabelled images, {test.Count} test images");

Sequential Encoder(Generator g) => new(
    new Conv2d(1, 16, 3, stride: 2, padding: 1, generator: g), new ReLU(),
    new Conv2d(16, 32, 3, stride: 2, padding: 1, generator: g), new ReLU(),
    new Flatten(), new Linear(32 * 7 * 7, Code, generator: g), new ReLU());

// 1. Pre-train the autoencoder on images only: the target is the input.
var encoder = Encoder(new Generator(0));
var autoencoder = new Sequential(encoder,
    new Linear(Code, 32 * 7 * 7, generator: new Generator(1)), new ReLU(), new Unflatten(1, [32, 7, 7]),
    new ConvTranspose2d(32, 16, 3, stride: 2, padding: 1, outputPadding: 1, generator: new Generator(1)), new ReLU(),
    new ConvTranspose2d(16, 1, 3, stride: 2, padding: 1, outputPadding: 1, generator: new Generator(2)), new Sigmoid());
var unlabelled = new TensorDataset(pool.Inputs, pool.Inputs);
var ae = new Trainer(autoencoder, new Adam(autoencoder.Parameters(), lr: 2e-3), (o, t) => F.MseLoss(o, t)) { Log = Console.Out };
ae.Fit(new DataLoader(unlabelled, 64, shuffle: true, generator: new Generator(3)), 4);

// 2. Few labels: the first 10 images of each class.
var labels = pool.Targets.ToInt64Array();
var taken = new int[10];
var few = pool.GetBatch(Enumerable.Range(0, pool.Count).Where(i => taken[labels[i]]++ < 10).ToArray());
var fewLabels = new TensorDataset(few.Input, few.Target);

double Classify(Sequential features, bool freeze)
{
    var model = new Sequential(features, new Linear(Code, 10, generator: new Generator(4)));
    if (freeze)
    {
        model.RequiresGrad(false, "0.*");
    }

    var trainer = new Trainer(model, new Adam(model.Parameters().Where(p => p.RequiresGrad), lr: 1e-3));
    trainer.Fit(new DataLoader(fewLabels, 20, shuffle: true, generator: new Generator(5)), 60);
    return trainer.Evaluate(new DataLoader(test, 500)).Accuracy;
}

double pretrained = Classify(encoder, freeze: true);
double scratch = Classify(Encoder(new Generator(0)), freeze: false);
Console.WriteLine($"classifier on {fewLabels.Count} labels, tested on {test.Count} images:");
Console.WriteLine($"  from scratch:                          {scratch:P2}");
Console.WriteLine($"  on the pre-trained encoder (frozen):   {pretrained:P2}");
Console.WriteLine($"  gain from unlabelled pre-training: {(pretrained - scratch) * 100:+0.00;-0.00} points  ({clock.Elapsed.TotalSeconds:F0} s)");

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
