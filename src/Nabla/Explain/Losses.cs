using Nabla.Formats;


namespace Nabla.Explain;

/// <summary>
/// Several named losses in one exercise (<c>losses: [L1, L2]</c>): the primary one (<c>loss:</c>, or else the first)
/// drives the backward pass, the chain rule and the optimizer; every other loss gets the requested gradients too,
/// named <c>dL2/dw</c>, by its own reverse pass.
/// </summary>
internal static class Losses
{
    /// <summary>dLₖ/dx for every other loss Lₖ and every requested gradient x.</summary>
    public static void Gradients(Solution sol, Evaluation ev)
    {
        foreach (var (name, node) in sol.Exercise.Losses)
        {
            var loss = ev.ByName.GetValueOrDefault(name)
                ?? throw new YamlException($"the loss '{name}' is not defined by an equation{DidYouMean.Suggest(name, ev.ByName.Keys)}", node);
            if (loss.Value.Numel != 1)
            {
                throw new YamlException($"the loss '{name}' must be a scalar, it has shape {loss.Value.Shape}", node);
            }

            sol.OtherLosses.Add(loss);
            foreach (var (wrt, wnode) in sol.Exercise.Gradients)
            {
                var x = ev.ByName.GetValueOrDefault(wrt)?.Value ?? ev.Given.GetValueOrDefault(wrt)
                    ?? throw new YamlException($"gradient with respect to '{wrt}': no such given value or quantity{DidYouMean.Suggest(wrt, ev.Names)}", wnode);
                var g = x == loss.Value ? Tensor.OnesLike(x)
                    : loss.Value.RequiresGrad ? Autograd.Grad([loss.Value], [x], retainGraph: true, allowUnused: true)[0] ?? Tensor.ZerosLike(x)
                    : Tensor.ZerosLike(x);
                string gname = $"d{name}/d{wrt}";
                sol.Gradients.Add(new GradientResult(gname, name, wrt, g.Detach(), []));
                sol.Values.Add(new NamedValue(gname, g.Detach(), [name], "gradient"));
            }
        }
    }
}
