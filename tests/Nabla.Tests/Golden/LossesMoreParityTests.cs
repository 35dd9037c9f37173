using Nabla.NN;

namespace Nabla.Tests.Golden;

/// <summary>
/// Parity with PyTorch for the margin, embedding, likelihood and CTC losses and the distances (losses_more.json,
/// tools/GoldenGen/LossesMore.cs): each case runs the Nabla module on the stored inputs and compares the loss and
/// the gradient of every float input, in Float32 and Float64.
/// </summary>
public sealed class LossesMoreParityTests
{
    public static TheoryData<string, DType> Cases => GoldenData.Rows("losses_more");

    [Theory]
    [MemberData(nameof(Cases))]
    public void Loss(string name, DType dtype)
    {
        var c = GoldenData.Load("losses_more")[name];
        var inputs = new Dictionary<string, Tensor>();
        foreach (var (key, value) in c.Tensors)
        {
            if (!key.StartsWith("grad_", StringComparison.Ordinal) && key is not ("loss" or "upstream"))
            {
                var t = value.ToTensor(dtype);
                inputs[key] = c.Tensors.ContainsKey("grad_" + key) ? t.RequireGrad() : t;
            }
        }

        var loss = Run(c, inputs);
        GoldenData.AssertClose(c.Tensors["loss"], loss, dtype, $"{name} loss");
        Backward(c, loss, dtype);
        foreach (var (key, t) in inputs)
        {
            if (c.Tensors.TryGetValue("grad_" + key, out var expected))
            {
                Assert.NotNull(t.Grad);
                GoldenData.AssertClose(expected, t.Grad!, dtype, $"{name} grad_{key}");
            }
        }
    }

    /// <summary>
    /// PyTorch's CTC gradient with respect to the log-probabilities themselves is the exact one plus exp(lp)·gₙ on
    /// the rows t &lt; Tₙ (its kernel assumes a log_softmax upstream; zeroed samples get 0): ours is the exact one,
    /// so ours + exp(lp)·gₙ must equal PyTorch's there.
    /// </summary>
    [Theory]
    [MemberData(nameof(CtcCases))]
    public void Ctc_gradient_differs_from_PyTorchs_by_its_log_softmax_term(string name)
    {
        var c = GoldenData.Load("losses_more")[name];
        var lp = c.T("input", DType.Float64).LogSoftmax(-1).Detach().RequireGrad();
        var targets = c.T("targets", DType.Float64);
        var il = c.T("input_lengths", DType.Float64);
        var tl = c.T("target_lengths", DType.Float64);
        var module = new CTCLoss((int)c.Arg("blank", 0), ParseReduction(c.Mode), c.Flag("zero_infinity"));
        var loss = module.Forward(lp, targets, il, tl);
        Backward(c, loss, DType.Float64);

        var losses = new CTCLoss((int)c.Arg("blank", 0), Nabla.NN.Reduction.None, c.Flag("zero_infinity")).Forward(lp.Detach(), targets, il, tl).Reshape(-1).ToDoubleArray();
        var lengths = il.Reshape(-1).ToInt64Array();
        var targetLengths = tl.Reshape(-1).ToInt64Array();
        int time = lp.Shape[0], classes = lp.Shape[-1], batch = lengths.Length;
        var ours = lp.Grad!.ToDoubleArray();
        var p = lp.Detach().Exp().ToDoubleArray();
        var expected = ours.ToArray();
        for (int n = 0; n < batch; n++)
        {
            // ∂(reduced loss)/∂ℓₙ, from the reduction and the upstream gradient.
            double g = c.Mode switch
            {
                "none" => c.Tensors.ContainsKey("upstream") ? c.T("upstream", DType.Float64).ToDoubleArray()[n] : 1, // unbatched: a scalar loss
                "sum" => 1,
                _ => 1.0 / (batch * Math.Max(targetLengths[n], 1)),
            };
            bool zeroed = c.Flag("zero_infinity") && losses[n] == 0 && targetLengths[n] > 0;
            for (int t = 0; t < Math.Min(time, lengths[n]) && !zeroed; t++)
            {
                for (int k = 0; k < classes; k++)
                {
                    int i = (((t * batch) + n) * classes) + k;
                    expected[i] += p[i] * g;
                }
            }
        }

        GoldenData.AssertClose(c.Tensors["grad_log_probs_torch"], Tensor.FromArray(expected, lp.Shape), DType.Float64, $"{name} grad_log_probs");
    }

    public static TheoryData<string> CtcCases
    {
        get
        {
            var rows = new TheoryData<string>();
            foreach (var (n, c) in GoldenData.Load("losses_more"))
            {
                if (c.Op == "ctc")
                {
                    rows.Add(n);
                }
            }

            return rows;
        }
    }

    private static Tensor Run(GoldenCase c, Dictionary<string, Tensor> x)
    {
        if (c.Op == "ctc")
        {
            // GoldenGen stores the logits as "input"; PyTorch's CTC takes their log-softmax.
            var ctc = GoldenLosses.Create(c, x).Loss;
            return ((CTCLoss)ctc).Forward(x["input"].LogSoftmax(-1), x["targets"], x["input_lengths"], x["target_lengths"]);
        }

        if (c.Op is not ("cosine_similarity" or "pairwise_distance"))
        {
            var (entry, loss) = GoldenLosses.Create(c, x);
            return entry.Call(loss, [.. entry.Inputs.Select(n => x[n])]);
        }

        return c.Op switch
        {
            "cosine_similarity" => new CosineSimilarity((int)c.Arg("dim", 1), c.Arg("eps", 1e-8)).Forward(x["x1"], x["x2"]),
            "pairwise_distance" => new PairwiseDistance(c.Arg("p", 2), c.Arg("eps", 1e-6), c.Flag("keepdim")).Forward(x["x1"], x["x2"]),
            _ => throw new InvalidOperationException($"unknown op {c.Op}"),
        };
    }

    private static void Backward(GoldenCase c, Tensor loss, DType dtype)
    {
        if (c.Tensors.ContainsKey("upstream"))
        {
            loss.Backward(c.T("upstream", dtype));
        }
        else
        {
            loss.Backward();
        }
    }

    private static Nabla.NN.Reduction ParseReduction(string mode) => mode switch
    {
        "none" => Nabla.NN.Reduction.None,
        "mean" => Nabla.NN.Reduction.Mean,
        "sum" => Nabla.NN.Reduction.Sum,
        _ => throw new ArgumentException($"unknown reduction '{mode}'", nameof(mode)),
    };
}
