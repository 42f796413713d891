"""The ``coordlint`` command: parse → call → render → exit. One module per command group.

Exit codes: 0 nothing at or above the fail level; 1 something is; 2 usage, config, input or
plugin errors (Click's own errors included: they never turn into a 1).
"""

from __future__ import annotations

import os
import sys
import traceback
from collections.abc import Sequence
from typing import Any

import click

import coordlint
from coordlint.cli import allocator
from coordlint.cli.check_command import check
from coordlint.cli.options import CliState
from coordlint.cli.reference_commands import reference_group
from coordlint.cli.rules_commands import explain, plugins_command, rules_command
from coordlint.cli.summary_command import summary_command
from coordlint.cli.watch_command import clean_command, watch_command
from coordlint.errors import CoordlintError
from coordlint.formatters.safe_text import printable

__all__ = ["DEBUG_ENV", "cli", "main"]

DEBUG_ENV = "COORDLINT_DEBUG"


class CoordlintGroup(click.Group):
    """Maps every error to one line on stderr and exit 2; tracebacks only with ``--debug``.
    The line is printable: a path or name in it cannot act on the terminal. Click's usage
    errors (a missing argument, an unknown option, an invalid value) are the same one line,
    ``coordlint: error: ...``, with where the command's help is."""

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        state = CliState(debug=bool(os.environ.get(DEBUG_ENV)))
        try:
            code = super().main(
                args, prog_name, complete_var, standalone_mode=False, obj=state, **extra
            )
        except click.exceptions.Exit as exc:
            code = exc.exit_code
        except click.exceptions.NoArgsIsHelpError as exc:  # bare `coordlint`: the help
            exc.show()
            code = 2
        except click.ClickException as exc:  # UsageError, BadParameter, FileError, ...
            click.echo(f"coordlint: error: {_usage_message(exc)}{_hint(exc)}", err=True)
            code = 2
        except click.Abort:
            click.echo("coordlint: aborted", err=True)
            code = 2
        except CoordlintError as exc:
            if state.debug:
                traceback.print_exc()
            click.echo(f"coordlint: error: {printable(exc)}", err=True)
            code = exc.exit_code
        except Exception as exc:  # a bug in coordlint itself: still one line unless debugging
            if state.debug:
                traceback.print_exc()
            click.echo(
                f"coordlint: internal error: {type(exc).__name__}: {printable(exc)} "
                "(run with --debug for the traceback)",
                err=True,
            )
            code = 2
        code = code if isinstance(code, int) else 0
        if standalone_mode:
            sys.exit(code)
        return code


def _usage_message(exc: click.ClickException) -> str:
    """Click's message in coordlint's style: a lower-case start, no closing full stop."""
    text = printable(exc.format_message()).rstrip(".")
    if len(text) > 1 and text[0].isupper() and text[1].islower():
        text = text[0].lower() + text[1:]
    return text


def _hint(exc: click.ClickException) -> str:
    """Where a usage error's command documents its options: `` (see 'coordlint check --help')``."""
    ctx = getattr(exc, "ctx", None)
    if isinstance(exc, click.UsageError) and ctx is not None:
        return f" (see '{ctx.command_path} --help')"
    return ""


@click.group(cls=CoordlintGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(coordlint.__version__, prog_name="coordlint")
def cli() -> None:
    """Lint the training logs of coordinate-token vision-language models."""


for _command in (
    check,
    rules_command,
    explain,
    plugins_command,
    summary_command,
    watch_command,
    clean_command,
    reference_group,
):
    cli.add_command(_command)


def main() -> None:
    """Console-script entry point."""
    allocator.tune()
    cli.main(prog_name="coordlint")
