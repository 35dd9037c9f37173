namespace Nabla.Analysis;

/// <summary>One layer (or container) of a <see cref="ModelSummary"/>; all counts are per sample (batch 1).</summary>
/// <param name="Path">The dotted module path, as in <c>NamedModules()</c> (<c>layer1.0.conv1</c>); "" for the model.</param>
/// <param name="Name">The model file's label for the layer (<c>name:</c>), or null.</param>
/// <param name="Type">The layer type (<c>Conv2d</c>).</param>
/// <param name="Depth">Nesting depth (1 for the model's direct children).</param>
/// <param name="IsContainer">True for blocks (Sequential, BasicBlock, …) whose figures sum their children's.</param>
/// <param name="InputShape">The per-sample input shape (no batch dimension).</param>
/// <param name="OutputShape">The per-sample output shape (no batch dimension).</param>
/// <param name="Params">Learnable parameters (what PyTorch's <c>parameters()</c> counts).</param>
/// <param name="Trainable">The parameters that receive gradients (all, unless frozen in a built module).</param>
/// <param name="NonTrainable">Frozen parameters plus floating-point buffers (BatchNorm's running mean and variance), as Keras counts them.</param>
/// <param name="Macs">Multiply-accumulates of the weight layers for one sample (a whole sequence for recurrent layers).</param>
/// <param name="MacsPerStep">For recurrent layers, MACs of one time step; for Transformer layers, MACs per token (position), the attention's share included; else null.</param>
/// <param name="ActivationBytes">Bytes of this layer's output for one sample, in float32.</param>
/// <param name="ReceptiveField">The receptive field of one output unit, once the model has spatial layers; else null.</param>
public sealed record LayerRow(
    string Path,
    string? Name,
    string Type,
    int Depth,
    bool IsContainer,
    Shape InputShape,
    Shape OutputShape,
    long Params,
    long Trainable,
    long NonTrainable,
    long Macs,
    long? MacsPerStep,
    long ActivationBytes,
    ReceptiveField? ReceptiveField)
{
    /// <summary>
    /// True for the rows of an auxiliary head (an <c>Auxiliary</c> layer and everything in it): a branch off the main
    /// path that runs in training only. Its parameters are in the totals' <see cref="SummaryTotals.Params"/> (and
    /// <see cref="SummaryTotals.AuxiliaryParams"/>), its MACs only in <see cref="SummaryTotals.AuxiliaryMacs"/>.
    /// </summary>
    public bool IsAuxiliary { get; init; }

    /// <summary>FLOPs = 2 × MACs (one multiply and one add each; bias and activations excluded).</summary>
    public long Flops => 2 * Macs;

    /// <summary>The label shown in tables: the name if any, else the path.</summary>
    public string Label => Name ?? (Path.Length == 0 ? "(model)" : Path);
}

/// <summary>Whole-model figures of a <see cref="ModelSummary"/>, per sample.</summary>
/// <param name="Params">Learnable parameters (PyTorch's count, auxiliary heads included).</param>
/// <param name="Trainable">Parameters that receive gradients.</param>
/// <param name="NonTrainable">Frozen parameters plus floating-point buffers (Keras' non-trainable count).</param>
/// <param name="Macs">Multiply-accumulates of one forward pass of one sample in inference (auxiliary heads left out).</param>
/// <param name="InputBytes">Bytes of one input sample (float32).</param>
/// <param name="ActivationBytes">Bytes of all layer outputs of one sample (float32), what backward keeps at most.</param>
/// <param name="ParamBytes">Bytes of parameters and buffers (float32).</param>
/// <param name="ReceptiveField">The receptive field of one output unit of the last layer, or null.</param>
public sealed record SummaryTotals(long Params, long Trainable, long NonTrainable, long Macs, long InputBytes, long ActivationBytes, long ParamBytes, ReceptiveField? ReceptiveField)
{
    /// <summary>The parameters of the auxiliary heads (training only), included in <see cref="Params"/>; 0 without heads.</summary>
    public long AuxiliaryParams { get; init; }

    /// <summary>The MACs of the auxiliary heads in a training forward, not included in <see cref="Macs"/> (inference); 0 without heads.</summary>
    public long AuxiliaryMacs { get; init; }

    /// <summary>FLOPs = 2 × MACs.</summary>
    public long Flops => 2 * Macs;

    /// <summary>Keras' "Total params": trainable plus non-trainable.</summary>
    public long KerasTotal => Trainable + NonTrainable;
}
