#!/usr/bin/env python3
"""Builds the KaTeX resources that `nabla explain --format html` inlines into its one-file page.

Fetches the katex package from the npm registry (`npm pack katex@VERSION`, through whatever registry npm is configured
to use), and writes into src/Nabla/Explain/Html/:

  katex.min.js       the package's dist/katex.min.js, with KaTeX's MIT licence notice prepended as a comment;
  katex.bundle.css   dist/katex.min.css with every @font-face `src` replaced by the woff2 font as a base64 data: URL
                     (the .woff and .ttf fallbacks are dropped: every browser that runs KaTeX reads woff2), so the page
                     needs no network and no files beside it.

Run from anywhere: python3 tools/katex/bundle.py [VERSION]   (default: the version below, the one committed).
"""
import base64
import json
import pathlib
import re
import subprocess
import sys
import tarfile
import tempfile

VERSION = "0.19.1"
ROOT = pathlib.Path(__file__).resolve().parents[2]
OUT = ROOT / "src" / "Nabla" / "Explain" / "Html"


def main() -> None:
    version = sys.argv[1] if len(sys.argv) > 1 else VERSION
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(["npm", "pack", f"katex@{version}", "--silent"], cwd=tmp, check=True, stdout=subprocess.DEVNULL)
        with tarfile.open(next(pathlib.Path(tmp).glob("katex-*.tgz"))) as tar:
            tar.extractall(tmp, filter="data")
        pkg = pathlib.Path(tmp) / "package"
        got = json.loads((pkg / "package.json").read_text())["version"]
        if got != version:
            sys.exit(f"npm gave katex {got}, expected {version}")
        licence = (pkg / "LICENSE").read_text().strip().replace("*/", "* /")
        header = f"/*! KaTeX {version} (https://katex.org), from the npm package katex@{version}.\n\n{licence}\n*/\n"
        dist = pkg / "dist"

        js = (dist / "katex.min.js").read_text()
        if "</script" in js.lower():
            sys.exit("katex.min.js contains '</script', which would end the inline <script> early")
        (OUT / "katex.min.js").write_text(header + js)

        css = (dist / "katex.min.css").read_text()

        def inline(match: re.Match) -> str:
            font = match.group(1)
            data = base64.b64encode((dist / "fonts" / f"{font}.woff2").read_bytes()).decode("ascii")
            return f'src:url(data:font/woff2;base64,{data}) format("woff2")'

        css, count = re.subn(r'src:url\(fonts/([A-Za-z0-9_-]+)\.woff2\) format\("woff2"\)(?:,url\([^)]*\) format\("[a-z]+"\))*', inline, css)
        if count == 0 or "url(fonts/" in css:
            sys.exit(f"unexpected katex.min.css layout: {count} @font-face rules rewritten, font URLs left: {'url(fonts/' in css}")
        (OUT / "katex.bundle.css").write_text(header + css)
        print(f"katex {version}: {count} fonts inlined; katex.min.js {len(header + js):,} bytes, katex.bundle.css {len(header + css):,} bytes")


if __name__ == "__main__":
    main()
