// The LSTM forward step with the recurrent GEMM and the cell in one pass over tiles (float32, AVX-512).
//
// Per step and per tile of 4 batch rows × 16 hidden units, Fused4 accumulates the pre-activations of the four gates
// of those units (xg_t + bias + h_{t-1}·W_hhᵀ: 4 rows × 64 columns in 16 zmm accumulators; per k 4 loads of the
// panel, 4 broadcasts of h, 16 FMAs) and stores them to a 1 KiB tile that stays in L1; Cells then applies the cell
// to the tile. The gates reach the [T,B,4H] buffer only when backward needs them. (Applying the cell straight from
// the accumulators made the JIT spill all 16 of them.) W_hh is packed once per call into one k-major panel per 16
// units, the four gates side by side: panel[p·64 + q·16 + j] = W_hh[q·H + u0 + j, p] for gate q ∈ (i, f, g, o) and
// unit u0 + j. A panel (64·H floats, 32 KiB at H = 128) and the h rows of a thread stay in L1 or L2 across the row
// tiles.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using static Nabla.Ops.Kernels.Recurrence;

namespace Nabla.Ops.Kernels;

internal static partial class Lstm
{
    private const int Units = 16;

    /// <summary>Whether the fused forward applies: float, AVX-512 and H a multiple of 16.</summary>
    private static bool UseFused<T>(int hidden) => typeof(T) == typeof(float) && Vector512.IsHardwareAccelerated && hidden % Units == 0;

    /// <summary>The forward loop of <see cref="Forward{T}"/> on the fused kernel.</summary>
    private static void ForwardFused(int steps, int batch, int hidden, InputRows<float> x, float[] wIh, float[] w, float[]? bias,
        float[] h0, float[] c0, int[]? lengths, bool reverse, float[] s, float[]? act)
    {
        int h4 = 4 * hidden, bh = batch * hidden, plane = steps * bh, tanhC = steps * batch * h4;
        var packed = PackGates(w, hidden, hidden);
        var packedIn = PackGates(wIh, hidden, x.Width);
        var b = bias ?? new float[h4];

        unsafe void Rows(int b0, int b1)
        {
            fixed (float* px = x.Data, pi = packedIn, ph0 = h0, pc0 = c0, ps = s, pw = packed, pb = b, pa = act)
            {
                var inputs = new StepInputs(null, x.RowStride, x.Width, pi);
                for (int k = 0; k < steps; k++)
                {
                    int t = reverse ? steps - 1 - k : k;
                    int tp = reverse ? t + 1 : t - 1;
                    float* hp = k == 0 ? ph0 : ps + (tp * bh), cp = k == 0 ? pc0 : ps + plane + (tp * bh);
                    float* h = ps + (t * bh), c = ps + plane + (t * bh);
                    var cell = new CellRows(cp + (b0 * hidden), c + (b0 * hidden), h + (b0 * hidden),
                        pa == null ? null : pa + (t * batch * h4) + (b0 * h4), pa == null ? null : pa + tanhC + (t * bh) + (b0 * hidden), hidden);
                    var xt = inputs.At(px + x.Offset + ((nint)t * x.StepStride) + ((nint)b0 * x.RowStride));
                    FusedRows(b1 - b0, hidden, hp + (b0 * hidden), xt, pb, pw, cell);
                    for (int r = b0; r < b1 && lengths is not null; r++)
                    {
                        if (t >= lengths[r])
                        {
                            // Past its length a row carries its state unchanged.
                            new Span<float>(hp + (r * hidden), hidden).CopyTo(new Span<float>(h + (r * hidden), hidden));
                            new Span<float>(cp + (r * hidden), hidden).CopyTo(new Span<float>(c + (r * hidden), hidden));
                        }
                    }
                }
            }
        }

        SplitRows(batch, (long)batch * 4 * hidden * hidden, true, Rows);
    }

    /// <summary>
    /// Packs W [4H, k] (W_hh with k = H, W_ih with k = I) into H/16 panels of k × 64 (see the file header), reading W
    /// row by row.
    /// </summary>
    private static float[] PackGates(float[] w, int hidden, int k)
    {
        var dst = PooledArrays.Rent<float>(4 * hidden * k);
        for (int row = 0; row < 4 * hidden; row++)
        {
            int q = row / hidden, u = row % hidden;
            int o = ((u / Units) * k * 4 * Units) + (q * Units) + (u % Units);
            var src = w.AsSpan(row * k, k);
            for (int p = 0; p < k; p++, o += 4 * Units)
            {
                dst[o] = src[p];
            }
        }

        return dst;
    }

    /// <summary>
    /// Where the cell of a run of rows reads c_{t-1} and writes c_t, h_t (rows of H floats) and, when Act is not null,
    /// the activated gates (rows of 4H, gate q at q·H) and tanh(c_t) (to Tc, rows of H).
    /// </summary>
    private readonly unsafe struct CellRows(float* cp, float* c, float* h, float* act, float* tc, int hidden)
    {
        public readonly float* Cp = cp, C = c, H = h, Act = act, Tc = tc;
        public readonly int Hidden = hidden;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public CellRows At(int row, int unit) => new(Cp + (row * Hidden) + unit, C + (row * Hidden) + unit, H + (row * Hidden) + unit,
            Act == null ? null : Act + (row * 4 * Hidden) + unit, Tc == null ? null : Tc + (row * Hidden) + unit, Hidden);
    }

    /// <summary>
    /// This step's inputs for a run of rows: row r's x_t (Width values) at X + r·RowStride, and W_ih packed like W_hh
    /// (panels of Width × 64).
    /// </summary>
    private readonly unsafe struct StepInputs(float* x, int rowStride, int width, float* packed)
    {
        public readonly float* X = x, Packed = packed;
        public readonly int RowStride = rowStride, Width = width;

        public StepInputs At(float* x) => new(x, RowStride, Width, Packed);

        public StepInputs Row(int r) => new(X + ((nint)r * RowStride), RowStride, Width, Packed);

        /// <summary>The packed W_ih panel of the 16 units from u0.</summary>
        public float* Panel(int u0) => Packed + ((nint)u0 * 4 * Width);
    }

    /// <summary>One step for m rows: per 16-unit panel, tiles of 4 rows, then single rows.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void FusedRows(int m, int hidden, float* hp, StepInputs x, float* bias, float* packed, CellRows cell)
    {
        int h4 = 4 * hidden;
        float* buffer = stackalloc float[(4 * 4 * Units) + 16];
        float* tile = (float*)(((nint)buffer + 63) & ~(nint)63); // 4 rows × 64 gates, cache-line aligned
        for (int u0 = 0; u0 < hidden; u0 += Units)
        {
            float* panel = packed + ((nint)u0 * h4);
            int r = 0;
            for (; r + 4 <= m; r += 4)
            {
                Fused4(x.Row(r), x.Panel(u0), hidden, hp + (r * hidden), panel, bias + u0, tile);
                Cells(tile, 4, cell.At(r, u0));
            }

            for (; r < m; r++)
            {
                Fused1(x.Row(r), x.Panel(u0), hidden, hp + (r * hidden), panel, bias + u0, tile);
                Cells(tile, 1, cell.At(r, u0));
            }
        }
    }

    /// <summary>
    /// 4 rows × 16 units: the gates bias + x·xpanel + a·panel (x: 4 rows of the step's inputs; a: 4 rows of h_{t-1},
    /// row stride k) to tile (rows of 64).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Fused4(StepInputs x, float* xpanel, int k, float* a, float* b, float* bias, float* tile)
    {
        nint h = k;
        var (a00, a01, a02, a03) = (Vector512.Load(bias), Vector512.Load(bias + h), Vector512.Load(bias + (2 * h)), Vector512.Load(bias + (3 * h)));
        var (a10, a11, a12, a13) = (a00, a01, a02, a03);
        var (a20, a21, a22, a23) = (a00, a01, a02, a03);
        var (a30, a31, a32, a33) = (a00, a01, a02, a03);

        // Two passes into the same accumulators: the input projection x_t·W_ihᵀ (rows of x strided by the input's
        // layout), then the recurrent part h_{t-1}·W_hhᵀ.
        for (int pass = 0; pass < 2; pass++)
        {
            float* r = pass == 0 ? x.X : a, w = pass == 0 ? xpanel : b;
            nint ld = pass == 0 ? x.RowStride : h, n = pass == 0 ? x.Width : h;
            for (nint p = 0; p < n; p++, w += 64)
            {
                var (w0, w1, w2, w3) = (Vector512.Load(w), Vector512.Load(w + 16), Vector512.Load(w + 32), Vector512.Load(w + 48));
                var v = Vector512.Create(r[p]);
                a00 = Vector512.FusedMultiplyAdd(v, w0, a00);
                a01 = Vector512.FusedMultiplyAdd(v, w1, a01);
                a02 = Vector512.FusedMultiplyAdd(v, w2, a02);
                a03 = Vector512.FusedMultiplyAdd(v, w3, a03);
                v = Vector512.Create(r[ld + p]);
                a10 = Vector512.FusedMultiplyAdd(v, w0, a10);
                a11 = Vector512.FusedMultiplyAdd(v, w1, a11);
                a12 = Vector512.FusedMultiplyAdd(v, w2, a12);
                a13 = Vector512.FusedMultiplyAdd(v, w3, a13);
                v = Vector512.Create(r[(2 * ld) + p]);
                a20 = Vector512.FusedMultiplyAdd(v, w0, a20);
                a21 = Vector512.FusedMultiplyAdd(v, w1, a21);
                a22 = Vector512.FusedMultiplyAdd(v, w2, a22);
                a23 = Vector512.FusedMultiplyAdd(v, w3, a23);
                v = Vector512.Create(r[(3 * ld) + p]);
                a30 = Vector512.FusedMultiplyAdd(v, w0, a30);
                a31 = Vector512.FusedMultiplyAdd(v, w1, a31);
                a32 = Vector512.FusedMultiplyAdd(v, w2, a32);
                a33 = Vector512.FusedMultiplyAdd(v, w3, a33);
            }
        }

        // The cell math has many temporaries: with 16 accumulators live the JIT would spill, so the gates go to an L1
        // tile and Cells reads them back.
        Store4(tile, a00, a01, a02, a03);
        Store4(tile + 64, a10, a11, a12, a13);
        Store4(tile + 128, a20, a21, a22, a23);
        Store4(tile + 192, a30, a31, a32, a33);
    }

    /// <summary>One row × 16 units, for the rows left after the 4-row tiles.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Fused1(StepInputs x, float* xpanel, int k, float* a, float* b, float* bias, float* tile)
    {
        nint h = k;
        var (a0, a1, a2, a3) = (Vector512.Load(bias), Vector512.Load(bias + h), Vector512.Load(bias + (2 * h)), Vector512.Load(bias + (3 * h)));
        for (int pass = 0; pass < 2; pass++)
        {
            float* r = pass == 0 ? x.X : a, w = pass == 0 ? xpanel : b;
            nint n = pass == 0 ? x.Width : h;
            for (nint p = 0; p < n; p++, w += 64)
            {
                var v = Vector512.Create(r[p]);
                a0 = Vector512.FusedMultiplyAdd(v, Vector512.Load(w), a0);
                a1 = Vector512.FusedMultiplyAdd(v, Vector512.Load(w + 16), a1);
                a2 = Vector512.FusedMultiplyAdd(v, Vector512.Load(w + 32), a2);
                a3 = Vector512.FusedMultiplyAdd(v, Vector512.Load(w + 48), a3);
            }
        }

        Store4(tile, a0, a1, a2, a3);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Store4(float* p, Vector512<float> a0, Vector512<float> a1, Vector512<float> a2, Vector512<float> a3)
    {
        a0.Store(p);
        a1.Store(p + 16);
        a2.Store(p + 32);
        a3.Store(p + 48);
    }

    /// <summary>
    /// The cell on 16 units of each of <paramref name="rows"/> rows of the gate tile: i, f, o = σ, g = tanh;
    /// c = f⊙c_{t-1} + i⊙g; h = o⊙tanh(c).
    /// </summary>
    /// <remarks>
    /// In two passes over the rows, the gates and c, then tanh(c) and h, so that the out-of-order core has the rows'
    /// independent chains to run side by side: a row's σ and tanh are chains of about 15 dependent FMAs, and row by
    /// row (two rows at a time) the cell ran at about 2 instructions per cycle (lstm_fwd 1.80-1.90 ms, now 1.77-1.83).
    /// The math is CellForward's (Lstm.cs), written out: returning the six vectors from a shared helper made the JIT
    /// spill them.
    /// </remarks>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Cells(float* tile, int rows, CellRows cell)
    {
        for (int r = 0; r < rows; r++)
        {
            GatesRow(tile + (r * 64), cell.At(r, 0));
        }

        for (int r = 0; r < rows; r++)
        {
            OutputRow(tile + (r * 64), cell.At(r, 0));
        }
    }

    // i, f, g, o and c = f⊙c_{t-1} + i⊙g of one row: c to C, o back to the tile (and the gates to Act when backward needs them).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void GatesRow(float* tile, CellRows at)
    {
        var i = FastMath.Sigmoid(Vector512.Load(tile));
        var f = FastMath.Sigmoid(Vector512.Load(tile + 16));
        var g = FastMath.Tanh(Vector512.Load(tile + 32));
        var o = FastMath.Sigmoid(Vector512.Load(tile + 48));
        ((f * Vector512.Load(at.Cp)) + (i * g)).Store(at.C);
        o.Store(tile + 48);
        if (at.Act != null)
        {
            nint n = at.Hidden;
            i.Store(at.Act);
            f.Store(at.Act + n);
            g.Store(at.Act + (2 * n));
            o.Store(at.Act + (3 * n));
        }
    }

    // h = o⊙tanh(c) of one row (and tanh(c) to Tc when backward needs it).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void OutputRow(float* tile, CellRows at)
    {
        var tc = FastMath.Tanh(Vector512.Load(at.C));
        (Vector512.Load(tile + 48) * tc).Store(at.H);
        if (at.Act != null)
        {
            tc.Store(at.Tc);
        }
    }
}
