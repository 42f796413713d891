"""``coordlint reference``: build a reference file from known-good runs, show what one holds."""

from __future__ import annotations

from pathlib import Path

import click
import numpy as np

import coordlint
from coordlint.cli.options import load_options, open_session, setup_options
from coordlint.core.reference_file import (
    VERSION,
    ReferenceFile,
    read_reference_file,
    write_reference_file,
)
from coordlint.core.references import BIN_POINTS, EXACT_PREFIX, reference_from_run
from coordlint.core.session import Setup
from coordlint.execution.collect import LoadOptions, collect_runs
from coordlint.formatters.safe_text import no_commands, printable
from coordlint.reference import Reference

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
                f"coordlint: warning: {printable(ref.name)} logs no {EXACT_PREFIX}* tag: the "
                "built-in reference rules have nothing of it to compare",
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
    lines = [_header(held, printable(file)), *_describe(held.references)]
    click.echo(no_commands("\n".join(lines)))
    return 0


def _header(held: ReferenceFile, where: str) -> str:
    runs = len(held.references)
    written = f", written by coordlint {printable(held.coordlint)}" if held.coordlint else ""
    binned = f", other tags binned to at most {held.binned_to} points" if held.binned_to else ""
    plural = "s" if runs != 1 else ""
    return f"{where}: {runs} reference run{plural}, format {VERSION}{written}{binned}"


def _describe(references: list[Reference]) -> list[str]:
    """One block per reference: its name, config, and each tag's points, steps and last value
    (names, tags and values as printable text: a file cannot act on the terminal)."""
    lines = []
    for ref in references:
        tags = ref.tags
        lines.append(f"{printable(ref.name)}: {len(tags)} tag{'s' if len(tags) != 1 else ''}")
        config = ", ".join(f"{printable(k)}={printable(repr(ref.config[k]))}" for k in ref.config)
        lines.append(f"  config: {config or '(none kept)'}")
        width = max((len(printable(t)) for t in tags), default=0)
        for tag in tags:
            curve = ref.curve(tag)
            finite = curve.values[np.isfinite(curve.values)]
            last = f"last {finite[-1]:.6g}" if len(finite) else "no finite value"
            steps = f"steps {curve.steps[0]}–{curve.steps[-1]}" if len(curve) else "no points"
            binned = " (bin medians)" if curve.binned else ""
            name = printable(tag).ljust(width)
            lines.append(f"  {name}  {len(curve)} points{binned}, {steps}, {last}")
    return lines
