using Nabla.NN;

namespace Nabla.Tests.NN;

/// <summary>Parameter-count reference problems for dense networks, counted with <see cref="Module.Parameters"/>.</summary>
public class ParamCountProblems
{
    private static long Count(Module m) => m.Parameters().Sum(p => p.Numel);

    [Fact]
    public void S3_Q4_mlp_params()
    {
        // 3·4 + 4 = 16 and 4·2 + 2 = 10.
        var l1 = new Linear(3, 4);
        var l2 = new Linear(4, 2);
        Assert.Equal(16, Count(l1));
        Assert.Equal(10, Count(l2));
        Assert.Equal(26, Count(new Sequential(l1, new ReLU(), l2)));
    }

    [Fact]
    public void S1_EC2_1_dense_params_per_layer_without_allocating_the_big_one()
    {
        // The first layer (196608 → 1048) alone is 206,046,232 parameters, 824 MB in float32: too big to build
        // in a unit test; its count from shapes alone belongs to ModelSummary (the analysis issue). The rest are
        // built for real.
        int[] units = [1048, 512, 256, 128, 64, 32, 16, 8];
        long[] expected = [206046232, 537088, 131328, 32896, 8256, 2080, 528, 136];
        for (int i = 1; i < units.Length; i++)
        {
            Assert.Equal(expected[i], Count(new Linear(units[i - 1], units[i])));
        }

        Assert.Equal(0, Count(new Dropout(0.4)) + Count(new Dropout(0.6)));
    }
}
