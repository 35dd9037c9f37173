using Nabla.Formats;


namespace Nabla.Tests.Serialization;

/// <summary>The memory cap of one read (<see cref="ReadLimits.MaxBytes"/>), lowered here: process-wide state, so these run alone.</summary>
[Collection(GlobalStateCollection.Name)]
public class MemoryCapTests
{
    [Fact]
    public void A_file_over_the_memory_cap_is_refused_before_it_is_read()
    {
        using var t = new ConfinementTree();
        long saved = ReadLimits.MaxBytes;
        try
        {
            ReadLimits.MaxBytes = 10;
            var e = Assert.Throws<InvalidFileException>(() => new ConfinedFolder(t.Ex).ReadAllBytes("sub/model.yaml"));
            Assert.Contains("memory cap", e.Problem, StringComparison.Ordinal);
        }
        finally
        {
            ReadLimits.MaxBytes = saved;
        }
    }
}
