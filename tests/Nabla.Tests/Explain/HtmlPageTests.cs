using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Nabla.Cli.Commands;
using Nabla.Explain;
using Nabla.Formats;

namespace Nabla.Tests.Explain;

/// <summary>
/// <c>--format html</c>: one self-contained page (KaTeX and its fonts inlined, nothing fetched), untrusted text escaped,
/// BPTT and layer tables as HTML tables, wrong claims highlighted; and, in a real headless Chromium, every formula
/// typeset with no error and a screenshot that shows it.
/// </summary>
public class HtmlPageTests
{
    private static string Ex(string name) => Path.Combine(ExerciseExamplesTests.Root, "examples/exercises", name);

    private static string Explain(string exercise)
    {
        var o = new StringWriter();
        var e = new StringWriter();
        // The LeNet-5 example reads ../models/lenet5.yaml, outside its folder (docs/security.md).
        string[] allow = ["--allow-path", Path.Combine(ExerciseExamplesTests.Root, "examples/models")];
        Assert.True(ExplainCommand.Run([Ex(exercise), "--format", "html", .. allow], o, e) == 0, e.ToString());
        return o.ToString();
    }

    // The 8 claims of S0-Q3b-h4-wrong: h[1..3] = 50, 80, 100 are right; h[4] = 110 (computed 0.5·100 + 0.5·130 = 115),
    // L, dL/dw1, dL/dw2, dL/dw3 follow from it and are wrong: 5 wrong rows.
    private static string CheckPage()
    {
        var o = new StringWriter();
        Assert.Equal(1, CheckCommand.Run([Ex("S0-Q3b-bptt-gradients.yaml"), "--claims", Ex("checks/S0-Q3b-h4-wrong.claims.yaml"), "--format", "html"], o, new StringWriter()));
        return o.ToString();
    }

    private static int Count(string text, string part) => Regex.Count(text, Regex.Escape(part));

    [Fact]
    public void Page_is_self_contained_with_katex_and_its_fonts_inlined()
    {
        string page = Explain("S0-Q3b-bptt-gradients.yaml");
        Assert.StartsWith("<!DOCTYPE html>", page, StringComparison.Ordinal);
        Assert.DoesNotMatch(new Regex(@"(src|href|action)\s*=\s*[""']?\s*(https?:)?//", RegexOptions.IgnoreCase), page);
        Assert.DoesNotMatch(new Regex(@"url\(\s*[""']?\s*(https?:)?//|@import|<link\b|<script\s+src", RegexOptions.IgnoreCase), page);

        // KaTeX 0.19.1 ships 20 woff2 fonts; every @font-face is a data: URL, no font is left as a relative file.
        Assert.Equal(20, Count(page, "src:url(data:font/woff2;base64,"));
        Assert.DoesNotContain("url(fonts/", page, StringComparison.Ordinal);
        Assert.Contains("KaTeX 0.19.1", page, StringComparison.Ordinal);
        Assert.Contains("Permission is hereby granted", page, StringComparison.Ordinal);
        Assert.InRange(page.Length, 600_000, 1_000_000);
    }

    [Fact]
    public void Policy_allows_exactly_the_pages_own_scripts()
    {
        string page = Explain("S3-Q1-softmax.yaml");
        var scripts = Regex.Matches(page, "<script>(.*?)</script>", RegexOptions.Singleline).Select(m => m.Groups[1].Value).ToList();
        Assert.Equal(3, scripts.Count);
        Assert.Equal(3, Count(page, "<script"));
        string policy = Regex.Match(page, "http-equiv=\"Content-Security-Policy\" content=\"([^\"]*)\"").Groups[1].Value;
        Assert.Contains("default-src 'none'", policy, StringComparison.Ordinal);
        var allowed = Regex.Matches(policy, "'sha256-([^']*)'").Select(m => m.Groups[1].Value).ToList();
        Assert.Equal(scripts.Select(s => Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes(s)))), allowed);
    }

    [Fact]
    public void Untrusted_text_from_the_exercise_is_escaped()
    {
        var ex = Exercise.Parse("""
            id: "<b>evil-id</b>"
            title: "</title><script>alert(1)</script>"
            description: "<img src=x onerror=alert(2)> & more"
            given: {x: 2}
            equations: ["y = x^2"]
            models:
              m: {input: [4], layers: [{Linear: {inFeatures: 4, outFeatures: 2}, name: "<i>fc</i>"}]}
            """);
        string page = HtmlRenderer.Render(Solver.Solve(ex, null));
        Assert.Equal(3, Count(page, "<script"));

        // What the exercise controls is the body (KaTeX's own script mentions <img); the title is in the head.
        page = page[..page.IndexOf("<style>", StringComparison.Ordinal)] + page[page.IndexOf("<body>", StringComparison.Ordinal)..];
        Assert.DoesNotContain("alert(1)</script>", page, StringComparison.Ordinal);
        Assert.DoesNotContain("<img", page, StringComparison.Ordinal);
        Assert.DoesNotContain("<b>evil", page, StringComparison.Ordinal);
        Assert.DoesNotContain("<i>fc", page, StringComparison.Ordinal);
        Assert.Contains("<title>&lt;/title&gt;&lt;script&gt;alert(1)&lt;/script&gt;</title>", page, StringComparison.Ordinal);
        Assert.Contains("<h1>&lt;/title&gt;&lt;script&gt;alert(1)&lt;/script&gt;</h1>", page, StringComparison.Ordinal);
        Assert.Contains("&lt;img src=x onerror=alert(2)&gt; &amp; more", page, StringComparison.Ordinal);
        Assert.Contains("&lt;i&gt;fc&lt;/i&gt;", page, StringComparison.Ordinal);
    }

    [Fact]
    public void Bptt_is_an_html_table_with_the_recursive_terms()
    {
        string page = Explain("S0-Q3b-bptt-gradients.yaml");
        string table = Regex.Match(page, "Backpropagation through time: h\\[t\\]</h3>\\s*(<table>.*?</table>)", RegexOptions.Singleline).Groups[1].Value;
        Assert.NotEmpty(table);

        // t = 0..4: a header row and five rows. dh[4]/dw1 = h[3] + w1·dh[3]/dw1 = 100 + 0.5·105 = 152.5 (hand-derived:
        // dh/dw1 = 0, 0, 50, 105, 152.5 from h = 0, 50, 80, 100 with w1 = 0.5).
        Assert.Equal(6, Count(table, "<tr"));
        Assert.Contains("100 + 0.5 \\cdot 105 = 152.5", table, StringComparison.Ordinal);
        Assert.Contains("<td>-12.5</td>", table, StringComparison.Ordinal);
        Assert.Contains(@"\eta = 1 \times 10^{-5}", page, StringComparison.Ordinal);
    }

    [Fact]
    public void Model_tables_list_every_layer()
    {
        string page = Explain("lenet5-forward-backward.yaml");

        // LeNet-5 as the model file writes it: 12 top-level layers; its summary table says 61,706 parameters
        // (156 + 2,416 + 48,120 + 10,164 + 850, the classic count).
        Assert.Contains("total: 61,706 parameters", page, StringComparison.Ordinal);
        Assert.Contains("<h2>Model lenet: forward pass</h2>", page, StringComparison.Ordinal);
        Assert.Contains("<h2>Model lenet: backward pass (reverse mode, last layer first)</h2>", page, StringComparison.Ordinal);
        Assert.True(Count(page, "<table>") >= 3);
    }

    [Fact]
    public void Check_page_highlights_the_wrong_claims_and_shows_the_blamed_step()
    {
        string page = CheckPage();
        Assert.Equal(5, Count(page, "<tr class=\"wrong\">"));
        Assert.Equal(3, Count(page, "<tr class=\"right-claim\">"));
        Assert.Contains("5 of 8 claims are wrong", page, StringComparison.Ordinal);
        Assert.Contains("<strong>h[4] is wrong:</strong> it must use x[3] = 130, not x[2] = 120", page, StringComparison.Ordinal);
        Assert.Contains("<div class=\"m display\">h_{4} = w_{1} h_{t - 1} + w_{2} x_{t - 1} = 0.5 \\cdot 100 + 0.5 \\cdot 130 = 115\\qquad (t = 4)", page, StringComparison.Ordinal);
        Assert.Contains("L, dL/dw1, dL/dw2, dL/dw3 are wrong because of it.", page, StringComparison.Ordinal);

        // In the solution below, the forward line of h[4] is highlighted too.
        Assert.Contains("<li class=\"wrong\"><span class=\"m\">h_{4} =", page, StringComparison.Ordinal);
    }

    [Fact]
    public void Unknown_formats_are_refused()
    {
        var e = new StringWriter();
        Assert.Equal(2, CheckCommand.Run([Ex("S0-Q3b-bptt-gradients.yaml"), "--format", "pdf"], new StringWriter(), e));
        Assert.Contains("--format must be text or html, got 'pdf'", e.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("1e-05", @"1 \times 10^{-5}")]
    [InlineData("2.5e+20 + 3e-300", @"2.5 \times 10^{20} + 3 \times 10^{-300}")]
    [InlineData(@"\mathrm{w1e}_{5} + x_{2}", @"\mathrm{w1e}_{5} + x_{2}")]
    [InlineData("0.5 + 10", "0.5 + 10")]
    public void E_notation_is_typeset_as_powers_of_ten(string latex, string expected) => Assert.Equal(expected, HtmlPage.Powers(latex));

    // The BPTT solution is opened in the check test below (the check page carries the whole solution).
    [ChromiumTheory]
    [InlineData("S1-EC2-5b-hessian.yaml")]
    [InlineData("S1-EC3-4a-adam-step.yaml")]
    [InlineData("lenet5-forward-backward.yaml")]
    public void In_a_browser_every_formula_is_typeset_without_error(string exercise)
    {
        string page = Explain(exercise);
        var (dom, _) = Chromium.Open(page, screenshot: false);
        AssertTypeset(page, dom);
    }

    [ChromiumFact]
    public void In_a_browser_the_check_page_shows_typeset_math_and_red_rows()
    {
        string page = CheckPage();
        var (dom, png) = Chromium.Open(page, screenshot: true);
        AssertTypeset(page, dom);
        var (plainDom, plainPng) = Chromium.Open(page.Replace("class=\"m", "class=\"source", StringComparison.Ordinal), screenshot: true);
        Assert.Contains("data-katex-rendered=\"0\"", plainDom, StringComparison.Ordinal);
        var shot = Png.Decode(png!, "screenshot");
        var plain = Png.Decode(plainPng!, "screenshot of the LaTeX source");
        Assert.Equal((1200, 1600), (shot.Width, shot.Height));

        // Not blank: text, rules and tables darken part of the page (measured: 2.1% of the pixels darker than 0.5; a
        // blank page has none).
        var y = shot.Luminance();
        Assert.True(y.Count(v => v < 0.5) > 0.005 * y.Length, $"{y.Count(v => v < 0.5)} dark pixels of {y.Length}");

        // The wrong rows' background #fde4e4 is there (measured: 168,338 pixels), and typesetting changed the picture:
        // the same page with the formulas hidden from KaTeX shows their LaTeX source (measured: 7% of pixels differ).
        Assert.True(Pixels(shot, 0xfd, 0xe4, 0xe4) > 5000, $"{Pixels(shot, 0xfd, 0xe4, 0xe4)} pixels of the wrong rows' colour");
        var py = plain.Luminance();
        int differ = Enumerable.Range(0, y.Length).Count(i => Math.Abs(y[i] - py[i]) > 0.1);
        Assert.True(differ > 0.01 * y.Length, $"{differ} pixels differ between the typeset and the plain page");
    }

    [ChromiumFact]
    public void In_a_browser_a_bad_formula_and_a_foreign_script_are_counted_as_errors()
    {
        // The page must report what goes wrong: a formula KaTeX cannot parse, and a script the policy blocks (as if
        // escaping had failed), are both counted and the blocked script does not run.
        string page = HtmlPage.Build("errors", $"<p>{HtmlPage.Math("\\frac{1}{")}</p><script>document.title = 'ran';</script>\n");
        var (dom, _) = Chromium.Open(page, screenshot: false);
        Assert.Contains("data-katex-errors=\"1\"", dom, StringComparison.Ordinal);
        Assert.Contains("data-katex-rendered=\"0\"", dom, StringComparison.Ordinal);
        Assert.Matches("<html [^>]*data-errors=\"2\"", dom);
        Assert.Contains("<title>errors</title>", dom, StringComparison.Ordinal);
    }

    // Every .m element rendered by KaTeX, none an error, no script error or policy violation.
    private static void AssertTypeset(string page, string dom)
    {
        int formulas = Count(page, "class=\"m\"") + Count(page, "class=\"m display\"");
        Assert.True(formulas > 0);
        Assert.Contains($"data-katex-rendered=\"{formulas}\" data-katex-errors=\"0\" data-errors=\"0\"", dom, StringComparison.Ordinal);
        Assert.DoesNotMatch("<html [^>]*data-errors", dom);
        Assert.DoesNotContain("class=\"katex-error", dom, StringComparison.Ordinal);
        Assert.True(Count(dom, "<span class=\"katex\">") >= formulas);
    }

    private static int Pixels(PngImage image, int r, int g, int b) => Enumerable.Range(0, image.Width * image.Height).Count(i =>
        Math.Abs((image.Samples[i * image.Channels] * 255) - r) < 2 && Math.Abs((image.Samples[(i * image.Channels) + 1] * 255) - g) < 2
        && Math.Abs((image.Samples[(i * image.Channels) + 2] * 255) - b) < 2);
}
