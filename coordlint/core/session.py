"""One check, from options to a report: the config and plugins an invocation names, the rule
selection, the runs, the engine. The CLI and the Python API are two faces of these calls.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from coordlint.core import engine
from coordlint.core.baseline import BaselineFilter
from coordlint.core.config import FAIL_LEVELS, Settings, load_settings, parse_timeout
from coordlint.core.plugins import Plugins, load_plugins
from coordlint.core.references import load_references
from coordlint.core.suggest import did_you_mean
from coordlint.errors import ConfigError
from coordlint.execution.collect import LoadOptions
from coordlint.execution.naming import project_root
from coordlint.execution.plan import Targets
from coordlint.reference import Reference
from coordlint.report import Report
from coordlint.rule import Severity
from coordlint.run import Run
from coordlint.rundata import RunData

__all__ = ["Selection", "Session", "Setup", "describe_settings", "split_codes"]


@dataclass(frozen=True)
class Setup:
    """Where settings and rules come from: a config file (``None``: found from the current
    directory up; ``isolated``: none at all), plugin modules or files, blocked plugins."""

    config: Path | None = None
    isolated: bool = False
    plugins: Sequence[str] = ()
    blocked: Sequence[str] = ()
    #: Load entry-point plugins (``None``: unless COORDLINT_DISABLE_PLUGIN_AUTOLOAD is set).
    autoload: bool | None = None


@dataclass(frozen=True)
class Selection:
    """The command line's rule selection and fail level, applied over the config's."""

    select: Sequence[str] = ()
    ignore: Sequence[str] = ()
    extend_select: Sequence[str] = ()
    extend_ignore: Sequence[str] = ()
    fail_on: str | None = None
    #: Seconds one rule call may run (``--rule-timeout``; 0: no limit; None: the config's).
    rule_timeout: float | None = None


def split_codes(values: Iterable[str]) -> list[str]:
    """``["CL2,CL9", "TM1"]`` → ``["CL2", "CL9", "TM1"]`` (commas or spaces separate)."""
    return [c for v in values for c in v.replace(",", " ").split() if c]


@dataclass
class Session:
    """The settings and loaded plugins of one invocation."""

    settings: Settings
    plugins: Plugins
    suppress: list[engine.Suppress] = field(default_factory=list)
    #: The reference runs every checked run is compared with (``run.references``).
    references: tuple[Reference, ...] = ()

    @classmethod
    def open(cls, setup: Setup = Setup()) -> Session:
        """Read the config and load the plugins ``setup`` names (raises ConfigError/PluginError)."""
        settings = load_settings(setup.config, discover=not setup.isolated)
        loaded = load_plugins(
            [*settings.plugins, *setup.plugins], blocked=setup.blocked, autoload=setup.autoload
        )
        return cls(settings, loaded)

    def select(self, selection: Selection = Selection()) -> Session:
        """Apply ``selection`` over the config and validate every code; returns self."""
        settings = self.settings
        if selection.select:
            settings.select = split_codes(selection.select)
        if selection.ignore:
            settings.ignore = split_codes(selection.ignore)
        settings.extend_select += split_codes(selection.extend_select)
        settings.extend_ignore += split_codes(selection.extend_ignore)
        if selection.fail_on is not None:
            if selection.fail_on not in FAIL_LEVELS:
                raise ConfigError(
                    f"fail-on {selection.fail_on!r} is not one of {', '.join(FAIL_LEVELS)}"
                    f"{did_you_mean(selection.fail_on, FAIL_LEVELS)}"
                )
            fail_on = selection.fail_on
            settings.fail_on = None if fail_on == "never" else Severity.parse(fail_on)
        if selection.rule_timeout is not None:
            settings.rule_timeout = parse_timeout(selection.rule_timeout, "rule-timeout")
        settings.validate(self.plugins.rules)
        return self

    def targets(self, logs: Path | None = None, step: int | None = None) -> Targets:
        """What RUN arguments name in this invocation: runs are named relative to the project
        root (the config file's directory, else the git work tree's root, else the current
        directory); checkpoints are gated with ``logs``/``step`` (``--logs``/``--step``) and
        the config's ``checkpoints:`` entries; the plugins' sources recognise other log stores,
        and the config's ``sources:`` globs name the files read as tables."""
        settings = self.settings
        root = project_root(settings.path)
        sources = tuple(self.plugins.sources)
        globs = tuple(settings.sources)
        return Targets(root, logs, step, tuple(settings.checkpoints), sources, globs)

    def baseline(self, baseline: BaselineFilter) -> None:
        """Report and fail only on findings ``baseline`` does not hold."""
        self.suppress.append(baseline)

    def use_references(
        self, items: Sequence[str] | None = None, load: LoadOptions | None = None
    ) -> Session:
        """Load, once, the reference files and runs ``items`` name (``None``: the config's
        ``reference:`` entries) for :meth:`check` to attach to every run; returns self."""
        chosen = self.settings.references if items is None else list(items)
        self.references = load_references(
            chosen,
            self.plugins.reference_config,
            load or LoadOptions(),
            targets=self.targets(),
            tag_aliases=self.settings.tag_aliases,
        )
        return self

    def check(self, runs: Iterable[RunData | Run], version: str = "") -> Report:
        """Run every enabled rule over ``runs`` (each as it arrives), each with the session's
        references attached."""
        if self.references:
            runs = self._with_references(runs)
        report = engine.check(
            runs,
            self.plugins.rules,
            self.settings,
            version=version,
            suppress=self.suppress,
            config_types=self.plugins.config_keys,
        )
        report.formatters = dict(self.plugins.formatters)
        report.summary_columns = list(self.plugins.summary_columns)
        report.summary_better = dict(self.plugins.summary_better)
        return report

    def _with_references(self, runs: Iterable[RunData | Run]) -> Iterator[Run]:
        aliases = self.settings.tag_aliases
        for item in runs:
            face = item if isinstance(item, Run) else Run(item, tag_aliases=aliases)
            yield face._with_references(self.references)


def describe_settings(session: Session) -> str:
    """The effective settings, one ``key: value`` a line (``--show-settings``)."""
    settings, loaded = session.settings, session.plugins
    enabled = [r.code for r in engine.select_rules(loaded.rules, settings)]
    fail_on = "never" if settings.fail_on is None else str(settings.fail_on)
    lines = [
        f"config: {settings.path or '(none)'}",
        f"select: {', '.join(settings.select + settings.extend_select) or '-'}",
        f"ignore: {', '.join(settings.ignore + settings.extend_ignore) or '-'}",
        f"fail-on: {fail_on}",
        f"rule-timeout: {f'{settings.rule_timeout:g} s' if settings.rule_timeout else 'none'}",
        f"enabled rules: {', '.join(enabled) or '-'}",
        f"plugins: {', '.join(loaded.info)}",
        f"sources: {', '.join(source.name for source in loaded.sources)}",
    ]
    for entry in settings.suppressions:
        lines.append(f"ignored: {entry.code} on runs {entry.runs!r}: {entry.reason}")
    for code, level in sorted(settings.severity.items()):
        lines.append(f"severity: {code} = {level}")
    for code, params in sorted(settings.params.items()):
        lines.append(f"params: {code} " + ", ".join(f"{k}={v!r}" for k, v in params.items()))
    for tag, aliases in sorted(settings.tag_aliases.items()):
        lines.append(f"tag-alias: {tag} <- {', '.join(aliases)}")
    for pattern in settings.sources:
        lines.append(f"source glob: {pattern}")
    for item in settings.references:
        lines.append(f"reference: {item}")
    for checkpoint in settings.checkpoints:
        step = "" if checkpoint.step is None else f" at step {checkpoint.step}"
        lines.append(f"checkpoints: {checkpoint.path} <- logs {checkpoint.logs}{step}")
    return "\n".join(lines) + "\n"
