using System.Diagnostics;
using Nabla.Formats;

namespace Nabla.Tests.Explain;

/// <summary>A fact that needs a headless Chromium and is skipped, with the reason shown, where none is installed.</summary>
public sealed class ChromiumFactAttribute : FactAttribute
{
    /// <summary>Skips unless <see cref="Chromium.Executable"/> found a browser.</summary>
    public ChromiumFactAttribute()
    {
        if (Chromium.Executable is null)
        {
            Skip = "no chromium on PATH (Debian: apt-get install chromium; .ci/run installs it)";
        }
    }
}

/// <summary>A theory that needs a headless Chromium, skipped like <see cref="ChromiumFactAttribute"/>.</summary>
public sealed class ChromiumTheoryAttribute : TheoryAttribute
{
    /// <summary>Skips unless <see cref="Chromium.Executable"/> found a browser.</summary>
    public ChromiumTheoryAttribute()
    {
        if (Chromium.Executable is null)
        {
            Skip = "no chromium on PATH (Debian: apt-get install chromium; .ci/run installs it)";
        }
    }
}

/// <summary>
/// Opens an HTML page in headless Chromium (offline: no network services, a fresh profile) and returns the DOM after
/// the page's scripts ran, and optionally a screenshot.
/// </summary>
internal static class Chromium
{
    /// <summary>The browser's path: chromium or chromium-browser on PATH, or null.</summary>
    public static readonly string? Executable = Find("chromium") ?? Find("chromium-browser");

    private static string? Find(string name) => (Environment.GetEnvironmentVariable("PATH") ?? string.Empty)
        .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
        .Select(dir => Path.Combine(dir, name))
        .FirstOrDefault(File.Exists);

    /// <summary>Writes <paramref name="html"/> to a temporary file, opens it, returns the serialised DOM and the PNG screenshot (1200×1600).</summary>
    public static (string Dom, byte[]? Png) Open(string html, bool screenshot)
    {
        var dir = Directory.CreateTempSubdirectory("nabla-html-");
        try
        {
            var page = Path.Combine(dir.FullName, "page.html");
            var png = Path.Combine(dir.FullName, "page.png");
            File.WriteAllText(page, html);
            var psi = new ProcessStartInfo(Executable!) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var a in new[]
            {
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", $"--user-data-dir={Path.Combine(dir.FullName, "profile")}",
                "--enable-logging=stderr", "--v=0", "--window-size=1200,1600", "--dump-dom",
            })
            {
                psi.ArgumentList.Add(a);
            }

            if (screenshot)
            {
                psi.ArgumentList.Add($"--screenshot={png}");
            }

            psi.ArgumentList.Add(new Uri(page).AbsoluteUri);
            using var p = Process.Start(psi)!;
            var stderr = p.StandardError.ReadToEndAsync();
            string dom = p.StandardOutput.ReadToEnd();
            if (!p.WaitForExit(120_000))
            {
                p.Kill(entireProcessTree: true);
                throw new TimeoutException("chromium did not finish within 120 s");
            }

            Assert.True(p.ExitCode == 0, $"chromium exited with {p.ExitCode}: {stderr.Result}");
            Assert.True(!screenshot || File.Exists(png), $"chromium wrote no screenshot: {stderr.Result}");
            return (dom, screenshot ? File.ReadAllBytes(png) : null);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }
}
