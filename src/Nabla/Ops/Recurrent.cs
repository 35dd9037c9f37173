using System.Numerics;
using Nabla.Ops.Kernels;
using static Nabla.Ops.RecurrentOps;

namespace Nabla.Ops;

/// <summary>
/// One direction of one LSTM layer over a whole sequence, fused: s = lstm_layer(x, W_ih, W_hh, h0, c0[, b]) with x
/// [T,B,I] the inputs of every step (any strides), W_ih [4H,I], W_hh [4H,H], h0 and c0 [B,H], an optional bias b
/// [4H] (b_ih + b_hh), and s [2,T,B,H] holding h_t (s[0]) and c_t (s[1]) for every step.
/// </summary>
/// <remarks>
/// Note [Fused LSTM layer]: the kernel (<see cref="Lstm"/>) runs, per step, the gates x_t·W_ihᵀ + h_{t-1}·W_hhᵀ + b of
/// all four gates and the gate math (for float32 with AVX-512 in one pass over tiles that never writes the gate
/// pre-activations to memory; otherwise one GEMM for the input projections of all steps, one GEMM per step and one
/// pass per row), and its backward runs BPTT with one GEMM per step, then dW_hh, dW_ih and dx as one GEMM each over
/// all steps. <see cref="Composite"/> is the same function in primitive tensor ops, one step at a time: it is the
/// oracle the op table checks the kernel against, and it is also the backward used when a graph of the
/// gradient is requested (<c>createGraph: true</c>): then the backward is the vector-Jacobian product of the
/// composite, recorded in tensor ops, so higher derivatives stay exact (Note [Backward in tensor ops]).
/// With <c>lengths</c>, row b is updated only at t &lt; lengths[b] and carries its state otherwise.
/// </remarks>
internal sealed class LstmLayer(bool reverse = false, int[]? lengths = null) : Op
{
    public override string Name => "lstm_layer";

    public override string Formula => "i,f,o = σ(·), g = tanh(·) of x_t·W_ihᵀ + h_{t-1}·W_hhᵀ + b; c_t = f⊙c_{t-1} + i⊙g; h_t = o⊙tanh(c_t); s = [h; c]";

    public override string GradFormula => "dĉ = dc + dh⊙o⊙(1 − tanh²c); dgates = [dĉ⊙g⊙i(1−i), dĉ⊙c_{t-1}⊙f(1−f), dĉ⊙i⊙(1−g²), dh⊙tanh(c)⊙o(1−o)]; dh_{t-1} = dgates·W_hh; dW_hh = Σ dgatesᵀ·h_{t-1}; dW_ih = Σ dgatesᵀ·x_t; dx_t = dgates·W_ih; db = Σ dgates";

    public Tensor Apply(Tensor x, Tensor wIh, Tensor w, Tensor h0, Tensor c0, Tensor? bias = null)
    {
        x.RequireFloat(Name);
        if (x.Rank != 3 || w.Rank != 2 || w.Shape[0] != 4 * w.Shape[1])
        {
            throw new ArgumentException($"{Name}: expected inputs (T, B, I) and W_hh (4H, H), got {x.Shape} and {w.Shape}");
        }

        int steps = x.Shape[0], batch = x.Shape[1], input = x.Shape[2], hidden = w.Shape[1];
        var sh = new Shape(batch, hidden);
        if (wIh.Shape != new Shape(4 * hidden, input) || h0.Shape != sh || c0.Shape != sh)
        {
            throw new ArgumentException($"{Name}: expected W_ih ({4 * hidden}, {input}) and states {sh}, got {wIh.Shape}, {h0.Shape}, {c0.Shape}");
        }

        if (bias is not null && bias.Shape != new Shape(4 * hidden))
        {
            throw new ArgumentException($"{Name}: expected a bias of shape ({4 * hidden}), got {bias.Shape}");
        }

        Tensor[] inputs = bias is null ? [x, wIh, w, h0, c0] : [x, wIh, w, h0, c0, bias];
        if (inputs.Any(t => t.DType != x.DType))
        {
            throw new ArgumentException($"{Name}: all inputs must have the dtype of x ({x.DType})");
        }

        CheckLengths(Name, lengths, batch, steps);

        // x keeps its layout (a batch-first input arrives as a transposed view) as long as its rows are contiguous and
        // do not overlap (an expanded view, stride 0, is copied).
        bool rows = (x.Strides[2] == 1 || input <= 1) && (batch <= 1 || x.Strides[1] >= input) && (steps <= 1 || x.Strides[0] >= input);
        var xr = rows ? x.Detach() : x.ContiguousNoGrad();
        var (wi, wc, hc, cc, bc) = (wIh.ContiguousNoGrad(), w.ContiguousNoGrad(), h0.ContiguousNoGrad(), c0.ContiguousNoGrad(), bias?.ContiguousNoGrad());
        var s = Tensor.Empty(new Shape(2, steps, batch, hidden), x.DType);
        bool save = GradMode.IsEnabled && inputs.Any(t => t.RequiresGrad);
        Array? act = null;
        if (s.Numel > 0)
        {
            act = x.DType == DType.Float32
                ? Forward<float>(xr, wi, wc, bc, hc, cc, s, save)
                : Forward<double>(xr, wi, wc, bc, hc, cc, s, save);
        }

        return Record(s, inputs, ds => GradMode.IsEnabled || act is null
            ? OfComposite(ds, inputs, () => Composite(inputs[0], inputs[1], inputs[2], inputs[3], inputs[4], inputs.Length > 5 ? inputs[5] : null, reverse, lengths))
            : x.DType == DType.Float32
                ? KernelBackward<float>(ds, inputs, xr, wi, wc, hc, cc, s, act)
                : KernelBackward<double>(ds, inputs, xr, wi, wc, hc, cc, s, act));
    }

    /// <summary>The same function in primitive ops, one step at a time (the oracle).</summary>
    public static Tensor Composite(Tensor x, Tensor wIh, Tensor w, Tensor h0, Tensor c0, Tensor? bias = null, bool reverse = false, int[]? lengths = null)
    {
        int steps = x.Shape[0], batch = x.Shape[1], hidden = w.Shape[1];
        var (h, c) = (h0, c0);
        var hs = new Tensor[steps];
        var cs = new Tensor[steps];
        var (wit, wt) = (wIh.T, w.T);
        for (int k = 0; k < steps; k++)
        {
            int t = reverse ? steps - 1 - k : k;
            var gates = x.Select(0, t).MatMul(wit) + h.MatMul(wt);
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
                var valid = ValidRows(lengths, t);
                (hn, cn) = (Tensor.Where(valid, hn, h), Tensor.Where(valid, cn, c));
            }

            (h, c, hs[t], cs[t]) = (hn, cn, hn, cn);
        }

        return steps == 0 ? Tensor.Zeros(new Shape(2, 0, batch, hidden), x.DType)
            : Tensor.Stack([Tensor.Stack(hs), Tensor.Stack(cs)]);
    }

    private Array? Forward<T>(Tensor x, Tensor wIh, Tensor w, Tensor? bias, Tensor h0, Tensor c0, Tensor s, bool save)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int steps = x.Shape[0], batch = x.Shape[1], hidden = w.Shape[1];
        var act = save ? PooledArrays.Rent<T>(steps * batch * 5 * hidden) : null; // gates and tanh(c_t)
        var rows = new Lstm.InputRows<T>(x.Elements<T>(), x.Offset, x.Strides[0], x.Strides[1], x.Shape[2]);
        Lstm.Forward(steps, batch, hidden, rows, Dense<T>(wIh), Dense<T>(w), bias is null ? null : Dense<T>(bias), Dense<T>(h0), Dense<T>(c0),
            lengths, reverse, s.Elements<T>(), act);
        return act;
    }

    private Tensor?[] KernelBackward<T>(Tensor ds, Tensor[] inputs, Tensor x, Tensor wIh, Tensor w, Tensor h0, Tensor c0, Tensor s, Array act)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int steps = x.Shape[0], batch = x.Shape[1], input = x.Shape[2], hidden = w.Shape[1], rows = steps * batch, h4 = 4 * hidden;
        var dgates = PooledArrays.Rent<T>(rows * h4);
        var dw = Tensor.Empty(w.Shape, s.DType);
        var dh0 = Tensor.Empty(h0.Shape, s.DType);
        var dc0 = Tensor.Empty(c0.Shape, s.DType);
        var db = inputs.Length > 5 ? Tensor.Empty(inputs[5].Shape, s.DType) : null;
        bool needWih = inputs[1].RequiresGrad;
        Lstm.Backward(steps, batch, hidden, Dense<T>(w), Dense<T>(h0), Dense<T>(c0), lengths, reverse, s.Elements<T>(), (T[])act,
            Dense<T>(ds.ContiguousNoGrad()), dgates, needWih ? null : dw.Elements<T>(), db?.Elements<T>(), dh0.Elements<T>(), dc0.Elements<T>());
        var xs = Dense<T>(x.ContiguousNoGrad()); // time-major rows
        Tensor? dwIh = null, dx = null;
        if (needWih)
        {
            dwIh = Tensor.Empty(wIh.Shape, s.DType);
            WeightGrads(steps, batch, input, hidden, xs, s.Elements<T>(), Dense<T>(h0), dgates, dwIh.Elements<T>(), dw.Elements<T>());
        }

        if (inputs[0].RequiresGrad)
        {
            // dx = dgates·W_ih over all steps at once.
            dx = Tensor.Empty(x.Shape, s.DType);
            Gemm.Multiply(false, false, rows, input, h4, dgates, 0, h4, Dense<T>(wIh), 0, input, dx.Elements<T>(), 0, input, false);
        }

        return db is null ? [dx, dwIh, dw, dh0, dc0] : [dx, dwIh, dw, dh0, dc0, db];
    }

    /// <summary>
    /// [dW_ih | dW_hh] = Σ_t dgates_tᵀ·[x_t | h_{t-1}] as one GEMM over all steps, so that the transposed gate
    /// gradients (T·B × 4H, the largest operand) are packed once rather than once per weight.
    /// </summary>
    private void WeightGrads<T>(int steps, int batch, int input, int hidden, T[] x, T[] s, T[] h0, T[] dgates, T[] dwIh, T[] dwHh)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int k = input + hidden, h4 = 4 * hidden;
        var xh = PooledArrays.Rent<T>(steps * batch * k);
        for (int t = 0; t < steps; t++)
        {
            bool first = reverse ? t == steps - 1 : t == 0;
            int tp = reverse ? t + 1 : t - 1;
            for (int b = 0; b < batch; b++)
            {
                int r = (t * batch) + b;
                Array.Copy(x, r * input, xh, r * k, input);
                Array.Copy(first ? h0 : s, first ? b * hidden : ((tp * batch) + b) * hidden, xh, (r * k) + input, hidden);
            }
        }

        var dcat = PooledArrays.Rent<T>(h4 * k);
        Gemm.Multiply(true, false, h4, k, steps * batch, dgates, 0, h4, xh, 0, k, dcat, 0, k, false);
        for (int r = 0; r < h4; r++)
        {
            Array.Copy(dcat, r * k, dwIh, r * input, input);
            Array.Copy(dcat, (r * k) + input, dwHh, r * hidden, hidden);
        }
    }
}

/// <summary>Helpers shared by the fused recurrent layer ops (lstm_layer, gru_layer, rnn_layer).</summary>
internal static class RecurrentOps
{
    /// <summary>Per-row lengths must be one per batch row, each in [0, steps].</summary>
    public static void CheckLengths(string op, int[]? lengths, int batch, int steps)
    {
        if (lengths is not null && (lengths.Length != batch || lengths.Any(l => l < 0 || l > steps)))
        {
            throw new ArgumentException($"{op}: expected {batch} lengths in [0, {steps}], got [{string.Join(", ", lengths)}]");
        }
    }

    /// <summary>(B, 1): whether row b is processed at step t (t &lt; lengths[b]); the composites select with it.</summary>
    public static Tensor ValidRows(int[] lengths, int t) => Tensor.FromArray(lengths.Select(l => t < l).ToArray(), new Shape(lengths.Length, 1));

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
