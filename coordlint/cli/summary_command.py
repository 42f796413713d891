"""``coordlint summary``: the end-of-training table of each run's coord metrics."""

from __future__ import annotations

import click

from coordlint.check import summary
from coordlint.check.session import Setup
from coordlint.cli.options import load_options, open_session, setup_options
from coordlint.execution.collect import LoadOptions, collect_runs
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
    session = open_session(setup)
    aliases = session.settings.tag_aliases
    loaded = collect_runs(runs, load, targets=session.targets())
    loaded = [Run(data, tag_aliases=aliases) for data in loaded]
    table = summary.summary_table(loaded, session.plugins.summary_columns)
    click.echo(summary.format_summary(table, fmt), nl=False)
    return 0
