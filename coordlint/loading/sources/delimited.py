"""Delimited text (CSV, MLflow's ``timestamp value step`` lines) → numeric columns, damage kept
apart: one pandas C-parser pass over the good lines, with each row's file line known.

Before pandas sees the text, numpy finds each line and counts its delimiters (no per-line
Python), so a line with the wrong number of fields is skipped and reported with its line number
and byte offset instead of shifting or dropping its neighbours; an unterminated last line with
too few fields (a job still writing) is reported as truncated (one with every field is kept,
as a file saved without a final newline ends). A cell that is neither empty nor a number is reported
the same way; its row's other cells are kept. Quoted CSV (a ``"`` anywhere after the header)
is counted with the :mod:`csv` module instead, line by line.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from coordlint.columns import Problem

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "MAX_LINE_PROBLEMS",
    "LineProblems",
    "Parsed",
    "line_bounds",
    "numeric",
    "parse_delimited",
]

#: Malformed lines reported one by one per file; the rest are summed up in one more problem.
MAX_LINE_PROBLEMS = 10
#: The spellings of NaN a writer puts in a cell (Python's ``str(nan)``, numpy's, C's).
NAN_SPELLINGS = ("nan", "NaN", "-nan", "-NaN", "NAN")


@dataclass
class Parsed:
    """A file's good rows: ``frame`` (cells as parsed; a NaN value and an empty cell are both
    NaN there), each row's 1-based file ``lines`` and byte ``offsets``, and what was wrong with
    the other lines. ``written(column)`` tells which rows hold a cell in ``column`` when the
    file spells NaN out (``None``: it never does, so NaN means empty)."""

    file: str
    frame: pd.DataFrame
    lines: np.ndarray
    offsets: np.ndarray
    problems: list[Problem] = field(default_factory=list)
    written: Callable[[str], np.ndarray] | None = None


class LineProblems:
    """Problems of one file's lines, the first :data:`MAX_LINE_PROBLEMS` one by one."""

    def __init__(self, file: str, unit: str = "line") -> None:
        self.file, self.unit = file, unit
        self.problems: list[Problem] = []
        self._more = 0
        self._first_more: tuple[int, int] | None = None

    def add(self, kind: str, line: int, offset: int, what: str) -> None:
        if len(self.problems) < MAX_LINE_PROBLEMS:
            message = f"{self.unit} {line} {what}; skipped"
            self.problems.append(Problem(self.file, kind, message, offset, records_skipped=1))
            return
        self._more += 1
        if self._first_more is None:
            self._first_more = (line, offset)

    def whole(self, kind: str, message: str) -> None:
        """A problem of the whole file (no line to name)."""
        self.problems.append(Problem(self.file, kind, message))

    def done(self) -> list[Problem]:
        if self._more and self._first_more is not None:
            line, offset = self._first_more
            message = (
                f"{self._more} more malformed {self.unit}s from {self.unit} {line} on; skipped"
            )
            self.problems.append(Problem(self.file, "bad-line", message, offset, self._more))
            self._more = 0
        return self.problems


def line_bounds(data: bytes) -> tuple[np.ndarray, np.ndarray]:
    """Start and end (exclusive, without the newline) byte offsets of every line."""
    raw = np.frombuffer(data, dtype=np.uint8)
    ends = np.flatnonzero(raw == 0x0A)
    if not len(data) or data[-1:] != b"\n":
        ends = np.append(ends, len(data))
    starts = np.empty_like(ends)
    starts[:1] = 0
    starts[1:] = ends[:-1] + 1
    return starts, ends


def _field_counts(data: bytes, starts: np.ndarray, ends: np.ndarray, sep: str) -> np.ndarray:
    """How many fields each line has (a blank line: 0)."""
    if '"' in sep or b'"' not in data:
        raw = np.frombuffer(data, dtype=np.uint8)
        seps = np.flatnonzero(raw == ord(sep))
        counts = np.searchsorted(seps, ends) - np.searchsorted(seps, starts) + 1
    else:  # quoted cells may hold the delimiter: let the csv module count
        text = data.decode("utf-8", errors="replace").split("\n")
        counts = np.array(
            [len(next(csv.reader([line], delimiter=sep), [])) for line in text[: len(starts)]],
            dtype=np.int64,
        )
    blank = (ends - starts == 0) | ((ends - starts == 1) & (_byte_at(data, starts) == 0x0D))
    counts[blank] = 0
    return counts


def _byte_at(data: bytes, positions: np.ndarray) -> np.ndarray:
    raw = np.frombuffer(data, dtype=np.uint8)
    safe = np.minimum(positions, max(len(raw) - 1, 0))
    return raw[safe] if len(raw) else np.zeros(len(positions), dtype=np.uint8)


def parse_delimited(
    data: bytes,
    file: str,
    sep: str = ",",
    names: list[str] | None = None,
    widths: Collection[int] = (),
) -> Parsed:
    """Parse ``data``: a header line gives the column names unless ``names`` are given; every
    line must have as many fields as the header (or ``names``), or one of ``widths`` (a line
    with fewer fields than ``names`` leaves the last columns empty)."""
    import pandas as pd

    problems = LineProblems(file)
    starts, ends = line_bounds(data)
    counts = _field_counts(data, starts, ends, sep)
    numbers = np.arange(1, len(starts) + 1)
    nonblank = np.flatnonzero(counts)
    if names is None and not len(nonblank):
        return _empty(file, problems.done())
    width = len(names) if names is not None else int(counts[nonblank[0]])
    allowed = sorted({*widths, width})
    body = counts > 0
    if names is None:
        body[: nonblank[0] + 1] = False  # the header line
    wrong = body & ~np.isin(counts, allowed)
    unfinished = bool(data) and not data.endswith(b"\n")
    for i in np.flatnonzero(wrong):
        if unfinished and i == len(starts) - 1:
            what = "is incomplete (a job still writing?)"
            problems.add("truncated", int(numbers[i]), int(starts[i]), what)
        else:
            what = f"has {counts[i]} fields, not {' or '.join(map(str, allowed))}"
            problems.add("bad-line", int(numbers[i]), int(starts[i]), what)
    good = body & ~wrong
    if names is not None and good.any():  # columns no line fills are left out
        names = names[: max(int(counts[good].max()), 1)]
    options: dict[str, Any] = {
        "sep": sep,
        "header": 0 if names is None else None,
        "names": names,
        "skiprows": np.flatnonzero(wrong).tolist() or None,
        "skip_blank_lines": True,
        "keep_default_na": False,
        "na_values": ["", *NAN_SPELLINGS],
    }
    try:
        frame = pd.read_csv(io.BytesIO(data), **options)
    except (ValueError, pd.errors.ParserError, UnicodeDecodeError) as exc:
        problems.whole("corrupt", f"cannot be parsed ({exc}); nothing read")
        return _empty(file, problems.done())
    lines, offsets = numbers[good], starts[good]
    if len(frame) != len(lines):  # quoted newlines: rows and lines no longer line up
        lines = offsets = np.full(len(frame), -1, dtype=np.int64)
    written = None
    if _spells_nan(data, int(ends[nonblank[0]]) if names is None else 0):
        written = _Written(data, options)
    return Parsed(file, frame, lines, offsets, problems.done(), written)


def _spells_nan(data: bytes, start: int) -> bool:
    """Whether a NaN is spelled out in ``data`` after ``start`` (the header): numbers hold no
    ``a``, so two memchr-fast byte scans usually settle it before any substring search."""
    if data.find(b"a", start) < 0 and data.find(b"A", start) < 0:
        return False
    return any(data.find(spelling, start) >= 0 for spelling in (b"nan", b"NaN", b"NAN"))


def _empty(file: str, problems: list[Problem]) -> Parsed:
    import pandas as pd

    none = np.empty(0, dtype=np.int64)
    return Parsed(file, pd.DataFrame(), none, none, problems)


def numeric(
    parsed: Parsed, column: str, problems: LineProblems | None = None
) -> tuple[np.ndarray, np.ndarray] | None:
    """``column``'s values (float64) and which rows hold one (a NaN spelled out counts, an
    empty cell does not); ``None`` when no cell of it is a number (a text column). A cell that
    is not a number in a numeric column is reported to ``problems``."""
    import pandas as pd

    cells = parsed.frame[column]
    if pd.api.types.is_bool_dtype(cells.dtype):
        return None
    if pd.api.types.is_numeric_dtype(cells.dtype):
        values = cells.to_numpy(dtype=np.float64, na_value=np.nan)
        present = ~np.isnan(values)
        if parsed.written is not None and not present.all():
            present = parsed.written(column)
        return values, present
    text = cells.astype("string")
    values = pd.to_numeric(text, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    held = ~text.isna().to_numpy()  # neither empty nor a NaN spelling
    bad = held & np.isnan(values)
    if not (held & ~bad).any():
        return None  # a text column, not a metric
    if problems is not None:
        for i in np.flatnonzero(bad):
            what = f"has {str(text.iloc[i])[:40]!r} in column {column!r}, not a number"
            problems.add("bad-line", int(parsed.lines[i]), int(parsed.offsets[i]), what)
    present = parsed.written(column) if parsed.written is not None else held
    return values, present & ~bad


class _Written:
    """Which rows hold a cell in a column, for a file that spells NaN out (so NaN is a value):
    the file read again as text, once, when first asked (no ``usecols``: pandas refuses it
    when ``names`` outnumber a line's fields)."""

    def __init__(self, data: bytes, options: dict[str, Any]) -> None:
        self.data, self.options = data, {**options, "dtype": str, "na_values": [""]}
        self._held: dict[str, np.ndarray] | None = None

    def __call__(self, column: str) -> np.ndarray:
        if self._held is None:
            import pandas as pd

            text = pd.read_csv(io.BytesIO(self.data), **self.options)
            self._held = {str(c): ~text[c].isna().to_numpy() for c in text.columns}
        return self._held[column]
