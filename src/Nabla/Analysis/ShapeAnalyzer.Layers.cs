using Nabla.NN;

namespace Nabla.Analysis;

/// <summary>Leaf layers: the facts their descriptor gives (shape, parameters, MACs), and the receptive field they move.</summary>
/// <remarks>The MAC convention and the parameter and buffer rules are in the descriptors (Note [MAC convention] in ConvRules).</remarks>
internal sealed partial class ShapeAnalyzer
{
    private static LeafResult RunLeaf(LayerSpec s, Flow x)
    {
        if (s.Opaque is { } m)
        {
            return Opaque(m, x);
        }

        var d = LayerRegistry.Find(s.Type) ?? throw new ModelShapeException("unknown layer type");
        var f = d.Analyze(s, x.Shape);
        var flow = f.Rf switch
        {
            RfRule.Window => new Flow(f.Output, Through(x, f.Window!.Value, f.DepthWindow, transposed: false), null),
            RfRule.Transposed => new Flow(f.Output, Through(x, f.Window!.Value, f.DepthWindow, transposed: true), null),
            RfRule.Reset => new Flow(f.Output, null, null),
            RfRule.FoldSpatial => Fold(x, f.Output),
            RfRule.Dense => new Flow(f.Output, Dense(x), null),
            _ => x with { Shape = f.Output },
        };
        return new(flow, f.Params, f.Buffers, f.Macs, f.MacsPerStep);
    }

    private static ReceptiveField Through(Flow x, SpatialGeometry g, (int K, int S, int P, int D)? depth, bool transposed)
    {
        int dims = x.Shape.Rank switch { 5 => 3, 4 => 2, _ => 1 };
        var rf = x.Rf ?? ReceptiveField.Input(dims);
        var dw = depth ?? (1, 1, 0, 1);
        return transposed
            ? new(rf.Height.ThroughTransposed(g.Kernel.H, g.Stride.H, g.Padding.H, g.Dilation.H), rf.Width.ThroughTransposed(g.Kernel.W, g.Stride.W, g.Padding.W, g.Dilation.W),
                rf.SpatialDims, rf.Depth?.ThroughTransposed(dw.K, dw.S, dw.P, dw.D))
            : new(rf.Height.Through(g.Kernel.H, g.Stride.H, g.Padding.H, g.Dilation.H), rf.Width.Through(g.Kernel.W, g.Stride.W, g.Padding.W, g.Dilation.W),
                rf.SpatialDims, rf.Depth?.Through(dw.K, dw.S, dw.P, dw.D));
    }

    // Remember the spatial extent folded into features, so the next dense layer acts as a kernel of that size.
    // An image (C, H, W) or a volume (C, D, H, W) flattened before any spatial layer starts the receptive field here.
    private static Flow Fold(Flow x, Shape output)
    {
        var dims = x.Shape.ToArray();
        var rf = x.Rf ?? (dims.Length switch { 5 => ReceptiveField.Input(3), 4 => ReceptiveField.Input(2), _ => null });
        return new(output, rf, rf is null ? null : (dims.Length == 5 ? dims[2] : 1, dims.Length >= 4 ? dims[^2] : 1, dims[^1]));
    }

    // A dense layer over an fd×fh×fw map sees all of it: an fd×fh×fw kernel, stride 1, no padding.
    private static ReceptiveField? Dense(Flow x) =>
        x.Rf is { } rf && x.Flattened is var (fd, fh, fw)
            ? new(rf.Height.Through(fh, 1, 0, 1), rf.Width.Through(fw, 1, 0, 1), rf.SpatialDims, rf.Depth?.Through(fd, 1, 0, 1))
            : x.Rf;

    private static LeafResult Opaque(Module m, Flow x)
    {
        Shape outShape;
        try
        {
            outShape = m.OutputShape(x.Shape);
        }
        catch (ArgumentException e) when (e is not ModelShapeException)
        {
            throw new ModelShapeException($"{e.Message.Split(" (Parameter")[0]} (input {PerSample(x.Shape)})");
        }

        long parameters = m.Parameters().Sum(p => p.Numel);
        long buffers = m.Buffers().Where(b => b.DType is DType.Float32 or DType.Float64).Sum(b => b.Numel);
        return new(new Flow(outShape, null, null), parameters, buffers, 0);
    }
}
