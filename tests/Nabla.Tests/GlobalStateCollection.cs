namespace Nabla.Tests;

/// <summary>
/// Tests that change or watch process-wide state: <c>Threads.Count</c>, the convolution kernels' test switches
/// (<c>DirectConv.Always</c>, <c>Lanes</c>, <c>ChunkBudget</c>), <c>Conv.ColBudget</c> and <c>Generator.Default</c>, or the
/// process-wide allocation counter (the attention memory tests). They
/// run alone: while one of them has the process on 1 thread or on a forced kernel path, a test elsewhere that compares
/// two of its own runs bit for bit could see the setting change between its runs; and a test that seeds or checks the
/// default generator fails if any test running beside it draws from that generator (a layer built without one).
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class GlobalStateCollection
{
    /// <summary>The collection's name, for <c>[Collection(GlobalStateCollection.Name)]</c>.</summary>
    public const string Name = "Global state";
}
