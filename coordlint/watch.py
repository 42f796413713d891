"""``coordlint watch``: re-check live runs every few seconds and print only what is new.

Each check re-discovers and reloads the runs (new event files, rows and checkpoints are picked
up), runs the rules, and prints the findings not printed before in this watch.

A finding is *new* when its key was not seen before. The key is what names the problem, not
the numbers that describe it: ``(run, code, tag, step, severity, file/kind/rule)``, where

- ``step`` is the rule's key step (CL201's best step, CL902's first non-finite step), left out
  when it is just the end of the finding's curve (CL401's "last eval"), which moves every eval;
- ``severity`` counts, so a warning that escalates to an error is printed again;
- the message and the evidence numbers (final value, rise, counts) do not: a rebound whose
  final value changes every eval is printed once, at the eval where it first holds; a rebound
  with a new best step is a new finding and printed again.

A key is printed at most once per watch, even when its finding goes away and comes back (no
flapping output near a threshold).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass

from coordlint.errors import CoordlintError
from coordlint.report import Report
from coordlint.rule import Finding

__all__ = ["NewFindings", "WatchResult", "finding_key", "watch_loop"]

_IDENTITY_DATA = ("file", "kind", "rule")
_sleep = time.sleep  # tests replace it to grow a run between checks


def finding_key(finding: Finding) -> tuple[Hashable, ...]:
    """What makes ``finding`` the same finding from one check to the next (see module doc)."""
    step = finding.step
    series = finding.series
    if step is not None and series is not None and len(series):
        try:
            if int(series.index[-1]) == step:
                step = None  # the step follows the curve's end: not what the finding is about
        except (TypeError, ValueError):
            pass
    identity = tuple(str(finding.data.get(k)) for k in _IDENTITY_DATA if k in finding.data)
    severity = str(finding.severity) if finding.severity is not None else None
    return (finding.run, finding.code, finding.tag, step, severity, identity)


class NewFindings:
    """Remembers the keys printed so far; calling it returns only the unseen findings."""

    def __init__(self) -> None:
        self.seen: set[tuple[Hashable, ...]] = set()

    def __call__(self, findings: list[Finding]) -> list[Finding]:
        new = []
        for finding in findings:
            key = finding_key(finding)
            if key not in self.seen:
                self.seen.add(key)
                new.append(finding)
        return new


@dataclass
class WatchResult:
    report: Report | None  # the last completed check
    checks: int
    interrupted: bool


def watch_loop(
    check_once: Callable[[], Report],
    emit: Callable[[Report, list[Finding]], None],
    *,
    interval: float,
    iterations: int | None = None,
    sleep: Callable[[float], None] | None = None,
    on_error: Callable[[CoordlintError], None] | None = None,
) -> WatchResult:
    """Check, emit the new findings, sleep ``interval``; ``iterations`` checks, or until Ctrl-C.

    The first check's errors propagate (a wrong path fails at once); a later check that fails
    (a file caught mid-rename, a remote blip) is passed to ``on_error`` and retried next time.
    Ctrl-C (KeyboardInterrupt) ends the loop cleanly: ``interrupted`` is set.
    """
    sleep = sleep or _sleep
    new_findings = NewFindings()
    report: Report | None = None
    checks = 0
    try:
        while iterations is None or checks < iterations:
            if checks:
                sleep(interval)
            try:
                report = check_once()
            except CoordlintError as exc:
                if not checks or on_error is None:
                    raise
                on_error(exc)
                checks += 1
                continue
            checks += 1
            emit(report, new_findings(report.findings))
    except KeyboardInterrupt:
        return WatchResult(report, checks, True)
    return WatchResult(report, checks, False)
