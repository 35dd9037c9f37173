using Nabla.NN;
using static Nabla.Tests.Recurrent.RecurrentLayerTests;

namespace Nabla.Tests.Recurrent;

/// <summary>
/// The fused GRU and RNN layers (the <c>gru_layer</c> and <c>rnn_layer</c> ops) against the composite cells they replace,
/// which stay the oracles. (The fused LSTM has its own tests in RecurrentLayerTests.)
/// </summary>
[Collection(GlobalStateCollection.Name)]
public sealed class FusedRecurrentTests
{
    private static RNNBase Make(string kind, int input, int hidden, int layers, bool bias, bool batchFirst, Generator g, DType dtype) => kind switch
    {
        "gru" => new GRU(input, hidden, layers, bias, batchFirst, bidirectional: true, generator: g, dtype: dtype),
        "relu" => new RNN(input, hidden, layers, "relu", bias, batchFirst, bidirectional: true, generator: g, dtype: dtype),
        _ => new RNN(input, hidden, layers, "tanh", bias, batchFirst, bidirectional: true, generator: g, dtype: dtype),
    };

    private static RecurrentOutput Forward(RNNBase layer, Tensor x, Tensor? h0, int[]? lengths) =>
        layer is GRU gru ? gru.Forward(x, h0, lengths) : ((RNN)layer).Forward(x, h0, lengths);

    /// <summary>Float64, 2 layers, bidirectional, with and without lengths: outputs, h_n and every gradient.</summary>
    /// <remarks>H = 8 and 3 rows: the vectorised gate math of the double path (8 lanes) and no packed GEMM.</remarks>
    [Theory]
    [InlineData("gru", false, false)]
    [InlineData("gru", true, false)]
    [InlineData("gru", true, true)]
    [InlineData("tanh", false, true)]
    [InlineData("relu", true, false)]
    public void Fused_layer_matches_the_composite_cell(string kind, bool batchFirst, bool withLengths)
    {
        var g = new Generator(5);
        var layer = Make(kind, 3, 8, 2, true, batchFirst, g, DType.Float64);
        var x = Tensor.Randn(batchFirst ? new Shape(3, 5, 3) : new Shape(5, 3, 3), g, DType.Float64).RequireGrad();
        var h0 = Tensor.Randn(new Shape(4, 3, 8), g, DType.Float64).RequireGrad();
        int[]? lengths = withLengths ? [5, 2, 4] : null;
        var up = Tensor.Randn(batchFirst ? new Shape(3, 5, 16) : new Shape(5, 3, 16), g, DType.Float64);
        var uh = Tensor.Randn(new Shape(4, 3, 8), g, DType.Float64);

        (Tensor Y, Tensor H, Tensor[] Grads) Run(bool fused)
        {
            layer.UseFusedKernel = fused;
            layer.ZeroGrad();
            x.Grad = null;
            h0.Grad = null;
            var (y, h) = Forward(layer, x, h0, lengths);
            ((y * up).Sum() + (h * uh).Sum()).Backward();
            return (y, h, [x.Grad!, h0.Grad!, .. layer.Parameters().Select(p => p.Grad!)]);
        }

        var fast = Run(true);
        var slow = Run(false);
        AssertClose(slow.Y, fast.Y, 1e-12);
        AssertClose(slow.H, fast.H, 1e-12);
        for (int i = 0; i < fast.Grads.Length; i++)
        {
            AssertClose(slow.Grads[i], fast.Grads[i], 1e-11);
        }
    }

    /// <summary>
    /// Float32: with H a multiple of 32 the packed per-step GEMMs (8-row tiles plus single rows), else the general GEMM
    /// (H = 40 for the RNN, 3H = 144 for the GRU), and the FastMath gate math, against the composite cell in float32;
    /// on 2 threads the rows are split between threads.
    /// </summary>
    [Theory]
    [InlineData("gru", 32, 11, 1, true)]
    [InlineData("gru", 32, 9, 1, false)]
    [InlineData("gru", 64, 64, 2, true)]
    [InlineData("gru", 48, 20, 2, true)]
    [InlineData("tanh", 32, 11, 1, true)]
    [InlineData("relu", 128, 64, 2, false)]
    [InlineData("tanh", 40, 9, 1, true)]
    public void Fused_layer_float32_matches_the_composite(string kind, int hidden, int batch, int threads, bool bias)
    {
        int saved = Threads.Count;
        Threads.Count = threads;
        try
        {
            var g = new Generator(9);
            var layer = Make(kind, 5, hidden, 1, bias, false, g, DType.Float32);
            var x = Tensor.Randn(new Shape(6, batch, 5), g).RequireGrad();
            int[] lengths = Enumerable.Range(0, batch).Select(b => (int[])[6, 5, 1, 6, 2, 3, 6, 4, 6, 6, 1] is var l ? l[b % l.Length] : 0).ToArray();
            var up = Tensor.Randn(new Shape(6, batch, 2 * hidden), g);
            (Tensor Y, Tensor H, Tensor[] Grads) Run(bool fused)
            {
                layer.UseFusedKernel = fused;
                layer.ZeroGrad();
                x.Grad = null;
                var (y, h) = Forward(layer, x, null, lengths);
                ((y * up).Sum() + h.Square().Sum()).Backward();
                return (y, h, [x.Grad!, .. layer.Parameters().Select(p => p.Grad!)]);
            }

            var (fast, slow) = (Run(true), Run(false));
            using (GradMode.NoGrad())
            {
                layer.UseFusedKernel = true;
                AssertClose(slow.Y, Forward(layer, x, null, lengths).Output, 1e-5);
            }

            AssertClose(slow.Y, fast.Y, 1e-5);
            AssertClose(slow.H, fast.H, 1e-5);
            for (int i = 0; i < fast.Grads.Length; i++)
            {
                AssertClose(slow.Grads[i], fast.Grads[i], 1e-4);
            }
        }
        finally
        {
            Threads.Count = saved;
        }
    }

    /// <summary>
    /// The fused LSTM reads x in its own layout: a view of 3 of 7 features (rows 7 apart) and an expanded one (stride 0
    /// over time, which the op copies), in float32 and float64, against the composite cell, gradients included.
    /// </summary>
    [Theory]
    [InlineData(DType.Float32, false)]
    [InlineData(DType.Float32, true)]
    [InlineData(DType.Float64, false)]
    [InlineData(DType.Float64, true)]
    public void Fused_lstm_reads_strided_and_expanded_inputs(DType dtype, bool expanded)
    {
        var g = new Generator(11);
        var lstm = new LSTM(3, 16, generator: g, dtype: dtype);
        var source = (expanded ? Tensor.Randn(new Shape(1, 5, 3), g, dtype) : Tensor.Randn(new Shape(4, 5, 7), g, dtype)).RequireGrad();
        (Tensor Y, Tensor[] Grads) Run(bool fused)
        {
            lstm.UseFusedKernel = fused;
            lstm.ZeroGrad();
            source.Grad = null;
            var x = expanded ? source.Expand(4, 5, 3) : source.Narrow(2, 2, 3);
            var y = lstm.Forward(x, null).Output;
            y.Square().Sum().Backward();
            return (y, [source.Grad!, .. lstm.Parameters().Select(p => p.Grad!)]);
        }

        var (fast, slow) = (Run(true), Run(false));
        double tol = dtype == DType.Float32 ? 1e-5 : 1e-12;
        AssertClose(slow.Y, fast.Y, tol);
        for (int i = 0; i < fast.Grads.Length; i++)
        {
            AssertClose(slow.Grads[i], fast.Grads[i], 10 * tol);
        }
    }
}
