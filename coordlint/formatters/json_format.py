"""JSON: a stable contract, pinned by tests.

``{"coordlint": VERSION, "runs": [{"name", "path", "source", "files", "tags", "points",
"checkpoint"}],
"findings": [{"run", "code", "rule", "severity", "message", "tag", "step", "data"}],
"suppressed": [{...the finding's keys..., "reason"}]}``. ``suppressed`` lists findings that were
baselined (reason ``baseline``) or ignored in config with a reason; they do not fail the check.
``checkpoint`` is ``{"path", "step", "step_source", "merged"}`` for a run gated as of a
checkpoint (named ``<run>@<step>``; its ``tags`` and ``points`` are those at steps <= ``step``),
``null`` for a whole run. A resumed run's ``files`` lists every part's files, in order.
Strings are valid Unicode (a name that is not valid UTF-8 shows U+FFFD where its bad bytes
were) and C1/bidirectional controls are ``\\u`` escapes (see
:func:`~coordlint.formatters.safe_text.json_safe`).
"""

from __future__ import annotations

import json
from typing import Any

from coordlint.formatters.safe_text import json_safe
from coordlint.report import Report
from coordlint.rule import Finding
from coordlint.run import Run


def report_dict(report: Report) -> dict[str, Any]:
    return {
        "coordlint": report.version,
        "runs": [
            {
                "name": run.name,
                "path": run.path,
                "source": run.source,
                "files": list(run.files),
                "tags": run.tags,
                "points": run.points,
                "checkpoint": _checkpoint(run),
            }
            for run in report.runs
        ],
        "findings": [finding_dict(f) for f in report.findings],
        "suppressed": [{**finding_dict(s.finding), "reason": s.reason} for s in report.suppressed],
    }


def _checkpoint(run: Run) -> dict[str, Any] | None:
    c = run.checkpoint
    if c is None:
        return None
    return {"path": c.path, "step": c.step, "step_source": c.step_source, "merged": c.merged}


def finding_dict(f: Finding) -> dict[str, Any]:
    return {
        "run": f.run,
        "code": f.code,
        "rule": f.rule,
        "severity": str(f.severity),
        "message": f.message,
        "tag": f.tag,
        "step": f.step,
        "data": dict(f.data),
    }


def finding_line(finding: Finding) -> str:
    """One finding as one line of JSON (``watch -f jsonl``): the keys of a report's findings,
    no line break inside."""
    return json_safe(json.dumps(finding_dict(finding), ensure_ascii=False, allow_nan=False))


def format_report(report: Report) -> str:
    document = json.dumps(report_dict(report), indent=2, ensure_ascii=False, allow_nan=False)
    return json_safe(document) + "\n"
