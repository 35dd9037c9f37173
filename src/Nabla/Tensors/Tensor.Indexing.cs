using Nabla.Ops;

namespace Nabla;

public sealed partial class Tensor
{
    /// <summary>y[…, j, …] = x[…, index[…, j, …], …] along <paramref name="dim"/> (<c>torch.gather</c>).</summary>
    public Tensor Gather(int dim, Tensor index) => new Gather(dim).Apply(this, index);

    /// <summary>A copy of this tensor with src added at the positions given by index along dim (<c>scatter_add</c>).</summary>
    public Tensor ScatterAdd(int dim, Tensor index, Tensor src) => new ScatterAdd(dim).Apply(this, index, src);

    /// <summary>The entries at <paramref name="index"/> (a 1-D Int64 tensor) along <paramref name="dim"/> (<c>index_select</c>).</summary>
    public Tensor IndexSelect(int dim, Tensor index)
    {
        if (index.Rank != 1 || index.DType != DType.Int64)
        {
            throw new ArgumentException($"index_select: index must be a 1-D Int64 tensor, got {index.Shape} {index.DType}", nameof(index));
        }

        int d = Shape.NormalizeDim(dim);
        var outShape = Shape.With(d, index.Shape[0]);
        var viewShape = new int[Rank];
        Array.Fill(viewShape, 1);
        viewShape[d] = index.Shape[0];
        var expanded = index.Reshape(viewShape).Expand(outShape).ContiguousNoGrad();
        return Gather(d, expanded);
    }

    /// <summary>condition ? a : b element-wise, broadcasting all three (<c>torch.where</c>).</summary>
    public static Tensor Where(Tensor condition, Tensor a, Tensor b) => Ops.Where.Instance.Apply(condition, a, b);

    /// <summary>A copy with <paramref name="value"/> where <paramref name="mask"/> is true (<c>masked_fill</c>).</summary>
    public Tensor MaskedFill(Tensor mask, double value) => Where(mask, ScalarOf(value, this), this);
}
