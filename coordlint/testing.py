"""What a rule author needs to test a rule in a few lines.

Build a run from plain data (:func:`make_run`), or write a real TensorBoard event file through
tensorboard's own writer and load it (:func:`write_events`, :func:`load`), then run rules through
the real engine (:func:`check`). Use the fixtures from a ``conftest.py`` with::

    pytest_plugins = ["coordlint.testing"]
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Union

import numpy as np

from coordlint.columns import ScalarColumns
from coordlint.core import engine
from coordlint.core.config import Settings
from coordlint.core.plugins import load_plugins
from coordlint.core.references import reference_from_run
from coordlint.execution.collect import Targets, load_path
from coordlint.reference import Reference
from coordlint.rule import Finding, Rule
from coordlint.run import Run
from coordlint.rundata import RunData

if TYPE_CHECKING:
    import pandas as pd

#: A curve given as a pandas Series (indexed by step), a ``{step: value}`` mapping, or
#: ``(step, value)`` pairs.
SeriesLike = Union["pd.Series", Mapping[int, float], Sequence[tuple[int, float]]]

__all__ = ["SeriesLike", "check", "load", "make_reference", "make_run", "write_events"]


def _pairs(data: SeriesLike) -> tuple[np.ndarray, np.ndarray]:
    index = getattr(data, "index", None)
    if index is not None and hasattr(data, "to_numpy"):  # a pandas Series
        return index.to_numpy(dtype=np.int64), data.to_numpy(dtype=np.float64)
    items = list(data.items()) if isinstance(data, Mapping) else list(data)
    steps = np.array([int(s) for s, _ in items], dtype=np.int64)
    values = np.array([float(v) for _, v in items], dtype=np.float64)
    return steps, values


def make_run(
    scalars: Mapping[str, SeriesLike],
    name: str = "run",
    *,
    path: str | None = None,
    config: Mapping[str, Any] | None = None,
    **kwargs: Any,
) -> Run:
    """A run from ``{tag: {step: value}}`` (or a Series, or (step, value) pairs) in write order.

    ``path`` is the run's directory (default: its name); ``config`` becomes ``run.config`` (flat
    dotted keys or nested documents); other keyword arguments are
    :class:`~coordlint.columns.RunData` fields (``problems``, ``source``, ...).
    """
    writes = {}
    for tag, data in scalars.items():
        steps, values = _pairs(data)
        writes[tag] = [ScalarColumns(steps, values, np.zeros(len(steps)))]
    stored = RunData.from_writes(name, path or name, writes, config=dict(config or {}), **kwargs)
    return Run(stored)


def write_events(
    directory: str | Path,
    scalars: Mapping[str, SeriesLike],
    *,
    start_time: float = 1_700_000_000.0,
    seconds_per_step: float = 1.0,
) -> Path:
    """Write ``scalars`` into a real event file under ``directory`` with tensorboard's writer.

    Points are written step by step (all tags of a step together), as trainers do; a tag's
    points keep their order, so a rewound step in the input is written again, as in a resume.
    Returns the event file's path.
    """
    from tensorboard.compat.proto import event_pb2, summary_pb2
    from tensorboard.summary.writer.event_file_writer import EventFileWriter

    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    before = set(directory.glob("*tfevents*"))
    writer = EventFileWriter(str(directory))
    columns = {tag: _pairs(data) for tag, data in scalars.items()}
    order = sorted(
        ((i, tag) for tag, (steps, _) in columns.items() for i in range(len(steps))),
        key=lambda item: (item[0], item[1]),
    )
    for i, tag in order:
        steps, values = columns[tag]
        step = int(steps[i])
        summary = summary_pb2.Summary(
            value=[summary_pb2.Summary.Value(tag=tag, simple_value=float(values[i]))]
        )
        writer.add_event(
            event_pb2.Event(
                wall_time=start_time + step * seconds_per_step, step=step, summary=summary
            )
        )
    writer.close()
    (path,) = set(directory.glob("*tfevents*")) - before
    return path


def load(path: str | Path) -> Run:
    """Load the single run at ``path`` with the real loader. The run is named as if the
    project were the directory above it (its name is its directory's name), wherever the test
    runs from; a checkpoint directory is gated as of its step, as the CLI gates it."""
    root = Path(os.path.abspath(path)).parent
    runs = load_path(path, targets=Targets(root=root))
    if len(runs) != 1:
        raise ValueError(f"expected one run under {path}, found {len(runs)}")
    return Run(runs[0])


def make_reference(run: Run) -> Reference:
    """``run`` as a reference run, reduced as ``coordlint reference build`` reduces it (the
    built-in pack's config keys, eval tags exact, other tags binned)."""
    return reference_from_run(run._whole, load_plugins(autoload=False).reference_config)


def check(
    runs: Run | Iterable[Run],
    select: str | Sequence[str] = "ALL",
    *,
    params: Mapping[str, Mapping[str, Any]] | None = None,
    rules: Iterable[Rule] | None = None,
    references: Sequence[Reference] = (),
) -> list[Finding]:
    """Run the selected rules (built-ins and installed plugins, or ``rules``) through the
    engine, with ``references`` (see :func:`make_reference`) attached to every run."""
    runs = [runs] if isinstance(runs, (Run, RunData)) else list(runs)
    if references:
        runs = [(r if isinstance(r, Run) else Run(r))._with_references(references) for r in runs]
    plugins = load_plugins()
    available = {r.code: r for r in rules} if rules is not None else plugins.rules
    settings = Settings(select=[select] if isinstance(select, str) else list(select))
    settings.params = {code: dict(p) for code, p in (params or {}).items()}
    settings.validate(available)
    return engine.check(runs, available, settings, config_types=plugins.config_keys).findings


try:  # the fixture registers only where pytest is installed (a notebook needs none of it)
    import pytest
except ImportError:  # pragma: no cover - exercised without pytest installed
    pass
else:

    @pytest.fixture
    def event_run(tmp_path: Path) -> Any:
        """Factory fixture: ``event_run({tag: {step: value}})`` writes a real event file and
        loads it."""

        def factory(scalars: Mapping[str, SeriesLike], name: str = "run") -> Run:
            write_events(tmp_path / name, scalars)
            return load(tmp_path / name)

        return factory
