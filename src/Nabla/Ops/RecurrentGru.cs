using System.Numerics;
using Nabla.Ops.Kernels;
using static Nabla.Ops.RecurrentOps;

namespace Nabla.Ops;

/// <summary>
/// One direction of one GRU layer over a whole sequence, fused: hs = gru_layer(xg, W_hh, h0[, b_hh]) with xg [T,B,3H]
/// the input projections of every step (x_t·W_ihᵀ + b_ih), W_hh [3H,H], h0 [B,H], an optional b_hh [3H], and hs
/// [T,B,H] holding h_t for every step.
/// </summary>
/// <remarks>
/// The kernel (<see cref="Gru"/>) runs one GEMM per step for the three gates and one pass per row for the gate math,
/// and its backward runs BPTT with one GEMM per step plus one GEMM for dW_hh over all steps (Note [Fused LSTM layer]
/// in Recurrent.cs describes the same design). <see cref="Composite"/> is the same function in primitive tensor ops:
/// the oracle, and the backward used when a graph of the gradient is requested. With <c>lengths</c>, row b is updated
/// only at t &lt; lengths[b] and carries its state otherwise.
/// </remarks>
internal sealed class GruLayer(bool reverse = false, int[]? lengths = null) : Op
{
    public override string Name => "gru_layer";

    public override string Formula => "r, z = σ(xg + h_{t-1}·W_hhᵀ + b_hh), n = tanh(xg_n + r⊙(h_{t-1}·W_hnᵀ + b_hn)); h_t = (1 − z)⊙n + z⊙h_{t-1}";

    public override string GradFormula => "dn = dh⊙(1 − z); dz = dh⊙(h_{t-1} − n); da_n = dn⊙(1 − n²); dxg = [da_n⊙(W_hn h + b_hn)⊙r(1−r), dz⊙z(1−z), da_n]; dh_{t-1} = dh⊙z + dgh·W_hh; dW_hh = Σ dghᵀ·h_{t-1}";

    public Tensor Apply(Tensor xg, Tensor w, Tensor h0, Tensor? bias = null)
    {
        xg.RequireFloat(Name);
        if (xg.Rank != 3 || xg.Shape[2] % 3 != 0)
        {
            throw new ArgumentException($"{Name}: expected gates of shape (T, B, 3H), got {xg.Shape}");
        }

        int steps = xg.Shape[0], batch = xg.Shape[1], hidden = xg.Shape[2] / 3;
        if (w.Shape != new Shape(3 * hidden, hidden) || h0.Shape != new Shape(batch, hidden))
        {
            throw new ArgumentException($"{Name}: expected W_hh ({3 * hidden}, {hidden}) and h0 ({batch}, {hidden}), got {w.Shape}, {h0.Shape}");
        }

        if (bias is not null && bias.Shape != new Shape(3 * hidden))
        {
            throw new ArgumentException($"{Name}: expected a bias of shape ({3 * hidden}), got {bias.Shape}");
        }

        if (w.DType != xg.DType || h0.DType != xg.DType || (bias is not null && bias.DType != xg.DType))
        {
            throw new ArgumentException($"{Name}: all inputs must have the dtype of the gates ({xg.DType})");
        }

        CheckLengths(Name, lengths, batch, steps);

        var (xc, wc, hc, bc) = (xg.ContiguousNoGrad(), w.ContiguousNoGrad(), h0.ContiguousNoGrad(), bias?.ContiguousNoGrad());
        Tensor[] inputs = bias is null ? [xg, w, h0] : [xg, w, h0, bias];
        var hs = Tensor.Empty(new Shape(steps, batch, hidden), xg.DType);
        bool save = GradMode.IsEnabled && inputs.Any(x => x.RequiresGrad);
        Array? act = null;
        if (hs.Numel > 0)
        {
            act = xg.DType == DType.Float32
                ? Forward<float>(xc, wc, bc, hc, hs, steps, batch, hidden, save)
                : Forward<double>(xc, wc, bc, hc, hs, steps, batch, hidden, save);
        }

        return Record(hs, inputs, dhs => GradMode.IsEnabled || act is null
            ? OfComposite(dhs, inputs, () => Composite(inputs[0], inputs[1], inputs[2], inputs.Length > 3 ? inputs[3] : null, reverse, lengths))
            : xg.DType == DType.Float32
                ? KernelBackward<float>(dhs, wc, bc, hc, hs, act, steps, batch, hidden)
                : KernelBackward<double>(dhs, wc, bc, hc, hs, act, steps, batch, hidden));
    }

    /// <summary>The same function in primitive ops, one step at a time (the oracle).</summary>
    public static Tensor Composite(Tensor xg, Tensor w, Tensor h0, Tensor? bias = null, bool reverse = false, int[]? lengths = null)
    {
        int steps = xg.Shape[0], batch = xg.Shape[1], hidden = xg.Shape[2] / 3;
        var h = h0;
        var hs = new Tensor[steps];
        var wt = w.T;
        for (int k = 0; k < steps; k++)
        {
            int t = reverse ? steps - 1 - k : k;
            var x = xg.Select(0, t);
            var gh = h.MatMul(wt);
            if (bias is not null)
            {
                gh = gh + bias;
            }

            var r = (x.Narrow(1, 0, hidden) + gh.Narrow(1, 0, hidden)).Sigmoid();
            var z = (x.Narrow(1, hidden, hidden) + gh.Narrow(1, hidden, hidden)).Sigmoid();
            var n = (x.Narrow(1, 2 * hidden, hidden) + (r * gh.Narrow(1, 2 * hidden, hidden))).Tanh();
            var hn = n + (z * (h - n));
            if (lengths is not null)
            {
                hn = Tensor.Where(ValidRows(lengths, t), hn, h);
            }

            (h, hs[t]) = (hn, hn);
        }

        return steps == 0 ? Tensor.Zeros(new Shape(0, batch, hidden), xg.DType) : Tensor.Stack(hs);
    }

    private Array? Forward<T>(Tensor xg, Tensor w, Tensor? bias, Tensor h0, Tensor hs, int steps, int batch, int hidden, bool save)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var act = save ? PooledArrays.Rent<T>(steps * batch * 4 * hidden) : null; // r, z, n, W_hn·h + b_hn
        Gru.Forward(steps, batch, hidden, Dense<T>(xg), Dense<T>(w), bias is null ? null : Dense<T>(bias), Dense<T>(h0), lengths, reverse, hs.Elements<T>(), act);
        return act;
    }

    private Tensor?[] KernelBackward<T>(Tensor dhs, Tensor w, Tensor? bias, Tensor h0, Tensor hs, Array act, int steps, int batch, int hidden)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var dxg = Tensor.Empty(new Shape(steps, batch, 3 * hidden), hs.DType);
        var dw = Tensor.Empty(w.Shape, hs.DType);
        var dh0 = Tensor.Empty(h0.Shape, hs.DType);
        var db = bias is null ? null : Tensor.Empty(bias.Shape, hs.DType);
        Gru.Backward(steps, batch, hidden, Dense<T>(w), Dense<T>(h0), lengths, reverse, hs.Elements<T>(), (T[])act,
            Dense<T>(dhs.ContiguousNoGrad()), dxg.Elements<T>(), dw.Elements<T>(), db?.Elements<T>(), dh0.Elements<T>());
        return db is null ? [dxg, dw, dh0] : [dxg, dw, dh0, db];
    }
}
