"""GitLab Code Quality: a JSON list, for ``artifacts: reports: codequality:``.

Each finding is ``{"description", "check_name", "fingerprint", "severity", "location": {"path",
"lines": {"begin": 1}}}``. ``severity``: error → ``major``, warning → ``minor``, info → ``info``.
``path`` is the run's first file, else the run's path (relative to the working directory when
it lies under it, as GitLab links paths relative to the repository). The fingerprint is a
SHA-256 of (run, code, tag), not of the message, so a finding whose numbers drift between
pipelines is still the same finding; repeats of one (run, code, tag) are told apart by their
order. Names that are not valid UTF-8 are shown with U+FFFD (see
:func:`~coordlint.formatters.safe_text.json_safe`).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from coordlint.formatters.safe_text import json_safe
from coordlint.report import Report
from coordlint.rule import Finding, Severity

SEVERITIES = {Severity.ERROR: "major", Severity.WARNING: "minor", Severity.INFO: "info"}


def fingerprints(report: Report) -> list[str]:
    """A stable fingerprint for each of ``report.findings``, in order."""
    seen: dict[tuple[str, str, str], int] = {}
    out = []
    for f in report.findings:
        key = (f.run or "", f.code, f.tag or "")
        n = seen.get(key, 0)
        seen[key] = n + 1
        parts = [*key, str(n)] if n else list(key)
        # surrogatepass: a name that is not valid UTF-8 still has a stable fingerprint
        out.append(hashlib.sha256("\0".join(parts).encode("utf-8", "surrogatepass")).hexdigest())
    return out


def display_path(path: str) -> str:
    """``path`` relative to the working directory when it lies under it, with ``/``."""
    p = Path(path)
    if p.is_absolute():
        try:
            p = p.resolve().relative_to(Path.cwd().resolve())
        except (ValueError, OSError):
            return p.as_posix()
    return p.as_posix()


def location_path(report: Report, finding: Finding) -> str:
    run = next((r for r in report.runs if r.name == finding.run), None)
    if run is None:
        return finding.run or "."
    return display_path(str(run.files[0]) if run.files else run.path)


def report_list(report: Report) -> list[dict[str, Any]]:
    out = []
    for f, fingerprint in zip(report.findings, fingerprints(report), strict=True):
        out.append(
            {
                "description": f"{f.run}: {f.message}",
                "check_name": f"{f.code} {f.rule}".strip(),
                "fingerprint": fingerprint,
                "severity": SEVERITIES[f.severity or Severity.INFO],
                "location": {"path": location_path(report, f), "lines": {"begin": 1}},
            }
        )
    return out


def format_report(report: Report) -> str:
    return json_safe(json.dumps(report_list(report), indent=2, ensure_ascii=False)) + "\n"
