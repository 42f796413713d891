"""HTML: one self-contained file (``-f html -o report.html``) with a plot of every curve.

A summary table (per run: findings per severity), a table of all findings, then a section per
run with each finding and, for a finding that carries a ``series``, a plot of it with the key
step and any ``data["threshold"]`` marked. Plots are PNGs drawn by matplotlib (Agg, via its
object-oriented ``Figure`` API)
and embedded as ``data:`` URIs: the file loads nothing from anywhere. A small inline script
writes into ``<body data-rendered>`` how many plots the browser decoded (tests read it).

matplotlib is an optional dependency (``pip install 'coordlint[html]'``), imported only here.
Text from the data is escaped for HTML and made printable (control characters as visible
escapes); what goes into a plot has ``$`` escaped, so matplotlib never reads it as mathtext.
"""

from __future__ import annotations

import base64
import html
import io
import math
import re
from typing import Any

from coordlint.errors import CoordlintError
from coordlint.formatters.safe_text import printable
from coordlint.formatters.sparkline import as_series
from coordlint.formatters.text_format import _plural, summary_line
from coordlint.report import Report
from coordlint.rule import Finding, Severity

MISSING = "the html format needs matplotlib: pip install 'coordlint[html]'"

_CSS = """
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1f2328;
  margin: 0 auto; max-width: 1100px; padding: 24px; }
h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 18px; margin: 32px 0 8px;
  border-bottom: 1px solid #d0d7de; padding-bottom: 4px; }
p.summary { color: #59636e; margin: 0 0 16px; }
table { border-collapse: collapse; margin: 8px 0 16px; width: 100%; }
th, td { border: 1px solid #d0d7de; padding: 4px 8px; text-align: left; vertical-align: top; }
th { background: #f6f8fa; } td.n { text-align: right; font-variant-numeric: tabular-nums; }
code { font: 12px ui-monospace, SFMono-Regular, Menlo, monospace; }
.sev { display: inline-block; border-radius: 10px; padding: 0 8px; font-size: 12px;
  font-weight: 600; color: #fff; }
.sev-error { background: #cf222e; } .sev-warning { background: #9a6700; }
.sev-info { background: #0969da; }
.finding { border: 1px solid #d0d7de; border-radius: 6px; padding: 8px 12px; margin: 12px 0; }
.finding h3 { font-size: 14px; margin: 0 0 4px; }
.finding img { display: block; max-width: 100%; height: auto; margin-top: 8px; }
dl.data { display: grid; grid-template-columns: max-content auto; gap: 0 12px; margin: 4px 0;
  font-size: 12px; color: #59636e; } dl.data dt { font-weight: 600; } dl.data dd { margin: 0; }
.failing { color: #cf222e; font-weight: 600; } .passed { color: #1a7f37; }
"""

_SCRIPT = """
window.addEventListener("load", function () {
  var images = Array.prototype.slice.call(document.querySelectorAll("img.plot"));
  var ok = images.filter(function (i) { return i.complete && i.naturalWidth > 0; });
  document.body.setAttribute("data-images", String(images.length));
  document.body.setAttribute("data-rendered", String(ok.length));
});
"""

_COLOURS = {"line": "#0969da", "key": "#cf222e", "threshold": "#8250df"}


def _e(value: object) -> str:
    return html.escape(printable(value), quote=True)


def _literal(text: str | None) -> str:
    """Data for a matplotlib label: printable, and ``$`` escaped so mathtext never parses it
    (a tag like ``$\\frac{$`` would otherwise fail to draw, or draw as a formula)."""
    return printable(text or "").replace("$", "\\$")


def _anchor(name: str) -> str:
    return "run-" + re.sub(r"[^A-Za-z0-9_-]+", "-", name).strip("-")


def _threshold(finding: Finding) -> float | None:
    value = finding.data.get("threshold")
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value) if math.isfinite(value) else None


def _plot(figure_class: Any, finding: Finding) -> str | None:
    """The finding's series as a PNG data URI; ``None`` when it has no finite point."""
    series = as_series(finding.series)
    finite = series[series.notna() & series.abs().ne(math.inf)]
    if finite.empty:
        return None
    fig = figure_class(figsize=(8, 2.8), dpi=100)
    ax = fig.subplots()
    label = None if finding.tag is None else _literal(finding.tag)
    ax.plot(finite.index, finite.to_numpy(), color=_COLOURS["line"], lw=1.4, label=label)
    bad = series.index[~series.index.isin(finite.index)]
    for i, step in enumerate(bad):  # NaN / inf points: a faint vertical line, not a silent gap
        ax.axvline(step, color="#bf8700", lw=0.8, alpha=0.6, label=None if i else "non-finite")
    if finding.step is not None:
        pos = abs(finite.index.to_numpy(dtype=float) - float(finding.step)).argmin()
        kx, ky = finite.index[int(pos)], finite.iloc[int(pos)]
        ax.axvline(kx, color=_COLOURS["key"], lw=0.9, ls=":")
        ax.plot([kx], [ky], "o", color=_COLOURS["key"], ms=7, label=f"step {kx}: {ky:.4g}")
    threshold = _threshold(finding)
    if threshold is not None:
        ax.axhline(
            threshold, color=_COLOURS["threshold"], lw=1, ls="--", label=f"threshold {threshold:g}"
        )
    ax.set_xlabel("step")
    title = _literal(f"{finding.code} {finding.rule}  ·  {finding.tag or ''}")
    ax.set_title(title, fontsize=10, loc="left")
    ax.grid(True, alpha=0.3)
    ax.legend(loc="best", fontsize=8, frameon=False)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def _severity(finding: Finding) -> str:
    s = finding.severity or Severity.INFO
    return f'<span class="sev sev-{s}">{s}</span>'


def _summary_table(report: Report) -> list[str]:
    out = [
        "<table class='runs'><thead><tr><th>Run</th><th>Errors</th><th>Warnings</th>"
        "<th>Infos</th><th>Not applicable</th><th>Result</th></tr></thead><tbody>"
    ]
    for run in report.runs:
        mine = [f for f in report.findings if f.run == run.name]
        count = {s: sum(1 for f in mine if (f.severity or Severity.INFO) == s) for s in Severity}
        skipped = sum(1 for o in report.outcomes if o.run == run.name and o.status == "skipped")
        failing = sum(1 for f in mine if report.fails(f))
        result = (
            f"<span class='failing'>failing ({failing})</span>"
            if failing
            else "<span class='passed'>passed</span>"
        )
        out.append(
            f"<tr><td><a href='#{_anchor(run.name)}'>{_e(run.name)}</a></td>"
            f"<td class='n'>{count[Severity.ERROR]}</td><td class='n'>{count[Severity.WARNING]}"
            f"</td><td class='n'>{count[Severity.INFO]}</td><td class='n'>{skipped}</td>"
            f"<td>{result}</td></tr>"
        )
    out.append("</tbody></table>")
    return out


def _findings_table(report: Report) -> list[str]:
    if not report.findings:
        return ["<p>No findings.</p>"]
    out = [
        "<table class='findings'><thead><tr><th>Run</th><th>Code</th><th>Severity</th>"
        "<th>Message</th></tr></thead><tbody>"
    ]
    for f in report.findings:
        out.append(
            f"<tr><td><a href='#{_anchor(f.run or '')}'>{_e(f.run)}</a></td>"
            f"<td><code>{_e(f.code)}</code> {_e(f.rule)}</td><td>{_severity(f)}</td>"
            f"<td>{_e(f.message)}</td></tr>"
        )
    out.append("</tbody></table>")
    return out


def format_report(report: Report) -> str:
    try:  # the object-oriented API: no pyplot, no global backend state, no display needed
        from matplotlib.figure import Figure
    except ImportError as exc:
        raise CoordlintError(MISSING) from exc

    title = "coordlint report"
    parts = [
        "<!DOCTYPE html>",
        "<html lang='en'><head><meta charset='utf-8'>",
        "<meta name='viewport' content='width=device-width, initial-scale=1'>",
        f"<title>{_e(title)}</title><style>{_CSS}</style>",
        f"<script>{_SCRIPT}</script></head>",
        "<body data-rendered='0'>",
        f"<h1>{_e(title)}</h1>",
        f"<p class='summary'>{_e(summary_line(report, color=False))}"
        + (f" coordlint {_e(report.version)}." if report.version else "")
        + "</p>",
        "<h2>Summary</h2>",
        *_summary_table(report),
        "<h2>All findings</h2>",
        *_findings_table(report),
    ]
    for run in report.runs:
        parts.append(f"<section id='{_anchor(run.name)}'><h2>{_e(run.name)}</h2>")
        parts.append(
            f"<p><code>{_e(run.path)}</code> · {_plural(run.points, 'point')}, "
            f"{_plural(len(run.tags), 'tag')}</p>"
        )
        mine = [f for f in report.findings if f.run == run.name]
        if not mine:
            parts.append("<p>No findings.</p>")
        for f in mine:
            parts.append("<div class='finding'>")
            parts.append(f"<h3>{_severity(f)} <code>{_e(f.code)}</code> {_e(f.rule)}</h3>")
            parts.append(f"<p>{_e(f.message)}</p>")
            if f.data:
                items = "".join(f"<dt>{_e(k)}</dt><dd>{_e(v)}</dd>" for k, v in f.data.items())
                parts.append(f"<dl class='data'>{items}</dl>")
            if f.series is not None:
                uri = _plot(Figure, f)
                if uri is None:
                    parts.append("<p><em>The series has no finite value to plot.</em></p>")
                else:
                    alt = f"{f.code} {f.tag or ''} plot"
                    parts.append(f"<img class='plot' alt='{_e(alt)}' src='{uri}'>")
            parts.append("</div>")
        parts.append("</section>")
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"
