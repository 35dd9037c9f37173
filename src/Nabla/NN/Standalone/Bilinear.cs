namespace Nabla.NN;

public static partial class F
{
    /// <summary>
    /// Bilinear map of two inputs: y_o = Σᵢⱼ x1ᵢ·W_oij·x2ⱼ + b_o. Inputs (*, in1) and (*, in2) with the same leading
    /// dimensions, weight (out, in1, in2), bias (out) → (*, out).
    /// </summary>
    /// <exception cref="ArgumentException">The shapes do not fit.</exception>
    public static Tensor Bilinear(Tensor input1, Tensor input2, Tensor weight, Tensor? bias = null)
    {
        if (weight.Rank != 3 || input1.Rank == 0 || input2.Rank == 0 || input1.Shape[-1] != weight.Shape[1] || input2.Shape[-1] != weight.Shape[2]
            || !input1.Shape.ToArray().AsSpan(0, input1.Rank - 1).SequenceEqual(input2.Shape.ToArray().AsSpan(0, input2.Rank - 1)) || (bias is not null && bias.Shape != new Shape(weight.Shape[0])))
        {
            throw new ArgumentException($"bilinear: inputs {input1.Shape} and {input2.Shape} must be (*, in1) and (*, in2) with the same leading dimensions " +
                $"for weight {weight.Shape} (out, in1, in2){(bias is null ? string.Empty : $" and bias {bias.Shape}")}");
        }

        int o = weight.Shape[0], i1 = weight.Shape[1], i2 = weight.Shape[2];
        var x1 = input1.Reshape(-1, i1);
        var x2 = input2.Reshape(-1, i2);

        // x1·W as one GEMM against W laid out (in1, out·in2), then a row-wise dot with x2 for each output.
        var t = x1.MatMul(weight.Permute(1, 0, 2).Reshape(i1, o * i2)).Reshape(-1, o, i2);
        var y = (t * x2.Unsqueeze(1)).Sum(2);
        if (bias is not null)
        {
            y = y + bias;
        }

        return y.Reshape(new Shape([.. input1.Shape.ToArray()[..^1], o]));
    }
}

/// <summary>
/// y = x1ᵀ·A·x2 + b (PyTorch's <c>nn.Bilinear</c>): weight (out, in1, in2) and bias (out), both uniform in
/// ±1/√in1. It takes two inputs, so it is called as <c>Forward(x1, x2)</c> and is not a layer of a model file
/// (whose layers take the output of the one before).
/// </summary>
public sealed class Bilinear : Module
{
    /// <summary>Creates the layer.</summary>
    public Bilinear(int in1Features, int in2Features, int outFeatures, bool bias = true, Generator? generator = null, DType dtype = DType.Float32)
    {
        if (in1Features < 1 || in2Features < 1 || outFeatures < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(in1Features), $"Bilinear: feature counts must be positive, got {in1Features}, {in2Features}, {outFeatures}");
        }

        double bound = 1 / Math.Sqrt(in1Features);
        Weight = RegisterParameter("weight", Uniform(new Shape(outFeatures, in1Features, in2Features), bound, generator, dtype));
        Bias = bias ? RegisterParameter("bias", Uniform(new Shape(outFeatures), bound, generator, dtype)) : null;
    }

    /// <summary>A (out, in1, in2).</summary>
    public Tensor Weight { get; }

    /// <summary>b (out), or null.</summary>
    public Tensor? Bias { get; }

    /// <summary>y = x1ᵀ·A·x2 + b for x1 (*, in1) and x2 (*, in2).</summary>
    public Tensor Forward(Tensor input1, Tensor input2) => F.Bilinear(input1, input2, Weight, Bias);

    /// <summary>Bilinear needs two inputs: use <see cref="Forward(Tensor, Tensor)"/>.</summary>
    public override Tensor Forward(Tensor input) =>
        throw new InvalidOperationException("Bilinear takes two inputs: call Forward(input1, input2)");

    /// <inheritdoc/>
    public override Shape OutputShape(Shape input) =>
        throw new InvalidOperationException("Bilinear takes two inputs; its output is (*, outFeatures)");

    /// <inheritdoc/>
    public override string ExtraRepr() => $"in1Features={Weight.Shape[1]}, in2Features={Weight.Shape[2]}, outFeatures={Weight.Shape[0]}, bias={(Bias is not null ? "True" : "False")}";

    private static Tensor Uniform(Shape shape, double bound, Generator? generator, DType dtype) =>
        (Tensor.Rand(shape, generator, dtype) * (2 * bound)) - bound;
}
