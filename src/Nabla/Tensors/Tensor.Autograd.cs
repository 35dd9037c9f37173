namespace Nabla;

public sealed partial class Tensor
{
    /// <summary>
    /// Computes the gradient of this tensor with respect to every leaf that requires one, and adds it to the
    /// leaves' <see cref="Grad"/> (gradients accumulate across calls, as in PyTorch).
    /// </summary>
    /// <param name="gradient">dL/d(this); may be omitted for a one-element tensor (then 1).</param>
    /// <param name="retainGraph">Keep the graph so that backward can run through it again.</param>
    /// <param name="createGraph">Record the backward pass itself, so that the gradients can be differentiated.</param>
    /// <exception cref="InvalidOperationException">
    /// The tensor is not scalar and no gradient is given, or the graph was already freed by an earlier backward.
    /// </exception>
    public void Backward(Tensor? gradient = null, bool retainGraph = false, bool createGraph = false)
    {
        var seeds = Autograd.Seeds([this], [gradient]);
        var (leaves, _) = Engine.Run([this], seeds, retainGraph || createGraph, createGraph);
        foreach (var (leaf, g) in leaves)
        {
            var add = createGraph ? g : g.Detach();
            if (leaf.Grad is null)
            {
                // Own the buffer so that later in-place accumulation never writes into another tensor.
                leaf.Grad = createGraph ? add : add.CloneNoGrad();
            }
            else if (createGraph || leaf.Grad.RequiresGrad)
            {
                leaf.Grad = leaf.Grad + add;
            }
            else
            {
                leaf.Grad.AddInPlace(add);
            }
        }
    }
}
