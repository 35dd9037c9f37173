namespace Nabla.NN;

/// <summary>
/// The functional layer (PyTorch's <c>torch.nn.functional</c>): stateless functions that modules call.
/// Everything here is composite, built from primitive ops, so it is differentiable to any order.
/// </summary>
public static partial class F
{
    /// <summary>y = x·Wᵀ + b. Input (*, in), weight (out, in), bias (out) → (*, out).</summary>
    public static Tensor Linear(Tensor input, Tensor weight, Tensor? bias = null)
    {
        if (input.Rank == 0 || input.Shape[-1] != weight.Shape[-1])
        {
            throw new ArgumentException($"linear: input {input.Shape} does not match weight {weight.Shape} (expected last input dimension {weight.Shape[-1]})");
        }

        using var group = Trace.Group("linear");

        // Flatten leading dimensions into one GEMM (the primitive computes dW in W's own layout).
        var x2 = input.Rank == 2 ? input : input.Reshape(-1, input.Shape[-1]);
        var y = input.DType == weight.DType && (bias is null || bias.DType == weight.DType) && weight.Rank == 2
            ? Ops.LinearOp.Instance.Apply(x2, weight, bias)
            : bias is null ? x2.MatMul(weight.T) : x2.MatMul(weight.T) + bias;

        return input.Rank == 2 ? y : y.Reshape(input.Shape.WithLastDim(weight.Shape[0]));
    }

    /// <summary>max(x, 0).</summary>
    public static Tensor Relu(Tensor x) => x.Relu();

    /// <summary>x for x &gt; 0, slope·x otherwise.</summary>
    public static Tensor LeakyRelu(Tensor x, double negativeSlope = 0.01) => x.LeakyRelu(negativeSlope);

    /// <summary>x for x &gt; 0, α(eˣ − 1) otherwise.</summary>
    public static Tensor Elu(Tensor x, double alpha = 1.0) => x.Elu(alpha);

    /// <summary>x·Φ(x); <paramref name="approximate"/> "tanh" uses the tanh formula.</summary>
    public static Tensor Gelu(Tensor x, string approximate = "none") => x.Gelu(approximate == "tanh");

    /// <summary>tanh(x).</summary>
    public static Tensor Tanh(Tensor x) => x.Tanh();

    /// <summary>σ(x).</summary>
    public static Tensor Sigmoid(Tensor x) => x.Sigmoid();

    /// <summary>Softmax along <paramref name="dim"/>.</summary>
    public static Tensor Softmax(Tensor x, int dim) => x.Softmax(dim);

    /// <summary>Log-softmax along <paramref name="dim"/>.</summary>
    public static Tensor LogSoftmax(Tensor x, int dim) => x.LogSoftmax(dim);

    /// <summary>
    /// Inverted dropout: in training, zeroes each element with probability p and scales the rest by 1/(1 − p),
    /// so the expectation is unchanged and evaluation is the identity.
    /// </summary>
    public static Tensor Dropout(Tensor x, double p = 0.5, bool training = true, Generator? generator = null)
    {
        CheckProbability(p);
        if (!training || p == 0)
        {
            return x;
        }

        if (p == 1)
        {
            return x * 0.0;
        }

        var keep = Tensor.Rand(x.Shape, generator, x.DType).Lt(1 - p).To(x.DType);
        return x * keep * (1 / (1 - p));
    }

    /// <summary>Channel dropout: zeroes whole channels of (N, C, *) inputs, scaling the rest by 1/(1 − p).</summary>
    public static Tensor Dropout2d(Tensor x, double p = 0.5, bool training = true, Generator? generator = null)
    {
        CheckProbability(p);
        if (!training || p == 0)
        {
            return x;
        }

        var maskShape = x.Shape.ToArray();
        for (int i = 2; i < maskShape.Length; i++)
        {
            maskShape[i] = 1;
        }

        var keep = Tensor.Rand(new Shape(maskShape), generator, x.DType).Lt(1 - p).To(x.DType);
        return p == 1 ? x * 0.0 : x * keep * (1 / (1 - p));
    }

    internal static double CheckProbability(double p) =>
        p is >= 0 and <= 1 ? p : throw new ArgumentOutOfRangeException(nameof(p), $"dropout probability has to be between 0 and 1, but got {p}");
}
