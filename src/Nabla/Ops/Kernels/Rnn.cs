// Elman RNN layer kernels: the whole time loop of one direction of one layer, forward and BPTT backward.
//
// Layout (row-major, time-major): xg [T,B,H] = x_t·W_ihᵀ + b_ih for every step (one GEMM, done by the caller);
// w = W_hh [H,H]; an optional b_hh [H]; h0 [B,H]; hs [T,B,H]: hs[t] = h_t. Per step one GEMM h_{t-1}·W_hhᵀ, then
// h = act(xg + h_{t-1}·W_hhᵀ + b_hh) per row, act = tanh or relu. The backward needs only hs: act'(a) is 1 − h² for
// tanh and [h > 0] for relu.
//
// Backward (BPTT), time in the opposite order: dh = dhs[t] + dh_carry; da = dh⊙act'(a_t); dxg_t = da;
// dh_carry = da·W_hh (one GEMM); then dW_hh = Σ_t da_tᵀ·h_{t-1} (two GEMMs over all steps) and db_hh = Σ_t,b da_t.
// The time loops, variable lengths and the threads are Recurrence's (Recurrence.cs); this file has the RNN cell.
using System.Numerics;
using System.Runtime.Intrinsics;

namespace Nabla.Ops.Kernels;

internal static class Rnn
{
    /// <summary>Runs the forward loop (hs receives h_t for every step).</summary>
    public static void Forward<T>(int steps, int batch, int hidden, T[] xg, T[] w, T[]? bias, T[] h0, int[]? lengths, bool reverse,
        bool relu, T[] hs) where T : unmanaged, IFloatingPointIeee754<T>
    {
        Recurrence.Forward(steps, batch, hidden, hidden, w, h0, lengths, reverse, hs, (t, b, g, hp, h) =>
            Activate(xg.AsSpan(((t * batch) + b) * hidden, hidden), g, bias, h, relu));
    }

    /// <summary>
    /// BPTT through the loop run by <see cref="Forward"/>: from dhs [T,B,H] computes dxg [T,B,H], dw [H,H], the bias
    /// gradient db [H] (when there is a bias) and dh0 [B,H].
    /// </summary>
    public static void Backward<T>(int steps, int batch, int hidden, T[] w, T[] h0, int[]? lengths, bool reverse, bool relu,
        T[] hs, T[] dhs, T[] dxg, T[] dw, T[]? dbias, T[] dh0) where T : unmanaged, IFloatingPointIeee754<T>
    {
        // da is both dxg and the gradient of h·W_hhᵀ; nothing of dh bypasses W_hh.
        Recurrence.Backward(steps, batch, hidden, hidden, w, h0, lengths, reverse, hs, dhs, dxg, dw, dbias, dh0, (t, b, hp, dh, da) =>
        {
            Derivative(hs.AsSpan(((t * batch) + b) * hidden, hidden), dh, da, relu);
            dh.Clear();
        });
    }

    /// <summary>h = act(xg + g + b) for one row (g = h_{t-1}·W_hhᵀ).</summary>
    private static void Activate<T>(ReadOnlySpan<T> xg, ReadOnlySpan<T> g, T[]? bias, Span<T> h, bool relu) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int n = h.Length, j = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; j <= n - Vector512<T>.Count; j += Vector512<T>.Count)
            {
                var a = Vector512.Create(xg[j..]) + Vector512.Create(g[j..]) + (bias is null ? default : Vector512.Create(bias, j));
                (relu ? Vector512.Max(a, Vector512<T>.Zero) : Recurrence.Tanh(a)).CopyTo(h[j..]);
            }
        }

        for (; j < n; j++)
        {
            T a = xg[j] + g[j] + (bias is null ? T.Zero : bias[j]);
            h[j] = relu ? T.Max(a, T.Zero) : T.Tanh(a);
        }
    }

    /// <summary>da = dh⊙act'(a), from h = act(a): 1 − h² for tanh, [h &gt; 0] for relu.</summary>
    private static void Derivative<T>(ReadOnlySpan<T> h, ReadOnlySpan<T> dh, Span<T> da, bool relu) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int n = h.Length, j = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; j <= n - Vector512<T>.Count; j += Vector512<T>.Count)
            {
                var hv = Vector512.Create(h[j..]);
                var d = Vector512.Create(dh[j..]);
                (relu ? Vector512.ConditionalSelect(Vector512.GreaterThan(hv, Vector512<T>.Zero), d, Vector512<T>.Zero) : d * (Vector512<T>.One - (hv * hv))).CopyTo(da[j..]);
            }
        }

        for (; j < n; j++)
        {
            da[j] = relu ? (h[j] > T.Zero ? dh[j] : T.Zero) : dh[j] * (T.One - (h[j] * h[j]));
        }
    }
}
