"""Parsed rows → each tag's points: the one place a table's columns become :class:`ScalarColumns`.

Two shapes are read (README "Other sources"):

- *wide*: a step column and one column per metric (Lightning's ``metrics.csv``, a W&B history,
  a team's export); an empty cell is no point;
- *long*: a step column, a tag column (``tag``, ``name``, ``metric`` or ``key``) and a
  ``value`` column, one point a row.

The step column is the first of the source's step names the table has; every step name and
wall-time name is a position, never a metric. Wall times are seconds since the epoch (a column
whose median is above 1e11 is taken as milliseconds, MLflow's unit). All of it is column
operations: per row only the problems of malformed rows are Python.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np

from coordlint.columns import ScalarColumns
from coordlint.loading.sources.delimited import LineProblems, Parsed, numeric

__all__ = ["STEP_COLUMNS", "TAG_COLUMNS", "WALL_COLUMNS", "frame_writes", "wall_seconds"]

#: Where a table keeps its step, preferred first (matched case-insensitively).
STEP_COLUMNS = ("step", "global_step", "train/global_step", "trainer/global_step", "_step")
#: Where a table keeps its wall time.
WALL_COLUMNS = ("wall_time", "walltime", "wall time", "timestamp", "_timestamp", "time")
#: The tag column of a long table.
TAG_COLUMNS = ("tag", "name", "metric", "key")
#: Bookkeeping that is neither a position nor a metric (W&B's seconds since the run started).
IGNORED_COLUMNS = ("_runtime",)

Writes = dict[str, list[ScalarColumns]]


def _find(columns: dict[str, str], names: Sequence[str]) -> str | None:
    return next((columns[n] for n in names if n in columns), None)


def wall_seconds(values: np.ndarray) -> np.ndarray:
    """Wall times in seconds: milliseconds (a median above 1e11) divided by 1000."""
    finite = values[np.isfinite(values)]
    if len(finite) and float(np.median(finite)) > 1e11:
        return values / 1000.0
    return values


def frame_writes(
    parsed: Parsed,
    tag_of: Callable[[str], str],
    problems: LineProblems,
    step_names: Sequence[str] = STEP_COLUMNS,
) -> Writes:
    """Each tag's points in ``parsed``'s rows (see the module doc); rows without a whole
    step are reported to ``problems`` and left out."""
    frame = parsed.frame
    if not len(frame.columns):
        return {}
    by_name = {str(c).lower(): str(c) for c in frame.columns}
    step_column = _find(by_name, step_names)
    if step_column is None:
        problems.whole("corrupt", f"no step column (one of {', '.join(step_names)}); nothing read")
        return {}
    steps, ok = _steps(parsed, step_column, problems)
    wall_column = _find(by_name, WALL_COLUMNS)
    walls = np.full(len(frame), math.nan)
    if wall_column is not None:
        read = numeric(parsed, wall_column)
        if read is not None:
            walls = wall_seconds(np.where(read[1], read[0], math.nan))
    positions = {*STEP_COLUMNS, *WALL_COLUMNS, *IGNORED_COLUMNS, *(n.lower() for n in step_names)}
    tag_column = _find(by_name, TAG_COLUMNS)
    value_column = by_name.get("value")
    if tag_column is not None and value_column is not None:
        return _long(parsed, tag_column, value_column, steps, walls, ok, tag_of, problems)
    writes: Writes = {}
    for column in frame.columns:
        if str(column).lower() in positions:
            continue
        read = numeric(parsed, column, problems)
        if read is None:
            continue
        values, present = read
        keep = present & ok
        if keep.any():
            tag = tag_of(str(column))
            cols = ScalarColumns(steps[keep], values[keep], walls[keep])
            writes.setdefault(tag, []).append(cols)
    return writes


def _steps(parsed: Parsed, column: str, problems: LineProblems) -> tuple[np.ndarray, np.ndarray]:
    """The step of each row (int64) and which rows have a whole one."""
    read = numeric(parsed, column)
    n = len(parsed.frame)
    if read is None:
        return np.zeros(n, dtype=np.int64), np.zeros(n, dtype=bool)
    values, present = read
    with np.errstate(invalid="ignore"):
        whole = present & np.isfinite(values) & (np.floor(values) == values)
    whole &= np.abs(np.where(whole, values, 0.0)) < 2.0**62
    for i in np.flatnonzero(~whole):
        what = "has no step" if np.isnan(values[i]) else f"has step {float(values[i])!r}"
        problems.add("bad-line", int(parsed.lines[i]), int(parsed.offsets[i]), what)
    return np.where(whole, values, 0).astype(np.int64), whole


def _long(
    parsed: Parsed,
    tag_column: str,
    value_column: str,
    steps: np.ndarray,
    walls: np.ndarray,
    ok: np.ndarray,
    tag_of: Callable[[str], str],
    problems: LineProblems,
) -> Writes:
    import pandas as pd

    read = numeric(parsed, value_column, problems)
    if read is None:
        problems.whole("corrupt", f"column {value_column!r} holds no number; nothing read")
        return {}
    values, present = read
    tags = parsed.frame[tag_column].astype("string")
    named = ~tags.isna().to_numpy() & (tags != "").to_numpy(dtype=bool, na_value=False)
    for i in np.flatnonzero(~named & ok):
        what = f"has no {tag_column}"
        problems.add("bad-line", int(parsed.lines[i]), int(parsed.offsets[i]), what)
    keep = np.flatnonzero(present & ok & named)
    codes, names = pd.factorize(tags.to_numpy()[keep])
    order = np.argsort(codes, kind="stable")  # each tag's rows stay in file order
    bounds = np.searchsorted(codes[order], np.arange(len(names) + 1))
    writes: Writes = {}
    for k, name in enumerate(names):
        rows = keep[order[bounds[k] : bounds[k + 1]]]
        cols = ScalarColumns(steps[rows], values[rows], walls[rows])
        writes.setdefault(tag_of(str(name)), []).append(cols)
    return writes
