"""Markdown: a per-run summary and a findings table, to paste into a PR or a progress note.

GitHub-flavoured tables. Cell text is escaped so a message cannot break the table (``|``,
newlines become ``<br>``, other control characters visible escapes, see
:func:`~coordlint.formatters.safe_text.printable`), inject HTML (``<``, ``>``, ``&``) or turn
``*map*`` into emphasis. Also the step summary of the ``github`` format.
"""

from __future__ import annotations

import re

from coordlint.formatters.results import run_result
from coordlint.formatters.safe_text import printable
from coordlint.formatters.text_format import summary_line
from coordlint.report import Report
from coordlint.rule import Severity

_NEWLINE = re.compile(r"\r\n|\r|\n")
_ICONS = {Severity.ERROR: "🔴", Severity.WARNING: "🟡", Severity.INFO: "🔵"}


def cell(text: object) -> str:
    """``text`` made safe for one GitHub-flavoured table cell (line breaks as ``<br>``)."""
    return "<br>".join(_inline(line) for line in _NEWLINE.split(str(text)))


def _inline(text: str) -> str:
    value = printable(text)
    value = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    for special in "\\|`*_[]~":  # backslash first
        value = value.replace(special, "\\" + special)
    return value


def _row(*cells: object) -> str:
    return "| " + " | ".join(cell(c) for c in cells) + " |"


def runs_table(report: Report) -> list[str]:
    """Per run: findings per severity, (run, rule) pairs not applicable, and the verdict
    (``failed: 1 error``, ``passed with 2 warnings``)."""
    lines = [
        "| Run | Errors | Warnings | Infos | Not applicable | Result |",
        "| --- | ---: | ---: | ---: | ---: | --- |",
    ]
    for run in report.runs:
        mine = [f for f in report.findings if f.run == run.name]
        count = {s: sum(1 for f in mine if (f.severity or Severity.INFO) == s) for s in Severity}
        skipped = sum(1 for o in report.outcomes if o.run == run.name and o.status == "skipped")
        _status, result = run_result(report, run.name)
        lines.append(
            _row(
                run.name,
                count[Severity.ERROR],
                count[Severity.WARNING],
                count[Severity.INFO],
                skipped,
                result,
            )
        )
    return lines


def findings_table(report: Report) -> list[str]:
    """One row per finding: run, code and rule name, severity, message."""
    lines = ["| Run | Code | Severity | Message |", "| --- | --- | --- | --- |"]
    for f in report.findings:
        severity = f.severity or Severity.INFO
        code = f"{f.code} {f.rule}".strip()
        lines.append(_row(f.run, code, f"{_ICONS[severity]} {severity}", f.message))
    return lines


def format_report(report: Report, title: str = "coordlint report") -> str:
    lines = [f"## {title}", "", cell(summary_line(report, color=False)), "", "### Runs", ""]
    lines += runs_table(report)
    lines += ["", "### Findings", ""]
    lines += findings_table(report) if report.findings else ["No findings."]
    return "\n".join(lines) + "\n"
