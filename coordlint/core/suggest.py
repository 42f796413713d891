"""The closest known spelling of a mistyped key, value, code or name: "did you mean"."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping

from coordlint.errors import ConfigError
from coordlint.rule import Rule

__all__ = ["did_you_mean", "find_rule"]


def did_you_mean(word: object, choices: Iterable[str]) -> str:
    """``" (did you mean 'fail-on'?)"`` for the choice closest to ``word`` (case ignored),
    or ``""`` when none is close enough to be a likely typo."""
    options = {c.lower(): c for c in choices}
    close = difflib.get_close_matches(str(word).lower(), list(options), n=1, cutoff=0.6)
    return f" (did you mean {options[close[0]]!r}?)" if close else ""


def find_rule(rules: Mapping[str, Rule], code_or_name: str) -> Rule:
    """The rule ``code_or_name`` names, by code (any case) or by name (``soft-ce-rebound``);
    a :class:`~coordlint.errors.ConfigError` with the closest code or name otherwise."""
    wanted = code_or_name.strip()
    by_name = {rule.name: rule for rule in rules.values()}
    found = rules.get(wanted.upper()) or by_name.get(wanted.lower())
    if found is None:
        hint = did_you_mean(wanted, [*rules, *by_name])
        raise ConfigError(
            f"no rule has the code or name {code_or_name!r}{hint} (see 'coordlint rules')"
        )
    return found
