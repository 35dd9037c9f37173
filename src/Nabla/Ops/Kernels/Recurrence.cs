// What the recurrent layer kernels (Lstm*.cs, Gru.cs, Rnn.cs) share: splitting the batch rows between threads, the
// per-step GEMM on a weight packed once per call (RecurrenceGemm.cs), the weight gradient over all steps, the gate
// activations, and, for the GRU and the RNN, whose step is h_t = cell(h_{t-1}·W_hhᵀ, h_{t-1}, ...), the whole time
// loop forward and in BPTT around a per-row cell. (The LSTM also carries c_t and has its own loops, Lstm.cs.)
//
// Variable lengths: row b is processed at time t only when t < len[b]; otherwise its state is carried unchanged, its
// gate gradients are zero and dh passes to the previous step unchanged. In the reverse direction time runs T−1 … 0,
// so a sequence of length L starts at t = L−1 from h0, as if run alone.
using System.Numerics;
using System.Runtime.Intrinsics;

namespace Nabla.Ops.Kernels;

/// <summary>One row of one step forward: g = h_{t-1}·W_hhᵀ (the row of the step GEMM), hp = h_{t-1}; h receives h_t.</summary>
internal delegate void RowForward<T>(int t, int b, ReadOnlySpan<T> g, ReadOnlySpan<T> hp, Span<T> h);

/// <summary>
/// One row of one step of BPTT: dh holds ∂L/∂h_t and receives the part of ∂L/∂h_{t-1} that does not pass through W_hh;
/// dg receives ∂L/∂g for g = h_{t-1}·W_hhᵀ.
/// </summary>
internal delegate void RowBackward<T>(int t, int b, ReadOnlySpan<T> hp, Span<T> dh, Span<T> dg);

internal static partial class Recurrence
{
    /// <summary>
    /// hs[t] = cell(h_{t-1}·W_hhᵀ, h_{t-1}) for every step (W_hh [n, H]): per step one GEMM for the rows of a thread, then
    /// the cell per row; carried rows (past their length) copy h_{t-1}.
    /// </summary>
    public static void Forward<T>(int steps, int batch, int hidden, int n, T[] w, T[] h0, int[]? lengths, bool reverse, T[] hs,
        RowForward<T> cell) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int bh = batch * hidden;
        var packed = UsePacked<T>(n) ? PackTransposed((float[])(object)w, n, hidden) : null;

        void Rows(int b0, int b1)
        {
            int m = b1 - b0;
            var g = new T[m * n];
            for (int k = 0; k < steps; k++)
            {
                int t = reverse ? steps - 1 - k : k;
                var (hp, hpo) = k == 0 ? (h0, 0) : (hs, (reverse ? t + 1 : t - 1) * bh);
                StepGemm(m, n, hidden, hp, hpo + (b0 * hidden), hidden, packed, w, true, g);
                for (int b = b0; b < b1; b++)
                {
                    var h = hs.AsSpan((t * bh) + (b * hidden), hidden);
                    var prev = hp.AsSpan(hpo + (b * hidden), hidden);
                    if (lengths is not null && t >= lengths[b])
                    {
                        prev.CopyTo(h);
                    }
                    else
                    {
                        cell(t, b, g.AsSpan((b - b0) * n, n), prev, h);
                    }
                }
            }
        }

        SplitRows(batch, (long)bh * n, packed is not null, Rows);
    }

    /// <summary>
    /// BPTT through <see cref="Forward"/>: from dhs [T,B,H] (∂L/∂h_t of every step) fills dg [T,B,n] with ∂L/∂g_t (zero
    /// for carried rows), and computes dh0, dw = Σ_t dg_tᵀ·h_{t-1} and, when not null, dbias = Σ_t,b dg_t. Per step:
    /// dh = dhs[t] + dh_carry; the cell per row; dh_carry = dg_t·W_hh (one GEMM) + what the cell left in dh.
    /// </summary>
    public static void Backward<T>(int steps, int batch, int hidden, int n, T[] w, T[] h0, int[]? lengths, bool reverse, T[] hs,
        T[] dhs, T[] dg, T[] dw, T[]? dbias, T[] dh0, RowBackward<T> cell) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int bh = batch * hidden;
        var dhA = new T[bh];
        var dhB = new T[bh];
        var packed = UsePacked<T>(hidden) ? Pack((float[])(object)w, n, hidden, hidden) : null;
        if (dbias is not null)
        {
            Array.Clear(dbias);
        }

        void Rows(int b0, int b1)
        {
            int m = b1 - b0, r0 = b0 * hidden, rn = m * hidden;
            var (dh, dhNext) = (dhA, dhB);
            var db = dbias is null ? null : new T[n]; // this thread's part of Σ dg, summed while the rows are in L1
            for (int k = steps - 1; k >= 0; k--)
            {
                int t = reverse ? steps - 1 - k : k;
                var (hp, hpo) = k == 0 ? (h0, 0) : (hs, (reverse ? t + 1 : t - 1) * bh);
                AddShort<T>(dh.AsSpan(r0, rn), dhs.AsSpan((t * bh) + r0, rn), dh.AsSpan(r0, rn));
                for (int b = b0; b < b1; b++)
                {
                    var dgr = dg.AsSpan((t * batch * n) + (b * n), n);
                    if (lengths is not null && t >= lengths[b])
                    {
                        dgr.Clear(); // a carried row: dh passes to the previous step unchanged
                        continue;
                    }

                    cell(t, b, hp.AsSpan(hpo + (b * hidden), hidden), dh.AsSpan(b * hidden, hidden), dgr);
                    if (db is not null)
                    {
                        AddShort<T>(db, dgr, db);
                    }
                }

                StepGemm(m, hidden, n, dg, (t * batch * n) + (b0 * n), n, packed, w, false, dhNext, r0);
                AddShort<T>(dhNext.AsSpan(r0, rn), dh.AsSpan(r0, rn), dhNext.AsSpan(r0, rn));
                (dh, dhNext) = (dhNext, dh);
            }

            if (db is not null)
            {
                lock (dbias!)
                {
                    AddShort<T>(dbias, db, dbias);
                }
            }
        }

        SplitRows(batch, (long)bh * n, packed is not null, Rows);
        Array.Copy(steps % 2 == 0 ? dhA : dhB, dh0, bh); // where the last step left dh_{-1}
        WeightGrad(steps, batch, hidden, n, reverse, dg, hs, h0, dw);
    }

    /// <summary>
    /// Runs rows(b0, b1) over the batch, split between threads when the packed per-step GEMM is large enough (at least
    /// 2²⁰ multiply-adds per step, <paramref name="stepMacs"/>): at least one 8-row tile per thread, split points on
    /// multiples of 8 rows, the last part taking the rest. Rows are independent through time, forward and in BPTT, so
    /// each thread runs the whole sequence for its rows and the threads never wait for each other.
    /// </summary>
    internal static void SplitRows(int batch, long stepMacs, bool packed, Action<int, int> rows)
    {
        int parts = packed && stepMacs >= 1 << 20 ? Math.Max(1, Math.Min(Workers.Count, batch / 8)) : 1;
        if (parts > 1)
        {
            Parallel.For(0, parts, Workers.Options, p => rows(batch * p / parts / 8 * 8, p + 1 == parts ? batch : batch * (p + 1) / parts / 8 * 8));
        }
        else
        {
            rows(0, batch);
        }
    }

    // dst = a + b for the short runs of one step (a few hundred values): inline, without a library call per run.
    internal static void AddShort<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> dst) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int j = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; j <= a.Length - Vector512<T>.Count; j += Vector512<T>.Count)
            {
                (Vector512.Create(a[j..]) + Vector512.Create(b[j..])).CopyTo(dst[j..]);
            }
        }

        for (; j < a.Length; j++)
        {
            dst[j] = a[j] + b[j];
        }
    }

    /// <summary>
    /// dW = Σ_t dg_tᵀ·h_{t-1} (dg [T,B,n]; hs [T,B,H] the states, h_{-1} = h0): two GEMMs over all
    /// steps, the steps after the first against the states shifted by one step, the first against h0.
    /// </summary>
    internal static void WeightGrad<T>(int steps, int batch, int hidden, int n, bool reverse, T[] dg, T[] hs, T[] h0, T[] dw)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int bh = batch * hidden, first = reverse ? steps - 1 : 0, rest = (steps - 1) * batch;
        if (rest > 0)
        {
            Gemm.Multiply(true, false, n, hidden, rest, dg, reverse ? 0 : batch * n, n, hs, reverse ? bh : 0, hidden, dw, 0, hidden, false);
        }
        else
        {
            Array.Clear(dw);
        }

        Gemm.Multiply(true, false, n, hidden, batch, dg, first * batch * n, n, h0, 0, hidden, dw, 0, hidden, true);
    }

    /// <summary>σ(x) = 1 / (1 + e^(−x)).</summary>
    internal static T Sigmoid<T>(T x) where T : IFloatingPointIeee754<T> => T.One / (T.One + T.Exp(-x));

    /// <summary>σ(x) = 1 / (1 + e^(−x)): FastMath's for float, the vectorised exp of .NET and a division for double.</summary>
    internal static Vector512<T> Sigmoid<T>(Vector512<T> x) => typeof(T) == typeof(float)
        ? FastMath.Sigmoid(x.AsSingle()).As<float, T>()
        : Vector512<T>.One / (Vector512<T>.One + Exp(-x));

    /// <summary>tanh per lane: FastMath's for float; for double 1 − 2 / (e^(2x) + 1) (exact limits ±1, absolute error a few ulps of 1).</summary>
    internal static Vector512<T> Tanh<T>(Vector512<T> x) => typeof(T) == typeof(float)
        ? FastMath.Tanh(x.AsSingle()).As<float, T>()
        : Vector512<T>.One - ((Vector512<T>.One + Vector512<T>.One) / (Exp(x + x) + Vector512<T>.One));

    // Float: the polynomial exp of FastMath (Vector512.Exp for float evaluates in double precision, 3-4× slower).
    private static Vector512<T> Exp<T>(Vector512<T> x) => typeof(T) == typeof(float)
        ? FastMath.Exp(x.AsSingle()).As<float, T>()
        : Vector512.Exp(x.AsDouble()).As<double, T>();
}
