"""``coordlint summary``: the end-of-training table of coord metrics, one row per run.

For each run: ``max_train_step`` (the largest step of any ``train/`` tag), ``max_eval_step``
(of any ``eval/`` tag), and the last finite value of each column's tag: the first of the
column's tags the run logs, NA where it logs none. The columns come from plugins'
``coordlint_summary_columns`` hook; the built-in pack contributes the coord metrics
(``eval/coord_softce_w1/X``, falling back to ``eval/coord_diag/X``). Formatted as aligned
text, a markdown table to paste into a progress note (4 decimals, scientific below 1e-3, ``0``
for zero, ``NA`` for missing), CSV (``NA`` for missing) or JSON (``null``). CSV and JSON spell a
value exactly: a logged float32 by its shortest spelling that reads back as the same float32
(``3.526``, not ``3.5260000228881836``), a float64 by Python's ``repr``; so the JSON and the
CSV of one table read back as the same table. ``--columns`` picks the columns: a plugin's
column by its name, or any tag (a column named by the tag).

``summary --checkpoints`` (:func:`checkpoint_table`) answers "which checkpoint to merge": one
row per kept checkpoint of each run (and per merged model beside them), each column's value at
the checkpoint's step (the eval at it, else the last one before it), and each column's best
value among a run's checkpoints marked, where the column says whether lower or higher is
better.
"""

from __future__ import annotations

import io
import json
import math
from collections.abc import Callable, Mapping, Sequence
from pathlib import PurePath
from typing import TYPE_CHECKING, cast

import numpy as np

from coordlint.reference import Reference
from coordlint.run import Run

if TYPE_CHECKING:
    import pandas as pd  # imported when a table is built: `coordlint check` never needs it

__all__ = [
    "FORMATS",
    "Column",
    "checkpoint_table",
    "choose_columns",
    "format_checkpoints",
    "format_summary",
    "summary_table",
]

#: A summary column: its name and the tags that may hold it, preferred first.
Column = tuple[str, Sequence[str]]

FORMATS = ("text", "markdown", "csv", "json")
#: How a best cell is marked in text and markdown (CSV and JSON list the best columns).
BEST_MARK = "*"
STEP_COLUMNS = ("max_train_step", "max_eval_step")
INDEX_NAME = "model"


def _max_step(run: Run, prefix: str) -> int | None:
    # Resolved columns are sorted by step: the last step is the largest, known without reading.
    steps = [run.last_step(t) for t in run.tags if t.startswith(prefix)]
    found = [s for s in steps if s is not None]
    return max(found) if found else None


def _last(run: Run | Reference, tags: Sequence[str]) -> float:
    for tag in tags:
        if run.logged_as(tag) is None:
            continue
        values = run.series(tag).to_numpy()
        finite = values[np.isfinite(values)]
        if len(finite):
            return float(finite[-1])
    return math.nan


def _reference_end(reference: Reference, prefix: str) -> int | None:
    ends = [
        int(c.steps[-1])
        for t in reference.tags
        if t.startswith(prefix) and len(c := reference.curve(t))
    ]
    return max(ends) if ends else None


def _reference_row(references: Sequence[Reference], columns: Sequence[Column]) -> dict[str, object]:
    """The references' medians: of each one's last step, and of each column's last value."""
    row: dict[str, object] = {}
    for column, prefix in zip(STEP_COLUMNS, ("train/", "eval/"), strict=True):
        ends = [e for r in references if (e := _reference_end(r, prefix)) is not None]
        row[column] = int(np.median(ends)) if ends else None
    for column, tags in columns:
        values = [v for r in references if not math.isnan(v := _last(r, tags))]
        row[column] = float(np.median(values)) if values else math.nan
    return row


def summary_table(
    runs: Sequence[Run], columns: Sequence[Column], references: Sequence[Reference] = ()
) -> pd.DataFrame:
    """One row per run (indexed by run name, index named ``model``): the step columns, then
    ``columns`` in order; with ``references``, a last row of their medians (``reference
    median (N)``).

    Step columns are nullable integers (``Int64``); metric columns are floats, NaN where absent.
    """
    import pandas as pd

    rows = []
    for run in runs:
        row: dict[str, object] = {
            "max_train_step": _max_step(run, "train/"),
            "max_eval_step": _max_step(run, "eval/"),
        }
        for column, tags in columns:
            row[column] = _last(run, tags)
        rows.append(row)
    names_of_rows = [r.name for r in runs]
    if references:
        rows.append(_reference_row(references, columns))
        names_of_rows.append(f"reference median ({len(references)})")
    names = [*STEP_COLUMNS, *(c for c, _ in columns)]
    index = pd.Index(names_of_rows, name=INDEX_NAME, dtype="object")
    df = pd.DataFrame(rows, index=index, columns=names)
    for column in STEP_COLUMNS:
        df[column] = df[column].astype("Int64")
    for column, _ in columns:
        df[column] = df[column].astype("float64")
    return df


def _is_na(value: object) -> bool:
    import pandas as pd

    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))


def format_value(value: object) -> str:
    """The note's spelling: ``NA``, ``0``, integers as is, ``3.5260``, ``8.4831e-05``."""
    if _is_na(value):
        return "NA"
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    number = float(cast(float, value))
    if number == 0:
        return "0"
    if abs(number) < 1e-3 or abs(number) >= 1e6:
        return f"{number:.4e}"
    return f"{number:.4f}"


def _exact_number(value: object) -> int | float | None:
    """A cell as the number CSV and JSON write: ``None`` for NA, integers as integers, a
    float32 value as the float its shortest spelling reads back as, other floats as they are."""
    if _is_na(value):
        return None
    if isinstance(value, (int, np.integer)):
        return int(value)
    number = float(cast(float, value))
    single = np.float32(number)
    if np.isfinite(single) and float(single) == number:
        return float(str(single))  # the shortest spelling that round-trips the logged float32
    return number


def _exact(value: object) -> str:
    number = _exact_number(value)
    return "NA" if number is None else repr(number)


def _cells(df: pd.DataFrame, spell: Callable[[object], str]) -> tuple[list[str], list[list[str]]]:
    header = [str(df.index.name or INDEX_NAME), *map(str, df.columns)]
    body = [
        [str(name), *(v if isinstance(v, str) else spell(v) for v in row)]
        for name, row in zip(df.index, df.itertuples(index=False), strict=True)
    ]
    return header, body


def _aligned(header: list[str], body: list[list[str]]) -> str:
    """Text columns: the first left-aligned, the others right-aligned."""
    widths = [max(len(r[i]) for r in (header, *body)) for i in range(len(header))]
    lines = [
        "  ".join(
            cell.ljust(w) if i == 0 else cell.rjust(w)
            for i, (cell, w) in enumerate(zip(row, widths, strict=True))
        ).rstrip()
        for row in (header, *body)
    ]
    return "\n".join(lines) + "\n"


def format_summary(df: pd.DataFrame, fmt: str = "text") -> str:
    """``df`` from :func:`summary_table` as text, markdown, csv or json, ending in a newline."""
    import pandas as pd

    if fmt == "json":
        rows = [
            {
                df.index.name or INDEX_NAME: str(name),
                **{c: _exact_number(v) for c, v in row.items()},
            }
            for name, row in df.iterrows()
        ]
        return json.dumps(rows, indent=2, allow_nan=False) + "\n"
    if fmt == "markdown":
        header, body = _cells(df, format_value)
        lines = [
            "| " + " | ".join(header) + " |",
            "| " + " | ".join("---" for _ in header) + " |",
            *("| " + " | ".join(row) + " |" for row in body),
        ]
        return "\n".join(lines) + "\n"
    if fmt == "csv":
        header, body = _cells(df, _exact)
        out = io.StringIO()
        pd.DataFrame(body, columns=header).to_csv(out, index=False, lineterminator="\n")
        return out.getvalue()
    if fmt == "text":
        header, body = _cells(df, format_value)
        return _aligned(header, body)
    raise ValueError(f"unknown summary format {fmt!r} (choose {', '.join(FORMATS)})")


def choose_columns(names: Sequence[str], known: Sequence[Column]) -> list[Column]:
    """The columns ``names`` pick (``--columns``), in order: a name of ``known`` is that
    column; anything else is a tag, shown as a column of its own name."""
    by_name = {column: tags for column, tags in known}
    return [(name, by_name.get(name, (name,))) for name in names]


def unlogged(runs: Sequence[Run], columns: Sequence[Column]) -> list[str]:
    """The columns none of ``runs`` logs any tag of."""
    return [
        column
        for column, tags in columns
        if not any(run.logged_as(tag) is not None for run in runs for tag in tags)
    ]


def _value_at(run: Run, tags: Sequence[str], step: int) -> float:
    """The first logged of ``tags`` at ``step``: its eval there, else the last finite one
    before it (NaN when there is none)."""
    for tag in tags:
        if run.logged_as(tag) is None:
            continue
        series = run.series(tag)
        values = series.to_numpy()
        keep = np.isfinite(values) & (series.index.to_numpy() <= step)
        if keep.any():
            return float(values[keep][-1])
    return math.nan


def checkpoint_table(
    runs: Sequence[Run], columns: Sequence[Column], better: Mapping[str, str]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One row per kept checkpoint of each run (index ``checkpoint``: its directory name):
    ``run``, ``step``, ``merged``, then ``columns`` at the checkpoint's step. Also a boolean
    frame of the metric columns marking each run's best value (``better[column]`` is
    ``"lower"`` or ``"higher"``; a column without one has no best)."""
    import pandas as pd

    rows, names = [], []
    for run in runs:
        for checkpoint in run.kept_checkpoints:
            row: dict[str, object] = {
                "run": run.name,
                "step": checkpoint.step,
                "merged": checkpoint.merged,
            }
            for column, tags in columns:
                row[column] = _value_at(run, tags, checkpoint.step)
            rows.append(row)
            names.append(PurePath(checkpoint.path).name)
    metrics = [c for c, _ in columns]
    index = pd.Index(names, name="checkpoint", dtype="object")
    df = pd.DataFrame(rows, index=index, columns=["run", "step", "merged", *metrics])
    df["step"] = df["step"].astype("Int64")
    best = pd.DataFrame(False, index=df.index, columns=metrics)
    for column in metrics:
        df[column] = df[column].astype("float64")
        direction = better.get(column)
        if direction not in ("lower", "higher"):
            continue
        by_run = df.groupby("run", sort=False)[column]
        target = by_run.transform("min" if direction == "lower" else "max")
        best[column] = (df[column] == target).to_numpy()
    return df, best


def format_checkpoints(df: pd.DataFrame, best: pd.DataFrame, fmt: str = "text") -> str:
    """:func:`checkpoint_table` as text, markdown, csv or json (best cells marked)."""
    import pandas as pd

    metrics = list(best.columns)
    best_of = [[c for c in metrics if flags[c]] for _, flags in best.iterrows()]
    if fmt == "json":
        rows = [
            {
                "checkpoint": str(name),
                "run": row["run"],
                "step": _exact_number(row["step"]),
                "merged": bool(row["merged"]),
                "values": {c: _exact_number(row[c]) for c in metrics},
                "best": marked,
            }
            for (name, row), marked in zip(df.iterrows(), best_of, strict=True)
        ]
        return json.dumps(rows, indent=2, allow_nan=False) + "\n"
    shown = df.drop(columns=["merged"])
    if fmt == "csv":
        header, body = _cells(shown, _exact)
        body = [[*cells, ";".join(m)] for cells, m in zip(body, best_of, strict=True)]
        out = io.StringIO()
        pd.DataFrame(body, columns=[*header, "best"]).to_csv(out, index=False, lineterminator="\n")
        return out.getvalue()
    header, body = _cells(shown, format_value)
    first = len(header) - len(metrics)
    for cells, marked in zip(body, best_of, strict=True):
        for i, column in enumerate(metrics):
            if column in marked:
                cells[first + i] += BEST_MARK
    note = f"{BEST_MARK} the best value of its column among the run's checkpoints"
    if fmt == "markdown":
        lines = [
            "| " + " | ".join(header) + " |",
            "| " + " | ".join("---" for _ in header) + " |",
            *("| " + " | ".join(row) + " |" for row in body),
        ]
        return "\n".join([*lines, "", note]) + "\n"
    if fmt == "text":
        return _aligned(header, body) + note + "\n"
    raise ValueError(f"unknown summary format {fmt!r} (choose {', '.join(FORMATS)})")
