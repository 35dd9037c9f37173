// Self-supervised pre-training with a convolutional autoencoder, then few-label classification.
//
//   dotnet run -c Release --project examples/AutoencoderPretraining
//
// 1. A denoising convolutional autoencoder (encoder: two stride-2 3×3 convolutions, 1→16→32 channels, 28×28 → 7×7,
//    then a 16-number code; decoder: the mirror image, with two transposed convolutions back to 28×28) learns to
//    reconstruct 8,000 unlabelled images from copies with 30% of their pixels dropped (MSE loss, Adam).
// 2. A linear classifier on its convolutional feature maps (32×7×7) is trained on only 10 labelled images per
//    class, three times: on the pre-trained convolutions frozen (pattern "0.*"), on them fine-tuned, and from
//    scratch (same architecture, same labels).
// 3. Both are tested on 2,000 held-out images and the gain of pre-training is reported.
// The images are real MNIST digits from ../shared/data/mnist next to the repository when present (first 8,000
// unlabelled, last 2,000 to test), else Nabla's built-in synthetic digits. Takes well under a minute.
using System.Diagnostics;
using Nabla;
using Nabla.Data;
using Nabla.NN;
using Nabla.Optim;
using Nabla.Training;

const int Code = 16; // the bottleneck: each image is squeezed into 16 numbers
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
    new Flatten(), new Linear(32 * 7 * 7, Code, generator: g));

// 1. Pre-train the autoencoder on images only: the target is the input.
var encoder = Encoder(new Generator(0));
var autoencoder = new Sequential(encoder,
    new Linear(Code, 32 * 7 * 7, generator: new Generator(1)), new ReLU(), new Unflatten(1, [32, 7, 7]),
    new ConvTranspose2d(32, 16, 3, stride: 2, padding: 1, outputPadding: 1, generator: new Generator(1)), new ReLU(),
    new ConvTranspose2d(16, 1, 3, stride: 2, padding: 1, outputPadding: 1, generator: new Generator(2)), new Sigmoid());
// Denoising: the input has 30% of its pixels dropped, the target is the clean image, so the code must capture shape.
var keep = Tensor.Rand(pool.Inputs.Shape, new Generator(6)).Gt(0.3).To(DType.Float32);
var unlabelled = new TensorDataset(pool.Inputs * keep, pool.Inputs);
var ae = new Trainer(autoencoder, new Adam(autoencoder.Parameters(), lr: 2e-3), (o, t) => F.MseLoss(o, t)) { Log = Console.Out };
ae.Fit(new DataLoader(unlabelled, 64, shuffle: true, generator: new Generator(3)), 8);

// 2. Few labels: the first 10 images of each class.
var labels = pool.Targets.ToInt64Array();
var taken = new int[10];
var few = pool.GetBatch(Enumerable.Range(0, pool.Count).Where(i => taken[labels[i]]++ < 10).ToArray());
var fewLabels = new TensorDataset(few.Input, few.Target);

double Classify(Sequential features, bool freeze)
{
    // The classifier reads the encoder's convolutional feature maps (its first four layers: 32×7×7).
    var convs = new Sequential(features[0], features[1], features[2], features[3]);
    var model = new Sequential(convs, new Flatten(), new Linear(32 * 7 * 7, 10, generator: new Generator(4)));
    if (freeze)
    {
        model.RequiresGrad(false, "0.*");
    }

    var trainer = new Trainer(model, new Adam(model.Parameters().Where(p => p.RequiresGrad), lr: 1e-3));
    trainer.Fit(new DataLoader(fewLabels, 20, shuffle: true, generator: new Generator(5)), 60);
    return trainer.Evaluate(new DataLoader(test, 500)).Accuracy;
}

var saved = encoder.StateDict().ToDictionary(kv => kv.Key, kv => kv.Value.Detach().Clone());
double frozen = Classify(encoder, freeze: true);
encoder.LoadStateDict(saved);
encoder.RequiresGrad(true);
double finetuned = Classify(encoder, freeze: false);
double scratch = Classify(Encoder(new Generator(0)), freeze: false);
Console.WriteLine($"classifier on {fewLabels.Count} labels, tested on {test.Count} images:");
Console.WriteLine($"  from scratch:                          {scratch:P2}");
Console.WriteLine($"  pre-trained encoder, frozen:           {frozen:P2}");
Console.WriteLine($"  pre-trained encoder, fine-tuned:       {finetuned:P2}");
double best = Math.Max(frozen, finetuned);
Console.WriteLine($"  gain from unlabelled pre-training: {(best - scratch) * 100:+0.00;-0.00} points  ({clock.Elapsed.TotalSeconds:F0} s)");

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
