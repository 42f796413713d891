"""ms-swift ``logging.jsonl`` and HF ``trainer_state.json``: log rows → the tags HF's TensorBoard
callback would have written, so the same rules apply unchanged.

A row's ``eval_X`` key becomes ``eval/X`` and every other numeric key ``train/X`` (HF's
``rewrite_logs``). Strings (``elapsed_time``, ``percentage``, ``"N/M"``), booleans and nested
values are not scalars and are left out.

Nothing in a log raises: a file that cannot be read (not a regular file, larger than
:data:`MAX_LOG_BYTES`) or parsed, a line that is not JSON or not an object, a row without a
step that fits int64 (``"²/10"`` is not one: steps are ASCII digits), and a number that does
not fit a float64 each become a :class:`~coordlint.columns.Problem` for that file, line or
value, and every other row's points are kept.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from coordlint.columns import Problem, ScalarColumns
from coordlint.loading import json_input, source

#: The largest ``logging.jsonl`` or ``trainer_state.json`` read (each is read whole).
MAX_LOG_BYTES = 256 << 20

# Keys that say where a row is, not what was measured.
_POSITION_KEYS = frozenset({"global_step/max_steps", "global_step", "step"})
# A row holding any of these is the end-of-training record, not a metric row.
_FINAL_ROW_KEYS = frozenset({"log_history", "last_model_checkpoint", "best_model_checkpoint"})
# The train side's bookkeeping, which trainers copy into an eval row (ms-swift 3.x recomputes
# train_speed there): at a step the train side also logged, the eval row's copy is not a point.
BOOKKEEPING_KEYS = frozenset(
    {
        "epoch",
        "memory(GiB)",
        "train_speed(iter/s)",
        "percentage",
        "elapsed_time",
        "remaining_time",
    }
)


@dataclass
class LogPoints:
    """Points read from one log file, per tag in write order, and what could not be read."""

    writes: dict[str, list[ScalarColumns]] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    rows: int = 0

    @property
    def tags(self) -> set[str]:
        return set(self.writes)


def hf_tag(key: str) -> str:
    """HF's ``rewrite_logs``: ``eval_X`` → ``eval/X``, ``test_X`` → ``test/X``, else ``train/X``."""
    for prefix in ("eval", "test"):
        if key.startswith(prefix + "_"):
            return f"{prefix}/{key[len(prefix) + 1 :]}"
    return f"train/{key}"


def row_step(row: Mapping[str, Any]) -> int | None:
    """The row's global step: ms-swift 3.x ``"N/M"``, 2.x ``global_step``, HF ``step``; None
    when it has none that fits int64 (a ``"N/M"`` step is ASCII digits)."""
    progress = row.get("global_step/max_steps")
    if isinstance(progress, str):
        head = progress.split("/", 1)[0].strip()
        if head.isascii() and head.isdigit() and len(head) <= 19:
            return json_input.as_int64(int(head))
    for key in ("global_step", "step"):
        step = json_input.as_int64(row.get(key))
        if step is not None:
            return step
    return None


def _numeric(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _scalars(
    row: Mapping[str, Any], where: str, offset: int | None, file: str, problems: list[Problem]
) -> dict[str, float]:
    """A row's numeric values by key (its position keys aside); an integer beyond float64's
    range is a problem, and the row's other values are kept."""
    out = {}
    for key, value in row.items():
        if key in _POSITION_KEYS or not _numeric(value):
            continue
        number = json_input.as_float(value)
        if number is None:
            msg = f"{where}: {key!r} is an integer beyond float64's range; value skipped"
            problems.append(Problem(file, "bad-value", msg, offset))
        else:
            out[key] = number
    return out


def _is_eval_row(keys: Iterable[str]) -> bool:
    return any(key.startswith(("eval_", "test_")) for key in keys)


#: A row read: its step, its numeric values by key, and all its keys.
Row = tuple[int, dict[str, float], Collection[str]]


def _points_from_rows(rows: Iterable[Row]) -> LogPoints:
    """Rows → per-tag columns in write order. An eval row's copy of a bookkeeping key
    (:data:`BOOKKEEPING_KEYS`) is left out where a train row logged that key at that step."""
    rows = list(rows)
    train_side = {
        (key, step)
        for step, _, keys in rows
        if not _is_eval_row(keys)
        for key in BOOKKEEPING_KEYS.intersection(keys)
    }
    steps: dict[str, list[int]] = {}
    values: dict[str, list[float]] = {}
    for step, row, keys in rows:
        copies = _is_eval_row(keys)
        for key, number in row.items():
            if copies and (key, step) in train_side:
                continue
            tag = hf_tag(key)
            steps.setdefault(tag, []).append(step)
            values.setdefault(tag, []).append(number)
    out = LogPoints(rows=len(rows))
    for tag, tag_steps in steps.items():
        n = len(tag_steps)
        out.writes[tag] = [
            ScalarColumns(
                np.asarray(tag_steps, dtype=np.int64),
                np.asarray(values[tag], dtype=np.float64),
                np.full(n, math.nan),
            )
        ]
    return out


def _read(path: Path) -> bytes | Problem:
    """The file's bytes, or the problem that stopped reading it."""
    return source.read_whole(path, MAX_LOG_BYTES)


def read_logging_jsonl(path: Path) -> LogPoints:
    """Read an ms-swift ``logging.jsonl``; damage becomes problems, never exceptions."""
    name = str(path)
    data = _read(path)
    if isinstance(data, Problem):
        return LogPoints(problems=[data])
    if not data.strip():
        return LogPoints(problems=[Problem(name, "empty", "empty file: no log rows")])
    problems: list[Problem] = []
    rows: list[Row] = []
    lines = data.split(b"\n")
    ends_with_newline = data.endswith(b"\n")
    offset = 0
    for number, raw in enumerate(lines, start=1):
        line_offset, offset = offset, offset + len(raw) + 1
        if not raw.strip():
            continue
        last = number == len(lines) or (number == len(lines) - 1 and ends_with_newline)
        got = _jsonl_row(raw, number)
        if isinstance(got, str):
            if last and not ends_with_newline and got.startswith(f"line {number} is not JSON"):
                msg = f"line {number} is incomplete (a job still writing?); skipped"
                problems.append(Problem(name, "truncated", msg, line_offset, 1))
            else:
                problems.append(Problem(name, "bad-line", f"{got}; skipped", line_offset, 1))
            continue
        if got is None:
            continue
        step, row = got
        values = _scalars(row, f"line {number}", line_offset, name, problems)
        if rows and rows[-1][0] == step and rows[-1][2] == row.keys():
            # ms-swift 2.x writes every row twice: one write, not two
            rows[-1] = (step, values, row.keys())
            continue
        rows.append((step, values, row.keys()))
    out = _points_from_rows(rows)
    out.problems = problems
    return out


def _jsonl_row(raw: bytes, number: int) -> tuple[int, dict[str, Any]] | str | None:
    """A line's (step, row); None for the end-of-training row; else why it is skipped."""
    try:
        row = json_input.parse(raw)
    except json_input.JsonError as exc:
        return f"line {number} is not JSON ({_short(exc)})"
    if not isinstance(row, dict):
        return f"line {number} is JSON {_json_kind(row)}, not an object"
    if _FINAL_ROW_KEYS & row.keys():
        return None
    step = row_step(row)
    if step is None:
        return f"line {number} has no global step (an int64)"
    return step, row


def _short(exc: Exception, limit: int = 120) -> str:
    text = str(exc)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _json_kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, bool):
        return "a boolean"
    return "a number"


def _log_history(path: Path) -> list | Problem:
    """The ``log_history`` list of a ``trainer_state.json``, or the problem that stopped it."""
    name = str(path)
    data = _read(path)
    if isinstance(data, Problem):
        return data
    try:
        state = json_input.parse(data)
    except json_input.JsonError as exc:
        return Problem(name, "corrupt", f"not valid JSON: {_short(exc)}")
    history = state.get("log_history") if isinstance(state, dict) else None
    if not isinstance(history, list):
        return Problem(name, "corrupt", "no log_history list")
    return history


def _history_points(path: Path, history: list | Problem) -> LogPoints:
    if isinstance(history, Problem):
        return LogPoints(problems=[history])
    rows: list[Row] = []
    bad: list[int] = []
    problems: list[Problem] = []
    name = str(path)
    for index, entry in enumerate(history):
        step = row_step(entry) if isinstance(entry, dict) else None
        if step is None:
            bad.append(index)
        else:
            values = _scalars(entry, f"log_history[{index}]", None, name, problems)
            rows.append((step, values, entry.keys()))
    if bad:
        first = ", ".join(str(i) for i in bad[:5]) + (", ..." if len(bad) > 5 else "")
        msg = (
            f"{len(bad)} log_history entries are not objects with a step (an int64): "
            f"[{first}]; skipped"
        )
        problems.append(Problem(name, "bad-line", msg, None, len(bad)))
    out = _points_from_rows(rows)
    out.problems = problems
    return out


def read_trainer_state(path: Path) -> LogPoints:
    """Read an HF ``trainer_state.json``'s ``log_history``."""
    return _history_points(path, _log_history(path))


def read_newest_trainer_state(candidates: Iterable[Path]) -> tuple[Path, LogPoints] | None:
    """Of several ``checkpoint-N/trainer_state.json`` copies, the one with the longest history
    (ties: the highest checkpoint step, then the newest file), read; each copy is parsed once."""
    best: tuple[tuple[int, int, float], Path, list | Problem] | None = None
    for path in candidates:
        history = _log_history(path)
        length = -1 if isinstance(history, Problem) else len(history)
        key = (length, _checkpoint_step(path.parent.name), _mtime(path))
        if best is None or key > best[0]:
            best = (key, path, history)
    if best is None:
        return None
    return best[1], _history_points(best[1], best[2])


def _checkpoint_step(name: str) -> int:
    """N of a ``checkpoint-N`` directory (ASCII digits, int64), else -1."""
    digits = name.rpartition("-")[2]
    if not (digits.isascii() and digits.isdigit() and len(digits) <= 18):
        return -1
    return int(digits)


def newest_trainer_state(candidates: Iterable[Path]) -> Path | None:
    """The copy :func:`read_newest_trainer_state` would read."""
    found = read_newest_trainer_state(candidates)
    return found[0] if found else None


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0
