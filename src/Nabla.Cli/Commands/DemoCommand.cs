using System.Globalization;

namespace Nabla.Cli.Commands;

/// <summary>
/// <c>nabla demo</c>: fits a 2-8-1 tanh network to XOR with plain tensors, autograd and SGD, printing the
/// loss as it falls and the final predictions. It exercises the engine end to end in a second.
/// </summary>
internal static class DemoCommand
{
    public static int Run(string[] args, TextWriter output)
    {
        int steps = 2000;
        long seed = 0;
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--steps" when i + 1 < args.Length:
                    steps = int.Parse(args[++i], CultureInfo.InvariantCulture);
                    break;
                case "--seed" when i + 1 < args.Length:
                    seed = long.Parse(args[++i], CultureInfo.InvariantCulture);
                    break;
                default:
                    throw new ArgumentException($"demo: unknown option '{args[i]}' (options: --steps N, --seed S)");
            }
        }

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

            if (step == 1 || step % (steps / 10) == 0)
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
