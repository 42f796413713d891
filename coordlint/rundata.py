"""A loaded run as data: :class:`RunData` (its resolved columns by tag and what the loader saw)
and :class:`Checkpoint` (a saved model of it).

The loaders (:mod:`coordlint.loading`) build a :class:`RunData`; the engine hands rules a
:class:`coordlint.Run` over it, which shows only the rule-facing face. A gated checkpoint's run
is judged :meth:`~RunData.as_of` its step; a resumed run is :meth:`~RunData.joined` from its
parts.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from coordlint.columns import NO_STEPS, Problem, ScalarColumns, normalise_tag
from coordlint.runconfig import RunConfig

__all__ = ["Checkpoint", "RunData"]


@dataclass(frozen=True)
class Checkpoint:
    """A saved model of a run: its directory, the step it was saved at and how that step was
    found (``name``, ``trainer_state``, ``--step``, ``config``), and whether it is a merged
    model. A gated checkpoint also says what its own files claim: the step in its name, its
    ``trainer_state.json`` ``global_step`` and the run its ``args.json`` names (``output_dir``)."""

    path: str
    step: int
    step_source: str
    merged: bool = False
    name_step: int | None = None
    state_step: int | None = None
    args_output_dir: str | None = None


@dataclass
class RunData:
    """A loaded run as stored: resolved columns by tag (sorted by step, one point a step) and
    what the loader saw. Build one from points in write order with :meth:`from_writes`.

    ``checkpoint`` is the checkpoint the run is gated as of (``None``: the whole run);
    ``kept_checkpoints`` the saved models found beside its logs, by step."""

    name: str
    path: str
    columns: dict[str, ScalarColumns]
    source: str = "tfevents"
    files: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    #: Per tag, the step of each write that changed an already written step's value.
    rewritten_at: dict[str, np.ndarray] = field(default_factory=dict)
    config: Mapping[str, Any] = field(default_factory=dict)
    checkpoint: Checkpoint | None = None
    kept_checkpoints: tuple[Checkpoint, ...] = ()

    @classmethod
    def from_writes(
        cls, name: str, path: str, writes: Mapping[str, Iterable[ScalarColumns]], **kwargs: Any
    ) -> RunData:
        """Build a run from each tag's columns in write order: the latest write of a step wins."""
        columns: dict[str, ScalarColumns] = {}
        rewritten: dict[str, np.ndarray] = {}
        grouped: dict[str, list[ScalarColumns]] = {}
        for tag, parts in writes.items():
            grouped.setdefault(normalise_tag(tag), []).extend(parts)
        for tag, parts in grouped.items():
            joined = parts[0] if len(parts) == 1 else ScalarColumns.concat(parts)
            resolved, steps = joined.resolve()
            columns[tag] = resolved
            if len(steps):
                rewritten[tag] = steps
        return cls(name=name, path=path, columns=columns, rewritten_at=rewritten, **kwargs)

    @property
    def rewritten(self) -> dict[str, int]:
        """Per tag, how many writes changed an already written step's value."""
        return {tag: len(steps) for tag, steps in self.rewritten_at.items()}

    @property
    def points(self) -> int:
        """How many (tag, step) points the run holds after deduplication."""
        return sum(len(c) for c in self.columns.values())

    def renamed(self, name: str) -> RunData:
        return replace(self, name=name)

    def as_of(self, step: int) -> RunData:
        """The run as it was at ``step``: each tag's points at steps <= ``step`` (a tag with
        none is left out). Tags that end by ``step`` are the same columns; the others are cut
        when first read, so the view costs nothing until a rule reads it."""
        columns = {}
        for tag, column in self.columns.items():
            cut = column.as_of(step)
            if cut is not None:
                columns[tag] = cut
        rewritten = {}
        for tag, steps in self.rewritten_at.items():
            kept = steps[: int(np.searchsorted(steps, step, side="right"))]
            if len(kept):
                rewritten[tag] = kept
        return replace(self, columns=columns, rewritten_at=rewritten)

    @classmethod
    def joined(cls, name: str, path: str, parts: Sequence[RunData]) -> RunData:
        """One run from ``parts`` trained one after another (a run and its resumes): every
        tag's points in part order, the latest write of a step winning; the files, damage and
        kept checkpoints of every part; the latest part's config first."""
        writes: dict[str, list[ScalarColumns]] = {}
        for part in parts:
            for tag, column in part.columns.items():
                writes.setdefault(tag, []).append(column)
        sources = dict.fromkeys(s for p in parts for s in p.source.split("+") if s != "none")
        run = cls.from_writes(
            name,
            path,
            writes,
            source="+".join(sources) or "none",
            files=[f for p in parts for f in p.files],
            problems=[x for p in parts for x in p.problems],
            config=RunConfig.layered([p.config for p in reversed(parts)]),
            kept_checkpoints=tuple(
                sorted({c.path: c for p in parts for c in p.kept_checkpoints}.values(), key=_order)
            ),
        )
        for part in parts:
            for tag, steps in part.rewritten_at.items():
                both = np.concatenate([run.rewritten_at.get(tag, NO_STEPS), steps])
                run.rewritten_at[tag] = np.sort(both, kind="stable")
        return run


def _order(checkpoint: Checkpoint) -> tuple[int, bool, str]:
    return checkpoint.step, checkpoint.merged, checkpoint.path
