"""Accounting for damage in an event file: one problem per damaged span, with exact counts.

A *span* is the bytes the record scanner skipped between the end of the last intact record and
the next one (or the end of the file). Its problem gives the span's offset range and byte count
exactly, and the records lost in it: every record header found in the span (a length field
whose checksum passes but whose record does not check out), plus the record the span begins
with when its header is damaged but its data's checksum, at the end of the span's first
record-sized stretch, still matches (a flipped length field). That count is exact whenever the
span's first record is accounted for; when the damage destroyed record headers (a zeroed page)
the message says "at least N records lost", or that no record header is left in the span (junk
inserted between two records looks the same). The first :data:`MAX_REPORTED` spans of a file
are reported one by one, the rest summed in one problem (with the first :data:`MAX_RANGES`
ranges), so a file damaged everywhere cannot flood a report.

:class:`ScanState` is what a scan carries from one window of a file to the next (and what the
cache keeps): the spans so far and, while a resynchronisation is still looking for the next
intact record, where its span began (:class:`Pending`).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import crc32c
import numpy as np

from coordlint.columns import Problem
from coordlint.loading.crc import unmask_crc

__all__ = ["MAX_RANGES", "MAX_REPORTED", "Pending", "ScanState"]

MAX_REPORTED = 20
MAX_RANGES = 1000

#: What was wrong where a span began (a length past the end or over the limit is worded where
#: it is found, with the length).
BAD_LENGTH = "corrupt record length (length checksum mismatch)"
BAD_DATA = "corrupt record (data checksum mismatch)"


@dataclass
class Pending:
    """A resynchronisation under way: the span began at absolute offset ``start``."""

    start: int
    what: str
    #: Whether the length field at ``start`` passed its checksum (then it is a record lost).
    header_ok: bool
    #: The length that field declared (when it passed), for a truncated record's message.
    declared: int | None = None
    #: The problem's kind when the next intact record is found (``too-large``: over the limit).
    kind: str = "corrupt"
    headers: int = 0
    #: Telling whether the span's first bytes are one record with a damaged length field: the
    #: running CRC32C of the bytes from ``start + 12`` up to the last four seen, those four,
    #: and the absolute offset just past them; ``None`` once decided.
    ident: tuple[int, bytes, int] | None = None
    identified: bool = False

    def __post_init__(self) -> None:
        if not self.header_ok:
            self.ident = (0, b"", self.start + 12)

    def advance(self, buf: np.ndarray, base: int, to: int) -> None:
        """Fold the bytes before absolute offset ``to`` into the running CRC (``buf`` holds
        the file from ``base``)."""
        if self.ident is None:
            return
        crc, tail, upto = self.ident
        if to <= upto:
            return
        region = buf[upto - base : to - base]
        if len(region) >= 4:
            crc = crc32c.crc32c(region[:-4].data, crc32c.crc32c(tail, crc))
            tail = bytes(region[-4:])
        else:
            joined = tail + bytes(region)
            crc = crc32c.crc32c(joined[:-4], crc)
            tail = joined[-4:]
        self.ident = (crc, tail, to)

    def boundary(self, buf: np.ndarray, base: int, at: int) -> None:
        """The span's first record boundary is at absolute ``at``: is ``[start, at)`` one
        record whose data checksum matches?"""
        if self.ident is None:
            return
        self.advance(buf, base, at)
        assert self.ident is not None
        crc, tail, _ = self.ident
        stored = int.from_bytes(tail, "little")
        self.identified = at - self.start >= 16 and crc == unmask_crc(stored)
        self.ident = None

    def records(self) -> int:
        return self.headers + (1 if self.header_ok or self.identified else 0)


@dataclass
class ScanState:
    """What a chunked scan of one file carries from one window to the next."""

    #: Damaged spans so far (the first :data:`MAX_REPORTED` are reported one by one).
    spans: int = 0
    #: The one problem summing the spans beyond those.
    summary: Problem | None = None
    #: A resynchronisation that has not found the next intact record yet.
    resync: Pending | None = None

    def add(self, problem: Problem, problems: list[Problem]) -> None:
        """Count one damaged span: report it, or add it to the summary."""
        self.spans += 1
        if self.spans <= MAX_REPORTED:
            problems.append(problem)
            return
        old = self.summary
        if old is None:
            old = Problem(problem.file, "corrupt", "", problem.offset)
        extra = self.spans - MAX_REPORTED
        records = old.records_skipped + problem.records_skipped
        nbytes = old.bytes_skipped + problem.bytes_skipped
        ranges = old.ranges if len(old.ranges) >= MAX_RANGES else old.ranges + problem.ranges
        msg = (
            f"{extra} more damaged span{_s(extra)}: {nbytes} bytes and {records}"
            f" record{_s(records)} skipped"
        )
        if extra > MAX_RANGES:
            msg += f" (the first {MAX_RANGES} ranges listed)"
        self.summary = dataclasses.replace(
            old,
            message=msg,
            records_skipped=records,
            bytes_skipped=nbytes,
            ranges=ranges,
        )


def skipped(file: str, pending: Pending, stop: int | None, end: int) -> Problem:
    """The problem for a span from ``pending.start`` to the intact record at ``stop`` (None:
    to the ``end`` of the file)."""
    a, records = pending.start, pending.records()
    b = end if stop is None else stop
    if pending.header_ok or pending.identified:
        lost = f"{records} record{_s(records)} lost"
    elif records:
        lost = f"at least {records} record{_s(records)} lost"
    else:
        lost = "no record header left in them"
    counted = f"bytes {a}-{b} ({b - a} bytes, {lost})"
    if stop is not None:
        msg = f"{pending.what} at byte {a}; skipped {counted} to the next intact record at byte {b}"
        return _span(file, pending.kind, msg, a, b, records)
    if a == 0 and not pending.header_ok:
        msg = f"not a TFRecord file: no intact record in its {end} bytes"
        return _span(file, "not-tfrecord", msg, a, b, records)
    if pending.declared is not None and a + 16 + pending.declared > end and records == 1:
        msg = (
            f"truncated record at byte {a} (file ends at {end}, record needs"
            f" {a + 16 + pending.declared}); 1 record lost"
        )
        return _span(file, "truncated", msg, a, b, 1)
    msg = f"{pending.what} at byte {a}; the rest of the file, {counted}, has no intact record"
    return _span(file, pending.kind, msg, a, b, records)


def truncated_header(file: str, at: int, end: int) -> Problem:
    """The problem for a file that ends inside a record's 12-byte header."""
    msg = (
        f"truncated record at byte {at} (file ends at {end} inside the record header);"
        " 1 record lost"
    )
    return _span(file, "truncated", msg, at, end, 1)


def _span(file: str, kind: str, msg: str, a: int, b: int, records: int) -> Problem:
    return Problem(file, kind, msg, a, records, b - a, ((a, b),))


def _s(n: int) -> str:
    return "" if n == 1 else "s"
