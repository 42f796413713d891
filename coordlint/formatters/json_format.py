"""JSON: a stable contract, pinned by tests.

``{"coordlint": VERSION, "runs": [{"name", "path", "source", "files", "tags", "points"}],
"findings": [{"run", "code", "rule", "severity", "message", "tag", "step", "data"}]}``
"""

from __future__ import annotations

import json
from typing import Any

from coordlint.report import Report


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
        "findings": [
            {
                "run": f.run,
                "code": f.code,
                "rule": f.rule,
                "severity": str(f.severity),
                "message": f.message,
                "tag": f.tag,
                "step": f.step,
                "data": dict(f.data),
            }
            for f in report.findings
        ],
    }


def format_report(report: Report) -> str:
    return json.dumps(report_dict(report), indent=2, ensure_ascii=False, allow_nan=False) + "\n"
