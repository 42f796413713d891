"""``coordlint check``: check runs, write the report, exit by the fail level."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

import coordlint
from coordlint.cli.options import (
    CliState,
    Gating,
    gate_options,
    load_options,
    open_session,
    reference_option,
    selection_options,
    setup_options,
)
from coordlint.core.baseline import BaselineFilter, read_baseline
from coordlint.core.baseline import write_baseline as write_baseline_file
from coordlint.core.outputs import parse_report_file, render, write_reports
from coordlint.core.session import Selection, Setup, describe_settings
from coordlint.errors import InputError
from coordlint.execution.collect import LoadOptions, iter_runs
from coordlint.formatters import statistics as stats
from coordlint.formatters.text_format import summary_line

__all__ = ["check", "want_color"]


def want_color(choice: str) -> bool:
    """``--color``: always, never, or auto (a terminal, unless NO_COLOR is set)."""
    if choice == "always":
        return True
    if choice == "never" or os.environ.get("NO_COLOR"):
        return False
    return sys.stdout.isatty()


@click.command()
@click.argument("runs", nargs=-1, required=True, metavar="RUN...")
@click.option(
    "--output-format",
    "-f",
    "output_format",
    default="text",
    show_default=True,
    help="text, json, junit, github, gitlab, sarif, markdown, html, auto (github under "
    "GitHub Actions, else text), or a plugin's format.",
)
@click.option(
    "--output",
    "-o",
    "output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the report to FILE instead of stdout.",
)
@click.option(
    "--report",
    "reports",
    multiple=True,
    metavar="FORMAT=PATH",
    help="Also write the report in FORMAT to PATH (repeatable; any format, plugins' too): "
    "-f github --report junit=coordlint.xml --report html=report.html checks once.",
)
@click.option(
    "--statistics",
    is_flag=True,
    help="Print one line per code with its count (as ruff does) instead of each finding; "
    "-f json prints them as JSON.",
)
@selection_options
@click.option("--exit-zero", is_flag=True, help="Exit 0 even when findings fail the check.")
@click.option(
    "--color",
    type=click.Choice(["auto", "always", "never"]),
    default="auto",
    show_default=True,
    help="Colour text output (NO_COLOR is honoured).",
)
@click.option(
    "--baseline",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Report and fail only on findings not recorded in this baseline.",
)
@click.option(
    "--write-baseline",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Record the current findings as the baseline in FILE (exits 0).",
)
@click.option(
    "--show-settings", is_flag=True, help="Print the effective settings and ignore reasons; exit."
)
@click.option(
    "--verbose",
    "-v",
    is_flag=True,
    help="Text output also lists every (run, rule) that was not applicable, and why.",
)
@click.option(
    "--quiet",
    "-q",
    is_flag=True,
    help="Text output lists only findings at or above the fail level, and the summary.",
)
@reference_option(
    "Compare every RUN with this reference file (from `coordlint reference build`) or "
    "reference run (repeatable; default: the config's reference: entries). Enables CL601-CL604."
)
@gate_options
@load_options()
@setup_options
@click.pass_obj
def check(
    state: CliState,
    runs: tuple[str, ...],
    output_format: str,
    output: Path | None,
    reports: tuple[str, ...],
    statistics: bool,
    exit_zero: bool,
    color: str,
    baseline: Path | None,
    write_baseline: Path | None,
    show_settings: bool,
    verbose: bool,
    quiet: bool,
    references: tuple[str, ...],
    gating: Gating,
    selection: Selection,
    load: LoadOptions,
    setup: Setup,
) -> int:
    """Check each RUN (an event file, a run directory, a logdir of runs, or a checkpoint or
    merged-model directory, judged as of its step)."""
    if verbose and quiet:
        raise click.UsageError("--verbose and --quiet exclude each other")
    session = open_session(setup).select(selection)
    formats = session.plugins.formatters
    if output_format not in formats:
        raise click.BadParameter(
            f"{output_format!r} is not one of {', '.join(sorted(formats))}",
            param_hint="'--output-format'",
        )
    if statistics and output_format not in stats.FORMATS:
        raise click.UsageError(f"--statistics prints text or json, not {output_format!r}")
    report_files = [parse_report_file(spec, formats) for spec in reports]
    if show_settings:
        click.echo(describe_settings(session), nl=False)
        return 0
    baseline_filter = BaselineFilter(read_baseline(baseline)) if baseline else None
    if baseline_filter is not None:
        session.baseline(baseline_filter)
    session.use_references(references or None, load)
    # Rules run on each run as it arrives, while worker processes (--jobs) load the next ones.
    targets = session.targets(gating.logs, gating.step)
    arriving = iter_runs(runs, load, label="checking runs", targets=targets)
    report = session.check(arriving, coordlint.__version__)
    if write_baseline is not None:
        entries = write_baseline_file(write_baseline, report.findings, coordlint.__version__)
        click.echo(f"coordlint: wrote {entries} baseline entries to {write_baseline}", err=True)
        return 0
    if baseline_filter is not None:
        _say_baseline(baseline_filter)
    if not state.debug:
        report.tracebacks.clear()
    report.color = output is None and want_color(color)
    report.verbosity = 1 if verbose else (-1 if quiet else 0)
    write_reports(report, report_files)
    if statistics:
        text = stats.format_statistics(report, output_format)
    else:
        text = render(report, output_format)
    if output is None:
        click.echo(text, nl=False, color=report.color)
    else:
        try:
            output.write_text(text, encoding="utf-8")
        except OSError as exc:
            raise InputError(f"cannot write report to {output}: {exc.strerror or exc}") from exc
        verdict = "failed" if report.failed else "passed"
        line = f"coordlint: {summary_line(report, color=False)} Check {verdict}; report in {output}"
        click.echo(line, err=True)
    for target in report_files:
        click.echo(f"coordlint: wrote the {target.fmt} report to {target.path}", err=True)
    return 0 if exit_zero else report.exit_code


def _say_baseline(baseline: BaselineFilter) -> None:
    stale = baseline.stale
    line = f"coordlint: {baseline.matched} finding(s) baselined"
    if stale:
        shown = ", ".join(f"{run} {code}" + (f" {tag}" if tag else "") for run, code, tag in stale)
        line += f"; {len(stale)} baseline entr{'y' if len(stale) == 1 else 'ies'} no longer "
        line += f"occur: {shown}"
    click.echo(line, err=True)
