namespace Nabla.NN;

/// <summary>A fully connected layer: y = x·Wᵀ + b (PyTorch's <c>nn.Linear</c>).</summary>
/// <remarks>
/// Input (*, inFeatures) → output (*, outFeatures). Weight (outFeatures, inFeatures) initialised
/// U(−1/√in, 1/√in) (Kaiming-uniform with a = √5), bias U(−1/√in, 1/√in), as PyTorch.
/// Parameters: out·in + out.
/// </remarks>
public sealed class Linear : Module
{
    /// <summary>Creates the layer.</summary>
    public Linear(int inFeatures, int outFeatures, bool bias = true, Generator? generator = null, DType dtype = DType.Float32)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(inFeatures);
        ArgumentOutOfRangeException.ThrowIfNegative(outFeatures);
        (InFeatures, OutFeatures) = (inFeatures, outFeatures);
        Weight = RegisterParameter("weight", Init.KaimingUniform(new Shape(outFeatures, inFeatures), Math.Sqrt(5), generator: generator, dtype: dtype));
        Bias = bias ? RegisterParameter("bias", Init.FanInUniform(new Shape(outFeatures), inFeatures, generator, dtype)) : null;
    }

    /// <summary>Size of each input sample.</summary>
    public int InFeatures { get; }

    /// <summary>Size of each output sample.</summary>
    public int OutFeatures { get; }

    /// <summary>The weight, (outFeatures, inFeatures).</summary>
    public Tensor Weight { get; }

    /// <summary>The bias, (outFeatures), or null.</summary>
    public Tensor? Bias { get; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input)
    {
        CheckInput(input, null, $"(*, {InFeatures})", s => s.Rank >= 1 && s[-1] == InFeatures);
        return F.Linear(input, Weight, Bias);
    }

    /// <inheritdoc/>
    public override Shape OutputShape(Shape input)
    {
        if (input.Rank < 1 || input[-1] != InFeatures)
        {
            throw new ArgumentException($"{TypeName}: expected input of shape (*, {InFeatures}), got {input}");
        }

        return input.WithLastDim(OutFeatures);
    }

    /// <inheritdoc/>
    public override string ExtraRepr() => $"inFeatures={InFeatures}, outFeatures={OutFeatures}, bias={(Bias is not null ? "True" : "False")}";
}
