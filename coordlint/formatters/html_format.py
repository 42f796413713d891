"""HTML: one self-contained page (``-f html -o report.html``), drawn without a plotting library.

What it shows, in order: the check's verdict; per run, its result in words (``failed: 1
error``, ``passed with 2 warnings``) and its counts; the end-of-training table across runs
(what ``coordlint summary`` prints) with the best value of each column marked; one plot per
coord metric with every run's curve overlaid; the table of findings; then per run each finding
with its evidence and the curve of its tag with the finding's step marked. Numbers are shown
in 4 significant digits (a table cell's ``title`` holds the exact value).

Plots are inline SVG (:mod:`~coordlint.formatters.svg_plot`), so the page needs nothing but a
browser, renders offline, stays small, and works on the base install. A Content-Security-Policy
forbids every fetch and every script but the page's own (by hash): a small one that writes how
many plots the browser laid out into ``<body data-plots data-drawn>`` (tests read it).

All text from the data is escaped for HTML and made printable (control characters as visible
escapes, see :func:`~coordlint.formatters.safe_text.printable`); no data reaches anything that
interprets it.
"""

from __future__ import annotations

import base64
import hashlib
import html
from collections.abc import Sequence

import numpy as np

from coordlint.core.summary import STEP_COLUMNS, summary_table
from coordlint.formatters.html_plots import Figure, finding_figure, metric_figures, run_colours
from coordlint.formatters.results import check_result, run_result
from coordlint.formatters.safe_text import printable
from coordlint.formatters.svg_plot import number, svg
from coordlint.formatters.text_format import _plural, summary_line
from coordlint.report import Report
from coordlint.rule import Finding, Severity
from coordlint.run import Run

__all__ = ["format_report"]

BEST_MARK = "★"

_CSS = """
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1f2328;
  margin: 0 auto; max-width: 1100px; padding: 24px; }
h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 18px; margin: 32px 0 8px;
  border-bottom: 1px solid #d0d7de; padding-bottom: 4px; } h3 { font-size: 15px; margin: 0; }
p.meta, .caption { color: #59636e; margin: 0 0 12px; } .caption { font-size: 12px; }
.verdict { font-size: 16px; font-weight: 600; padding: 8px 12px; border-radius: 6px; }
.verdict.failed { background: #ffebe9; color: #a40e26; }
.verdict.passed { background: #dafbe1; color: #116329; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; margin: 8px 0 16px; }
th, td { border: 1px solid #d0d7de; padding: 4px 8px; text-align: left; vertical-align: top; }
th { background: #f6f8fa; font-weight: 600; } td.n { text-align: right;
  font-variant-numeric: tabular-nums; white-space: nowrap; }
td.best { font-weight: 700; background: #dafbe1; } td.na { color: #8c959f; }
code { font: 12px ui-monospace, SFMono-Regular, Menlo, monospace; }
.sev { display: inline-block; border-radius: 10px; padding: 0 8px; font-size: 12px;
  font-weight: 600; color: #fff; }
.sev-error { background: #cf222e; } .sev-warning { background: #9a6700; }
.sev-info { background: #0969da; }
.result.failed { color: #cf222e; font-weight: 600; } .result.passed { color: #1a7f37; }
.grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(480px, 1fr)); gap: 16px; }
figure { margin: 0; border: 1px solid #d0d7de; border-radius: 6px; padding: 8px 12px; }
figcaption { margin-bottom: 4px; }
svg.plot { display: block; width: 100%; height: auto; }
.finding svg.plot { max-width: 760px; }
table.summary { font-size: 13px; } table.summary th, table.summary td { padding: 3px 6px; }
svg.plot text { font: 11px system-ui, sans-serif; fill: #59636e; }
svg.plot text.mark-label { font-weight: 600; }
ul.legend { list-style: none; margin: 4px 0 0; padding: 0; font-size: 12px; color: #1f2328; }
ul.legend li { display: inline-block; margin-right: 14px; }
.swatch { display: inline-block; width: 16px; height: 0; margin-right: 4px;
  vertical-align: middle; border-top: 2px solid; }
.swatch.dashed { border-top-style: dashed; } .swatch.bar { width: 2px; height: 12px;
  border-top: 0; border-left: 2px solid; } .swatch.dot { width: 8px; height: 8px;
  border: 0; border-radius: 50%; }
.finding { border: 1px solid #d0d7de; border-radius: 6px; padding: 8px 12px; margin: 12px 0; }
.finding figure { border: 0; padding: 0; margin-top: 8px; }
dl.data { display: grid; grid-template-columns: max-content auto; gap: 0 12px; margin: 4px 0;
  font-size: 12px; color: #59636e; } dl.data dt { font-weight: 600; } dl.data dd { margin: 0; }
"""

_SCRIPT = (
    'window.addEventListener("load", function () {'
    ' var plots = document.querySelectorAll("svg.plot"), drawn = 0;'
    " for (var i = 0; i < plots.length; i++) {"
    "  var box = plots[i].getBoundingClientRect();"
    "  if (box.width > 0 && box.height > 0) { drawn++; } }"
    ' document.body.setAttribute("data-plots", String(plots.length));'
    ' document.body.setAttribute("data-drawn", String(drawn)); });'
)
_SCRIPT_HASH = base64.b64encode(hashlib.sha256(_SCRIPT.encode()).digest()).decode()
#: Nothing is fetched (no network, no file), and no script runs but the one above.
CSP = (
    f"default-src 'none'; style-src 'unsafe-inline'; script-src 'sha256-{_SCRIPT_HASH}'; "
    "img-src data:; base-uri 'none'; form-action 'none'"
)


def _e(value: object) -> str:
    return html.escape(printable(value), quote=True)


def _value(value: object) -> str:
    """Evidence as shown: numbers in 4 significant digits, anything else as text."""
    if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool):
        return number(value)
    return str(value)


def _severity(finding: Finding) -> str:
    s = finding.severity or Severity.INFO
    return f"<span class='sev sev-{s}'>{s}</span>"


def _table(header: Sequence[str], rows: list[str], cls: str) -> str:
    head = "".join(f"<th>{h}</th>" for h in header)
    body = "".join(rows)
    return (
        f"<div class='scroll'><table class='{cls}'><thead><tr>{head}</tr></thead>"
        f"<tbody>{body}</tbody></table></div>"
    )


def _runs_table(report: Report, anchors: dict[str, str]) -> str:
    rows = []
    for run in report.runs:
        mine = [f for f in report.findings if f.run == run.name]
        count = {s: sum(1 for f in mine if (f.severity or Severity.INFO) == s) for s in Severity}
        skipped = sum(1 for o in report.outcomes if o.run == run.name and o.status == "skipped")
        status, words = run_result(report, run.name)
        rows.append(
            f"<tr><td><a href='#{anchors[run.name]}'>{_e(run.name)}</a></td>"
            f"<td class='result {status}'>{_e(words)}</td>"
            f"<td class='n'>{count[Severity.ERROR]}</td><td class='n'>{count[Severity.WARNING]}"
            f"</td><td class='n'>{count[Severity.INFO]}</td><td class='n'>{skipped}</td>"
            f"<td class='n'>{run.points}</td><td class='n'>{len(run.tags)}</td></tr>"
        )
    header = ["Run", "Result", "Errors", "Warnings", "Infos", "Not applicable", "Points", "Tags"]
    return _table(header, rows, "runs")


def _end_of_training(report: Report) -> str:
    """The summary table across runs, each column's best value marked (where the column
    says which way is better); columns no run logs are left out."""
    import pandas as pd  # here: a check that writes no HTML report never needs it

    if not report.summary_columns or not report.runs:
        return ""
    table = summary_table(report.runs, report.summary_columns)
    metrics = [c for c in table.columns if c not in STEP_COLUMNS and table[c].notna().any()]
    if not metrics:
        return ""
    table = table[[*STEP_COLUMNS, *metrics]]
    best: dict[str, float] = {}
    for column in metrics:
        direction = report.summary_better.get(column)
        if direction in ("lower", "higher") and table[column].notna().sum() > 1:
            best[column] = table[column].min() if direction == "lower" else table[column].max()
    rows = []
    for name, row in table.iterrows():
        cells = [f"<td>{_e(name)}</td>"]
        for column in table.columns:
            value = row[column]
            if pd.isna(value):
                cells.append("<td class='n na'>NA</td>")
                continue
            marked = column in best and value == best[column]
            shown = number(value) + (f" {BEST_MARK}" if marked else "")
            cls = "n best" if marked else "n"
            cells.append(f"<td class='{cls}' title='{_e(repr(value))}'>{_e(shown)}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    header = ["Run", *(_e(c).replace("_", "_<wbr>") for c in table.columns)]
    directions = [f"{c}: {report.summary_better[c]}" for c in best]
    note = (
        f"<p class='caption'>{BEST_MARK} the best value of its column across runs "
        f"({_e('; '.join(directions))} is better). Each cell is the run's last finite "
        "value; hover for the exact one.</p>"
        if best
        else "<p class='caption'>Each cell is the run's last finite value.</p>"
    )
    return "<h2>End of training</h2>" + _table(header, rows, "summary") + note


def _legend(figure: Figure) -> str:
    items = "".join(
        f"<li><span class='swatch {entry.style}' style='border-color: {entry.colour}; "
        f"background: {entry.colour if entry.style == 'dot' else 'none'}'></span>"
        f"{_e(entry.text)}</li>"
        for entry in figure.legend
    )
    return f"<ul class='legend'>{items}</ul>" if items else ""


def _figure(figure: Figure, level: str = "h3") -> str:
    caption = f"<div class='caption'>{_e(figure.caption)}</div>" if figure.caption else ""
    drawing = svg(figure.plot) + _legend(figure) if figure.plot is not None else ""
    return (
        f"<figure><figcaption><{level}>{_e(figure.heading)}</{level}>{caption}</figcaption>"
        f"{drawing}</figure>"
    )


def _findings_table(report: Report, anchors: dict[str, str]) -> str:
    if not report.findings:
        return "<p>No findings.</p>"
    rows = [
        f"<tr><td><a href='#{anchors.get(f.run or '', '')}'>{_e(f.run)}</a></td>"
        f"<td><code>{_e(f.code)}</code> {_e(f.rule)}</td><td>{_severity(f)}</td>"
        f"<td>{_e(f.message)}</td></tr>"
        for f in report.findings
    ]
    return _table(["Run", "Code", "Severity", "Message"], rows, "findings")


def _run_section(report: Report, run: Run, anchor: str) -> str:
    status, words = run_result(report, run.name)
    parts = [
        f"<section id='{anchor}'><h2>{_e(run.name)}</h2>",
        f"<p class='meta'><code>{_e(run.path)}</code> · {_plural(run.points, 'point')}, "
        f"{_plural(len(run.tags), 'tag')} · <span class='result {status}'>{_e(words)}</span></p>",
    ]
    mine = [f for f in report.findings if f.run == run.name]
    if not mine:
        parts.append("<p>No findings.</p>")
    for f in mine:
        parts.append("<div class='finding'>")
        parts.append(f"<h3>{_severity(f)} <code>{_e(f.code)}</code> {_e(f.rule)}</h3>")
        parts.append(f"<p>{_e(f.message)}</p>")
        if f.data:
            items = "".join(f"<dt>{_e(k)}</dt><dd>{_e(_value(v))}</dd>" for k, v in f.data.items())
            parts.append(f"<dl class='data'>{items}</dl>")
        figure = finding_figure(f, run)
        if figure is not None and figure.plot is not None:
            parts.append(_figure(figure, "h4"))
        elif figure is not None:
            parts.append(f"<p><em>{_e(figure.caption)}</em></p>")
        parts.append("</div>")
    parts.append("</section>")
    return "".join(parts)


def format_report(report: Report) -> str:
    anchors = {run.name: f"run-{i + 1}" for i, run in enumerate(report.runs)}
    colours = run_colours(report.runs)
    status, words = check_result(report)
    title = "coordlint report"
    verdict = f"Check {words} (fail level: {report.fail_on or 'never'})"
    parts = [
        "<!DOCTYPE html>",
        "<html lang='en'><head><meta charset='utf-8'>",
        f"<meta http-equiv='Content-Security-Policy' content=\"{CSP}\">",
        "<meta name='viewport' content='width=device-width, initial-scale=1'>",
        f"<title>{_e(title)}</title><style>{_CSS}</style>",
        f"<script>{_SCRIPT}</script></head>",
        "<body data-plots='0' data-drawn='0'>",
        f"<h1>{_e(title)}</h1>",
        f"<p class='verdict {status}'>{_e(verdict)}</p>",
        f"<p class='meta'>{_e(summary_line(report, color=False))}"
        + (f" coordlint {_e(report.version)}." if report.version else "")
        + "</p>",
        "<h2>Runs</h2>",
        _runs_table(report, anchors),
        _end_of_training(report),
    ]
    figures = metric_figures(report, colours)
    if figures:
        parts.append("<h2>Metrics across runs</h2><div class='grid'>")
        parts.extend(_figure(figure) for figure in figures)
        parts.append("</div>")
    parts += ["<h2>Findings</h2>", _findings_table(report, anchors)]
    parts.extend(_run_section(report, run, anchors[run.name]) for run in report.runs)
    parts.append("</body></html>")
    return "\n".join(p for p in parts if p) + "\n"
