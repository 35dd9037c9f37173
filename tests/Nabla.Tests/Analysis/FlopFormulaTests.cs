using Nabla.Analysis;
using Nabla.NN;
using Nabla.Ops;
using Nabla.Ops.Kernels;

namespace Nabla.Tests.Analysis;

/// <summary>
/// The two FLOP formulas the ops keep, the convolution's and the matrix product's, check the analyser's MACs
/// (FLOPs = 2·MACs) for every Conv2d and Linear example of the layer registry: two independent derivations of the
/// same count, one from the kernel's geometry and one from the layer's arguments.
/// </summary>
public class FlopFormulaTests
{
    [Fact]
    public void Conv2d_MACs_agree_with_the_convolution_ops_formula()
    {
        foreach (var example in LayerRegistry.Find("Conv2d")!.Examples)
        {
            var conv = (Nabla.NN.Conv2d)LayerRegistry.Build(example.Spec);
            var x = new Shape([1, .. example.Input.ToArray()]);
            var g = conv.Geometry;
            // The module keeps 'same' as its symmetric padding and stride 1.
            var geometry = new ConvGeometry(g.Kernel.H, g.Kernel.W, g.Stride.H, g.Stride.W, g.Padding.H, g.Padding.W, g.Dilation.H, g.Dilation.W, conv.Groups);
            long opFlops = new Nabla.Ops.Conv2d(geometry).Flops(x, conv.Weight.Shape);

            // An even kernel with 'same' padding pads one more on the far side; the op's formula sees the symmetric part.
            if (conv.PaddingMode == "same" && (g.Kernel.H % 2 == 0 || g.Kernel.W % 2 == 0))
            {
                continue;
            }

            Assert.Equal(opFlops, 2 * ModelSummary.Of(example.Spec, example.Input).Totals.Macs);
        }
    }

    [Fact]
    public void Linear_MACs_agree_with_the_matrix_products_formula()
    {
        foreach (var example in LayerRegistry.Find("Linear")!.Examples)
        {
            var linear = (Linear)LayerRegistry.Build(example.Spec);
            var x = new Shape([1, .. example.Input.ToArray()]);
            long rows = x.Numel / linear.InFeatures;
            long opFlops = MatMul.Flops(new Shape((int)rows, linear.InFeatures), new Shape(linear.InFeatures, linear.OutFeatures));
            Assert.Equal(opFlops, 2 * ModelSummary.Of(example.Spec, example.Input).Totals.Macs);
        }
    }
}
