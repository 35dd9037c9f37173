using System.Reflection;
using Nabla.Ops;

namespace Nabla.Tests.Ops;

/// <summary>Registry completeness (DESIGN Principle 3): every op is registered, and every registered op is tested.</summary>
public class OpRegistryTests
{
    [Fact]
    public void Every_concrete_op_type_is_registered()
    {
        var registered = OpRegistry.All.Select(o => o.Type).ToHashSet();
        var missing = typeof(Op).Assembly.GetTypes()
            .Where(t => typeof(Op).IsAssignableFrom(t) && !t.IsAbstract)
            .Where(t => !registered.Contains(t))
            .Select(t => t.FullName)
            .ToList();
        Assert.True(missing.Count == 0, "ops missing from OpRegistry.All: " + string.Join(", ", missing));
    }

    [Fact]
    public void Every_registered_op_has_an_op_case()
    {
        var names = OpDb.All.Select(c => c.Name).ToList();
        var untested = OpRegistry.All
            .Where(o => !names.Any(n => n == o.Name || n.StartsWith(o.Name + "_", StringComparison.Ordinal)))
            .Select(o => o.Name)
            .ToList();
        Assert.True(untested.Count == 0, "registered ops without an OpDb case: " + string.Join(", ", untested));
    }

    [Fact]
    public void Registry_names_and_types_are_unique_and_match_the_ops()
    {
        Assert.Equal(OpRegistry.All.Count, OpRegistry.All.Select(o => o.Name).Distinct().Count());
        Assert.Equal(OpRegistry.All.Count, OpRegistry.All.Select(o => o.Type).Distinct().Count());

        // Ops with a shared instance report the registered name themselves.
        foreach (var o in OpRegistry.All)
        {
            if (o.Type.GetField("Instance", BindingFlags.Public | BindingFlags.Static)?.GetValue(null) is Op op)
            {
                Assert.Equal(o.Name, op.Name);
            }
        }
    }
}
