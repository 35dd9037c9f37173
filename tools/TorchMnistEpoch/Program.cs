// PyTorch (TorchSharp) time per epoch for the reference LeNet-5 MNIST training, set up like
// `nabla train --model lenet5 --data mnist:../shared/data/mnist --epochs 10`:
// the 10,000 MNIST test digits split 8,000 train / 2,000 test, padded to 32×32, normalised (0.1307, 0.3081),
// tanh LeNet-5, cross-entropy, SGD lr 0.05 momentum 0.9, batch 64, shuffled each epoch, test batches of 500.

using System.Diagnostics;
using System.Globalization;
using System.IO.Compression;
using TorchSharp;
using static TorchSharp.torch;

var inv = CultureInfo.InvariantCulture;
int threads = 2, epochs = 10;
string dataDir = Path.Combine("..", "shared", "data", "mnist");
for (int i = 0; i < args.Length; i++)
{
    string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
    switch (args[i])
    {
        case "--threads": threads = int.Parse(Next(), inv); break;
        case "--epochs": epochs = int.Parse(Next(), inv); break;
        case "--data": dataDir = Next(); break;
        default:
            Console.Error.WriteLine($"unknown option '{args[i]}'\nusage: TorchMnistEpoch [--threads N (2)] [--epochs E (10)] [--data DIR (../shared/data/mnist)]");
            return 2;
    }
}

torch.set_num_threads(threads);
torch.manual_seed(0);

// ---- data: IDX (gzip), the 10,000 test digits; first 8,000 train, last 2,000 test ----
byte[] images = ReadIdx(Path.Combine(dataDir, "t10k-images-idx3-ubyte.gz"), 0x803, out int[] imgDims);
byte[] labels = ReadIdx(Path.Combine(dataDir, "t10k-labels-idx1-ubyte.gz"), 0x801, out int[] lblDims);
int n = imgDims[0], rows = imgDims[1], cols = imgDims[2];
if (lblDims[0] != n)
{
    throw new InvalidDataException($"{n} images but {lblDims[0]} labels");
}

const int Size = 32;
int padR = (Size - rows) / 2, padC = (Size - cols) / 2;
// Pad with zeros first, then normalise (as Nabla's Prepare does: Pad, then Normalize), so the border is (0 - mean) / std.
var pixels = new float[n * Size * Size];
for (int s = 0; s < n; s++)
{
    for (int r = 0; r < Size; r++)
    {
        for (int c = 0; c < Size; c++)
        {
            int sr = r - padR, sc = c - padC;
            float v = sr >= 0 && sr < rows && sc >= 0 && sc < cols ? images[(s * rows + sr) * cols + sc] / 255f : 0f;
            pixels[(s * Size + r) * Size + c] = (v - 0.1307f) / 0.3081f;
        }
    }
}

var targets = labels.Select(b => (long)b).ToArray();
int cut = n * 4 / 5;
var xAll = torch.tensor(pixels, [n, 1, Size, Size]);
var yAll = torch.tensor(targets, [n]);
var xTrain = xAll.narrow(0, 0, cut);
var yTrain = yAll.narrow(0, 0, cut);
var xTest = xAll.narrow(0, cut, n - cut);
var yTest = yAll.narrow(0, cut, n - cut);
int nTrain = cut, nTest = n - cut;

// ---- model, optimizer ----
var model = nn.Sequential(
    nn.Conv2d(1, 6, 5), nn.Tanh(), nn.AvgPool2d(2),
    nn.Conv2d(6, 16, 5), nn.Tanh(), nn.AvgPool2d(2),
    nn.Conv2d(16, 120, 5), nn.Tanh(), nn.Flatten(),
    nn.Linear(120, 84), nn.Tanh(), nn.Linear(84, 10));
var optimizer = torch.optim.SGD(model.parameters(), 0.05, momentum: 0.9);
var lossFn = nn.CrossEntropyLoss();
var shuffle = new Generator(1); // Nabla: the train loader's generator is seeded with seed + 1
const int Batch = 64, TestBatch = 500;

Console.WriteLine(string.Create(inv,
    $"TorchSharp LeNet-5 on MNIST {dataDir} ({nTrain} train, {nTest} test), {epochs} epochs, batch {Batch}, SGD lr 0.05 momentum 0.9, {threads} threads (torch.get_num_threads() = {torch.get_num_threads()})"));
Console.WriteLine("epoch  train_loss  train_acc  test_acc  train_s  eval_s");

var epochTimes = new List<double>();
double testAcc = double.NaN;
for (int epoch = 1; epoch <= epochs; epoch++)
{
    model.train();
    double lossSum = 0;
    long correct = 0;
    var clock = Stopwatch.StartNew();
    using (var scope = torch.NewDisposeScope())
    {
        var perm = torch.randperm(nTrain, generator: shuffle);
        for (int start = 0; start < nTrain; start += Batch)
        {
            using var batchScope = torch.NewDisposeScope();
            int b = Math.Min(Batch, nTrain - start);
            var idx = perm.narrow(0, start, b);
            var x = xTrain.index_select(0, idx);
            var y = yTrain.index_select(0, idx);
            optimizer.zero_grad();
            var output = model.forward(x);
            var loss = lossFn.forward(output, y);
            loss.backward();
            optimizer.step();
            lossSum += loss.item<float>() * b;
            correct += output.argmax(1).eq(y).sum().item<long>();
        }
    }

    double trainSeconds = clock.Elapsed.TotalSeconds;
    epochTimes.Add(trainSeconds);

    var evalClock = Stopwatch.StartNew();
    model.eval();
    long testCorrect = 0;
    using (torch.no_grad())
    using (var scope = torch.NewDisposeScope())
    {
        for (int start = 0; start < nTest; start += TestBatch)
        {
            int b = Math.Min(TestBatch, nTest - start);
            var output = model.forward(xTest.narrow(0, start, b));
            testCorrect += output.argmax(1).eq(yTest.narrow(0, start, b)).sum().item<long>();
        }
    }

    double evalSeconds = evalClock.Elapsed.TotalSeconds;
    testAcc = (double)testCorrect / nTest;
    Console.WriteLine(string.Create(inv,
        $"{epoch,5}  {lossSum / nTrain,10:F4}  {100.0 * correct / nTrain,8:F2}%  {100 * testAcc,7:F2}%  {trainSeconds,7:F3}  {evalSeconds,6:F3}"));
}

double mean = epochTimes.Count == 0 ? 0 : epochTimes.Average();
Console.WriteLine(string.Create(inv,
    $"mean epoch (training pass) {mean:F3} s over {epochTimes.Count} epochs; final test accuracy {100 * testAcc:F2}% ({nTest} images)"));
Console.WriteLine(string.Create(inv,
    $"{{\"threads\":{threads},\"mean_epoch_s\":{Math.Round(mean, 4)},\"test_acc\":{Math.Round(testAcc, 4)}}}"));
return 0;

static byte[] ReadIdx(string path, int magic, out int[] dims)
{
    using var file = File.OpenRead(path);
    using var gz = new GZipStream(file, CompressionMode.Decompress);
    using var ms = new MemoryStream();
    gz.CopyTo(ms);
    var bytes = ms.ToArray();
    int ReadInt(int offset) => (bytes[offset] << 24) | (bytes[offset + 1] << 16) | (bytes[offset + 2] << 8) | bytes[offset + 3];
    int m = ReadInt(0);
    if (m != magic)
    {
        throw new InvalidDataException($"{path}: magic 0x{m:X} (expected 0x{magic:X})");
    }

    int rank = m & 0xFF;
    dims = new int[rank];
    long count = 1;
    for (int d = 0; d < rank; d++)
    {
        dims[d] = ReadInt(4 + 4 * d);
        count *= dims[d];
    }

    int header = 4 + 4 * rank;
    if (bytes.Length - header != count)
    {
        throw new InvalidDataException($"{path}: {bytes.Length - header} data bytes, expected {count}");
    }

    return bytes[header..];
}
