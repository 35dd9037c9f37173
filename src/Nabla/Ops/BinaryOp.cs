using System.Numerics;

namespace Nabla.Ops;

/// <summary>
/// An element-wise op of two float tensors with NumPy/PyTorch broadcasting: y = f(a, b).
/// </summary>
/// <remarks>
/// Note [Broadcasting in backward]: the gradient of a broadcast operand is the output gradient summed over
/// the broadcast dimensions (<see cref="Tensor.SumTo"/>). It is done here once, for every binary op.
/// The forward driver avoids materialising the common broadcasts: a scalar operand, a row operand
/// (e.g. a bias of shape [C] against [N, C]) and a column operand, one value per block of the output (a max of
/// shape [N, 1] against [N, C], or a per-channel [1, C, 1, 1] against [N, C, H, W]), run the span kernels run by
/// run, split between threads when large; any other pattern is expanded to the full shape first.
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
        Row,    // operand = the trailing dims of the output: element f reads operand[f % n]
        Column, // operand = a run of the output's dims with 1s around it: element f reads operand[(f / inner) % n]
        Other,
    }

    // An operand's broadcast against the output: its layout, element count and (Column) the output's element count
    // after its last dim.
    private readonly record struct Bcast(Layout Layout, int N, int Inner)
    {
        // Elements from flat index f on that read the operand contiguously (Full, Row) or as one value (Scalar, Column).
        public int Run(int f) => Layout switch
        {
            Layout.Row => N - (f % N),
            Layout.Column => Inner - (f % Inner),
            _ => int.MaxValue,
        };

        public bool IsSpan => Layout is Layout.Full or Layout.Row;

        public int Index(int f) => Layout switch
        {
            Layout.Full => f,
            Layout.Row => f % N,
            Layout.Column => (f / Inner) % N,
            _ => 0,
        };
    }

    private void Drive<T>(Tensor a, Tensor b, Tensor y) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var (ba, bb) = (Classify(a.Shape, y.Shape), Classify(b.Shape, y.Shape));
        if (ba.Layout == Layout.Full && bb.Layout != Layout.Other || bb.Layout == Layout.Full && ba.Layout != Layout.Other)
        {
            // One full operand and one that repeats (scalar, row, column): no copy, split between threads when large.
            var (aa, bArr, ya, ao, bo) = (a.Elements<T>(), b.Elements<T>(), y.Elements<T>(), a.Offset, b.Offset);
            Chunks.For((int)y.Numel, (s, n) => Range(aa, ao, ba, bArr, bo, bb, ya, s, n));
            return;
        }

        // Rare pattern (e.g. an outer sum [N,1] + [1,M]): materialise the operand that is not full.
        if (ba.Layout != Layout.Full)
        {
            a = a.Expand(y.Shape).Contiguous();
        }
        else
        {
            b = b.Expand(y.Shape).Contiguous();
        }

        Drive<T>(a, b, y);
    }

    // y[f] = op(a[f], b[f]) for f in [start, start + count), in runs where each operand is a span or one value.
    private void Range<T>(T[] a, int ao, Bcast ba, T[] b, int bo, Bcast bb, T[] y, int start, int count)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int f = start, end = start + count; f < end;)
        {
            int len = Math.Min(end - f, Math.Min(ba.Run(f), bb.Run(f)));
            var ys = y.AsSpan(f, len);
            int ia = ao + ba.Index(f), ib = bo + bb.Index(f);
            if (ba.IsSpan && bb.IsSpan)
            {
                Kernel(a.AsSpan(ia, len), b.AsSpan(ib, len), ys);
            }
            else if (ba.IsSpan)
            {
                Kernel(a.AsSpan(ia, len), b[ib], ys);
            }
            else
            {
                Kernel(a[ia], b.AsSpan(ib, len), ys);
            }

            f += len;
        }
    }

    // Classifies an operand against the broadcast output shape.
    private static Bcast Classify(Shape s, Shape o)
    {
        long n = s.Numel;
        if (n == o.Numel)
        {
            return new(Layout.Full, (int)n, 1);
        }

        if (n == 1)
        {
            return new(Layout.Scalar, 1, 1);
        }

        int pad = o.Rank - s.Rank;
        int Dim(int i) => i < pad ? 1 : s.Dims[i - pad];

        // The operand's dims [p, q) equal the output's, and it is 1 outside them.
        int p = 0;
        while (p < o.Rank && Dim(p) == 1)
        {
            p++;
        }

        int q = o.Rank;
        while (q > p && Dim(q - 1) == 1)
        {
            q--;
        }

        long inner = 1;
        bool run = true;
        for (int i = 0; i < o.Rank; i++)
        {
            run &= i < p || i >= q || Dim(i) == o.Dims[i];
            inner *= i >= q ? o.Dims[i] : 1;
        }

        return !run ? new(Layout.Other, (int)n, 1) : inner == 1 ? new(Layout.Row, (int)n, 1) : new(Layout.Column, (int)n, (int)inner);
    }
}
