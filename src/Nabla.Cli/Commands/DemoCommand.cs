using System.CommandLine;
using System.Globalization;

namespace Nabla.Cli.Commands;

/// <summary>
/// <c>nabla demo</c>: fits a 2-8-1 tanh network to XOR with plain tensors, autograd and SGD, printing the
/// loss as it falls and the final predictions. It exercises the engine end to end in a second.
/// </summary>
internal static class DemoCommand
{
    public const string Examples = """
        Examples:
          nabla demo
          nabla demo --steps 500 --seed 7

        Exit status: 0 trained; 2 a bad argument.
        """;

    /// <summary>Runs <c>nabla demo</c> with <paramref name="args"/> (the words after <c>demo</c>).</summary>
    public static int Run(string[] args, TextWriter output, TextWriter error) => NablaCommandLine.Invoke(["demo", .. args], output, error);

    /// <summary>The <c>demo</c> command: its options and the action that runs <see cref="Fit"/>.</summary>
    internal static Command Create()
    {
        var steps = CliOptions.Int("--steps", "N", "SGD steps (default 2000)");
        var seed = CliOptions.Long("--seed", "S", "initialisation seed (default 0)");
        var command = new Command("demo", "Train a 2-8-1 tanh network on XOR with the autograd engine and SGD (about a second).") { steps, seed };
        command.SetAction(r => Fit(r.GetValue(steps) ?? 2000, r.GetValue(seed) ?? 0, r.InvocationConfiguration.Output));
        return command;
    }

    private static int Fit(int steps, long seed, TextWriter output)
    {
        var x = Tensor.FromArray(new float[,] { { 0, 0 }, { 0, 1 }, { 1, 0 }, { 1, 1 } });
        var y = Tensor.FromArray([0f, 1f, 1f, 0f], new Shape(4, 1));
        var g = new Generator(seed);
        var w1 = Tensor.Uniform(new Shape(2, 8), -1, 1, g).RequireGrad();
        var b1 = Tensor.Zeros(new Shape(8)).RequireGrad();
        var w2 = Tensor.Uniform(new Shape(8, 1), -1, 1, g).RequireGrad();
        var b2 = Tensor.Zeros(new Shape(1)).RequireGrad();
        Tensor[] parameters = [w1, b1, w2, b2];
        const double lr = 0.5;

        output.WriteLine($"XOR with a 2-8-1 tanh network, SGD lr {lr}, {steps} steps");
        Tensor Predict() => (x.MatMul(w1) + b1).Tanh().MatMul(w2).Add(b2).Sigmoid();
        for (int step = 1; step <= steps; step++)
        {
            var loss = (Predict() - y).Square().Mean();
            loss.Backward();
            using (GradMode.NoGrad())
            {
                foreach (var p in parameters)
                {
                    p.AddInPlace(p.Grad!, -lr);
                    p.Grad!.ZeroInPlace();
                }
            }

            if (step == 1 || step % Math.Max(1, steps / 10) == 0)
            {
                output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"step {step,5}  loss {loss.Item():F6}"));
            }
        }

        using (GradMode.NoGrad())
        {
            output.WriteLine($"predictions for (0,0) (0,1) (1,0) (1,1): {Predict().Reshape(-1)}");
        }

        return 0;
    }
}
