"""``coordlint summary``: the end-of-training table of each run's coord metrics."""

from __future__ import annotations

from pathlib import Path

import click

from coordlint.cli.options import (
    load_options,
    open_session,
    reference_option,
    setup_options,
    write_output,
)
from coordlint.core import summary
from coordlint.core.session import Setup
from coordlint.core.suggest import did_you_mean
from coordlint.execution.collect import LoadOptions, collect_runs
from coordlint.formatters.safe_text import no_commands, printable
from coordlint.run import Run

__all__ = ["summary_command"]


def _deprecated_format(ctx: click.Context, _param: click.Parameter, value: str | None) -> None:
    if value is not None:
        click.echo(
            "coordlint: warning: summary --format is deprecated; use -f/--output-format", err=True
        )
        ctx.meta["summary_format"] = value


@click.command("summary")
@click.argument("runs", nargs=-1, required=True, metavar="RUN...")
@click.option(
    "--output-format",
    "-f",
    "fmt",
    type=click.Choice(summary.FORMATS),
    default="text",
    show_default=True,
    help="text (aligned), markdown (pastes into a progress note), csv or json (exact values; "
    "the two read back as the same table).",
)
@click.option(
    "--format",
    type=click.Choice(summary.FORMATS),
    hidden=True,
    expose_value=False,
    callback=_deprecated_format,
)
@click.option(
    "--output",
    "-o",
    "output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the table to FILE instead of stdout.",
)
@click.option(
    "--columns",
    "columns",
    multiple=True,
    metavar="COLUMNS",
    help="The metric columns, comma-separated (repeatable): a column's name "
    "(eval_coord_soft_ce) or any tag (eval/loss). Default: the coord metrics.",
)
@click.option(
    "--checkpoints",
    is_flag=True,
    help="One row per kept checkpoint (and merged model beside it) of each RUN, with every "
    "coord metric at its step and each column's best value marked: which checkpoint to merge.",
)
@reference_option(
    "Add a row of these reference runs' medians (a reference file or runs; repeatable)."
)
@load_options(cache=False)
@setup_options
@click.pass_context
def summary_command(
    ctx: click.Context,
    runs: tuple[str, ...],
    fmt: str,
    output: Path | None,
    columns: tuple[str, ...],
    checkpoints: bool,
    references: tuple[str, ...],
    load: LoadOptions,
    setup: Setup,
) -> int:
    """End-of-training table: each run's last eval value of every coord metric."""
    fmt = ctx.meta.get("summary_format", fmt)
    if checkpoints and references:
        raise click.UsageError("--reference adds a row to the run table, not to --checkpoints")
    session = open_session(setup)
    aliases = session.settings.tag_aliases
    loaded = collect_runs(runs, load, targets=session.targets())
    faces = [Run(data, tag_aliases=aliases) for data in loaded]
    known = session.plugins.summary_columns
    names = [name.strip() for value in columns for name in value.split(",") if name.strip()]
    chosen = summary.choose_columns(names, known) if names else known
    if names:
        tags = {tag for run in faces for tag in run.tags}
        for column in summary.unlogged(faces, chosen):
            hint = did_you_mean(column, tags | {name for name, _ in known})
            click.echo(f"coordlint: warning: no run logs {printable(column)}{hint}", err=True)
    if not checkpoints:
        refs = session.use_references(references, load).references if references else ()
        table = summary.summary_table(faces, chosen, refs)
        table.index = table.index.map(lambda name: no_commands(printable(name)))
        write_output(summary.format_summary(table, fmt), output)
        return 0
    table, best = summary.checkpoint_table(faces, chosen, session.plugins.summary_better)
    if table.empty:
        shown = ", ".join(no_commands(printable(r.name)) for r in faces)
        click.echo(
            f"coordlint: no kept checkpoint-N directory beside the logs of {shown}", err=True
        )
        return 0
    table.index = table.index.map(lambda name: no_commands(printable(name)))
    write_output(summary.format_checkpoints(table, best, fmt), output)
    return 0
