"""``coordlint.yaml`` / ``[tool.coordlint]``: find it, parse it safely, validate every key.

An invalid config is a :class:`~coordlint.errors.ConfigError` (exit 2) that names the key and
the line (files are read by :mod:`coordlint.core.config_files`, which bounds and checks them).
Rule codes and params are checked once the plugins are loaded (:meth:`Settings.validate`),
since only then is it known which rules exist.
"""

from __future__ import annotations

import fnmatch
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from coordlint.core.config_files import configures_coordlint, read_pyproject, read_yaml
from coordlint.core.engine_findings import refuse_engine_code
from coordlint.core.guard import DEFAULT_TIMEOUT
from coordlint.core.selection import ALL, validate_entries
from coordlint.core.suggest import did_you_mean
from coordlint.errors import ConfigError
from coordlint.execution.checkpoints import CheckpointEntry
from coordlint.rule import Rule, Severity

CONFIG_NAMES = ("coordlint.yaml", "coordlint.yml", ".coordlint.yaml")
FAIL_LEVELS = ("info", "warning", "error", "never")
#: Every key a config may hold.
CONFIG_KEYS = (
    "select",
    "ignore",
    "extend-select",
    "extend-ignore",
    "fail-on",
    "severity",
    "params",
    "tag-aliases",
    "plugins",
    "checkpoints",
    "rule-timeout",
    "reference",
    "sources",
)


@dataclass(frozen=True)
class Suppression:
    """An ignore entry with a reason: the rule runs, its findings on matching runs are suppressed
    (listed with the reason in JSON, never failing the check)."""

    code: str  # a code or prefix, or ALL
    runs: str  # a glob over run names
    reason: str

    def matches(self, code: str, run: str) -> bool:
        return (self.code == ALL or code.startswith(self.code)) and fnmatch.fnmatchcase(
            run, self.runs
        )


@dataclass
class Settings:
    """The effective configuration of one invocation (config file, then command line)."""

    select: list[str] = field(default_factory=lambda: [ALL])
    ignore: list[str] = field(default_factory=list)
    extend_select: list[str] = field(default_factory=list)
    extend_ignore: list[str] = field(default_factory=list)
    fail_on: Severity | None = Severity.ERROR
    severity: dict[str, Severity] = field(default_factory=dict)
    params: dict[str, dict[str, Any]] = field(default_factory=dict)
    tag_aliases: dict[str, tuple[str, ...]] = field(default_factory=dict)
    plugins: list[str] = field(default_factory=list)
    suppressions: list[Suppression] = field(default_factory=list)
    #: ``checkpoints:`` entries: where the logs of matching checkpoint directories are.
    checkpoints: list[CheckpointEntry] = field(default_factory=list)
    #: Seconds one rule call may run before it is stopped as a CL900 (0: no limit).
    rule_timeout: float = DEFAULT_TIMEOUT
    #: ``sources:`` globs (absolute): the files discovery reads as runs (CSV/JSONL tables).
    sources: list[str] = field(default_factory=list)
    #: ``reference:`` entries: reference files or runs to compare every run with.
    references: list[str] = field(default_factory=list)
    path: Path | None = None
    lines: dict[tuple[str, ...], int] = field(default_factory=dict, repr=False)

    def where(self, *key: str) -> str:
        """``coordlint.yaml:12: params.CL201.min_rise`` — where a key came from, for errors."""
        dotted = ".".join(key)
        if self.path is None:
            return dotted
        line = self.lines.get(tuple(key))
        return f"{self.path}:{line}: {dotted}" if line else f"{self.path}: {dotted}"

    def validate(self, rules: Mapping[str, Rule]) -> None:
        """Check codes, prefixes and params against the loaded rules; normalise entries."""
        for key in ("select", "ignore", "extend_select", "extend_ignore"):
            where = self.where(key.replace("_", "-"))
            for entry in getattr(self, key):
                refuse_engine_code(entry, where)
            setattr(self, key, validate_entries(getattr(self, key), rules, where))
        for i, entry in enumerate(self.suppressions):
            refuse_engine_code(entry.code, self.where("ignore"))
            (code,) = validate_entries([entry.code], rules, self.where("ignore"))
            self.suppressions[i] = Suppression(code, entry.runs, entry.reason)
        for code in self.severity:
            refuse_engine_code(code, self.where("severity", code))
            if code not in rules:
                hint = did_you_mean(code, rules)
                raise ConfigError(
                    f"{self.where('severity', code)}: unknown rule code {code!r}{hint}"
                )
        for code, overrides in self.params.items():
            refuse_engine_code(code, self.where("params", code))
            if code not in rules:
                hint = did_you_mean(code, rules)
                raise ConfigError(f"{self.where('params', code)}: unknown rule code {code!r}{hint}")
            declared = rules[code].params
            for name, value in overrides.items():
                where = self.where("params", code, name)
                if name not in declared:
                    known = ", ".join(sorted(declared)) or "none"
                    raise ConfigError(
                        f"{where}: rule {code} has no param {name!r}{did_you_mean(name, declared)}"
                        f" (its params: {known})"
                    )
                if not _same_type(declared[name], value):
                    raise ConfigError(
                        f"{where}: rule {code} param {name!r} must be "
                        f"{type(declared[name]).__name__}, got {type(value).__name__} {value!r}"
                    )

    def params_for(self, rule: Rule) -> dict[str, Any]:
        """The rule's declared params with this config's overrides applied."""
        return {**rule.params, **self.params.get(rule.code, {})}


def _same_type(default: Any, value: Any) -> bool:
    if default is None:
        return True
    if isinstance(default, bool) or isinstance(value, bool):
        return isinstance(default, bool) and isinstance(value, bool)
    if isinstance(default, float):
        return isinstance(value, (int, float))
    if isinstance(default, (list, tuple)):
        return isinstance(value, (list, tuple))
    return isinstance(value, type(default))


def parse_timeout(value: Any, where: str) -> float:
    """A time limit in seconds: a finite number, 0 or more (0: no limit)."""
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float))
        or not math.isfinite(value)
        or value < 0
    ):
        raise ConfigError(f"{where}: must be a number of seconds, 0 or more (0: no limit)")
    return float(value)


def find_config(start: Path | None = None) -> Path | None:
    """The nearest coordlint.yaml, or pyproject.toml with [tool.coordlint], from ``start`` up.

    A pyproject.toml is parsed only when a line scan finds a ``[tool.coordlint]`` section in it
    (see :func:`~coordlint.core.config_files.configures_coordlint`): another tool's broken
    pyproject.toml is none of coordlint's business."""
    here = (start or Path.cwd()).resolve()
    for directory in (here, *here.parents):
        for name in CONFIG_NAMES:
            if (directory / name).is_file():
                return directory / name
        pyproject = directory / "pyproject.toml"
        if (
            pyproject.is_file()
            and configures_coordlint(pyproject)
            and read_pyproject(pyproject)[0] is not None
        ):
            return pyproject
    return None


def load_settings(path: Path | None = None, *, discover: bool = True) -> Settings:
    """Read ``path`` (or the discovered config) into Settings; defaults when there is none."""
    if path is None and discover:
        path = find_config()
    if path is None:
        return Settings()
    if not path.is_file():
        raise ConfigError(f"config file not found: {path}")
    if path.name == "pyproject.toml":
        section, lines = read_pyproject(path)
        data: Any = section or {}
    else:
        data, lines = read_yaml(path)
        if data is None:
            data = {}
        if not isinstance(data, dict):
            raise ConfigError(
                f"{path}:1: the config must be a mapping of keys, not a {type(data).__name__}"
            )
    return _parse(data, Settings(path=path, lines=lines))


def _expect(settings: Settings, value: Any, kind: type, *key: str) -> Any:
    if not isinstance(value, kind):
        raise ConfigError(
            f"{settings.where(*key)}: must be a {kind.__name__}, got {type(value).__name__} "
            f"{value!r}"
        )
    return value


def _codes(settings: Settings, value: Any, key: str) -> list[str]:
    if isinstance(value, str):
        value = [v for v in value.replace(",", " ").split() if v]
    _expect(settings, value, list, key)
    for item in value:
        _expect(settings, item, str, key)
    return list(value)


def _suppression(settings: Settings, entry: dict[str, Any], key: str) -> Suppression:
    """``{code: CL503, runs: "sweeps/*", reason: "..."}``: code and reason required."""
    fields = ("code", "runs", "reason")
    unknown = sorted(map(str, set(entry) - set(fields)))
    if unknown:
        raise ConfigError(
            f"{settings.where(key)}: unknown field {unknown[0]!r} in an ignore entry"
            f"{did_you_mean(unknown[0], fields)} (fields: code, runs, reason)"
        )
    for name in ("code", "reason"):
        if not isinstance(entry.get(name), str) or not entry[name].strip():
            raise ConfigError(f"{settings.where(key)}: an ignore entry needs a {name!r} string")
    runs = entry.get("runs", "*")
    _expect(settings, runs, str, key)
    return Suppression(entry["code"].strip().upper(), runs, entry["reason"].strip())


def _checkpoint_entry(settings: Settings, entry: Any, index: int) -> CheckpointEntry:
    """``{path: GLOB, logs: PATH, step: N}`` (step optional); paths relative to the config."""
    where = settings.where("checkpoints")
    if not isinstance(entry, dict):
        raise ConfigError(f"{where}: entry {index} must be a mapping {{path: GLOB, logs: PATH}}")
    fields = ("path", "logs", "step")
    unknown = sorted(map(str, set(entry) - set(fields)))
    if unknown:
        raise ConfigError(
            f"{where}: unknown field {unknown[0]!r} in entry {index}"
            f"{did_you_mean(unknown[0], fields)} (fields: path, logs, step)"
        )
    for name in ("path", "logs"):
        if not isinstance(entry.get(name), str) or not entry[name].strip():
            raise ConfigError(f"{where}: entry {index} needs a {name!r} string")
    step = entry.get("step")
    if step is not None and (isinstance(step, bool) or not isinstance(step, int) or step < 0):
        raise ConfigError(f"{where}: entry {index}: step must be a whole number, got {step!r}")
    base = settings.path.parent.absolute() if settings.path is not None else Path.cwd()
    return CheckpointEntry(str(base / entry["path"]), base / entry["logs"], step)


def _source_globs(settings: Settings, value: Any) -> list[str]:
    """``sources: [GLOB, ...]``: files to read as runs, relative to the config's directory."""
    if isinstance(value, str):
        value = [value]
    where = settings.where("sources")
    if not isinstance(value, list):
        raise ConfigError(f"{where}: must be a list of globs, got {type(value).__name__} {value!r}")
    base = settings.path.parent.absolute() if settings.path is not None else Path.cwd()
    globs = []
    for index, pattern in enumerate(value):
        if not isinstance(pattern, str) or not pattern.strip():
            raise ConfigError(f"{where}: entry {index} must be a non-empty glob, got {pattern!r}")
        pattern = pattern.strip()
        if pattern.endswith("/"):
            raise ConfigError(
                f"{where}: entry {index} ({pattern!r}) names a directory; a source glob names "
                "files (e.g. 'exports/**/*.csv')"
            )
        globs.append((base / pattern).as_posix())
    return globs


def _references(settings: Settings, value: Any, key: str) -> list[str]:
    """``reference: FILE_OR_RUN`` or a list of them; a local path is relative to the config."""
    items = [value] if isinstance(value, str) else _expect(settings, value, list, key)
    base = settings.path.parent if settings.path is not None else None
    out = []
    for item in items:
        if not isinstance(item, str) or not item.strip():
            raise ConfigError(f"{settings.where(key)}: each entry must be a file or run path")
        local = "://" not in item and not Path(item).is_absolute()
        out.append(str(base / item) if base is not None and local else item)
    return out


def _plugin_spec(settings: Settings, spec: str) -> str:
    """A plugin file named in config is relative to the config file, not the current directory."""
    if settings.path is not None and spec.endswith(".py") and not Path(spec).is_absolute():
        return str(settings.path.parent / spec)
    return spec


def _parse(data: Mapping[str, Any], s: Settings) -> Settings:
    for key, value in data.items():
        if key in ("ignore", "extend-ignore") and isinstance(value, list):
            codes = [v for v in value if not isinstance(v, dict)]
            s.suppressions += [_suppression(s, v, key) for v in value if isinstance(v, dict)]
            setattr(s, key.replace("-", "_"), _codes(s, codes, key))
        elif key in ("select", "ignore", "extend-select", "extend-ignore"):
            setattr(s, key.replace("-", "_"), _codes(s, value, key))
        elif key == "fail-on":
            if not isinstance(value, str) or value not in FAIL_LEVELS:
                raise ConfigError(
                    f"{s.where(key)}: must be one of {', '.join(FAIL_LEVELS)}, got {value!r}"
                    f"{did_you_mean(value, FAIL_LEVELS)}"
                )
            s.fail_on = None if value == "never" else Severity.parse(value)
        elif key == "severity":
            for code, level in _expect(s, value, dict, key).items():
                _expect(s, level, str, key, code)
                try:
                    s.severity[str(code)] = Severity.parse(level)
                except ValueError as exc:
                    levels = [str(level) for level in Severity]
                    hint = did_you_mean(level, levels)
                    raise ConfigError(f"{s.where(key, code)}: {exc}{hint}") from None
        elif key == "params":
            for code, params in _expect(s, value, dict, key).items():
                s.params[str(code)] = dict(_expect(s, params, dict, key, code))
        elif key == "tag-aliases":
            for tag, aliases in _expect(s, value, dict, key).items():
                if isinstance(aliases, str):
                    aliases = [aliases]
                _expect(s, aliases, list, key, tag)
                s.tag_aliases[str(tag)] = tuple(str(a) for a in aliases)
        elif key == "rule-timeout":
            s.rule_timeout = parse_timeout(value, s.where(key))
        elif key == "plugins":
            s.plugins = [_plugin_spec(s, str(p)) for p in _expect(s, value, list, key)]
        elif key == "checkpoints":
            entries = _expect(s, value, list, key)
            s.checkpoints = [_checkpoint_entry(s, e, i) for i, e in enumerate(entries)]
        elif key == "sources":
            s.sources = _source_globs(s, value)
        elif key == "reference":
            s.references = _references(s, value, key)
        else:
            hint = did_you_mean(key, CONFIG_KEYS)
            known = ", ".join(CONFIG_KEYS)
            raise ConfigError(f"{s.where(key)}: unknown key {key!r}{hint} (known keys: {known})")
    return s
