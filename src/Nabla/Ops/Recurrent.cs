using System.Numerics;
using Nabla.Ops.Kernels;
using static Nabla.Ops.RecurrentGrad;

namespace Nabla.Ops;

/// <summary>
/// One direction of one LSTM layer over a whole sequence, fused: s = lstm_layer(xg, W_hh, h0, c0[, b]) with
/// xg [T,B,4H] the input projections of every step (x_t·W_ihᵀ), W_hh [4H,H], h0 and c0 [B,H], an optional bias b [4H]
/// (b_ih + b_hh), and s [2,T,B,H] holding h_t (s[0]) and c_t (s[1]) for every step.
/// </summary>
/// <remarks>
/// Note [Fused LSTM layer]: the kernel (<see cref="Lstm"/>) runs one GEMM per step for all four gates and one pass
/// per row for the gate math, and its backward runs BPTT with one GEMM per step plus one GEMM for dW_hh over all
/// steps. <see cref="Composite"/> is the same function in primitive tensor ops, one step at a time: it is the
/// oracle the op table checks the kernel against, and it is also the backward used when a graph of the
/// gradient is requested (<c>createGraph: true</c>): then the backward is the vector-Jacobian product of the
/// composite, recorded in tensor ops, so higher derivatives stay exact (Note [Backward in tensor ops]).
/// With <c>lengths</c>, row b is updated only at t &lt; lengths[b] and carries its state otherwise.
/// </remarks>
internal sealed class LstmLayer(bool reverse = false, int[]? lengths = null) : Op
{
    public override string Name => "lstm_layer";

    public override string Formula => "i,f,o = σ(·), g = tanh(·) of xg_t + b + h_{t-1}·W_hhᵀ; c_t = f⊙c_{t-1} + i⊙g; h_t = o⊙tanh(c_t); s = [h; c]";

    public override string GradFormula => "dĉ = dc + dh⊙o⊙(1 − tanh²c); dgates = [dĉ⊙g⊙i(1−i), dĉ⊙c_{t-1}⊙f(1−f), dĉ⊙i⊙(1−g²), dh⊙tanh(c)⊙o(1−o)]; dh_{t-1} = dgates·W_hh; dW_hh = Σ dgatesᵀ·h_{t-1}; dxg = dgates; db = Σ dgates";

    public Tensor Apply(Tensor xg, Tensor w, Tensor h0, Tensor c0, Tensor? bias = null)
    {
        xg.RequireFloat(Name);
        if (xg.Rank != 3 || xg.Shape[2] % 4 != 0)
        {
            throw new ArgumentException($"{Name}: expected gates of shape (T, B, 4H), got {xg.Shape}");
        }

        int steps = xg.Shape[0], batch = xg.Shape[1], hidden = xg.Shape[2] / 4;
        var sh = new Shape(batch, hidden);
        if (w.Shape != new Shape(4 * hidden, hidden) || h0.Shape != sh || c0.Shape != sh)
        {
            throw new ArgumentException($"{Name}: expected W_hh ({4 * hidden}, {hidden}) and states {sh}, got {w.Shape}, {h0.Shape}, {c0.Shape}");
        }

        if (bias is not null && bias.Shape != new Shape(4 * hidden))
        {
            throw new ArgumentException($"{Name}: expected a bias of shape ({4 * hidden}), got {bias.Shape}");
        }

        if (w.DType != xg.DType || h0.DType != xg.DType || c0.DType != xg.DType || (bias is not null && bias.DType != xg.DType))
        {
            throw new ArgumentException($"{Name}: all inputs must have the dtype of the gates ({xg.DType})");
        }

        if (lengths is not null && (lengths.Length != batch || lengths.Any(l => l < 0 || l > steps)))
        {
            throw new ArgumentException($"{Name}: expected {batch} lengths in [0, {steps}], got [{string.Join(", ", lengths)}]");
        }

        var (xc, wc, hc, cc) = (xg.ContiguousNoGrad(), w.ContiguousNoGrad(), h0.ContiguousNoGrad(), c0.ContiguousNoGrad());
        var bc = bias?.ContiguousNoGrad();
        Tensor[] inputs = bias is null ? [xg, w, h0, c0] : [xg, w, h0, c0, bias];
        var s = Tensor.Empty(new Shape(2, steps, batch, hidden), xg.DType);
        bool save = GradMode.IsEnabled && inputs.Any(x => x.RequiresGrad);
        Array? act = null;
        if (s.Numel > 0)
        {
            act = xg.DType == DType.Float32
                ? Forward<float>(xc, wc, bc, hc, cc, s, steps, batch, hidden, save)
                : Forward<double>(xc, wc, bc, hc, cc, s, steps, batch, hidden, save);
        }

        return Record(s, inputs, ds => GradMode.IsEnabled || act is null
            ? RecurrentGrad.OfComposite(ds, inputs, () => Composite(inputs[0], inputs[1], inputs[2], inputs[3], inputs.Length > 4 ? inputs[4] : null, reverse, lengths))
            : KernelBackward(ds, wc, bc, hc, cc, s, act, steps, batch, hidden));
    }

    /// <summary>The same function in primitive ops, one step at a time (the oracle).</summary>
    public static Tensor Composite(Tensor xg, Tensor w, Tensor h0, Tensor c0, Tensor? bias = null, bool reverse = false, int[]? lengths = null)
    {
        int steps = xg.Shape[0], batch = xg.Shape[1], hidden = xg.Shape[2] / 4;
        var (h, c) = (h0, c0);
        var hs = new Tensor[steps];
        var cs = new Tensor[steps];
        var wt = w.T;
        for (int k = 0; k < steps; k++)
        {
            int t = reverse ? steps - 1 - k : k;
            var gates = xg.Select(0, t) + h.MatMul(wt);
            if (bias is not null)
            {
                gates = gates + bias;
            }

            var i = gates.Narrow(1, 0, hidden).Sigmoid();
            var f = gates.Narrow(1, hidden, hidden).Sigmoid();
            var g = gates.Narrow(1, 2 * hidden, hidden).Tanh();
            var o = gates.Narrow(1, 3 * hidden, hidden).Sigmoid();
            var cn = (f * c) + (i * g);
            var hn = o * cn.Tanh();
            if (lengths is not null)
            {
                var valid = Tensor.FromArray(lengths.Select(l => t < l).ToArray(), new Shape(batch, 1));
                (hn, cn) = (Tensor.Where(valid, hn, h), Tensor.Where(valid, cn, c));
            }

            (h, c, hs[t], cs[t]) = (hn, cn, hn, cn);
        }

        return steps == 0 ? Tensor.Zeros(new Shape(2, 0, batch, hidden), xg.DType)
            : Tensor.Stack([Tensor.Stack(hs), Tensor.Stack(cs)]);
    }

    public static long Flops(int steps, int batch, int hidden) => (2L * steps * batch * 4 * hidden * hidden) + (12L * steps * batch * hidden);

    private Array? Forward<T>(Tensor xg, Tensor w, Tensor? bias, Tensor h0, Tensor c0, Tensor s, int steps, int batch, int hidden, bool save)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var act = save ? GC.AllocateUninitializedArray<T>(steps * batch * 5 * hidden) : null; // gates and tanh(c_t)
        Lstm.Forward(steps, batch, hidden, Dense<T>(xg), Dense<T>(w), bias is null ? null : Dense<T>(bias), Dense<T>(h0), Dense<T>(c0), lengths, reverse, s.Elements<T>(), act);
        return act;
    }

    private Tensor?[] KernelBackward(Tensor ds, Tensor w, Tensor? bias, Tensor h0, Tensor c0, Tensor s, Array act, int steps, int batch, int hidden)
    {
        var db = bias is null ? null : Tensor.Empty(bias.Shape, s.DType);
        var dxg = Tensor.Empty(new Shape(steps, batch, 4 * hidden), s.DType);
        var dw = Tensor.Empty(w.Shape, s.DType);
        var dh0 = Tensor.Empty(h0.Shape, s.DType);
        var dc0 = Tensor.Empty(c0.Shape, s.DType);
        var dsc = ds.ContiguousNoGrad();
        if (s.DType == DType.Float32)
        {
            Lstm.Backward(steps, batch, hidden, Dense<float>(w), Dense<float>(h0), Dense<float>(c0), lengths, reverse,
                s.Elements<float>(), (float[])act, Dense<float>(dsc), dxg.Elements<float>(), dw.Elements<float>(), db?.Elements<float>(), dh0.Elements<float>(), dc0.Elements<float>());
        }
        else
        {
            Lstm.Backward(steps, batch, hidden, Dense<double>(w), Dense<double>(h0), Dense<double>(c0), lengths, reverse,
                s.Elements<double>(), (double[])act, Dense<double>(dsc), dxg.Elements<double>(), dw.Elements<double>(), db?.Elements<double>(), dh0.Elements<double>(), dc0.Elements<double>());
        }

        return db is null ? [dxg, dw, dh0, dc0] : [dxg, dw, dh0, dc0, db];
    }

}

/// <summary>Helpers shared by the fused recurrent layer ops.</summary>
internal static class RecurrentGrad
{
    /// <summary>
    /// The gradients of the inputs through the composite (primitive-op) form of a layer, recorded in tensor ops so that
    /// higher derivatives stay exact: the backward used when a graph of the gradient is requested.
    /// </summary>
    public static Tensor?[] OfComposite(Tensor ds, Tensor[] inputs, Func<Tensor> composite)
    {
        var needed = inputs.Where(x => x.RequiresGrad).ToArray();
        var grads = Autograd.Grad([composite()], needed, [ds], createGraph: true, allowUnused: true);
        var result = new Tensor?[inputs.Length];
        for (int i = 0, j = 0; i < inputs.Length; i++)
        {
            if (inputs[i].RequiresGrad)
            {
                result[i] = grads[j++] ?? Tensor.ZerosLike(inputs[i]);
            }
        }

        return result;
    }

    // The kernels index arrays from 0: a contiguous tensor with an offset (a view) is copied once.
    public static T[] Dense<T>(Tensor t) => t.Offset == 0 && t.Data.Length == t.Numel ? t.Elements<T>() : t.CloneNoGrad().Elements<T>();
}
