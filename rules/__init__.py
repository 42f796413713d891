"""coordlint's built-in rules: one module per rule, registered like any team's plugin.

Installed as ``coordlint.rules``. Every module here that defines a :class:`coordlint.Rule` at
module level contributes it; nothing else needs to change to add a rule.
"""

from __future__ import annotations

import importlib
import pkgutil

import coordlint
from coordlint.rule import Rule

from . import _coord


def _discover() -> list[Rule]:
    found: list[Rule] = []
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{__name__}.{info.name}")
        found.extend(v for v in vars(module).values() if isinstance(v, Rule))
    return found


@coordlint.hookimpl
def coordlint_rules() -> list[Rule]:
    return _discover()


@coordlint.hookimpl
def coordlint_summary_columns() -> list[tuple[str, tuple[str, ...]]]:
    return _coord.summary_columns()


@coordlint.hookimpl
def coordlint_config_keys() -> dict[str, type]:
    return _coord.config_key_types()
