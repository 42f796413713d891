"""JSON: a stable contract, pinned by tests.

``{"coordlint": VERSION, "runs": [{"name", "path", "source", "files", "tags", "points"}],
"findings": [{"run", "code", "rule", "severity", "message", "tag", "step", "data"}],
"suppressed": [{...the finding's keys..., "reason"}]}``. ``suppressed`` lists findings that were
baselined (reason ``baseline``) or ignored in config with a reason; they do not fail the check.
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
            }
            for run in report.runs
        ],
        "findings": [finding_dict(f) for f in report.findings],
        "suppressed": [{**finding_dict(s.finding), "reason": s.reason} for s in report.suppressed],
    }


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


def format_report(report: Report) -> str:
    document = json.dumps(report_dict(report), indent=2, ensure_ascii=False, allow_nan=False)
    return json_safe(document) + "\n"
