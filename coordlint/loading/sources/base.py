"""What a source is: how to recognise it on disk, how to read it, what its damage looks like.

A *source* is a kind of log store a tracker or trainer writes: MLflow's file store, Lightning's
``CSVLogger``, a plain table, a W&B offline run. Each is one :class:`Source` object in one
module; discovery (:mod:`coordlint.execution.discover`) asks every registered source about every
directory it walks (:meth:`Source.recognise`) and about files named on the command line or
matched by the config's ``sources:`` globs (:meth:`Source.claim`); the loader
(:mod:`coordlint.loading.run_loader`) calls :meth:`Source.read` on what was found. A team adds its
tracker's format by returning its own :class:`Source` from the ``coordlint_sources`` hook.

A source never raises on bad input: what it cannot read becomes a
:class:`~coordlint.columns.Problem` (``CL901 corrupt-log``) naming the file and, for text, the
line, and every valid point around it is kept.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from coordlint.columns import Problem, ScalarColumns
from coordlint.loading import source

__all__ = ["MAX_DATA_BYTES", "MAX_SMALL_BYTES", "Found", "Source", "SourceRead", "read_data_file"]

#: The largest data file (a table, a metric file) a source reads whole.
MAX_DATA_BYTES = 1 << 30
#: The largest config, params or summary file a source reads.
MAX_SMALL_BYTES = 64 << 20


@dataclass(frozen=True)
class Found:
    """One run a source found: where it is and the files its :meth:`Source.read` starts from
    (it may read more: an MLflow run's ``metrics/`` below its ``meta.yaml``).

    ``path`` names the run (run names are made from it): the run's directory, or the file
    itself when one file is one run (a table). The directory a source recognises owns
    everything below it: discovery does not search its subdirectories.
    """

    source: Source
    path: Path
    files: tuple[Path, ...]


@dataclass
class SourceRead:
    """What a source read from one run: each tag's points in write order, the run's config
    documents (priority order) with the files they came from, every data file read, and the
    damage found."""

    writes: dict[str, list[ScalarColumns]] = field(default_factory=dict)
    config: list[Mapping[str, Any]] = field(default_factory=list)
    config_files: list[str] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


class Source(ABC):
    """A kind of log store. Subclass it, set :attr:`name`, implement :meth:`read` and at
    least one of :meth:`recognise` (a directory layout) and :meth:`claim` (a file kind).

    Instances travel to worker processes with the runs they found (``--jobs``), so a source
    must be picklable: a module-level class whose instance holds plain data.
    """

    #: Names the source in ``run.source`` and the JSON report's ``runs[].source``.
    name: str = ""

    def recognise(self, directory: Path, names: Sequence[str]) -> Found | None:
        """The run in ``directory`` (whose entries, files and folders, are ``names``) when it is
        this source's run directory, else ``None``. Called for every directory discovery
        walks, so decide from ``names`` and cheap checks."""
        return None

    def claim(self, file: Path) -> Found | None:
        """The run ``file`` is when it is named on the command line or matched by the config's
        ``sources:`` globs and this source reads files of its kind, else ``None``."""
        return None

    @abstractmethod
    def read(self, found: Found) -> SourceRead:
        """Read ``found``'s files: points, config, damage. Must not raise on bad input."""

    def __repr__(self) -> str:
        return f"<source {self.name}>"


def read_data_file(path: Path, out: SourceRead, what: str) -> bytes | None:
    """The bytes of a data file, or None with the reason in ``out.problems``: it cannot be read,
    is not a regular file (a FIFO, a device), is over :data:`MAX_DATA_BYTES`, or holds no
    ``what`` (only white space)."""
    data = source.read_whole(path, MAX_DATA_BYTES)
    if isinstance(data, Problem):
        out.problems.append(data)
        return None
    if not data or data.isspace():
        out.problems.append(Problem(str(path), "empty", f"empty file: no {what}"))
        return None
    return data
