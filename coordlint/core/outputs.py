"""Where a finished report goes: the terminal's format and any number of report files.

``coordlint check -f github --report junit=coordlint.xml --report html=report.html`` checks
once and renders the one :class:`~coordlint.report.Report` three times, as pytest prints its
terminal summary and writes ``--junitxml``. Rendering goes through ``report.to(fmt)``, so a
plugin's format works anywhere a built-in one does; a plugin format that raises (or exits)
is an error naming it, never an exit 0 or a half-written report.
"""

from __future__ import annotations

import contextlib
import dataclasses
import sys
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from pathlib import Path

from coordlint.core.guard import ESCAPES, describe
from coordlint.errors import ConfigError, InputError, PluginError
from coordlint.report import Report

__all__ = ["ReportFile", "parse_report_file", "render", "write_reports"]


@dataclass(frozen=True)
class ReportFile:
    """One ``--report FORMAT=PATH``: write the report in ``fmt`` to ``path``."""

    fmt: str
    path: Path


def parse_report_file(spec: str, formats: Collection[str]) -> ReportFile:
    """``"junit=coordlint.xml"`` → ``ReportFile("junit", Path("coordlint.xml"))``; an unknown
    format or a missing ``=PATH`` is a :class:`~coordlint.errors.ConfigError` naming the
    formats there are."""
    fmt, sep, path = spec.partition("=")
    fmt = fmt.strip()
    if not sep or not fmt or not path:
        raise ConfigError(f"--report expects FORMAT=PATH (e.g. junit=coordlint.xml), got {spec!r}")
    if fmt not in formats:
        known = ", ".join(sorted(formats))
        raise ConfigError(f"--report {spec!r}: unknown format {fmt!r} (formats: {known})")
    return ReportFile(fmt, Path(path))


def render(report: Report, fmt: str) -> str:
    """``report.to(fmt)``; a plugin's format that raises anything (``SystemExit`` too) or
    prints is an error naming it, not an exit 0 or a corrupted report."""
    formatter = report.formatters[fmt]
    try:
        with contextlib.redirect_stdout(sys.stderr):
            return report.to(fmt)
    except ESCAPES as exc:
        if getattr(formatter, "__module__", "").startswith("coordlint."):
            raise  # coordlint's own format: a bug in coordlint
        raise PluginError(
            f"output format {fmt!r} raised {type(exc).__name__}: {describe(exc)}"
        ) from exc


def write_reports(report: Report, files: Iterable[ReportFile]) -> None:
    """Render ``report`` into each file (never coloured: a file is not a terminal). Every
    file is rendered before any is written, so a format that fails leaves no file behind
    from this check."""
    plain = dataclasses.replace(report, color=False)
    rendered = [(target, render(plain, target.fmt)) for target in files]
    for target, text in rendered:
        try:
            target.path.write_text(text, encoding="utf-8")
        except OSError as exc:
            raise InputError(
                f"cannot write the {target.fmt} report to {target.path}: {exc.strerror or exc}"
            ) from exc
