"""The loaded run: the one object rules read.

Loaders build a :class:`Run` from per-tag columns; rules only ever read it. Nothing here touches
files, so a rule's test can build a run from plain arrays (see :mod:`coordlint.testing`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["Problem", "Run", "ScalarColumns", "normalise_tag"]

_HF_EVAL_PREFIX = re.compile(r"^(eval|test)_(?=.)")


def normalise_tag(tag: str) -> str:
    """Spell a tag the way HF's TensorBoard callback writes it, so rules ask for one name.

    ``eval_loss`` → ``eval/loss`` (and ``test_X`` → ``test/X``); anything else is unchanged.
    """
    return _HF_EVAL_PREFIX.sub(r"\1/", tag, count=1)


@dataclass(frozen=True)
class Problem:
    """Something a loader could not read, reported by ``CL901 corrupt-log`` instead of raised.

    ``kind`` is one of: ``truncated``, ``corrupt``, ``empty``, ``header-only``, ``lfs-pointer``,
    ``not-tfrecord``, ``unreadable``, ``bad-line``, ``bad-config``.
    """

    file: str
    kind: str
    message: str
    offset: int | None = None
    records_skipped: int = 0


@dataclass
class ScalarColumns:
    """One tag's points, in write order or already resolved (sorted by step, one point a step)."""

    steps: np.ndarray  # int64
    values: np.ndarray  # float64
    wall_times: np.ndarray  # float64

    def __len__(self) -> int:
        return len(self.steps)

    @classmethod
    def concat(cls, parts: Iterable[ScalarColumns]) -> ScalarColumns:
        parts = list(parts)
        if len(parts) == 1:
            return parts[0]
        return cls(
            np.concatenate([p.steps for p in parts]),
            np.concatenate([p.values for p in parts]),
            np.concatenate([p.wall_times for p in parts]),
        )

    def resolve(self) -> tuple[ScalarColumns, int]:
        """Sort by step, keeping each step's latest write; return it and how many were rewritten."""
        n = len(self.steps)
        if n == 0:
            return self, 0
        steps = self.steps
        if n == 1 or bool(np.all(steps[1:] > steps[:-1])):
            return self, 0
        # np.unique on the reversed steps finds each step's *last* write in original order.
        _, first_in_reversed = np.unique(steps[::-1], return_index=True)
        keep = n - 1 - first_in_reversed
        resolved = ScalarColumns(steps[keep], self.values[keep], self.wall_times[keep])
        return resolved, n - len(keep)


@dataclass
class Run:
    """A training run as rules see it: scalar series by tag, the config, and what the loader saw.

    ``scalars`` must already be resolved (sorted by step, one point per step); use
    :meth:`from_writes` to build a run from points in write order.
    """

    name: str
    path: str
    scalars: dict[str, ScalarColumns]
    source: str = "tfevents"
    files: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    rewritten: dict[str, int] = field(default_factory=dict)
    config: Mapping[str, Any] = field(default_factory=dict)
    tag_aliases: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    # Tags asked for while the engine runs one rule; decides "not applicable" (see engine).
    _asked: list[str] | None = field(default=None, repr=False, compare=False)

    @classmethod
    def from_writes(
        cls, name: str, path: str, writes: Mapping[str, Iterable[ScalarColumns]], **kwargs: Any
    ) -> Run:
        """Build a run from each tag's columns in write order: the latest write of a step wins."""
        scalars: dict[str, ScalarColumns] = {}
        rewritten: dict[str, int] = {}
        grouped: dict[str, list[ScalarColumns]] = {}
        for tag, parts in writes.items():
            grouped.setdefault(normalise_tag(tag), []).extend(parts)
        for tag, parts in grouped.items():
            resolved, count = ScalarColumns.concat(parts).resolve()
            scalars[tag] = resolved
            if count:
                rewritten[tag] = count
        return cls(name=name, path=path, scalars=scalars, rewritten=rewritten, **kwargs)

    # -- what rules read -------------------------------------------------------------------
    @property
    def tags(self) -> list[str]:
        """Every scalar tag of the run, sorted."""
        return sorted(self.scalars)

    @property
    def points(self) -> int:
        """How many (tag, step) points the run holds after deduplication."""
        return sum(len(c) for c in self.scalars.values())

    def resolve_tag(self, tag: str) -> str | None:
        """The tag actually logged for ``tag``: itself, or its first configured alias present."""
        if tag in self.scalars:
            return tag
        for alias in self.tag_aliases.get(tag, ()):
            if alias in self.scalars:
                return alias
        return None

    def has(self, tag: str) -> bool:
        """Whether the run logs ``tag`` (directly or through an alias)."""
        if self._asked is not None:
            self._asked.append(tag)
        return self.resolve_tag(tag) is not None

    def series(self, tag: str) -> pd.Series:
        """``tag``'s values as a float Series indexed by step (sorted, unique); empty if absent."""
        columns = self._columns(tag)
        return pd.Series(
            columns.values, index=pd.Index(columns.steps, name="step"), name=tag, dtype="float64"
        )

    def wall_times(self, tag: str) -> pd.Series:
        """``tag``'s wall times (seconds since the epoch) indexed by step; empty if absent."""
        columns = self._columns(tag)
        return pd.Series(
            columns.wall_times,
            index=pd.Index(columns.steps, name="step"),
            name=tag,
            dtype="float64",
        )

    def _columns(self, tag: str) -> ScalarColumns:
        if self._asked is not None:
            self._asked.append(tag)
        resolved = self.resolve_tag(tag)
        if resolved is None:
            return _EMPTY
        return self.scalars[resolved]

    def __repr__(self) -> str:
        return f"Run({self.name!r}, tags={len(self.scalars)}, points={self.points})"


_EMPTY = ScalarColumns(
    np.empty(0, dtype=np.int64), np.empty(0, dtype=np.float64), np.empty(0, dtype=np.float64)
)


def run_name(argument: Path, run_dir: Path) -> str:
    """A run's name: its path relative to the argument, or the argument's own name."""
    try:
        rel = run_dir.relative_to(argument)
    except ValueError:
        return run_dir.name
    return argument.name if str(rel) == "." else rel.as_posix()
