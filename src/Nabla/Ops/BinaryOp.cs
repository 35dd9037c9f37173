using System.Numerics;

namespace Nabla.Ops;

/// <summary>
/// An element-wise op of two float tensors with NumPy/PyTorch broadcasting: y = f(a, b).
/// </summary>
/// <remarks>
/// Note [Broadcasting in backward]: the gradient of a broadcast operand is the output gradient summed over
/// the broadcast dimensions (<see cref="Tensor.SumTo"/>). It is done here once, for every binary op.
/// The forward driver avoids materialising the common broadcasts: a scalar operand, a row operand
/// (e.g. a bias of shape [C] against [N, C]) and a column operand (e.g. a max of shape [N, 1] against
/// [N, C]) run the span kernels block by block; any other pattern is expanded to the full shape first.
/// </remarks>
internal abstract class BinaryOp : Op
{
    /// <summary>Broadcasts, runs the kernel and records the node.</summary>
    public Tensor Apply(Tensor a, Tensor b)
    {
        a.RequireFloat(Name);
        b.RequireFloat(Name);
        if (a.DType != b.DType)
        {
            var t = DTypeExtensions.Promote(a.DType, b.DType);
            (a, b) = (a.To(t), b.To(t));
        }

        var shape = Shape.Broadcast(a.Shape, b.Shape, Name);
        var y = Tensor.Empty(shape, a.DType);
        if (y.Numel > 0)
        {
            if (a.DType == DType.Float32)
            {
                Drive<float>(a.Contiguous(), b.Contiguous(), y);
            }
            else
            {
                Drive<double>(a.Contiguous(), b.Contiguous(), y);
            }
        }

        var (sa, sb) = (a.Shape, b.Shape);
        return Record(y, [a, b], dy =>
        {
            var (da, db) = Backward(dy, a, b, y);
            return [da?.SumTo(sa), db?.SumTo(sb)];
        });
    }

    /// <summary>y = f(a, b) element-wise on equal-length spans.</summary>
    protected abstract void Kernel<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> y) where T : unmanaged, IFloatingPointIeee754<T>;

    /// <summary>y = f(a, b) with a scalar b.</summary>
    protected abstract void Kernel<T>(ReadOnlySpan<T> a, T b, Span<T> y) where T : unmanaged, IFloatingPointIeee754<T>;

    /// <summary>y = f(a, b) with a scalar a.</summary>
    protected abstract void Kernel<T>(T a, ReadOnlySpan<T> b, Span<T> y) where T : unmanaged, IFloatingPointIeee754<T>;

    /// <summary>
    /// Gradients with respect to a and b, in the broadcast shape (the base sums them to the operand shapes).
    /// Return null for an operand that does not require a gradient, to save the work.
    /// </summary>
    public abstract (Tensor? Da, Tensor? Db) Backward(Tensor dy, Tensor a, Tensor b, Tensor y);

    private enum Layout
    {
        Full,
        Scalar,
        Row,    // operand = the trailing dims of the output: repeats over rows
        Column, // operand = the leading dims of the output: one value per row
        Other,
    }

    private void Drive<T>(Tensor a, Tensor b, Tensor y) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var (la, ia) = Classify(a.Shape, y.Shape);
        var (lb, ib) = Classify(b.Shape, y.Shape);
        if (y.Numel >= Chunks.MinParallel && Threads.Count > 1 && (la, lb) is (Layout.Full, Layout.Full) or (Layout.Full, Layout.Scalar))
        {
            // Large same-shape (or scalar) operands: split the span kernel between threads.
            var (aa, ba, ya, ao, bo) = (a.Elements<T>(), b.Elements<T>(), y.Elements<T>(), a.Offset, b.Offset);
            bool scalar = lb == Layout.Scalar;
            Chunks.For((int)y.Numel, (s, n) =>
            {
                if (scalar)
                {
                    Kernel(aa.AsSpan(ao + s, n), ba[bo], ya.AsSpan(s, n));
                }
                else
                {
                    Kernel(aa.AsSpan(ao + s, n), ba.AsSpan(bo + s, n), ya.AsSpan(s, n));
                }
            });
            return;
        }

        if (la == Layout.Full && lb is Layout.Column or Layout.Row or Layout.Scalar or Layout.Full
            || lb == Layout.Full && la is Layout.Column or Layout.Row or Layout.Scalar)
        {
            Blocks<T>(a.Span<T>(), la, ia, b.Span<T>(), lb, ib, y.Span<T>());
            return;
        }

        // Rare pattern (e.g. an outer sum [N,1] + [1,M]): materialise the operand that is not full.
        if (la != Layout.Full)
        {
            a = a.Expand(y.Shape).Contiguous();
        }
        else
        {
            b = b.Expand(y.Shape).Contiguous();
        }

        Drive<T>(a, b, y);
    }

    private void Blocks<T>(ReadOnlySpan<T> a, Layout la, int ia, ReadOnlySpan<T> b, Layout lb, int ib, Span<T> y)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int n = y.Length;
        switch (la, lb)
        {
            case (Layout.Full, Layout.Full):
                Kernel(a, b, y);
                break;
            case (Layout.Full, Layout.Scalar):
                Kernel(a, b[0], y);
                break;
            case (Layout.Scalar, Layout.Full):
                Kernel(a[0], b, y);
                break;
            case (Layout.Full, Layout.Row):
                for (int r = 0; r < n; r += ib)
                {
                    Kernel(a.Slice(r, ib), b, y.Slice(r, ib));
                }

                break;
            case (Layout.Row, Layout.Full):
                for (int r = 0; r < n; r += ia)
                {
                    Kernel(a, b.Slice(r, ia), y.Slice(r, ia));
                }

                break;
            case (Layout.Full, Layout.Column):
                for (int r = 0, inner = n / ib; r < ib; r++)
                {
                    Kernel(a.Slice(r * inner, inner), b[r], y.Slice(r * inner, inner));
                }

                break;
            default: // (Column, Full)
                for (int r = 0, inner = n / ia; r < ia; r++)
                {
                    Kernel(a[r], b.Slice(r * inner, inner), y.Slice(r * inner, inner));
                }

                break;
        }
    }

    // Classifies an operand against the broadcast output shape; the int is the operand's element count.
    private static (Layout, int) Classify(Shape s, Shape o)
    {
        long n = s.Numel;
        if (n == o.Numel)
        {
            return (Layout.Full, (int)n);
        }

        if (n == 1)
        {
            return (Layout.Scalar, 1);
        }

        int pad = o.Rank - s.Rank;
        int Dim(int i) => i < pad ? 1 : s.Dims[i - pad];

        // Row: 1…1 then equal to the output's trailing dims.
        int p = 0;
        while (p < o.Rank && Dim(p) == 1 && o.Dims[p] != 1)
        {
            p++;
        }

        bool row = true;
        for (int i = p; i < o.Rank; i++)
        {
            row &= Dim(i) == o.Dims[i];
        }

        if (row)
        {
            return (Layout.Row, (int)n);
        }

        // Column: equal to the output's leading dims, then 1…1.
        int q = o.Rank;
        while (q > 0 && Dim(q - 1) == 1)
        {
            q--;
        }

        bool col = true;
        for (int i = 0; i < q; i++)
        {
            col &= Dim(i) == o.Dims[i];
        }

        return col ? (Layout.Column, (int)n) : (Layout.Other, (int)n);
    }
}
