"""Reading a cached tag block when a rule first needs it: deferred columns over an entry.

A hit reads only an entry's segment headers; each tag becomes a *deferred* column whose block is
read, and checked against its crc32c and its facts (point count, steps increasing, first and
last step, non-finite values), the first time a rule touches its arrays. A block that does not
read back whole or agree with its facts, or an entry replaced since it was looked up, is not
believed: the tag's points are decoded again from the event file, through the ``redecode``
callable the file loader hands in (so this module does not import the loader).
"""

from __future__ import annotations

import contextlib
import math
import os
from collections.abc import Callable
from dataclasses import replace

import crc32c
import numpy as np

from coordlint.columns import Arrays, ColumnFacts, ScalarColumns
from coordlint.loading import source
from coordlint.loading.cache.entry import (
    COLUMN_DTYPES,
    POINT_BYTES,
    PREFIX,
    CacheCorrupt,
    Entry,
    EntryReplaced,
)

__all__ = ["Redecode", "TagReader", "deferred_columns"]

#: ``redecode(event_file, tag, start, stop)``: a tag's points ``start`` to ``stop`` (in record
#: order) decoded afresh from the event file; must be picklable (a module-level function).
Redecode = Callable[[str, str, int, int], Arrays]


def deferred_columns(entry: Entry, event_file: str, redecode: Redecode) -> dict[str, ScalarColumns]:
    """Every tag of ``entry`` as a deferred column: its blocks are read when a rule first
    needs them."""
    assert entry.cache_file is not None
    parts: dict[str, list[ScalarColumns]] = {}
    skip: dict[str, int] = {}
    for t, at in entry.blocks:
        reader = TagReader(
            str(entry.cache_file),
            entry.identity,
            at,
            t.facts,
            t.crc,
            event_file,
            t.tag,
            skip.get(t.tag, 0),
            redecode,
        )
        parts.setdefault(t.tag, []).append(ScalarColumns.deferred(t.facts, reader))
        skip[t.tag] = skip.get(t.tag, 0) + t.facts.n
    return {tag: p[0] if len(p) == 1 else ScalarColumns.concat(p) for tag, p in parts.items()}


class TagReader:
    """Reads one tag block from a cache entry (a deferred column's loader; picklable).

    A block that does not read back whole, or an entry replaced since it was looked up, is not
    believed: the tag's points are decoded again from the event file (the block holds its
    points ``skip`` to ``skip + n`` in record order; the bytes before the cached offset were
    checked unchanged, so those are the cached ones). A corrupt entry is deleted, so the next
    check writes it afresh.
    """

    # A plain class with slots, not a frozen dataclass: a warm check makes one per tag block,
    # and a frozen dataclass's __init__ cost more than the rest of the lookup.
    __slots__ = (
        "crc",
        "entry_file",
        "event_file",
        "facts",
        "identity",
        "redecode",
        "skip",
        "start",
        "tag",
    )

    def __init__(
        self,
        entry_file: str,
        identity: tuple[int, int, bytes],
        start: int,
        facts: ColumnFacts,
        crc: int,
        event_file: str,
        tag: str,
        skip: int,
        redecode: Redecode,
    ) -> None:
        self.entry_file, self.identity, self.start, self.facts = entry_file, identity, start, facts
        self.crc, self.event_file, self.tag, self.skip = crc, event_file, tag, skip
        self.redecode = redecode

    def __call__(self) -> Arrays:
        try:
            return self.read()
        except EntryReplaced:
            return self.decode_again()
        except CacheCorrupt:
            with contextlib.suppress(OSError):
                os.unlink(self.entry_file)
            return self.decode_again()

    def read(self) -> Arrays:
        n = self.facts.n
        block = np.empty(POINT_BYTES * n, dtype=np.uint8)
        try:
            with source.open_regular(self.entry_file) as fh:
                st = os.fstat(fh.fileno())
                prefix = fh.read(PREFIX.size)
                if (st.st_dev, st.st_ino, prefix[-8:]) != self.identity:
                    raise EntryReplaced("replaced")
                fh.seek(self.start)
                if fh.readinto(block.data) != len(block):
                    raise CacheCorrupt("block truncated")
        except OSError as exc:
            raise EntryReplaced("replaced") from exc
        if crc32c.crc32c(block.data) != self.crc:
            raise CacheCorrupt("block checksum mismatch")
        steps, values, walls = (
            block[8 * n * k : 8 * n * (k + 1)].view(dtype) for k, dtype in enumerate(COLUMN_DTYPES)
        )
        if not _same_facts(ColumnFacts.of(steps, values), self.facts):
            raise CacheCorrupt("block disagrees with its facts")
        return steps, values, walls

    def decode_again(self) -> Arrays:
        return self.redecode(self.event_file, self.tag, self.skip, self.skip + self.facts.n)


def _same_facts(a: ColumnFacts, b: ColumnFacts) -> bool:
    """Equal facts, a NaN first non-finite value equal to a NaN."""
    if a.first_non_finite is None or b.first_non_finite is None:
        return a == b
    (step_a, value_a), (step_b, value_b) = a.first_non_finite, b.first_non_finite
    both_nan = math.isnan(value_a) and math.isnan(value_b)
    if step_a != step_b or not (value_a == value_b or both_nan):
        return False
    return replace(a, first_non_finite=None) == replace(b, first_non_finite=None)
