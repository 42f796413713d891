"""``check --statistics``: one line per code with its count, the way ruff prints them.

Text: ``COUNT<TAB>CODE<TAB>NAME``, the count right-aligned and the code left-aligned to their
columns' widths, most frequent code first (ties by code), then the check's summary line::

    3	CL201	soft-ce-rebound
    1	CL902	non-finite-scalar
    4 findings (1 error, 3 warnings) in 3 runs; 11 rules ran. 1 at or above error: failing.

JSON: ``[{"code", "name", "count", "failing", "severity": {"error": n, "warning": n,
"info": n}}]`` in the same order (``failing``: how many are at or above the fail level).
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

from coordlint.formatters.safe_text import json_safe, no_commands, printable
from coordlint.formatters.text_format import summary_line
from coordlint.report import Report
from coordlint.rule import Severity

__all__ = ["FORMATS", "format_statistics", "statistics"]

#: The output formats ``--statistics`` is printed in.
FORMATS = ("text", "json")


def statistics(report: Report) -> list[dict[str, Any]]:
    """Per code: its name, how many findings, how many fail, how many of each severity;
    most frequent first, ties by code."""
    counts = Counter(f.code for f in report.findings)
    names = {f.code: f.rule for f in report.findings}
    rows = []
    for code, count in sorted(counts.items(), key=lambda item: (-item[1], item[0])):
        mine = [f for f in report.findings if f.code == code]
        severities = Counter(f.severity or Severity.INFO for f in mine)
        rows.append(
            {
                "code": code,
                "name": names[code],
                "count": count,
                "failing": sum(1 for f in mine if report.fails(f)),
                "severity": {str(s): severities[s] for s in reversed(Severity)},
            }
        )
    return rows


def format_statistics(report: Report, fmt: str = "text") -> str:
    """The statistics of ``report`` as ``text`` or ``json`` (see the module docstring)."""
    rows = statistics(report)
    if fmt == "json":
        return json_safe(json.dumps(rows, indent=2, ensure_ascii=False)) + "\n"
    if fmt != "text":
        raise ValueError(f"--statistics prints {' or '.join(FORMATS)}, not {fmt!r}")
    count_width = max((len(str(r["count"])) for r in rows), default=1)
    code_width = max((len(printable(r["code"])) for r in rows), default=1)
    lines = [
        f"{r['count']:>{count_width}}\t{printable(r['code']):<{code_width}}\t{printable(r['name'])}"
        for r in rows
    ]
    lines.append(summary_line(report))
    return no_commands("\n".join(lines)) + "\n"
