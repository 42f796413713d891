"""HTML: one self-contained page with inline SVG plots, rendered by a real (headless) browser."""

from __future__ import annotations

import html as html_lib
import math
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

import coordlint
from coordlint.cli import cli
from coordlint.core import engine
from coordlint.core.config import Settings
from coordlint.formatters.svg_plot import Band, Line, Plot, number, svg
from coordlint.testing import make_run, write_events

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "runs"
SVG = re.compile(r"<svg class=\"plot\".*?</svg>", re.S)

PLUGIN = '''
import coordlint
from coordlint import Finding


@coordlint.rule("TH001", "curve-rebound", severity="warning")
def curve_rebound(run):
    """Test rule: eval/loss rebounded after its minimum (a threshold, no series given)."""
    s = run.series("eval/loss")
    if len(s):
        yield Finding(
            "eval/loss rebounded <after> its minimum & more",
            tag="eval/loss",
            step=int(s.idxmin()),
            data={"threshold": 1.2, "min": float(s.min()), "raw": 4.190000057220459},
        )
'''


class Page(HTMLParser):
    """What the checks need: resource URLs, sections, figures, table rows, <body>, scripts."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.sections: list[str] = []
        self.body: dict[str, str | None] = {}
        self.tags: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags.append(tag)
        if tag == "section":
            self.sections.append(a.get("id") or "")
        if tag == "body":
            self.body = a
        for key in ("src", "href", "srcset", "poster", "data", "action", "xlink:href"):
            if a.get(key):
                self.urls.append(a[key])


def parse(text: str) -> Page:
    page = Page()
    page.feed(text)
    return page


def section(text: str, heading: str) -> str:
    """The page from ``<h2>heading</h2>`` to the next ``<h2>``."""
    start = text.index(f"<h2>{heading}</h2>")
    end = text.find("<h2>", start + 1)
    return text[start : end if end > 0 else len(text)]


@pytest.fixture
def logs(tmp_path: Path) -> Path:
    curve = {s: 2.0 - s / 500 if s <= 500 else 1.0 + (s - 500) / 1000 for s in range(0, 1001, 50)}
    write_events(tmp_path / "logs" / "rebound", {"eval/loss": curve})
    write_events(tmp_path / "logs" / "also", {"eval/loss": {**curve, 550: math.nan}})
    write_events(tmp_path / "logs" / "nan", {"train/loss": {1: 2.0, 2: math.nan, 3: 1.5}})
    return tmp_path / "logs"


@pytest.fixture
def html_report(tmp_path: Path, logs: Path, monkeypatch) -> Path:
    monkeypatch.chdir(tmp_path)  # outside the repository: runs are named by their directories
    plugin = tmp_path / "th_plugin.py"
    plugin.write_text(PLUGIN)
    out = tmp_path / "report.html"
    args = [
        "check",
        "--isolated",
        "--plugin",
        str(plugin),
        str(logs),
        *map(str, EXAMPLES.iterdir()),
    ]
    result = CliRunner().invoke(cli, [*args, "-f", "html", "-o", str(out)])
    assert result.exit_code == 1, result.output  # the NaN run fails the check
    assert result.stdout == ""  # the report went to the file; the summary line to stderr
    assert "Check failed" in result.stderr
    return out


def test_self_contained_offline_and_well_formed(html_report):
    text = html_report.read_text(encoding="utf-8")
    page = parse(text)
    assert page.tags[:2] == ["html", "head"] and text.startswith("<!DOCTYPE html>")
    # nothing is fetched from anywhere: only in-page anchors, no images, no stylesheets
    assert all(u.startswith("#") for u in page.urls), page.urls
    assert "<img" not in text and "<link" not in text and "@import" not in text
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:|//|data:)""", text)
    # ... and the browser is told so: no fetch, no script but the page's own (by hash)
    assert "default-src 'none'" in text and "script-src 'sha256-" in text
    assert text.count("<script") == 1
    for drawing in SVG.findall(text):  # every plot is well-formed SVG
        ET.fromstring(drawing)
    assert len(text.encode()) < 400_000


def test_a_curve_for_every_finding_that_names_a_tag(html_report):
    text = html_report.read_text(encoding="utf-8")
    findings = re.findall(
        r"<div class='finding'>.*?</div>(?=<div class='finding'>|</section>)", text, re.S
    )
    with_tag = [f for f in findings if "<figure>" in f]
    # TH001 on every run with eval/loss (no series: drawn from the run's tag), CL902 on
    # also/nan, CL201 and CL501 on pure_ce_only; CL101/CL503 name no tag: no curve
    codes = sorted(re.search(r"<code>(\w+)</code>", f).group(1) for f in with_tag)
    assert codes == ["CL201", "CL501", "CL902", "CL902", *["TH001"] * 5]
    assert len(findings) == len(with_tag) + 6  # CL101 x3, CL503 x3
    th001 = [f for f in with_tag if "<code>TH001</code>" in f]
    # logs/rebound and logs/also: the minimum at step 500, marked with its value
    assert sum("step 500: 1</text>" in card for card in th001) == 2
    for card in th001:
        assert "threshold 1.2" in card and 'stroke-dasharray="6 4"' in card
    nan_card = next(f for f in with_tag if "<code>CL902</code>" in f and "train/loss" in f)
    assert "non-finite value (1)" in nan_card and 'class="vline"' in nan_card
    assert "step 2: nan</text>" in nan_card  # the NaN step: a line, no dot (no value for one)
    assert '<circle class="mark"' not in nan_card


def test_numbers_in_4_significant_digits(html_report):
    text = html_report.read_text(encoding="utf-8")
    assert "4.190000057220459" not in text and "<dt>raw</dt><dd>4.19</dd>" in text
    assert "<dt>best</dt><dd>4.19</dd>" in text  # CL201's evidence on pure_ce_only
    assert "<dt>rise</dt><dd>0.147</dd>" in text


def test_end_of_training_table_marks_the_best_of_each_column(html_report):
    table = section(html_report.read_text(encoding="utf-8"), "End of training")
    rows = {
        re.search(r"<td>(.*?)</td>", row).group(1): re.findall(
            r"<td class='n[^']*'[^>]*>(.*?)</td>", row
        )
        for row in re.findall(r"<tr><td>.*?</tr>", table)
    }
    assert set(rows) == {
        "logs/rebound",
        "logs/also",
        "logs/nan",
        "pure_ce_only",
        "soft_ce_only",
        "soft_ce_hard_ce_mixed",
    }
    header = re.findall(r"<th>(.*?)</th>", table)
    columns = [h.replace("<wbr>", "") for h in header[1:]]
    soft_ce = columns.index("eval_coord_soft_ce")
    acc = columns.index("eval_acc_top5")
    assert rows["soft_ce_only"][soft_ce] == "3.526 ★"  # lower is better
    assert rows["pure_ce_only"][soft_ce] == "4.806"
    assert rows["pure_ce_only"][acc] == "0.5448 ★"  # higher is better
    assert rows["logs/rebound"][soft_ce] == "NA"
    metrics = [i for i, c in enumerate(columns) if c not in ("max_train_step", "max_eval_step")]
    stars = {columns[i]: [n for n, row in rows.items() if "★" in row[i]] for i in metrics}
    assert all(len(names) == 1 for c, names in stars.items() if c != "eval_flip_coord_to_noncoord")
    flip = stars["eval_flip_coord_to_noncoord"]  # a tie at 0: both marked
    assert sorted(flip) == ["pure_ce_only", "soft_ce_only"]
    assert sum(map(len, stars.values())) == len(metrics) + 1
    assert "title='3.5260000228881836'" in table  # the exact value, on hover


def test_an_overlay_per_coord_metric_with_a_line_per_run(html_report):
    overlays = section(html_report.read_text(encoding="utf-8"), "Metrics across runs")
    figures = re.findall(r"<figure>.*?</figure>", overlays, re.S)
    headings = [re.search(r"<h3>(.*?)</h3>", f).group(1) for f in figures]
    assert headings == [
        "eval_coord_ce",
        "eval_coord_soft_ce",
        "eval_coord_w1",
        "eval_coord_gate",
        "eval_p_gt_mean",
        "eval_acc_top5",
        "eval_expected_bin_mae",
        "eval_coord_vocab_mass",
        "eval_margin_mean",
        "eval_flip_coord_to_noncoord",
    ]
    soft_ce = figures[1]
    assert soft_ce.count("<polyline") == 3  # the three example runs log it; the others do not
    assert len(set(re.findall(r'<polyline [^>]*stroke="(#[0-9a-f]{6})"', soft_ce))) == 3
    caption = re.search(r"<div class='caption'>(.*?)</div>", soft_ce).group(1)
    assert caption in (
        "eval/coord_diag/soft_ce or eval/coord_softce_w1/soft_ce; lower is better",
        "eval/coord_softce_w1/soft_ce or eval/coord_diag/soft_ce; lower is better",
    )
    assert "pure_ce_only: last 4.806" in soft_ce
    coord_ce = figures[0]
    assert coord_ce.count("<polyline") == 2  # pure_ce_only has no coord_softce_w1/ce


def test_per_run_result_in_words(html_report):
    text = html_report.read_text(encoding="utf-8")
    runs = section(text, "Runs")
    result = dict(re.findall(r">([\w/]+)</a></td><td class='result \w+'>(.*?)</td>", runs))
    assert result == {
        "logs/rebound": "passed with 1 warning",  # TH001
        "logs/also": "failed: 1 error",  # a NaN at step 550 (and TH001's warning)
        "logs/nan": "failed: 1 error",
        "pure_ce_only": "passed with 3 warnings",  # CL201, CL501, TH001
        "soft_ce_hard_ce_mixed": "passed with 1 warning",  # TH001 (infos are not counted)
        "soft_ce_only": "passed with 2 warnings",  # CL101 soft_only, TH001
    }
    assert "<p class='verdict failed'>Check failed: 2 errors (fail level: error)</p>" in text
    assert sorted(parse(text).sections) == [f"run-{i}" for i in range(1, 7)]


def test_a_long_curve_is_drawn_small_with_its_extremes(tmp_path):
    steps = np.arange(200_000)
    values = np.sin(steps / 5000.0)
    values[123_457] = 50.0  # one spike must survive the thinning
    drawing = svg(Plot("long", lines=[Line(steps, values, "#000")]))
    assert len(drawing) < 80_000
    points = re.search(r'points="([^"]+)"', drawing).group(1).split()
    ys = [float(p.split(",")[1]) for p in points]
    assert min(ys) < 30 and sorted(ys)[1] > 100  # the spike, alone at the top of the plot


def test_nan_splits_a_line_and_a_band_is_drawn_between_its_edges():
    steps = np.arange(6.0)
    drawing = svg(
        Plot(
            "t",
            lines=[Line(steps, np.array([1, 2, np.nan, 3, 4, 5.0]), "#111")],
            bands=[Band(steps, np.zeros(6), np.array([1, 1, 1, np.nan, 1, 1.0]), "#222")],
        )
    )
    assert drawing.count("<polyline") == 2  # a gap at the NaN, not a line through it
    assert drawing.count("<polygon") == 2  # the band is cut where an edge is missing
    ET.fromstring(drawing)


def test_numbers():
    assert [number(v) for v in (4.190000057220459, 0.0803399, 8.4831e-05, 1830, 1830.0)] == [
        "4.19",
        "0.08034",
        "8.483e-05",
        "1830",
        "1830",
    ]
    assert number(np.int64(2_000_000)) == "2e+06" and number(-0.5) == "-0.5"


def test_works_without_matplotlib_and_imports_nothing_to_draw(tmp_path, logs):
    code = (
        "import sys; sys.modules['matplotlib'] = None\n"
        "import coordlint\n"
        f"report = coordlint.check({str(logs)!r}, isolated=True)\n"
        "page = report.to('html')\n"
        "assert page.count('<svg class=\"plot\"') == 2, page\n"  # the two CL902 curves
        "drawn = [m for m, v in sys.modules.items() if v and m.startswith(('matplotlib', 'PIL'))]\n"
        "assert not drawn, drawn\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=tmp_path)


def test_a_notebook_shows_the_report_inline(logs):
    report = coordlint.check(str(logs), isolated=True)
    shown = report._repr_html_()
    assert shown.startswith('<iframe class="coordlint-report" srcdoc="')
    srcdoc = re.search(r'srcdoc="([^"]*)"', shown).group(1)
    assert html_lib.unescape(srcdoc) == report.to("html")
    bare = engine.check([make_run({"x": {1: 1.0}})], {}, Settings())
    assert bare._repr_html_() is None  # no formats known: the plain repr


def test_version_is_shown(html_report):
    assert f"coordlint {coordlint.__version__}." in html_report.read_text(encoding="utf-8")


def _chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


CHROMIUM = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--hide-scrollbars",
]


@pytest.mark.skipif(_chromium() is None, reason="no chromium/chromium-browser/google-chrome found")
def test_every_plot_renders_in_headless_chromium(html_report, tmp_path):
    profile = f"--user-data-dir={tmp_path / 'chromium-profile'}"
    command = [_chromium(), *CHROMIUM, profile, "--virtual-time-budget=5000"]
    url = html_report.resolve().as_uri()
    done = subprocess.run(
        [*command, "--run-all-compositor-stages-before-draw", "--dump-dom", url],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    body = parse(done.stdout).body
    plots = html_report.read_text(encoding="utf-8").count('<svg class="plot"')
    assert plots == 10 + 9  # the overlays and the finding curves
    assert body.get("data-plots") == str(plots), (body, done.stderr[-2000:])
    assert body.get("data-drawn") == str(plots)  # every plot laid out with a size: drawn
    shot = tmp_path / "report.png"
    subprocess.run(
        [*command, "--window-size=1200,2400", f"--screenshot={shot}", url],
        capture_output=True,
        timeout=120,
        check=True,
    )
    assert shot.read_bytes().startswith(b"\x89PNG\r\n\x1a\n") and shot.stat().st_size > 50_000
