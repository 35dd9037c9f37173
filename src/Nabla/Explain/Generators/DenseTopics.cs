namespace Nabla.Explain.Generators;

/// <summary>Dense-network topics: batch norm, softmax and cross-entropy, BCE, MLP forward and backpropagation.</summary>
internal static class DenseTopics
{
    public static IReadOnlyList<Topic> All { get; } =
    [
        new("batchnorm", "Batch normalisation of one feature over a batch (training mode, biased variance, no epsilon).", BatchNorm),
        new("softmax-ce", "Softmax of logits, the cross-entropy loss of a target class, and its gradient w.r.t. the logits.", SoftmaxCe),
        new("bce", "A sigmoid neuron with binary cross-entropy: forward pass, loss, gradients of the weights and bias.", Bce),
        new("mlp-forward", "Forward pass of a small ReLU network with a softmax output (row vectors, no biases).", MlpForward),
        new("mlp-backprop", "Backpropagation in a 1-2-1-1 tanh network with the bias as first coordinate, squared error.", MlpBackprop),
    ];

    // The batch is not constant (else the variance is 0 and x̂ divides by zero): the last value differs from the first.
    private static Problem BatchNorm(Draw d)
    {
        int m = d.Int(4, 5);
        var x = d.Many(m, () => d.Int(0, 10));
        if (x.All(v => v == x[0]))
        {
            x[^1] = x[0] + d.Int(1, 5);
        }

        double gamma = d.Tenth(5, 30), beta = d.Tenth(-20, 20);
        return new($"Batch normalisation of a batch of {m} with gamma {Y.N(gamma)} and beta {Y.N(beta)}", $$"""
            given:
              x: {{Y.L(x)}}
              gamma: {{Y.N(gamma)}}
              beta: {{Y.N(beta)}}
            equations:
              - "mu = mean(x)"
              - "var = mean((x - mu)^2)"        # biased: divide by m
              - "xhat = (x - mu) / sqrt(var)"
              - "y = gamma*xhat + beta"
            """, ["mu", "var", "xhat", "y"]);
    }

    private static Problem SoftmaxCe(Draw d)
    {
        int n = d.Int(3, 4), c = d.Int(0, n - 1);
        var z = d.Many(n, () => d.Tenth(-20, 20));
        var y = Enumerable.Range(0, n).Select(i => i == c ? 1.0 : 0.0);
        return new($"Softmax of {n} logits and the cross-entropy of class {c}", $$"""
            given:
              z: {{Y.L(z)}}
              y: {{Y.L(y)}}            # one-hot target: class {{c}}
            equations:
              - "p = softmax(z)"
              - "L = -sum(y*log(p))"
            loss: L
            gradients: [z]
            """, ["p", "L", "dL/dz"]);
    }

    private static Problem Bce(Draw d)
    {
        var x = d.Many(2, () => d.Tenth(-20, 20));
        var w = d.Many(2, () => d.NonZeroTenth(-10, 10));
        double b = d.Tenth(-10, 10), y = d.Int(0, 1);
        return new($"A sigmoid neuron with binary cross-entropy, target {Y.N(y)}", $$"""
            given:
              x: {{Y.L(x)}}
              w: {{Y.L(w)}}
              b: {{Y.N(b)}}
              y: {{Y.N(y)}}
            equations:
              - "z = sum(w*x) + b"
              - "yhat = sigmoid(z)"
              - "L = -(y*log(yhat) + (1 - y)*log(1 - yhat))"
            loss: L
            gradients: [w, b]
            """, ["z", "yhat", "L", "dL/dw", "dL/db"]);
    }

    private static Problem MlpForward(Draw d)
    {
        int n1 = d.Int(2, 3), n2 = d.Int(2, 3);
        var x = d.Many(2, () => d.NonZeroTenth(-10, 10));
        var w1 = d.Matrix(2, n1, () => d.Tenth(-10, 10));
        var w2 = d.Matrix(n1, n2, () => d.Tenth(-10, 10));
        return new($"Forward pass of a 2-{n1}-{n2} network with ReLU and softmax", $$"""
            given:
              x: {{Y.L(x)}}
              W1: {{Y.M(w1)}}
              W2: {{Y.M(w2)}}
            equations:
              - "z1 = x @ W1"
              - "a1 = relu(z1)"
              - "z2 = a1 @ W2"
              - "p = softmax(z2)"
            """, ["z1", "a1", "z2", "p"]);
    }

    private static Problem MlpBackprop(Draw d)
    {
        double x = d.NonZero(-3, 3), y = d.Int(-2, 2);
        var w1 = d.Matrix(2, 2, () => d.Tenth(-5, 5));
        var w2 = d.Many(3, () => d.Tenth(-20, 20));
        var w3 = d.Many(2, () => d.Tenth(-20, 20));
        return new($"Backpropagation in a 1-2-1-1 tanh network, input {Y.N(x)}, target {Y.N(y)}", $$"""
            given:
              x0: [1, {{Y.N(x)}}]          # bias coordinate first
              W1: {{Y.M(w1)}}
              W2: {{Y.L(w2)}}
              W3: {{Y.L(w3)}}
              y: {{Y.N(y)}}
            equations:
              - "s1 = transpose(W1) @ x0"
              - "x1 = [1, tanh(s1)]"
              - "s2 = dot(W2, x1)"
              - "x2 = [1, tanh(s2)]"
              - "s3 = dot(W3, x2)"
              - "e = (s3 - y)^2"
            loss: e
            gradients: [W1, W2, W3]
            """, ["s1", "s2", "s3", "e", "de/dW1", "de/dW2", "de/dW3"]);
    }
}
