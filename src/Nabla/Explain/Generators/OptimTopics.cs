namespace Nabla.Explain.Generators;

/// <summary>Optimizer steps, Hessians and critical points, the perceptron rule.</summary>
internal static class OptimTopics
{
    public static IReadOnlyList<Topic> All { get; } =
    [
        new("sgd", "One SGD step for a linear model with mean squared error: loss, gradients, updated parameters, loss after.", d => Step(d, "sgd")),
        new("momentum", "Two steps of SGD with momentum (PyTorch's rule v <- mu*v + g, w <- w - lr*v) for a linear model.", d => Step(d, "momentum")),
        new("adam", "Two Adam steps for a linear model with mean squared error.", d => Step(d, "adam")),
        new("hessian", "Gradient, Hessian, eigenvalues and determinant of f(x, y) = x^4 - 2a^2 x^2 + y^4 - 2b^2 y^2 at three points.", Hessian),
        new("perceptron", "The perceptron rule (learned threshold) on a linearly separable logic function of two inputs, until an epoch has no error.", Perceptron),
    ];

    private static Problem Step(Draw d, string kind)
    {
        var x = d.Many(3, () => d.Int(-3, 3));
        var y = d.Many(3, () => d.Int(-5, 5));
        double w = d.Tenth(-10, 10), b = d.Tenth(-10, 10), lr = d.Pick(0.01, 0.05, 0.1), mu = d.Pick(0.5, 0.9);
        (string optimizer, string what) = kind switch
        {
            "sgd" => ($"{{type: SGD, lr: {Y.N(lr)}}}", $"one SGD step, lr {Y.N(lr)}"),
            "momentum" => ($"{{type: SGD, lr: {Y.N(lr)}, momentum: {Y.N(mu)}, steps: 2}}", $"two SGD steps, lr {Y.N(lr)}, momentum {Y.N(mu)}"),
            _ => ($"{{type: Adam, lr: {Y.N(lr * 10)}, beta1: 0.9, beta2: 0.999, eps: 1e-8, steps: 2}}", $"two Adam steps, lr {Y.N(lr * 10)}"),
        };
        return new($"A linear model y = w*x + b with mean squared error, {what}", $$"""
            given:
              x: {{Y.L(x)}}
              y: {{Y.L(y)}}
              w: {{Y.N(w)}}
              b: {{Y.N(b)}}
            equations:
              - "yhat = w*x + b"
              - "L = mean((yhat - y)^2)"
            loss: L
            gradients: [w, b]
            optimizer: {{optimizer}}
            """, ["L", "dL/dw", "dL/db", "w'", "b'", "L'"]);
    }

    // f = x^4 − 2a²x² + y^4 − 2b²y² has critical points where x ∈ {0, ±a} and y ∈ {0, ±b}: three of them, distinct.
    private static Problem Hessian(Draw d)
    {
        int a = d.Int(1, 5), b = d.Int(1, 5);
        var all = (from px in new[] { 0, a, -a } from py in new[] { 0, b, -b } select (px, py)).ToList();
        var points = new List<(int X, int Y)>();
        while (points.Count < 3)
        {
            var p = all[d.Int(0, all.Count - 1)];
            if (!points.Contains(p))
            {
                points.Add(p);
            }
        }

        string at = string.Join(", ", points.Select(p => $"[{p.X}, {p.Y}]"));
        var asks = Enumerable.Range(0, 3).SelectMany(k => (string[])[$"f.value[{k}]", $"f.gradient[{k}]", $"f.hessian[{k}]", $"f.eigenvalues[{k}]", $"f.det[{k}]"]).ToArray();
        return new($"Hessian of f(x, y) = x^4 - {2 * a * a}x^2 + y^4 - {2 * b * b}y^2 at {at}", $$"""
            given:
              x: 0
              y: 0
            equations:
              - "f = x^4 - {{2 * a * a}}*x^2 + y^4 - {{2 * b * b}}*y^2"
            hessian: {of: f, wrt: [x, y], at: [{{at}}]}
            """, asks);
    }

    // The 12 logic functions of two inputs that a line separates, constants left out (all but XOR, XNOR, 0 and 1), as
    // targets of (00, 01, 10, 11). The threshold is learned: the rule on (w, θ) with inputs (x, −1) then ends for any
    // separable data, start and rate (the perceptron convergence theorem); with θ fixed it may cycle for ever (NAND with
    // θ = 0 has no solution at all, and a rate of 0.5 can step over a narrow solution region).
    private static Problem Perceptron(Draw d)
    {
        var functions = Enumerable.Range(1, 14).Where(f => f is not (0b0110 or 0b1001)).ToArray();
        int f = d.Pick(functions);
        double[] t = [.. Enumerable.Range(0, 4).Select(i => (double)((f >> (3 - i)) & 1))];
        double theta = d.Tenth(-5, 5);
        double lr = d.Pick(0.1, 0.2, 0.5);
        var w0 = d.Many(2, () => d.Tenth(-5, 5));
        return new($"The perceptron rule on targets {Y.L(t)} for inputs 00, 01, 10, 11", $$"""
            perceptron:
              data: [[0, 0, {{Y.N(t[0])}}], [0, 1, {{Y.N(t[1])}}], [1, 0, {{Y.N(t[2])}}], [1, 1, {{Y.N(t[3])}}]]
              lr: {{Y.N(lr)}}
              theta: {{Y.N(theta)}}
              w0: {{Y.L(w0)}}
              epochs: 100
              learn_theta: true
            """, ["perceptron.errors", "perceptron.w"]);
    }
}
