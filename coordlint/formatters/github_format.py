"""GitHub Actions: one workflow-command annotation per finding, plus the job's step summary.

``::error file=PATH,title=CL201 soft-ce-rebound::RUN: message`` (``::warning`` for warnings,
``::notice`` for infos); ``file`` is the run's first file when it has one (relative to the
working directory, the checkout, when it lies under it). GitHub shows only ten annotations
of each kind per step, so when ``GITHUB_STEP_SUMMARY`` names a file the markdown table of all
findings is appended to it as well. The last line is the text format's
summary. ``auto`` is this format under GitHub Actions (``GITHUB_ACTIONS=true``), else ``text``.

Escaping follows the runner's workflow-command syntax: in the message ``%`` → ``%25``,
``\\r`` → ``%0D``, ``\\n`` → ``%0A``; in property values also ``:`` → ``%3A`` and ``,`` → ``%2C``.
Before that, other control characters, lone surrogates and ``##[`` in the data are made
visible (:func:`~coordlint.formatters.safe_text.printable`; a message keeps its line breaks).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from coordlint.errors import CoordlintError
from coordlint.formatters import markdown_format, text_format
from coordlint.formatters.gitlab_format import display_path
from coordlint.formatters.safe_text import printable, valid_unicode
from coordlint.report import Report
from coordlint.rule import Finding, Severity

SUMMARY_ENV = "GITHUB_STEP_SUMMARY"
_LINE_BREAK = re.compile(r"(\r\n|\r|\n)")
_COMMANDS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def _message(text: str) -> str:
    """The data of an annotation: printable between its line breaks, which are kept (as
    ``%0D``/``%0A``)."""
    parts = _LINE_BREAK.split(text)  # text, break, text, ...: the breaks at odd positions
    return escape_data("".join(p if i % 2 else printable(p) for i, p in enumerate(parts)))


def annotation(report: Report, finding: Finding) -> str:
    """One ``::command props::message`` line for ``finding``."""
    run = next((r for r in report.runs if r.name == finding.run), None)
    props = {}
    if run is not None and run.files:
        props["file"] = display_path(str(run.files[0]))
    props["title"] = f"{finding.code} {finding.rule}".strip()
    where = ", ".join(
        part
        for part in (
            f"tag {finding.tag}" if finding.tag else "",
            f"step {finding.step}" if finding.step is not None else "",
        )
        if part
    )
    message = f"{finding.run}: {finding.message}" + (f" ({where})" if where else "")
    command = _COMMANDS[finding.severity or Severity.INFO]
    rendered = ",".join(
        f"{key}={escape_property(printable(value))}" for key, value in props.items()
    )
    return f"::{command} {rendered}::{_message(message)}"


def step_summary(report: Report) -> str:
    """The markdown appended to ``$GITHUB_STEP_SUMMARY``."""
    return markdown_format.format_report(report) + "\n"


def format_report(report: Report) -> str:
    lines = [annotation(report, f) for f in report.findings]
    lines.append(text_format.summary_line(report, color=False))
    summary_path = os.environ.get(SUMMARY_ENV)
    if summary_path:
        try:
            with Path(summary_path).open("a", encoding="utf-8") as out:
                out.write(valid_unicode(step_summary(report)))
        except OSError as exc:
            raise CoordlintError(
                f"cannot append the step summary to ${SUMMARY_ENV} ({summary_path}): "
                f"{exc.strerror or exc}"
            ) from exc
    return "\n".join(lines) + "\n"


def format_auto(report: Report) -> str:
    """``github`` when running under GitHub Actions, ``text`` everywhere else."""
    if os.environ.get("GITHUB_ACTIONS") == "true":
        return format_report(report)
    return text_format.format_report(report)
