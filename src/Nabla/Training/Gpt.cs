using Nabla.NN;

namespace Nabla.Training;

/// <summary>
/// A decoder-only Transformer language model (GPT, Radford et al. 2018; the layout of Karpathy's nanoGPT): token
/// embedding plus learned position embedding, <c>nLayer</c> pre-norm Transformer layers with causal self-attention
/// and a GELU feed-forward block of 4·nEmbd, a final LayerNorm, and a linear head to the vocabulary's logits.
/// </summary>
/// <remarks>
/// <code>
/// x = wte(idx) + wpe[:T];  x = blocks(x, causal);  logits = lm_head(ln_f(x))      idx (B, T) → logits (B, T, V)
/// </code>
/// State-dict names: <c>wte.weight</c>, <c>wpe.weight</c>, <c>blocks.layers.{i}.*</c> (as
/// <see cref="TransformerEncoderLayer"/>'s), <c>ln_f.*</c>, <c>lm_head.weight</c>. Embeddings start N(0, 0.02²) as
/// GPT-2's. The blocks are <see cref="TransformerEncoderLayer"/>s (batch-first, normFirst, "gelu") run with the
/// causal mask and the is_causal hint, so attention runs the fused causal kernel.
/// </remarks>
public sealed class Gpt : Module
{
    private readonly Tensor causalMask;

    /// <summary>Creates the model.</summary>
    /// <param name="vocabSize">Tokens in the vocabulary.</param>
    /// <param name="blockSize">Longest context (positions).</param>
    /// <param name="nEmbd">Features per position.</param>
    /// <param name="nHead">Attention heads.</param>
    /// <param name="nLayer">Transformer layers.</param>
    /// <param name="dropout">Dropout in the layers (training only).</param>
    /// <param name="generator">Initialisation and dropout draws.</param>
    public Gpt(int vocabSize, int blockSize, int nEmbd, int nHead, int nLayer, double dropout = 0, Generator? generator = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(vocabSize);
        (VocabSize, BlockSize, NEmbd, NHead, NLayer, Dropout) = (vocabSize, blockSize, nEmbd, nHead, nLayer, dropout);
        Wte = RegisterModule("wte", new Embedding(vocabSize, nEmbd, generator: generator));
        Wpe = RegisterModule("wpe", new LearnedPositionalEmbedding(blockSize, nEmbd, batchFirst: true, generator: generator));
        using (GradMode.NoGrad())
        {
            Wte.Weight.CopyInPlace(Wte.Weight * 0.02);
            Wpe.Weight.CopyInPlace(Wpe.Weight * 0.02);
        }

        var layer = new TransformerEncoderLayer(nEmbd, nHead, 4 * nEmbd, dropout, "gelu", batchFirst: true, normFirst: true, generator: generator);
        Blocks = RegisterModule("blocks", new TransformerEncoder(layer, nLayer));
        LnF = RegisterModule("ln_f", new LayerNorm(new Shape(nEmbd)));
        LmHead = RegisterModule("lm_head", new Linear(nEmbd, vocabSize, bias: false, generator: generator));
        causalMask = Nabla.NN.Transformer.GenerateSquareSubsequentMask(blockSize);
    }

    /// <summary>Tokens in the vocabulary.</summary>
    public int VocabSize { get; }

    /// <summary>Longest context.</summary>
    public int BlockSize { get; }

    /// <summary>Features per position.</summary>
    public int NEmbd { get; }

    /// <summary>Attention heads.</summary>
    public int NHead { get; }

    /// <summary>Transformer layers.</summary>
    public int NLayer { get; }

    /// <summary>Dropout probability.</summary>
    public double Dropout { get; }

    /// <summary>Token embedding (V, nEmbd).</summary>
    public Embedding Wte { get; }

    /// <summary>Position embedding (blockSize, nEmbd).</summary>
    public LearnedPositionalEmbedding Wpe { get; }

    /// <summary>The layers.</summary>
    public TransformerEncoder Blocks { get; }

    /// <summary>The final norm.</summary>
    public LayerNorm LnF { get; }

    /// <summary>The head to the logits (no bias).</summary>
    public Linear LmHead { get; }

    /// <summary>
    /// The preset of <c>nabla train --model gpt-tiny</c>, sized for a CPU in minutes: 2 layers, 4 heads, 64 features,
    /// 64 positions (about 105,000 parameters with 85 characters; 2·(4E² + 2E·4E + 2·64·E) ≈ 0.13 M multiply-adds per token).
    /// </summary>
    public static Gpt Tiny(int vocabSize, double dropout = 0.1, Generator? generator = null) => new(vocabSize, 64, 64, 4, 2, dropout, generator);

    /// <summary>Logits (B, T, V) of the next token after every prefix of <paramref name="input"/> (B, T) Int64, T ≤ blockSize.</summary>
    public override Tensor Forward(Tensor input)
    {
        CheckInput(input, 2, $"(B, T ≤ {BlockSize}) Int64 tokens", s => s[1] >= 1 && s[1] <= BlockSize);
        int t = input.Shape[1];
        var x = Wpe.Forward(Wte.Forward(input));
        x = Blocks.Forward(x, causalMask.Narrow(0, 0, t).Narrow(1, 0, t), isCausal: true);
        return LmHead.Forward(LnF.Forward(x));
    }

    /// <summary>Mean cross-entropy of the logits of <paramref name="x"/> against the next tokens <paramref name="y"/> (both (B, T)).</summary>
    public Tensor Loss(Tensor x, Tensor y)
    {
        ArgumentNullException.ThrowIfNull(y);
        var logits = Forward(x);
        return F.CrossEntropy(logits.Reshape(-1, VocabSize), y.Reshape(-1));
    }

    /// <summary>
    /// Continues <paramref name="prompt"/> by <paramref name="tokens"/> tokens, one at a time, each drawn from
    /// softmax(logits / temperature) over the last <see cref="BlockSize"/> tokens' prediction, restricted to the
    /// <paramref name="topK"/> most likely tokens when given. Runs in evaluation mode without gradients.
    /// </summary>
    /// <returns>The new tokens (without the prompt).</returns>
    public long[] Generate(IReadOnlyList<long> prompt, int tokens, double temperature = 1, int? topK = null, Generator? generator = null)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        ArgumentOutOfRangeException.ThrowIfNegative(tokens);
        if (prompt.Count == 0)
        {
            throw new ArgumentException("Generate: the prompt needs at least one token");
        }

        generator ??= Generator.Current;
        bool training = IsTraining;
        Eval();
        try
        {
            using (GradMode.NoGrad())
            {
                var seq = new List<long>(prompt);
                for (int i = 0; i < tokens; i++)
                {
                    int start = Math.Max(0, seq.Count - BlockSize), t = seq.Count - start;
                    var logits = Forward(Tensor.FromArray(seq.GetRange(start, t).ToArray(), new Shape(1, t)));
                    seq.Add(Sampling.Sample(logits.Narrow(1, t - 1, 1).ToDoubleArray(), temperature, topK, generator));
                }

                return [.. seq.Skip(prompt.Count)];
            }
        }
        finally
        {
            Train(training);
        }
    }

    /// <inheritdoc/>
    public override string ExtraRepr() => $"vocabSize={VocabSize}, blockSize={BlockSize}, nEmbd={NEmbd}, nHead={NHead}, nLayer={NLayer}";
}

/// <summary>Drawing a token from logits: temperature and top-k, as nanoGPT's <c>generate</c>.</summary>
public static class Sampling
{
    /// <summary>
    /// Draws an index with probability softmax(logits / temperature); with <paramref name="topK"/>, logits below the
    /// k-th largest are excluded first (ties with it stay).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">temperature ≤ 0 or not finite, or topK &lt; 1.</exception>
    public static int Sample(double[] logits, double temperature, int? topK, Generator generator)
    {
        ArgumentNullException.ThrowIfNull(logits);
        ArgumentNullException.ThrowIfNull(generator);
        if (!(temperature > 0 && double.IsFinite(temperature)))
        {
            throw new ArgumentOutOfRangeException(nameof(temperature), temperature, "the temperature must be a positive number");
        }

        if (topK is < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(topK), topK, "top-k must be at least 1");
        }

        double threshold = topK is int k && k < logits.Length ? logits.OrderDescending().ElementAt(k - 1) : double.NegativeInfinity;
        double max = logits.Max();
        var p = logits.Select(l => l >= threshold ? Math.Exp((l - max) / temperature) : 0).ToArray();
        double u = generator.NextDouble() * p.Sum(), cumulative = 0;
        for (int i = 0; i < p.Length; i++)
        {
            cumulative += p[i];
            if (u < cumulative)
            {
                return i;
            }
        }

        return Array.FindLastIndex(p, v => v > 0); // u rounded up to the total
    }
}
