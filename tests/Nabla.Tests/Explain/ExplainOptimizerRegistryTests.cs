using System.Text.Json.Nodes;
using Nabla.Cli.Commands;

namespace Nabla.Tests.Explain;

/// <summary>
/// explain's <c>optimizer:</c> creates through the optimizer registry: any optimizer but LBFGS, options by
/// PyTorch's names, unknown types and options refused with the nearest known one.
/// </summary>
[Collection(GlobalStateCollection.Name)]
public sealed class ExplainOptimizerRegistryTests
{
    private static string Quadratic(string optimizer) => $$"""
        given: {w: 2.0, a: 1.5}
        equations:
          - "L = a*w^2"
        loss: L
        gradients: [w]
        optimizer: {{optimizer}}
        """;

    [Fact]
    public void Rprop_steps_follow_its_rule_by_hand()
    {
        // g = 2aw > 0 throughout. Step 1: no previous gradient (sign 0), step size stays lr = 0.1: w = 2 − 0.1 = 1.9.
        // Step 2: same sign, ×1.2: 0.12, w = 1.78. Step 3: 0.144, w = 1.636.
        var json = Run(Quadratic("{type: rprop, lr: 0.1, steps: 3}"), out _)!;
        var steps = json["optimizer"]!["steps"]!.AsArray();
        double[] expected = [1.9, 1.78, 1.636];
        for (int k = 0; k < 3; k++)
        {
            Assert.Equal(expected[k], steps[k]!["params"]!["w"]!["after"]!.GetValue<double>(), 12);
        }
    }

    [Theory]
    [InlineData("{type: Adan, lr: 0.1}", "unknown optimizer 'Adan'; did you mean 'Adam'?")]
    [InlineData("{type: SGD, lr: 0.1, nesterovv: 1}", "SGD has no argument 'nesterovv'; did you mean 'nesterov'?")]
    [InlineData("{type: SGD, lr: 0.1, nesterov: 1}", "Nesterov momentum requires a momentum")]
    [InlineData("{type: LBFGS, lr: 1}", "LBFGS re-evaluates the loss through a closure and is not supported here")]
    public void Unknown_or_refused_optimizers_and_options_are_errors(string optimizer, string message)
    {
        Assert.Null(Run(Quadratic(optimizer), out string error));
        Assert.Contains(message, error, StringComparison.Ordinal);
    }

    private static JsonNode? Run(string text, out string error)
    {
        var path = Path.Combine(Path.GetTempPath(), $"nabla-optreg-{Guid.NewGuid():N}.yaml");
        File.WriteAllText(path, text);
        try
        {
            var o = new StringWriter();
            var e = new StringWriter();
            int rc = ExplainCommand.Run([path, "--format", "json"], o, e);
            error = e.ToString();
            return rc == 0 ? JsonNode.Parse(o.ToString()) : null;
        }
        finally
        {
            File.Delete(path);
        }
    }
}
