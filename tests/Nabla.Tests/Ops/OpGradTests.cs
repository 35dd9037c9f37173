namespace Nabla.Tests.Ops;

/// <summary>
/// Gradient checks for every differentiable <see cref="OpDb"/> case, in Float64: first derivatives against central
/// differences (gradcheck) and second derivatives through the recorded backward graph (gradgradcheck). Every float
/// input of a sample is a leaf, views included, so backward rules are exercised on non-contiguous inputs.
/// </summary>
public class OpGradTests
{
    public static TheoryData<string> Names => OpDb.Names;

    [Theory]
    [MemberData(nameof(Names))]
    public void Gradcheck(string name)
    {
        var c = OpDb.Get(name);
        foreach (var (xs, where) in Leaves(c))
        {
            if (!c.Differentiable)
            {
                Assert.False(c.Apply(xs).RequiresGrad, $"{where}: the result of a non-differentiable op requires a gradient");
                continue;
            }

            var r = GradCheck.Check(c.Apply, xs, c.GradEps, c.GradAtol, c.GradRtol);
            Assert.True(r.Passed, $"{where}: {r.Message}");
        }
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void Gradgradcheck(string name)
    {
        var c = OpDb.Get(name);
        if (!c.Differentiable)
        {
            return;
        }

        foreach (var (xs, where) in Leaves(c))
        {
            if (!c.SupportsGradGrad)
            {
                Assert.ThrowsAny<Exception>(() => GradCheck.CheckSecondOrder(c.Apply, xs, OpDb.Seed(name), c.GradEps, c.GradAtol, c.GradRtol));
                continue;
            }

            var r = GradCheck.CheckSecondOrder(c.Apply, xs, OpDb.Seed(name), c.GradEps, c.GradAtol, c.GradRtol);
            Assert.True(r.Passed, $"{where}: {r.Message}");
        }
    }

    /// <summary>
    /// Backward in both dtypes with every float input a leaf (mixed-dtype ones too): each leaf gets a gradient of its
    /// shape and dtype, and the Float32 gradients agree with the Float64 ones (the Float32 kernels of each backward).
    /// </summary>
    [Theory]
    [MemberData(nameof(Names))]
    public void Backward_float32_matches_float64(string name)
    {
        var c = OpDb.Get(name);
        if (!c.Differentiable)
        {
            return;
        }

        var grads = new Dictionary<DType, List<double[]>>();
        foreach (var dtype in new[] { DType.Float64, DType.Float32 })
        {
            var g = new Generator(OpDb.Seed(name));
            var seeds = new Generator(OpDb.Seed(name) + 1);
            var list = grads[dtype] = [];
            int k = 0;
            foreach (var args in c.Samples)
            {
                var where = $"{name} {dtype} sample {k++} ({OpDb.Describe(args)})";
                var xs = OpDb.Make(args, g, dtype).Select(x => x.DType.IsFloatingPoint() ? x.Detach().RequireGrad() : x).ToArray();
                var y = c.Apply(xs);
                var dy = Tensor.Randn(y.Shape, seeds, DType.Float64).To(y.DType);
                if (!y.RequiresGrad)
                {
                    continue;
                }

                y.Backward(dy);
                foreach (var x in xs.Where(x => x.RequiresGrad))
                {
                    Assert.True(x.Grad is not null && x.Grad.Shape == x.Shape, $"{where}: leaf {x.Shape} got gradient {x.Grad?.Shape}");
                    Assert.True(x.Grad!.DType == x.DType, $"{where}: a {x.DType} leaf got a {x.Grad.DType} gradient");
                    list.Add(x.Grad.ToDoubleArray());
                }
            }
        }

        Assert.Equal(grads[DType.Float64].Count, grads[DType.Float32].Count);
        for (int i = 0; i < grads[DType.Float64].Count; i++)
        {
            OpForwardTests.AssertClose(grads[DType.Float64][i], grads[DType.Float32][i], 1e-3, 1e-3, $"{name} gradient {i}, Float32 vs Float64");
        }
    }

    // The samples in Float64 with every Float64 input made a leaf that requires a gradient (Detach keeps views).
    private static IEnumerable<(Tensor[] Inputs, string Where)> Leaves(OpCase c)
    {
        var g = new Generator(OpDb.Seed(c.Name));
        int k = 0;
        foreach (var args in c.Samples)
        {
            var xs = OpDb.Make(args, g, DType.Float64)
                .Select(x => x.DType == DType.Float64 ? x.Detach().RequireGrad() : x)
                .ToArray();
            yield return (xs, $"{c.Name} sample {k++} ({OpDb.Describe(args)})");
        }
    }
}
