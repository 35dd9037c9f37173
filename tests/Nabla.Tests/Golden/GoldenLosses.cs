using System.Globalization;
using Nabla.Optim;

namespace Nabla.Tests.Golden;

/// <summary>
/// Builds a golden case's loss through <see cref="LossRegistry"/>, so the parity tests check the registry's names,
/// option mapping and defaults against PyTorch as well as the loss itself.
/// </summary>
internal static class GoldenLosses
{
    /// <summary>
    /// The loss of <paramref name="c"/>: GoldenGen's op name (the functional name without <c>_loss</c>; <c>bce_logits</c>
    /// is GoldenGen's own short name for <c>bce_with_logits</c>), the case's mode as the reduction, its numeric
    /// arguments as text options (flags as True/False) and the tensor options found in <paramref name="tensors"/>.
    /// </summary>
    public static (LossEntry Entry, Nabla.NN.Loss Loss) Create(GoldenCase c, IReadOnlyDictionary<string, Tensor> tensors)
    {
        var entry = LossRegistry.Find(c.Op == "bce_logits" ? "bce_with_logits" : c.Op);
        var args = new Dictionary<string, string>(StringComparer.Ordinal) { ["reduction"] = c.Mode };
        foreach (var (k, v) in c.Args)
        {
            bool flag = entry.Args.FirstOrDefault(a => a.Name == k)?.Kind == ArgKind.Bool;
            args[k] = flag ? (v != 0 ? "True" : "False") : v.ToString("R", CultureInfo.InvariantCulture);
        }

        var options = entry.TensorArgs.Where(tensors.ContainsKey).ToDictionary(n => n, n => tensors[n]);
        return (entry, LossRegistry.Create(entry.Name, args, options));
    }
}
