namespace Nabla.Ops;

/// <summary>One primitive op: its name (as <see cref="Op.Name"/>, PyTorch's op name) and its class.</summary>
/// <param name="Name">The lower-case op name; for a family in one class (<c>max</c>/<c>min</c>) the first.</param>
/// <param name="Type">The sealed class deriving from <see cref="Op"/>.</param>
/// <param name="Family">The file that holds it, for listings (<c>unary</c>, <c>binary</c>, <c>reduce</c>, ...).</param>
internal sealed record OpInfo(string Name, Type Type, string Family);

/// <summary>
/// The single list of every primitive op (Principle 3). Tests, the FLOP counter, the explain mode and the CLI
/// enumerate it; a meta-test fails when an <see cref="Op"/> subclass is missing here or has no test case.
/// </summary>
internal static class OpRegistry
{
    /// <summary>Every primitive, in family order. Names and types are unique.</summary>
    public static IReadOnlyList<OpInfo> All { get; } = Build(
    [
        new("neg", typeof(Neg), "unary"),
        new("exp", typeof(Exp), "unary"),
        new("log", typeof(Log), "unary"),
        new("log1p", typeof(Log1p), "unary"),
        new("sqrt", typeof(Sqrt), "unary"),
        new("abs", typeof(Abs), "unary"),
        new("sign", typeof(Sign), "unary"),
        new("tanh", typeof(Tanh), "unary"),
        new("sigmoid", typeof(Sigmoid), "unary"),
        new("relu", typeof(Relu), "unary"),
        new("relu6", typeof(Relu6), "unary"),
        new("sin", typeof(Sin), "unary"),
        new("cos", typeof(Cos), "unary"),
        new("erf", typeof(Erf), "unary"),
        new("clamp", typeof(Clamp), "unary"),
        new("relu_backward", typeof(ReluGrad), "unary"),
        new("tanh_backward", typeof(TanhGrad), "unary"),
        new("sigmoid_backward", typeof(SigmoidGrad), "unary"),
        new("add", typeof(Add), "binary"),
        new("sub", typeof(Sub), "binary"),
        new("mul", typeof(Mul), "binary"),
        new("div", typeof(Div), "binary"),
        new("pow", typeof(Pow), "binary"),
        new("maximum", typeof(Maximum), "binary"),
        new("sum", typeof(Sum), "reduce"),
        new("max", typeof(MaxAlongDim), "reduce"),
        new("reshape", typeof(Reshape), "movement"),
        new("permute", typeof(Permute), "movement"),
        new("expand", typeof(Expand), "movement"),
        new("narrow", typeof(Narrow), "movement"),
        new("pad", typeof(Pad), "movement"),
        new("cat", typeof(Cat), "movement"),
        new("contiguous", typeof(Contiguous), "movement"),
        new("to", typeof(Cast), "movement"),
        new("gather", typeof(Gather), "indexing"),
        new("scatter_add", typeof(ScatterAdd), "indexing"),
        new("where", typeof(Where), "indexing"),
        new("matmul", typeof(MatMul), "linalg"),
        new("linear", typeof(LinearOp), "linalg"),
        new("batch_norm", typeof(BatchNormTrain), "normalization"),
        new("channel_affine", typeof(ChannelAffine), "normalization"),
        new("layer_norm", typeof(LayerNormOp), "normalization"),
        new("conv2d", typeof(Conv2d), "convolution"),
        new("conv2d_input_grad", typeof(Conv2dInputGrad), "convolution"),
        new("conv2d_weight_grad", typeof(Conv2dWeightGrad), "convolution"),
        new("max_pool2d", typeof(MaxPool2d), "pooling"),
        new("max_pool2d_backward", typeof(MaxPool2dBackward), "pooling"),
        new("avg_pool2d", typeof(AvgPool2d), "pooling"),
        new("avg_pool2d_backward", typeof(AvgPool2dBackward), "pooling"),
        new("conv3d", typeof(Conv3d), "convolution"),
        new("conv3d_input_grad", typeof(Conv3dInputGrad), "convolution"),
        new("conv3d_weight_grad", typeof(Conv3dWeightGrad), "convolution"),
        new("max_pool3d", typeof(MaxPool3d), "pooling"),
        new("max_pool3d_backward", typeof(MaxPool3dBackward), "pooling"),
        new("avg_pool3d", typeof(AvgPool3d), "pooling"),
        new("avg_pool3d_backward", typeof(AvgPool3dBackward), "pooling"),
        new("lstm_layer", typeof(LstmLayer), "recurrent"),
        new("gru_layer", typeof(GruLayer), "recurrent"),
        new("rnn_layer", typeof(RnnLayer), "recurrent"),
        new("scaled_dot_product_attention", typeof(ScaledDotProductAttentionOp), "attention"),
        new("ctc_loss", typeof(CtcLoss), "loss"),
    ]);

    /// <summary>The entry for an op name, or null.</summary>
    public static OpInfo? Find(string name) => All.FirstOrDefault(o => o.Name == name);

    private static OpInfo[] Build(OpInfo[] entries)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        var types = new HashSet<Type>();
        foreach (var e in entries)
        {
            if (!typeof(Op).IsAssignableFrom(e.Type) || e.Type.IsAbstract)
            {
                throw new InvalidOperationException($"OpRegistry: {e.Type.Name} is not a concrete Op");
            }

            if (!names.Add(e.Name) || !types.Add(e.Type))
            {
                throw new InvalidOperationException($"OpRegistry: duplicate entry {e.Name} ({e.Type.Name})");
            }
        }

        return entries;
    }
}
