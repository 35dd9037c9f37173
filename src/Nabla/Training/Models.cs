using Nabla.Analysis;
using Nabla.Models;
using Nabla.NN;

namespace Nabla.Training;

/// <summary>Built-in models for the digits datasets, by name (<c>nabla train --model NAME</c>).</summary>
/// <remarks>
/// LeNet-5 is built from its model file (examples/models/lenet5.yaml, <see cref="BuiltinModelFiles"/>), the same file
/// <c>nabla summary lenet5</c> reads; the MLP and the small CNN are sized for the images they get, so they are built
/// here, once, for any input shape and class count (the digits' 1×28×28 and 10 classes by default).
/// </remarks>
public static class BuiltinModels
{
    private static readonly Shape Digits = new(1, 28, 28);

    /// <summary>The names <see cref="Create"/> accepts.</summary>
    public static IReadOnlyList<string> Names { get; } = ["lenet5", "mlp", "cnn"];

    /// <summary>Creates a model for 10 classes, initialised from <paramref name="generator"/>.</summary>
    public static Module Create(string name, Generator generator) => name switch
    {
        "lenet5" => LeNet5(generator),
        "mlp" => Mlp(generator),
        "cnn" => SmallCnn(generator),
        _ => throw new ArgumentException($"unknown model '{name}' (built-in: {string.Join(", ", Names)})", nameof(name)),
    };

    /// <summary>The input size (height = width) the model expects: 32 for LeNet-5, 28 otherwise.</summary>
    public static int InputSize(string name) => name == "lenet5" ? 32 : 28;

    /// <summary>
    /// The classic LeNet-5 (LeCun et al. 1998, with average pooling and tanh) on 1×32×32 inputs: conv 1→6 5×5, tanh,
    /// avgpool 2, conv 6→16 5×5, tanh, avgpool 2, conv 16→120 5×5, tanh, flatten, linear 120→84, tanh, linear 84→classes;
    /// built from examples/models/lenet5.yaml with its last layer's outputs set to <paramref name="numClasses"/>.
    /// </summary>
    /// <param name="generator">The generator the parameters are initialised from (default: <see cref="Generator.Current"/>).</param>
    /// <param name="numClasses">The number of outputs.</param>
    public static Sequential LeNet5(Generator? generator = null, int numClasses = 10)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(numClasses, 1);
        var def = BuiltinModelFiles.Load("lenet5");
        var layers = def.Model.Layers;
        var last = layers[^1];
        var args = new Dictionary<string, object>(last.Args) { ["outFeatures"] = numClasses };
        def = def with { Model = def.Model with { Layers = [.. layers.Take(layers.Count - 1), new LayerSpec(last.Type, args) { Name = last.Name, Key = last.Key }] } };
        return (Sequential)(generator is null ? def.Build() : def.Build(generator));
    }

    /// <summary>A multi-layer perceptron on 1×28×28 inputs: flatten, linear 784→256, ReLU, linear 256→10.</summary>
    public static Sequential Mlp(Generator? generator = null, int numClasses = 10) => Mlp(Digits, numClasses, generator);

    /// <summary>A multi-layer perceptron on C×H×W inputs: flatten, linear C·H·W→256, ReLU, linear 256→<paramref name="numClasses"/>.</summary>
    public static Sequential Mlp(Shape input, int numClasses, Generator? generator = null) => new(
        new Flatten(), new Linear(checked((int)input.Numel), 256, generator: generator), new ReLU(), new Linear(256, numClasses, generator: generator));

    /// <summary>A small ReLU CNN on 1×28×28 inputs: two conv 3×3 + max-pool stages (16, 32 channels), then linear 1568→64→10.</summary>
    public static Sequential SmallCnn(Generator? generator = null, int numClasses = 10) => SmallCnn(Digits, numClasses, generator);

    /// <summary>
    /// A small ReLU CNN on C×H×W inputs (H, W ≥ 4): two conv 3×3 (padding 1) + max-pool 2 stages (16, 32 channels),
    /// then linear 32·⌊H/4⌋·⌊W/4⌋→64→<paramref name="numClasses"/>.
    /// </summary>
    public static Sequential SmallCnn(Shape input, int numClasses, Generator? generator = null)
    {
        int c = input[0], h = input[1], w = input[2];
        return new(
            new Conv2d(c, 16, 3, padding: 1, generator: generator), new ReLU(), new MaxPool2d(2),
            new Conv2d(16, 32, 3, padding: 1, generator: generator), new ReLU(), new MaxPool2d(2), new Flatten(),
            new Linear(32 * (h / 4) * (w / 4), 64, generator: generator), new ReLU(), new Linear(64, numClasses, generator: generator));
    }
}
