"""Reference runs as rules see them: :class:`Reference`, a known-good run's curves and config,
and :class:`Band`, the envelope a finding was judged against (for reports to draw).

``coordlint check --reference FILE_OR_RUN`` loads the references once per check and attaches
them to every run: ``run.references`` is a tuple of :class:`Reference`. A reference holds what a
reference file holds (``coordlint reference build``): the run's name, the config keys plugins
ask references to keep (the built-in pack: the coord loss settings CL502 compares) and its
curves, every ``eval/*`` tag exactly and every other tag median-binned to at most 500 points.
A reference given as a run is reduced the same way, so a file and its runs judge alike::

    for ref in run.references:
        mine, theirs = run.series("eval/loss"), ref.series("eval/loss")
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from coordlint.runconfig import RunConfig

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["Band", "Curve", "Reference"]


@dataclass(frozen=True, eq=False)
class Curve:
    """One tag of a reference: steps (int64, strictly increasing) and values (float64, as
    logged: non-finite values kept). ``binned``: each point is the median of a bin of the
    run's points (a train tag), not a logged point."""

    steps: np.ndarray
    values: np.ndarray
    binned: bool = False

    def __len__(self) -> int:
        return len(self.steps)


_NO_CURVE = Curve(np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float64))


class Reference:
    """A known-good run to compare a run with: its name, config and curves by tag.

    Its face mirrors :class:`coordlint.Run`'s reading half (``tags``, ``has``, ``logged_as``,
    ``series``, ``config``), so a helper written for runs can read a reference too.
    """

    __slots__ = ("_aliases", "_curves", "config", "name", "origin")

    def __init__(
        self,
        name: str,
        curves: Mapping[str, Curve],
        config: Mapping[str, Any] | None = None,
        *,
        origin: str = "",
        tag_aliases: Mapping[str, Sequence[str]] | None = None,
    ) -> None:
        #: The reference run's name (as it was named when the reference was taken).
        self.name = name
        #: Where it was read: the reference file, or the run's path when given as a run.
        self.origin = origin
        #: The config keys a reference keeps (flat dotted keys), read like ``run.config``.
        self.config = config if isinstance(config, RunConfig) else RunConfig(dict(config or {}))
        self._curves: dict[str, Curve] = dict(curves)
        self._aliases: Mapping[str, Sequence[str]] = tag_aliases or {}

    @property
    def tags(self) -> list[str]:
        """Every tag the reference holds, sorted."""
        return sorted(self._curves)

    def logged_as(self, tag: str) -> str | None:
        """The tag as the reference holds it: ``tag`` or its first configured alias it holds."""
        if tag in self._curves:
            return tag
        return next((a for a in self._aliases.get(tag, ()) if a in self._curves), None)

    def has(self, tag: str) -> bool:
        """Whether the reference holds ``tag`` (directly or through a configured alias)."""
        return self.logged_as(tag) is not None

    def curve(self, tag: str) -> Curve:
        """``tag``'s arrays (read-only; empty when absent): for arithmetic without pandas."""
        logged = self.logged_as(tag)
        return _NO_CURVE if logged is None else self._curves[logged]

    def binned(self, tag: str) -> bool:
        """Whether ``tag``'s points are bin medians (a train tag) rather than logged points."""
        return self.curve(tag).binned

    def series(self, tag: str) -> pd.Series:
        """``tag``'s values as a float Series indexed by step (a copy); empty if absent."""
        import pandas as pd

        curve = self.curve(tag)
        index = pd.Index(np.array(curve.steps, dtype=np.int64), name="step", copy=False)
        values = np.array(curve.values, dtype=np.float64)
        return pd.Series(values, index=index, name=tag, copy=False)

    def with_aliases(self, tag_aliases: Mapping[str, Sequence[str]]) -> Reference:
        """The same reference answering for ``tag_aliases`` (a check's ``tag-aliases:``)."""
        return Reference(
            self.name, self._curves, self.config, origin=self.origin, tag_aliases=tag_aliases
        )

    def __repr__(self) -> str:
        return f"Reference({self.name!r}, tags={len(self._curves)})"


@dataclass(frozen=True, eq=False)
class Band:
    """The reference envelope a finding's ``series`` was judged against: at each of ``steps``
    (the run's evals inside the references' range), ``low``..``high`` around ``center``, from
    the references named in ``references``."""

    steps: np.ndarray
    center: np.ndarray
    low: np.ndarray
    high: np.ndarray
    references: tuple[str, ...] = ()

    def nearest(self, step: int) -> int | None:
        """The index of the band's step nearest to ``step``; ``None`` when it is empty."""
        if not len(self.steps):
            return None
        return int(np.argmin(np.abs(self.steps.astype(np.float64) - float(step))))

    def at(self, step: int) -> tuple[float, float, float] | None:
        """``(low, center, high)`` at the band's step nearest to ``step``; ``None`` if empty."""
        i = self.nearest(step)
        if i is None:
            return None
        return float(self.low[i]), float(self.center[i]), float(self.high[i])
