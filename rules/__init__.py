"""coordlint's built-in rules: one module per rule, registered like any team's rule pack.

Installed as ``coordlint.rules``. Every ``@coordlint.rule`` defined in a module here registers
(:func:`coordlint.rules_in`); nothing else needs to change to add a rule. ``_coord`` holds the
coord domain (tag fallbacks, config keys, summary columns), ``_curves`` robust statistics.
"""

from __future__ import annotations

import coordlint

from . import _coord


@coordlint.hookimpl
def coordlint_summary_columns() -> list[tuple[str, tuple[str, ...], str]]:
    return _coord.summary_columns()


@coordlint.hookimpl
def coordlint_config_keys() -> dict[str, type]:
    return _coord.config_key_types()


@coordlint.hookimpl
def coordlint_reference_config() -> dict[str, tuple[str, ...]]:
    return {key: _coord.CONFIG_PATHS[key] for key in _coord.REFERENCE_KEYS}
