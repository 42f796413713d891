"""The run as rules see it: :class:`Run`, the one object a rule reads.

A ``Run`` is a face over the loader's storage (:class:`coordlint.rundata.RunData`): a rule sees
the run's name, path, config, tags and series, and what the loader saw (the files read, the
damage found, the steps written twice). Every read goes through this face, so the engine knows
which tags a rule asked for (and can call it *not applicable* when the run lacks all of them).
Series are copies: a rule may change what it gets without touching the run or other rules.

Build one in a test with :func:`coordlint.testing.make_run`.
"""

from __future__ import annotations

import math
import reprlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np

from coordlint.columns import EMPTY, Problem, ScalarColumns
from coordlint.reference import Reference
from coordlint.runconfig import CONFIG_TYPES, RunConfig
from coordlint.rundata import Checkpoint, RunData

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["Checkpoint", "NonFinite", "Run"]


@dataclass(frozen=True)
class NonFinite:
    """A tag's NaN/±inf values: how many, and the step and value of the first one written."""

    count: int
    step: int
    value: float

    @property
    def spelled(self) -> str:
        """``nan``, ``inf`` or ``-inf``."""
        if math.isnan(self.value):
            return "nan"
        return "inf" if self.value > 0 else "-inf"


class Run:
    """A training run as rules see it: series by tag, the config, and what the loader saw.

    A gated checkpoint's run shows its points at steps <= the checkpoint's step only (an eval
    logged at that step counts, one logged after it does not), to every rule, unless the rule
    was declared with ``whole_run=True`` (it then sees every point, and ``run.checkpoint``).
    """

    __slots__ = ("_aliases", "_asked", "_data", "_lacking", "_whole", "checkpoint", "references")

    def __init__(
        self,
        data: RunData,
        *,
        tag_aliases: Mapping[str, Sequence[str]] | None = None,
        checkpoint: Checkpoint | None = None,
        references: Sequence[Reference] = (),
        asked: list[str] | None = None,
    ) -> None:
        """A face over ``data`` (the whole run); ``checkpoint`` (default: the data's own)
        makes it the run as of the checkpoint's step."""
        checkpoint = checkpoint or data.checkpoint
        self._whole = data
        self._data = data if checkpoint is None else data.as_of(checkpoint.step)
        self._aliases: Mapping[str, Sequence[str]] = tag_aliases or {}
        self._asked = asked
        self._lacking: dict[str, tuple[str, ...]] = {}
        #: The checkpoint this run is judged as of, or ``None`` for a whole run.
        self.checkpoint = checkpoint
        #: Reference runs the team trusts, to compare against (see ``check --reference``).
        self.references: tuple[Reference, ...] = tuple(references)

    # -- who the run is -------------------------------------------------------------------
    @property
    def name(self) -> str:
        """The run's name in reports (``<name>@<step>`` for a gated checkpoint)."""
        return self._data.name

    @property
    def path(self) -> str:
        """Where the run's logs are (a directory or file path, or a URL)."""
        return self._data.path

    @property
    def config(self) -> RunConfig:
        """Every key of the run's config files (``resolved_config.json``, ``args.json``, the
        trainer's arguments), dotted: ``run.config.get("save_total_limit")``."""
        config = self._data.config
        return config if isinstance(config, RunConfig) else RunConfig(config)

    # -- what rules read ------------------------------------------------------------------
    @property
    def tags(self) -> list[str]:
        """Every scalar tag of the run, sorted."""
        return sorted(self._data.columns)

    def has(self, tag: str) -> bool:
        """Whether the run logs ``tag`` (directly or through a configured alias)."""
        if self._asked is not None:
            self._asked.append(tag)
        return self.logged_as(tag) is not None

    def logged_as(self, tag: str) -> str | None:
        """The tag as the log spells it: ``tag`` itself, or its first configured alias the run
        logs; ``None`` when the run has neither. Asking does not count as reading the tag."""
        if tag in self._data.columns:
            return tag
        for alias in self._aliases.get(tag, ()):
            if alias in self._data.columns:
                return alias
        return None

    def series(self, tag: str) -> pd.Series:
        """``tag``'s values as a float Series indexed by step (sorted, unique); empty if absent.

        The Series owns a copy of the points: a rule may change it without touching the run.
        """
        columns = self._columns(tag)
        return _owned_series(columns.values, columns.steps, tag)

    def wall_times(self, tag: str) -> pd.Series:
        """``tag``'s wall times (seconds since the epoch) indexed by step; empty if absent."""
        columns = self._columns(tag)
        return _owned_series(columns.wall_times, columns.steps, tag)

    def last_step(self, tag: str) -> int | None:
        """The last step ``tag`` was logged at (``None`` when absent), without reading it
        (except for a gated run's tag that goes on past the checkpoint: its cut is read)."""
        columns = self._columns(tag)
        return columns.facts.last_step if len(columns) else None

    def non_finite(self, tag: str) -> NonFinite | None:
        """``tag``'s NaN/±inf values (``None`` when it has none), without reading its arrays."""
        count, first = self._columns(tag).non_finite_facts()
        if not count or first is None:
            return None
        step, value = first
        return NonFinite(count, step, value)

    # -- what the loader saw --------------------------------------------------------------
    @property
    def source(self) -> str:
        """What contributed points: ``tfevents``, ``logging.jsonl``, ... joined with ``+``."""
        return self._data.source

    @property
    def files(self) -> tuple[str, ...]:
        """Every file read for this run, config files included."""
        return tuple(self._data.files)

    @property
    def problems(self) -> tuple[Problem, ...]:
        """What the loader could not read (reported by ``CL901 corrupt-log``)."""
        return tuple(self._data.problems)

    @property
    def rewritten(self) -> Mapping[str, int]:
        """Per tag, how many writes changed an already written step's value (the latest write
        is kept; a step written again with the same value is one point, not a rewrite)."""
        return dict(self._data.rewritten)

    @property
    def points(self) -> int:
        """How many (tag, step) points the run holds after deduplication."""
        return self._data.points

    @property
    def kept_checkpoints(self) -> tuple[Checkpoint, ...]:
        """The saved models found beside the run's logs (``checkpoint-N/``, and merged models
        such as ``checkpoint-N-merged/``), by step: what is still there to evaluate or ship."""
        return self._whole.kept_checkpoints

    @property
    def lacks(self) -> Mapping[str, tuple[str, ...]]:
        """Per rule code, the tags it asked for when it was not applicable here because the run
        logs none of them. Filled in by the engine once the run's own rules have run, so only
        rules over all runs (``scope="runs"``) see it filled."""
        return dict(self._lacking)

    def _for_rule(self, asked: list[str] | None, *, whole: bool = False) -> Run:
        """A fresh face over the same data for one rule (the engine's): it records the tags the
        rule asks for in ``asked``, and whatever the rule does to it stays with it. ``whole``:
        the whole run even when it is gated as of a checkpoint."""
        face = Run.__new__(Run)
        face._whole = self._whole
        face._data = self._whole if whole else self._data
        face._aliases = self._aliases
        face._asked = asked
        face._lacking = self._lacking
        face.checkpoint = self.checkpoint
        face.references = self.references
        return face

    def _with_references(self, references: Sequence[Reference]) -> Run:
        """This face with ``references`` attached (the check core's: loaded once per check)."""
        face = self._for_rule(self._asked, whole=self._data is self._whole)
        face.references = tuple(references)
        return face

    def _lacked(self, code: str, tags: Sequence[str]) -> None:
        """Record (the engine's) that rule ``code`` was not applicable for lack of ``tags``."""
        self._lacking[code] = tuple(dict.fromkeys(tags))

    def _config_checked(self, types: Mapping[str, type]) -> Run:
        """This run with every config key of ``types`` whose value has another type hidden from
        rules and reported as a ``bad-config`` problem (CL901), so a rule falls back to the
        logs' evidence instead of misreading ``"false"`` as true (the engine's)."""
        config = self.config
        wrong = config.mistyped(types)
        if not wrong:
            return self
        problems = [
            Problem(
                config.source_of(key) or ", ".join(config.sources) or self.path,
                "bad-config",
                f"config key {key} is {_short_repr(value)} ({type(value).__name__}), expected "
                f"{CONFIG_TYPES.get(types[key], types[key].__name__)}; ignored",
            )
            for key, value in wrong
        ]
        # from the whole run: a gated face cuts it again, and a whole_run rule still sees it all
        data = replace(
            self._whole,
            config=config.without([key for key, _ in wrong]),
            problems=[*self._whole.problems, *problems],
        )
        return Run(
            data,
            tag_aliases=self._aliases,
            checkpoint=self.checkpoint,
            references=self.references,
            asked=self._asked,
        )

    def _columns(self, tag: str) -> ScalarColumns:
        if self._asked is not None:
            self._asked.append(tag)
        logged = self.logged_as(tag)
        return EMPTY if logged is None else self._data.columns[logged]

    def __repr__(self) -> str:
        return f"Run({self.name!r}, tags={len(self._data.columns)}, points={self.points})"


_REPR = reprlib.Repr()
_REPR.maxstring = _REPR.maxother = 60


def _short_repr(value: object) -> str:
    return _REPR.repr(value)


def _owned_series(values: np.ndarray, steps: np.ndarray, name: str) -> pd.Series:
    """A float64 Series over copies of ``values`` by ``steps``. Copying with numpy and handing
    pandas the copies (``copy=False``, a dtype object, not a string) costs a third of
    ``pd.Series(values, index=..., dtype="float64")``, which looks the string up in pandas'
    dtype registry on every call."""
    import pandas as pd

    index = pd.Index(np.array(steps, dtype=np.int64), name="step", copy=False)
    return pd.Series(np.array(values, dtype=np.float64), index=index, name=name, copy=False)
