using Microsoft.ML.OnnxRuntime;
using Nabla.NN;
using Nabla.Onnx;

namespace Nabla.Tests.Onnx;

/// <summary>
/// Runs an exported model in ONNX Runtime (an independent implementation of every operator) and compares its output
/// with Nabla's own forward pass in evaluation mode, at two batch sizes so that the batch is shown to be dynamic.
/// </summary>
internal static class OnnxParity
{
    /// <summary>The tolerance: |ORT − Nabla| ≤ 1e-5 (float32) for outputs of magnitude up to 1, relative beyond.</summary>
    public const double Tolerance = 1e-5;

    /// <summary>
    /// Exports <paramref name="model"/> and checks ORT against Nabla at each batch size, on standard normal inputs times
    /// <paramref name="inputScale"/> (or token ids below <paramref name="vocabulary"/>); returns the largest difference seen.
    /// </summary>
    public static double AssertMatches(Module model, Shape perSample, int[]? batches = null, int vocabulary = 0, OnnxExportOptions? options = null, double inputScale = 1)
    {
        model.Eval();
        byte[] onnx = OnnxExport.ToBytes(model, perSample, options);
        using var so = new SessionOptions { IntraOpNumThreads = 2 };
        using var session = new InferenceSession(onnx, so);
        double worst = 0;
        foreach (int batch in batches ?? [1, 3])
        {
            var shape = new Shape([batch, .. perSample.ToArray()]);
            var gen = new Generator(batch * 7919);
            var x = vocabulary > 0 ? Tensor.FromArray(Tensor.Uniform(shape, 0, vocabulary - 0.01, gen).ToDoubleArray().Select(v => (long)v).ToArray(), shape)
                : Tensor.Randn(shape, gen) * inputScale;
            Tensor expected;
            using (GradMode.NoGrad())
            {
                expected = model.Forward(x);
            }

            var (actual, actualShape) = Run(session, x);
            Assert.Equal(expected.Shape.ToArray().Select(d => (long)d), actualShape);
            var e = expected.ToFloatArray();
            for (int i = 0; i < e.Length; i++)
            {
                double diff = Math.Abs(e[i] - actual[i]);
                worst = Math.Max(worst, diff / Math.Max(1, Math.Abs(e[i])));
                Assert.True(diff <= Tolerance * Math.Max(1, Math.Abs(e[i])), $"batch {batch}, element {i}: Nabla {e[i]}, ONNX Runtime {actual[i]}");
            }
        }

        return worst;
    }

    /// <summary>Runs the session on <paramref name="x"/> (float32 or int64) and returns the first output and its shape.</summary>
    public static (float[] Values, long[] Shape) Run(InferenceSession session, Tensor x)
    {
        long[] dims = [.. x.Shape.ToArray().Select(d => (long)d)];
        using var input = x.DType == DType.Int64 ? OrtValue.CreateTensorValueFromMemory(x.ToInt64Array(), dims) : OrtValue.CreateTensorValueFromMemory(x.ToFloatArray(), dims);
        using var run = new RunOptions();
        using var outputs = session.Run(run, [session.InputNames[0]], [input], [session.OutputNames[0]]);
        return (outputs[0].GetTensorDataAsSpan<float>().ToArray(), outputs[0].GetTensorTypeAndShape().Shape);
    }

    /// <summary>
    /// Gives batch-norm and instance-norm statistics, the normalisation layers' affine parameters, PReLU slopes and the
    /// attention's input-projection bias values away from their defaults (ones, zeros, one constant).
    /// </summary>
    public static T Perturb<T>(T model, long seed = 1) where T : Module
    {
        var gen = new Generator(seed);
        using (GradMode.NoGrad())
        {
            foreach (var (_, m) in model.NamedModules())
            {
                if (m is not (BatchNormBase or LayerNorm or GroupNorm or InstanceNormBase or PReLU or MultiheadAttention))
                {
                    continue;
                }

                foreach (var (name, t) in m.NamedParameters(false).Concat(m.NamedBuffers(false)).Where(t => t.Item2.DType == DType.Float32))
                {
                    if (m is MultiheadAttention && name != "in_proj_bias")
                    {
                        continue; // its projection weights are already random
                    }

                    bool scale = name is "weight" or "running_var";
                    t.CopyInPlace(scale ? Tensor.Uniform(t.Shape, 0.5, 1.5, gen) : Tensor.Randn(t.Shape, gen) * 0.2);
                }
            }
        }

        return model;
    }
}
