namespace Nabla.NN;

/// <summary>
/// The shared machinery of <see cref="RNN"/>, <see cref="LSTM"/> and <see cref="GRU"/> (PyTorch's <c>RNNBase</c>): a
/// stack of layers, each one or two directions, with PyTorch's parameter names and layout.
/// </summary>
/// <remarks>
/// Parameters, per layer l and direction (suffix "" or "_reverse"), registered in PyTorch's order:
/// <c>weight_ih_l{l}</c> (G·H, in_l), <c>weight_hh_l{l}</c> (G·H, H), <c>bias_ih_l{l}</c>, <c>bias_hh_l{l}</c> (G·H),
/// with G = 1 (RNN), 4 (LSTM) or 3 (GRU) and in_l = inputSize for l = 0, D·H above; all U(−1/√H, 1/√H).
/// Each layer projects all time steps of its input at once (one GEMM, x·W_ihᵀ + b_ih), then runs one GEMM per step
/// for the recurrent part. Between layers, dropout (training only). Variable-length batches: pass lengths; row b
/// is then updated only at t &lt; lengths[b], its outputs there are zero, and h_n is its state at its last valid
/// step (the reverse direction starts at its own last element), the same as running each sequence alone.
/// </remarks>
public abstract class RNNBase : Module
{
    private readonly Tensor?[][] weights;

    private protected RNNBase(int gates, int inputSize, int hiddenSize, int numLayers, bool bias, bool batchFirst, double dropout,
        bool bidirectional, Generator? generator, DType dtype)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(inputSize);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(hiddenSize);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(numLayers);
        if (dropout is < 0 or > 1 || double.IsNaN(dropout))
        {
            throw new ArgumentOutOfRangeException(nameof(dropout), $"dropout should be a number in [0, 1], got {dropout}");
        }

        (InputSize, HiddenSize, NumLayers, Bias, BatchFirst, Dropout, Bidirectional) = (inputSize, hiddenSize, numLayers, bias, batchFirst, dropout, bidirectional);
        double k = 1 / Math.Sqrt(hiddenSize);
        weights = new Tensor?[numLayers * NumDirections][];
        for (int l = 0; l < numLayers; l++)
        {
            int inL = l == 0 ? inputSize : hiddenSize * NumDirections;
            for (int d = 0; d < NumDirections; d++)
            {
                string sfx = $"_l{l}{(d == 1 ? "_reverse" : "")}";
                weights[(l * NumDirections) + d] =
                [
                    RegisterParameter("weight_ih" + sfx, Tensor.Uniform(new Shape(gates * hiddenSize, inL), -k, k, generator, dtype)),
                    RegisterParameter("weight_hh" + sfx, Tensor.Uniform(new Shape(gates * hiddenSize, hiddenSize), -k, k, generator, dtype)),
                    bias ? RegisterParameter("bias_ih" + sfx, Tensor.Uniform(new Shape(gates * hiddenSize), -k, k, generator, dtype)) : null,
                    bias ? RegisterParameter("bias_hh" + sfx, Tensor.Uniform(new Shape(gates * hiddenSize), -k, k, generator, dtype)) : null,
                ];
            }
        }
    }

    /// <summary>Features per input step.</summary>
    public int InputSize { get; }

    /// <summary>Size of the hidden state.</summary>
    public int HiddenSize { get; }

    /// <summary>Number of stacked layers.</summary>
    public int NumLayers { get; }

    /// <summary>Whether the layers have b_ih and b_hh.</summary>
    public bool Bias { get; }

    /// <summary>Input and output are (B, T, F) instead of (T, B, F).</summary>
    public bool BatchFirst { get; }

    /// <summary>
    /// Whether each direction of each layer runs the fused layer op (default: <c>rnn_layer</c>, <c>lstm_layer</c> or
    /// <c>gru_layer</c>, one GEMM per step and fused gate math forward and in BPTT) or the composite cell step by step
    /// (the oracle the fused ops are tested against).
    /// </summary>
    public bool UseFusedKernel { get; set; } = true;

    /// <summary>Dropout probability on the outputs of every layer but the last (training only).</summary>
    public double Dropout { get; }

    /// <summary>Whether each layer also runs backwards in time (outputs concatenated on the features).</summary>
    public bool Bidirectional { get; }

    /// <summary>2 when bidirectional, else 1.</summary>
    public int NumDirections => Bidirectional ? 2 : 1;

    /// <summary>The parameters of layer <paramref name="layer"/>, direction <paramref name="direction"/>: (W_ih, W_hh, b_ih, b_hh).</summary>
    public (Tensor WeightIh, Tensor WeightHh, Tensor? BiasIh, Tensor? BiasHh) LayerWeights(int layer, int direction = 0)
    {
        var w = weights[(layer * NumDirections) + direction];
        return (w[0]!, w[1]!, w[2], w[3]);
    }

    /// <summary>The output sequence (PyTorch's <c>output</c>), from zero initial states.</summary>
    public override Tensor Forward(Tensor input) => Run(input, null, null).Output;

    /// <inheritdoc/>
    public override Shape OutputShape(Shape input)
    {
        CheckInputShape(input);
        return input.WithLastDim(NumDirections * HiddenSize);
    }

    /// <inheritdoc/>
    public override string ExtraRepr() =>
        $"{InputSize}, {HiddenSize}{(NumLayers != 1 ? $", numLayers={NumLayers}" : "")}{(Bias ? "" : ", bias=False")}" +
        $"{(BatchFirst ? ", batchFirst=True" : "")}{(Dropout != 0 ? $", dropout={Dropout}" : "")}{(Bidirectional ? ", bidirectional=True" : "")}";

    /// <summary>The number of state tensors: 1, or 2 for the LSTM (h and c).</summary>
    private protected abstract int StateCount { get; }

    /// <summary>One direction of one layer: time-major input (T, B, in), initial states (B, H) → output (T, B, H), final states.</summary>
    private protected abstract (Tensor Output, Tensor[] State) RunDirection(Tensor x, Tensor?[] w, Tensor[] init, bool reverse, int[]? lengths);

    /// <summary>Runs the stack: returns the output and the final states, each (L·D, B, H) (or (L·D, H) unbatched).</summary>
    private protected (Tensor Output, Tensor[] Final) Run(Tensor input, Tensor?[]? init, IReadOnlyList<int>? lengths, Tensor?[][]? ws = null)
    {
        ws ??= weights;
        CheckInputShape(input.Shape);
        bool unbatched = input.Rank == 2;
        var x = unbatched ? input.Unsqueeze(1) : BatchFirst ? input.Transpose(0, 1) : input;
        int steps = x.Shape[0], batch = x.Shape[1];
        var lens = CheckLengths(lengths, steps, batch);
        var states = new Tensor[StateCount][];
        for (int s = 0; s < StateCount; s++)
        {
            states[s] = Split(init?[s], batch, unbatched, input.DType, StateNames[s]);
        }

        var finals = new Tensor[StateCount][];
        for (int s = 0; s < StateCount; s++)
        {
            finals[s] = new Tensor[NumLayers * NumDirections];
        }

        for (int l = 0; l < NumLayers; l++)
        {
            var outs = new Tensor[NumDirections];
            for (int d = 0; d < NumDirections; d++)
            {
                int idx = (l * NumDirections) + d;
                var (y, fin) = RunDirection(x, ws[idx], states.Select(s => s[idx]).ToArray(), d == 1, lens);
                outs[d] = y;
                for (int s = 0; s < StateCount; s++)
                {
                    finals[s][idx] = fin[s];
                }
            }

            x = NumDirections == 1 ? outs[0] : Tensor.Cat(outs, 2);
            if (l < NumLayers - 1 && Dropout > 0 && IsTraining)
            {
                x = F.Dropout(x, Dropout, true);
            }
        }

        var output = unbatched ? x.Squeeze(1) : BatchFirst ? x.Transpose(0, 1) : x;
        var result = finals.Select(f => unbatched ? Tensor.Stack(f).Squeeze(1) : Tensor.Stack(f)).ToArray();
        return (output, result);
    }

    /// <summary>
    /// Runs the stack with <paramref name="parameters"/> (in <see cref="Module.Parameters"/> order) in place of the
    /// registered ones: a functional call for gradient checks, where the checker passes copies of the weights.
    /// </summary>
    internal (Tensor Output, Tensor[] Final) RunWithParameters(Tensor input, Tensor?[]? init, IReadOnlyList<int>? lengths, IReadOnlyList<Tensor> parameters)
    {
        int next = 0;
        var ws = weights.Select(w => w.Select(p => p is null ? null : parameters[next++]).ToArray()).ToArray();
        return Run(input, init, lengths, ws);
    }

    private static readonly string[] StateNames = ["h0", "c0"];

    private Tensor[] Split(Tensor? state, int batch, bool unbatched, DType dtype, string name)
    {
        int n = NumLayers * NumDirections;
        var expected = unbatched ? new Shape(n, HiddenSize) : new Shape(n, batch, HiddenSize);
        if (state is null)
        {
            var z = Tensor.Zeros(new Shape(batch, HiddenSize), dtype);
            return Enumerable.Repeat(z, n).ToArray();
        }

        if (state.Shape != expected)
        {
            throw new ArgumentException($"{TypeName}: expected {name} of shape {expected}, got {state.Shape}");
        }

        var s3 = unbatched ? state.Unsqueeze(1) : state;
        return Enumerable.Range(0, n).Select(i => s3.Select(0, i)).ToArray();
    }

    private int[]? CheckLengths(IReadOnlyList<int>? lengths, int steps, int batch)
    {
        if (lengths is null)
        {
            return null;
        }

        if (lengths.Count != batch || lengths.Any(l => l < 0 || l > steps))
        {
            throw new ArgumentException($"{TypeName}: expected {batch} lengths in [0, {steps}], got [{string.Join(", ", lengths)}]", nameof(lengths));
        }

        return lengths.ToArray();
    }

    private void CheckInputShape(Shape s)
    {
        if (s.Rank is < 2 or > 3 || s[-1] != InputSize)
        {
            string layout = BatchFirst ? $"(B, T, {InputSize})" : $"(T, B, {InputSize})";
            throw new ArgumentException($"{TypeName}: expected input of shape {layout} or (T, {InputSize}), got {s}");
        }
    }
}

/// <summary>
/// A multi-layer Elman RNN (PyTorch's <c>nn.RNN</c>): h_t = act(x_t·W_ihᵀ + b_ih + h_{t-1}·W_hhᵀ + b_hh), act = tanh or relu.
/// </summary>
/// <remarks>
/// By default each direction of each layer runs the fused <c>rnn_layer</c> op (one GEMM for the input projection of all
/// steps, one GEMM per step, BPTT with one GEMM per step and one for dW_hh); <see cref="RNNBase.UseFusedKernel"/> =
/// false runs the composite cell step by step instead: the oracle.
/// </remarks>
public sealed class RNN : RNNBase
{
    /// <summary>Creates the layer stack; <paramref name="nonlinearity"/> is "tanh" or "relu".</summary>
    public RNN(int inputSize, int hiddenSize, int numLayers = 1, string nonlinearity = "tanh", bool bias = true, bool batchFirst = false,
        double dropout = 0, bool bidirectional = false, Generator? generator = null, DType dtype = DType.Float32)
        : base(1, inputSize, hiddenSize, numLayers, bias, batchFirst, dropout, bidirectional, generator, dtype)
    {
        Nonlinearity = nonlinearity;
        Relu = F.IsRelu(nonlinearity);
    }

    /// <summary>"tanh" or "relu".</summary>
    public string Nonlinearity { get; }

    private bool Relu { get; }

    private protected override int StateCount => 1;

    /// <summary>PyTorch's <c>(output, h_n)</c> from the initial state <paramref name="hx"/> (L·D, B, H) (zeros when null).</summary>
    /// <param name="input">(T, B, in), (B, T, in) with batchFirst, or unbatched (T, in).</param>
    /// <param name="hx">The initial hidden state, or null.</param>
    /// <param name="lengths">Valid steps per batch row (variable-length batch), or null when all are T.</param>
    public RecurrentOutput Forward(Tensor input, Tensor? hx, IReadOnlyList<int>? lengths = null)
    {
        var (y, f) = Run(input, [hx], lengths);
        return new(y, f[0]);
    }

    /// <inheritdoc/>
    public override string ExtraRepr() => base.ExtraRepr() + (Relu ? ", nonlinearity=relu" : "");

    private protected override (Tensor Output, Tensor[] State) RunDirection(Tensor x, Tensor?[] w, Tensor[] init, bool reverse, int[]? lengths) =>
        UseFusedKernel
            ? F.RnnDirectionFused(F.Linear(x, w[0]!, w[2]), init[0], w[1]!, w[3], Relu, reverse, lengths)
            : F.RunDirection(F.Linear(x, w[0]!, w[2]), init, (xt, s) => [F.RnnStep(xt, s[0], w[1]!, w[3], Relu)], reverse, lengths);
}

/// <summary>
/// A multi-layer LSTM (PyTorch's <c>nn.LSTM</c>), gates i, f, g, o: c_t = f⊙c_{t-1} + i⊙g, h_t = o⊙tanh(c_t).
/// </summary>
/// <remarks>
/// By default each direction of each layer runs the fused <c>lstm_layer</c> op (one GEMM for the input projection
/// of all steps, one GEMM per step for all four gates, fused gate math, BPTT with one GEMM per step and one for
/// dW_hh). <see cref="RNNBase.UseFusedKernel"/> = false runs the composite cell step by step instead: the oracle.
/// Parameters per layer and direction: 4H·in_l + 4H·H + 8H (PyTorch keeps both biases).
/// </remarks>
public sealed class LSTM : RNNBase
{
    /// <summary>Creates the layer stack.</summary>
    public LSTM(int inputSize, int hiddenSize, int numLayers = 1, bool bias = true, bool batchFirst = false,
        double dropout = 0, bool bidirectional = false, Generator? generator = null, DType dtype = DType.Float32)
        : base(4, inputSize, hiddenSize, numLayers, bias, batchFirst, dropout, bidirectional, generator, dtype)
    {
    }

    private protected override int StateCount => 2;

    /// <summary>PyTorch's <c>(output, (h_n, c_n))</c> from the initial state (h0, c0), each (L·D, B, H) (zeros when null).</summary>
    /// <param name="input">(T, B, in), (B, T, in) with batchFirst, or unbatched (T, in).</param>
    /// <param name="state">The initial (h0, c0), or null.</param>
    /// <param name="lengths">Valid steps per batch row (variable-length batch), or null when all are T.</param>
    public LstmOutput Forward(Tensor input, LstmState? state, IReadOnlyList<int>? lengths = null)
    {
        var (y, f) = Run(input, [state?.H, state?.C], lengths);
        return new(y, new LstmState(f[0], f[1]));
    }

    private protected override (Tensor Output, Tensor[] State) RunDirection(Tensor x, Tensor?[] w, Tensor[] init, bool reverse, int[]? lengths)
    {
        if (!UseFusedKernel)
        {
            return F.RunDirection(F.Linear(x, w[0]!, w[2]), init, (xt, s) =>
            {
                var (h, c) = F.LstmStep(xt, s[0], s[1], w[1]!, w[3]);
                return [h, c];
            }, reverse, lengths);
        }

        // The op takes x as it is (a batch-first input as a transposed view) and projects it step by step.
        var bias = w[2] is null ? null : w[2]! + w[3]!;
        return F.LstmDirectionFused(x, w[0]!, init[0], init[1], w[1]!, bias, reverse, lengths);
    }
}

/// <summary>
/// A multi-layer GRU (PyTorch's <c>nn.GRU</c>), gates r, z, n: n_t = tanh(W_in x_t + b_in + r⊙(W_hn h + b_hn)),
/// h_t = (1 − z)⊙n_t + z⊙h_{t-1}.
/// </summary>
/// <remarks>
/// By default each direction of each layer runs the fused <c>gru_layer</c> op (one GEMM for the input projection of
/// all steps, one GEMM per step for all three gates, fused gate math, BPTT with one GEMM per step and one for dW_hh).
/// <see cref="RNNBase.UseFusedKernel"/> = false runs the composite cell step by step instead: the oracle.
/// </remarks>
public sealed class GRU : RNNBase
{
    /// <summary>Creates the layer stack.</summary>
    public GRU(int inputSize, int hiddenSize, int numLayers = 1, bool bias = true, bool batchFirst = false,
        double dropout = 0, bool bidirectional = false, Generator? generator = null, DType dtype = DType.Float32)
        : base(3, inputSize, hiddenSize, numLayers, bias, batchFirst, dropout, bidirectional, generator, dtype)
    {
    }

    private protected override int StateCount => 1;

    /// <summary>PyTorch's <c>(output, h_n)</c> from the initial state <paramref name="hx"/> (L·D, B, H) (zeros when null).</summary>
    /// <param name="input">(T, B, in), (B, T, in) with batchFirst, or unbatched (T, in).</param>
    /// <param name="hx">The initial hidden state, or null.</param>
    /// <param name="lengths">Valid steps per batch row (variable-length batch), or null when all are T.</param>
    public RecurrentOutput Forward(Tensor input, Tensor? hx, IReadOnlyList<int>? lengths = null)
    {
        var (y, f) = Run(input, [hx], lengths);
        return new(y, f[0]);
    }

    private protected override (Tensor Output, Tensor[] State) RunDirection(Tensor x, Tensor?[] w, Tensor[] init, bool reverse, int[]? lengths) =>
        UseFusedKernel
            ? F.GruDirectionFused(F.Linear(x, w[0]!, w[2]), init[0], w[1]!, w[3], reverse, lengths)
            : F.RunDirection(F.Linear(x, w[0]!, w[2]), init, (xt, s) => [F.GruStep(xt, s[0], w[1]!, w[3])], reverse, lengths);
}
