using System.Diagnostics;
using TorchSharp;
using static TorchSharp.torch;

namespace GoldenGen;

/// <summary>
/// PyTorch's version of Nabla's gpt-tiny, to check the validation loss the docs state:
/// <c>dotnet run -c Release --project tools/GoldenGen -- --gpt-tiny TEXT [EPOCHS STEPS BATCH VALBATCHES]</c>.
/// </summary>
/// <remarks>
/// The same model (token + position embeddings N(0, 0.02²); per layer pre-norm causal self-attention with a packed
/// Xavier-uniform q/k/v projection and zero biases, then a GELU feed-forward of 4E; dropout 0.1 on the attention
/// weights, after the activation and on both residual branches; final LayerNorm; bias-free head), the same data (the
/// characters of the text, first 90% for training, random windows of 64) and the same training (AdamW lr 2e-3,
/// weight decay 0.01, gradient norm clipped to 1, validation the mean of VALBATCHES batches drawn alike each epoch).
/// Random streams differ from Nabla's, so the losses agree statistically, not digit for digit. float32, 2 threads.
/// </remarks>
public static class GptReference
{
    private const int T = 64, E = 64, H = 4, Layers = 2, F = 4 * E;
    private const double P = 0.1;

    public static int Run(string[] argv)
    {
        string text = File.ReadAllText(argv[1]);
        int epochs = argv.Length > 2 ? int.Parse(argv[2]) : 5, steps = argv.Length > 3 ? int.Parse(argv[3]) : 200;
        int batch = argv.Length > 4 ? int.Parse(argv[4]) : 64, valBatches = argv.Length > 5 ? int.Parse(argv[5]) : 20;
        torch.set_default_dtype(float32);
        torch.set_num_threads(2);
        torch.manual_seed(0);
        var chars = text.Distinct().Order().ToArray();
        var index = chars.Select((c, i) => (c, i)).ToDictionary(p => p.c, p => (long)p.i);
        var tokens = text.Select(c => index[c]).ToArray();
        int split = (int)(tokens.Length * 0.9);
        var (train, val) = (tokens[..split], tokens[split..]);
        int v = chars.Length;

        var m = new Model(v);
        var opt = torch.optim.AdamW(m.Parameters, 2e-3, weight_decay: 0.01);
        var rng = new Random(1);
        var clock = Stopwatch.StartNew();
        Console.WriteLine($"PyTorch gpt-tiny: {m.Parameters.Sum(p => p.numel())} parameters, {v} characters, {epochs} epochs of {steps} steps, batch {batch}");
        for (int epoch = 1; epoch <= epochs; epoch++)
        {
            double sum = 0;
            for (int s = 0; s < steps; s++)
            {
                using var scope = torch.NewDisposeScope();
                var (x, y) = Batch(train, batch, rng);
                opt.zero_grad();
                var loss = m.Loss(x, y, true);
                loss.backward();
                torch.nn.utils.clip_grad_norm_(m.Parameters, 1.0);
                opt.step();
                sum += loss.item<float>();
            }

            double vl = 0;
            var vrng = new Random(2);
            using (torch.no_grad())
            {
                for (int i = 0; i < valBatches; i++)
                {
                    using var scope = torch.NewDisposeScope();
                    var (x, y) = Batch(val, batch, vrng);
                    vl += m.Loss(x, y, false).item<float>();
                }
            }

            Console.WriteLine($"epoch {epoch}/{epochs}  train loss {sum / steps:F4}  val loss {vl / valBatches:F4}  ({clock.Elapsed.TotalSeconds:F1} s)");
        }

        return 0;
    }

    private static (Tensor X, Tensor Y) Batch(long[] part, int batch, Random rng)
    {
        var x = new long[batch * T];
        var y = new long[batch * T];
        for (int b = 0; b < batch; b++)
        {
            int start = rng.Next(part.Length - T);
            Array.Copy(part, start, x, b * T, T);
            Array.Copy(part, start + 1, y, b * T, T);
        }

        return (torch.tensor(x).reshape(batch, T), torch.tensor(y).reshape(batch, T));
    }

    private sealed class Model
    {
        private readonly TorchSharp.Modules.Parameter wte, wpe;
        private readonly List<(TorchSharp.Modules.LayerNorm Ln1, TorchSharp.Modules.Linear Qkv, TorchSharp.Modules.Linear Out, TorchSharp.Modules.LayerNorm Ln2, TorchSharp.Modules.Linear L1, TorchSharp.Modules.Linear L2)> blocks = [];
        private readonly TorchSharp.Modules.LayerNorm lnF;
        private readonly TorchSharp.Modules.Linear head;

        public Model(int v)
        {
            wte = nn.Parameter(torch.randn(v, E) * 0.02);
            wpe = nn.Parameter(torch.randn(T, E) * 0.02);
            for (int i = 0; i < Layers; i++)
            {
                var qkv = nn.Linear(E, 3 * E);
                var outp = nn.Linear(E, E);
                using (torch.no_grad())
                {
                    nn.init.xavier_uniform_(qkv.weight!);
                    qkv.bias!.zero_();
                    outp.bias!.zero_();
                }

                blocks.Add((nn.LayerNorm(E), qkv, outp, nn.LayerNorm(E), nn.Linear(E, F), nn.Linear(F, E)));
            }

            lnF = nn.LayerNorm(E);
            head = nn.Linear(E, v, hasBias: false);
            Parameters = [wte, wpe, .. blocks.SelectMany(b => new nn.Module[] { b.Ln1, b.Qkv, b.Out, b.Ln2, b.L1, b.L2 }.SelectMany(mm => mm.parameters())),
                .. lnF.parameters(), .. head.parameters()];
        }

        public List<TorchSharp.Modules.Parameter> Parameters { get; }

        public Tensor Loss(Tensor idx, Tensor y, bool training)
        {
            long b = idx.shape[0], t = idx.shape[1];
            var x = wte.index_select(0, idx.reshape(-1)).reshape(b, t, E) + wpe.narrow(0, 0, t);
            foreach (var blk in blocks)
            {
                var qkv = blk.Qkv.forward(blk.Ln1.forward(x)).reshape(b, t, 3, H, E / H).permute(2, 0, 3, 1, 4);
                var o = nn.functional.scaled_dot_product_attention(qkv[0], qkv[1], qkv[2], null, training ? P : 0, true);
                x = x + nn.functional.dropout(blk.Out.forward(o.transpose(1, 2).reshape(b, t, E)), P, training);
                var h = nn.functional.dropout(nn.functional.gelu(blk.L1.forward(blk.Ln2.forward(x))), P, training);
                x = x + nn.functional.dropout(blk.L2.forward(h), P, training);
            }

            var logits = head.forward(lnF.forward(x));
            return nn.functional.cross_entropy(logits.reshape(-1, logits.shape[2]), y.reshape(-1));
        }
    }
}
