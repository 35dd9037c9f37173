using Fn = Nabla.NN.F;
using Nabla.Tests.Reference;

namespace Nabla.Tests.Ops;

// CTC (Note [CTC in log space] in Ops/Ctc.cs) against its definition, by brute force: ℓₙ = −log Σ over all C^Tₙ
// label sequences π of Π_t exp(lp[t, n, π_t]) for those π that collapse (merge repeats, drop blanks) to the target.
internal static partial class OpDb
{
    // T = 4, N = 2, C = 3. Sample 0: target (1, 1), a repeat that needs a blank between, over all 4 steps;
    // sample 1: target (2), over 3 steps. Blank 0. Any real lp works (the definition does not need normalisation).
    private static readonly long[][] CtcTargets = [[1, 1], [2]];
    private static readonly long[] CtcInputLengths = [4, 3];

    private static IEnumerable<OpCase> CtcCases()
    {
        var targets = Tensor.FromArray(new long[] { 1, 1, 2, 0 }, new Shape(2, 2));
        var il = Tensor.FromArray(CtcInputLengths);
        var tl = Tensor.FromArray(new long[] { 2, 1 });
        Arg[][] samples = [S(X(4, 2, 3)), S(Xt(4, 2, 3))];

        // Its backward is a kernel: a graph of the gradient is refused (the test expects the throw).
        yield return new OpCase("ctc_loss", xs => Fn.CtcLoss(xs[0], targets, il, tl, reduction: Nabla.NN.Reduction.None),
            rs => CtcRef(rs[0]), samples)
        { SupportsGradGrad = false };
    }

    private static R CtcRef(R lp)
    {
        int classes = lp.Shape[2];
        var loss = R.Zeros([2]);
        for (int n = 0; n < 2; n++)
        {
            int steps = (int)CtcInputLengths[n];
            double total = 0;
            var path = new int[steps];
            for (long code = 0; code < (long)Math.Pow(classes, steps); code++)
            {
                long rest = code;
                double logp = 0;
                for (int t = 0; t < steps; t++)
                {
                    path[t] = (int)(rest % classes);
                    rest /= classes;
                    logp += lp[[t, n, path[t]]];
                }

                if (Collapse(path).SequenceEqual(CtcTargets[n]))
                {
                    total += Math.Exp(logp);
                }
            }

            loss[[n]] = -Math.Log(total);
        }

        return loss;
    }

    // Merge repeated labels, then drop blanks (0).
    private static List<long> Collapse(int[] path)
    {
        var labels = new List<long>();
        for (int t = 0; t < path.Length; t++)
        {
            if (path[t] != 0 && (t == 0 || path[t] != path[t - 1]))
            {
                labels.Add(path[t]);
            }
        }

        return labels;
    }
}
