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

``until`` ends the watch after the first check it holds for (``watch --until-fail``: a
finding at the fail level), so a CI job or a script can wait on a live run.

A live run shows damage while it is being written: a record or line cut off at the end of a
file, a file just created and still empty or holding only its header. Such a CL901 finding
(kinds :data:`SETTLING_KINDS`) is printed only when the same damage (same file, kind and byte
offset) is still there at the next check: a writer caught mid-record says nothing, a writer that
died mid-record is reported one interval later. It counts for the exit code at once.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass

from coordlint.errors import CoordlintError
from coordlint.report import Report
from coordlint.rule import Finding

__all__ = ["SETTLING_KINDS", "NewFindings", "WatchResult", "finding_key", "watch_loop"]

_IDENTITY_DATA = ("file", "kind", "rule")
#: Damage kinds a file shows while it is being written (see the module doc).
SETTLING_KINDS = frozenset({"truncated", "empty", "header-only"})
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
    """Remembers the keys printed so far; calling it with one check's findings returns only the
    unseen ones (holding back damage that may be a file mid-write until the next check)."""

    def __init__(self) -> None:
        self.seen: set[tuple[Hashable, ...]] = set()
        self.held: set[tuple[Hashable, ...]] = set()

    def __call__(self, findings: list[Finding]) -> list[Finding]:
        new = []
        held = set()
        for finding in findings:
            key = finding_key(finding)
            if key in self.seen:
                continue
            if finding.code == "CL901" and finding.data.get("kind") in SETTLING_KINDS:
                damage = (*key, finding.data.get("offset"))
                if damage not in self.held:
                    held.add(damage)  # printed if the next check still shows it
                    continue
            self.seen.add(key)
            new.append(finding)
        self.held = held
        return new


@dataclass
class WatchResult:
    report: Report | None  # the last completed check
    checks: int
    interrupted: bool
    #: ``until`` held for the last check.
    stopped: bool = False


def watch_loop(
    check_once: Callable[[], Report],
    emit: Callable[[Report, list[Finding]], None],
    *,
    interval: float,
    iterations: int | None = None,
    sleep: Callable[[float], None] | None = None,
    on_error: Callable[[CoordlintError], None] | None = None,
    until: Callable[[Report], bool] | None = None,
) -> WatchResult:
    """Check, emit the new findings, sleep ``interval``; ``iterations`` checks, until Ctrl-C,
    or until ``until(report)`` holds after a check (its new findings emitted first).

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
            if until is not None and until(report):
                return WatchResult(report, checks, False, stopped=True)
    except KeyboardInterrupt:
        return WatchResult(report, checks, True)
    return WatchResult(report, checks, False)
