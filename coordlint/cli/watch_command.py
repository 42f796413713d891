"""``coordlint watch`` (re-check live runs) and ``coordlint clean`` (empty the cache)."""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

import click

import coordlint
from coordlint.cli.check_command import want_color
from coordlint.cli.options import (
    CliState,
    cache_dir_option,
    load_options,
    open_session,
    reference_option,
    selection_options,
    setup_options,
)
from coordlint.core.session import Selection, Setup
from coordlint.core.watch import watch_loop
from coordlint.errors import CoordlintError
from coordlint.execution.collect import LoadOptions, collect_runs
from coordlint.execution.parallel import open_executor
from coordlint.formatters.json_format import finding_line
from coordlint.formatters.text_format import format_report
from coordlint.loading.cache import Cache, default_cache_dir
from coordlint.report import Report
from coordlint.rule import Finding

__all__ = ["WATCH_FORMATS", "clean_command", "watch_command"]

WATCH_FORMATS = ("text", "jsonl")


@click.command("watch")
@click.argument("runs", nargs=-1, required=True, metavar="RUN...")
@click.option(
    "--interval",
    type=click.FloatRange(min=0),
    default=30.0,
    show_default=True,
    help="Seconds between checks.",
)
@click.option("--max-checks", type=click.IntRange(min=1), default=None, hidden=True)
@click.option(
    "--output-format",
    "-f",
    "output_format",
    type=click.Choice(WATCH_FORMATS),
    default="text",
    show_default=True,
    help="text, or jsonl: each new finding as one JSON object on its own line, as it appears.",
)
@click.option(
    "--until-fail",
    is_flag=True,
    help="Stop at the first check with a finding at or above the fail level, and exit 1.",
)
@selection_options
@click.option(
    "--color",
    type=click.Choice(["auto", "always", "never"]),
    default="auto",
    show_default=True,
    help="Colour text output (NO_COLOR is honoured).",
)
@reference_option(
    "Compare every RUN with this reference file or run, as check does (repeatable; loaded "
    "once, before the first check)."
)
@load_options()
@setup_options
@click.pass_obj
def watch_command(
    state: CliState,
    runs: tuple[str, ...],
    interval: float,
    max_checks: int | None,
    output_format: str,
    until_fail: bool,
    color: str,
    references: tuple[str, ...],
    selection: Selection,
    load: LoadOptions,
    setup: Setup,
) -> int:
    """Re-check growing RUNs every --interval seconds; print only new findings. Ctrl-C stops
    (exit 0); --until-fail stops at the first failing finding (exit 1).

    A finding is new the first time its (run, code, tag, key step, severity) appears: a
    finding whose numbers change every eval is printed once, a new best step again.
    """
    session = open_session(setup).select(selection).use_references(references or None, load)
    colored = want_color(color)
    last_error: list[str] = []

    def emit(report: Report, new: list[Finding]) -> None:
        last_error.clear()
        if output_format == "jsonl":
            for finding in new:
                click.echo(finding_line(finding))
                sys.stdout.flush()
        elif new:
            shown = dataclasses.replace(report, findings=new, color=colored)
            shown.tracebacks = report.tracebacks if state.debug else {}
            lines = format_report(shown).splitlines()[:-1]  # not the summary line
            click.echo("\n".join(lines), color=colored)

    def on_error(exc: CoordlintError) -> None:
        if last_error != [str(exc)]:
            click.echo(f"coordlint: error (retrying): {exc}", err=True)
        last_error[:] = [str(exc)]

    click.echo(
        f"coordlint: watching {', '.join(runs)} every {interval:g}s (Ctrl-C to stop)", err=True
    )
    targets = session.targets()
    with open_executor(load.executor, load.jobs) as executor:

        def check_once() -> Report:
            loaded = collect_runs(runs, load, executor, targets=targets)
            return session.check(loaded, coordlint.__version__)

        result = watch_loop(
            check_once,
            emit,
            interval=interval,
            iterations=max_checks,
            on_error=on_error,
            until=(lambda report: report.failed) if until_fail else None,
        )
    if result.stopped:
        click.echo(
            f"coordlint: stopped at check {result.checks}: a finding at or above the fail level",
            err=True,
        )
        return 1
    if result.interrupted:
        click.echo(f"coordlint: stopped after {result.checks} check(s)", err=True)
        return 0
    return result.report.exit_code if result.report is not None else 0


@click.command("clean")
@cache_dir_option("The cache directory to empty (default: the user cache dir).")
def clean_command(cache_dir: Path | None) -> int:
    """Delete the cache of decoded event files."""
    directory = cache_dir or default_cache_dir()
    count, size = Cache(directory).clear()
    click.echo(
        f"coordlint: removed {count} cache file(s), {size / 2**20:.1f} MiB, from {directory}"
    )
    return 0
