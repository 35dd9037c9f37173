namespace Nabla.NN;

/// <summary>Weight initialisers with PyTorch's formulas (<c>torch.nn.init</c>); all take an optional seeded generator.</summary>
/// <remarks>
/// Fans for a weight of shape (out, in, k₁, …): fan_in = in·Πk, fan_out = out·Πk. Gains: linear 1, relu √2,
/// leaky_relu √(2/(1 + a²)), tanh 5/3. PyTorch's default for Linear and Conv weights is
/// <see cref="KaimingUniform"/> with a = √5, i.e. U(−1/√fan_in, 1/√fan_in), and for their biases
/// <see cref="FanInUniform"/> with the weight's fan_in.
/// </remarks>
public static class Init
{
    /// <summary>(fan_in, fan_out) of a weight shape (PyTorch's <c>_calculate_fan_in_and_fan_out</c>).</summary>
    public static (int FanIn, int FanOut) Fans(Shape shape)
    {
        if (shape.Rank < 2)
        {
            throw new ArgumentException($"fan in and fan out need at least 2 dimensions, got {shape}", nameof(shape));
        }

        int receptive = 1;
        for (int i = 2; i < shape.Rank; i++)
        {
            receptive *= shape[i];
        }

        return (shape[1] * receptive, shape[0] * receptive);
    }

    /// <summary>The recommended gain for a nonlinearity (<c>calculate_gain</c>).</summary>
    public static double Gain(string nonlinearity, double param = 0.01) => nonlinearity switch
    {
        "linear" or "conv1d" or "conv2d" or "sigmoid" => 1,
        "tanh" => 5.0 / 3,
        "relu" => Math.Sqrt(2),
        "leaky_relu" => Math.Sqrt(2 / (1 + (param * param))),
        "selu" => 0.75,
        _ => throw new ArgumentException($"unknown nonlinearity '{nonlinearity}'", nameof(nonlinearity)),
    };

    /// <summary>U(−b, b) with b = gain·√(3 / fan), gain = √(2/(1 + a²)) (He et al., uniform).</summary>
    public static Tensor KaimingUniform(Shape shape, double a = 0, bool fanIn = true, Generator? generator = null, DType dtype = DType.Float32)
    {
        var (fi, fo) = Fans(shape);
        double bound = Math.Sqrt(2 / (1 + (a * a))) * Math.Sqrt(3.0 / (fanIn ? fi : fo));
        return Tensor.Uniform(shape, -bound, bound, generator, dtype);
    }

    /// <summary>N(0, σ²) with σ = gain/√fan, gain = √(2/(1 + a²)) (He et al., normal).</summary>
    public static Tensor KaimingNormal(Shape shape, double a = 0, bool fanIn = true, Generator? generator = null, DType dtype = DType.Float32)
    {
        var (fi, fo) = Fans(shape);
        double std = Math.Sqrt(2 / (1 + (a * a))) / Math.Sqrt(fanIn ? fi : fo);
        return Tensor.Randn(shape, generator, dtype) * std;
    }

    /// <summary>U(−b, b) with b = gain·√(6 / (fan_in + fan_out)) (Glorot and Bengio).</summary>
    public static Tensor XavierUniform(Shape shape, double gain = 1, Generator? generator = null, DType dtype = DType.Float32)
    {
        var (fi, fo) = Fans(shape);
        double bound = gain * Math.Sqrt(6.0 / (fi + fo));
        return Tensor.Uniform(shape, -bound, bound, generator, dtype);
    }

    /// <summary>N(0, σ²) with σ = gain·√(2 / (fan_in + fan_out)).</summary>
    public static Tensor XavierNormal(Shape shape, double gain = 1, Generator? generator = null, DType dtype = DType.Float32)
    {
        var (fi, fo) = Fans(shape);
        return Tensor.Randn(shape, generator, dtype) * (gain * Math.Sqrt(2.0 / (fi + fo)));
    }

    /// <summary>U(−1/√fanIn, 1/√fanIn): PyTorch's default bias initialisation.</summary>
    public static Tensor FanInUniform(Shape shape, int fanIn, Generator? generator = null, DType dtype = DType.Float32)
    {
        double bound = fanIn > 0 ? 1 / Math.Sqrt(fanIn) : 0;
        return Tensor.Uniform(shape, -bound, bound, generator, dtype);
    }

    /// <summary>A (semi-)orthogonal matrix, reshaped to <paramref name="shape"/> (Saxe et al.; QR of a Gaussian matrix with sign correction).</summary>
    public static Tensor Orthogonal(Shape shape, double gain = 1, Generator? generator = null, DType dtype = DType.Float32)
    {
        int rows = shape[0], cols = (int)(shape.Numel / rows);
        bool transpose = rows < cols;
        int n = transpose ? cols : rows, m = transpose ? rows : cols; // QR of an n×m matrix, n ≥ m
        var g = generator ?? Generator.Current;
        var a = new double[n, m];
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j < m; j++)
            {
                a[i, j] = g.NextNormal();
            }
        }

        // Modified Gram-Schmidt: columns of q orthonormal; r's diagonal sign fixes the column signs.
        for (int j = 0; j < m; j++)
        {
            for (int k = 0; k < j; k++)
            {
                double dot = 0;
                for (int i = 0; i < n; i++)
                {
                    dot += a[i, k] * a[i, j];
                }

                for (int i = 0; i < n; i++)
                {
                    a[i, j] -= dot * a[i, k];
                }
            }

            double norm = 0;
            for (int i = 0; i < n; i++)
            {
                norm += a[i, j] * a[i, j];
            }

            norm = Math.Sqrt(norm);
            for (int i = 0; i < n; i++)
            {
                a[i, j] /= norm;
            }
        }

        var flat = new double[rows * cols];
        for (int r = 0; r < rows; r++)
        {
            for (int c = 0; c < cols; c++)
            {
                flat[(r * cols) + c] = gain * (transpose ? a[c, r] : a[r, c]);
            }
        }

        return Tensor.FromArray(flat, shape).To(dtype);
    }

    /// <summary>A tensor filled with <paramref name="value"/>.</summary>
    public static Tensor Constant(Shape shape, double value, DType dtype = DType.Float32) => Tensor.Full(shape, value, dtype);

    /// <summary>Zeros.</summary>
    public static Tensor Zeros(Shape shape, DType dtype = DType.Float32) => Tensor.Zeros(shape, dtype);

    /// <summary>Ones.</summary>
    public static Tensor Ones(Shape shape, DType dtype = DType.Float32) => Tensor.Ones(shape, dtype);
}
