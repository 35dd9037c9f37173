using System.Globalization;

namespace Nabla.NN;

/// <summary>What several activations share: argument checks and how formulas print numbers.</summary>
internal static class ActivationRules
{
    /// <summary>A number as explain prints it.</summary>
    public static string Num(double v) => v.ToString("0.######", CultureInfo.InvariantCulture);

    /// <summary>Refuses NaN and infinite arguments (they would make every output NaN).</summary>
    public static double Finite(double v, string layer, string name) =>
        double.IsFinite(v) ? v : throw new ArgumentOutOfRangeException(name, $"{layer}: {name} must be a finite number, got {v}");
}
