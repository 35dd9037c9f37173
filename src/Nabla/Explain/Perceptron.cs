namespace Nabla.Explain;

/// <summary>
/// Rosenblatt's perceptron rule, step by step: y = 1 if w·x ≥ θ else 0; after each pattern
/// w ← w + η(t − y)x and, when θ is learned, θ ← θ − η(t − y). Stops after an epoch with no error.
/// </summary>
internal static class Perceptron
{
    public static void Train(Solution sol, PerceptronSpec p)
    {
        var w = (double[])p.W0.Clone();
        double theta = p.Theta;
        bool converged = false;
        for (int epoch = 1; epoch <= p.Epochs && !converged; epoch++)
        {
            int errors = 0;
            var rows = new List<(double[], double, int, double, double[], double)>();
            for (int i = 0; i < p.Inputs.Length; i++)
            {
                var x = p.Inputs[i];
                double net = 0;
                for (int k = 0; k < w.Length; k++)
                {
                    net += w[k] * x[k];
                }

                int y = net >= theta ? 1 : 0;
                double err = p.Targets[i] - y;
                if (err != 0)
                {
                    errors++;
                    for (int k = 0; k < w.Length; k++)
                    {
                        w[k] += p.Lr * err * x[k];
                    }

                    if (p.LearnTheta)
                    {
                        theta -= p.Lr * err;
                    }
                }

                rows.Add((x, net, y, p.Targets[i], (double[])w.Clone(), theta));
            }

            sol.Perceptron.Add(new PerceptronEpoch(epoch, errors, (double[])w.Clone(), theta, rows));
            converged = errors == 0;
        }

        sol.PerceptronConverged = converged;
        sol.Values.Add(new NamedValue("perceptron.errors", Tensor.FromArray(sol.Perceptron.Select(e => (double)e.Errors).ToArray()), [], "perceptron"));
        sol.Values.Add(new NamedValue("perceptron.w", Tensor.FromArray(w), [], "perceptron"));
    }
}
