using Nabla.NN;

namespace Nabla.Analysis;

/// <summary>Shape, parameter, MAC and receptive-field rules of the leaf layers.</summary>
/// <remarks>
/// Note [MAC convention]: one MAC per weight per output value of Linear, ConvNd and ConvTranspose2d
/// (H_out·W_out·C_out·k·k·C_in/groups for a convolution), and of the recurrent layers' gate matrices. Bias
/// additions, normalisation, pooling, activations and element-wise joins are not counted (they are O(outputs),
/// and BatchNorm folds into the preceding convolution at inference). FLOPs = 2·MACs.
/// Note [Parameters and buffers]: BatchNorm's running_mean and running_var are non-trainable buffers (2·C);
/// the int64 counter num_batches_tracked is bookkeeping, not a statistic, and is not counted (as Keras).
/// </remarks>
internal sealed partial class ShapeAnalyzer
{
    private LeafResult RunLeaf(LayerSpec s, string path, Flow x)
    {
        if (s.Opaque is { } m)
        {
            return Opaque(s, path, m, x);
        }

        var shape = x.Shape;
        switch (s.Type)
        {
            case "Linear":
                return Linear(s, path, x);
            case "Conv2d" or "Conv1d":
                return Conv(s, path, x);
            case "ConvTranspose2d":
                return ConvTranspose(s, path, x);
            case "MaxPool1d" or "MaxPool2d" or "AvgPool1d" or "AvgPool2d":
                return Pool(s, path, x);
            case "AdaptiveAvgPool1d" or "AdaptiveAvgPool2d" or "AdaptiveMaxPool2d":
                return AdaptivePool(s, path, x);
            case "ZeroPad2d":
            {
                var p = s.IntList("padding") is [var a] ? [a, a, a, a] : s.IntList("padding");
                RequireRank(s, path, x, 4, "(C, H, W)");
                var rf = Rf(x, 2);
                var h = rf.Height.Through(1, 1, p[2], 1);
                var w = rf.Width.Through(1, 1, p[0], 1);
                return new(x with { Shape = shape.With(-1, shape[-1] + p[0] + p[1]).With(-2, shape[-2] + p[2] + p[3]), Rf = new(h, w, 2) }, 0, 0, 0);
            }

            case "BatchNorm1d" or "BatchNorm2d":
            {
                int c = s.Int("numFeatures");
                bool ok = (s.Type == "BatchNorm2d" ? shape.Rank == 4 : shape.Rank is 2 or 3) && shape[1] == c;
                if (!ok)
                {
                    throw new ModelShapeException(s.Label(path), $"expects {(s.Type == "BatchNorm2d" ? "(C, H, W)" : "(C) or (C, L)")} input with C = {c} but its input has shape {PerSample(shape)}");
                }

                return new(x, s.Bool("affine") ? 2L * c : 0, s.Bool("trackRunningStats") ? 2L * c : 0, 0);
            }

            case "LayerNorm":
            {
                var ns = s.IntList("normalizedShape");
                var dims = shape.ToArray();
                if (dims.Length < ns.Length || !dims.AsSpan(dims.Length - ns.Length).SequenceEqual(ns))
                {
                    throw new ModelShapeException(s.Label(path), $"normalizes trailing dimensions [{string.Join(", ", ns)}] but its input has shape {PerSample(shape)}");
                }

                long n = ns.Aggregate(1L, (p, d) => p * d);
                return new(x, s.Bool("elementwiseAffine") ? n * (s.Bool("bias") ? 2 : 1) : 0, 0, 0);
            }

            case "GroupNorm":
            {
                int c = s.Int("numChannels");
                if (shape.Rank < 2 || shape[1] != c)
                {
                    throw new ModelShapeException(s.Label(path), $"expects {c} channels but its input has shape {PerSample(shape)}");
                }

                return new(x, s.Bool("affine") ? 2L * c : 0, 0, 0);
            }

            case "Embedding":
                return new(x with { Shape = new Shape([.. shape.ToArray(), s.Int("embeddingDim")]) }, (long)s.Int("numEmbeddings") * s.Int("embeddingDim"), 0, 0);
            case "Flatten":
                return Flatten(s, path, x);
            case "Unflatten" or "Reshape" or "Permute":
                return Rearrange(s, path, x);
            case "RNN" or "LSTM" or "GRU":
                return Recurrent(s, path, x);
            default:
                if (LayerCatalog.Find(s.Type) is null)
                {
                    throw new ModelShapeException(s.Label(path), "unknown layer type");
                }

                return new(x, 0, 0, 0); // activations, dropout, identity: shape unchanged, nothing learnable
        }
    }

    private static ReceptiveField Rf(Flow x, int dims) => x.Rf ?? ReceptiveField.Input(dims);

    private static void RequireRank(LayerSpec s, string path, Flow x, int rank, string layout)
    {
        if (x.Shape.Rank != rank)
        {
            throw new ModelShapeException(s.Label(path), $"expects input of shape {layout} but its input has shape {PerSample(x.Shape)}");
        }
    }

    private static LeafResult Linear(LayerSpec s, string path, Flow x)
    {
        int inF = s.Int("inFeatures"), outF = s.Int("outFeatures");
        if (x.Shape[-1] != inF)
        {
            string hint = x.Shape.Rank > 2 ? " (add a Flatten before it?)" : string.Empty;
            throw new ModelShapeException(s.Label(path), $"expects {inF} input features (last dimension) but its input has shape {PerSample(x.Shape)}{hint}");
        }

        var rf = x.Rf;
        if (rf is not null && x.Flattened is var (fh, fw))
        {
            // A dense layer over an fh×fw map sees all of it: an fh×fw kernel, stride 1, no padding.
            rf = new(rf.Height.Through(fh, 1, 0, 1), rf.Width.Through(fw, 1, 0, 1), rf.SpatialDims);
        }

        long positions = x.Shape.Numel / inF;
        return new(new Flow(x.Shape.WithLastDim(outF), rf, null), ((long)inF * outF) + (s.Bool("bias") ? outF : 0), 0, positions * inF * outF);
    }

    private static LeafResult Conv(LayerSpec s, string path, Flow x)
    {
        bool two = s.Type == "Conv2d";
        RequireRank(s, path, x, two ? 4 : 3, two ? "(C, H, W)" : "(C, L)");
        int inC = s.Int("inChannels"), outC = s.Int("outChannels"), groups = s.Int("groups");
        if (x.Shape[1] != inC)
        {
            throw new ModelShapeException(s.Label(path), $"expects {inC} input channels but its input has shape {PerSample(x.Shape)} ({x.Shape[1]} channels)");
        }

        if (groups < 1 || inC % groups != 0 || outC % groups != 0)
        {
            throw new ModelShapeException(s.Label(path), $"inChannels ({inC}) and outChannels ({outC}) must be divisible by groups ({groups})");
        }

        var k = s.Pair("kernelSize");
        var d = s.Pair("dilation");
        bool same = s.Arg("padding") is "same";
        var st = same ? (1, 1) : s.Pair("stride");
        var p = s.Arg("padding") switch
        {
            "same" => (d.H * (k.H - 1) / 2, d.W * (k.W - 1) / 2),
            "valid" => (0, 0),
            _ => s.Pair("padding"),
        };
        if (!two)
        {
            (k, d, st, p) = ((1, k.W), (1, d.W), (1, st.Item2), (0, p.Item2));
        }

        int h = two ? (same ? x.Shape[2] : SpatialGeometry.OutSize(x.Shape[2], k.H, st.Item1, p.Item1, d.H)) : 1;
        int w = same ? x.Shape[-1] : SpatialGeometry.OutSize(x.Shape[-1], k.W, st.Item2, p.Item2, d.W);
        if (h <= 0 || w <= 0)
        {
            string kernel = two ? $"{k.H}x{k.W}" : $"{k.W}";
            throw new ModelShapeException(s.Label(path),
                $"the {kernel} kernel (padding {(two ? $"{p.Item1}x{p.Item2}" : $"{p.Item2}")}, dilation {(two ? $"{d.H}x{d.W}" : $"{d.W}")}) is larger than its input {PerSample(x.Shape)}: the output would be {(two ? $"[{outC}, {h}, {w}]" : $"[{outC}, {w}]")}");
        }

        var outShape = two ? new Shape(x.Shape[0], outC, h, w) : new Shape(x.Shape[0], outC, w);
        long perOutput = (long)(inC / groups) * k.H * k.W;
        var rf = Rf(x, two ? 2 : 1);
        rf = new(rf.Height.Through(k.H, st.Item1, p.Item1, d.H), rf.Width.Through(k.W, st.Item2, p.Item2, d.W), rf.SpatialDims);
        return new(new Flow(outShape, rf, null), (outC * perOutput) + (s.Bool("bias") ? outC : 0), 0, outShape.Numel * perOutput);
    }

    private static LeafResult ConvTranspose(LayerSpec s, string path, Flow x)
    {
        RequireRank(s, path, x, 4, "(C, H, W)");
        int inC = s.Int("inChannels"), outC = s.Int("outChannels"), groups = s.Int("groups");
        if (x.Shape[1] != inC)
        {
            throw new ModelShapeException(s.Label(path), $"expects {inC} input channels but its input has shape {PerSample(x.Shape)} ({x.Shape[1]} channels)");
        }

        int k = s.Int("kernelSize"), st = s.Int("stride"), p = s.Int("padding"), d = s.Int("dilation"), op = s.Int("outputPadding");
        if (k < 1 || st < 1 || d < 1 || groups < 1 || p < 0 || op < 0 || op >= Math.Max(st, d))
        {
            throw new ModelShapeException(s.Label(path), $"kernel size {k}, stride {st}, dilation {d} and groups {groups} must be positive, padding {p} non-negative, " +
                $"and output padding {op} non-negative and smaller than the stride or the dilation (PyTorch's rule)");
        }

        int Size(int n) => ((n - 1) * st) - (2 * p) + (d * (k - 1)) + op + 1;
        var outShape = new Shape(x.Shape[0], outC, Size(x.Shape[2]), Size(x.Shape[3]));
        if (outShape[2] <= 0 || outShape[3] <= 0)
        {
            throw new ModelShapeException(s.Label(path), $"padding {p} is too large for its input {PerSample(x.Shape)}: the output would be {PerSample(outShape)}");
        }

        long perInput = (long)(outC / Math.Max(groups, 1)) * k * k;
        var rf = Rf(x, 2);
        rf = new(rf.Height.ThroughTransposed(k, st, p, d), rf.Width.ThroughTransposed(k, st, p, d), 2);
        return new(new Flow(outShape, rf, null), (inC * perInput) + (s.Bool("bias") ? outC : 0), 0, x.Shape.Numel * perInput);
    }

    private static LeafResult Pool(LayerSpec s, string path, Flow x)
    {
        bool two = s.Type.EndsWith("2d", StringComparison.Ordinal);
        if (x.Shape.Rank != (two ? 4 : 3))
        {
            throw new ModelShapeException(s.Label(path), $"expects input of shape {(two ? "(C, H, W)" : "(C, L)")} but its input has shape {PerSample(x.Shape)}");
        }

        var k = s.Pair("kernelSize");
        var st = s.OptionalInt("stride") is int si ? (si, si) : k;
        var p = s.Pair("padding");
        var d = s.Type.StartsWith("Max", StringComparison.Ordinal) ? s.Pair("dilation") : (1, 1);
        bool ceil = s.Bool("ceilMode");
        if (!two)
        {
            (k, st, p, d) = ((1, k.W), (1, st.Item2), (0, p.W), (1, d.Item2));
        }

        int h = two ? SpatialGeometry.OutSize(x.Shape[2], k.H, st.Item1, p.H, d.Item1, ceil) : 1;
        int w = SpatialGeometry.OutSize(x.Shape[-1], k.W, st.Item2, p.W, d.Item2, ceil);
        if (h <= 0 || w <= 0)
        {
            throw new ModelShapeException(s.Label(path), $"the {(two ? $"{k.H}x{k.W}" : $"{k.W}")} window is larger than its input {PerSample(x.Shape)}");
        }

        var rf = Rf(x, two ? 2 : 1);
        rf = new(rf.Height.Through(k.H, st.Item1, p.H, d.Item1), rf.Width.Through(k.W, st.Item2, p.W, d.Item2), rf.SpatialDims);
        var shape = two ? x.Shape.With(2, h).With(3, w) : x.Shape.With(2, w);
        return new(new Flow(shape, rf, null), 0, 0, 0);
    }

    private static LeafResult AdaptivePool(LayerSpec s, string path, Flow x)
    {
        bool two = s.Type.EndsWith("2d", StringComparison.Ordinal);
        RequireRank(s, path, x, two ? 4 : 3, two ? "(C, H, W)" : "(C, L)");
        var o = s.Pair("outputSize");
        if (o.H < 1 || o.W < 1)
        {
            throw new ModelShapeException(s.Label(path), $"outputSize must be at least 1, got {(o.H == o.W ? $"{o.H}" : $"[{o.H}, {o.W}]")}");
        }

        if (!two)
        {
            o = (1, o.W);
        }

        int inH = two ? x.Shape[2] : 1, inW = x.Shape[-1];

        // Windows of an adaptive pool: stride ⌊in/out⌋, and the window covering what remains.
        static RfAxis Axis(RfAxis a, int n, int m) => m >= n ? a : a.Through(n - ((m - 1) * (n / m)), n / m, 0, 1);
        var rf = Rf(x, two ? 2 : 1);
        rf = new(Axis(rf.Height, inH, o.H), Axis(rf.Width, inW, o.W), rf.SpatialDims);
        var shape = two ? x.Shape.With(2, o.H).With(3, o.W) : x.Shape.With(2, o.W);
        return new(new Flow(shape, rf, null), 0, 0, 0);
    }

    private static LeafResult Flatten(LayerSpec s, string path, Flow x)
    {
        int r = x.Shape.Rank;
        int start = s.Int("startDim"), end = s.Int("endDim");
        int a = start < 0 ? start + r : start, b = end < 0 ? end + r : end;
        if (a < 0 || b >= r || a > b)
        {
            throw new ModelShapeException(s.Label(path), $"cannot flatten dimensions {start}..{end} of its input {PerSample(x.Shape)}");
        }

        var dims = x.Shape.ToArray();
        long prod = 1;
        for (int i = a; i <= b; i++)
        {
            prod *= dims[i];
        }

        // Remember the spatial extent folded into features, so the next Linear acts as a kernel of that size.
        // An image (C, H, W) flattened before any spatial layer starts the receptive field here.
        var rf = x.Rf ?? (r == 4 ? ReceptiveField.Input(2) : null);
        (int, int)? flattened = rf is not null && a <= 1 && b == r - 1 && r is 3 or 4 ? (r == 4 ? dims[2] : 1, dims[^1]) : null;
        return new(new Flow(new Shape([.. dims[..a], (int)prod, .. dims[(b + 1)..]]), rf, flattened), 0, 0, 0);
    }

    // Unflatten, Reshape, Permute: the module's own shape rule. Spatial positions are rearranged, so the receptive
    // field is not carried through (a later convolution's field counts from here).
    private static LeafResult Rearrange(LayerSpec s, string path, Flow x)
    {
        Shape shape;
        try
        {
            shape = LayerCatalog.Build(s).OutputShape(x.Shape);
        }
        catch (ArgumentException e)
        {
            throw new ModelShapeException(s.Label(path), $"{e.Message} (input {PerSample(x.Shape)})");
        }

        if (s.Type == "Permute" && s.IntList("dims") is [var first, ..] && first != 0)
        {
            throw new ModelShapeException(s.Label(path), $"dims [{string.Join(", ", s.IntList("dims"))}] move the batch dimension 0, which must stay first");
        }

        if (s.Type == "Unflatten" && (s.Int("dim") == 0 || s.Int("dim") == -x.Shape.Rank))
        {
            throw new ModelShapeException(s.Label(path), "cannot unflatten the batch dimension 0");
        }

        return new(new Flow(shape, null, null), 0, 0, 0);
    }

    private static LeafResult Recurrent(LayerSpec s, string path, Flow x)
    {
        int inputSize = s.Int("inputSize"), hidden = s.Int("hiddenSize"), layers = s.Int("numLayers");
        if (x.Shape.Rank != 3 || x.Shape[2] != inputSize)
        {
            throw new ModelShapeException(s.Label(path), $"expects a sequence of shape (L, {inputSize}) but its input has shape {PerSample(x.Shape)}");
        }

        int dirs = s.Bool("bidirectional") ? 2 : 1, g = RecurrentModules.Gates(s.Type);
        long parameters = 0, perStep = 0;
        for (int l = 0; l < layers; l++)
        {
            long inL = l == 0 ? inputSize : (long)hidden * dirs;
            long gh = (long)g * hidden;
            parameters += dirs * ((gh * inL) + (gh * hidden) + (s.Bool("bias") ? 2 * gh : 0));
            perStep += dirs * gh * (inL + hidden);
        }

        int steps = x.Shape[1];
        return new(x with { Shape = x.Shape.With(2, hidden * dirs) }, parameters, 0, perStep * steps, perStep);
    }

    private static LeafResult Opaque(LayerSpec s, string path, Module m, Flow x)
    {
        Shape outShape;
        try
        {
            outShape = m.OutputShape(x.Shape);
        }
        catch (ArgumentException e)
        {
            throw new ModelShapeException(s.Label(path), $"{e.Message} (input {PerSample(x.Shape)})");
        }

        long parameters = m.Parameters().Sum(p => p.Numel);
        long buffers = m.Buffers().Where(b => b.DType is DType.Float32 or DType.Float64).Sum(b => b.Numel);
        return new(new Flow(outShape, null, null), parameters, buffers, 0);
    }
}
