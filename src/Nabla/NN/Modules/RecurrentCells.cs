namespace Nabla.NN;

/// <summary>The state of an LSTM: hidden h and cell c, each (B, H) for a cell or (layers·directions, B, H) for a layer.</summary>
/// <param name="H">The hidden state.</param>
/// <param name="C">The cell state.</param>
public sealed record LstmState(Tensor H, Tensor C)
{
    /// <summary>Both tensors cut from the graph (truncated BPTT: carry the state into the next chunk without its history).</summary>
    public LstmState Detach() => new(H.Detach(), C.Detach());
}

/// <summary>What <see cref="RNN"/> and <see cref="GRU"/> return: PyTorch's <c>(output, h_n)</c>.</summary>
/// <param name="Output">(T, B, D·H), or (B, T, D·H) with batchFirst: the last layer's h_t for every step (zero past a sequence's length).</param>
/// <param name="HN">(layers·D, B, H): every layer and direction's state at its last valid step.</param>
public sealed record RecurrentOutput(Tensor Output, Tensor HN);

/// <summary>What <see cref="LSTM"/> returns: PyTorch's <c>(output, (h_n, c_n))</c>; deconstructs as <c>var (y, (h, c)) = ...</c>.</summary>
/// <param name="Output">(T, B, D·H), or (B, T, D·H) with batchFirst.</param>
/// <param name="State">h_n and c_n, each (layers·D, B, H).</param>
public sealed record LstmOutput(Tensor Output, LstmState State);

/// <summary>A recurrent cell: one step state_t = Step(x_t, state_{t-1}) (see <see cref="F.Unroll"/>).</summary>
/// <typeparam name="TState">A tensor (RNN, GRU) or <see cref="LstmState"/>.</typeparam>
public interface IRecurrentCell<TState>
{
    /// <summary>The zero state for a batch of <paramref name="batch"/>.</summary>
    TState ZeroState(int batch, DType dtype);

    /// <summary>One step: input (B, in) and the previous state to the next state.</summary>
    TState Step(Tensor input, TState state);

    /// <summary>The hidden state h (the step's output) of a state.</summary>
    Tensor HiddenOf(TState state);
}

/// <summary>Shared parameters and checks of the three cells: W_ih (G·H, in), W_hh (G·H, H), b_ih, b_hh (G·H).</summary>
public abstract class RecurrentCellBase : Module
{
    private protected RecurrentCellBase(int inputSize, int hiddenSize, bool bias, int gates, Generator? generator, DType dtype)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(inputSize);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(hiddenSize);
        (InputSize, HiddenSize) = (inputSize, hiddenSize);
        double k = 1 / Math.Sqrt(hiddenSize);
        WeightIh = RegisterParameter("weight_ih", Tensor.Uniform(new Shape(gates * hiddenSize, inputSize), -k, k, generator, dtype));
        WeightHh = RegisterParameter("weight_hh", Tensor.Uniform(new Shape(gates * hiddenSize, hiddenSize), -k, k, generator, dtype));
        BiasIh = bias ? RegisterParameter("bias_ih", Tensor.Uniform(new Shape(gates * hiddenSize), -k, k, generator, dtype)) : null;
        BiasHh = bias ? RegisterParameter("bias_hh", Tensor.Uniform(new Shape(gates * hiddenSize), -k, k, generator, dtype)) : null;
    }

    /// <summary>Features per input sample.</summary>
    public int InputSize { get; }

    /// <summary>Size of the hidden state.</summary>
    public int HiddenSize { get; }

    /// <summary>W_ih, (G·H, in), initialised U(−1/√H, 1/√H) like every parameter of the cell.</summary>
    public Tensor WeightIh { get; }

    /// <summary>W_hh, (G·H, H).</summary>
    public Tensor WeightHh { get; }

    /// <summary>b_ih (G·H) or null.</summary>
    public Tensor? BiasIh { get; }

    /// <summary>b_hh (G·H) or null.</summary>
    public Tensor? BiasHh { get; }

    /// <inheritdoc/>
    public override Shape OutputShape(Shape input)
    {
        CheckInputShape(input);
        return input.WithLastDim(HiddenSize);
    }

    /// <inheritdoc/>
    public override string ExtraRepr() => $"{InputSize}, {HiddenSize}{(BiasIh is null ? ", bias=False" : "")}";

    /// <summary>Checks the input (B, in) or (in) and a state, and returns the batched (2-D) versions.</summary>
    private protected Tensor Batched(Tensor input)
    {
        CheckInputShape(input.Shape);
        return input.Rank == 1 ? input.Unsqueeze(0) : input;
    }

    /// <summary>Checks that a state has the shape (B, H) (or (H) for an unbatched input) and returns it as (B, H).</summary>
    private protected Tensor State(Tensor? state, Tensor input, string name)
    {
        int batch = input.Rank == 1 ? 1 : input.Shape[0];
        if (state is null)
        {
            return Tensor.Zeros(new Shape(batch, HiddenSize), input.DType);
        }

        var expected = input.Rank == 1 ? new Shape(HiddenSize) : new Shape(batch, HiddenSize);
        if (state.Shape != expected)
        {
            throw new ArgumentException($"{TypeName}: expected {name} of shape {expected}, got {state.Shape}");
        }

        return input.Rank == 1 ? state.Unsqueeze(0) : state;
    }

    /// <summary>Undoes <see cref="Batched"/> for an unbatched input.</summary>
    private protected static Tensor Unbatched(Tensor y, Tensor input) => input.Rank == 1 ? y.Squeeze(0) : y;

    private void CheckInputShape(Shape s)
    {
        if (s.Rank is < 1 or > 2 || s[-1] != InputSize)
        {
            throw new ArgumentException($"{TypeName}: expected input of shape (B, {InputSize}) or ({InputSize}), got {s}");
        }
    }
}

/// <summary>An Elman RNN cell: h' = tanh(x·W_ihᵀ + b_ih + h·W_hhᵀ + b_hh), or relu (PyTorch's <c>nn.RNNCell</c>).</summary>
/// <remarks>Parameters: H·in + H·H + 2H (PyTorch keeps both biases).</remarks>
public sealed class RNNCell : RecurrentCellBase, IRecurrentCell<Tensor>
{
    /// <summary>Creates the cell; <paramref name="nonlinearity"/> is "tanh" or "relu".</summary>
    public RNNCell(int inputSize, int hiddenSize, bool bias = true, string nonlinearity = "tanh", Generator? generator = null, DType dtype = DType.Float32)
        : base(inputSize, hiddenSize, bias, 1, generator, dtype)
    {
        Relu = F.IsRelu(nonlinearity);
        Nonlinearity = nonlinearity;
    }

    /// <summary>"tanh" or "relu".</summary>
    public string Nonlinearity { get; }

    private bool Relu { get; }

    /// <summary>One step from the zero state.</summary>
    public override Tensor Forward(Tensor input) => Forward(input, null);

    /// <summary>h' from input (B, in) and hx (B, H) (zeros when null).</summary>
    public Tensor Forward(Tensor input, Tensor? hx)
    {
        var x = Batched(input);
        return Unbatched(F.RnnStep(F.Linear(x, WeightIh, BiasIh), State(hx, input, "hx"), WeightHh, BiasHh, Relu), input);
    }

    /// <inheritdoc/>
    public Tensor ZeroState(int batch, DType dtype) => Tensor.Zeros(new Shape(batch, HiddenSize), dtype);

    /// <inheritdoc/>
    public Tensor Step(Tensor input, Tensor state) => Forward(input, state);

    /// <inheritdoc/>
    public Tensor HiddenOf(Tensor state) => state;

    /// <inheritdoc/>
    public override string ExtraRepr() => base.ExtraRepr() + (Relu ? ", nonlinearity=relu" : "");
}

/// <summary>
/// An LSTM cell (PyTorch's <c>nn.LSTMCell</c>), gates i, f, g, o: c' = f⊙c + i⊙g, h' = o⊙tanh(c') (see <see cref="F.LSTMCell"/>).
/// </summary>
/// <remarks>Parameters: 4H·in + 4H·H + 8H.</remarks>
public sealed class LSTMCell : RecurrentCellBase, IRecurrentCell<LstmState>
{
    /// <summary>Creates the cell.</summary>
    public LSTMCell(int inputSize, int hiddenSize, bool bias = true, Generator? generator = null, DType dtype = DType.Float32)
        : base(inputSize, hiddenSize, bias, 4, generator, dtype)
    {
    }

    /// <summary>h' of one step from the zero state.</summary>
    public override Tensor Forward(Tensor input) => Forward(input, null).H;

    /// <summary>(h', c') from input (B, in) and (h, c) (zeros when null).</summary>
    public LstmState Forward(Tensor input, LstmState? state)
    {
        var x = Batched(input);
        var (h, c) = F.LstmStep(F.Linear(x, WeightIh, BiasIh), State(state?.H, input, "h"), State(state?.C, input, "c"), WeightHh, BiasHh);
        return new(Unbatched(h, input), Unbatched(c, input));
    }

    /// <inheritdoc/>
    public LstmState ZeroState(int batch, DType dtype) => new(Tensor.Zeros(new Shape(batch, HiddenSize), dtype), Tensor.Zeros(new Shape(batch, HiddenSize), dtype));

    /// <inheritdoc/>
    public LstmState Step(Tensor input, LstmState state) => Forward(input, state);

    /// <inheritdoc/>
    public Tensor HiddenOf(LstmState state) => state.H;
}

/// <summary>A GRU cell (PyTorch's <c>nn.GRUCell</c>), gates r, z, n: h' = (1 − z)⊙n + z⊙h (see <see cref="F.GRUCell"/>).</summary>
/// <remarks>Parameters: 3H·in + 3H·H + 6H.</remarks>
public sealed class GRUCell : RecurrentCellBase, IRecurrentCell<Tensor>
{
    /// <summary>Creates the cell.</summary>
    public GRUCell(int inputSize, int hiddenSize, bool bias = true, Generator? generator = null, DType dtype = DType.Float32)
        : base(inputSize, hiddenSize, bias, 3, generator, dtype)
    {
    }

    /// <summary>One step from the zero state.</summary>
    public override Tensor Forward(Tensor input) => Forward(input, null);

    /// <summary>h' from input (B, in) and hx (B, H) (zeros when null).</summary>
    public Tensor Forward(Tensor input, Tensor? hx)
    {
        var x = Batched(input);
        return Unbatched(F.GruStep(F.Linear(x, WeightIh, BiasIh), State(hx, input, "hx"), WeightHh, BiasHh), input);
    }

    /// <inheritdoc/>
    public Tensor ZeroState(int batch, DType dtype) => Tensor.Zeros(new Shape(batch, HiddenSize), dtype);

    /// <inheritdoc/>
    public Tensor Step(Tensor input, Tensor state) => Forward(input, state);

    /// <inheritdoc/>
    public Tensor HiddenOf(Tensor state) => state;
}
