// The three convolution kernels (forward, input gradient, weight gradient), each im2col/col2im + GEMM.
//
// Batch folding: a chunk of `cnt` images shares one column matrix col[C·kH·kW, cnt·P] (image i at columns
// i·P ..), so each group is ONE GEMM with n = cnt·P instead of cnt small GEMMs (LeNet's C3 layer has
// P = 100: per image the GEMM would be 16×100×150, too small to run near peak; folded it is 16×6400×150).
// The GEMM result is then [O, cnt·P] (channel-major) and is scattered to y[N, O, P] with the bias added in the
// same pass. The chunk size bounds the scratch (ColBudget elements, rented from ScratchMemory).
//
//   forward      y_g[Og, cnt·P]  = w_g[Og, K] · col_g[K, cnt·P]                  (K = Cg·kH·kW)
//   input grad   dcol_g[K, cnt·P] = w_gᵀ[K, Og] · dy_g[Og, cnt·P], then col2im     (a transposed convolution)
//   weight grad  dw_g[Og, K]    += dy_g[Og, cnt·P] · col_gᵀ[cnt·P, K]              (summed over chunks)
//
// A chunk of one image needs no reshuffling: the GEMM reads dy and writes y in place, and for a pointwise
// (1×1, stride 1, no padding) convolution the column matrix is the image itself.
using System.Numerics;

namespace Nabla.Ops.Kernels;

/// <summary>Convolution drivers on contiguous arrays ([N, C, H, W] input, [O, C/groups, kH, kW] weight).</summary>
internal static class Conv
{
    /// <summary>Scratch budget in elements for one chunk's column matrix (tuning knob).</summary>
    /// <remarks>
    /// 2¹⁸ floats (1 MiB) keeps a chunk's column matrix in L2 between im2col and the GEMM's packing, and
    /// folds images only when one image's matrix is small (LeNet: 8-17 images per chunk). Measured on the
    /// Zen 4 machine (1 MiB L2), 1 thread, against 2²¹: ResNet 3×3 64→64 forward 34.3 → 30.2 ms,
    /// 32→32 at 16×16 3.77 → 2.59 ms, 16→16 at 32×32 4.40 → 3.51 ms; LeNet C3 unchanged.
    /// </remarks>
    internal static int ColBudget = 1 << 18;

    // The fewest GEMM columns (images × output positions) a chunk aims for, whatever the budget.
    private const int MinColumns = 256;

    /// <summary>Problems below this many elements of work are not split between threads.</summary>
    private const int ParallelMin = 1 << 15;

    /// <summary>Sizes of one convolution: x [N, C, H, W], w [O, C/G, kH, kW], y [N, O, OH, OW].</summary>
    internal readonly record struct Dims(int N, int C, int H, int W, int O, ConvGeometry G)
    {
        public int OH => G.OutH(H);
        public int OW => G.OutW(W);
        public int P => OH * OW;
        public int Cg => C / G.Groups;
        public int Og => O / G.Groups;
        public int K => Cg * G.KernelH * G.KernelW;
        public int ImageX => C * H * W;
        public int ImageY => O * P;
        public int ColRows => C * G.KernelH * G.KernelW;

        /// <summary>
        /// Images per chunk: as many as fit the column budget, and enough for <see cref="MinColumns"/> GEMM columns.
        /// </summary>
        /// <remarks>
        /// A GEMM with few columns packs the whole weight matrix for little work: one image at a time, ResNet-18's
        /// 512-channel 3×3 convolutions on 7×7 maps (49 columns, 4,608 rows) ran at 58 GFLOP/s, six at a time at 133.
        /// </remarks>
        public int Chunk => (int)Math.Clamp(Math.Max(ColBudget / Math.Max(1L, (long)ColRows * P), (MinColumns + P - 1) / P), 1, Math.Max(N, 1));
    }

    /// <summary>y = conv(x, w) + b.</summary>
    public static void Forward<T>(T[] x, int xOff, T[] w, int wOff, T[]? b, int bOff, T[] y, Dims d)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (IsDense(d))
        {
            // y [N, O] = x [N, K] · wᵀ + b.
            Gemm.Multiply(false, true, d.N, d.O, d.K, x, xOff, d.K, w, wOff, d.K, y, 0, d.O, false);
            for (int n = 0; n < d.N && b is not null; n++)
            {
                var row = y.AsSpan(n * d.O, d.O);
                System.Numerics.Tensors.TensorPrimitives.Add(row, b.AsSpan(bOff, d.O), row);
            }

            return;
        }

        if (DirectConv.Applies<T>(d))
        {
            DirectConv.Forward(AsFloat(x), xOff, AsFloat(w), wOff, b is null ? null : AsFloat(b), bOff, AsFloat(y), d);
            return;
        }

        Workers.ForImages(ImageParts(d), d.N, (_, n0, count) => ForwardColumns(x, xOff, w, wOff, b, bOff, y, d, n0, count));
    }

    // y = conv(x, w) + b for images [n0, n0 + count) on the calling thread, a chunk at a time.
    private static void ForwardColumns<T>(T[] x, int xOff, T[] w, int wOff, T[]? b, int bOff, T[] y, Dims d, int n0, int count)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int nb = ChunkOf(d, count), p = d.P, og = d.Og, k = d.K;
        T[] col = ScratchMemory.Rent<T>(d.G.IsPointwise && nb == 1 ? 0 : d.ColRows * nb * p);
        T[] tmp = ScratchMemory.Rent<T>(nb > 1 ? d.O * nb * p : 0);
        try
        {
            for (int i0 = n0; i0 < n0 + count; i0 += nb)
            {
                int cnt = Math.Min(nb, n0 + count - i0), ld = cnt * p;
                var (src, srcOff) = Columns(x, xOff, d, i0, cnt, col);
                T[] dst = cnt == 1 ? y : tmp;
                int dstOff = cnt == 1 ? i0 * d.ImageY : 0;
                for (int g = 0; g < d.G.Groups; g++)
                {
                    Gemm.Multiply(false, false, og, ld, k, w, wOff + (g * og * k), k, src, srcOff + (g * k * ld), ld,
                        dst, dstOff + (g * og * ld), ld, false);
                }

                if (cnt == 1)
                {
                    AddBias(y, i0 * d.ImageY, b, bOff, d.O, p);
                }
                else
                {
                    Unfold(tmp, y, i0, cnt, d.O, p, b, bOff);
                }
            }
        }
        finally
        {
            ScratchMemory.Return(col);
            ScratchMemory.Return(tmp);
        }
    }

    /// <summary>dx = convᵀ(dy, w): the gradient of conv(x, w) with respect to x (a transposed convolution).</summary>
    public static void InputGrad<T>(T[] dy, int dyOff, T[] w, int wOff, T[] dx, Dims d)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (IsDense(d))
        {
            // dx [N, K] = dy [N, O] · w [O, K].
            Gemm.Multiply(false, false, d.N, d.K, d.O, dy, dyOff, d.O, w, wOff, d.K, dx, 0, d.K, false);
            return;
        }

        if (DirectConv.AppliesToInputGrad<T>(d))
        {
            DirectConv.InputGrad(AsFloat(dy), dyOff, AsFloat(w), wOff, AsFloat(dx), d);
            return;
        }

        if (DirectConv.AppliesToStride2InputGrad<T>(d))
        {
            DirectConv.InputGradStride2(AsFloat(dy), dyOff, AsFloat(w), wOff, AsFloat(dx), d);
            return;
        }

        Workers.ForImages(ImageParts(d), d.N, (_, n0, count) => InputGradColumns(dy, dyOff, w, wOff, dx, d, n0, count));
    }

    // dx = convᵀ(dy, w) for images [n0, n0 + count) on the calling thread, a chunk at a time.
    private static void InputGradColumns<T>(T[] dy, int dyOff, T[] w, int wOff, T[] dx, Dims d, int n0, int count)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int nb = ChunkOf(d, count), p = d.P, og = d.Og, k = d.K;
        bool direct = d.G.IsPointwise && nb == 1;
        T[] dcol = ScratchMemory.Rent<T>(direct ? 0 : d.ColRows * nb * p);
        T[] dyT = ScratchMemory.Rent<T>(nb > 1 ? d.O * nb * p : 0);
        try
        {
            if (!direct)
            {
                dx.AsSpan(n0 * d.ImageX, count * d.ImageX).Clear();
            }

            for (int i0 = n0; i0 < n0 + count; i0 += nb)
            {
                int cnt = Math.Min(nb, n0 + count - i0), ld = cnt * p;
                var (src, srcOff) = cnt == 1 ? (dy, dyOff + (i0 * d.ImageY)) : (Fold(dy, dyOff, dyT, i0, cnt, d.O, p), 0);
                T[] dst = direct ? dx : dcol;
                int dstOff = direct ? i0 * d.ImageX : 0;
                for (int g = 0; g < d.G.Groups; g++)
                {
                    Gemm.Multiply(true, false, k, ld, og, w, wOff + (g * og * k), k, src, srcOff + (g * og * ld), ld,
                        dst, dstOff + (g * k * ld), ld, false);
                }

                if (!direct)
                {
                    var geo = d.G;
                    For(cnt, (long)d.ColRows * ld, i => Im2Col.Backward(dcol, i * p, ld, d.H, d.W, 0, d.C, geo, d.OH, d.OW,
                        dx, (i0 + i) * d.ImageX));
                }
            }
        }
        finally
        {
            ScratchMemory.Return(dcol);
            ScratchMemory.Return(dyT);
        }
    }

    /// <summary>dw = Σₙ dyₙ · colₙᵀ: the gradient of conv(x, w) with respect to w.</summary>
    public static void WeightGrad<T>(T[] x, int xOff, T[] dy, int dyOff, T[] dw, Dims d)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (IsDense(d))
        {
            // dw [O, K] = dyᵀ [O, N] · x [N, K].
            Gemm.Multiply(true, false, d.O, d.K, d.N, dy, dyOff, d.O, x, xOff, d.K, dw, 0, d.K, false);
            return;
        }

        if (DirectConv.AppliesToWeightGrad<T>(d))
        {
            DirectConv.WeightGrad(AsFloat(x), xOff, AsFloat(dy), dyOff, AsFloat(dw), d);
            return;
        }

        Workers.SumOverImages(ImageParts(d), d.N, dw, d.O * d.K, (n0, count, mine) => WeightGradColumns(x, xOff, dy, dyOff, mine, d, n0, count));
    }

    /// <summary>
    /// Threads for a weight gradient that splits the images (<see cref="Workers.SumOverImages"/>): all of them once the
    /// work (N·O·P·K multiply-adds) is large enough to pay for a second copy of dw.
    /// </summary>
    internal static int ImageParts(Dims d) => Workers.Count > 1 && (long)d.N * d.O * d.P * d.K >= (1 << 18) ? Workers.Count : 1;

    // dw += Σₙ dyₙ · colₙᵀ over images [n0, n0 + count) on the calling thread, a chunk at a time.
    private static void WeightGradColumns<T>(T[] x, int xOff, T[] dy, int dyOff, ArraySegment<T> dw, Dims d, int n0, int count)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int p = d.P, og = d.Og, k = d.K;
        if (count == 0 || p == 0)
        {
            return;
        }

        int nb = ChunkOf(d, count);
        T[] col = ScratchMemory.Rent<T>(d.G.IsPointwise && nb == 1 ? 0 : d.ColRows * nb * p);
        T[] dyT = ScratchMemory.Rent<T>(nb > 1 ? d.O * nb * p : 0);
        try
        {
            for (int i0 = n0; i0 < n0 + count; i0 += nb)
            {
                int cnt = Math.Min(nb, n0 + count - i0), ld = cnt * p;
                var (cs, csOff) = Columns(x, xOff, d, i0, cnt, col);
                var (ds, dsOff) = cnt == 1 ? (dy, dyOff + (i0 * d.ImageY)) : (Fold(dy, dyOff, dyT, i0, cnt, d.O, p), 0);
                for (int g = 0; g < d.G.Groups; g++)
                {
                    Gemm.Multiply(false, true, og, k, ld, ds, dsOff + (g * og * ld), ld, cs, csOff + (g * k * ld), ld,
                        dw.Array!, dw.Offset + (g * og * k), k, true);
                }
            }
        }
        finally
        {
            ScratchMemory.Return(col);
            ScratchMemory.Return(dyT);
        }
    }

    // Images per chunk for count images: at most d.Chunk, in chunks of even size.
    private static int ChunkOf(Dims d, int count) => EvenChunk(count, d.Chunk);

    /// <summary>
    /// The size of the chunks that cover <paramref name="count"/> images with as few chunks of at most
    /// <paramref name="most"/> as possible, all of (nearly) the same size: 16 images with at most 7 go in 6, 5 and 5
    /// rather than 7, 7 and 2.
    /// </summary>
    internal static int EvenChunk(int count, int most)
    {
        count = Math.Max(count, 1);
        int chunks = (count + Math.Max(most, 1) - 1) / Math.Max(most, 1);
        return (count + chunks - 1) / chunks;
    }

    // The column matrix of images n0 .. n0 + cnt − 1 (the image itself for a pointwise convolution of one image).
    private static (T[] Data, int Offset) Columns<T>(T[] x, int xOff, Dims d, int n0, int cnt, T[] col)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (d.G.IsPointwise && cnt == 1)
        {
            return (x, xOff + (n0 * d.ImageX));
        }

        int p = d.P, ld = cnt * p;
        var geo = d.G;
        if (cnt == 1 && Workers.Count > 1 && d.C > 1 && (long)d.ColRows * p >= ParallelMin)
        {
            // One image: split its channels between threads.
            int parts = Math.Min(Workers.Count, d.C);
            Parallel.For(0, parts, Workers.Options, t =>
                Im2Col.Forward(x, xOff + (n0 * d.ImageX), d.H, d.W, d.C * t / parts, d.C * (t + 1) / parts, geo,
                    d.OH, d.OW, col, 0, ld));
        }
        else
        {
            For(cnt, (long)d.ColRows * ld, i =>
                Im2Col.Forward(x, xOff + ((n0 + i) * d.ImageX), d.H, d.W, 0, d.C, geo, d.OH, d.OW, col, i * p, ld));
        }

        return (col, 0);
    }

    // tmp[o, i·P + q] -> y[n0 + i, o, q] (+ b[o]).
    private static void Unfold<T>(T[] tmp, T[] y, int n0, int cnt, int o, int p, T[]? b, int bOff)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int ld = cnt * p;
        For(cnt, (long)o * ld, i =>
        {
            for (int c = 0; c < o; c++)
            {
                var src = tmp.AsSpan((c * ld) + (i * p), p);
                var dst = y.AsSpan((((n0 + i) * o) + c) * p, p);
                if (b is null)
                {
                    src.CopyTo(dst);
                }
                else
                {
                    System.Numerics.Tensors.TensorPrimitives.Add(src, b[bOff + c], dst);
                }
            }
        });
    }

    // dy[n0 + i, o, q] -> dyT[o, i·P + q]; returns dyT.
    private static T[] Fold<T>(T[] dy, int dyOff, T[] dyT, int n0, int cnt, int o, int p)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int ld = cnt * p;
        For(cnt, (long)o * ld, i =>
        {
            for (int c = 0; c < o; c++)
            {
                dy.AsSpan(dyOff + ((((n0 + i) * o) + c) * p), p).CopyTo(dyT.AsSpan((c * ld) + (i * p), p));
            }
        });
        return dyT;
    }

    private static void AddBias<T>(T[] y, int off, T[]? b, int bOff, int o, int p)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (b is null)
        {
            return;
        }

        for (int c = 0; c < o; c++)
        {
            var row = y.AsSpan(off + (c * p), p);
            System.Numerics.Tensors.TensorPrimitives.Add(row, b[bOff + c], row);
        }
    }

    /// <summary>
    /// True when the kernel covers the whole unpadded input (LeNet's C5: 5×5 maps, 5×5 kernel): each image is then
    /// one column of the column matrix, in w's (c, kh, kw) order, and the convolution is a fully connected layer
    /// over the batch, one GEMM each way with no column matrix and no reordering of the output.
    /// </summary>
    internal static bool IsDense(Dims d) => d.G.Groups == 1 && d.G.PadH == 0 && d.G.PadW == 0
        && d.G.KernelH == d.H && d.G.KernelW == d.W && d.OH == 1 && d.OW == 1 && d.N > 0;

    // Only called where T is float (DirectConv.Applies checks it).
    private static float[] AsFloat<T>(T[] a) => System.Runtime.CompilerServices.Unsafe.As<float[]>(a);

    /// <summary>Runs body(0 .. count − 1), split between threads when the work is large enough.</summary>
    internal static void For(int count, long work, Action<int> body)
    {
        if (count > 1 && Workers.Count > 1 && work >= ParallelMin)
        {
            Parallel.For(0, count, Workers.Options, body);
        }
        else
        {
            for (int i = 0; i < count; i++)
            {
                body(i);
            }
        }
    }
}
