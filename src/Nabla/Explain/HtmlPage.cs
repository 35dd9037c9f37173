using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;

namespace Nabla.Explain;

/// <summary>
/// One self-contained HTML page: KaTeX's script and style sheet (with its fonts as data: URLs) are inlined from the
/// assembly's resources (built by tools/katex/bundle.py), so the page needs no network and no files beside it. A
/// content security policy allows exactly the page's own three scripts (by SHA-256 hash), inline styles and data:
/// fonts, and nothing else: even text that escaped escaping could not run a script or load anything. Math is written
/// as LaTeX inside <c>&lt;span class="m"&gt;</c> and typeset by KaTeX when the page loads; every failure (a formula
/// KaTeX cannot typeset, a script error, something the policy blocked) goes to <c>console.error</c> and is counted in
/// the attributes <c>data-errors</c> of &lt;html&gt; and <c>data-katex-errors</c> / <c>data-katex-rendered</c> of
/// &lt;body&gt;, which a headless browser's DOM dump shows.
/// </summary>
internal static partial class HtmlPage
{
    /// <summary>Counts and reports errors from the start, before KaTeX loads.</summary>
    private const string GuardScript = """
        "use strict";
        var nablaErrors = 0;
        function nablaError(message) {
          nablaErrors++;
          document.documentElement.setAttribute("data-errors", String(nablaErrors));
          console.error(message);
        }
        window.addEventListener("error", function (e) { nablaError("script error: " + e.message); });
        document.addEventListener("securitypolicyviolation", function (e) {
          nablaError("blocked by the page's content security policy: " + e.violatedDirective + " " + e.blockedURI);
        });
        """;

    /// <summary>Typesets every <c>.m</c> element (display mode for <c>.m.display</c>), untrusted commands off, bounded expansion.</summary>
    private const string RenderScript = """
        (function () {
          var rendered = 0, failed = 0, nodes = document.querySelectorAll(".m");
          for (var i = 0; i < nodes.length; i++) {
            var el = nodes[i], tex = el.textContent;
            try {
              katex.render(tex, el, { displayMode: el.classList.contains("display"), throwOnError: false, trust: false, maxExpand: 1000, maxSize: 20 });
            } catch (e) {
              failed++;
              nablaError("KaTeX failed on " + tex + ": " + e.message);
              continue;
            }
            var bad = el.querySelector(".katex-error");
            if (bad) {
              failed++;
              nablaError("KaTeX could not typeset " + tex + ": " + bad.getAttribute("title"));
            } else {
              rendered++;
            }
          }
          document.body.setAttribute("data-katex-rendered", String(rendered));
          document.body.setAttribute("data-katex-errors", String(failed));
          document.body.setAttribute("data-errors", String(nablaErrors));
        })();
        """;

    private const string PageStyle = """
        body { font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; color: #1d1d1f; max-width: 72rem; margin: 2rem auto; padding: 0 1.5rem; }
        h1 { font-size: 1.7rem; margin-bottom: .2rem; }
        h2 { font-size: 1.3rem; border-bottom: 1px solid #d0d0d6; padding-bottom: .2rem; margin-top: 2rem; }
        h3 { font-size: 1.1rem; }
        .meta { color: #6e6e73; margin-top: 0; }
        ul.math { list-style: none; padding-left: 0; }
        ul.math > li { margin: .45rem 0; overflow-x: auto; overflow-y: hidden; padding: .1rem .3rem; }
        table { border-collapse: collapse; margin: .8rem 0; font-variant-numeric: tabular-nums; }
        th, td { border: 1px solid #d0d0d6; padding: .3rem .6rem; text-align: right; vertical-align: middle; }
        th { background: #f2f2f7; }
        td.text, th.text { text-align: left; }
        .wrong { background: #fde4e4; }
        tr.wrong td:first-child, li.wrong { border-left: 4px solid #c62828; }
        .right-claim { background: #e6f4ea; }
        .verdict { font-weight: 600; }
        .wrong .verdict { color: #b71c1c; }
        .right-claim .verdict { color: #1b5e20; }
        .blame { border: 2px solid #c62828; border-radius: 6px; padding: .6rem 1rem; margin: 1rem 0; background: #fff8f8; }
        tr.update { background: #fff8e1; }
        .summary { font-size: 1.1rem; font-weight: 600; }
        .note { color: #6e6e73; }
        """;

    private static readonly Lazy<string> KatexScript = new(() => Resource("katex.min.js"));

    private static readonly Lazy<string> KatexStyle = new(() => Resource("katex.bundle.css"));

    /// <summary>Text with <c>&amp; &lt; &gt; " '</c> replaced by entities: safe in element content and in quoted attributes.</summary>
    public static string Escape(string text) => WebUtility.HtmlEncode(text);

    /// <summary>Inline math: LaTeX that KaTeX typesets on load (escaped here, so the source is text until then).</summary>
    public static string Math(string latex) => $"<span class=\"m\">{Escape(Powers(latex))}</span>";

    /// <summary>Display math on its own line.</summary>
    public static string DisplayMath(string latex) => $"<div class=\"m display\">{Escape(Powers(latex))}</div>\n";

    /// <summary>Numbers in e-notation (<c>1e-05</c>, as <see cref="Format.Number"/> writes them) as <c>1 \times 10^{-5}</c>.</summary>
    internal static string Powers(string latex) => ENotation().Replace(latex, m =>
        $"{m.Groups[1].Value} \\times 10^{{{(m.Groups[2].Value == "-" ? "-" : string.Empty)}{m.Groups[3].Value}}}");

    // A number not glued to a name or command (w1e5 is no number), its exponent without leading zeros.
    [GeneratedRegex(@"(?<![A-Za-z_\\.\d])(\d+(?:\.\d+)?)e([+-]?)0*(\d+)(?![\d.])")]
    private static partial Regex ENotation();

    /// <summary>A table: header cells and row cells are HTML (callers escape text); a row may carry a CSS class.</summary>
    public static void Table(StringBuilder w, IReadOnlyList<string> header, IEnumerable<(IReadOnlyList<string> Cells, string? Class)> rows, int textColumns = 0)
    {
        string Cell(string tag, int i, string html) => i < textColumns ? $"<{tag} class=\"text\">{html}</{tag}>" : $"<{tag}>{html}</{tag}>";
        w.Append("<table>\n<thead><tr>").AppendJoin(string.Empty, header.Select((h, i) => Cell("th", i, h))).Append("</tr></thead>\n<tbody>\n");
        foreach (var (cells, cls) in rows)
        {
            w.Append(cls is null ? "<tr>" : $"<tr class=\"{cls}\">").AppendJoin(string.Empty, cells.Select((c, i) => Cell("td", i, c))).Append("</tr>\n");
        }

        w.Append("</tbody>\n</table>\n");
    }

    /// <summary>The whole page around <paramref name="body"/> (HTML), titled <paramref name="title"/> (text).</summary>
    public static string Build(string title, string body)
    {
        string katex = KatexScript.Value, guard = Lf(GuardScript), render = Lf(RenderScript);
        string policy = "default-src 'none'; base-uri 'none'; form-action 'none'; style-src 'unsafe-inline'; font-src data:; img-src data:; "
            + $"script-src {Hash(guard)} {Hash(katex)} {Hash(render)}";
        var w = new StringBuilder(KatexStyle.Value.Length + katex.Length + body.Length + 4096);
        w.Append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
            .Append($"<meta http-equiv=\"Content-Security-Policy\" content=\"{policy}\">\n")
            .Append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
            .Append("<meta name=\"generator\" content=\"nabla explain --format html\">\n")
            .Append($"<title>{Escape(title)}</title>\n")
            .Append("<script>").Append(guard).Append("</script>\n")
            .Append("<style>").Append(KatexStyle.Value).Append("</style>\n")
            .Append("<style>").Append(PageStyle).Append("</style>\n")
            .Append("<script>").Append(katex).Append("</script>\n")
            .Append("</head>\n<body>\n")
            .Append(body)
            .Append("<script>").Append(render).Append("</script>\n</body>\n</html>\n");
        return w.ToString();
    }

    /// <summary>A CSP source for a script: the SHA-256 of its text, base64, as the browser computes it.</summary>
    private static string Hash(string script) => $"'sha256-{Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes(script)))}'";

    private static string Resource(string name)
    {
        using var stream = typeof(HtmlPage).Assembly.GetManifestResourceStream($"Nabla.Explain.Html.{name}")
            ?? throw new InvalidOperationException($"the resource {name} is missing from the Nabla assembly (build it with tools/katex/bundle.py)");
        using var reader = new StreamReader(stream, Encoding.UTF8);

        return Lf(reader.ReadToEnd());
    }

    // The browser hashes a script as parsed, with line ends normalised to \n; a checkout with CRLF must hash the same.
    private static string Lf(string text) => text.Replace("\r\n", "\n", StringComparison.Ordinal);
}
