"""Hand loaded runs from worker processes to the parent without pickling their columns.

Pickling a run's arrays copies them several times (into the pickle, through the pipe, out of
it) and cost as much as decoding them. Instead a worker writes every column of a run into one
file in shared memory (``/dev/shm`` where it exists) and sends only the layout; the parent maps
the file read-only and deletes its name at once, so the pages live exactly as long as the
arrays that view them. One copy, in the worker; none in the parent.

Deferred columns (a cache hit the worker did not need to read) travel as they are: a few
numbers saying where in the cache their block is, read by the parent only if a rule asks. The
parent cuts a shipped column's arrays from the mapping only when a rule first reads it, too.
With a cache, a worker that has just cached a run whole ships nothing at all (see
:func:`coordlint.execution.collect._load_all`): the parent reads the tags its rules need
from the cache.
"""

from __future__ import annotations

import mmap
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from coordlint.columns import ColumnFacts, ScalarColumns
from coordlint.rundata import RunData

_SHM = Path("/dev/shm")
_DTYPES = (np.int64, np.float64, np.float64)  # steps, values, wall_times


@dataclass
class Shipped:
    """A run holding only its deferred columns, and where the others are: ``(tag, facts)`` in
    file order (``None`` for a deferred tag, still in ``run.columns``)."""

    run: RunData
    path: str
    layout: list[tuple[str, ColumnFacts | None]]


class Sender:
    """Wraps a loader for a worker process: load, then ship the columns through a file."""

    def __init__(self, load: Callable[[Any], Any]):
        self.load = load

    def __call__(self, item: Any) -> Shipped | RunData:
        run = self.load(item)
        if not isinstance(run, RunData) or not any(c.loaded for c in run.columns.values()):
            return run  # nothing to ship: no columns, or only deferred ones
        directory = str(_SHM) if _SHM.is_dir() else None
        fd, path = tempfile.mkstemp(prefix="coordlint-", suffix=".cols", dir=directory)
        layout: list[tuple[str, ColumnFacts | None]] = []
        try:
            with os.fdopen(fd, "wb") as fh:
                for tag, cols in run.columns.items():
                    if not cols.loaded:
                        layout.append((tag, None))
                        continue
                    for array, dtype in zip(
                        (cols.steps, cols.values, cols.wall_times), _DTYPES, strict=True
                    ):
                        fh.write(np.ascontiguousarray(array, dtype=dtype).data)
                    layout.append((tag, cols.facts))
        except BaseException:
            os.unlink(path)
            raise
        run.columns = {t: c for t, c in run.columns.items() if not c.loaded}
        return Shipped(run, path, layout)


def receive(item: Shipped | RunData) -> RunData:
    """The parent's side: map the worker's file and give the run its columns back."""
    if not isinstance(item, Shipped):
        return item
    try:
        with open(item.path, "rb") as fh:
            # A plain array over the mapping (not np.memmap, whose every slice and view pays
            # for a subclass: that was most of the parent's time on a 200-run sweep).
            data = np.frombuffer(mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ), np.uint8)
    finally:
        os.unlink(item.path)  # the mapping keeps the pages; nothing is left behind
    offset = 0
    scalars = {}
    deferred = item.run.columns
    for tag, facts in item.layout:
        if facts is None:
            scalars[tag] = deferred[tag]
            continue
        # Deferred again: the views are cut only for the tags a rule reads (most are not).
        scalars[tag] = ScalarColumns.deferred(facts, _Views(data, offset, facts.n))
        offset += 24 * facts.n
    item.run.columns = scalars
    return item.run


class _Views:
    """One column's three arrays, cut from the mapped file when first read."""

    __slots__ = ("data", "n", "offset")

    def __init__(self, data: np.ndarray, offset: int, n: int):
        self.data, self.offset, self.n = data, offset, n

    def __call__(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        start, size = self.offset, 8 * self.n
        steps, values, wall_times = (
            self.data[start + i * size : start + (i + 1) * size].view(dtype)
            for i, dtype in enumerate(_DTYPES)
        )
        return steps, values, wall_times
