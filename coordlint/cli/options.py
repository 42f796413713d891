"""Option groups shared by several commands, each parsed into one typed object.

A group is a decorator: it adds its options to a command and hands the command one keyword
argument (``setup``, ``selection``, ``load``) built from them, so commands share options
without sharing hidden state.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import click

from coordlint.core.config import FAIL_LEVELS, parse_timeout
from coordlint.core.guard import DEFAULT_TIMEOUT
from coordlint.core.session import Selection, Session, Setup
from coordlint.errors import ConfigError, InputError
from coordlint.execution.collect import LoadOptions
from coordlint.loading.cache import default_cache_dir, parse_size
from coordlint.loading.remote import parse_storage_options

__all__ = [
    "CliState",
    "Gating",
    "cache_dir_option",
    "debug_option",
    "gate_options",
    "load_options",
    "open_session",
    "reference_option",
    "selection_options",
    "setup_options",
    "usable_cache_dir",
    "write_output",
]

F = TypeVar("F", bound=Callable[..., Any])


@dataclass
class CliState:
    """The invocation's state, as click's context object (``ctx.obj``): read by the group
    after the command ends, to decide how errors are shown."""

    debug: bool = False


def open_session(setup: Setup) -> Session:
    """The config and plugins ``setup`` names; what plugin authors should change goes to
    stderr, one line each."""
    session = Session.open(setup)
    for note in session.plugins.notes:
        click.echo(f"coordlint: warning: {note}", err=True)
    return session


def _set_debug(ctx: click.Context, _param: click.Parameter, value: bool) -> bool:
    state = ctx.find_object(CliState)
    if state is not None and value:
        state.debug = True
    return value


def debug_option(func: F) -> F:
    """``--debug``: tracebacks for errors and crashed rules."""
    return click.option(
        "--debug",
        is_flag=True,
        expose_value=False,
        is_eager=True,
        callback=_set_debug,
        help="Show tracebacks for errors and crashed rules.",
    )(func)


def _group(options: list[Callable[[F], F]], build: Callable[..., Any], name: str, keys: list[str]):
    """A decorator adding ``options`` and passing ``build(**their values)`` as ``name``."""

    def decorate(func: F) -> F:
        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            values = {k: kwargs.pop(k) for k in keys}
            kwargs[name] = build(**values)
            return func(*args, **kwargs)

        for option in reversed(options):
            wrapper = option(wrapper)
        return wrapper  # type: ignore[return-value]

    return decorate


def setup_options(func: F) -> F:
    """``--plugin``, ``-p no:NAME``, ``--config``, ``--isolated`` (and ``--debug``) → ``setup``."""

    def build(
        plugins: tuple[str, ...], blocked: tuple[str, ...], config_path: Path | None, isolated: bool
    ) -> Setup:
        names = []
        for value in blocked:
            if not value.startswith("no:") or len(value) <= 3:
                raise click.BadParameter(f"expected no:NAME, got {value!r}", param_hint="'-p'")
            names.append(value[3:])
        return Setup(config_path, isolated, plugins, names)

    options = [
        click.option(
            "--plugin",
            "plugins",
            multiple=True,
            metavar="MODULE_OR_FILE",
            help="Load a plugin module or .py file (repeatable).",
        ),
        click.option(
            "-p",
            "blocked",
            multiple=True,
            metavar="no:NAME",
            help="Block a plugin by name: -p no:NAME (repeatable).",
        ),
        click.option(
            "--config",
            "config_path",
            type=click.Path(dir_okay=False, path_type=Path),
            help="Config file (default: coordlint.yaml or [tool.coordlint] in "
            "pyproject.toml, searched from the current directory upward).",
        ),
        click.option("--isolated", is_flag=True, help="Ignore all configuration files."),
    ]
    keys = ["plugins", "blocked", "config_path", "isolated"]
    return debug_option(_group(options, build, "setup", keys)(func))


def _timeout(ctx: click.Context, param: click.Parameter, value: str | None) -> float | None:
    if value is None:
        return None
    try:
        return parse_timeout(float(value), "--rule-timeout")
    except (ValueError, ConfigError):
        raise click.BadParameter(
            f"{value!r} is not a number of seconds, 0 or more (0: no limit)", ctx=ctx, param=param
        ) from None


def selection_options(func: F) -> F:
    """``--select``/``--ignore``/``--extend-*``, ``--fail-on`` and ``--rule-timeout`` →
    ``selection``."""
    options = [
        click.option(
            "--fail-on",
            type=click.Choice(FAIL_LEVELS),
            default=None,
            help="Lowest severity that fails the check (default: error).",
        ),
        click.option(
            "--select", multiple=True, help="Codes or prefixes to enable (replaces config)."
        ),
        click.option(
            "--ignore", multiple=True, help="Codes or prefixes to disable (replaces config)."
        ),
        click.option("--extend-select", multiple=True, help="Codes or prefixes to enable as well."),
        click.option(
            "--extend-ignore", multiple=True, help="Codes or prefixes to disable as well."
        ),
        click.option(
            "--rule-timeout",
            metavar="SECONDS",
            callback=_timeout,
            help=f"Stop a rule call that runs longer and report it as CL900 (default "
            f"{DEFAULT_TIMEOUT:g}; 0: no limit; config key rule-timeout).",
        ),
    ]
    keys = ["fail_on", "select", "ignore", "extend_select", "extend_ignore", "rule_timeout"]

    def build(**values: Any) -> Selection:
        return Selection(**values)

    return _group(options, build, "selection", keys)(func)


@dataclass(frozen=True)
class Gating:
    """``--logs`` and ``--step``: how checkpoint RUNs are gated (see ``Session.targets``)."""

    logs: Path | None = None
    step: int | None = None


def gate_options(func: F) -> F:
    """``--logs PATH`` and ``--step N`` → ``gating``."""
    options = [
        click.option(
            "--logs",
            type=click.Path(path_type=Path),
            help="Where a checkpoint RUN's logs are (a run directory or log file), when they "
            "are not beside it and its args.json does not lead to them.",
        ),
        click.option(
            "--step",
            type=click.IntRange(min=0),
            help="Judge each RUN as of step N: a checkpoint whose name and trainer_state.json "
            "do not give its step, or a plain run as it was at step N.",
        ),
    ]
    return _group(options, Gating, "gating", ["logs", "step"])(func)


def reference_option(help_text: str) -> Callable[[F], F]:
    """``--reference FILE_OR_RUN`` (repeatable) → ``references`` (a tuple of arguments)."""
    return click.option(
        "--reference",
        "references",
        multiple=True,
        metavar="FILE_OR_RUN",
        help=help_text,
    )


def _size(ctx: click.Context, param: click.Parameter, value: str | None) -> int | None:
    try:
        return None if value is None else parse_size(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc), ctx=ctx, param=param) from None


def cache_dir_option(help_text: str) -> Callable[[F], F]:
    """``--cache-dir``: a path that is not a directory is a one-line error (exit 2)."""
    return click.option(
        "--cache-dir",
        type=click.Path(path_type=Path),
        callback=_cache_dir,
        help=help_text,
    )


def _cache_dir(ctx: click.Context, param: click.Parameter, value: Path | None) -> Path | None:
    if value is not None and value.exists() and not value.is_dir():
        raise InputError(f"--cache-dir {value} is not a directory")
    return value


def usable_cache_dir(directory: Path) -> Path | None:
    """``directory``, or ``None`` (said once on stderr) when the cache cannot be kept there: it
    or the nearest existing directory above it is not a writable directory. Not created here:
    the cache creates it on its first write."""
    existing = directory
    while not existing.exists() and existing.parent != existing:
        existing = existing.parent
    if not existing.is_dir():
        reason = f"{existing} is not a directory"
    elif not os.access(existing, os.W_OK | os.X_OK):
        reason = f"{existing} is not writable"
    else:
        return directory
    click.echo(
        f"coordlint: not caching decoded event files: cache directory {directory} is not "
        f"usable ({reason})",
        err=True,
    )
    return None


def load_options(*, cache: bool = True) -> Callable[[F], F]:
    """``--jobs``, ``--executor``, ``--storage-option`` and (with ``cache``) ``--cache-dir``,
    ``--no-cache``, ``--cache-max-size`` → ``load`` (:class:`LoadOptions`)."""
    options = [
        click.option(
            "--jobs",
            "-j",
            type=click.IntRange(min=0),
            default=1,
            show_default=True,
            help="Load runs in N worker processes (0: all cores; 1: in this process).",
        ),
        click.option(
            "--executor",
            metavar="SPEC",
            help="Where runs load: serial, process[:N], thread[:N], dask://HOST:PORT, "
            "dask-local[:N], or MODULE:CALLABLE returning a concurrent.futures Executor.",
        ),
        click.option(
            "--storage-option",
            "storage_options",
            multiple=True,
            metavar="KEY=VALUE",
            help="fsspec storage option for URL arguments (s3://...), e.g. "
            "endpoint_url=http://host:9000 (repeatable; JSON values are decoded).",
        ),
    ]
    keys = ["jobs", "executor", "storage_options"]
    if cache:
        options += [
            cache_dir_option(
                "Keep decoded event files here between checks (default: the user cache dir)."
            ),
            click.option(
                "--no-cache", is_flag=True, help="Read every event file in full; keep no cache."
            ),
            click.option(
                "--cache-max-size",
                metavar="SIZE",
                callback=_size,
                help="Keep the cache under SIZE (e.g. 500M, 4G; 0: no limit; default 4G), least "
                "recently used entries deleted first.",
            ),
        ]
        keys += ["cache_dir", "no_cache", "cache_max_size"]

    def build(
        jobs: int,
        executor: str | None,
        storage_options: tuple[str, ...],
        cache_dir: Path | None = None,
        no_cache: bool = True,
        cache_max_size: int | None = None,
    ) -> LoadOptions:
        return LoadOptions(
            jobs=jobs,
            executor=executor,
            storage_options=parse_storage_options(storage_options),
            cache_dir=None if no_cache else usable_cache_dir(cache_dir or default_cache_dir()),
            cache_max_size=cache_max_size,
        )

    return _group(options, build, "load", keys)


def write_output(text: str, output: Path | None, color: bool = False) -> None:
    """``text`` to stdout, or to the file ``output`` (``-o``): one line if it cannot be written."""
    if output is None:
        click.echo(text, nl=False, color=color)
        return
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot write to {output}: {exc.strerror or exc}") from exc
