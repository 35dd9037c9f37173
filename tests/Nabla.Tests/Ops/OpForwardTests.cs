using Nabla.Tests.Reference;

namespace Nabla.Tests.Ops;

/// <summary>Every <see cref="OpDb"/> case against its naive double reference, in Float32 and Float64.</summary>
public class OpForwardTests
{
    public static TheoryData<string> Names => OpDb.Names;

    [Theory]
    [MemberData(nameof(Names))]
    public void Forward_matches_reference_float64(string name) => CheckForward(name, DType.Float64);

    [Theory]
    [MemberData(nameof(Names))]
    public void Forward_matches_reference_float32(string name) => CheckForward(name, DType.Float32);

    private static void CheckForward(string name, DType dtype)
    {
        var c = OpDb.Get(name);
        var g = new Generator(OpDb.Seed(name));
        double atol = dtype == DType.Float32 ? c.Atol32 : c.Atol64;
        double rtol = dtype == DType.Float32 ? c.Rtol32 : c.Rtol64;
        int k = 0;
        foreach (var args in c.Samples.Concat(c.ForwardOnly))
        {
            var where = $"{name} {dtype} sample {k++} ({OpDb.Describe(args)})";
            var xs = OpDb.Make(args, g, dtype);
            var before = xs.Select(x => x.ToDoubleArray()).ToArray();
            var y = c.Apply(xs);
            var expected = c.Reference(xs.Select(R.Of).ToArray());

            Assert.True(y.Shape.ToArray().SequenceEqual(expected.Shape),
                $"{where}: shape {y.Shape}, expected [{string.Join(", ", expected.Shape)}]");
            if (c.KeepsDType)
            {
                Assert.True(y.DType == dtype, $"{where}: result dtype {y.DType}, expected {dtype}");
            }

            AssertClose(expected.Data, y.ToDoubleArray(), atol, rtol, where);
            for (int i = 0; i < xs.Length; i++)
            {
                Assert.True(before[i].SequenceEqual(xs[i].ToDoubleArray()), $"{where}: input {i} was modified");
            }
        }
    }

    internal static void AssertClose(double[] expected, double[] actual, double atol, double rtol, string where)
    {
        Assert.True(expected.Length == actual.Length, $"{where}: {actual.Length} values, expected {expected.Length}");
        for (int i = 0; i < expected.Length; i++)
        {
            double e = expected[i], a = actual[i];
            bool ok = (double.IsNaN(e) && double.IsNaN(a)) || e == a || Math.Abs(a - e) <= atol + (rtol * Math.Abs(e));
            Assert.True(ok, $"{where}: element {i} is {a:R}, expected {e:R} (atol {atol}, rtol {rtol})");
        }
    }
}
