using Nabla.Ops.Kernels;

namespace Nabla.Ops;

/// <summary>
/// y = x·Wᵀ (+ b) for x (M, in), W (out, in), b (out): one GEMM with W read transposed in place.
/// </summary>
/// <remarks>
/// As a composite (<c>x.MatMul(W.T)</c>) the weight's gradient would arrive as the transpose of a fresh
/// [in, out] matrix: a strided view that then has to be copied into W's layout at every accumulation. Here the
/// backward computes dW = dyᵀ·x directly in W's layout, and dx = dy·W, db = Σ dy over rows, all in tensor ops,
/// so double backward still works.
/// </remarks>
internal sealed class LinearOp : Op
{
    public static readonly LinearOp Instance = new();
    public override string Name => "linear";
    public override string Formula => "y = x·Wᵀ + b";
    public override string GradFormula => "dx = dy·W, dW = dyᵀ·x, db = Σ dy";

    public Tensor Apply(Tensor x, Tensor weight, Tensor? bias)
    {
        x.RequireFloat(Name);
        if (x.Rank != 2 || weight.Rank != 2 || x.Shape[1] != weight.Shape[1] || x.DType != weight.DType
            || (bias is not null && (bias.Shape != new Shape(weight.Shape[0]) || bias.DType != x.DType)))
        {
            throw new ArgumentException($"linear: input {x.Shape} ({x.DType}), weight {weight.Shape}, bias {bias?.Shape.ToString() ?? "none"} do not fit (expected (M, in), (out, in), (out))");
        }

        int m = x.Shape[0], n = weight.Shape[0], k = x.Shape[1];
        var y = Tensor.Empty(new Shape(m, n), x.DType);
        var (xc, wc) = (x.ContiguousNoGrad(), weight.ContiguousNoGrad());
        if (x.DType == DType.Float32)
        {
            Run(xc, wc, bias, y, m, n, k, y.Elements<float>());
        }
        else
        {
            Run(xc, wc, bias, y, m, n, k, y.Elements<double>());
        }

        Tensor[] inputs = bias is null ? [x, weight] : [x, weight, bias];
        return Record(y, inputs, dy =>
        {
            var g = new Tensor?[inputs.Length];
            g[0] = x.RequiresGrad ? dy.MatMul(weight) : null;
            g[1] = weight.RequiresGrad ? dy.T.MatMul(x) : null;
            if (bias is not null)
            {
                g[2] = bias.RequiresGrad ? dy.Sum(0) : null;
            }

            return g;
        });
    }

    private static void Run<T>(Tensor x, Tensor w, Tensor? bias, Tensor y, int m, int n, int k, T[] ya)
        where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        if (m == 0 || n == 0)
        {
            return;
        }

        // Bias first, then accumulate the product onto it (one pass over y fewer).
        if (bias is not null)
        {
            var b = bias.ContiguousNoGrad().Span<T>();
            for (int i = 0; i < m; i++)
            {
                b.CopyTo(ya.AsSpan(i * n, n));
            }
        }

        Gemm.Multiply(false, true, m, n, k, x.Elements<T>(), x.Offset, k, w.Elements<T>(), w.Offset, k, ya, 0, n, bias is not null);
    }
}
