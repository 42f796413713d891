"""``coordlint reference``: build a reference file from known-good runs, show what one holds."""

from __future__ import annotations

from pathlib import Path

import click

import coordlint
from coordlint.cli.options import load_options, open_session, setup_options
from coordlint.core.reference_file import (
    describe,
    header_lines,
    read_reference_file,
    write_reference_file,
)
from coordlint.core.references import BIN_POINTS, EXACT_PREFIX, reference_from_run
from coordlint.core.session import Setup
from coordlint.execution.collect import LoadOptions, collect_runs

__all__ = ["reference_group"]

DEFAULT_FILE = "coordlint-reference.json"


@click.group("reference")
def reference_group() -> None:
    """Reference runs: known-good runs a check compares every run with (CL601-CL604)."""


@reference_group.command("build")
@click.argument("runs", nargs=-1, required=True, metavar="RUN...")
@click.option(
    "--output",
    "-o",
    "output",
    type=click.Path(dir_okay=False, path_type=Path),
    default=DEFAULT_FILE,
    show_default=True,
    help="Write the reference file here (commit it next to the CI config).",
)
@load_options(cache=True)
@setup_options
def build_command(runs: tuple[str, ...], output: Path, load: LoadOptions, setup: Setup) -> int:
    """Write a reference file from known-good RUNs: each run's name, coord config and curves
    (every eval/* tag exactly, other tags median-binned to at most 500 points)."""
    session = open_session(setup)
    keys = session.plugins.reference_config
    loaded = collect_runs(runs, load, targets=session.targets())
    references = [reference_from_run(data, keys) for data in loaded]
    names = [r.name for r in references]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise click.UsageError(f"two RUN arguments name the same run: {', '.join(twice)}")
    for ref in references:
        if not any(t.startswith(EXACT_PREFIX) for t in ref.tags):
            click.echo(
                f"coordlint: warning: {ref.name} logs no {EXACT_PREFIX}* tag: the built-in "
                "reference rules have nothing of it to compare",
                err=True,
            )
    size = write_reference_file(output, references, coordlint.__version__, BIN_POINTS)
    tags = sum(len(r.tags) for r in references)
    click.echo(
        f"coordlint: wrote {len(references)} reference run{'s' if len(references) != 1 else ''}"
        f" ({tags} curves, {size / 1000:.0f} kB) to {output}",
        err=True,
    )
    return 0


@reference_group.command("show")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path), metavar="FILE")
def show_command(file: Path) -> int:
    """Print what a reference FILE holds: its runs, their config and every curve."""
    held = read_reference_file(file)
    click.echo("\n".join(header_lines(held, str(file))))
    click.echo(describe(held.references), nl=False)
    return 0
