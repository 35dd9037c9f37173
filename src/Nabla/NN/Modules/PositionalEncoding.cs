namespace Nabla.NN;

/// <summary>
/// Adds the fixed sinusoidal position code of "Attention Is All You Need" (Vaswani et al. 2017, §3.5) to a sequence,
/// then dropout (the <c>PositionalEncoding</c> of PyTorch's Transformer tutorial):
/// <code>
/// PE(pos, 2i)   = sin(pos / 10000^(2i/d_model))
/// PE(pos, 2i+1) = cos(pos / 10000^(2i/d_model))
/// y = dropout(x + PE[:L])
/// </code>
/// </summary>
/// <remarks>
/// The code is a buffer, not a parameter: <c>pe</c>, shaped (max_len, 1, d_model) as in the tutorial, so that its
/// state dicts load. It is computed in float64 and then rounded to the dtype. An odd d_model is allowed (the last
/// column is a sine). Inputs: (L, N, E), (N, L, E) with <c>batchFirst</c>, or (L, E); L ≤ max_len.
/// </remarks>
public sealed class PositionalEncoding : Module
{
    private readonly Dropout dropout;

    /// <summary>Creates the encoding.</summary>
    /// <param name="dModel">Features of every position.</param>
    /// <param name="dropout">Dropout after the addition (training only); the tutorial's default.</param>
    /// <param name="maxLen">Longest sequence.</param>
    /// <param name="batchFirst">Batched inputs are (N, L, E).</param>
    /// <param name="generator">Dropout draws.</param>
    /// <param name="dtype">Buffer dtype.</param>
    public PositionalEncoding(int dModel, double dropout = 0.1, int maxLen = 5000, bool batchFirst = false, Generator? generator = null, DType dtype = DType.Float32)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(dModel);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxLen);
        (DModel, MaxLen, BatchFirst) = (dModel, maxLen, batchFirst);
        var pe = new double[maxLen * dModel];
        for (int pos = 0; pos < maxLen; pos++)
        {
            for (int c = 0; c < dModel; c++)
            {
                // Column pairs (2i, 2i+1) share the frequency 10000^(−2i/d).
                double angle = pos * Math.Exp(-(c - (c % 2)) * Math.Log(10000.0) / dModel);
                pe[(pos * dModel) + c] = c % 2 == 0 ? Math.Sin(angle) : Math.Cos(angle);
            }
        }

        Pe = RegisterBuffer("pe", Tensor.FromArray(pe, new Shape(maxLen, 1, dModel)).To(dtype));
        this.dropout = RegisterModule("dropout", new Dropout(dropout, generator));
    }

    /// <summary>Features of every position.</summary>
    public int DModel { get; }

    /// <summary>Longest sequence.</summary>
    public int MaxLen { get; }

    /// <summary>Whether batched inputs are (N, L, E).</summary>
    public bool BatchFirst { get; }

    /// <summary>The code, (max_len, 1, d_model).</summary>
    public Tensor Pe { get; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input)
    {
        int l = PositionalTable.CheckInput(this, input, DModel, MaxLen, BatchFirst);
        return dropout.Forward(input + PositionalTable.Rows(Pe.Reshape(MaxLen, DModel), l, input.Rank, BatchFirst));
    }

    /// <inheritdoc/>
    public override Shape OutputShape(Shape input) => input;

    /// <inheritdoc/>
    public override string ExtraRepr() => $"dModel={DModel}, maxLen={MaxLen}, dropout={dropout.P}, batchFirst={BatchFirst}";
}

/// <summary>
/// Adds a learned vector per position to a sequence: y = x + W[:L] (GPT's position embedding, <c>wpe</c>, used as
/// an addition). W (max_len, d_model), the parameter <c>weight</c>, starts N(0, 1) as an <see cref="Embedding"/>'s.
/// </summary>
/// <remarks>Inputs: (L, N, E), (N, L, E) with <c>batchFirst</c>, or (L, E); L ≤ max_len.</remarks>
public sealed class LearnedPositionalEmbedding : Module
{
    /// <summary>Creates the table.</summary>
    public LearnedPositionalEmbedding(int maxLen, int dModel, bool batchFirst = false, Generator? generator = null, DType dtype = DType.Float32)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(dModel);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxLen);
        (DModel, MaxLen, BatchFirst) = (dModel, maxLen, batchFirst);
        Weight = RegisterParameter("weight", Tensor.Randn(new Shape(maxLen, dModel), generator, dtype));
    }

    /// <summary>Features of every position.</summary>
    public int DModel { get; }

    /// <summary>Longest sequence.</summary>
    public int MaxLen { get; }

    /// <summary>Whether batched inputs are (N, L, E).</summary>
    public bool BatchFirst { get; }

    /// <summary>W, (max_len, d_model).</summary>
    public Tensor Weight { get; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input)
    {
        int l = PositionalTable.CheckInput(this, input, DModel, MaxLen, BatchFirst);
        return input + PositionalTable.Rows(Weight, l, input.Rank, BatchFirst);
    }

    /// <inheritdoc/>
    public override Shape OutputShape(Shape input) => input;

    /// <inheritdoc/>
    public override string ExtraRepr() => $"maxLen={MaxLen}, dModel={DModel}, batchFirst={BatchFirst}";
}

/// <summary>Shape checks and broadcasting shared by the positional modules.</summary>
internal static class PositionalTable
{
    /// <summary>Checks the input and returns its sequence length.</summary>
    public static int CheckInput(Module m, Tensor input, int dModel, int maxLen, bool batchFirst)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.Rank is not (2 or 3) || input.Shape[-1] != dModel)
        {
            throw new ArgumentException($"{m.TypeName}: expected input of shape {(batchFirst ? "(N, L, " : "(L, N, ")}{dModel}) or (L, {dModel}), got {input.Shape}");
        }

        int l = input.Shape[input.Rank == 3 && batchFirst ? 1 : 0];
        return l <= maxLen ? l : throw new ArgumentException($"{m.TypeName}: sequence length {l} exceeds max_len {maxLen}");
    }

    /// <summary>The first <paramref name="l"/> rows of a (max_len, E) table, shaped to broadcast against the input.</summary>
    public static Tensor Rows(Tensor table, int l, int rank, bool batchFirst)
    {
        var rows = table.Narrow(0, 0, l);
        return rank == 2 ? rows : batchFirst ? rows.Unsqueeze(0) : rows.Unsqueeze(1);
    }
}
