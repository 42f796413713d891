"""``coordlint summary``: the end-of-training table of each run's coord metrics."""

from __future__ import annotations

import click

from coordlint.check import summary
from coordlint.check.session import Session, Setup
from coordlint.cli.options import load_options, setup_options
from coordlint.execution.collect import LoadOptions, collect_runs
from coordlint.formatters.safe_text import no_commands, printable
from coordlint.run import Run

__all__ = ["summary_command"]


@click.command("summary")
@click.argument("runs", nargs=-1, required=True, metavar="RUN...")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(summary.FORMATS),
    default="text",
    show_default=True,
    help="markdown pastes into a progress note.",
)
@load_options(cache=False)
@setup_options
def summary_command(runs: tuple[str, ...], fmt: str, load: LoadOptions, setup: Setup) -> int:
    """End-of-training table: each run's last eval value of every coord metric."""
    session = Session.open(setup)
    aliases = session.settings.tag_aliases
    loaded = [Run(data, tag_aliases=aliases) for data in collect_runs(runs, load)]
    table = summary.summary_table(loaded, session.plugins.summary_columns)
    table.index = table.index.map(lambda name: no_commands(printable(name)))
    click.echo(summary.format_summary(table, fmt), nl=False)
    return 0
