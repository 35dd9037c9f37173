namespace Nabla.NN;

public static partial class F
{
    /// <summary>
    /// Batch normalisation over every dimension except the channel dimension 1:
    /// y = (x − μ)/√(σ² + ε)·γ + β. In training (or without running statistics) μ and σ² are the batch mean and
    /// biased variance, and the running statistics are updated in place: r ← (1 − m)·r + m·stat, with the
    /// unbiased variance for the running variance (as PyTorch). In evaluation the running statistics are used.
    /// </summary>
    /// <remarks>Input (N, C) or (N, C, *); runningMean, runningVar, weight, bias: (C).</remarks>
    public static Tensor BatchNorm(Tensor input, Tensor? runningMean, Tensor? runningVar, Tensor? weight = null,
        Tensor? bias = null, bool training = false, double momentum = 0.1, double eps = 1e-5)
    {
        if (input.Rank < 2)
        {
            throw new ArgumentException($"batch_norm: expected input (N, C) or (N, C, *), got {input.Shape}");
        }

        int c = input.Shape[1];
        var view = Enumerable.Repeat(1, input.Rank).ToArray();
        view[1] = c;
        if (training || runningMean is null || runningVar is null)
        {
            long n = input.Numel / Math.Max(c, 1);
            if (training && n <= 1)
            {
                throw new ArgumentException($"batch_norm: expected more than 1 value per channel when training, got input {input.Shape}");
            }

            // Batch statistics: one fused primitive (Note [Fused batch norm]).
            var (y, batchMean, batchVar) = new Ops.BatchNormTrain(eps).Apply(input, weight, bias);
            if (training && runningMean is not null && runningVar is not null)
            {
                using (GradMode.NoGrad())
                {
                    var unbiased = batchVar * (n / (double)Math.Max(1, n - 1));
                    runningMean.CopyInPlace((runningMean * (1 - momentum)) + (batchMean * momentum));
                    runningVar.CopyInPlace((runningVar * (1 - momentum)) + (unbiased * momentum));
                }
            }

            return y;
        }

        // Evaluation: a per-channel affine map with the running statistics.
        var scale = (runningVar + eps).Rsqrt();
        if (weight is not null)
        {
            scale = scale * weight;
        }

        var shift = -(runningMean * scale);
        if (bias is not null)
        {
            shift = shift + bias;
        }

        // Planes of a few elements (BatchNorm1d's [N, C]) run best as two row-broadcast ops; larger ones in one pass.
        long plane = input.Numel / Math.Max(1L, (long)input.Shape[0] * c);
        return plane < 64 ? (input * scale.Reshape(view)) + shift.Reshape(view) : new Ops.ChannelAffine().Apply(input, scale, shift);
    }

    /// <summary>
    /// Layer normalisation over the last dimensions given by <paramref name="normalizedShape"/>:
    /// y = (x − μ)/√(σ² + ε)·γ + β with the biased variance, per sample.
    /// </summary>
    public static Tensor LayerNorm(Tensor input, Shape normalizedShape, Tensor? weight = null, Tensor? bias = null, double eps = 1e-5)
    {
        int k = normalizedShape.Rank;
        for (int i = 0; i < k; i++)
        {
            if (input.Rank < k || input.Shape[input.Rank - k + i] != normalizedShape[i])
            {
                throw new ArgumentException($"layer_norm: input {input.Shape} does not end with the normalized shape {normalizedShape}");
            }
        }

        return new Ops.LayerNormOp(normalizedShape, eps).Apply(input, weight, bias);
    }

    /// <summary>
    /// Group normalisation: channels of (N, C, *) split into G groups, each normalised over its channels and
    /// positions per sample, then a per-channel affine map.
    /// </summary>
    public static Tensor GroupNorm(Tensor input, int numGroups, Tensor? weight = null, Tensor? bias = null, double eps = 1e-5)
    {
        if (input.Rank < 2 || input.Shape[1] % numGroups != 0)
        {
            throw new ArgumentException($"group_norm: input {input.Shape} must be (N, C, *) with C divisible by {numGroups} groups");
        }

        int n = input.Shape[0], c = input.Shape[1];
        var grouped = input.Reshape(n, numGroups, -1);
        var mean = grouped.Mean(2, keepDim: true);
        var variance = (grouped - mean).Square().Mean(2, keepDim: true);
        var y = ((grouped - mean) / (variance + eps).Sqrt()).Reshape(input.Shape);
        var view = Enumerable.Repeat(1, input.Rank).ToArray();
        view[1] = c;
        if (weight is not null)
        {
            y = y * weight.Reshape(view);
        }

        return bias is null ? y : y + bias.Reshape(view);
    }

    /// <summary>Looks up rows of <paramref name="weight"/> (V, D) for Int64 indices of any shape → (*, D).</summary>
    /// <remarks>Rows looked up at <paramref name="paddingIdx"/> receive no gradient, as in PyTorch.</remarks>
    public static Tensor Embedding(Tensor input, Tensor weight, int? paddingIdx = null)
    {
        if (input.DType != DType.Int64)
        {
            throw new ArgumentException($"embedding: indices must be Int64, got {input.DType}");
        }

        var flat = input.Reshape(-1);
        foreach (var i in flat.ToInt64Array())
        {
            if (i < 0 || i >= weight.Shape[0])
            {
                throw new ArgumentException($"embedding: index {i} is out of range for {weight.Shape[0]} embeddings");
            }
        }

        var rows = weight.IndexSelect(0, flat);
        if (paddingIdx is int p)
        {
            rows = rows * flat.Ne(p).To(weight.DType).Unsqueeze(1);
        }

        return rows.Reshape(new Shape([.. input.Shape.ToArray(), weight.Shape[1]]));
    }
}
