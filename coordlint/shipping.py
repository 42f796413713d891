"""Hand loaded runs from worker processes to the parent without pickling their columns.

Pickling a run's arrays copies them several times (into the pickle, through the pipe, out of
it) and cost as much as decoding them. Instead a worker writes every column of a run into one
file in shared memory (``/dev/shm`` where it exists) and sends only the layout; the parent maps
the file read-only and deletes its name at once, so the pages live exactly as long as the
arrays that view them. One copy, in the worker; none in the parent.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from coordlint.run import Run, ScalarColumns

_SHM = Path("/dev/shm")
_DTYPES = (np.int64, np.float64, np.float64)  # steps, values, wall_times


@dataclass
class Shipped:
    """A run without its columns, and where they are: ``(tag, points)`` in file order."""

    run: Run
    path: str
    layout: list[tuple[str, int]]


class Sender:
    """Wraps a loader for a worker process: load, then ship the columns through a file."""

    def __init__(self, load: Callable[[Any], Run]):
        self.load = load

    def __call__(self, item: Any) -> Shipped | Run:
        run = self.load(item)
        if not isinstance(run, Run) or not run.scalars:
            return run
        directory = str(_SHM) if _SHM.is_dir() else None
        fd, path = tempfile.mkstemp(prefix="coordlint-", suffix=".cols", dir=directory)
        layout = []
        try:
            with os.fdopen(fd, "wb") as fh:
                for tag, cols in run.scalars.items():
                    for array, dtype in zip(
                        (cols.steps, cols.values, cols.wall_times), _DTYPES, strict=True
                    ):
                        fh.write(np.ascontiguousarray(array, dtype=dtype).data)
                    layout.append((tag, len(cols)))
        except BaseException:
            os.unlink(path)
            raise
        run.scalars = {}
        return Shipped(run, path, layout)


def receive(item: Shipped | Run) -> Run:
    """The parent's side: map the worker's file and give the run its columns back."""
    if not isinstance(item, Shipped):
        return item
    try:
        data = np.memmap(item.path, dtype=np.uint8, mode="r")
    finally:
        os.unlink(item.path)  # the mapping keeps the pages; nothing is left behind
    offset = 0
    scalars = {}
    for tag, n in item.layout:
        arrays = []
        for dtype in _DTYPES:
            arrays.append(data[offset : offset + 8 * n].view(dtype))
            offset += 8 * n
        scalars[tag] = ScalarColumns(*arrays)
    item.run.scalars = scalars
    return item.run
