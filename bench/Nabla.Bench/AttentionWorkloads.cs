// The attention and Transformer workloads of ../../shared/bench/README.md. attention_fwd: causal
// F.ScaledDotProductAttention on q, k, v [8,8,256,32] under NoGrad, default scale 1/√32, new output each call.
// transformer_train: TransformerEncoder of 2 TransformerEncoderLayer(d_model 256, nhead 8, dim_feedforward 1024,
// dropout 0, relu, batch_first, post-norm) on [32,128,256], mean over tokens, linear 256->10, cross-entropy,
// Adam lr 1e-4; one iteration = zero_grad + forward + loss + backward + step. The reference writes the layer out
// only because TorchSharp's layer lacks batch_first/norm_first; ours is Nabla's own layer with PyTorch's op order
// (packed in-projection, SDPA without mask, out-projection; LN1(x + MHA(x)), LN2(x + FF(x))).
using System.Text.Json.Nodes;
using Nabla.NN;
using Nabla.Optim;

namespace Nabla.Bench;

internal static class AttentionWorkloads
{
    private const int AttnBatch = 8, AttnHeads = 8, AttnTokens = 256, AttnHeadDim = 32;
    private const int TfBatch = 32, TfSeq = 128, TfModel = 256, TfHeads = 8, TfFF = 1024, TfLayers = 2, TfClasses = 10;

    public static IEnumerable<Workload> All() => [AttentionFwd(), TransformerTrain()];

    private static JsonArray Arr(params int[] dims) => new(dims.Select(d => (JsonNode)d).ToArray());

    private static Workload AttentionFwd()
    {
        const int b = AttnBatch, h = AttnHeads, t = AttnTokens, d = AttnHeadDim;
        // Counted over the full T x T scores as the reference: 2 matmuls (q·kᵀ, p·v) of 2·B·H·T·T·d flop each;
        // the causal mask needs only T(T+1)/2 of the scores, about half.
        double flop = 2 * (2.0 * b * h * t * t * d);
        var p = new JsonObject
        {
            ["q"] = Arr(b, h, t, d), ["k"] = Arr(b, h, t, d), ["v"] = Arr(b, h, t, d),
            ["layout"] = "[batch, heads, tokens, head_dim]", ["dtype"] = "float32",
            ["op"] = "F.ScaledDotProductAttention(q, k, v, isCausal: true), default scale 1/sqrt(head_dim), q,k,v ~ randn without grad, under NoGrad; new output each call",
            ["tokens_per_iter"] = b * t,
            ["flop_per_iter"] = flop,
            ["flop_convention"] = "2 matmuls * 2*B*H*T*T*d over the full T x T scores; causal masking needs only T(T+1)/2 of them, i.e. about half",
        };
        return new Workload("attention_fwd", p, "tokens/s", b * t, flop, () =>
        {
            var g = new Generator(0);
            var shape = new Shape(b, h, t, d);
            Tensor q = Tensor.Randn(shape, g), k = Tensor.Randn(shape, g), v = Tensor.Randn(shape, g);
            return new Bench(() =>
            {
                using var _ = GradMode.NoGrad();
                F.ScaledDotProductAttention(q, k, v, isCausal: true);
            });
        });
    }

    private static Workload TransformerTrain()
    {
        // Forward MACs per sequence and layer, as the reference: in-projection T·E·3E + q·kᵀ and p·v 2·T·T·E (full
        // T x T) + out-projection T·E·E + feed-forward 2·T·E·F; plus the 256->10 head.
        double layerMacs = ((double)TfSeq * TfModel * 3 * TfModel) + (2.0 * TfSeq * TfSeq * TfModel)
                         + ((double)TfSeq * TfModel * TfModel) + (2.0 * TfSeq * TfModel * TfFF);
        double macs = (TfLayers * layerMacs) + (TfModel * TfClasses);
        var p = new JsonObject
        {
            ["batch"] = TfBatch, ["seq_len"] = TfSeq, ["d_model"] = TfModel, ["nhead"] = TfHeads,
            ["dim_feedforward"] = TfFF, ["layers"] = TfLayers, ["input"] = Arr(TfBatch, TfSeq, TfModel),
            ["model"] = "TransformerEncoder(2 x TransformerEncoderLayer(d_model=256, nhead=8, dim_feedforward=1024, dropout=0.0, "
                      + "activation=relu, batchFirst, normFirst=false)) -> mean over tokens -> linear 256->10",
            ["loss"] = "cross_entropy, random labels", ["optimizer"] = "Adam lr=1e-4",
            ["iteration"] = "zero_grad (in place) + forward + loss + backward + step; same random batch and labels every iteration",
            ["fwd_macs_per_sample"] = macs,
            ["approx_gflops_convention"] = "3*2*fwd_macs*batch per iteration; fwd_macs = linears + attention matmuls over the full T x T",
        };
        return new Workload("transformer_train", p, "sequences/s", TfBatch, 6 * macs * TfBatch, () =>
        {
            var g = new Generator(0);
            var layer = new TransformerEncoderLayer(TfModel, TfHeads, TfFF, dropout: 0.0, activation: "relu", batchFirst: true, normFirst: false, generator: g);
            var encoder = new TransformerEncoder(layer, TfLayers);
            var head = new Linear(TfModel, TfClasses, generator: g);
            var opt = new Adam(encoder.Parameters().Concat(head.Parameters()), lr: 1e-4);
            var loss = new CrossEntropyLoss();
            var x = Tensor.Randn(new Shape(TfBatch, TfSeq, TfModel), g);
            var y = Tensor.Randint(0, TfClasses, new Shape(TfBatch), g);
            return new Bench(() =>
            {
                opt.ZeroGrad();
                loss.Forward(head.Forward(encoder.Forward(x).Mean(1)), y).Backward();
                opt.Step();
            });
        });
    }
}
