namespace Nabla.Explain.Generators;

/// <summary>Convolution topics: output shapes, parameter counts, receptive fields, forward values, backpropagation.</summary>
internal static class ConvTopics
{
    public static IReadOnlyList<Topic> All { get; } =
    [
        new("conv-shape", "Output shape of a convolution (kernel, stride, padding) followed by 2x2 max-pooling.", ConvShape),
        new("params", "Parameter counts of a convolution layer and of a two-layer dense network (weights and biases).", Params),
        new("receptive-field", "Receptive field of each layer of a stack of convolutions and poolings.", ReceptiveField),
        new("conv-forward", "Forward values of a 2-D convolution (cross-correlation) with padding, then 2x2 max-pooling.", ConvForward),
        new("conv-backprop", "A 1-D convolution forward, and the gradients of the input and the weights given dL/dY.", ConvBackprop),
    ];

    // The size n is drawn first and the input made to fit, so every output size is at least 3 (and the pooling valid);
    // r adds a remainder that the floor in ⌊(H + 2P − K)/S⌋ + 1 drops.
    private static Problem ConvShape(Draw d)
    {
        int cin = d.Pick(1, 3, 8, 16), cout = d.Int(2, 64), k = d.Pick(1, 3, 5, 7), s = d.Int(1, 3), p = d.Int(0, k / 2);
        int Side() => (s * d.Int(2, 30)) + k - (2 * p) + d.Int(0, s - 1);
        int h = Side(), w = Side();
        return new($"Output shapes of a {k}x{k} stride-{s} padding-{p} convolution on {cin}x{h}x{w}, then 2x2 max-pooling", $$"""
            models:
              m:
                input: [{{cin}}, {{h}}, {{w}}]          # C, H, W
                layers:
                  - Conv2d: {inChannels: {{cin}}, outChannels: {{cout}}, kernelSize: {{k}}, stride: {{s}}, padding: {{p}}}
                    name: conv
                  - MaxPool2d: {kernelSize: 2, stride: 2}
                    name: pool
            equations:
              - "conv_out = m.conv.out"
              - "pool_out = m.pool.out"
            """, ["conv_out", "pool_out"]);
    }

    private static Problem Params(Draw d)
    {
        int cin = d.Pick(1, 3, 4, 8, 16), cout = d.Pick(4, 6, 8, 16, 32, 64), k = d.Pick(1, 3, 5, 7);
        int n0 = d.Int(2, 64), n1 = d.Int(2, 32), n2 = d.Int(1, 10);
        return new($"Parameters of a {k}x{k} convolution {cin} -> {cout} channels and of a {n0}-{n1}-{n2} dense network", $$"""
            models:
              c:
                input: [{{cin}}, 32, 32]
                layers:
                  - Conv2d: {inChannels: {{cin}}, outChannels: {{cout}}, kernelSize: {{k}}}
                    name: conv
              m:
                input: [{{n0}}]
                layers:
                  - Linear: {inFeatures: {{n0}}, outFeatures: {{n1}}}
                    name: hidden
                  - ReLU
                  - Linear: {inFeatures: {{n1}}, outFeatures: {{n2}}}
                    name: output
            equations:
              - "conv_params = c.conv.params"
              - "dense_per_layer = [m.hidden.params, m.output.params]"
              - "dense_total = m.params"
            """, ["conv_params", "dense_per_layer", "dense_total"]);
    }

    // Three layers on a 64x64 input: at most three stride-2 layers leave 8x8, so every layer has an output.
    private static Problem ReceptiveField(Draw d)
    {
        var layers = new List<string>();
        var names = new List<string>();
        for (int i = 1; i <= 3; i++)
        {
            if (d.Int(0, 2) == 0)
            {
                int k = d.Pick(2, 3);
                names.Add($"pool{i}");
                layers.Add($"      - MaxPool2d: {{kernelSize: {k}, stride: 2}}\n        name: pool{i}");
            }
            else
            {
                int k = d.Pick(3, 5, 7), s = d.Int(1, 2);
                names.Add($"conv{i}");
                layers.Add($"      - Conv2d: {{inChannels: 1, outChannels: 1, kernelSize: {k}, stride: {s}, padding: {k / 2}}}\n        name: conv{i}");
            }
        }

        return new($"Receptive fields of {string.Join(", ", names)}", $$"""
            models:
              m:
                input: [1, 64, 64]
                layers:
            {{string.Join("\n", layers)}}
            equations:
              - "rf_per_layer = [{{string.Join(", ", names.Select(n => $"m.{n}.rf[0]"))}}]"
            """, ["rf_per_layer"]);
    }

    private static Problem ConvForward(Draw d)
    {
        int n = d.Int(4, 5), pad = d.Int(0, 1);
        var image = d.Matrix(n, n, () => d.Int(0, 4));
        var kernel = d.Matrix(3, 3, () => d.Int(-1, 1));
        return new($"A 3x3 convolution with padding {pad} on a {n}x{n} image, then 2x2 max-pooling", $$"""
            given:
              image: {{Y.M(image)}}
              kernel: {{Y.M(kernel)}}
            equations:
              - "output = conv2d(image, kernel, padding={{pad}})"
              - "pooled = maxpool2d(output, 2)"
            """, ["output", "pooled"]);
    }

    private static Problem ConvBackprop(Draw d)
    {
        int cin = d.Int(1, 2), len = d.Int(4, 5), k = d.Int(2, 3), lout = len - k + 1;
        var x = d.Matrix(cin, len, () => d.Int(-3, 3));
        var w = Enumerable.Range(0, 2).Select(_ => d.Matrix(cin, k, () => d.Int(-2, 2))).ToArray();
        var g = d.Matrix(2, lout, () => d.Int(-2, 2));
        return new($"A 1-D convolution of {cin}x{len} with 2x{cin}x{k} weights, and its gradients", $$"""
            given:
              X: {{Y.M(x)}}            # (in channels, length)
              W: [{{string.Join(", ", w.Select(Y.M))}}]   # (out, in, k)
              G: {{Y.M(g)}}            # dL/dY
            equations:
              - "Y = conv1d(X, W)"
              - "L = sum(G*Y)"
            loss: L
            gradients: [X, W]
            """, ["Y", "dL/dX", "dL/dW"]);
    }
}
