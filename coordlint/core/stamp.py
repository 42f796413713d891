"""What a rule returns, made into what a report holds: plain strings and numbers, or a refusal.

The engine calls :func:`stamp` on every finding inside the guarded rule call, so a malformed
finding (a tag that is not a string, a series of words, a step of ``"x"``) becomes a ``CL900``
that names the rule, and nothing of the plugin's objects (a ``str`` subclass, a Series of
objects) reaches the formatters.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from coordlint.reference import Band
from coordlint.rule import Finding, Rule, Severity

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["numeric_series", "stamp"]

_NUMERIC_KINDS = "biuf"  # bool, signed, unsigned, float
_INT64 = np.iinfo(np.int64)


def stamp(finding: Any, rule: Rule, run: str, severity: Severity | str | None) -> Finding:
    """``finding`` stamped with the rule's code and name, ``run`` and a severity (``severity``,
    the user's configured one, beats the finding's own, which beats the rule's default).
    Raises TypeError or ValueError for anything malformed."""
    if not isinstance(finding, Finding):
        raise TypeError(f"rules must yield coordlint.Finding, got {type(finding).__name__}")
    if severity is None:
        severity = rule.severity if finding.severity is None else finding.severity
    if not isinstance(finding.data, Mapping):
        raise TypeError(f"a finding's data must be a mapping, got {type(finding.data).__name__}")
    return Finding(
        _text(finding.message, "message"),
        tag=None if finding.tag is None else _text(finding.tag, "tag"),
        step=_step(finding.step),
        data=_flat_data(finding.data),
        severity=Severity.parse(severity),
        run=run,
        code=rule.code,
        rule=rule.name,
        series=None if finding.series is None else numeric_series(finding.series),
        band=None if finding.band is None else _band(finding.band),
    )


def _band(band: Any) -> Band:
    """A finding's reference band as formatters draw it: numeric arrays of one length by step."""
    if not isinstance(band, Band):
        raise TypeError(f"a finding's band must be a coordlint.Band, got {type(band).__name__}")
    steps = _floats(band.steps, "band steps")
    center, low, high = (_floats(a, "band values") for a in (band.center, band.low, band.high))
    if any(len(a) != len(steps) for a in (center, low, high)) or not np.all(np.isfinite(steps)):
        raise TypeError("a finding's band needs finite steps and one value of each per step")
    names = tuple(_text(name, "band reference") for name in band.references)
    return Band(steps.astype(np.int64), center, low, high, names)


def numeric_series(values: Any) -> pd.Series:
    """``values`` (a Series, a ``{step: value}`` mapping or a sequence of values) as a float64
    Series indexed by int64 step, sorted by step. Raises TypeError when the values or the steps
    are not numbers (NaN and ±inf values are numbers; steps must be whole)."""
    import pandas as pd

    if (
        isinstance(values, pd.Series)
        and values.dtype == np.float64
        and values.index.dtype == np.int64
        and values.index.is_monotonic_increasing
    ):
        return values  # what run.series() returns, as most rules pass it: already right
    if isinstance(values, pd.Series):
        steps: Any = values.index
        data: Any = values.array
    elif isinstance(values, Mapping):
        steps, data = list(values.keys()), list(values.values())
    elif isinstance(values, (str, bytes)) or not isinstance(values, Iterable):
        raise TypeError(f"a finding's series must be numbers by step, got {type(values).__name__}")
    else:
        data = list(values)
        steps = range(len(data))
    floats = _floats(data, "values")
    whole = _floats(steps, "steps")
    if not np.all(np.isfinite(whole)) or np.any(whole != np.round(whole)):
        raise TypeError("a finding's series steps must be whole numbers")
    if len(whole) and (whole.min() < _INT64.min or whole.max() > _INT64.max):
        raise TypeError("a finding's series steps must fit in 64 bits")
    order = np.argsort(whole, kind="stable")
    index = pd.Index(whole[order].astype(np.int64), name="step", copy=False)
    return pd.Series(floats[order], index=index, copy=False)


def _floats(items: Any, what: str) -> np.ndarray:
    try:
        array = np.asarray(items)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"a finding's series {what} must be numbers: {exc}") from None
    if array.ndim != 1:
        raise TypeError(f"a finding's series {what} must be one-dimensional")
    if array.dtype.kind in _NUMERIC_KINDS:
        return array.astype(np.float64)
    if array.dtype.kind == "O" and all(
        isinstance(v, (int, float, np.number)) and not isinstance(v, complex) for v in array
    ):
        try:
            return array.astype(np.float64)
        except OverflowError:
            raise TypeError(f"a finding's series {what} must fit in a float") from None
    raise TypeError(f"a finding's series {what} must be numbers, not {array.dtype}")


def _text(value: Any, what: str) -> str:
    if not isinstance(value, str):
        raise TypeError(f"a finding's {what} must be a string, got {type(value).__name__}")
    return str.__str__(value)  # a plain str, whatever subclass the rule used


def _step(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.number)):
        raise TypeError(f"a finding's step must be an integer, got {type(value).__name__}")
    step = float(value)
    if not math.isfinite(step) or step != int(step):
        raise ValueError(f"a finding's step must be an integer, got {value!r}")
    return int(value)


def _flat_data(data: Mapping[Any, Any]) -> dict[str, Any]:
    """Evidence as plain JSON numbers and strings (numpy scalars unwrapped, non-finite spelled,
    anything else as its ``str``)."""
    out: dict[str, Any] = {}
    for key, value in data.items():
        if isinstance(value, np.generic):
            value = value.item()
        if isinstance(value, bool) or value is None:
            pass
        elif isinstance(value, int):
            value = int(value)
        elif isinstance(value, float):
            value = float(value) if math.isfinite(value) else str(float(value))
        else:
            value = str.__str__(str(value))
        out[str.__str__(str(key))] = value
    return out
