namespace Nabla.Optim;

/// <summary>Gradient clipping (<c>torch.nn.utils.clip_grad_norm_</c> and <c>clip_grad_value_</c>).</summary>
public static class ClipGrad
{
    /// <summary>
    /// Scales all gradients by min(1, maxNorm / (‖g‖ + 1e-6)), where ‖g‖ is the p-norm of all gradients
    /// together (p = 2, or ∞ for the largest magnitude). Returns the total norm before clipping.
    /// </summary>
    public static double Norm(IEnumerable<Tensor> parameters, double maxNorm, double normType = 2)
    {
        var grads = parameters.Select(p => p.Grad).OfType<Tensor>().ToList();
        double total;
        using (GradMode.NoGrad())
        {
            total = double.IsPositiveInfinity(normType)
                ? grads.Select(g => g.Abs().Max().Item()).DefaultIfEmpty(0).Max()
                : Math.Pow(grads.Sum(g => Math.Pow(g.Norm(normType).Item(), normType)), 1 / normType);
            double coef = maxNorm / (total + 1e-6);
            if (coef < 1)
            {
                foreach (var g in grads)
                {
                    g.MulInPlace(coef);
                }
            }
        }

        return total;
    }

    /// <summary>Clamps every gradient element into [−clipValue, clipValue].</summary>
    public static void Value(IEnumerable<Tensor> parameters, double clipValue)
    {
        using (GradMode.NoGrad())
        {
            foreach (var g in parameters.Select(p => p.Grad).OfType<Tensor>())
            {
                g.CopyInPlace(g.Clamp(-clipValue, clipValue));
            }
        }
    }
}
