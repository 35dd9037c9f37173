using Nabla.NN;
using Nabla.Tests.Golden;

namespace Nabla.Tests.Attention;

/// <summary>
/// Parity with PyTorch (tools/GoldenGen/Attention.cs → Golden/attention.json): scaled_dot_product_attention with no
/// mask, a Bool mask, a float mask, causal and a custom scale; nn.MultiheadAttention sequence-first and batch-first,
/// with key_padding_mask, Bool and float attn_mask, weights averaged and per head, kdim/vdim ≠ embed_dim, and without
/// weights. PyTorch's parameters are loaded by their state-dict names (the names must match exactly); outputs, weights
/// and the gradients of sum(out·g) (+ sum(weights·g_w)) w.r.t. the inputs and every parameter are compared in Float32
/// and Float64.
/// </summary>
public sealed class AttentionGoldenTests
{
    public static TheoryData<string, DType> Cases => GoldenData.Rows("attention");

    [Theory]
    [MemberData(nameof(Cases))]
    public void Attention_matches_pytorch(string name, DType dtype)
    {
        var c = GoldenData.Load("attention")[name];
        if (c.Op == "sdpa")
        {
            Sdpa(c, dtype);
        }
        else
        {
            Mha(c, dtype);
        }
    }

    private static void Sdpa(GoldenCase c, DType dtype)
    {
        var (q, k, v) = (c.T("q", dtype).RequireGrad(), c.T("k", dtype).RequireGrad(), c.T("v", dtype).RequireGrad());
        var mask = c.TOrNull("mask", dtype);
        if (mask is not null && mask.DType == DType.Int64)
        {
            mask = mask.Ne(0.0);
        }

        double? scale = c.Args.TryGetValue("scale", out var s) ? s : null;
        var y = F.ScaledDotProductAttention(q, k, v, mask, isCausal: c.Flag("causal"), scale: scale);
        Check(c, dtype, ("output", y));
        (y * c.T("upstream", dtype)).Sum().Backward();
        Check(c, dtype, ("grad_q", q.Grad!), ("grad_k", k.Grad!), ("grad_v", v.Grad!));
    }

    private static void Mha(GoldenCase c, DType dtype)
    {
        int e = (int)c.Arg("embed_dim", 0);
        var m = new MultiheadAttention(e, (int)c.Arg("num_heads", 0), kdim: (int)c.Arg("kdim", e), vdim: (int)c.Arg("vdim", e),
            batchFirst: c.Flag("batch_first"), dtype: dtype);
        var state = c.Tensors.Where(kv => kv.Key.StartsWith("param.", StringComparison.Ordinal))
            .ToDictionary(kv => kv.Key["param.".Length..], kv => kv.Value.ToTensor(dtype));
        Assert.Equal(state.Keys.Order(StringComparer.Ordinal), m.NamedParameters().Select(p => p.Name).Order(StringComparer.Ordinal));
        m.LoadStateDict(state);

        var (q, k, v) = (c.T("query", dtype).RequireGrad(), c.T("key", dtype).RequireGrad(), c.T("value", dtype).RequireGrad());
        var kpm = Mask(c, "key_padding_mask", dtype);
        var am = Mask(c, "attn_mask", dtype);
        bool needWeights = c.Flag("need_weights");
        var (y, w) = m.Forward(q, k, v, kpm, needWeights, am, averageAttnWeights: c.Flag("average"));
        Check(c, dtype, ("output", y));
        var loss = (y * c.T("upstream", dtype)).Sum();
        if (needWeights)
        {
            Assert.NotNull(w);
            Check(c, dtype, ("weights", w));
            loss = loss + (w * c.T("upstream_weights", dtype)).Sum();
        }
        else
        {
            Assert.Null(w);
        }

        loss.Backward();
        Check(c, dtype, ("grad_query", q.Grad!), ("grad_key", k.Grad!), ("grad_value", v.Grad!));
        foreach (var (pname, p) in m.NamedParameters())
        {
            Check(c, dtype, ("grad." + pname, p.Grad!));
        }
    }

    private static Tensor? Mask(GoldenCase c, string name, DType dtype) =>
        c.TOrNull(name, dtype) is { } t ? t.DType == DType.Int64 ? t.Ne(0.0) : t : null;

    private static void Check(GoldenCase c, DType dtype, params (string Name, Tensor Value)[] values)
    {
        foreach (var (n, v) in values)
        {
            Assert.NotNull(v);
            GoldenData.AssertClose(c.Tensors[n], v, dtype, $"{c.Name} {n}");
        }
    }
}
