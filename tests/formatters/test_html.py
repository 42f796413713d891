"""HTML: one self-contained file, a plot per curve, rendered by a real (headless) browser."""

from __future__ import annotations

import base64
import io
import math
import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
from click.testing import CliRunner

import coordlint
from coordlint.cli import cli
from coordlint.errors import CoordlintError
from coordlint.formatters import html_format
from coordlint.testing import write_events

pytest.importorskip("matplotlib", reason="the html format needs matplotlib (the html extra)")

PLUGIN = '''
import coordlint
from coordlint import Finding


@coordlint.rule("TH001", "curve-rebound", severity="warning")
def curve_rebound(run, params):
    """Test rule: eval/loss rebounded after its minimum (with its curve and a threshold)."""
    s = run.series("eval/loss")
    if len(s):
        yield Finding(
            "eval/loss rebounded <after> its minimum & more",
            tag="eval/loss",
            step=int(s.idxmin()),
            data={"threshold": 1.2, "min": float(s.min())},
            series=s,
        )

'''


class Page(HTMLParser):
    """Collects what the checks need: images, resource URLs, sections, table rows, <body>."""

    def __init__(self) -> None:
        super().__init__()
        self.images: list[dict[str, str | None]] = []
        self.urls: list[str] = []
        self.sections: list[str] = []
        self.rows = 0
        self.body: dict[str, str | None] = {}
        self.tags: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags.append(tag)
        if tag == "img":
            self.images.append(a)
        if tag == "section":
            self.sections.append(a.get("id") or "")
        if tag == "tr":
            self.rows += 1
        if tag == "body":
            self.body = a
        for key in ("src", "href", "srcset", "poster", "data", "action"):
            if a.get(key):
                self.urls.append(a[key])


def parse(text: str) -> Page:
    page = Page()
    page.feed(text)
    return page


@pytest.fixture
def html_report(tmp_path: Path) -> Path:
    plugin = tmp_path / "th_plugin.py"
    plugin.write_text(PLUGIN)
    curve = {s: 2.0 - s / 500 if s <= 500 else 1.0 + (s - 500) / 1000 for s in range(0, 1001, 50)}
    write_events(tmp_path / "logs" / "rebound", {"eval/loss": curve})
    write_events(tmp_path / "logs" / "also", {"eval/loss": {**curve, 550: math.nan}})
    write_events(tmp_path / "logs" / "nan", {"train/loss": {1: 2.0, 2: math.nan}})
    out = tmp_path / "report.html"
    args = ["check", "--isolated", "--plugin", str(plugin), str(tmp_path / "logs")]
    result = CliRunner().invoke(cli, [*args, "-f", "html", "-o", str(out)])
    assert result.exit_code == 1, result.output  # the NaN run fails the check
    assert result.stdout == ""  # the report went to the file; the summary line to stderr
    assert result.stderr.startswith("coordlint: 4 findings") and "Check failed" in result.stderr
    return out


def test_self_contained_with_a_plot_per_series(html_report):
    text = html_report.read_text(encoding="utf-8")
    page = parse(text)
    assert page.tags[:2] == ["html", "head"] and text.startswith("<!DOCTYPE html>")
    # nothing is fetched from anywhere: every resource is a data: URI or an in-page anchor
    assert all(u.startswith(("data:image/png;base64,", "#")) for u in page.urls), page.urls
    assert "<link" not in text and "@import" not in text and "url(" not in text
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:|//)""", text)
    plots = [i for i in page.images if "plot" in (i.get("class") or "")]
    assert len(plots) == 2  # TH001 on "rebound" and on "also"; CL902 (nan, also): no series
    for img in plots:
        png = base64.b64decode(img["src"].split(",", 1)[1])
        assert png.startswith(b"\x89PNG\r\n\x1a\n")
        from PIL import Image

        with Image.open(io.BytesIO(png)) as im:
            assert im.size == (800, 280)
            assert len(im.getcolors(maxcolors=1 << 16) or range(99)) > 10  # not a blank image
    assert sorted(page.sections) == ["run-also", "run-nan", "run-rebound"]
    # the summary table (3 runs) and the all-findings table (TH001 x2, CL902 x2), with headers
    assert page.rows == (1 + 3) + (1 + 4)
    assert "eval/loss rebounded &lt;after&gt; its minimum &amp; more" in text
    assert "<after>" not in text


def test_summary_counts_per_run(html_report):
    text = html_report.read_text(encoding="utf-8")
    row = re.search(r"<tr><td><a href='#run-nan'>nan</a></td>(.*?)</tr>", text).group(1)
    errors, warnings, infos, _not_applicable = re.findall(r"<td class='n'>(\d+)</td>", row)
    assert (errors, warnings, infos) == ("1", "0", "0")
    assert "failing (1)" in row


def test_missing_matplotlib_is_a_clear_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    from coordlint.report import Report

    with pytest.raises(CoordlintError, match=re.escape("pip install 'coordlint[html]'")):
        html_format.format_report(Report(runs=[], rules={}))


def test_coordlint_does_not_import_matplotlib_until_asked():
    code = (
        "import sys, coordlint.cli, coordlint.core.plugins;"
        "p = coordlint.core.plugins.load_plugins(autoload=False);"
        "assert 'html' in p.formatters;"
        "assert 'matplotlib' not in sys.modules, 'matplotlib imported eagerly'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def _chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


@pytest.mark.skipif(_chromium() is None, reason="no chromium/chromium-browser/google-chrome found")
def test_every_plot_renders_in_headless_chromium(html_report, tmp_path):
    command = [
        _chromium(),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        f"--user-data-dir={tmp_path / 'chromium-profile'}",
        "--virtual-time-budget=5000",
        "--run-all-compositor-stages-before-draw",
        "--dump-dom",
        html_report.resolve().as_uri(),
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    body = parse(done.stdout).body
    assert body.get("data-images") == "2", (body, done.stderr[-2000:])
    assert body.get("data-rendered") == "2"  # every <img> decoded: naturalWidth > 0


def test_version_is_shown(html_report):
    assert f"coordlint {coordlint.__version__}." in html_report.read_text(encoding="utf-8")
