using Nabla.Analysis;
using Nabla.Models;
using Nabla.NN;
using static Nabla.Tests.Analysis.AnalysisTestHelpers;

namespace Nabla.Tests.Analysis;

/// <summary>Topic receptive-field, and the example models' figures against independently known values.</summary>
public class ReceptiveFieldProblems
{
    [Fact]
    public void S1_T4d_rf_three_3x3()
    {
        // r = 1 + 2 = 3, + 2 = 5, + 2 = 7 (stride 1 keeps the jump at 1).
        var s = ModelSummary.Of(new Sequential(new Conv2d(1, 1, 3), new Conv2d(1, 1, 3), new Conv2d(1, 1, 3)), new Shape(1, 224, 224));
        Assert.Equal([3.0, 5.0, 7.0], s.Layers.Select(r => r.ReceptiveField!.Size).ToArray());
        Assert.Equal(7, s.Totals.ReceptiveField!.Height.Size);
        Assert.Equal(7, s.Totals.ReceptiveField!.Width.Size);
    }

    [Fact]
    public void S1_T7L_a_lenet_rf()
    {
        // conv1 5; pool 5 + 1·1 = 6 (jump 2); conv2 6 + 4·2 = 14; pool 14 + 1·2 = 16 (jump 4);
        // f1 over the 5×5 map acts as a 5×5 kernel: 16 + 4·4 = 32, the whole image.
        const string yaml = """
            input: [1, 32, 32]
            layers:
              - Conv2d: {inChannels: 1, outChannels: 6, kernelSize: 5}
                name: conv1
              - MaxPool2d: {kernelSize: 2}
                name: maxpool1
              - Conv2d: {inChannels: 6, outChannels: 16, kernelSize: 5}
                name: conv2
              - MaxPool2d: {kernelSize: 2}
                name: maxpool2
              - Flatten
              - Linear: {inFeatures: 400, outFeatures: 120}
                name: f1
            """;
        var s = Summary(yaml);
        Assert.Equal(5, s["conv1"].ReceptiveField!.Size);
        Assert.Equal(6, s["maxpool1"].ReceptiveField!.Size);
        Assert.Equal(14, s["conv2"].ReceptiveField!.Size);
        Assert.Equal(16, s["maxpool2"].ReceptiveField!.Size);
        Assert.Equal(32, s["f1"].ReceptiveField!.Size);
        Assert.True(s["f1"].ReceptiveField!.Size >= 32); // f1 sees the whole image
        var json = CliJson(yaml);
        Assert.Equal(6, Layer(json, "maxpool1").GetProperty("receptive_field").GetProperty("size").GetDouble());
        Assert.Equal(32, Layer(json, "f1").GetProperty("receptive_field").GetProperty("size").GetDouble());
    }

    [Fact]
    public void S1_T7A_d_rf()
    {
        // 11; 11 + 2·4 = 19; 19 + 4·8 = 51 (paddings change only the start offset).
        var s = ModelSummary.Of(new Sequential(new Conv2d(3, 96, 11, 4, 5), new MaxPool2d(3, 2, 1), new Conv2d(96, 256, 5, 1, 2)), new Shape(3, 256, 256));
        Assert.Equal([11.0, 19.0, 51.0], s.Layers.Select(r => r.ReceptiveField!.Size).ToArray());
        Assert.Equal([4.0, 8.0, 8.0], s.Layers.Select(r => r.ReceptiveField!.Jump).ToArray());
    }

    [Fact]
    public void Dilation_and_branches()
    {
        // A 3×3 conv with dilation 2 spans 5 pixels. Branches: the largest field wins (5×5 branch over 1×1).
        var s = ModelSummary.Of(new Conv2d(1, 1, 3, dilation: 2), new Shape(1, 16, 16));
        Assert.Equal(5, s.Totals.ReceptiveField!.Size);
        var inception = ModelSummary.Of(new InceptionV1(192, 64, 96, 128, 16, 32, 32), new Shape(192, 28, 28));
        Assert.Equal(5, inception.Totals.ReceptiveField!.Size);
        Assert.Equal(new Shape(256, 28, 28), inception.OutputShape);
    }

    [Fact]
    public void Example_resnet18_matches_torchvision()
    {
        // torchvision resnet18: 11,689,512 parameters; 1.814 G MACs of conv + fc at 3×224×224 ("about 1.82 G").
        var s = ModelFile.Load(ExamplePath("resnet18")).Summarize();
        Assert.Equal(11689512, s.Totals.Params);
        Assert.InRange(s.Totals.Macs, 1.80e9, 1.83e9);
        Assert.Equal(9600, s.Totals.NonTrainable); // running mean and variance of 4800 BatchNorm channels
        Assert.Equal(new Shape(1000), s.OutputShape);
    }

    [Fact]
    public void Example_alexnet_and_vgg16_receptive_fields()
    {
        var alex = ModelFile.Load(ExamplePath("alexnet")).Summarize();
        Assert.Equal(195, alex["pool5"].ReceptiveField!.Size);
        Assert.Equal(61100840, alex.Totals.Params);
        var vgg = ModelFile.Load(ExamplePath("vgg16")).Summarize();
        Assert.Equal(212, vgg["pool5"].ReceptiveField!.Size);
        Assert.Equal(138357544, vgg.Totals.Params);
        Assert.Equal(15470264320, vgg.Totals.Macs); // 15.47 G, the usual VGG-16 figure
    }

    [Theory]
    [InlineData("lenet5", 61706)]
    [InlineData("inception_block", 163696)]
    [InlineData("fcn_segmentation", 34053)]
    [InlineData("lstm_classifier", 752130)]
    public void Examples_build_and_match_their_summaries(string name, long parameters)
    {
        // The analysis counts from arguments; the built module's tensors must agree.
        var def = ModelFile.Load(ExamplePath(name));
        var s = def.Summarize();
        Assert.Equal(parameters, s.Totals.Params);
        var module = def.Build();
        Assert.Equal(parameters, module.Parameters().Sum(p => p.Numel));
        Assert.Equal(def.InputShape!.Value, s.InputShape);
        Assert.Equal(s.Totals.Params, ModelSummary.Of(module, def.InputShape!.Value).Totals.Params);
        if (name != "lstm_classifier")
        {
            Assert.Equal(new Shape([1, .. s.OutputShape]), module.OutputShape(new Shape([1, .. def.InputShape!.Value])));
        }
    }
}
