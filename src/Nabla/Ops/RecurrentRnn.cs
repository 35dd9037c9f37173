using System.Numerics;
using Nabla.Ops.Kernels;
using static Nabla.Ops.RecurrentOps;

namespace Nabla.Ops;

/// <summary>
/// One direction of one Elman RNN layer over a whole sequence, fused: hs = rnn_layer(xg, W_hh, h0[, b_hh]) with xg
/// [T,B,H] the input projections of every step (x_t·W_ihᵀ + b_ih), W_hh [H,H], h0 [B,H], an optional b_hh [H], and
/// hs [T,B,H] holding h_t = act(xg_t + h_{t-1}·W_hhᵀ + b_hh) for every step, act = tanh or relu.
/// </summary>
/// <remarks>
/// The kernel (<see cref="Rnn"/>) runs one GEMM per step and one pass per row for the activation, and its backward
/// runs BPTT with one GEMM per step plus one GEMM for dW_hh over all steps. <see cref="Composite"/> is the same
/// function in primitive tensor ops: the oracle, and the backward used when a graph of the gradient is requested.
/// With <c>lengths</c>, row b is updated only at t &lt; lengths[b] and carries its state otherwise.
/// </remarks>
internal sealed class RnnLayer(bool relu, bool reverse = false, int[]? lengths = null) : Op
{
    public override string Name => "rnn_layer";

    public override string Formula => relu ? "h_t = relu(xg_t + h_{t-1}·W_hhᵀ + b_hh)" : "h_t = tanh(xg_t + h_{t-1}·W_hhᵀ + b_hh)";

    public override string GradFormula => (relu ? "da = dh⊙[h_t > 0]" : "da = dh⊙(1 − h_t²)") + "; dxg = da; dh_{t-1} = da·W_hh; dW_hh = Σ daᵀ·h_{t-1}; db = Σ da";

    public Tensor Apply(Tensor xg, Tensor w, Tensor h0, Tensor? bias = null)
    {
        xg.RequireFloat(Name);
        if (xg.Rank != 3)
        {
            throw new ArgumentException($"{Name}: expected inputs of shape (T, B, H), got {xg.Shape}");
        }

        int steps = xg.Shape[0], batch = xg.Shape[1], hidden = xg.Shape[2];
        if (w.Shape != new Shape(hidden, hidden) || h0.Shape != new Shape(batch, hidden) || (bias is not null && bias.Shape != new Shape(hidden)))
        {
            throw new ArgumentException($"{Name}: expected W_hh ({hidden}, {hidden}), h0 ({batch}, {hidden}) and a bias ({hidden}), got {w.Shape}, {h0.Shape}, {bias?.Shape}");
        }

        if (w.DType != xg.DType || h0.DType != xg.DType || (bias is not null && bias.DType != xg.DType))
        {
            throw new ArgumentException($"{Name}: all inputs must have the dtype of xg ({xg.DType})");
        }

        CheckLengths(Name, lengths, batch, steps);

        var (xc, wc, hc, bc) = (xg.ContiguousNoGrad(), w.ContiguousNoGrad(), h0.ContiguousNoGrad(), bias?.ContiguousNoGrad());
        Tensor[] inputs = bias is null ? [xg, w, h0] : [xg, w, h0, bias];
        var hs = Tensor.Empty(new Shape(steps, batch, hidden), xg.DType);
        if (hs.Numel > 0)
        {
            if (xg.DType == DType.Float32)
            {
                Rnn.Forward(steps, batch, hidden, Dense<float>(xc), Dense<float>(wc), bc is null ? null : Dense<float>(bc), Dense<float>(hc), lengths, reverse, relu, hs.Elements<float>());
            }
            else
            {
                Rnn.Forward(steps, batch, hidden, Dense<double>(xc), Dense<double>(wc), bc is null ? null : Dense<double>(bc), Dense<double>(hc), lengths, reverse, relu, hs.Elements<double>());
            }
        }

        return Record(hs, inputs, dhs => GradMode.IsEnabled || hs.Numel == 0
            ? OfComposite(dhs, inputs, () => Composite(inputs[0], inputs[1], inputs[2], inputs.Length > 3 ? inputs[3] : null, relu, reverse, lengths))
            : xg.DType == DType.Float32
                ? KernelBackward<float>(dhs, wc, bc, hc, hs, steps, batch, hidden)
                : KernelBackward<double>(dhs, wc, bc, hc, hs, steps, batch, hidden));
    }

    /// <summary>The same function in primitive ops, one step at a time (the oracle).</summary>
    public static Tensor Composite(Tensor xg, Tensor w, Tensor h0, Tensor? bias, bool relu, bool reverse = false, int[]? lengths = null)
    {
        int steps = xg.Shape[0], batch = xg.Shape[1];
        var h = h0;
        var hs = new Tensor[steps];
        var wt = w.T;
        for (int k = 0; k < steps; k++)
        {
            int t = reverse ? steps - 1 - k : k;
            var a = xg.Select(0, t) + h.MatMul(wt);
            if (bias is not null)
            {
                a = a + bias;
            }

            var hn = relu ? a.Relu() : a.Tanh();
            if (lengths is not null)
            {
                hn = Tensor.Where(ValidRows(lengths, t), hn, h);
            }

            (h, hs[t]) = (hn, hn);
        }

        return steps == 0 ? Tensor.Zeros(new Shape(0, batch, xg.Shape[2]), xg.DType) : Tensor.Stack(hs);
    }

    private Tensor?[] KernelBackward<T>(Tensor dhs, Tensor w, Tensor? bias, Tensor h0, Tensor hs, int steps, int batch, int hidden)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var dxg = Tensor.Empty(hs.Shape, hs.DType);
        var dw = Tensor.Empty(w.Shape, hs.DType);
        var dh0 = Tensor.Empty(h0.Shape, hs.DType);
        var db = bias is null ? null : Tensor.Empty(bias.Shape, hs.DType);
        Rnn.Backward(steps, batch, hidden, Dense<T>(w), Dense<T>(h0), lengths, reverse, relu, hs.Elements<T>(),
            Dense<T>(dhs.ContiguousNoGrad()), dxg.Elements<T>(), dw.Elements<T>(), db?.Elements<T>(), dh0.Elements<T>());
        return db is null ? [dxg, dw, dh0] : [dxg, dw, dh0, db];
    }
}
