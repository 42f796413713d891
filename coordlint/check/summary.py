"""``coordlint summary``: the end-of-training table of coord metrics, one row per run.

For each run: ``max_train_step`` (the largest step of any ``train/`` tag), ``max_eval_step``
(of any ``eval/`` tag), and the last finite value of each column's tag: the first of the
column's tags the run logs, NA where it logs none. The columns come from plugins'
``coordlint_summary_columns`` hook; the built-in pack contributes the coord metrics
(``eval/coord_softce_w1/X``, falling back to ``eval/coord_diag/X``). Formatted as aligned
text, a markdown table to paste into a progress note (4 decimals, scientific below 1e-3, ``0``
for zero, ``NA`` for missing), or CSV (full float32/float64 precision, ``NA`` for missing).
"""

from __future__ import annotations

import io
import math
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, cast

import numpy as np

from coordlint.run import Run

if TYPE_CHECKING:
    import pandas as pd  # imported when a table is built: `coordlint check` never needs it

__all__ = ["FORMATS", "Column", "format_summary", "summary_table"]

#: A summary column: its name and the tags that may hold it, preferred first.
Column = tuple[str, Sequence[str]]

FORMATS = ("text", "markdown", "csv")
STEP_COLUMNS = ("max_train_step", "max_eval_step")
INDEX_NAME = "model"


def _max_step(run: Run, prefix: str) -> int | None:
    # Resolved columns are sorted by step: the last step is the largest, known without reading.
    steps = [run.last_step(t) for t in run.tags if t.startswith(prefix)]
    found = [s for s in steps if s is not None]
    return max(found) if found else None


def _last(run: Run, tags: Sequence[str]) -> float:
    for tag in tags:
        if run.logged_as(tag) is None:
            continue
        values = run.series(tag).to_numpy()
        finite = values[np.isfinite(values)]
        if len(finite):
            return float(finite[-1])
    return math.nan


def summary_table(runs: Sequence[Run], columns: Sequence[Column]) -> pd.DataFrame:
    """One row per run (indexed by run name, index named ``model``): the step columns, then
    ``columns`` in order.

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
    names = [*STEP_COLUMNS, *(c for c, _ in columns)]
    index = pd.Index([r.name for r in runs], name=INDEX_NAME, dtype="object")
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


def _exact(value: object) -> str:
    if _is_na(value):
        return "NA"
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    number = float(cast(float, value))
    single = np.float32(number)
    if np.isfinite(single) and float(single) == number:
        return str(single)  # the shortest spelling that round-trips the logged float32
    return repr(number)


def _cells(df: pd.DataFrame, spell: Callable[[object], str]) -> tuple[list[str], list[list[str]]]:
    header = [str(df.index.name or INDEX_NAME), *map(str, df.columns)]
    body = [
        [str(name), *(spell(v) for v in row)]
        for name, row in zip(df.index, df.itertuples(index=False), strict=True)
    ]
    return header, body


def format_summary(df: pd.DataFrame, fmt: str = "text") -> str:
    """``df`` from :func:`summary_table` as text, markdown or csv, ending in a newline."""
    import pandas as pd

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
        widths = [max(len(r[i]) for r in (header, *body)) for i in range(len(header))]
        lines = [
            "  ".join(
                cell.ljust(w) if i == 0 else cell.rjust(w)
                for i, (cell, w) in enumerate(zip(row, widths, strict=True))
            ).rstrip()
            for row in (header, *body)
        ]
        return "\n".join(lines) + "\n"
    raise ValueError(f"unknown summary format {fmt!r} (choose {', '.join(FORMATS)})")
