"""JSON from log and config files, parsed with bounds: a nesting limit and a clear error, never
a ``RecursionError`` or a hang.

:func:`parse` refuses a document nested deeper than :data:`MAX_DEPTH` levels before the parser
sees it (the depth is measured with numpy, strings and escapes included, only when the text has
more opening brackets than the limit at all), and turns every other failure (bad syntax, invalid
UTF-8, an integer of more digits than Python converts) into :class:`JsonError`. Numbers that
parse but do not fit where they go (a step beyond int64, an integer beyond float64) are for the
caller to judge: :func:`as_int64` and :func:`as_float` say.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np

__all__ = ["MAX_DEPTH", "JsonError", "as_float", "as_int64", "parse", "too_deep"]

#: Deepest nesting of arrays and objects accepted (logs and configs nest a few levels).
MAX_DEPTH = 100

_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1


class JsonError(ValueError):
    """Text that is not JSON coordlint reads: the message says why."""


def parse(data: bytes) -> Any:
    """``data`` parsed as JSON; raises :class:`JsonError` (a ``ValueError``)."""
    if too_deep(data):
        raise JsonError(f"nested deeper than {MAX_DEPTH} levels")
    try:
        return json.loads(data)
    except RecursionError:  # the depth check above makes this unreachable for valid JSON
        raise JsonError("nested too deep to parse") from None
    except ValueError as exc:  # JSONDecodeError, UnicodeDecodeError, too many digits
        raise JsonError(str(exc)) from None


def too_deep(data: bytes) -> bool:
    """Whether arrays and objects in ``data`` nest deeper than :data:`MAX_DEPTH` (brackets
    inside strings do not count)."""
    if data.count(b"[") + data.count(b"{") <= MAX_DEPTH:
        return False
    return _max_depth(np.frombuffer(data, dtype=np.uint8)) > MAX_DEPTH


def _max_depth(text: np.ndarray) -> int:
    """The deepest bracket nesting outside strings: a bracket is inside a string when an odd
    number of unescaped quotes comes before it."""
    quotes = np.flatnonzero(text == ord('"'))
    slashes = np.flatnonzero(text == ord("\\"))
    if len(slashes) and len(quotes):
        # A quote right after an odd run of backslashes is escaped.
        run_start = np.concatenate(([True], slashes[1:] != slashes[:-1] + 1))
        starts = np.flatnonzero(run_start)
        ends = np.concatenate((starts[1:], [len(slashes)])) - 1  # index of each run's last
        odd = (ends - starts) % 2 == 0
        escaped = np.zeros(len(text) + 1, dtype=bool)
        escaped[slashes[ends[odd]] + 1] = True
        quotes = quotes[~escaped[quotes]]
    opening = (text == ord("[")) | (text == ord("{"))
    brackets = np.flatnonzero(opening | (text == ord("]")) | (text == ord("}")))
    outside = np.searchsorted(quotes, brackets) % 2 == 0
    step = np.where(opening[brackets[outside]], 1, -1)
    return int(np.cumsum(step, dtype=np.int64).max(initial=0))


def as_int64(value: Any) -> int | None:
    """An integral JSON number that fits int64 (floats too: ``20.0``), else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, float):
        if not value.is_integer():
            return None
        value = int(value)
    if isinstance(value, int) and _INT64_MIN <= value <= _INT64_MAX:
        return value
    return None


def as_float(value: Any) -> float | None:
    """A JSON number as a float64, None if it is not a number or does not fit one (an
    integer beyond float64's range; floats beyond it already parse as infinity)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    try:
        return float(value)
    except OverflowError:
        return None
