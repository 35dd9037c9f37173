using Nabla.Models;
using Nabla.NN;
using Nabla.Training;

namespace Nabla.Tests.Tensors;

/// <summary>
/// <see cref="Generator.Use"/> lends a generator to one thread: seeded builds running at once on several threads each
/// draw only from their own generator. (Building a model file with a generator used to re-seed the process-wide default
/// generator and restore it afterwards, so two threads building at once drew from each other's sequence: a full test
/// run saw LeNet-5's C5 weights differ from element 36,305 on.)
/// </summary>
public sealed class GeneratorScopeTests
{
    [Fact]
    public void A_scope_lends_its_generator_to_this_thread_and_gives_the_previous_one_back()
    {
        var outer = new Generator(1);
        var inner = new Generator(2);
        using (Generator.Use(outer))
        {
            Assert.Same(outer, Generator.Current);
            using (Generator.Use(inner))
            {
                Assert.Same(inner, Generator.Current);

                // Another thread (not started from inside the scope's flow) sees the process-wide default.
                Generator? seen = null;
                var t = new Thread(() => seen = Generator.Current);
                t.UnsafeStart();
                t.Join();
                Assert.Same(Generator.Default, seen);

                // Draws where none is passed come from the lent generator: the same numbers as a fresh Generator(2).
                Assert.Equal(Tensor.Rand([4], new Generator(2)).ToDoubleArray(), Tensor.Rand([4]).ToDoubleArray());
            }

            Assert.Same(outer, Generator.Current);
        }
    }

    [Fact]
    public void Seeded_model_file_builds_on_several_threads_at_once_match_the_one_thread_build()
    {
        var expected = Enumerable.Range(0, 4).Select(seed => Weights(BuiltinModels.LeNet5(new Generator(seed)))).ToArray();
        var gate = new Barrier(4);
        var got = new double[4][][][];
        var threads = Enumerable.Range(0, 4).Select(seed => new Thread(() =>
        {
            gate.SignalAndWait();
            got[seed] = [.. Enumerable.Range(0, 10).Select(_ => Weights(BuiltinModels.LeNet5(new Generator(seed))))];
        })).ToArray();
        foreach (var t in threads)
        {
            t.Start();
        }

        foreach (var t in threads)
        {
            t.Join();
        }

        for (int seed = 0; seed < 4; seed++)
        {
            Assert.All(got[seed], w => Assert.Equal(expected[seed], w));
        }
    }

    private static double[][] Weights(Module m) => [.. m.StateDict().Values.Select(t => t.ToDoubleArray())];
}
