using System.Globalization;
using System.Net;
using Microsoft.DotNet.Interactive.Formatting;
using Nabla.Analysis;

namespace Nabla.Interactive;

/// <summary>
/// The notebook formatters: a <see cref="Tensor"/> as its <c>tensor([...])</c> text (<c>text/plain</c>, as PyTorch's
/// <c>repr</c>), a <see cref="ModelSummary"/> as an HTML table (<c>text/html</c>). A notebook that references the
/// package gets them through the package's <c>interactive-extensions/dotnet/extension.dib</c>, which calls
/// <see cref="Register"/>; a notebook that references the assembly directly calls it once itself.
/// </summary>
public static class NablaFormatters
{
    /// <summary>Registers the formatters with .NET Interactive's <see cref="Formatter"/> (calling it again replaces them).</summary>
    public static void Register()
    {
        Formatter.Register<Tensor>((tensor, writer) => writer.Write(tensor.ToString()), PlainTextFormatter.MimeType);
        Formatter.Register<ModelSummary>(WriteHtml, HtmlFormatter.MimeType);
        Formatter.SetPreferredMimeTypesFor(typeof(Tensor), PlainTextFormatter.MimeType);
        Formatter.SetPreferredMimeTypesFor(typeof(ModelSummary), HtmlFormatter.MimeType);
    }

    /// <summary>
    /// The summary as a table: one row per layer (nested layers indented by depth, containers in bold) with its type,
    /// output shape, parameters and multiply-accumulates, then the totals; every text HTML-encoded.
    /// </summary>
    public static void WriteHtml(ModelSummary summary, TextWriter writer)
    {
        static string E(string s) => WebUtility.HtmlEncode(s);
        writer.Write($"<table><caption>{E(summary.Name ?? "Model")}: input {E(SummaryRenderer.ShapeText(summary.InputShape))}, "
            + $"output {E(SummaryRenderer.ShapeText(summary.OutputShape))}</caption>");
        writer.Write("<thead><tr><th>Layer</th><th>Type</th><th>Output shape</th><th>Params</th><th>MACs</th></tr></thead><tbody>");
        foreach (var r in summary.Rows)
        {
            string label = E(r.Label), indent = string.Concat(Enumerable.Repeat("&nbsp;&nbsp;", r.Depth - 1));
            writer.Write($"<tr><td>{indent}{(r.IsContainer ? $"<b>{label}</b>" : label)}</td><td>{E(r.Type)}</td>"
                + $"<td>{E(SummaryRenderer.ShapeText(r.OutputShape))}</td><td>{SummaryRenderer.Count(r.Params)}</td><td>{SummaryRenderer.Count(r.Macs)}</td></tr>");
        }

        var t = summary.Totals;
        writer.Write($"</tbody><tfoot><tr><td colspan=\"3\">Total</td><td>{SummaryRenderer.Count(t.Params)}</td><td>{SummaryRenderer.Count(t.Macs)}</td></tr></tfoot></table>");
    }
}
