using Nabla.NN;

namespace Nabla.Analysis;

/// <summary>
/// Describes a built <see cref="Module"/> as a <see cref="LayerSpec"/> tree (the inverse of
/// <see cref="LayerCatalog.Build"/>): the summary of a module built in code and the model file it is
/// written back to both start here. Arguments equal to PyTorch's defaults are left out.
/// </summary>
public static class ModuleSpecs
{
    /// <summary>The spec of <paramref name="module"/>; unknown module types become opaque specs (analysed through the module itself).</summary>
    public static LayerSpec FromModule(Module module) => module switch
    {
        Linear l => Spec("Linear", ("inFeatures", l.InFeatures), ("outFeatures", l.OutFeatures), ("bias", l.Bias is not null)),
        Conv2d c => ConvSpec("Conv2d", c.InChannels, c.OutChannels, c.Geometry, c.Groups, c.Bias is not null, c.PaddingMode, pair: true),
        Conv1d c => ConvSpec("Conv1d", c.InChannels, c.OutChannels, c.Geometry, c.Groups, c.Bias is not null, c.PaddingMode, pair: false),
        ConvTranspose2d c => Spec("ConvTranspose2d", ("inChannels", c.InChannels), ("outChannels", c.OutChannels), ("kernelSize", c.Geometry.Kernel.H),
            ("stride", c.Geometry.Stride.H), ("padding", c.Geometry.Padding.H), ("outputPadding", c.OutputPadding), ("groups", c.Groups),
            ("bias", c.Bias is not null), ("dilation", c.Geometry.Dilation.H)),
        MaxPool2d p => PoolSpec("MaxPool2d", p, pair: true),
        MaxPool1d p => PoolSpec("MaxPool1d", p, pair: false),
        AvgPool2d p => PoolSpec("AvgPool2d", p, pair: true),
        AvgPool1d p => PoolSpec("AvgPool1d", p, pair: false),
        AdaptiveAvgPool2d p => Spec("AdaptiveAvgPool2d", ("outputSize", PairValue(p.OutputSize))),
        AdaptiveMaxPool2d p => Spec("AdaptiveMaxPool2d", ("outputSize", PairValue(p.OutputSize))),
        AdaptiveAvgPool1d p => Spec("AdaptiveAvgPool1d", ("outputSize", p.OutputSize)),
        BatchNormBase b => Spec(b is BatchNorm2d ? "BatchNorm2d" : "BatchNorm1d", ("numFeatures", b.NumFeatures), ("eps", b.Eps), ("momentum", b.Momentum),
            ("affine", b.Weight is not null), ("trackRunningStats", b.RunningMean is not null)),
        LayerNorm n => Spec("LayerNorm", ("normalizedShape", n.NormalizedShape.ToArray()), ("eps", n.Eps), ("elementwiseAffine", n.Weight is not null),
            ("bias", n.Weight is null || n.Bias is not null)),
        GroupNorm g => Spec("GroupNorm", ("numGroups", g.NumGroups), ("numChannels", g.NumChannels), ("eps", g.Eps), ("affine", g.Weight is not null)),
        Embedding e => Spec("Embedding", ("numEmbeddings", e.NumEmbeddings), ("embeddingDim", e.EmbeddingDim), ("paddingIdx", e.PaddingIdx)),
        Dropout d => Spec("Dropout", ("p", d.P)),
        Dropout2d d => Spec("Dropout2d", ("p", d.P)),
        LeakyReLU a => Spec("LeakyReLU", ("negativeSlope", a.NegativeSlope)),
        ELU a => Spec("ELU", ("alpha", a.Alpha)),
        GELU a => Spec("GELU", ("approximate", a.Approximate)),
        Softmax a => Spec("Softmax", ("dim", a.Dim)),
        LogSoftmax a => Spec("LogSoftmax", ("dim", a.Dim)),
        ReLU or Tanh or Sigmoid or Identity => new LayerSpec(module.GetType().Name),
        Flatten f => Spec("Flatten", ("startDim", f.StartDim), ("endDim", f.EndDim)),
        Unflatten u => Spec("Unflatten", ("dim", u.Dim), ("unflattenedSize", u.UnflattenedSize.ToArray())),
        Reshape r => Spec("Reshape", ("shape", r.TargetShape.ToArray())),
        Permute p => Spec("Permute", ("dims", p.Dims.ToArray())),
        Sequential s => new LayerSpec("Sequential") { Layers = [.. s.Children().Select(FromModule)] },
        Branches b => new LayerSpec("Branches", Args(("join", b.Join), ("dim", b.Dim))) { Branches = Named(b) },
        Residual r => new LayerSpec("Residual") { Branches = Named(r) },
        BasicBlock b => Spec("BasicBlock", ("inPlanes", b.Conv1.InChannels), ("planes", b.Conv1.OutChannels), ("stride", b.Conv1.Geometry.Stride.H)),
        Bottleneck b => Spec("Bottleneck", ("inPlanes", b.Conv1.InChannels), ("planes", b.Conv1.OutChannels), ("stride", b.Conv2.Geometry.Stride.H)),
        InceptionV1 i => InceptionSpec(i),
        _ => RecurrentModules.FromModule(module) ?? new LayerSpec(module.TypeName) { Opaque = module },
    };

    private static LayerSpec Spec(string type, params (string Name, object? Value)[] args) => new(type, Args(args, type));

    private static Dictionary<string, object> Args((string Name, object? Value)[] args, string type)
    {
        var kind = LayerCatalog.Find(type)!;
        var d = new Dictionary<string, object>();
        foreach (var (name, value) in args)
        {
            var def = kind.Arg(name);
            bool isDefault = def is not null && (Equals(value, def.Default) || (value is int[] a && def.Default is int i && a.All(x => x == i)));
            if (value is not null && !isDefault)
            {
                d[name] = value;
            }
        }

        return d;
    }

    private static Dictionary<string, object> Args(params (string Name, object? Value)[] args) => Args(args, "Branches");

    private static KeyValuePair<string, LayerSpec>[] Named(Module m) => [.. m.NamedChildren().Select(c => new KeyValuePair<string, LayerSpec>(c.Name, FromModule(c.Module)))];

    private static object PairValue((int H, int W) p) => p.H == p.W ? p.H : new[] { p.H, p.W };

    private static LayerSpec ConvSpec(string type, int inC, int outC, SpatialGeometry g, int groups, bool bias, string? mode, bool pair)
    {
        object P((int H, int W) v) => pair ? PairValue(v) : v.W;
        return Spec(type, ("inChannels", inC), ("outChannels", outC), ("kernelSize", P(g.Kernel)), ("stride", P(g.Stride)),
            ("padding", mode ?? P(g.Padding)), ("dilation", P(g.Dilation)), ("groups", groups), ("bias", bias));
    }

    private static LayerSpec PoolSpec(string type, PoolBase p, bool pair)
    {
        var g = p.Geometry;
        object P((int H, int W) v) => pair ? PairValue(v) : v.W;
        int? stride = (pair ? g.Stride == g.Kernel : g.Stride.W == g.Kernel.W) ? null : (pair ? g.Stride.H : g.Stride.W);
        var args = new List<(string, object?)> { ("kernelSize", P(g.Kernel)), ("stride", stride), ("padding", P(g.Padding)), ("ceilMode", p.CeilMode) };
        if (type.StartsWith("Max", StringComparison.Ordinal))
        {
            args.Add(("dilation", P(g.Dilation)));
        }

        return Spec(type, [.. args]);
    }

    private static LayerSpec InceptionSpec(InceptionV1 i)
    {
        static Conv2d Conv(Sequential s, int index) => (Conv2d)s[index];
        return Spec("InceptionV1", ("inChannels", Conv(i.Branch1, 0).InChannels), ("ch1x1", Conv(i.Branch1, 0).OutChannels),
            ("ch3x3Reduce", Conv(i.Branch2, 0).OutChannels), ("ch3x3", Conv(i.Branch2, 2).OutChannels),
            ("ch5x5Reduce", Conv(i.Branch3, 0).OutChannels), ("ch5x5", Conv(i.Branch3, 2).OutChannels), ("poolProj", Conv(i.Branch4, 1).OutChannels));
    }
}
