"""The report after the tiny run, opened in headless Chromium as a reader opens it.

The report is a single page whose results are data URIs that its script shows as an
image (PNG, SVG, JPEG), in a frame (HTML, PDF) or offers for download (anything else).
A copy of it with a script appended asks the browser itself, once the page has loaded,
to decode every image result, to parse every HTML result and decode the images in it
(counting the frames of each GIF: an animation plays when it has more than one), and to
give the text of the front page; the result comes back through ``--dump-dom``.
Skipped where no Chromium is installed (``apt-get install chromium`` on Debian).
"""

from __future__ import annotations

import base64
import io
import json
import re
import shutil
import subprocess
from urllib.parse import unquote

import pytest

from tests.workflow.test_workflow import TINY, snakemake

BROWSER = next(
    (shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome") if shutil.which(n)),
    None,
)

#: Appended to the report. While the page is parsed it puts every image result in an
#: ``img`` and every HTML result in a same-origin ``iframe`` (``srcdoc``), off screen,
#: so that the page's load event waits until the browser has decoded and laid out all of
#: them; the load handler then records what it sees (image sizes; each page's tables,
#: rows and image sizes; the front page's text) in ``<pre id="hampipe-probe">``.
PROBE = """
<div id="hampipe-box" style="position:absolute;left:-20000px;top:0;width:1200px"></div>
<script>
(function () {
  function text(uri) {
    const [head, body] = [uri.slice(0, uri.indexOf(",")), uri.slice(uri.indexOf(",") + 1)];
    if (!head.includes(";base64")) return decodeURIComponent(body);
    return new TextDecoder().decode(Uint8Array.from(atob(body), (c) => c.charCodeAt(0)));
  }
  const box = document.getElementById("hampipe-box");
  const shown = {};
  for (const path of Object.keys(results)) {
    const mime = getResultMimeType(path);
    const uri = results[path].data_uri;
    let element = null;
    if (mime.startsWith("image/")) {
      element = document.createElement("img");
      element.src = uri;
    } else if (mime === "text/html") {
      element = document.createElement("iframe");
      element.srcdoc = text(uri);
      element.style.width = "1200px";
    }
    if (element) box.appendChild(element);
    shown[path] = {mime: mime, element: element};
  }
  window.addEventListener("load", function () {
    const seen = {};
    for (const [path, {mime, element}] of Object.entries(shown)) {
      if (element === null) {
        seen[path] = {mime: mime};
      } else if (element.tagName === "IMG") {
        seen[path] = {mime: mime, width: element.naturalWidth, height: element.naturalHeight};
      } else {
        const page = element.contentDocument;
        seen[path] = {
          mime: mime,
          tables: page.querySelectorAll("table").length,
          rows: page.querySelectorAll("tr").length,
          images: [...page.querySelectorAll("img")].map((img) => ({
            width: img.naturalWidth, height: img.naturalHeight, src: img.src.slice(0, 14)})),
          text: page.body.innerText.slice(0, 300),
        };
      }
    }
    const out = document.createElement("pre");
    out.id = "hampipe-probe";
    const front = document.getElementById("app").innerText;
    out.textContent = JSON.stringify({results: seen, front: front});
    document.body.appendChild(out);
  });
})();
</script>
"""


def browse(report, workdir):
    """What headless Chromium makes of ``report``: ``{"results": {path: seen}, "front": text}``."""
    page = workdir / "report-probe.html"
    page.write_text(report.read_text() + PROBE)
    cmd = [
        BROWSER,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={workdir / 'chromium-profile'}",
        "--virtual-time-budget=5000",
        "--dump-dom",
        page.as_uri(),
    ]
    dom = subprocess.run(cmd, capture_output=True, text=True, timeout=300).stdout
    found = re.search(r'<pre id="hampipe-probe">(.*?)</pre>', dom, re.S)
    assert found, dom[-2000:]
    text = found[1].replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"')
    return json.loads(text.replace("&amp;", "&"))


def embedded_results(report):
    """The report's results as ``{path: bytes}`` (its ``results`` script, decoded)."""
    script = report.read_text().split('<script id="results">', 1)[1].split("</script>", 1)[0]
    results = json.loads(script.split("=", 1)[1].strip().rstrip(";"))
    return {path: _data(entry["data_uri"]) for path, entry in results.items()}


def _data(uri):
    head, body = uri.split(",", 1)
    return base64.b64decode(body) if ";base64" in head else unquote(body).encode()


def gif_frames(page: bytes) -> tuple[int, float]:
    """Frame count and loop length (s) of the GIF an animation page embeds."""
    from PIL import Image, ImageSequence

    uri = re.search(rb"src='(data:image/gif;base64,[^']+)'", page)[1].decode()
    with Image.open(io.BytesIO(_data(uri))) as gif:
        durations = [frame.info["duration"] for frame in ImageSequence.Iterator(gif)]
    return len(durations), sum(durations) / 1000


@pytest.mark.slow
@pytest.mark.skipif(BROWSER is None, reason="no Chromium installed")
def test_every_result_is_visible_in_the_browser(tiny_run, tmp_path):
    report = tiny_run / "report.html"
    if not report.is_file():
        snakemake(tiny_run, "all", "--configfile", *TINY, "--report", "report.html")
    seen = browse(report, tmp_path)
    results = seen["results"]
    figures = {p: s for p, s in results.items() if p.endswith(".png")}
    pages = {p: s for p, s in results.items() if p.endswith(".html")}
    on_disk = {
        str(path.relative_to(tiny_run))
        for pattern in ("results/figs/*.png", "results/figs/*.html", "results/tables/*.html")
        for path in tiny_run.glob(pattern)
    }
    assert set(results) == on_disk  # every figure, table and animation is in the report
    assert set(results) == set(figures) | set(pages)  # nothing offered only for download
    for path, image in figures.items():
        assert image["width"] >= 300 and image["height"] >= 200, (path, image)
    tables = {p: s for p, s in pages.items() if "/tables/" in p}
    animations = {p: s for p, s in pages.items() if p.endswith("_orbits.html")}
    assert len(tables) >= 4 and len(animations) == 2
    for path, page in tables.items():
        assert page["tables"] == 1 and page["rows"] >= 2, (path, page)
    embedded = embedded_results(report)
    for path, page in animations.items():
        (gif,) = page["images"]
        assert gif["src"] == "data:image/gif" and gif["height"] >= 400, (path, gif)
        frames, seconds = gif_frames(embedded[path])
        # it moves, at most a frame a second (the tiny run has 12 time points; with 120 or
        # more, as in the quick run, a loop lasts 10 s: tests/plotting/test_animation.py)
        assert frames >= 2 and seconds >= min(8, frames), (path, frames, seconds)
    front = seen["front"]
    for name in TINY:
        assert name in front
    assert "Scale" in front or "scale" in front
