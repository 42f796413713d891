"""One-line unicode sparklines of a finding's ``series``, for the text format.

The series is downsampled by bucket-averaging to at most ``width`` characters (``▁▂▃▄▅▆▇█``,
scaled to the bucket means' range). A bucket whose mean is not finite (it holds a NaN or an
infinity) is drawn as a space, so a NaN never hides inside an average. The finding's key step
is marked in the bucket holding the point nearest to it, and, when ``data["threshold"]``
exists, so is the first point where the series crosses the threshold.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from coordlint.reference import Band

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["BLOCKS", "Sparkline", "as_series", "lines_for", "sparkline"]

BLOCKS = "▁▂▃▄▅▆▇█"
WIDTH = 40
KEY_MARK = "^"
CROSS_MARK = "×"


@dataclass(frozen=True)
class Sparkline:
    """A drawn series: ``chars`` is the line; ``key``/``crossing`` are indexes into it."""

    chars: str
    first_step: int
    last_step: int
    low: float | None  # range of the finite bucket means (None: nothing finite)
    high: float | None
    key: int | None = None  # bucket of the key step
    key_step: int | None = None  # the step actually marked (nearest logged step)
    crossing: int | None = None  # bucket of the first threshold crossing
    crossing_step: int | None = None
    threshold: float | None = None

    def markers(self) -> str:
        """The caret line: ``^`` under the key point, ``×`` under the crossing ('^' wins)."""
        cells = [" "] * len(self.chars)
        if self.crossing is not None:
            cells[self.crossing] = CROSS_MARK
        if self.key is not None:
            cells[self.key] = KEY_MARK
        return "".join(cells).rstrip()


def as_series(values: Any) -> pd.Series:
    """A float Series sorted by step from a Series, a ``{step: value}`` mapping or a sequence
    (values that are not numbers become NaN; points whose step is not a whole number are
    dropped)."""
    import pandas as pd  # here, not at import: findings without a series never need it

    if isinstance(values, pd.Series):
        series = values
    elif isinstance(values, Mapping):
        series = pd.Series(dict(values))
    else:
        series = pd.Series(list(values))
    series = pd.to_numeric(series, errors="coerce").astype("float64")
    steps = pd.to_numeric(series.index.to_series(), errors="coerce").to_numpy(dtype="float64")
    # a point whose step is not a whole number that fits in int64 is dropped
    whole = np.isfinite(steps) & (steps == np.round(steps)) & (np.abs(steps) < 2.0**63)
    series = pd.Series(series.to_numpy()[whole], index=steps[whole].astype(np.int64))
    return series.sort_index(kind="stable")


def _bucket_bounds(n: int, width: int) -> list[tuple[int, int]]:
    m = min(n, width)
    return [(i * n // m, (i + 1) * n // m) for i in range(m)]


def sparkline(
    values: Any, key_step: int | None = None, threshold: float | None = None, width: int = WIDTH
) -> Sparkline | None:
    """Draw ``values`` (step-indexed); ``None`` when there is nothing to draw."""
    if width < 1:
        raise ValueError("width must be at least 1")
    series = as_series(values)
    n = len(series)
    if n == 0:
        return None
    steps = np.asarray(series.index, dtype=np.float64)
    data = series.to_numpy(dtype=np.float64)
    bounds = _bucket_bounds(n, width)
    with np.errstate(all="ignore"):
        means = np.array([data[a:b].mean() for a, b in bounds])
    finite = np.isfinite(means)
    low = high = None
    chars = []
    if finite.any():
        low, high = float(means[finite].min()), float(means[finite].max())
    for mean, ok in zip(means, finite, strict=True):
        if not ok:
            chars.append(" ")
        elif high == low:
            chars.append(BLOCKS[len(BLOCKS) // 2 - 1])
        else:
            level = round((mean - low) / (high - low) * (len(BLOCKS) - 1))  # type: ignore[operator]
            chars.append(BLOCKS[int(level)])

    def bucket_of(position: int) -> int:
        return next(i for i, (a, b) in enumerate(bounds) if a <= position < b)

    key = marked_step = None
    if key_step is not None and math.isfinite(float(key_step)):
        position = int(np.argmin(np.abs(steps - float(key_step))))
        key, marked_step = bucket_of(position), int(steps[position])

    crossing = crossing_step = None
    if threshold is not None and math.isfinite(float(threshold)):
        points = np.flatnonzero(np.isfinite(data))
        if len(points):
            above = data[points] >= float(threshold)
            changed = np.flatnonzero(above != above[0])
            if len(changed):
                position = int(points[changed[0]])
                crossing, crossing_step = bucket_of(position), int(steps[position])
    return Sparkline(
        "".join(chars),
        int(steps[0]),
        int(steps[-1]),
        low,
        high,
        key,
        marked_step,
        crossing,
        crossing_step,
        None if threshold is None else float(threshold),
    )


def _threshold(data: Mapping[str, Any]) -> float | None:
    value = data.get("threshold")
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)


def _band_note(band: Band, step: int | None) -> str:
    """``; reference band 20.2–21.8 at step 1040 (5 references)``."""
    if not len(band.steps):
        return ""
    i = band.nearest(int(band.steps[-1]) if step is None else step)
    if i is None:
        return ""
    n = len(band.references)
    refs = f" ({n} reference{'s' if n != 1 else ''})" if n else ""
    return (
        f"; reference band {band.low[i]:.4g}–{band.high[i]:.4g} at step {int(band.steps[i])}{refs}"
    )


def lines_for(
    series: Any,
    *,
    tag: str | None = None,
    step: int | None = None,
    data: Mapping[str, Any] | None = None,
    color: bool = False,
    indent: str = "    ",
    width: int = WIDTH,
    band: Band | None = None,
) -> list[str]:
    """The lines the text format prints under a finding: the sparkline (with the reference
    ``band`` at the key step, when the finding has one), then the caret line."""
    spark = sparkline(series, step, _threshold(data or {}), width)
    if spark is None:
        return []
    chars = spark.chars
    if color:
        import click

        styled = []
        for i, ch in enumerate(chars):
            if i == spark.key:
                styled.append(click.style(ch if ch != " " else "·", fg="red", bold=True))
            elif i == spark.crossing:
                styled.append(click.style(ch if ch != " " else "·", fg="magenta", bold=True))
            else:
                styled.append(ch)
        chars = "".join(styled)
    if spark.low is None:
        span = "no finite values"
    else:
        span = f"{spark.low:.4g}–{spark.high:.4g}"
    label = f"{tag}: " if tag else ""
    lines = [f"{indent}{chars}  {label}{span}, steps {spark.first_step}–{spark.last_step}"]
    if band is not None:
        lines[0] += _band_note(band, spark.key_step if spark.key_step is not None else step)
    notes = []
    if spark.key is not None:
        notes.append(f"{KEY_MARK} step {spark.key_step}")
    if spark.threshold is not None:
        if spark.crossing is not None:
            notes.append(f"{CROSS_MARK} crosses {spark.threshold:g} at step {spark.crossing_step}")
        else:
            notes.append(f"never crosses {spark.threshold:g}")
    if notes:
        pad = spark.markers().ljust(len(spark.chars))
        lines.append(f"{indent}{pad}  {'; '.join(notes)}".rstrip())
    return lines
