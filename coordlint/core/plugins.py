"""The plugin manager: built-in rules and formatters, entry points, ``--plugin`` modules, blocking.

A plugin is a module or package: every ``@coordlint.rule`` defined in it (and in its
submodules) registers, and its hook implementations (:mod:`coordlint.hookspecs`: formatters,
summary columns, config keys) are called; the built-in rules are a plugin like any team's.
Loading problems become :class:`~coordlint.errors.PluginError` (exit 2) with one line that
names the plugin, whatever the plugin raised (``sys.exit(0)`` at import included); what a
plugin prints while it loads goes to stderr, never into the report.
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.metadata
import importlib.util
import os
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any, cast

import pluggy

from coordlint import hookspecs
from coordlint.core.guard import ESCAPES, describe
from coordlint.errors import PluginError
from coordlint.loading.sources import Source
from coordlint.rule import CODE_PATTERN, Rule, rules_in
from coordlint.runconfig import CONFIG_TYPES

if TYPE_CHECKING:
    from coordlint.report import Report

ENTRY_POINT_GROUP = "coordlint"
AUTOLOAD_ENV = "COORDLINT_DISABLE_PLUGIN_AUTOLOAD"
BUILTIN_PLUGINS = ("coordlint.rules", "coordlint.formatters", "coordlint.loading.sources")
RESERVED_PREFIX = "CL"


@dataclass
class PluginInfo:
    """What ``coordlint plugins`` shows for one loaded plugin."""

    name: str
    version: str
    origin: str  # "builtin", "entry point", "--plugin"
    rules: list[str] = field(default_factory=list)


@dataclass
class Plugins:
    """The loaded plugins and everything they registered."""

    manager: pluggy.PluginManager
    info: dict[str, PluginInfo]
    rules: dict[str, Rule]
    formatters: dict[str, Callable[[Report], str]]
    #: ``coordlint summary``'s columns: (name, tags preferred first), in plugin order.
    summary_columns: list[tuple[str, tuple[str, ...]]] = field(default_factory=list)
    #: Things a plugin author should change (deprecated forms), one line each.
    notes: list[str] = field(default_factory=list)
    #: Which way each summary column is better (``"lower"``/``"higher"``), where it says.
    summary_better: dict[str, str] = field(default_factory=dict)
    #: The run-config keys the plugins' rules read, with their types (checked before rules).
    config_keys: dict[str, type] = field(default_factory=dict)
    #: The log stores discovery recognises besides event files and training output dirs.
    sources: list[Source] = field(default_factory=list)
    #: The config keys a reference run keeps: key -> the config paths that may hold it.
    reference_config: dict[str, tuple[str, ...]] = field(default_factory=dict)


def load_plugins(
    extra: Iterable[str] = (),
    blocked: Iterable[str] = (),
    autoload: bool | None = None,
) -> Plugins:
    """Load the built-ins, entry-point plugins (unless disabled) and ``extra`` modules or files."""
    pm = pluggy.PluginManager("coordlint")
    pm.add_hookspecs(hookspecs)
    for name in blocked:
        pm.set_blocked(name)
    info: dict[str, PluginInfo] = {}
    version = importlib.metadata.version("coordlint") if _installed() else "dev"
    for name in BUILTIN_PLUGINS:
        module = importlib.import_module(name)
        pm.register(module, name=name)
        info[name] = PluginInfo(name, version, "builtin")
    if autoload is None:
        autoload = not os.environ.get(AUTOLOAD_ENV)
    if autoload:
        _load_entry_points(pm, info)
    for spec in extra:
        module = _import_plugin(spec)
        name = module.__name__
        if pm.is_blocked(name) or pm.get_plugin(name) is not None:
            continue
        _register(pm, module, name)
        info[name] = PluginInfo(name, getattr(module, "__version__", ""), "--plugin")
    try:
        pm.check_pending()
    except pluggy.PluginValidationError as exc:
        raise PluginError(f"plugin {exc.plugin!r}: {exc}") from exc
    notes: list[str] = []
    rules = _collect_rules(pm, info, notes)
    formatters = _collect_formatters(pm)
    columns, better = _collect_summary_columns(pm)
    return Plugins(
        pm,
        info,
        rules,
        formatters,
        columns,
        notes=notes,
        summary_better=better,
        config_keys=_collect_config_keys(pm),
        sources=_collect_sources(pm),
        reference_config=_collect_reference_config(pm),
    )


def _installed() -> bool:
    try:
        importlib.metadata.version("coordlint")
    except importlib.metadata.PackageNotFoundError:
        return False
    return True


def _register(pm: pluggy.PluginManager, plugin: object, name: str) -> None:
    try:
        pm.register(plugin, name=name)
    except (pluggy.PluginValidationError, ValueError) as exc:
        raise PluginError(f"plugin {name!r} could not be registered: {exc}") from exc


def _load_entry_points(pm: pluggy.PluginManager, info: dict[str, PluginInfo]) -> None:
    """pluggy's ``load_setuptools_entrypoints``, but a failing import names its plugin."""
    for dist in importlib.metadata.distributions():
        for ep in dist.entry_points:
            if ep.group != ENTRY_POINT_GROUP:
                continue
            if pm.get_plugin(ep.name) is not None or pm.is_blocked(ep.name):
                continue
            dist_name = dist.metadata["name"] or ep.name
            try:
                with contextlib.redirect_stdout(sys.stderr):
                    plugin = ep.load()
            except ESCAPES as exc:
                raise PluginError(
                    f"plugin {ep.name!r} (from {dist_name}) failed to import: "
                    f"{type(exc).__name__}: {describe(exc)}"
                ) from exc
            _register(pm, plugin, ep.name)
            info[ep.name] = PluginInfo(ep.name, dist.version, f"entry point of {dist_name}")


def _import_plugin(spec: str) -> ModuleType:
    """Import ``--plugin`` SPEC: a ``path/to/file.py`` or a dotted module name."""
    try:
        if spec.endswith(".py") or os.sep in spec or "/" in spec:
            path = Path(spec)
            if not path.is_file():
                raise PluginError(f"plugin file not found: {spec}")
            name = path.stem
            module_spec = importlib.util.spec_from_file_location(name, path)
            assert module_spec is not None and module_spec.loader is not None
            module = importlib.util.module_from_spec(module_spec)
            sys.modules[name] = module
            with contextlib.redirect_stdout(sys.stderr):
                module_spec.loader.exec_module(module)
            return module
        with contextlib.redirect_stdout(sys.stderr):
            return importlib.import_module(spec)
    except PluginError:
        raise
    except ESCAPES as exc:
        raise PluginError(
            f"plugin {spec!r} failed to import: {type(exc).__name__}: {describe(exc)}"
        ) from exc


def _call_hook(impl: pluggy.HookImpl, hook: str, convert: Callable[[Any], Any]) -> Any:
    """``convert(impl's hook result or nothing)``: whatever the plugin's code raises (SystemExit
    too) is a PluginError naming it, and what it prints goes to stderr."""
    try:
        with contextlib.redirect_stdout(sys.stderr):
            return convert(impl.function() or ())
    except ESCAPES as exc:
        raise PluginError(
            f"plugin {impl.plugin_name!r}: {hook}() raised {type(exc).__name__}: {describe(exc)}"
        ) from exc


def _collect_rules(
    pm: pluggy.PluginManager, info: dict[str, PluginInfo], notes: list[str]
) -> dict[str, Rule]:
    """Every plugin's rules, in registration order, each knowing its plugin: the rules defined
    in the plugin's module or package (:func:`coordlint.rules_in`), and those its legacy
    ``coordlint_rules()`` hook returns (with a deprecation note)."""
    legacy = {impl.plugin_name: impl for impl in pm.hook.coordlint_rules.get_hookimpls()}
    rules: dict[str, Rule] = {}
    for plugin, module in pm.list_name_plugin():
        found: list[object] = []
        if isinstance(module, ModuleType):
            try:
                with contextlib.redirect_stdout(sys.stderr):
                    found.extend(rules_in(module))
            except ESCAPES as exc:
                raise PluginError(
                    f"plugin {plugin!r}: a module of its package failed to import: "
                    f"{type(exc).__name__}: {describe(exc)}"
                ) from exc
        if plugin in legacy:
            notes.append(
                f"plugin {plugin!r} registers rules through coordlint_rules(), which is "
                "deprecated and will be removed in coordlint 0.3: its @coordlint.rule "
                "functions register themselves (delete the hook)"
            )
            found.extend(_call_hook(legacy[plugin], "coordlint_rules", list))
        seen: set[int] = set()
        for item in found:
            if id(item) in seen:
                continue
            seen.add(id(item))
            _add_rule(rules, item, plugin)
            if plugin in info:
                info[plugin].rules.append(cast(Rule, item).code)
    return dict(sorted(rules.items()))


def _add_rule(rules: dict[str, Rule], item: object, plugin: str) -> None:
    if not isinstance(item, Rule):
        raise PluginError(
            f"plugin {plugin!r} returned {item!r} from coordlint_rules(); "
            "wrap rule functions with @coordlint.rule(...)"
        )
    if not CODE_PATTERN.match(item.code):
        raise PluginError(f"plugin {plugin!r}: malformed rule code {item.code!r}")
    if item.code.startswith(RESERVED_PREFIX) and plugin not in BUILTIN_PLUGINS:
        raise PluginError(
            f"plugin {plugin!r}: rule code {item.code} uses the reserved prefix "
            f"{RESERVED_PREFIX!r} (pick your team's own prefix, e.g. TM001)"
        )
    if item.code in rules:
        raise PluginError(
            f"rule code {item.code} is registered twice: by plugin "
            f"{rules[item.code].plugin!r} and by plugin {plugin!r}"
        )
    rules[item.code] = replace(item, plugin=plugin)


def _collect_formatters(pm: pluggy.PluginManager) -> dict[str, Callable[[Report], str]]:
    formatters: dict[str, Callable[[Report], str]] = {}
    for impl in pm.hook.coordlint_formatters.get_hookimpls():
        provided = _call_hook(impl, "coordlint_formatters", dict)
        for name, func in provided.items():
            if not isinstance(name, str) or not callable(func):
                raise PluginError(
                    f"plugin {impl.plugin_name!r}: coordlint_formatters() must map format names "
                    f"to functions, got {name!r}: {func!r}"
                )
            if name in formatters:
                raise PluginError(
                    f"plugin {impl.plugin_name!r}: output format {name!r} is already registered"
                )
            formatters[name] = func
    return formatters


def _summary_column(item: Sequence[Any]) -> tuple[str, tuple[str, ...], str | None]:
    name, tags, *rest = item
    better = str(rest[0]) if rest else None
    if len(rest) > 1 or better not in (None, "lower", "higher"):
        raise ValueError(f"column {name!r}: the third item must be 'lower' or 'higher'")
    if isinstance(tags, str):
        raise ValueError(f"column {name!r}: tags must be a list of tags, not a string")
    return str(name), tuple(str(t) for t in tags), better


def _collect_summary_columns(
    pm: pluggy.PluginManager,
) -> tuple[list[tuple[str, tuple[str, ...]]], dict[str, str]]:
    columns: dict[str, tuple[str, ...]] = {}
    better: dict[str, str] = {}
    for impl in pm.hook.coordlint_summary_columns.get_hookimpls():
        provided = _call_hook(impl, "coordlint_summary_columns", list)
        try:
            provided = [_summary_column(item) for item in provided]
        except Exception as exc:
            raise PluginError(
                f"plugin {impl.plugin_name!r}: coordlint_summary_columns() must return "
                f"(name, tags) or (name, tags, 'lower'|'higher') items: "
                f"{type(exc).__name__}: {exc}"
            ) from exc
        for name, tags, direction in provided:
            if name in columns:
                raise PluginError(
                    f"plugin {impl.plugin_name!r}: summary column {name!r} is already registered"
                )
            columns[name] = tags
            if direction is not None:
                better[name] = direction
    return list(columns.items()), better


def _collect_config_keys(pm: pluggy.PluginManager) -> dict[str, type]:
    keys: dict[str, type] = {}
    owner: dict[str, str] = {}
    for impl in pm.hook.coordlint_config_keys.get_hookimpls():
        plugin = impl.plugin_name
        provided = _call_hook(impl, "coordlint_config_keys", dict)
        for key, kind in provided.items():
            if not isinstance(key, str) or kind not in CONFIG_TYPES:
                raise PluginError(
                    f"plugin {plugin!r}: coordlint_config_keys() maps {key!r} to {kind!r}; "
                    "keys are dotted strings, types bool, int, float or str"
                )
            if key in keys and keys[key] is not kind:
                raise PluginError(
                    f"run-config key {key!r} is declared {keys[key].__name__} by plugin "
                    f"{owner[key]!r} and {kind.__name__} by plugin {plugin!r}"
                )
            keys[key], owner[key] = kind, plugin
    return keys


def _collect_sources(pm: pluggy.PluginManager) -> list[Source]:
    """Every plugin's sources, in registration order (the built-ins first)."""
    sources: dict[str, Source] = {}
    for impl in pm.hook.coordlint_sources.get_hookimpls():
        for item in _call_hook(impl, "coordlint_sources", list):
            if not isinstance(item, Source) or not item.name:
                raise PluginError(
                    f"plugin {impl.plugin_name!r}: coordlint_sources() returned {item!r}, not "
                    "a named coordlint.loading.sources.Source"
                )
            if item.name in sources:
                raise PluginError(
                    f"plugin {impl.plugin_name!r}: source {item.name!r} is already registered"
                )
            sources[item.name] = item
    return list(sources.values())


def _collect_reference_config(pm: pluggy.PluginManager) -> dict[str, tuple[str, ...]]:
    keys: dict[str, tuple[str, ...]] = {}
    for impl in pm.hook.coordlint_reference_config.get_hookimpls():
        provided = _call_hook(impl, "coordlint_reference_config", dict)
        if not all(isinstance(k, str) and _is_paths(v) for k, v in provided.items()):
            raise PluginError(
                f"plugin {impl.plugin_name!r}: coordlint_reference_config() must return "
                "{key: [config paths]}"
            )
        for key, paths in provided.items():
            if key in keys:
                raise PluginError(
                    f"plugin {impl.plugin_name!r}: reference config key {key!r} is already "
                    "registered"
                )
            keys[key] = tuple(paths)
    return keys


def _is_paths(value: object) -> bool:
    return isinstance(value, (list, tuple)) and all(isinstance(p, str) for p in value)
