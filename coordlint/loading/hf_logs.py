"""ms-swift ``logging.jsonl`` and HF ``trainer_state.json``: log rows → the tags HF's TensorBoard
callback would have written, so the same rules apply unchanged.

A row's ``eval_X`` key becomes ``eval/X`` and every other numeric key ``train/X`` (HF's
``rewrite_logs``). Strings (``elapsed_time``, ``percentage``, ``"N/M"``), booleans and nested
values are not scalars and are left out.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from coordlint.columns import Problem, ScalarColumns

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
    """The row's global step: ms-swift 3.x ``"N/M"``, 2.x ``global_step``, HF ``step``."""
    progress = row.get("global_step/max_steps")
    if isinstance(progress, str) and progress.split("/", 1)[0].strip().isdigit():
        return int(progress.split("/", 1)[0])
    for key in ("global_step", "step"):
        value = row.get(key)
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
    return None


def _numeric(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _is_eval_row(row: Mapping[str, Any]) -> bool:
    return any(key.startswith(("eval_", "test_")) for key in row)


def _points_from_rows(rows: Iterable[tuple[int, dict[str, Any]]]) -> LogPoints:
    """(step, row) pairs → per-tag columns in write order. An eval row's copy of a bookkeeping
    key (:data:`BOOKKEEPING_KEYS`) is left out where a train row logged that key at that step."""
    rows = list(rows)
    train_side = {
        (key, step)
        for step, row in rows
        if not _is_eval_row(row)
        for key in BOOKKEEPING_KEYS.intersection(row)
    }
    steps: dict[str, list[int]] = {}
    values: dict[str, list[float]] = {}
    for step, row in rows:
        copies = _is_eval_row(row)
        for key, value in row.items():
            if key in _POSITION_KEYS or not _numeric(value):
                continue
            if copies and (key, step) in train_side:
                continue
            tag = hf_tag(key)
            steps.setdefault(tag, []).append(step)
            values.setdefault(tag, []).append(float(value))
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


def read_logging_jsonl(path: Path) -> LogPoints:
    """Read an ms-swift ``logging.jsonl``; damage becomes problems, never exceptions."""
    name = str(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        return LogPoints(problems=[Problem(name, "unreadable", f"cannot read: {exc.strerror}")])
    if not data.strip():
        return LogPoints(problems=[Problem(name, "empty", "empty file: no log rows")])
    problems: list[Problem] = []
    rows: list[tuple[int, dict[str, Any]]] = []
    lines = data.split(b"\n")
    ends_with_newline = data.endswith(b"\n")
    offset = 0
    for number, raw in enumerate(lines, start=1):
        line_offset, offset = offset, offset + len(raw) + 1
        if not raw.strip():
            continue
        last = number == len(lines) or (number == len(lines) - 1 and ends_with_newline)
        try:
            row = json.loads(raw)
        except (ValueError, UnicodeDecodeError):
            if last and not ends_with_newline:
                problems.append(
                    Problem(
                        name,
                        "truncated",
                        f"line {number} is incomplete (a job still writing?); skipped",
                        offset=line_offset,
                        records_skipped=1,
                    )
                )
            else:
                problems.append(
                    Problem(
                        name,
                        "bad-line",
                        f"line {number} is not JSON; skipped",
                        offset=line_offset,
                        records_skipped=1,
                    )
                )
            continue
        if not isinstance(row, dict) or _FINAL_ROW_KEYS & row.keys():
            continue
        step = row_step(row)
        if step is None:
            problems.append(
                Problem(
                    name,
                    "bad-line",
                    f"line {number} has no global step; skipped",
                    offset=line_offset,
                    records_skipped=1,
                )
            )
            continue
        if rows and rows[-1][0] == step and rows[-1][1].keys() == row.keys():
            rows[-1] = (step, row)  # ms-swift 2.x writes every row twice: one write, not two
            continue
        rows.append((step, row))
    out = _points_from_rows(rows)
    out.problems = problems
    return out


def _log_history(path: Path) -> list | Problem:
    """The ``log_history`` list of a ``trainer_state.json``, or the problem that stopped it."""
    name = str(path)
    try:
        state = json.loads(path.read_bytes())
    except OSError as exc:
        return Problem(name, "unreadable", f"cannot read: {exc.strerror}")
    except (ValueError, UnicodeDecodeError) as exc:
        return Problem(name, "corrupt", f"not valid JSON: {exc}")
    history = state.get("log_history") if isinstance(state, dict) else None
    if not isinstance(history, list):
        return Problem(name, "corrupt", "no log_history list")
    return history


def _history_points(history: list | Problem) -> LogPoints:
    if isinstance(history, Problem):
        return LogPoints(problems=[history])
    rows = []
    for entry in history:
        step = row_step(entry) if isinstance(entry, dict) else None
        if step is not None:
            rows.append((step, entry))
    return _points_from_rows(rows)


def read_trainer_state(path: Path) -> LogPoints:
    """Read an HF ``trainer_state.json``'s ``log_history``."""
    return _history_points(_log_history(path))


def read_newest_trainer_state(candidates: Iterable[Path]) -> tuple[Path, LogPoints] | None:
    """Of several ``checkpoint-N/trainer_state.json`` copies, the one with the longest history
    (ties: the highest checkpoint step, then the newest file), read; each copy is parsed once."""
    best: tuple[tuple[int, int, float], Path, list | Problem] | None = None
    for path in candidates:
        history = _log_history(path)
        length = -1 if isinstance(history, Problem) else len(history)
        digits = path.parent.name.rpartition("-")[2]
        key = (length, int(digits) if digits.isdigit() else -1, _mtime(path))
        if best is None or key > best[0]:
            best = (key, path, history)
    if best is None:
        return None
    return best[1], _history_points(best[2])


def newest_trainer_state(candidates: Iterable[Path]) -> Path | None:
    """The copy :func:`read_newest_trainer_state` would read."""
    found = read_newest_trainer_state(candidates)
    return found[0] if found else None


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0
