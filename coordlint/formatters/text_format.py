"""Text: one line per finding, ``RUN CODE [severity] message``, grouped by run, then a summary.

A finding with a ``series`` gets an indented sparkline of it under its line (see
:mod:`coordlint.formatters.sparkline`), with the key step and any threshold crossing marked,
and the reference band there when it was judged against one (CL601–CL603).
``report.verbosity`` 1 (``-v``) adds a ``RUN CODE [not applicable] reason`` line for every
(run, rule) that was skipped; -1 (``-q``) leaves out the findings below the fail level.
Names, tags and messages are written with control characters escaped and no line of the output
starts with ``::`` (see :mod:`coordlint.formatters.safe_text`): a log cannot clear the terminal
or issue a GitHub workflow command through this format.
"""

from __future__ import annotations

import click

from coordlint.formatters import sparkline
from coordlint.formatters.safe_text import no_commands, printable
from coordlint.report import Report
from coordlint.rule import Severity

_COLOURS = {Severity.INFO: "cyan", Severity.WARNING: "yellow", Severity.ERROR: "red"}


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def format_report(report: Report) -> str:
    def style(text: str, **kw: object) -> str:
        return click.style(text, **kw) if report.color else text  # type: ignore[arg-type]

    lines: list[str] = []
    quiet = report.verbosity < 0
    for run in report.runs:
        name = style(no_commands(printable(run.name)), bold=True)
        for f in (f for f in report.findings if f.run == run.name):
            if quiet and not report.fails(f):
                continue
            severity = f.severity or Severity.INFO
            level = style(f"[{severity}]", fg=_COLOURS[severity], bold=report.fails(f))
            code = style(printable(f.code), bold=True)
            lines.append(f"{name} {code} {level} {printable(f.message)}")
            if f.series is not None:
                tag = None if f.tag is None else printable(f.tag)
                lines.extend(
                    sparkline.lines_for(
                        f.series,
                        tag=tag,
                        step=f.step,
                        data=f.data,
                        color=report.color,
                        band=f.band,
                    )
                )
            trace = report.tracebacks.get(id(f))
            if trace:
                lines.extend("    " + printable(t) for t in trace.rstrip().splitlines())
        if report.verbosity > 0:
            for o in (o for o in report.outcomes if o.run == run.name and o.status == "skipped"):
                reason = no_commands(printable(o.reason))
                lines.append(f"{name} {o.code} {style('[not applicable]', dim=True)} {reason}")
    lines.append(summary_line(report))
    return no_commands("\n".join(lines)) + "\n"


def summary_line(report: Report, color: bool | None = None) -> str:
    """The closing line: findings by severity, runs, rules that ran, what is failing."""
    colour = report.color if color is None else color

    def style(text: str, **kw: object) -> str:
        return click.style(text, **kw) if colour else text  # type: ignore[arg-type]

    counts = report.counts()
    skipped = sum(1 for o in report.outcomes if o.status == "skipped")
    ran = len({o.code for o in report.outcomes})
    if report.findings:
        parts = ", ".join(_plural(counts[s], str(s)) for s in reversed(Severity) if counts[s])
        summary = f"{_plural(len(report.findings), 'finding')} ({parts})"
    else:
        summary = "No findings"
    summary += f" in {_plural(len(report.runs), 'run')}; {_plural(ran, 'rule')} ran"
    if skipped:
        summary += f", {skipped} (run, rule) pair{'s' if skipped != 1 else ''} not applicable"
    failing = len(report.failing)
    if failing:
        summary += ". " + style(f"{failing} at or above {report.fail_on}: failing", fg="red")
    return summary + "."
