using Nabla.Ops.Kernels;

namespace Nabla.Ops;

/// <summary>
/// y = a · b on the last two dimensions, (…, m, k) · (…, k, n) → (…, m, n), with broadcasting of the batch
/// dimensions. Transposed views are passed to the GEMM kernel as transposes, without a copy.
/// </summary>
internal sealed class MatMul : Op
{
    public static readonly MatMul Instance = new();
    public override string Name => "matmul";
    public override string Formula => "y = a · b";
    public override string GradFormula => "da = dy · bᵀ, db = aᵀ · dy";

    public Tensor Apply(Tensor a, Tensor b)
    {
        a.RequireFloat(Name);
        b.RequireFloat(Name);
        if (a.Rank < 2 || b.Rank < 2)
        {
            throw new ArgumentException($"matmul: the primitive needs rank ≥ 2, got {a.Shape} and {b.Shape}");
        }

        if (a.DType != b.DType)
        {
            var t = DTypeExtensions.Promote(a.DType, b.DType);
            (a, b) = (a.To(t), b.To(t));
        }

        int m = a.Shape[-2], k = a.Shape[-1], n = b.Shape[-1];
        if (b.Shape[-2] != k)
        {
            throw new ArgumentException($"matmul: shapes {a.Shape} and {b.Shape} cannot be multiplied ({m}x{k} and {b.Shape[-2]}x{n})");
        }

        var batch = Shape.Broadcast(BatchOf(a.Shape), BatchOf(b.Shape), Name);
        var outShape = new Shape([.. batch.ToArray(), m, n]);
        var y = Tensor.Empty(outShape, a.DType);
        if (y.Numel > 0)
        {
            if (a.DType == DType.Float32)
            {
                Run<float>(a, b, y, batch, m, n, k);
            }
            else
            {
                Run<double>(a, b, y, batch, m, n, k);
            }
        }

        var (sa, sb) = (a.Shape, b.Shape);
        return Record(y, [a, b], dy =>
            [a.RequiresGrad ? dy.MatMul(b.MT).SumTo(sa) : null,
             b.RequiresGrad ? a.MT.MatMul(dy).SumTo(sb) : null]);
    }

    public static long Flops(Shape a, Shape b)
    {
        var batch = Shape.Broadcast(BatchOf(a), BatchOf(b));
        return 2L * batch.Numel * a[-2] * a[-1] * b[-1];
    }

    private static Shape BatchOf(Shape s) => new(s.Dims[..^2].ToArray());

    private static void Run<T>(Tensor a, Tensor b, Tensor y, Shape batch, int m, int n, int k)
        where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        var ae = a.ExpandNoGrad(new Shape([.. batch.ToArray(), m, k]));
        var be = b.ExpandNoGrad(new Shape([.. batch.ToArray(), k, n]));
        var (am, transA, lda) = AsMatrix(ae);
        var (bm, transB, ldb) = AsMatrix(be);
        var yData = y.Elements<T>();
        int rank = batch.Rank;

        // b shared by every batch item and a row-major over batch and rows: one GEMM with batch·m rows.
        if (rank > 0 && !transA && AllZero(bm.Strides.AsSpan(0, rank)) && RowsFold(am, rank, m, lda))
        {
            Gemm.Multiply(false, transB, (int)batch.Numel * m, n, k, am.Elements<T>(), am.Offset, lda,
                bm.Elements<T>(), bm.Offset, ldb, yData, 0, n, false);
            return;
        }

        var index = new int[rank];
        int count = (int)batch.Numel;
        for (int i = 0; i < count; i++)
        {
            int ao = am.Offset, bo = bm.Offset;
            for (int d = 0; d < rank; d++)
            {
                ao += index[d] * am.Strides[d];
                bo += index[d] * bm.Strides[d];
            }

            Gemm.Multiply(transA, transB, m, n, k, am.Elements<T>(), ao, lda, bm.Elements<T>(), bo, ldb,
                yData, i * m * n, n, false);
            for (int d = rank - 1; d >= 0; d--)
            {
                if (++index[d] < batch.Dims[d])
                {
                    break;
                }

                index[d] = 0;
            }
        }
    }

    // Returns a tensor whose last two dims are either row-major (stride 1 on columns) or column-major
    // (stride 1 on rows, passed as a transpose), copying only when neither holds.
    private static (Tensor T, bool Trans, int Ld) AsMatrix(Tensor x)
    {
        int r = x.Rank;
        int rows = x.Shape.Dims[r - 2], cols = x.Shape.Dims[r - 1];
        int sr = x.Strides[r - 2], sc = x.Strides[r - 1];
        if ((sc == 1 || cols == 1) && sr >= Math.Max(cols, 1))
        {
            return (x, false, sr);
        }

        if ((sr == 1 || rows == 1) && sc >= Math.Max(rows, 1))
        {
            return (x, true, sc);
        }

        var c = x.ContiguousNoGrad();
        return (c, false, Math.Max(cols, 1));
    }

    private static bool AllZero(ReadOnlySpan<int> s)
    {
        foreach (var v in s)
        {
            if (v != 0)
            {
                return false;
            }
        }

        return true;
    }

    // True when stepping through (batch..., row) of `a` is one uniform stride of lda (rows stacked end to end).
    private static bool RowsFold(Tensor a, int rank, int m, int lda)
    {
        int expected = m * lda;
        for (int d = rank - 1; d >= 0; d--)
        {
            if (a.Strides[d] != expected && a.Shape.Dims[d] != 1)
            {
                return false;
            }

            expected *= a.Shape.Dims[d];
        }

        return true;
    }
}
