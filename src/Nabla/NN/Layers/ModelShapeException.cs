namespace Nabla.NN;

/// <summary>
/// A model whose shapes do not fit together (a kernel larger than its input, channels that do not match,
/// branches that cannot be joined), found by shape inference; the message names the layer and both shapes.
/// </summary>
public sealed class ModelShapeException : ArgumentException
{
    /// <summary>Creates the error for a layer.</summary>
    public ModelShapeException(string layer, string problem)
        : base($"{layer}: {problem}") => (Layer, Problem) = (layer, problem);

    /// <summary>Creates an error without a layer.</summary>
    public ModelShapeException()
        : this("model", "shapes do not fit")
    {
    }

    /// <summary>Creates an error without a layer.</summary>
    public ModelShapeException(string message)
        : base(message) => (Layer, Problem) = (string.Empty, message);

    /// <summary>Creates an error wrapping another.</summary>
    public ModelShapeException(string message, Exception innerException)
        : base(message, innerException) => (Layer, Problem) = (string.Empty, message);

    /// <summary>The layer: "layer 'C3' (Conv2d, line 7, column 5)".</summary>
    public string Layer { get; } = string.Empty;

    /// <summary>What does not fit, with the shapes.</summary>
    public string Problem { get; } = string.Empty;
}
