namespace Nabla;

/// <summary>Functional autograd: gradients of outputs with respect to chosen inputs (<c>torch.autograd</c>).</summary>
public static partial class Autograd
{
    /// <summary>
    /// Computes Σᵢ gradOutputsᵢ · ∂outputsᵢ/∂inputs for each input, without touching any <see cref="Tensor.Grad"/>
    /// (<c>torch.autograd.grad</c>).
    /// </summary>
    /// <param name="outputs">Tensors to differentiate.</param>
    /// <param name="inputs">Tensors to differentiate with respect to (leaves or intermediate results).</param>
    /// <param name="gradOutputs">The vector in the vector-Jacobian product; may be null for scalar outputs (ones).</param>
    /// <param name="retainGraph">Keep the graph for another backward pass (defaults to <paramref name="createGraph"/>).</param>
    /// <param name="createGraph">Record the graph of the gradients, for higher-order derivatives.</param>
    /// <param name="allowUnused">Return null for inputs the outputs do not depend on, instead of throwing.</param>
    /// <returns>One gradient per input (null only when unused and <paramref name="allowUnused"/>).</returns>
    /// <example><code>
    /// var x = Tensor.Scalar(3.0).RequireGrad();
    /// var y = x * x * x;                                          // y = x³
    /// var dy = Autograd.Grad([y], [x], createGraph: true)[0];     // 3x² = 27
    /// var d2y = Autograd.Grad([dy!], [x])[0];                     // 6x = 18
    /// </code></example>
    public static Tensor?[] Grad(IReadOnlyList<Tensor> outputs, IReadOnlyList<Tensor> inputs,
        IReadOnlyList<Tensor?>? gradOutputs = null, bool? retainGraph = null, bool createGraph = false,
        bool allowUnused = false)
    {
        foreach (var x in inputs)
        {
            if (!x.RequiresGrad)
            {
                throw new ArgumentException("Grad: one of the inputs does not require a gradient (set RequiresGrad = true on it first)", nameof(inputs));
            }
        }

        var grads = Seeds(outputs, gradOutputs);
        var (_, captured) = Engine.Run(outputs, grads, retainGraph ?? createGraph, createGraph, inputs);
        var result = new Tensor?[inputs.Count];
        for (int i = 0; i < inputs.Count; i++)
        {
            if (captured.TryGetValue(inputs[i], out var g))
            {
                result[i] = createGraph ? g : g.Detach();
            }
            else if (!allowUnused)
            {
                throw new InvalidOperationException(
                    $"Grad: input {i} (shape {inputs[i].Shape}) was not used to compute the outputs; pass allowUnused: true to get null for it");
            }
        }

        return result;
    }

    /// <summary>The seed gradients: given ones, or 1 for scalar outputs.</summary>
    internal static Tensor[] Seeds(IReadOnlyList<Tensor> outputs, IReadOnlyList<Tensor?>? gradOutputs)
    {
        var seeds = new Tensor[outputs.Count];
        for (int i = 0; i < outputs.Count; i++)
        {
            var o = outputs[i];
            if (!o.RequiresGrad)
            {
                throw new InvalidOperationException(
                    $"output {i} (shape {o.Shape}) does not require a gradient and has no GradFn: nothing to differentiate");
            }

            var g = gradOutputs is not null && i < gradOutputs.Count ? gradOutputs[i] : null;
            if (g is null)
            {
                if (o.Numel != 1)
                {
                    throw new InvalidOperationException(
                        $"gradient can be implicitly created only for scalar outputs, this output has shape {o.Shape}; pass a gradient of that shape");
                }

                g = Tensor.OnesLike(o);
            }
            else if (g.Shape != o.Shape)
            {
                throw new ArgumentException($"gradient of shape {g.Shape} does not match the output's shape {o.Shape}");
            }

            seeds[i] = g;
        }

        return seeds;
    }
}
