using System.Text;

namespace Nabla.Explain;

/// <summary>The check report as text: one line per claim, then the blamed quantities with why and what follows.</summary>
internal static class CheckRenderer
{
    public static string Render(CheckReport report, int digits)
    {
        var sb = new StringBuilder();
        int width = report.Results.Count == 0 ? 0 : report.Results.Max(r => r.Name.Length);
        foreach (var r in report.Results)
        {
            sb.Append(r.Right
                ? $"  right  {r.Name.PadRight(width)} = {Format.Tensor(r.Claimed, digits)}\n"
                : $"  WRONG  {r.Name.PadRight(width)} = {Format.Tensor(r.Claimed, digits)}   (computed: {Format.Tensor(r.Computed, digits)})\n");
        }

        foreach (var b in report.Blames)
        {
            sb.Append($"\n{b.Name} is wrong: {b.Why}\n");
            if (b.Downstream.Count > 0)
            {
                sb.Append($"{string.Join(", ", b.Downstream)} {(b.Downstream.Count == 1 ? "is" : "are")} wrong because of it.\n");
            }
        }

        int wrong = report.Results.Count(r => !r.Right);
        sb.Append(wrong == 0 ? $"\nall {report.Results.Count} claims are right\n" : $"\n{wrong} of {report.Results.Count} claims are wrong\n");
        return sb.ToString();
    }
}
