"""``coordlint summary``: the end-of-training table of each run's coord metrics."""

from __future__ import annotations

import click

from coordlint.cli.options import load_options, open_session, setup_options
from coordlint.core import summary
from coordlint.core.session import Setup
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
@click.option(
    "--checkpoints",
    is_flag=True,
    help="One row per kept checkpoint (and merged model beside it) of each RUN, with every "
    "coord metric at its step and each column's best value marked: which checkpoint to merge.",
)
@load_options(cache=False)
@setup_options
def summary_command(
    runs: tuple[str, ...], fmt: str, checkpoints: bool, load: LoadOptions, setup: Setup
) -> int:
    """End-of-training table: each run's last eval value of every coord metric."""
    session = open_session(setup)
    aliases = session.settings.tag_aliases
    loaded = collect_runs(runs, load, targets=session.targets())
    faces = [Run(data, tag_aliases=aliases) for data in loaded]
    columns = session.plugins.summary_columns
    if not checkpoints:
        table = summary.summary_table(faces, columns)
        table.index = table.index.map(lambda name: no_commands(printable(name)))
        click.echo(summary.format_summary(table, fmt), nl=False)
        return 0
    table, best = summary.checkpoint_table(faces, columns, session.plugins.summary_better)
    if table.empty:
        names = ", ".join(no_commands(printable(r.name)) for r in faces)
        click.echo(
            f"coordlint: no kept checkpoint-N directory beside the logs of {names}", err=True
        )
        return 0
    table.index = table.index.map(lambda name: no_commands(printable(name)))
    click.echo(summary.format_checkpoints(table, best, fmt), nl=False)
    return 0
