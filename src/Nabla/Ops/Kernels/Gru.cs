// GRU layer kernels: the whole time loop of one direction of one layer, forward and BPTT backward.
//
// Layout (row-major, time-major): xg [T,B,3H] = x_t·W_ihᵀ + b_ih for every step (one GEMM, done by the caller);
// w = W_hh [3H,H]; an optional b_hh [3H]; h0 [B,H]; hs [T,B,H]: hs[t] = h_t. Gate order r, z, n (PyTorch). Per step:
// one GEMM gh = h_{t-1}·W_hhᵀ for the three gates, then one pass per row:
//   r = σ(xr + ghr + bhr), z = σ(xz + ghz + bhz), n = tanh(xn + r⊙(ghn + bhn)), h = n + z⊙(h_{t-1} − n).
// Unlike the LSTM, b_hh cannot be folded into b_ih: r multiplies W_hn·h + b_hn. The forward keeps r, z, n and
// W_hn·h + b_hn per step ([T,B,4H]) for the backward.
//
// Backward (BPTT), time in the opposite order, dh = dhs[t] + dh_carry:
//   dn = dh⊙(1 − z); dz = dh⊙(h_{t-1} − n); da_n = dn⊙(1 − n²) (the gradient of n's pre-activation);
//   da_r = da_n⊙(ghn + bhn)⊙r(1 − r); da_z = dz⊙z(1 − z);
//   dxg_t = [da_r, da_z, da_n]; dgh_t = [da_r, da_z, da_n⊙r]; dh_carry = dh⊙z + dgh_t·W_hh (one GEMM);
// then dW_hh = Σ_t dgh_tᵀ·h_{t-1} (two GEMMs over all steps) and db_hh = Σ_t,b dgh_t.
// The time loops, variable lengths and the threads are Recurrence's (Recurrence.cs); this file has the GRU cell.
using System.Numerics;
using System.Runtime.Intrinsics;

namespace Nabla.Ops.Kernels;

internal static class Gru
{
    /// <summary>
    /// Runs the forward loop. <paramref name="act"/>: [T,B,4H] to keep r, z, n and W_hn·h_{t-1} + b_hn for backward,
    /// or null.
    /// </summary>
    public static void Forward<T>(int steps, int batch, int hidden, T[] xg, T[] w, T[]? bias, T[] h0, int[]? lengths, bool reverse,
        T[] hs, T[]? act) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int h3 = 3 * hidden, h4 = 4 * hidden;
        Recurrence.Forward(steps, batch, hidden, h3, w, h0, lengths, reverse, hs, (t, b, gh, hp, h) =>
        {
            int r = (t * batch) + b;
            CellForward(xg.AsSpan(r * h3, h3), gh, bias, hp, h, act is null ? new T[h4] : act.AsSpan(r * h4, h4), hidden);
        });
    }

    /// <summary>
    /// BPTT through the loop run by <see cref="Forward"/>: from dhs [T,B,H] computes dxg [T,B,3H], dw [3H,H], the bias
    /// gradient db [3H] (when there is a bias) and dh0 [B,H].
    /// </summary>
    public static void Backward<T>(int steps, int batch, int hidden, T[] w, T[] h0, int[]? lengths, bool reverse,
        T[] hs, T[] act, T[] dhs, T[] dxg, T[] dw, T[]? dbias, T[] dh0) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int h3 = 3 * hidden, h4 = 4 * hidden;
        if (lengths is not null)
        {
            // Carried rows get no input gradient (the driver clears their dgh and passes their dh through).
            for (int t = 0; t < steps; t++)
            {
                for (int b = 0; b < batch; b++)
                {
                    if (t >= lengths[b])
                    {
                        dxg.AsSpan(((t * batch) + b) * h3, h3).Clear();
                    }
                }
            }
        }

        // dgh (the gradient of h·W_hhᵀ) differs from dxg only in the n gate: da_n⊙r against da_n.
        var dgh = PooledArrays.Rent<T>(steps * batch * h3);
        Recurrence.Backward(steps, batch, hidden, h3, w, h0, lengths, reverse, hs, dhs, dgh, dw, dbias, dh0, (t, b, hp, dh, dg) =>
        {
            int r = (t * batch) + b;
            CellBackward(act.AsSpan(r * h4, h4), hp, dh, dxg.AsSpan(r * h3, h3), dg, hidden);
        });
    }

    /// <summary>One row of the cell forward; a (unless empty: inference): r, z, n, W_hn·h + b_hn (4H) for the backward.</summary>
    private static void CellForward<T>(ReadOnlySpan<T> xg, ReadOnlySpan<T> gh, T[]? bias, ReadOnlySpan<T> hp, Span<T> h, Span<T> a, int n)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int j = 0;
        bool keep = !a.IsEmpty;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; j <= n - Vector512<T>.Count; j += Vector512<T>.Count)
            {
                var (br, bz, bn) = bias is null ? default : (Vector512.Create(bias, j), Vector512.Create(bias, n + j), Vector512.Create(bias, (2 * n) + j));
                var r = Recurrence.Sigmoid(Vector512.Create(xg[j..]) + Vector512.Create(gh[j..]) + br);
                var z = Recurrence.Sigmoid(Vector512.Create(xg[(n + j)..]) + Vector512.Create(gh[(n + j)..]) + bz);
                var ghn = Vector512.Create(gh[((2 * n) + j)..]) + bn;
                var nv = Recurrence.Tanh(Vector512.Create(xg[((2 * n) + j)..]) + (r * ghn));
                (nv + (z * (Vector512.Create(hp[j..]) - nv))).CopyTo(h[j..]);
                if (keep)
                {
                    r.CopyTo(a[j..]);
                    z.CopyTo(a[(n + j)..]);
                    nv.CopyTo(a[((2 * n) + j)..]);
                    ghn.CopyTo(a[((3 * n) + j)..]);
                }
            }
        }

        for (; j < n; j++)
        {
            T br = bias is null ? T.Zero : bias[j], bz = bias is null ? T.Zero : bias[n + j], bn = bias is null ? T.Zero : bias[(2 * n) + j];
            T r = Recurrence.Sigmoid(xg[j] + gh[j] + br);
            T z = Recurrence.Sigmoid(xg[n + j] + gh[n + j] + bz);
            T ghn = gh[(2 * n) + j] + bn;
            T nv = T.Tanh(xg[(2 * n) + j] + (r * ghn));
            h[j] = nv + (z * (hp[j] - nv));
            if (keep)
            {
                (a[j], a[n + j], a[(2 * n) + j], a[(3 * n) + j]) = (r, z, nv, ghn);
            }
        }
    }

    /// <summary>One row of the cell backward (see the file header); <paramref name="dh"/> is replaced by dh⊙z.</summary>
    private static void CellBackward<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> hp, Span<T> dh, Span<T> dxg, Span<T> dgh, int n)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int j = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            var one = Vector512<T>.One;
            for (; j <= n - Vector512<T>.Count; j += Vector512<T>.Count)
            {
                var r = Vector512.Create(a[j..]);
                var z = Vector512.Create(a[(n + j)..]);
                var nv = Vector512.Create(a[((2 * n) + j)..]);
                var ghn = Vector512.Create(a[((3 * n) + j)..]);
                var d = Vector512.Create(dh[j..]);
                var dan = d * (one - z) * (one - (nv * nv));
                var dar = dan * ghn * r * (one - r);
                var daz = d * (Vector512.Create(hp[j..]) - nv) * z * (one - z);
                dar.CopyTo(dxg[j..]);
                daz.CopyTo(dxg[(n + j)..]);
                dan.CopyTo(dxg[((2 * n) + j)..]);
                dar.CopyTo(dgh[j..]);
                daz.CopyTo(dgh[(n + j)..]);
                (dan * r).CopyTo(dgh[((2 * n) + j)..]);
                (d * z).CopyTo(dh[j..]);
            }
        }

        for (; j < n; j++)
        {
            T r = a[j], z = a[n + j], nv = a[(2 * n) + j], ghn = a[(3 * n) + j], d = dh[j];
            T dan = d * (T.One - z) * (T.One - (nv * nv));
            T dar = dan * ghn * r * (T.One - r);
            T daz = d * (hp[j] - nv) * z * (T.One - z);
            (dxg[j], dxg[n + j], dxg[(2 * n) + j]) = (dar, daz, dan);
            (dgh[j], dgh[n + j], dgh[(2 * n) + j]) = (dar, daz, dan * r);
            dh[j] = d * z;
        }
    }
}
