"""Plain tables a team exports: CSV (``.csv``, ``.tsv``) and JSON lines (``.jsonl``, ``.ndjson``).

A table is one run: the file itself, named on the command line or matched by the config's
``sources:`` globs (a table is never guessed from a directory walk: most CSV files are not
runs). Its shape is wide (a step column and one column per metric) or long (step, tag, value
columns) — :mod:`~.frames` reads both; names map to tags as :mod:`~.tags` says. CSV is parsed
by pandas' C parser (:mod:`~.delimited`); JSON lines by the standard library, all lines in one
call, line by line only to find what is wrong when that call fails.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from coordlint.loading.sources.base import Found, Source, SourceRead, read_data_file
from coordlint.loading.sources.delimited import (
    LineProblems,
    Parsed,
    line_bounds,
    parse_delimited,
)
from coordlint.loading.sources.frames import frame_writes
from coordlint.loading.sources.tags import rules_tag

__all__ = ["CSV_SUFFIXES", "JSONL_SUFFIXES", "CsvTable", "JsonlTable", "parse_jsonl"]

CSV_SUFFIXES = {".csv": ",", ".tsv": "\t"}
JSONL_SUFFIXES = (".jsonl", ".ndjson")


class _Table(Source):
    suffixes: tuple[str, ...] = ()

    def claim(self, file: Path) -> Found | None:
        if file.suffix.lower() not in self.suffixes:
            return None
        return Found(self, file, (file,))

    def read(self, found: Found) -> SourceRead:
        out = SourceRead()
        for path in found.files:
            out.files.append(str(path))
            name = str(path)
            data = read_data_file(path, out, "rows")
            if data is None:
                continue
            parsed = self.parse(data, path)
            problems = LineProblems(name)
            writes = frame_writes(parsed, rules_tag, problems)
            out.problems += parsed.problems + problems.done()
            for tag, cols in writes.items():
                out.writes.setdefault(tag, []).extend(cols)
        return out

    def parse(self, data: bytes, path: Path) -> Parsed:
        raise NotImplementedError


class CsvTable(_Table):
    """A CSV (or tab-separated ``.tsv``) table with a header line."""

    name = "csv"
    suffixes = tuple(CSV_SUFFIXES)

    def parse(self, data: bytes, path: Path) -> Parsed:
        return parse_delimited(data, str(path), sep=CSV_SUFFIXES[path.suffix.lower()])


class JsonlTable(_Table):
    """A table of JSON lines, one object a line."""

    name = "jsonl"
    suffixes = JSONL_SUFFIXES

    def parse(self, data: bytes, path: Path) -> Parsed:
        return parse_jsonl(data, str(path))


def parse_jsonl(data: bytes, file: str) -> Parsed:
    """One JSON object a line → rows; a line that is not one is reported and left out."""
    import pandas as pd

    starts, ends = line_bounds(data)
    raw = [data[s:e] for s, e in zip(starts.tolist(), ends.tolist(), strict=True)]
    numbers = [i for i, line in enumerate(raw) if line.strip()]
    problems = LineProblems(file)
    try:
        rows: list[Any] = json.loads(b"[" + b",".join(raw[i] for i in numbers) + b"]")
    except (ValueError, UnicodeDecodeError):
        rows, numbers = _line_by_line(raw, numbers, starts, data.endswith(b"\n"), problems)
    kept = [k for k, row in enumerate(rows) if isinstance(row, dict)]
    for k in range(len(rows)):
        if not isinstance(rows[k], dict):
            i = numbers[k]
            problems.add("bad-line", i + 1, int(starts[i]), "is not a JSON object")
    records = [rows[k] for k in kept]
    at = np.asarray([numbers[k] for k in kept], dtype=np.int64)
    frame = pd.DataFrame.from_records(records) if records else pd.DataFrame()
    written = None
    if b"NaN" in data or b"Infinity" in data:  # Python's json writes NaN as a bare literal
        written = _Present(records)
    return Parsed(file, frame, at + 1, starts[at], problems.done(), written)


class _Present:
    """Which rows hold a value (null and a missing key do not; NaN does) in a column."""

    def __init__(self, records: list[dict[str, Any]]) -> None:
        self.records = records

    def __call__(self, column: str) -> np.ndarray:
        return np.fromiter(
            (r.get(column) is not None for r in self.records), dtype=bool, count=len(self.records)
        )


def _line_by_line(
    raw: list[bytes],
    numbers: list[int],
    starts: np.ndarray,
    ends_with_newline: bool,
    problems: LineProblems,
) -> tuple[list[Any], list[int]]:
    rows: list[Any] = []
    kept: list[int] = []
    for i in numbers:
        try:
            rows.append(json.loads(raw[i]))
        except (ValueError, UnicodeDecodeError):
            last = i == len(raw) - 1 and not ends_with_newline
            kind, what = (
                ("truncated", "is incomplete (a job still writing?)")
                if last
                else ("bad-line", "is not JSON")
            )
            problems.add(kind, i + 1, int(starts[i]), what)
            continue
        kept.append(i)
    return rows, kept
