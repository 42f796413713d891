"""How a tag's points are stored: :class:`ScalarColumns` (arrays, or deferred behind their
:class:`ColumnFacts`), and the damage a loader reports as :class:`Problem`.

A run is a mapping of these by tag (:class:`coordlint.rundata.RunData`). Nothing here touches
files: a deferred column's loader is a callable the loading layer injects.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = [
    "EMPTY",
    "NO_STEPS",
    "ColumnFacts",
    "Problem",
    "ScalarColumns",
    "normalise_tag",
    "same_value",
]

_HF_EVAL_PREFIX = re.compile(r"^(eval|test)_(?=.)")


def normalise_tag(tag: str) -> str:
    """Spell a tag the way HF's TensorBoard callback writes it, so rules ask for one name.

    ``eval_loss`` → ``eval/loss`` (and ``test_X`` → ``test/X``); anything else is unchanged.
    """
    if not tag.startswith(("eval_", "test_")):  # most tags: no regex needed
        return tag
    return _HF_EVAL_PREFIX.sub(r"\1/", tag, count=1)


@dataclass(frozen=True)
class Problem:
    """Something a loader could not read, reported by ``CL901 corrupt-log`` instead of raised.

    ``kind`` is one of: ``truncated``, ``corrupt``, ``empty``, ``header-only``, ``lfs-pointer``,
    ``not-tfrecord``, ``unreadable``, ``too-large``, ``bad-line``, ``bad-value``,
    ``bad-tensor``, ``bad-config``, ``loader-error``, ``summary-only`` (a W&B run read from its
    summary alone: final values, no curves). ``offset`` is the byte offset of the damage (None
    when the whole file is concerned); ``records_skipped`` the records (or log lines) lost;
    ``bytes_skipped`` and ``ranges`` (``(start, stop)`` byte offsets) the bytes of an event
    file skipped to get past the damage.
    """

    file: str
    kind: str
    message: str
    offset: int | None = None
    records_skipped: int = 0
    bytes_skipped: int = 0
    ranges: tuple[tuple[int, int], ...] = ()


@dataclass(frozen=True)
class ColumnFacts:
    """What is known of a column without reading its arrays: enough to resolve it, count it and
    check it for non-finite values. A cache entry stores these beside each tag, so a re-check
    reads only the arrays a rule asks for (see :meth:`ScalarColumns.deferred`)."""

    n: int
    #: Steps strictly increasing in write order: no step written twice, none out of order.
    increasing: bool
    first_step: int
    last_step: int
    #: How many values are NaN or ±inf, and the (step, value) of the first one in write order.
    non_finite: int = 0
    first_non_finite: tuple[int, float] | None = None

    @classmethod
    def of(cls, steps: np.ndarray, values: np.ndarray) -> ColumnFacts:
        n = len(steps)
        if n == 0:
            return cls(0, True, 0, 0)
        bad = ~np.isfinite(values)
        count = int(np.count_nonzero(bad))
        first = None
        if count:
            i = int(np.argmax(bad))
            first = (int(steps[i]), float(values[i]))
        return cls(
            n,
            n == 1 or bool(np.all(steps[1:] > steps[:-1])),
            int(steps[0]),
            int(steps[-1]),
            count,
            first,
        )

    @staticmethod
    def chain(parts: Sequence[ColumnFacts]) -> ColumnFacts | None:
        """The facts of ``parts`` concatenated, when the result is still increasing; else None."""
        parts = [p for p in parts if p.n]
        if not parts:
            return ColumnFacts(0, True, 0, 0)
        for a, b in itertools.pairwise(parts):
            if not (a.increasing and a.last_step < b.first_step):
                return None
        if not parts[-1].increasing:
            return None
        first_bad = next((p.first_non_finite for p in parts if p.non_finite), None)
        return ColumnFacts(
            sum(p.n for p in parts),
            True,
            parts[0].first_step,
            parts[-1].last_step,
            sum(p.non_finite for p in parts),
            first_bad,
        )


Arrays = tuple[np.ndarray, np.ndarray, np.ndarray]


class ScalarColumns:
    """One tag's points (steps int64, values float64, wall_times float64), in write order or
    already resolved (sorted by step, one point a step).

    A column is either built from arrays or *deferred*: its :class:`ColumnFacts` are known and
    its arrays are read by a loader the first time ``steps``, ``values`` or ``wall_times`` is
    touched. Counting, resolving an increasing column and checking for non-finite values use
    the facts alone, so a cached run costs only the tags its rules read. The arrays it hands out
    are read-only views (whoever built them may still write the arrays it passed in): nothing
    that reads a run can change it for the next reader.
    """

    __slots__ = ("_arrays", "_facts", "_loader", "_n")

    def __init__(
        self,
        steps: np.ndarray,
        values: np.ndarray,
        wall_times: np.ndarray,
        *,
        facts: ColumnFacts | None = None,
    ) -> None:
        """Columns from arrays; ``facts`` when they are already known (else computed once,
        when first needed)."""
        self._arrays: Arrays | None = _read_only((steps, values, wall_times))
        self._n = len(steps)
        self._facts = facts
        self._loader: Callable[[], Arrays] | None = None

    @classmethod
    def deferred(cls, facts: ColumnFacts, loader: Callable[[], Arrays]) -> ScalarColumns:
        """A column of ``facts.n`` points whose arrays ``loader()`` returns when first needed
        (the loader must be picklable to cross process pools)."""
        self = cls.__new__(cls)
        self._arrays = None
        self._n = facts.n
        self._facts = facts
        self._loader = loader
        return self

    def _load(self) -> Arrays:
        arrays = self._arrays
        if arrays is None:
            assert self._loader is not None
            arrays = self._loader()
            if any(len(a) != self._n for a in arrays):
                raise RuntimeError(f"column loader returned {len(arrays[0])} of {self._n} points")
            self._arrays, self._loader = _read_only(arrays), None
        return arrays

    @property
    def steps(self) -> np.ndarray:
        return self._load()[0]

    @property
    def values(self) -> np.ndarray:
        return self._load()[1]

    @property
    def wall_times(self) -> np.ndarray:
        return self._load()[2]

    @property
    def loaded(self) -> bool:
        """Whether the arrays are in memory (always, unless deferred and not yet read)."""
        return self._arrays is not None

    @property
    def facts(self) -> ColumnFacts:
        """The column's facts (computed once from the arrays when not given)."""
        if self._facts is None:
            steps, values, _ = self._load()
            self._facts = ColumnFacts.of(steps, values)
        return self._facts

    def __len__(self) -> int:
        return self._n

    def __getstate__(self) -> tuple[Any, ...]:
        return (self._arrays, self._n, self._facts, self._loader)

    def __setstate__(self, state: tuple[Any, ...]) -> None:
        arrays, self._n, self._facts, self._loader = state
        self._arrays = None if arrays is None else _read_only(arrays)

    def __repr__(self) -> str:
        how = "loaded" if self.loaded else "deferred"
        return f"ScalarColumns({self._n} points, {how})"

    @classmethod
    def concat(cls, parts: Iterable[ScalarColumns]) -> ScalarColumns:
        given = list(parts)
        parts = [p for p in given if len(p)]
        if len(parts) <= 1:
            return parts[0] if parts else (given[0] if given else EMPTY)
        if not all(p.loaded for p in parts):
            facts = ColumnFacts.chain([p.facts for p in parts])
            if facts is not None:  # stays deferred: reading it later reads every part
                return cls.deferred(facts, _Chain(tuple(parts)))
        return cls(
            np.concatenate([p.steps for p in parts]),
            np.concatenate([p.values for p in parts]),
            np.concatenate([p.wall_times for p in parts]),
        )

    def resolve(self) -> tuple[ScalarColumns, np.ndarray]:
        """Sort by step, keeping each step's latest write; return it and the steps *rewritten*.

        A step written again with the same value (within float32 rounding) is the same point
        written twice (an eval row repeating the train row's ``epoch``), not a rewrite. Each
        write that changes a step's value is one rewrite; its step is listed once per rewrite.
        Increasing columns (known from their facts) are returned as they are, unread.
        """
        n = self._n
        if n <= 1 or self.facts.increasing:
            return self, NO_STEPS
        steps = self.steps
        order = np.argsort(steps, kind="stable")  # each step's writes stay in write order
        by_step = steps[order]
        again = by_step[1:] == by_step[:-1]
        last = np.ones(n, dtype=bool)
        last[:-1] = ~again
        values = self.values[order]
        changed = again & ~same_value(values[1:], values[:-1])
        keep = order[last]
        resolved = ScalarColumns(steps[keep], self.values[keep], self.wall_times[keep])
        return resolved, by_step[1:][changed]

    def as_of(self, step: int) -> ScalarColumns | None:
        """The points of this resolved column at steps <= ``step`` (``None`` when it has none):
        itself when its last step is not after ``step``, else a prefix cut when first read."""
        if not self._n:
            return None
        facts = self.facts
        if facts.first_step > step:
            return None
        if facts.last_step <= step:
            return self
        return _Prefix(self, step)

    def non_finite_facts(self) -> tuple[int, tuple[int, float] | None]:
        """How many values are NaN/±inf and the (step, value) of the first."""
        facts = self.facts
        return facts.non_finite, facts.first_non_finite


#: The float32 machine epsilon: two values this close (relative) are one logged float32.
F32_EPS = float(np.finfo(np.float32).eps)


def same_value(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Elementwise: equal within float32 rounding (NaN equals NaN, inf equals inf)."""
    with np.errstate(invalid="ignore"):
        close = np.abs(a - b) <= F32_EPS * np.maximum(np.abs(a), np.abs(b))
    same: np.ndarray = (a == b) | close | (np.isnan(a) & np.isnan(b))
    return same


class _Prefix(ScalarColumns):
    """A resolved column's points at steps <= ``step``, sliced (``searchsorted``) when first
    read. Its length and facts are known without reading when the column holds every step from
    its first to its last (then the cut is at a known position); whether it holds a non-finite
    value is known from the column's facts whenever the first one is after ``step``."""

    __slots__ = ("_base", "_step")

    def __init__(self, base: ScalarColumns, step: int) -> None:
        self._base, self._step = base, step
        self._arrays, self._loader, self._facts = None, None, None
        facts = base.facts
        self._n = -1
        if facts.increasing and facts.last_step - facts.first_step == facts.n - 1:
            self._n = step - facts.first_step + 1
            if not self._has_non_finite():
                self._facts = ColumnFacts(self._n, True, facts.first_step, step)

    def _has_non_finite(self) -> bool:
        first = self._base.facts.first_non_finite
        return first is not None and first[0] <= self._step

    def _load(self) -> Arrays:
        arrays = self._arrays
        if arrays is None:
            steps, values, walls = self._base._load()
            k = int(np.searchsorted(steps, self._step, side="right"))
            arrays = self._arrays = (steps[:k], values[:k], walls[:k])
            self._n = k
        return arrays

    def __len__(self) -> int:
        if self._n < 0:
            self._load()
        return self._n

    def non_finite_facts(self) -> tuple[int, tuple[int, float] | None]:
        if not self._has_non_finite():
            return 0, None
        return super().non_finite_facts()

    def __reduce__(self) -> tuple[Any, ...]:
        return (_Prefix, (self._base, self._step))


def _read_only(arrays: Arrays) -> Arrays:
    views = tuple(a.view() for a in arrays)
    for view in views:
        view.flags.writeable = False
    return views


@dataclass(frozen=True)
class _Chain:
    """The loader of a deferred concatenation: every part's arrays, joined."""

    parts: tuple[ScalarColumns, ...]

    def __call__(self) -> Arrays:
        return (
            np.concatenate([p.steps for p in self.parts]),
            np.concatenate([p.values for p in self.parts]),
            np.concatenate([p.wall_times for p in self.parts]),
        )


NO_STEPS = np.empty(0, dtype=np.int64)
NO_STEPS.setflags(write=False)
_EMPTY_VALUES = np.empty(0, dtype=np.float64)
_EMPTY_VALUES.setflags(write=False)
EMPTY = ScalarColumns(NO_STEPS, _EMPTY_VALUES, _EMPTY_VALUES)
