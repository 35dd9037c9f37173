// ZooGolden: PyTorch (TorchSharp 0.107 = libtorch 2.10) goldens for Nabla's model zoo. See README.md.
using System.Text;
using System.Text.Json;
using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

string outDir = args.Length > 0 ? args[0] : Path.Combine("tests", "Nabla.Tests", "Golden");
torch.set_num_threads(1);
torch.set_default_dtype(float64);

// 1. A ResNet-18 of torchvision's structure and names at widths 8/16/32/64, 10 classes: its state dict (float32),
//    an input and PyTorch's logits in eval mode (computed in float64 from the float32-rounded weights).
torch.manual_seed(20261206);
var net = new TinyResNet18(8, 10);
using (torch.no_grad())
{
    foreach (var (name, p) in net.named_parameters())
    {
        p.copy_(name.EndsWith("weight") && p.dim() == 1 ? torch.rand_like(p) + 0.5 : torch.randn_like(p) * (p.dim() > 1 ? 1.0 / Math.Sqrt(p[0].numel()) : 0.1));
    }

    foreach (var (name, b) in net.named_buffers())
    {
        if (name.EndsWith("running_mean")) b.copy_(torch.randn_like(b) * 0.1);
        if (name.EndsWith("running_var")) b.copy_(torch.rand_like(b) + 0.5);
        if (name.EndsWith("num_batches_tracked")) b.fill_(7);
    }

    // Round the weights to float32 once, so that the float64 logits are those of the stored weights.
    foreach (var (_, t) in net.state_dict()) if (t.dtype == float64) t.copy_(t.to(float32).to(float64));
}

net.eval();
var x = torch.randn(2, 3, 32, 32);
var logits = net.forward(x);
var state = net.state_dict();
WriteSafetensors(Path.Combine(outDir, "resnet18_tiny.safetensors"), state);
File.WriteAllText(Path.Combine(outDir, "resnet18_tiny.json"), JsonSerializer.Serialize(new Dictionary<string, object>
{
    ["note"] = "torchvision-structured ResNet-18, widths 8/16/32/64, 10 classes, eval mode; weights in resnet18_tiny.safetensors (tools/ZooGolden)",
    ["input"] = new { shape = x.shape, data = x.data<double>().ToArray() },
    ["logits"] = new { shape = logits.shape, data = logits.data<double>().ToArray() },
    ["relu6"] = Relu6Case(),
}));

// 2. torchvision's state-dict names and shapes of the zoo models TorchSharp's TorchVision builds.
var keys = new Dictionary<string, object>();
void Keys(string name, Module m) => keys[name] = m.state_dict().Where(kv => !kv.Key.StartsWith("aux")).Select(kv => new object[] { kv.Key, kv.Value.shape }).ToArray();
torch.set_default_dtype(float32);
Keys("resnet18", torchvision.models.resnet18());
Keys("resnet50", torchvision.models.resnet50());
Keys("googlenet", torchvision.models.googlenet());
Keys("mobilenet_v2", torchvision.models.mobilenet_v2());
Keys("alexnet", torchvision.models.alexnet());
File.WriteAllText(Path.Combine(outDir, "zoo_keys.json"), JsonSerializer.Serialize(keys));
Console.WriteLine($"wrote resnet18_tiny.safetensors ({new FileInfo(Path.Combine(outDir, "resnet18_tiny.safetensors")).Length} bytes), resnet18_tiny.json, zoo_keys.json");

static object Relu6Case()
{
    // Values on both sides of 0 and 6, and exactly at them (where the gradient is 0, as hardtanh's).
    var x = torch.tensor(new double[] { -1.5, -0.0, 0.0, 0.3, 2.0, 5.9, 6.0, 6.1, 9.0, -7.0, 3.3, 6.5 }).reshape(3, 4).requires_grad_();
    var g = torch.tensor(new double[] { 0.5, -1.0, 2.0, 1.5, -0.7, 0.9, 1.1, -2.0, 0.3, 0.8, -0.4, 1.2 }).reshape(3, 4);
    var y = torch.nn.functional.relu6(x);
    y.backward(new[] { g });
    return new { input = x.detach().data<double>().ToArray(), upstream = g.data<double>().ToArray(), output = y.detach().data<double>().ToArray(), grad_input = x.grad!.data<double>().ToArray(), shape = new[] { 3, 4 } };
}

static void WriteSafetensors(string path, IDictionary<string, Tensor> state)
{
    // int64 first, then float32, each by name: contiguous ranges that tile the data, as the format asks.
    var items = state.OrderBy(kv => kv.Value.dtype == int64 ? 0 : 1).ThenBy(kv => kv.Key, StringComparer.Ordinal).ToList();
    var header = new Dictionary<string, object>();
    using var data = new MemoryStream();
    foreach (var (name, t) in items)
    {
        byte[] bytes = t.dtype == int64 ? t.data<long>().SelectMany(BitConverter.GetBytes).ToArray() : t.to(float32).data<float>().SelectMany(BitConverter.GetBytes).ToArray();
        header[name] = new { dtype = t.dtype == int64 ? "I64" : "F32", shape = t.shape, data_offsets = new[] { data.Length, data.Length + bytes.Length } };
        data.Write(bytes);
    }

    var json = JsonSerializer.Serialize(header);
    json += new string(' ', (8 - (Encoding.UTF8.GetByteCount(json) % 8)) % 8);
    using var f = File.Create(path);
    f.Write(BitConverter.GetBytes((ulong)Encoding.UTF8.GetByteCount(json)));
    f.Write(Encoding.UTF8.GetBytes(json));
    data.Position = 0;
    data.CopyTo(f);
}

/// <summary>torchvision's BasicBlock, with its child names.</summary>
sealed class BasicBlock : Module<Tensor, Tensor>
{
    private readonly Module<Tensor, Tensor> conv1, bn1, relu, conv2, bn2;
    private readonly Module<Tensor, Tensor>? downsample;

    public BasicBlock(int inPlanes, int planes, int stride) : base("BasicBlock")
    {
        conv1 = Conv2d(inPlanes, planes, 3, stride: stride, padding: 1, bias: false);
        bn1 = BatchNorm2d(planes);
        relu = ReLU();
        conv2 = Conv2d(planes, planes, 3, padding: 1, bias: false);
        bn2 = BatchNorm2d(planes);
        if (stride != 1 || inPlanes != planes)
        {
            downsample = Sequential(Conv2d(inPlanes, planes, 1, stride: stride, bias: false), BatchNorm2d(planes));
        }

        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        var y = relu.forward(bn1.forward(conv1.forward(x)));
        y = bn2.forward(conv2.forward(y));
        return relu.forward(y + (downsample is null ? x : downsample.forward(x)));
    }
}

/// <summary>torchvision's ResNet(BasicBlock, [2, 2, 2, 2]) with widths w, 2w, 4w, 8w (torchvision's: w = 64).</summary>
sealed class TinyResNet18 : Module<Tensor, Tensor>
{
    private readonly Module<Tensor, Tensor> conv1, bn1, relu, maxpool, layer1, layer2, layer3, layer4, avgpool, fc;

    public TinyResNet18(int w, int classes) : base("ResNet")
    {
        conv1 = Conv2d(3, w, 7, stride: 2, padding: 3, bias: false);
        bn1 = BatchNorm2d(w);
        relu = ReLU();
        maxpool = MaxPool2d(3, stride: 2, padding: 1);
        layer1 = Sequential(new BasicBlock(w, w, 1), new BasicBlock(w, w, 1));
        layer2 = Sequential(new BasicBlock(w, 2 * w, 2), new BasicBlock(2 * w, 2 * w, 1));
        layer3 = Sequential(new BasicBlock(2 * w, 4 * w, 2), new BasicBlock(4 * w, 4 * w, 1));
        layer4 = Sequential(new BasicBlock(4 * w, 8 * w, 2), new BasicBlock(8 * w, 8 * w, 1));
        avgpool = AdaptiveAvgPool2d(1);
        fc = Linear(8 * w, classes);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        var y = maxpool.forward(relu.forward(bn1.forward(conv1.forward(x))));
        y = layer4.forward(layer3.forward(layer2.forward(layer1.forward(y))));
        return fc.forward(torch.flatten(avgpool.forward(y), 1));
    }
}
