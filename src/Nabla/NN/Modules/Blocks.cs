namespace Nabla.NN;

/// <summary>A generic residual connection y = body(x) + shortcut(x) (identity shortcut by default), optionally followed by an activation.</summary>
public sealed class Residual : Module
{
    /// <summary>Wraps <paramref name="body"/>; <paramref name="shortcut"/> must map x to body(x)'s shape when given.</summary>
    public Residual(Module body, Module? shortcut = null, Module? activation = null)
    {
        Body = RegisterModule("body", body);
        Shortcut = shortcut is null ? null : RegisterModule("shortcut", shortcut);
        Activation = activation is null ? null : RegisterModule("activation", activation);
    }

    /// <summary>The residual branch.</summary>
    public Module Body { get; }

    /// <summary>The shortcut, or null for the identity.</summary>
    public Module? Shortcut { get; }

    /// <summary>Applied after the sum, or null.</summary>
    public Module? Activation { get; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input)
    {
        var body = Body.Forward(input);
        var skip = Shortcut?.Forward(input) ?? input;
        if (body.Shape != skip.Shape)
        {
            throw new ArgumentException($"{TypeName}: the body's output {body.Shape} and the shortcut's {skip.Shape} differ; add a projection shortcut");
        }

        var y = body + skip;
        return Activation?.Forward(y) ?? y;
    }

    /// <inheritdoc/>
    public override Shape OutputShape(Shape input)
    {
        var b = Body.OutputShape(input);
        var s = Shortcut?.OutputShape(input) ?? input;
        return b == s ? b : throw new ArgumentException($"{TypeName}: the body's output {b} and the shortcut's {s} differ; add a projection shortcut");
    }
}

/// <summary>
/// ResNet's basic block (He et al.; torchvision's <c>BasicBlock</c>): conv3×3(stride)-BN-ReLU-conv3×3-BN, plus
/// the input (or a 1×1 conv + BN projection when the stride or width changes), then ReLU. Convs have no bias.
/// </summary>
public sealed class BasicBlock : Module
{
    /// <summary>Output channels per input "plane" (1 for the basic block).</summary>
    public const int Expansion = 1;

    /// <summary>Creates the block; a projection shortcut is added when stride ≠ 1 or inPlanes ≠ planes.</summary>
    public BasicBlock(int inPlanes, int planes, int stride = 1, Generator? generator = null, DType dtype = DType.Float32)
    {
        Conv1 = RegisterModule("conv1", new Conv2d(inPlanes, planes, 3, stride, 1, bias: false, generator: generator, dtype: dtype));
        Bn1 = RegisterModule("bn1", new BatchNorm2d(planes, dtype: dtype));
        Conv2 = RegisterModule("conv2", new Conv2d(planes, planes, 3, 1, 1, bias: false, generator: generator, dtype: dtype));
        Bn2 = RegisterModule("bn2", new BatchNorm2d(planes, dtype: dtype));
        if (stride != 1 || inPlanes != planes)
        {
            Downsample = RegisterModule("downsample", new Sequential(
                new Conv2d(inPlanes, planes, 1, stride, bias: false, generator: generator, dtype: dtype), new BatchNorm2d(planes, dtype: dtype)));
        }
    }

    /// <summary>First 3×3 convolution.</summary>
    public Conv2d Conv1 { get; }

    /// <summary>First batch norm.</summary>
    public BatchNorm2d Bn1 { get; }

    /// <summary>Second 3×3 convolution.</summary>
    public Conv2d Conv2 { get; }

    /// <summary>Second batch norm.</summary>
    public BatchNorm2d Bn2 { get; }

    /// <summary>The projection shortcut, or null for the identity.</summary>
    public Sequential? Downsample { get; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input)
    {
        var y = Bn1.Forward(Conv1.Forward(input)).Relu();
        y = Bn2.Forward(Conv2.Forward(y));
        return (y + (Downsample?.Forward(input) ?? input)).Relu();
    }

    /// <inheritdoc/>
    public override Shape OutputShape(Shape input) => Conv2.OutputShape(Conv1.OutputShape(input));
}

/// <summary>
/// ResNet's bottleneck block (torchvision's <c>Bottleneck</c>, stride on the 3×3): conv1×1-BN-ReLU,
/// conv3×3(stride)-BN-ReLU, conv1×1 to 4·planes-BN, plus the input or a 1×1 conv + BN projection, then ReLU.
/// </summary>
public sealed class Bottleneck : Module
{
    /// <summary>Output channels per plane.</summary>
    public const int Expansion = 4;

    /// <summary>Creates the block; the projection is added when stride ≠ 1 or inPlanes ≠ 4·planes.</summary>
    public Bottleneck(int inPlanes, int planes, int stride = 1, Generator? generator = null, DType dtype = DType.Float32)
    {
        int outPlanes = planes * Expansion;
        Conv1 = RegisterModule("conv1", new Conv2d(inPlanes, planes, 1, bias: false, generator: generator, dtype: dtype));
        Bn1 = RegisterModule("bn1", new BatchNorm2d(planes, dtype: dtype));
        Conv2 = RegisterModule("conv2", new Conv2d(planes, planes, 3, stride, 1, bias: false, generator: generator, dtype: dtype));
        Bn2 = RegisterModule("bn2", new BatchNorm2d(planes, dtype: dtype));
        Conv3 = RegisterModule("conv3", new Conv2d(planes, outPlanes, 1, bias: false, generator: generator, dtype: dtype));
        Bn3 = RegisterModule("bn3", new BatchNorm2d(outPlanes, dtype: dtype));
        if (stride != 1 || inPlanes != outPlanes)
        {
            Downsample = RegisterModule("downsample", new Sequential(
                new Conv2d(inPlanes, outPlanes, 1, stride, bias: false, generator: generator, dtype: dtype), new BatchNorm2d(outPlanes, dtype: dtype)));
        }
    }

    /// <summary>1×1 reduction.</summary>
    public Conv2d Conv1 { get; }

    /// <summary>Batch norm after conv1.</summary>
    public BatchNorm2d Bn1 { get; }

    /// <summary>3×3 convolution (carries the stride).</summary>
    public Conv2d Conv2 { get; }

    /// <summary>Batch norm after conv2.</summary>
    public BatchNorm2d Bn2 { get; }

    /// <summary>1×1 expansion.</summary>
    public Conv2d Conv3 { get; }

    /// <summary>Batch norm after conv3.</summary>
    public BatchNorm2d Bn3 { get; }

    /// <summary>The projection shortcut, or null.</summary>
    public Sequential? Downsample { get; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input)
    {
        var y = Bn1.Forward(Conv1.Forward(input)).Relu();
        y = Bn2.Forward(Conv2.Forward(y)).Relu();
        y = Bn3.Forward(Conv3.Forward(y));
        return (y + (Downsample?.Forward(input) ?? input)).Relu();
    }

    /// <inheritdoc/>
    public override Shape OutputShape(Shape input) => Conv3.OutputShape(Conv2.OutputShape(Conv1.OutputShape(input)));
}

/// <summary>
/// GoogLeNet's Inception module (Szegedy et al., v1): four branches concatenated on channels:
/// 1×1; 1×1 reduce then 3×3 (pad 1); 1×1 reduce then 5×5 (pad 2); 3×3 max-pool (stride 1, pad 1) then 1×1
/// projection. Each convolution is followed by ReLU. Output channels: ch1x1 + ch3x3 + ch5x5 + poolProj.
/// </summary>
public sealed class InceptionV1 : Module
{
    /// <summary>Creates the module.</summary>
    public InceptionV1(int inChannels, int ch1x1, int ch3x3Reduce, int ch3x3, int ch5x5Reduce, int ch5x5, int poolProj, Generator? generator = null,
        DType dtype = DType.Float32)
    {
        Branch1 = RegisterModule("branch1", new Sequential(new Conv2d(inChannels, ch1x1, 1, generator: generator, dtype: dtype), new ReLU()));
        Branch2 = RegisterModule("branch2", new Sequential(
            new Conv2d(inChannels, ch3x3Reduce, 1, generator: generator, dtype: dtype), new ReLU(), new Conv2d(ch3x3Reduce, ch3x3, 3, 1, 1, generator: generator, dtype: dtype), new ReLU()));
        Branch3 = RegisterModule("branch3", new Sequential(
            new Conv2d(inChannels, ch5x5Reduce, 1, generator: generator, dtype: dtype), new ReLU(), new Conv2d(ch5x5Reduce, ch5x5, 5, 1, 2, generator: generator, dtype: dtype), new ReLU()));
        Branch4 = RegisterModule("branch4", new Sequential(
            new MaxPool2d(3, 1, 1), new Conv2d(inChannels, poolProj, 1, generator: generator, dtype: dtype), new ReLU()));
    }

    /// <summary>The 1×1 branch.</summary>
    public Sequential Branch1 { get; }

    /// <summary>The 3×3 branch.</summary>
    public Sequential Branch2 { get; }

    /// <summary>The 5×5 branch.</summary>
    public Sequential Branch3 { get; }

    /// <summary>The pooling branch.</summary>
    public Sequential Branch4 { get; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) =>
        Tensor.Cat([Branch1.Forward(input), Branch2.Forward(input), Branch3.Forward(input), Branch4.Forward(input)], 1);

    /// <inheritdoc/>
    public override Shape OutputShape(Shape input)
    {
        var shapes = new[] { Branch1, Branch2, Branch3, Branch4 }.Select(b => b.OutputShape(input)).ToArray();
        return shapes[0].With(1, shapes.Sum(s => s[1]));
    }
}
