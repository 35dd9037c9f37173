using Nabla.NN;

namespace Nabla.Training;

/// <summary>Built-in models for the digits datasets, by name (<c>nabla train --model NAME</c>).</summary>
public static class BuiltinModels
{
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
    /// avgpool 2, conv 6→16 5×5, tanh, avgpool 2, conv 16→120 5×5, tanh, flatten, linear 120→84, tanh, linear 84→10.
    /// </summary>
    public static Sequential LeNet5(Generator? generator = null, int numClasses = 10) => new(
        new Conv2d(1, 6, 5, generator: generator), new Tanh(), new AvgPool2d(2),
        new Conv2d(6, 16, 5, generator: generator), new Tanh(), new AvgPool2d(2),
        new Conv2d(16, 120, 5, generator: generator), new Tanh(), new Flatten(),
        new Linear(120, 84, generator: generator), new Tanh(), new Linear(84, numClasses, generator: generator));

    /// <summary>A multi-layer perceptron on 1×28×28 inputs: flatten, linear 784→256, ReLU, linear 256→10.</summary>
    public static Sequential Mlp(Generator? generator = null, int numClasses = 10) => new(
        new Flatten(), new Linear(784, 256, generator: generator), new ReLU(), new Linear(256, numClasses, generator: generator));

    /// <summary>A small ReLU CNN on 1×28×28 inputs: two conv 3×3 + max-pool stages (16, 32 channels), then linear 1568→64→10.</summary>
    public static Sequential SmallCnn(Generator? generator = null, int numClasses = 10) => new(
        new Conv2d(1, 16, 3, padding: 1, generator: generator), new ReLU(), new MaxPool2d(2),
        new Conv2d(16, 32, 3, padding: 1, generator: generator), new ReLU(), new MaxPool2d(2), new Flatten(),
        new Linear(32 * 7 * 7, 64, generator: generator), new ReLU(), new Linear(64, numClasses, generator: generator));
}
