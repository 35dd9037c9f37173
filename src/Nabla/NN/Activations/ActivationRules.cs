using System.Globalization;

namespace Nabla.NN;

/// <summary>What several activations share: the stable softplus, argument checks and how formulas print numbers.</summary>
internal static class ActivationRules
{
    /// <summary>
    /// log(1 + eᶻ) without overflow or lost digits: max(z, 0) + log1p(e^(−|z|)), with −|z| written as
    /// where(z &gt; 0, −z, z) so that the derivative at z = 0 is σ(0) = ½ (an |z| there would give 0).
    /// Both branches stay finite everywhere, so the gradient has no 0·∞.
    /// </summary>
    public static Tensor StableSoftplus(Tensor z)
    {
        var negAbs = Tensor.Where(z.Detach().Gt(0.0), -z, z);
        return z.Relu() + negAbs.Exp().Log1p();
    }

    /// <summary>A number as explain prints it.</summary>
    public static string Num(double v) => v.ToString("0.######", CultureInfo.InvariantCulture);

    /// <summary>Refuses NaN and infinite arguments (they would make every output NaN).</summary>
    public static double Finite(double v, string layer, string name) =>
        double.IsFinite(v) ? v : throw new ArgumentOutOfRangeException(name, $"{layer}: {name} must be a finite number, got {v}");
}
