"""The cache entry format: what an entry holds about an event file, and its bytes on disk.

An entry holds what the loader had decided when it stopped: the byte offset it reached (the end
of the last record it is sure of; a truncated final record of a live file is *not* included, so
it is re-tried next time), the points decoded before that offset per raw tag (step, value, wall
time), the damage found there, and the decoder's carried state (TF2 tag plugins, header count,
first wall time, corrupt-record and bad-tensor counts).

Layout (no pickle): a prefix, then one or more *segments*, each the points decoded since the
previous one::

    b"CLCACHE\\0" | u32 format version | u32 0 | u64 random entry id
    segment: u32 header length | u32 crc32c(header) | u64 payload length
             | header: UTF-8 JSON | zero padding to 8 bytes
             | payload: per tag in header order, one block: steps int64[n], values float64[n],
               walls float64[n]

A segment's header holds the whole decoder state at its offset and, per tag, its block's crc32c
and :class:`~coordlint.columns.ColumnFacts` (point count, whether the steps increase, first and
last step, non-finite values). A new entry is written to a temporary file and renamed into
place (atomic). A file that grew appends one segment with only the new points (under an
exclusive lock, checking nobody else wrote meanwhile), so re-checking a live run never
rewrites what is cached; after :data:`MAX_SEGMENTS` the entry is written afresh in one segment.
A reader takes the last whole segment: a torn append is as if it never happened.

A header is used only when its checksum matches *and* it passes the structural checks of
:mod:`.header` (and an appended one follows the segment before it); a header length over
:data:`MAX_HEADER` is damage. Any doubt means the event file is decoded again.
"""

from __future__ import annotations

import json
import os
import struct
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, Literal

import crc32c
import numpy as np

from coordlint.columns import Problem, ScalarColumns
from coordlint.loading import source
from coordlint.loading.cache.header import (
    FIELDS,
    CachedTag,
    HeaderError,
    entry_from_header,
    entry_json,
)

__all__ = [
    "FORMAT_VERSION",
    "CacheCorrupt",
    "CachedTag",
    "Entry",
    "EntryReplaced",
    "Snapshot",
    "encode_segment",
    "make_samples",
    "read_segments",
    "sample_blocks",
]

#: 4: strict scalar tensors (a malformed one is a problem, not a value) and their count.
#: 5: damaged spans resynchronised (a summary problem past the first few), headers checked
#: structurally.
FORMAT_VERSION = 5
MAGIC = b"CLCACHE\0"
PREFIX = struct.Struct("<8sII8s")
SEGMENT = struct.Struct("<IIQ")
SAMPLE = 4096
SAMPLES_BETWEEN = 6
#: The longest segment header read (a longer length field is damage).
MAX_HEADER = 64 << 20
COLUMN_DTYPES = (np.dtype("<i8"), np.dtype("<f8"), np.dtype("<f8"))
POINT_BYTES = sum(d.itemsize for d in COLUMN_DTYPES)

#: Why an entry no longer describes its event file (:meth:`Entry.valid_for`).
StaleReason = Literal["shrunk", "rewritten", "changed-before-offset", "unreadable"]


class CacheCorrupt(Exception):
    """An entry that does not read back whole: discard it."""


class EntryReplaced(CacheCorrupt):
    """The entry file was replaced (or removed) since it was looked up: not damage, just gone."""


@dataclass(frozen=True)
class Snapshot:
    """The loader's state at the offset everything before which is decided: what an entry keeps
    besides the points (per-tag point counts, the decoder's carried state, the damage)."""

    counts: dict[str, int]
    records: int
    header_records: int
    first_wall_time: float | None
    plugins: dict[str, str]
    scan_problems: list[Problem]
    decode_problems: list[Problem]
    corrupt_count: int
    corrupt_summary: Problem | None
    bad_tensors: int


@dataclass
class Entry:
    """A cached event file: what was decided about its first ``offset`` bytes."""

    path: str
    size: int
    mtime_ns: int
    offset: int
    samples: list[tuple[int, int, int]]  # (position, length, crc32c) of blocks before offset
    records: int
    header_records: int
    first_wall_time: float | None
    #: Damaged spans before ``offset``; those beyond the first few summed in one problem.
    corrupt_count: int
    corrupt_summary: Problem | None
    bad_tensors: int
    plugins: dict[str, str]
    scan_problems: list[Problem]
    decode_problems: list[Problem]
    #: Every tag block of every segment, in file order, with the block's position in the entry.
    blocks: list[tuple[CachedTag, int]] = field(default_factory=list)
    segments: int = 0
    #: Where the last whole segment ends: the next segment is appended there.
    end: int = 0
    cache_file: Path | None = field(default=None, repr=False)
    #: (device, inode, entry id) of the entry file: blocks are read only from that one.
    identity: tuple[int, int, bytes] = (0, 0, b"")

    def valid_for(self, stat: source.FileStat) -> StaleReason | None:
        """None if the event file still starts with the cached bytes, else why not."""
        if stat.size < self.offset:
            return "shrunk"
        if stat.size == self.size and stat.mtime_ns != self.mtime_ns:
            return "rewritten"
        try:
            with source.open_binary(self.path) as fh:
                for pos, length, crc in self.samples:
                    fh.seek(pos)
                    if crc32c.crc32c(fh.read(length)) != crc:
                        return "changed-before-offset"
        except (OSError, ValueError):
            return "unreadable"
        return None


def sample_blocks(offset: int) -> list[tuple[int, int]]:
    """The (position, length) blocks before ``offset`` whose checksums an entry keeps."""
    if offset <= 0:
        return []
    if offset <= SAMPLE * (SAMPLES_BETWEEN + 2):
        return [(0, offset)]
    blocks = [(0, SAMPLE)]
    span = offset - 2 * SAMPLE
    for k in range(1, SAMPLES_BETWEEN + 1):
        blocks.append((SAMPLE + span * k // (SAMPLES_BETWEEN + 1) - SAMPLE // 2, SAMPLE))
    blocks.append((offset - SAMPLE, SAMPLE))
    return blocks


def make_samples(path: str, offset: int) -> list[tuple[int, int, int]]:
    """Checksums of the sampled blocks before ``offset`` (raises OSError)."""
    out = []
    with source.open_binary(path) as fh:
        for pos, length in sample_blocks(offset):
            fh.seek(pos)
            out.append((pos, length, crc32c.crc32c(fh.read(length))))
    return out


def key_of(path: str) -> str:
    """The path an entry is for: absolute, or the URL as given."""
    if "://" in path:
        return path
    return os.path.abspath(path)


def align8(n: int) -> int:
    return (n + 7) & ~7


def encode_segment(entry: Entry, columns: Mapping[str, ScalarColumns]) -> tuple[list[Any], int]:
    """A segment's bytes (as parts to write) holding ``entry``'s state and these columns, and
    its payload's length."""
    blocks: list[memoryview] = []
    tags = []
    for tag, cols in columns.items():
        raw = (cols.steps, cols.values, cols.wall_times)
        arrays = [np.ascontiguousarray(a, dtype=d) for a, d in zip(raw, COLUMN_DTYPES, strict=True)]
        crc = 0
        for a in arrays:
            crc = crc32c.crc32c(a.data.cast("B"), crc)
        blocks.extend(a.data.cast("B") for a in arrays)
        tags.append(CachedTag(tag, cols.facts, crc))
    payload_len = sum(len(b) for b in blocks)
    entry.path = key_of(entry.path)
    fields = {name: getattr(entry, name) for name in FIELDS}
    header = json.dumps(entry_json(fields, tags), ensure_ascii=False).encode("utf-8")
    pad = align8(SEGMENT.size + len(header)) - SEGMENT.size - len(header)
    start = SEGMENT.pack(len(header), crc32c.crc32c(header), payload_len)
    return [start + header + b"\0" * pad, *blocks], payload_len


def read_segments(fh: BinaryIO, size: int) -> Entry:
    """The state of the last whole segment from ``fh`` (just past the prefix), with the blocks
    of every segment up to it. A damaged or torn segment after the first ends the entry there."""
    entry = None
    blocks: list[tuple[CachedTag, int]] = []
    pos = PREFIX.size
    segments = 0
    while True:
        fh.seek(pos)
        start = fh.read(SEGMENT.size)
        if len(start) != SEGMENT.size:
            break
        header_len, header_crc, payload_len = SEGMENT.unpack(start)
        if header_len > MAX_HEADER:
            break
        header = fh.read(header_len)
        data_start = align8(pos + SEGMENT.size + header_len)
        if (
            len(header) != header_len
            or crc32c.crc32c(header) != header_crc
            or data_start + payload_len > size
        ):
            break
        try:
            fields, tags = entry_from_header(header, sample_blocks)
            if entry is not None:
                _follows(entry, fields)
        except HeaderError as exc:
            if entry is None:
                raise CacheCorrupt(f"bad header: {exc}") from exc
            break
        if payload_len != POINT_BYTES * sum(t.facts.n for t in tags):
            break
        state = Entry(**fields)
        at = data_start
        for t in tags:
            blocks.append((t, at))
            at += POINT_BYTES * t.facts.n
        entry, pos, segments = state, data_start + payload_len, segments + 1
    if entry is None:
        raise CacheCorrupt("no whole segment")
    entry.blocks, entry.segments, entry.end = blocks, segments, pos
    return entry


def _follows(before: Entry, fields: dict[str, Any]) -> None:
    """An appended segment describes the same file, grown: raise HeaderError if not."""
    if (
        fields["path"] != before.path
        or fields["offset"] <= before.offset
        or fields["records"] < before.records
        or fields["corrupt_count"] < before.corrupt_count
        or fields["bad_tensors"] < before.bad_tensors
    ):
        raise HeaderError("an appended segment that does not follow the one before")
