namespace Nabla;

public sealed partial class Tensor
{
    /// <summary>
    /// Matrix product with PyTorch's <c>matmul</c> rules: 1-D·1-D is a dot product, a 1-D operand is a row
    /// (left) or column (right) vector that is removed afterwards, and batch dimensions broadcast.
    /// </summary>
    /// <exception cref="ArgumentException">The inner dimensions differ; the message gives both shapes.</exception>
    public Tensor MatMul(Tensor other)
    {
        if (Rank == 0 || other.Rank == 0)
        {
            throw new ArgumentException($"matmul: both arguments need at least 1 dimension, got {Shape} and {other.Shape}");
        }

        var a = Rank == 1 ? Unsqueeze(0) : this;
        var b = other.Rank == 1 ? other.Unsqueeze(-1) : other;
        if (a.Shape[-1] != b.Shape[-2])
        {
            throw new ArgumentException($"matmul: shapes {Shape} and {other.Shape} cannot be multiplied ({a.Shape[-2]}x{a.Shape[-1]} and {b.Shape[-2]}x{b.Shape[-1]})");
        }

        var y = Ops.MatMul.Instance.Apply(a, b);
        if (other.Rank == 1)
        {
            y = y.Squeeze(-1);
        }

        if (Rank == 1)
        {
            y = y.Squeeze(-2 + (other.Rank == 1 ? 1 : 0));
        }

        return y;
    }

    /// <summary>Dot product of two 1-D tensors.</summary>
    public Tensor Dot(Tensor other) => (this * other).Sum();

    /// <summary>Outer product of two 1-D tensors: y[i, j] = a[i]·b[j].</summary>
    public Tensor Outer(Tensor other) => Unsqueeze(1) * other.Unsqueeze(0);
}
