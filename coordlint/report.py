"""What a check produced: the runs, the findings, and each (run, rule) outcome.

Formatters read a :class:`Report` and nothing else; the exit code is derived from it.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from coordlint.rule import Finding, Rule, Severity
from coordlint.run import Run

Status = Literal["passed", "failed", "skipped"]

_SURROGATE = re.compile("[\ud800-\udfff]")


def valid_unicode(text: str) -> str:
    """``text`` with every lone surrogate (a non-UTF-8 file name decoded with surrogateescape,
    a ``"\\udc80"`` in a JSON log) replaced by U+FFFD, so it encodes as UTF-8."""
    return _SURROGATE.sub("\ufffd", text)


@dataclass
class Outcome:
    """How one rule went on one run: passed, failed (a finding at/above the fail level), skipped."""

    run: str
    code: str
    status: Status
    findings: list[Finding] = field(default_factory=list)
    reason: str = ""


@dataclass(frozen=True)
class Suppressed:
    """A finding that was found but not reported: baselined, or ignored with a reason."""

    finding: Finding
    reason: str


@dataclass
class Report:
    """The finished check. ``fail_on`` is ``None`` when nothing fails the check (``never``)."""

    runs: list[Run]
    rules: dict[str, Rule]
    findings: list[Finding] = field(default_factory=list)
    outcomes: list[Outcome] = field(default_factory=list)
    fail_on: Severity | None = Severity.ERROR
    version: str = ""
    color: bool = False
    #: How much text output says: -1 only what fails (``-q``), 0 findings, 1 also every
    #: (run, rule) that was not applicable and why (``-v``).
    verbosity: int = 0
    tracebacks: dict[int, str] = field(default_factory=dict)  # id(finding) -> traceback text
    suppressed: list[Suppressed] = field(default_factory=list)
    #: The output formats available to :meth:`to` (set by the check that made the report).
    formatters: dict[str, Callable[[Report], str]] = field(default_factory=dict, repr=False)
    #: The end-of-training table's columns, ``(name, tags)``, and which way each is better
    #: (``"lower"``/``"higher"``), from the ``coordlint_summary_columns`` hook: what the
    #: HTML report tabulates and plots across runs (set by the check that made the report).
    summary_columns: list[tuple[str, tuple[str, ...]]] = field(default_factory=list, repr=False)
    summary_better: dict[str, str] = field(default_factory=dict, repr=False)

    def fails(self, finding: Finding) -> bool:
        """Whether ``finding`` is at or above the fail level."""
        return (
            self.fail_on is not None
            and finding.severity is not None
            and (finding.severity >= self.fail_on)
        )

    @property
    def failing(self) -> list[Finding]:
        return [f for f in self.findings if self.fails(f)]

    @property
    def failed(self) -> bool:
        """Whether any finding is at or above the fail level."""
        return bool(self.failing)

    @property
    def exit_code(self) -> int:
        """0 when nothing is at or above the fail level, 1 when something is."""
        return 1 if self.failing else 0

    def to(self, fmt: str) -> str:
        """The report in output format ``fmt`` (``text``, ``json``, ``junit``, ... or a
        plugin's), as valid Unicode whatever the names in it (see :func:`valid_unicode`)."""
        formatter = self.formatters.get(fmt)
        if formatter is None:
            known = ", ".join(sorted(self.formatters)) or "none loaded"
            raise ValueError(f"unknown output format {fmt!r} (choose from {known})")
        text = formatter(self)
        if not isinstance(text, str):
            raise TypeError(f"output format {fmt!r} returned {type(text).__name__}, not str")
        return valid_unicode(text)

    def _repr_html_(self) -> str | None:
        """The HTML report, for a notebook to show inline: in an ``<iframe srcdoc>``, so its
        styles and script neither reach the notebook nor are reached by it. ``None`` (the
        plain repr) when the report has no ``html`` format."""
        if "html" not in self.formatters:
            return None
        page = html.escape(self.to("html"), quote=True)
        return (
            f'<iframe class="coordlint-report" srcdoc="{page}" title="coordlint report" '
            'style="width: 100%; height: 720px; border: 1px solid #d0d7de; '
            'border-radius: 6px;"></iframe>'
        )

    def counts(self) -> dict[Severity, int]:
        counts = dict.fromkeys(Severity, 0)
        for f in self.findings:
            counts[f.severity or Severity.INFO] += 1
        return counts
