"""Which rules run: ``select`` / ``ignore`` over codes and prefixes, the longest match wins.

Modelled on flake8's decision engine and ruff's CLI: ``--select`` replaces the configured
selection, ``--extend-select`` adds to it, ``--ignore`` / ``--extend-ignore`` likewise. A code is
enabled when its longest matching select entry is more specific than its longest matching ignore
entry (``ALL`` matches everything with length 0; on a tie, ignore wins).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from coordlint.core.suggest import did_you_mean
from coordlint.errors import ConfigError

ALL = "ALL"


def _match_length(code: str, entries: Iterable[str]) -> int:
    best = -1
    for entry in entries:
        if entry == ALL:
            best = max(best, 0)
        elif code.startswith(entry):
            best = max(best, len(entry))
    return best


def validate_entries(entries: Sequence[str], known: Iterable[str], where: str) -> list[str]:
    """Upper-case and check every entry is ALL or a prefix of a known code; else ConfigError."""
    known = list(known)
    cleaned = []
    for raw in entries:
        entry = str(raw).strip().upper()
        if not entry:
            continue
        if entry != ALL and not any(code.startswith(entry) for code in known):
            hint = did_you_mean(entry, known)
            raise ConfigError(f"{where}: unknown rule code or prefix {raw!r}{hint}")
        cleaned.append(entry)
    return cleaned


def enabled_codes(codes: Iterable[str], select: Sequence[str], ignore: Sequence[str]) -> list[str]:
    """The codes that run, in the given order."""
    out = []
    for code in codes:
        selected = _match_length(code, select)
        ignored = _match_length(code, ignore)
        if selected >= 0 and selected > ignored:
            out.append(code)
    return out
