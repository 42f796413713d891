"""Mutations of event files that keep track of every byte's origin, so a campaign knows which
records the damage left intact.

A :class:`Blob` is bytes plus, per byte, where it came from (``source << 40 | offset``) or -1
(a byte the mutation made). A record of a source file is *intact* at a position of the mutated
blob when its bytes are there, contiguous and unchanged: every such occurrence must come back
from the loader, in order, with exact values.
"""

from __future__ import annotations

import random
import struct
from collections import Counter
from dataclasses import dataclass

import numpy as np
from load_harness import Decoded, Point, decode_record, frame, masked_crc, points_of, records_of

SHIFT = 40


@dataclass
class Blob:
    data: bytes
    origin: np.ndarray  # int64 per byte

    @classmethod
    def of(cls, data: bytes, source: int) -> Blob:
        return cls(data, (np.int64(source) << SHIFT) + np.arange(len(data), dtype=np.int64))

    @classmethod
    def new(cls, data: bytes) -> Blob:
        return cls(data, np.full(len(data), -1, dtype=np.int64))

    def __len__(self) -> int:
        return len(self.data)

    def __add__(self, other: Blob) -> Blob:
        return Blob(self.data + other.data, np.concatenate((self.origin, other.origin)))

    def __getitem__(self, s: slice) -> Blob:
        return Blob(self.data[s], self.origin[s])


@dataclass
class Source:
    """One source event file: its bytes, its records and each record's points."""

    index: int
    blob: bytes
    records: list[tuple[int, int]]
    decoded: list[Decoded]

    @classmethod
    def of(cls, index: int, blob: bytes) -> Source:
        records = records_of(blob)
        return cls(index, blob, records, [decode_record(blob[a + 12 : b - 4]) for a, b in records])


class Catalogue:
    """Every record of the source files, found again by its first byte's origin."""

    def __init__(self, sources: list[Source]) -> None:
        self.sources = sources
        ids, ends, where = [], [], []
        for s in sources:
            for k, (a, b) in enumerate(s.records):
                ids.append((s.index << SHIFT) + a)
                ends.append(b - a)
                where.append((s.index, k))
        order = np.argsort(np.array(ids, dtype=np.int64), kind="stable")
        self.ids = np.array(ids, dtype=np.int64)[order]
        self.lengths = np.array(ends, dtype=np.int64)[order]
        self.where = [where[i] for i in order]
        self._by_point: dict[Point, list[tuple[int, int]]] | None = None

    def intact(self, blob: Blob) -> list[tuple[int, int]]:
        """(source, record index) of every intact record occurrence, in blob order."""
        origin = blob.origin
        n = len(origin)
        if n == 0 or len(self.ids) == 0:
            return []
        k = np.searchsorted(self.ids, origin)
        k = np.minimum(k, len(self.ids) - 1)
        hit = np.flatnonzero(self.ids[k] == origin)
        if len(hit) == 0:
            return []
        # Length of the contiguous run of origins from each position on.
        step = np.concatenate((origin[1:] == origin[:-1] + 1, [False]))
        run_end = np.empty(n, dtype=np.int64)  # last index of each position's run
        breaks = np.flatnonzero(~step)
        run_end_of = np.repeat(breaks, np.diff(np.concatenate(([-1], breaks))))
        run_end[:] = run_end_of
        need = self.lengths[k[hit]]
        ok = hit + need - 1 <= run_end[hit]
        return [self.where[int(k[p])] for p in hit[ok]]

    def copies(self, blob: Blob, point: Point) -> int:
        """How many records of ``blob`` holding ``point`` are byte for byte a source record,
        origins aside (a mutation can rebuild a record by chance: a deletion that ends where
        the byte before it equals the record's first byte)."""
        if self._by_point is None:
            self._by_point = {}
            for s in self.sources:
                for k, decoded in enumerate(s.decoded):
                    for q in points_of(decoded, {}):
                        self._by_point.setdefault(q, []).append((s.index, k))
        count = 0
        for src, k in self._by_point.get(point, []):
            a, b = self.sources[src].records[k]
            record = self.sources[src].blob[a:b]
            at = blob.data.find(record)
            while at != -1:
                count += 1
                at = blob.data.find(record, at + 1)
        return count

    def expected(self, blob: Blob) -> tuple[Counter[Point], list[Point], int]:
        """The points every intact record holds (a multiset and in order), and how many
        intact records there are."""
        plugins: dict[str, str] = {}
        points: list[Point] = []
        found = self.intact(blob)
        for src, k in found:
            points.extend(points_of(self.sources[src].decoded[k], plugins))
        return Counter(points), points, len(found)


# -- mutations ------------------------------------------------------------------------------


def patch(b: Blob, pos: int, new: bytes) -> Blob:
    """``b`` with ``new`` written over it at ``pos``: only bytes that change lose their
    origin."""
    old = b.data[pos : pos + len(new)]
    data = b.data[:pos] + new + b.data[pos + len(new) :]
    origin = b.origin.copy()
    changed = np.frombuffer(old, np.uint8) != np.frombuffer(new[: len(old)], np.uint8)
    origin[pos : pos + len(old)][changed] = -1
    return Blob(data, origin)


def truncate(rng: random.Random, b: Blob, _c: Catalogue) -> Blob:
    return b[: rng.randrange(len(b) + 1)]


def flip(rng: random.Random, b: Blob, _c: Catalogue) -> Blob:
    if not len(b):
        return b
    data = bytearray(b.data)
    origin = b.origin.copy()
    for _ in range(rng.choice((1, 1, 1, 2, 3, 8))):
        pos = rng.randrange(len(b))
        data[pos] ^= 1 << rng.randrange(8) if rng.random() < 0.7 else rng.randrange(1, 256)
        origin[pos] = -1
    return Blob(bytes(data), origin)


def delete(rng: random.Random, b: Blob, _c: Catalogue) -> Blob:
    if not len(b):
        return b
    pos = rng.randrange(len(b))
    n = rng.choice((1, 2, 4, 8, rng.randrange(1, 64), rng.randrange(1, 4096)))
    return b[:pos] + b[pos + n :]


def insert(rng: random.Random, b: Blob, _c: Catalogue) -> Blob:
    pos = rng.randrange(len(b) + 1)
    n = rng.choice((1, 3, 12, 16, rng.randrange(1, 64), rng.randrange(1, 4096)))
    kind = rng.random()
    if kind < 0.4:
        junk = rng.randbytes(n)
    elif kind < 0.7:
        junk = bytes(n)  # zeros: length fields of 0 everywhere
    else:
        junk = bytes([rng.choice((0x09, 0xFF, 0x0A))]) * n
    return b[:pos] + Blob.new(junk) + b[pos:]


def zero_page(rng: random.Random, b: Blob, _c: Catalogue) -> Blob:
    """A zeroed (or 0xFF) page, as a filesystem loses one."""
    if not len(b):
        return b
    size = rng.choice((512, 4096))
    pos = rng.randrange(0, len(b), size) if rng.random() < 0.7 else 0
    return patch(b, pos, bytes([rng.choice((0, 0xFF))]) * min(size, len(b) - pos))


def duplicate(rng: random.Random, b: Blob, _c: Catalogue) -> Blob:
    if not len(b):
        return b
    a = rng.randrange(len(b))
    chunk = b[a : a + rng.choice((rng.randrange(1, 200), rng.randrange(1, 20000)))]
    to = rng.randrange(len(b) + 1)
    return b[:to] + chunk + b[to:]


def _record_starts(b: Blob, c: Catalogue) -> list[int]:
    """Positions in ``b`` where some source record begins (its first byte intact)."""
    k = np.minimum(np.searchsorted(c.ids, b.origin), max(len(c.ids) - 1, 0))
    if not len(c.ids):
        return []
    return np.flatnonzero(c.ids[k] == b.origin).tolist()


def corrupt_length(rng: random.Random, b: Blob, c: Catalogue) -> Blob:
    """A record's length field rewritten: with its old (stale) CRC, or a recomputed one."""
    starts = [p for p in _record_starts(b, c) if p + 12 <= len(b)]
    if not starts:
        return flip(rng, b, c)
    pos = rng.choice(starts)
    (old,) = struct.unpack_from("<Q", b.data, pos)
    new = rng.choice(
        (
            old + rng.choice((-1, 1, 2, 16, -16)),
            rng.randrange(0, 64),
            rng.randrange(0, 1 << 20),
            rng.randrange(0, 1 << 31),
            rng.randrange(0, 1 << 64),
            len(b) - pos,
            2**63,
        )
    ) % (1 << 64)
    head = struct.pack("<Q", new)
    crc = masked_crc(head) if rng.random() < 0.6 else struct.unpack_from("<I", b.data, pos + 8)[0]
    return patch(b, pos, head + struct.pack("<I", crc))


def forged_record(rng: random.Random, b: Blob, _c: Catalogue) -> Blob:
    """A CRC-valid record that is not an Event (its first byte is an invalid protobuf wire
    type), spliced in anywhere: the loader must report it and keep every intact record."""
    pos = rng.randrange(len(b) + 1)
    junk = b"\xff" + rng.randbytes(rng.randrange(0, 64))
    return b[:pos] + Blob.new(frame(junk)) + b[pos:]


MUTATIONS = {
    "truncate": truncate,
    "flip": flip,
    "delete": delete,
    "insert": insert,
    "zero-page": zero_page,
    "duplicate": duplicate,
    "length": corrupt_length,
    "forged": forged_record,
}


def mutate(rng: random.Random, blob: Blob, catalogue: Catalogue, others: list[Blob]) -> Blob:
    """One to four mutations, sometimes after concatenating another file (a second writer's
    output after a cut, or a file glued to itself)."""
    if others and rng.random() < 0.2:
        other = rng.choice(others)
        cut = rng.randrange(len(blob) + 1) if rng.random() < 0.5 else len(blob)
        blob = blob[:cut] + other
    for _ in range(rng.choice((1, 1, 1, 2, 2, 3, 4))):
        blob = MUTATIONS[rng.choice(list(MUTATIONS))](rng, blob, catalogue)
    return blob
