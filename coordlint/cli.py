"""The ``coordlint`` command: parse → call → format → exit. No logic of its own.

Exit codes: 0 nothing at or above the fail level; 1 something is; 2 usage, config, input or
plugin errors (Click's own errors included: they never turn into a 1).
"""

from __future__ import annotations

import dataclasses
import os
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click

import coordlint
from coordlint import allocator, engine, summary
from coordlint.baseline import BaselineFilter, read_baseline
from coordlint.baseline import write_baseline as write_baseline_file
from coordlint.collect import LoadOptions, collect_runs, iter_runs
from coordlint.config import FAIL_LEVELS, Settings, load_settings
from coordlint.errors import CoordlintError, InputError
from coordlint.plugins import Plugins, load_plugins
from coordlint.rule import Severity
from coordlint.run import Run

DEBUG_ENV = "COORDLINT_DEBUG"


class CoordlintGroup(click.Group):
    """Maps every error to one line on stderr and exit 2; tracebacks only with ``--debug``."""

    def main(self, *args: Any, standalone_mode: bool = True, **kwargs: Any) -> Any:  # type: ignore[override]
        global _debug_flag
        _debug_flag = False
        try:
            code = super().main(*args, standalone_mode=False, **kwargs)
        except click.exceptions.Exit as exc:
            code = exc.exit_code
        except click.ClickException as exc:  # UsageError, BadParameter, FileError, ...
            exc.show()
            code = 2
        except click.Abort:
            click.echo("coordlint: aborted", err=True)
            code = 2
        except CoordlintError as exc:
            if _debug():
                traceback.print_exc()
            click.echo(f"coordlint: error: {exc}", err=True)
            code = exc.exit_code
        except Exception as exc:  # a bug in coordlint itself: still one line unless debugging
            if _debug():
                traceback.print_exc()
            click.echo(
                f"coordlint: internal error: {type(exc).__name__}: {exc} "
                "(run with --debug for the traceback)",
                err=True,
            )
            code = 2
        code = code if isinstance(code, int) else 0
        if standalone_mode:
            sys.exit(code)
        return code


_debug_flag = False  # set by --debug for this invocation; read after the context is gone


def _debug() -> bool:
    return _debug_flag or bool(os.environ.get(DEBUG_ENV))


def _set_debug(_ctx: click.Context, _param: click.Parameter, value: bool) -> bool:
    global _debug_flag
    _debug_flag = _debug_flag or value
    return value


def _codes(values: Sequence[str]) -> list[str]:
    return [c for v in values for c in v.replace(",", " ").split() if c]


debug_option = click.option(
    "--debug",
    is_flag=True,
    expose_value=False,
    is_eager=True,
    callback=_set_debug,
    help="Show tracebacks for errors and crashed rules.",
)


def _remember(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
    """Keep an option's value in the context, for the helpers every command shares."""
    ctx.meta[f"coordlint.{param.name}"] = value
    return value


def _remember_size(ctx: click.Context, param: click.Parameter, value: str | None) -> int | None:
    from coordlint.loading.cache import parse_size

    try:
        size = None if value is None else parse_size(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc), ctx=ctx, param=param) from None
    return _remember(ctx, param, size)


# Plugins and config, shared by every command; read by _setup() from the context.
plugin_options = [
    click.option(
        "--plugin",
        "plugins",
        multiple=True,
        metavar="MODULE_OR_FILE",
        expose_value=False,
        callback=_remember,
        help="Load a plugin module or .py file (repeatable).",
    ),
    click.option(
        "-p",
        "blocked",
        multiple=True,
        metavar="no:NAME",
        expose_value=False,
        callback=_remember,
        help="Block a plugin by name: -p no:NAME (repeatable).",
    ),
    click.option(
        "--config",
        "config_path",
        type=click.Path(dir_okay=False, path_type=Path),
        expose_value=False,
        callback=_remember,
        help="Config file (default: coordlint.yaml or [tool.coordlint] in "
        "pyproject.toml, searched from the current directory upward).",
    ),
    click.option(
        "--isolated",
        is_flag=True,
        expose_value=False,
        callback=_remember,
        help="Ignore all configuration files.",
    ),
]


def with_plugin_options(func: Any) -> Any:
    for option in reversed(plugin_options):
        func = option(func)
    return debug_option(func)


# Where and how runs load; read by load_runs from the context (check, watch).
scale_options = [
    click.option(
        "--jobs",
        "-j",
        type=click.IntRange(min=0),
        default=1,
        show_default=True,
        expose_value=False,
        callback=_remember,
        help="Load runs in N worker processes (0: all cores; 1: in this process).",
    ),
    click.option(
        "--executor",
        metavar="SPEC",
        expose_value=False,
        callback=_remember,
        help="Where runs load: serial, process[:N], thread[:N], dask://HOST:PORT, "
        "dask-local[:N], or MODULE:CALLABLE returning a concurrent.futures Executor.",
    ),
    click.option(
        "--storage-option",
        "storage_options",
        multiple=True,
        metavar="KEY=VALUE",
        expose_value=False,
        callback=_remember,
        help="fsspec storage option for URL arguments (s3://...), e.g. "
        "endpoint_url=http://host:9000 (repeatable; JSON values are decoded).",
    ),
]


def with_scale_options(func: Any) -> Any:
    for option in reversed(scale_options):
        func = option(func)
    return func


def _setup() -> tuple[Settings, Plugins]:
    """The config and plugins the running command's options name."""
    meta = click.get_current_context().meta
    config_path = meta.get("coordlint.config_path")
    settings = load_settings(config_path, discover=not meta.get("coordlint.isolated", False))
    names = []
    for value in meta.get("coordlint.blocked", ()):
        if not value.startswith("no:") or len(value) <= 3:
            raise click.BadParameter(f"expected no:NAME, got {value!r}", param_hint="'-p'")
        names.append(value[3:])
    plugins = meta.get("coordlint.plugins", ())
    loaded = load_plugins([*settings.plugins, *plugins], blocked=names)
    return settings, loaded


@click.group(cls=CoordlintGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(coordlint.__version__, prog_name="coordlint")
def cli() -> None:
    """Lint the training logs of coordinate-token vision-language models."""


@cli.command()
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
    "--fail-on",
    type=click.Choice(FAIL_LEVELS),
    default=None,
    help="Lowest severity that fails the check (default: error).",
)
@click.option("--exit-zero", is_flag=True, help="Exit 0 even when findings fail the check.")
@click.option("--select", multiple=True, help="Codes or prefixes to enable (replaces config).")
@click.option("--ignore", multiple=True, help="Codes or prefixes to disable (replaces config).")
@click.option("--extend-select", multiple=True, help="Codes or prefixes to enable as well.")
@click.option("--extend-ignore", multiple=True, help="Codes or prefixes to disable as well.")
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
    "--cache-dir",
    type=click.Path(file_okay=False, path_type=Path),
    expose_value=False,
    callback=_remember,
    help="Keep decoded event files here between checks (default: the user cache dir).",
)
@click.option(
    "--no-cache",
    is_flag=True,
    expose_value=False,
    callback=_remember,
    help="Read every event file in full; keep no cache.",
)
@click.option(
    "--cache-max-size",
    metavar="SIZE",
    expose_value=False,
    callback=_remember_size,
    help="Keep the cache under SIZE (e.g. 500M, 4G; 0: no limit; default 4G), least recently "
    "used entries deleted first.",
)
@with_scale_options
@with_plugin_options
def check(
    runs: tuple[str, ...],
    output_format: str,
    output: Path | None,
    fail_on: str | None,
    exit_zero: bool,
    select: tuple[str, ...],
    ignore: tuple[str, ...],
    extend_select: tuple[str, ...],
    extend_ignore: tuple[str, ...],
    color: str,
    baseline: Path | None,
    write_baseline: Path | None,
    show_settings: bool,
) -> int:
    """Check each RUN (an event file, a run directory, or a logdir of runs)."""
    settings, loaded = _setup()
    _select(settings, loaded, select, ignore, extend_select, extend_ignore, fail_on)
    formatter = loaded.formatters.get(output_format)
    if formatter is None:
        raise click.BadParameter(
            f"{output_format!r} is not one of {', '.join(sorted(loaded.formatters))}",
            param_hint="'--output-format'",
        )
    if show_settings:
        click.echo(describe_settings(settings, loaded), nl=False)
        return 0
    baseline_filter = BaselineFilter(read_baseline(baseline)) if baseline else None
    # Rules run on each run as it arrives, while worker processes (--jobs) load the next ones.
    arriving = iter_runs(runs, _load_options(), settings.tag_aliases, label="checking runs")
    report = engine.check(
        arriving,
        loaded.rules,
        settings,
        version=coordlint.__version__,
        suppress=[baseline_filter] if baseline_filter else [],
    )
    if write_baseline is not None:
        entries = write_baseline_file(write_baseline, report.findings, coordlint.__version__)
        click.echo(f"coordlint: wrote {entries} baseline entries to {write_baseline}", err=True)
        return 0
    if baseline_filter is not None:
        _say_baseline(baseline_filter)
    if not _debug():
        report.tracebacks.clear()
    report.color = output is None and _want_color(color)
    text = formatter(report)
    if output is None:
        click.echo(text, nl=False, color=report.color)
    else:
        try:
            output.write_text(text, encoding="utf-8")
        except OSError as exc:
            raise InputError(f"cannot write report to {output}: {exc.strerror or exc}") from exc
    return 0 if exit_zero else report.exit_code


def _select(
    settings: Settings,
    loaded: Plugins,
    select: Sequence[str],
    ignore: Sequence[str],
    extend_select: Sequence[str],
    extend_ignore: Sequence[str],
    fail_on: str | None,
) -> None:
    """Apply the command line's rule selection and fail level to ``settings``; validate."""
    if select:
        settings.select = _codes(select)
    if ignore:
        settings.ignore = _codes(ignore)
    settings.extend_select += _codes(extend_select)
    settings.extend_ignore += _codes(extend_ignore)
    if fail_on is not None:
        settings.fail_on = None if fail_on == "never" else Severity.parse(fail_on)
    settings.validate(loaded.rules)


def _say_baseline(baseline: BaselineFilter) -> None:
    stale = baseline.stale
    line = f"coordlint: {baseline.matched} finding(s) baselined"
    if stale:
        shown = ", ".join(f"{run} {code}" + (f" {tag}" if tag else "") for run, code, tag in stale)
        line += f"; {len(stale)} baseline entr{'y' if len(stale) == 1 else 'ies'} no longer "
        line += f"occur: {shown}"
    click.echo(line, err=True)


def describe_settings(settings: Settings, loaded: Plugins) -> str:
    """The effective settings, one ``key: value`` a line (``--show-settings``)."""
    enabled = [r.code for r in engine.select_rules(loaded.rules, settings)]
    fail_on = "never" if settings.fail_on is None else str(settings.fail_on)
    lines = [
        f"config: {settings.path or '(none)'}",
        f"select: {', '.join(settings.select + settings.extend_select) or '-'}",
        f"ignore: {', '.join(settings.ignore + settings.extend_ignore) or '-'}",
        f"fail-on: {fail_on}",
        f"enabled rules: {', '.join(enabled) or '-'}",
        f"plugins: {', '.join(loaded.info)}",
    ]
    for entry in settings.suppressions:
        lines.append(f"ignored: {entry.code} on runs {entry.runs!r}: {entry.reason}")
    for code, level in sorted(settings.severity.items()):
        lines.append(f"severity: {code} = {level}")
    for code, params in sorted(settings.params.items()):
        lines.append(f"params: {code} " + ", ".join(f"{k}={v!r}" for k, v in params.items()))
    for tag, aliases in sorted(settings.tag_aliases.items()):
        lines.append(f"tag-alias: {tag} <- {', '.join(aliases)}")
    return "\n".join(lines) + "\n"


def load_runs(arguments: Sequence[str], settings: Settings) -> list[Run]:
    """Load the runs of ``arguments`` the way the running command's options say."""
    return collect_runs(arguments, _load_options(), settings.tag_aliases)


def _load_options() -> LoadOptions:
    """``--jobs``, ``--executor``, ``--storage-option``, ``--cache-dir``/``--no-cache`` of the
    running command (commands without cache options load without a cache)."""
    from coordlint.loading.cache import default_cache_dir
    from coordlint.remote import parse_storage_options

    ctx = click.get_current_context(silent=True)
    meta = ctx.meta if ctx is not None else {}
    cache_dir = None
    if "coordlint.no_cache" in meta and not meta["coordlint.no_cache"]:
        cache_dir = meta.get("coordlint.cache_dir") or default_cache_dir()
    return LoadOptions(
        jobs=meta.get("coordlint.jobs", 1),
        executor=meta.get("coordlint.executor"),
        storage_options=parse_storage_options(meta.get("coordlint.storage_options", ())),
        cache_dir=cache_dir,
        cache_max_size=meta.get("coordlint.cache_max_size"),
    )


def _want_color(choice: str) -> bool:
    if choice == "always":
        return True
    if choice == "never" or os.environ.get("NO_COLOR"):
        return False
    return sys.stdout.isatty()


@cli.command("rules")
@click.option("--all", "show_all", is_flag=True, help="Include rules the config disables.")
@with_plugin_options
def rules_command(
    show_all: bool,
) -> int:
    """List every rule: code, name, default severity, and the plugin it comes from."""
    settings, loaded = _setup()
    settings.validate(loaded.rules)
    enabled = {r.code for r in engine.select_rules(loaded.rules, settings)}
    rows = [
        (r.code, r.name, str(settings.severity.get(r.code, r.severity)), r.plugin, r.summary)
        for r in loaded.rules.values()
        if show_all or r.code in enabled
    ]
    widths = [max([len(h), *(len(row[i]) for row in rows)]) for i, h in enumerate(_RULE_HEADER)]
    for row in [_RULE_HEADER, *rows]:
        click.echo(
            "  ".join(c.ljust(w) for c, w in zip(row[:4], widths, strict=False)) + "  " + row[4]
        )
    return 0


_RULE_HEADER = ("CODE", "NAME", "SEVERITY", "PLUGIN", "SUMMARY")


@cli.command()
@click.argument("code")
@with_plugin_options
def explain(
    code: str,
) -> int:
    """Print one rule's documentation."""
    _, loaded = _setup()
    rule = loaded.rules.get(code.upper())
    if rule is None:
        raise click.BadParameter(
            f"no rule has code {code!r} (see 'coordlint rules')", param_hint="'CODE'"
        )
    click.echo(
        f"{rule.code} {rule.name} (default severity: {rule.severity}; "
        f"plugin: {rule.plugin}; scope: {rule.scope})\n"
    )
    click.echo(rule.doc)
    if rule.params:
        click.echo(f"\nParams (override in config under params.{rule.code}):")
        for name, default in rule.params.items():
            click.echo(f"  {name} = {default!r}")
    return 0


@cli.command("plugins")
@with_plugin_options
def plugins_command() -> int:
    """List loaded plugins: name, version, where it came from, its rules."""
    _, loaded = _setup()
    for info in loaded.info.values():
        rules = ", ".join(info.rules) or "-"
        click.echo(f"{info.name}  {info.version or '-'}  ({info.origin})  rules: {rules}")
    return 0


@cli.command("summary")
@click.argument("runs", nargs=-1, required=True, metavar="RUN...")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(summary.FORMATS),
    default="text",
    show_default=True,
    help="markdown pastes into a progress note.",
)
@with_scale_options
@with_plugin_options
def summary_command(runs: tuple[str, ...], fmt: str) -> int:
    """End-of-training table: each run's last eval value of every coord metric."""
    settings, _ = _setup()
    table = summary.summary_table(load_runs(runs, settings))
    click.echo(summary.format_summary(table, fmt), nl=False)
    return 0


@cli.command("watch")
@click.argument("runs", nargs=-1, required=True, metavar="RUN...")
@click.option(
    "--interval",
    type=click.FloatRange(min=0),
    default=30.0,
    show_default=True,
    help="Seconds between checks.",
)
@click.option("--max-checks", type=click.IntRange(min=1), default=None, hidden=True)
@with_scale_options
@with_plugin_options
def watch_command(
    runs: tuple[str, ...],
    interval: float,
    max_checks: int | None,
    **selection: Any,
) -> int:
    """Re-check growing RUNs every --interval seconds; print only new findings. Ctrl-C stops.

    A finding is new the first time its (run, code, tag, key step, severity) appears: a
    finding whose numbers change every eval is printed once, a new best step again.
    """
    from coordlint.formatters.text_format import format_report
    from coordlint.parallel import open_executor
    from coordlint.watch import watch_loop

    settings, loaded = _setup()
    color = _want_color(selection.pop("color"))
    _select(settings, loaded, **selection)
    options = _load_options()
    last_error: list[str] = []

    def check_once() -> Any:
        runs_now = collect_runs(runs, options, settings.tag_aliases, executor)
        return engine.check(runs_now, loaded.rules, settings, version=coordlint.__version__)

    def emit(report: Any, new: list[Any]) -> None:
        last_error.clear()
        if new:
            shown = dataclasses.replace(report, findings=new, color=color)
            shown.tracebacks = report.tracebacks if _debug() else {}
            lines = format_report(shown).splitlines()[:-1]  # not the summary line
            click.echo("\n".join(lines), color=color)

    def on_error(exc: CoordlintError) -> None:
        if last_error != [str(exc)]:
            click.echo(f"coordlint: error (retrying): {exc}", err=True)
        last_error[:] = [str(exc)]

    click.echo(
        f"coordlint: watching {', '.join(runs)} every {interval:g}s (Ctrl-C to stop)", err=True
    )
    with open_executor(options.executor, options.jobs) as executor:
        result = watch_loop(
            check_once, emit, interval=interval, iterations=max_checks, on_error=on_error
        )
    if result.interrupted:
        click.echo(f"coordlint: stopped after {result.checks} check(s)", err=True)
        return 0
    return result.report.exit_code if result.report is not None else 0


watch_command.params[3:3] = [
    p
    for p in check.params
    if p.name in {"fail_on", "select", "ignore", "extend_select", "extend_ignore", "color"}
    or p.name in {"cache_dir", "no_cache", "cache_max_size"}
]


@cli.command("clean")
@click.option(
    "--cache-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="The cache directory to empty (default: the user cache dir).",
)
def clean_command(cache_dir: Path | None) -> int:
    """Delete the cache of decoded event files."""
    from coordlint.loading.cache import Cache, default_cache_dir

    directory = cache_dir or default_cache_dir()
    count, size = Cache(directory).clear()
    click.echo(
        f"coordlint: removed {count} cache file(s), {size / 2**20:.1f} MiB, from {directory}"
    )
    return 0


def main() -> None:
    """Console-script entry point."""
    allocator.tune()
    cli.main(prog_name="coordlint")
