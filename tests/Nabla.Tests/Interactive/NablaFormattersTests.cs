using Microsoft.DotNet.Interactive.Formatting;
using Nabla.Analysis;
using Nabla.Interactive;
using Nabla.NN;

namespace Nabla.Tests.Interactive;

/// <summary>
/// What a notebook shows: <see cref="Formatter.ToDisplayString(object, string)"/> with the registered formatters,
/// against PyTorch's <c>repr</c> text for a tensor and the summary's own numbers for the HTML table.
/// </summary>
public class NablaFormattersTests
{
    public NablaFormattersTests() => NablaFormatters.Register();

    [Fact]
    public void A_tensor_shows_as_its_torch_repr_text()
    {
        var t = Tensor.FromArray(new float[] { 1, 2.5f, -3, 4 }, new Shape(2, 2));
        // PyTorch: repr(torch.tensor([[1., 2.5], [-3., 4.]])) == "tensor([[ 1.0000,  2.5000],\n        [-3.0000,  4.0000]])"
        Assert.Equal("tensor([[ 1.0000,  2.5000],\n        [-3.0000,  4.0000]])", t.ToDisplayString(PlainTextFormatter.MimeType));
        Assert.Equal(PlainTextFormatter.MimeType, Formatter.GetPreferredMimeTypesFor(typeof(Tensor)).First());
    }

    [Fact]
    public void A_model_summary_shows_as_an_html_table()
    {
        // Linear(4, 3): 4·3 + 3 = 15 parameters, 12 MACs per sample; ReLU none.
        var summary = ModelSummary.Of(new Sequential(new Linear(4, 3), new ReLU()), new Shape(4), "tiny<&>");
        string html = summary.ToDisplayString(HtmlFormatter.MimeType);
        // Shapes per sample, no batch dimension, as the summary gives them.
        Assert.True(html.StartsWith("<table><caption>tiny&lt;&amp;&gt;: input [4], output [3]</caption>", StringComparison.Ordinal), html);
        Assert.True(html.Contains("<td>Linear</td><td>[3]</td><td>15</td><td>12</td></tr>", StringComparison.Ordinal), html);
        Assert.True(html.Contains("<td>ReLU</td><td>[3]</td><td>0</td><td>0</td></tr>", StringComparison.Ordinal), html);
        Assert.EndsWith("<tfoot><tr><td colspan=\"3\">Total</td><td>15</td><td>12</td></tr></tfoot></table>", html, StringComparison.Ordinal);
        Assert.Equal(HtmlFormatter.MimeType, Formatter.GetPreferredMimeTypesFor(typeof(ModelSummary)).First());
    }
}
