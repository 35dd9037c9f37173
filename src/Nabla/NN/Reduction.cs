namespace Nabla.NN;

/// <summary>How a loss combines its per-element values (PyTorch's <c>reduction</c> argument).</summary>
public enum Reduction
{
    /// <summary>No reduction: one loss per element.</summary>
    None,

    /// <summary>The mean (the default); weighted losses divide by the sum of the weights used.</summary>
    Mean,

    /// <summary>The sum.</summary>
    Sum,

    /// <summary>The sum divided by the batch size (KL divergence only, the mathematically correct KL mean).</summary>
    BatchMean,
}
