"""A run's result and the check's, in words: ``failed: 1 error``, ``passed with 2 warnings``.

A run *fails* when one of its findings is at or above the fail level; the words then count
those findings. A run that passes says what it passed with: its warnings and errors below the
fail level (``--fail-on never``), so "passed" alone means there was nothing to look at beyond
infos.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

from coordlint.report import Report
from coordlint.rule import Finding, Severity

__all__ = ["check_result", "counted", "run_result"]

Status = Literal["passed", "failed"]


def counted(findings: Iterable[Finding]) -> str:
    """``"1 error, 2 warnings"``: how many findings of each severity, most severe first."""
    severities = [f.severity or Severity.INFO for f in findings]
    parts = []
    for level in reversed(Severity):
        n = severities.count(level)
        if n:
            parts.append(f"{n} {level}{'' if n == 1 else 's'}")
    return ", ".join(parts)


def _result(report: Report, findings: list[Finding]) -> tuple[Status, str]:
    failing = [f for f in findings if report.fails(f)]
    if failing:
        return "failed", f"failed: {counted(failing)}"
    notable = [f for f in findings if (f.severity or Severity.INFO) >= Severity.WARNING]
    if notable:
        return "passed", f"passed with {counted(notable)}"
    return "passed", "passed"


def run_result(report: Report, run: str) -> tuple[Status, str]:
    """Whether run ``run`` failed the check, and that in words."""
    return _result(report, [f for f in report.findings if f.run == run])


def check_result(report: Report) -> tuple[Status, str]:
    """Whether the whole check failed, and that in words."""
    return _result(report, list(report.findings))
