using System.Globalization;
using System.Text;

namespace Nabla.Analysis;

/// <summary>
/// Prints a <see cref="ModelSummary"/> or a <see cref="ModelComparison"/> as a terminal table (in the spirit of
/// Keras' <c>model.summary()</c> and torchinfo) or as Markdown. Renderers only print: every figure comes from
/// the records. Output goes to a <see cref="TextWriter"/> so that tests can capture it.
/// </summary>
public static class SummaryRenderer
{
    /// <summary>The conventions line printed under every table.</summary>
    public const string Conventions =
        "Per sample (batch 1). MACs: multiply-accumulates of Linear/Conv/ConvTranspose/recurrent weights and of attention " +
        "(QK^T and the weighted values; /step for a Transformer layer is per token), auxiliary heads apart; FLOPs = 2 x MACs; " +
        "bias, normalisation, pooling and activations excluded. Non-trainable: frozen parameters + running statistics " +
        "(num_batches_tracked not counted). RF: receptive field size/jump/start in input pixels.";

    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>Writes the summary as a fixed-width table.</summary>
    public static void ToText(ModelSummary summary, TextWriter output, bool showContainers = true)
    {
        var rows = summary.Rows.Where(r => showContainers || !r.IsContainer).ToList();
        string[] header = ["Layer (type)", "Output Shape", "Param #", "MACs", "RF size/jump/start"];
        var cells = rows.Select(r => new[]
        {
            new string(' ', 2 * (r.Depth - 1)) + $"{r.Label} ({TypeText(r)})",
            ShapeText(r.OutputShape),
            r.IsContainer ? $"({Count(r.Params)})" : Count(r.Params),
            r.Macs == 0 ? "-" : (r.IsContainer ? $"({Human(r.Macs)})" : Human(r.Macs)) + (r.MacsPerStep is long st ? $" ({Human(st)}/step)" : string.Empty),
            r.ReceptiveField?.ToString() ?? "-",
        }).ToList();
        var widths = Enumerable.Range(0, header.Length).Select(c => cells.Select(x => x[c].Length).Append(header[c].Length).Max()).ToArray();
        int total = widths.Sum() + (2 * (widths.Length - 1));
        string Line(string[] x) => string.Join("  ", x.Select((v, c) => c is 2 or 3 ? v.PadLeft(widths[c]) : v.PadRight(widths[c]))).TrimEnd();

        output.WriteLine($"Model: {summary.Name ?? "model"}    input {ShapeText(summary.InputShape)} -> output {ShapeText(summary.OutputShape)}");
        output.WriteLine(new string('=', total));
        output.WriteLine(Line(header));
        output.WriteLine(new string('=', total));
        foreach (var c in cells)
        {
            output.WriteLine(Line(c));
        }

        output.WriteLine(new string('=', total));
        foreach (var (label, value) in TotalLines(summary))
        {
            output.WriteLine($"{label}: {value}");
        }

        output.WriteLine(new string('-', total));
        output.WriteLine(Conventions);
    }

    /// <summary>Writes the summary as a Markdown table followed by the totals.</summary>
    public static void ToMarkdown(ModelSummary summary, TextWriter output)
    {
        output.WriteLine($"## {summary.Name ?? "Model"}: input {ShapeText(summary.InputShape)}, output {ShapeText(summary.OutputShape)}");
        output.WriteLine();
        output.WriteLine("| Layer | Type | Output shape | Params | Non-trainable | MACs | RF size | RF jump | RF start |");
        output.WriteLine("|---|---|---|--:|--:|--:|--:|--:|--:|");
        foreach (var r in summary.Rows)
        {
            string label = (r.IsContainer ? "**" + r.Label + "**" : r.Label).Replace("|", "\\|", StringComparison.Ordinal);
            var rf = r.ReceptiveField;
            output.WriteLine($"| {new string('·', r.Depth - 1)}{label} | {TypeText(r)} | {ShapeText(r.OutputShape)} | {Count(r.Params)} | {Count(r.NonTrainable)} | {Count(r.Macs)} | " +
                $"{Num(rf?.Size)} | {Num(rf?.Jump)} | {Num(rf?.Start)} |");
        }

        output.WriteLine();
        foreach (var (label, value) in TotalLines(summary))
        {
            output.WriteLine($"- **{label}:** {value}");
        }

        output.WriteLine();
        output.WriteLine($"_{Conventions}_");
    }

    /// <summary>Writes two models side by side with the saving (text or Markdown).</summary>
    public static void ToText(ModelComparison comparison, TextWriter output, bool markdown = false)
    {
        var (a, b) = (comparison.Baseline, comparison.Candidate);
        string na = a.Name ?? "baseline", nb = b.Name ?? "candidate";
        string[][] table =
        [
            ["", na, nb, "saving"],
            ["Input", ShapeText(a.InputShape), ShapeText(b.InputShape), ""],
            ["Output", ShapeText(a.OutputShape), ShapeText(b.OutputShape), ""],
            ["Params", Count(a.Totals.Params), Count(b.Totals.Params), $"{Count(comparison.ParamsSaved)} ({Factor(comparison.ParamsRatio)})"],
            ["MACs", Count(a.Totals.Macs), Count(b.Totals.Macs), $"{Count(comparison.MacsSaved)} ({Factor(comparison.MacsRatio)})"],
            ["FLOPs", Human(a.Totals.Flops), Human(b.Totals.Flops), ""],
            ["RF", a.Totals.ReceptiveField?.ToString() ?? "-", b.Totals.ReceptiveField?.ToString() ?? "-", ""],
        ];
        if (markdown)
        {
            output.WriteLine("| " + string.Join(" | ", table[0]) + " |");
            output.WriteLine("|---|--:|--:|--:|");
            foreach (var r in table.Skip(1))
            {
                output.WriteLine("| " + string.Join(" | ", r) + " |");
            }

            return;
        }

        var widths = Enumerable.Range(0, 4).Select(c => table.Max(r => r[c].Length)).ToArray();
        foreach (var r in table)
        {
            output.WriteLine(string.Join("  ", r.Select((v, c) => c == 0 ? v.PadRight(widths[c]) : v.PadLeft(widths[c]))).TrimEnd());
        }

        output.WriteLine("saving = baseline - candidate (baseline / candidate)");
    }

    /// <summary>"[6, 28, 28]".</summary>
    public static string ShapeText(Shape s) => "[" + string.Join(", ", s.ToArray().Select(d => d.ToString(Inv))) + "]";

    /// <summary>An exact count with thousands separators: 11,689,512.</summary>
    public static string Count(long n) => n.ToString("N0", Inv);

    /// <summary>A count with an SI suffix: 1.82 G, 117.6 K.</summary>
    public static string Human(long n)
    {
        double v = n;
        string[] units = ["", " K", " M", " G", " T", " P"];
        int u = 0;
        while (Math.Abs(v) >= 1000 && u < units.Length - 1)
        {
            v /= 1000;
            u++;
        }

        return u == 0 ? n.ToString(Inv) : v.ToString(v >= 100 ? "0.#" : "0.##", Inv) + units[u];
    }

    /// <summary>A byte count in KB, MB, GB or TB (powers of 10³).</summary>
    public static string Bytes(long n) => n >= 1e12 ? (n / 1e12).ToString("0.##", Inv) + " TB" : n >= 1e9 ? (n / 1e9).ToString("0.##", Inv) + " GB"
        : n >= 1e6 ? (n / 1e6).ToString("0.##", Inv) + " MB" : (n / 1e3).ToString("0.##", Inv) + " KB";

    private static string Num(double? v) => v is double d ? d.ToString("0.##", Inv) : "-";

    private static string Factor(double f) => double.IsInfinity(f) ? "inf" : f.ToString("0.####", Inv) + "x";

    // An auxiliary head's rows say so (they run in training only).
    private static string TypeText(LayerRow r) => r.IsAuxiliary ? r.Type + ", auxiliary" : r.Type;

    private static IEnumerable<(string, string)> TotalLines(ModelSummary s)
    {
        var t = s.Totals;
        yield return ("Params", $"{Count(t.Params)} ({Human(t.Params)})");
        if (t.AuxiliaryParams > 0)
        {
            yield return ("Auxiliary params", $"{Count(t.AuxiliaryParams)} (in Params; the heads run in training only)");
        }

        yield return ("Trainable params", Count(t.Trainable));
        yield return ("Non-trainable params", Count(t.NonTrainable));
        yield return ("MACs", $"{Count(t.Macs)} ({Human(t.Macs)})");
        yield return ("FLOPs", $"{Count(t.Flops)} ({Human(t.Flops)})");
        if (t.AuxiliaryParams > 0 || t.AuxiliaryMacs > 0)
        {
            yield return ("Auxiliary MACs", $"{Count(t.AuxiliaryMacs)} ({Human(t.AuxiliaryMacs)}; training only, not in MACs)");
        }

        yield return ("Receptive field", t.ReceptiveField?.ToString() ?? "-");
        yield return ("Input size", Bytes(t.InputBytes));
        yield return ("Activations size", Bytes(t.ActivationBytes));
        yield return ("Params size", Bytes(t.ParamBytes));
    }
}
