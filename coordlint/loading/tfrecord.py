"""TFRecord framing: find every intact record of an event file, verify both CRCs, report damage.

A record is ``uint64 length | uint32 masked_crc32c(length) | data | uint32 masked_crc32c(data)``.

Why this is fast: walking the framing one record at a time in Python costs ~0.25 µs a record
plus two CRC calls. Instead:

1. *Candidates*: almost every Event starts with ``0x09`` (its ``wall_time`` field), so the
   positions 12 bytes before a ``0x09`` byte whose length field is small are likely record
   starts. numpy finds them all at once.
2. *Links*: a candidate's ``start + 16 + length`` must be the next candidate. Runs of linked
   candidates are taken whole; a short Python loop walks from byte 0, jumping over each run and
   stepping record by record only where the links break (false candidates inside data, records
   that do not start with ``0x09``). So every record taken is reached from byte 0 by following
   lengths, exactly as a sequential reader would.
3. *One CRC call for the whole file*: each stored CRC ``c`` is replaced (in place, restored
   afterwards) by ``unmask(c) ^ RESET``. CRC32C is affine, and ``crc32c(LE32(u ^ RESET), u)``
   is 0 for every ``u``: if a field's stored CRC matches, the running CRC is back to 0 after it.
   So the CRC of all records together is 0 iff every length and data CRC matches (a wrong one
   leaves a non-zero difference that later bytes cannot cancel, except by a 2**-32 accident,
   the same odds as one CRC32C collision). When it is not 0, a binary search finds the first
   bad record and the careful path takes over from there.

4. *Chunks*: :func:`scan_chunk` scans one window of a file (``base`` = its offset in the file)
   without the file's end in sight: it takes only what no later byte can change and says where
   the undecided bytes begin (``Records.stop``: a record running past the window, or a resync
   after a bad length field that has not found its next record yet, carried in
   :class:`ScanState`). The loader carries those bytes over to the next window; the last window
   is scanned with ``final=True``. So a file is never held whole, and chunked scans give exactly
   what one whole-file scan gives (a test checks this for many chunk sizes on damaged files).

Damage never raises: it becomes a :class:`~coordlint.columns.Problem`.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

import crc32c
import numpy as np

from coordlint.columns import Problem
from coordlint.loading.crc import (
    RESET,
    crc32c_of_8_bytes_at,
    masked_crc32c,
    unmask_array,
    unmask_crc,
)

__all__ = [
    "Records",
    "ScanState",
    "check_start",
    "corrupt_summary",
    "masked_crc32c",
    "scan_chunk",
    "scan_records",
    "unmask_crc",
]

_LFS_MAGIC = b"version https://git-lfs"
_MAX_CANDIDATE_LENGTH = 1 << 26  # longer records are found by the record-by-record step
_CHUNK = 1 << 20
_MAX_REPORTED = 20  # corrupt-record problems reported one by one per file, then summarised

_unpack_u64 = struct.Struct("<Q").unpack_from
_unpack_u32 = struct.Struct("<I").unpack_from


@dataclass
class Records:
    """Where the intact records of one file are: data at ``starts + 12``, ``lengths`` bytes."""

    starts: np.ndarray  # int64 record offsets (the length field), in file order
    lengths: np.ndarray  # int64 data lengths
    problems: list[Problem] = field(default_factory=list)
    #: Set when the file is not read as records at all (empty, LFS pointer, not TFRecord).
    unreadable_as_records: bool = False
    #: Relative offset where the bytes no scan has decided yet begin (== len(buf) when all are).
    stop: int = 0

    def __len__(self) -> int:
        return len(self.starts)


def _view(buf: np.ndarray, dtype: str, size: int) -> np.ndarray:
    """A view with one (unaligned) element starting at every byte offset."""
    width = np.dtype(dtype).itemsize
    count = max(size - width + 1, 0)
    return np.ndarray((count,), dtype=dtype, buffer=buf, offset=0, strides=(1,))


def check_start(buf: np.ndarray, file: str, *, final: bool = True) -> Records | None:
    """Records telling why a file is not read as records at all, judged from its first bytes;
    None if it looks like TFRecord. With ``final=False`` (more bytes may follow) a buffer too
    short to judge raises ``EOFError``."""
    size = len(buf)
    empty = np.empty(0, dtype=np.int64)
    if not final and size < max(len(_LFS_MAGIC), 12):
        raise EOFError
    if size == 0:
        return Records(empty, empty, [Problem(file, "empty", "empty file (0 bytes)", 0)], True)
    if bytes(buf[: len(_LFS_MAGIC)]) == _LFS_MAGIC:
        msg = "Git LFS pointer, not the event file itself (run `git lfs pull`)"
        return Records(empty, empty, [Problem(file, "lfs-pointer", msg, 0)], True)
    if size < 12:
        msg = f"not a TFRecord file: {size} bytes, too short for a record header"
        return Records(empty, empty, [Problem(file, "not-tfrecord", msg, 0)], True)
    if crc32c.crc32c(buf[:8]) != unmask_crc(_unpack_u32(buf, 8)[0]):
        msg = "not a TFRecord file: the first record's length checksum does not match"
        return Records(empty, empty, [Problem(file, "not-tfrecord", msg, 0)], True)
    return None


def scan_records(buf: np.ndarray, file: str) -> Records:
    """Find the intact records of a whole event file held in ``buf`` (a writable uint8 array).

    ``buf`` is modified while the CRCs are checked and restored before returning.
    """
    start = check_start(buf, file)
    if start is not None:
        return start
    state = ScanState()
    records = _Scanner(buf, file, 0, True, state).run()
    records.problems.extend(corrupt_summary(state, file))
    return records


@dataclass
class ScanState:
    """What a chunked scan carries from one window to the next."""

    #: Corrupt records seen so far (the first ``_MAX_REPORTED`` are reported one by one).
    corrupt_count: int = 0
    #: Absolute offset of a bad length field whose resync has not found a record yet.
    resync_from: int | None = None


def scan_chunk(buf: np.ndarray, file: str, base: int, *, final: bool, state: ScanState) -> Records:
    """Scan one window of a file starting at a record boundary (absolute offset ``base``).

    Offsets in ``Records.starts`` are relative to ``buf``; those in problems are absolute.
    Without ``final`` only what later bytes cannot change is taken: ``Records.stop`` says where
    the next window must begin. :func:`check_start` must have passed for the file first.
    """
    return _Scanner(buf, file, base, final, state).run()


def corrupt_summary(state: ScanState, file: str) -> list[Problem]:
    """The one problem summarising corrupt records beyond those reported one by one."""
    if state.corrupt_count <= _MAX_REPORTED:
        return []
    extra = state.corrupt_count - _MAX_REPORTED
    msg = f"{extra} more corrupt records (data checksum mismatch) skipped"
    return [Problem(file, "corrupt", msg, None, extra)]


class _Scanner:
    def __init__(
        self, buf: np.ndarray, file: str, base: int, final: bool, state: ScanState
    ) -> None:
        self.buf = buf
        self.file = file
        self.base = base
        self.final = final
        self.state = state
        self.size = len(buf)
        self.u64 = _view(buf, "<u8", self.size)
        self.u32 = _view(buf, "<u4", self.size)
        self.starts: list[np.ndarray] = []
        self.lengths: list[np.ndarray] = []
        self.problems: list[Problem] = []
        self.stop = self.size
        self._cand: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None = None

    # -- driver ---------------------------------------------------------------------------
    def run(self) -> Records:
        pos: int | None = 0
        if self.state.resync_from is not None:
            pos = self._resync_from(self.state.resync_from, 0)
        while pos is not None and pos < self.size:
            pos = self._segment(pos)
        if not self.starts:
            empty = np.empty(0, dtype=np.int64)
            return Records(empty, empty, self.problems, stop=self.stop)
        starts = self.starts[0] if len(self.starts) == 1 else np.concatenate(self.starts)
        lengths = self.lengths[0] if len(self.lengths) == 1 else np.concatenate(self.lengths)
        return Records(starts, lengths, self.problems, stop=self.stop)

    def _undecided(self, pos: int) -> None:
        """Stop here: the bytes from ``pos`` on need the next window."""
        self.stop = pos

    def _segment(self, pos: int) -> int | None:
        """Take the records from ``pos`` up to the first damage; return where to go on."""
        starts, lengths, stop = self._walk(pos)
        if len(starts):
            bad = self._first_bad(starts, lengths)
            if bad is not None:
                self._keep(starts[:bad], lengths[:bad])
                return self._damaged(int(starts[bad]), int(lengths[bad]))
            self._keep(starts, lengths)
        if stop >= self.size:
            return None
        return self._tail(stop)

    def _keep(self, starts: np.ndarray, lengths: np.ndarray) -> None:
        if len(starts):
            self.starts.append(starts)
            self.lengths.append(lengths)

    # -- 1 + 2: candidates and the walk ---------------------------------------------------
    def _candidates(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        if self._cand is not None:
            return self._cand
        buf, size = self.buf, self.size
        found = []
        scratch = np.empty(min(_CHUNK, size), dtype=bool)
        for lo in range(12, size, _CHUNK):
            hi = min(lo + _CHUNK, size)
            out = scratch[: hi - lo]
            np.equal(buf[lo:hi], 9, out=out)
            hits = np.flatnonzero(out)
            if len(hits):
                found.append(hits + (lo - 12))
        starts = np.concatenate(found) if found else np.empty(0, dtype=np.int64)
        lengths = self.u64[starts].astype(np.int64) if len(starts) else starts
        small = (lengths >= 0) & (lengths < _MAX_CANDIDATE_LENGTH)
        if not small.all():
            starts, lengths = starts[small], lengths[small]
        nxt = starts + lengths + 16
        breaks = np.flatnonzero(nxt[:-1] != starts[1:])
        self._cand = (starts, lengths, nxt, breaks)
        return self._cand

    def _walk(self, pos: int) -> tuple[np.ndarray, np.ndarray, int]:
        """Follow lengths from ``pos``; return the complete records and where the walk stopped."""
        cs, cl, cn, cb = self._candidates()
        ncand, nbreaks, size = len(cs), len(cb), self.size
        out_s: list[np.ndarray] = []
        out_l: list[np.ndarray] = []
        singles_s: list[int] = []
        singles_l: list[int] = []

        def flush_singles() -> None:
            if singles_s:
                out_s.append(np.array(singles_s, dtype=np.int64))
                out_l.append(np.array(singles_l, dtype=np.int64))
                singles_s.clear()
                singles_l.clear()

        while pos + 12 <= size:
            i = int(np.searchsorted(cs, pos)) if ncand else 0
            if i < ncand and cs[i] == pos:
                k = int(np.searchsorted(cb, i))
                j = int(cb[k]) if k < nbreaks else ncand - 1
                if cn[j] > size:  # the last record of the run overruns the file
                    if j > i:
                        flush_singles()
                        out_s.append(cs[i:j])
                        out_l.append(cl[i:j])
                    pos = int(cs[j])
                    break
                flush_singles()
                out_s.append(cs[i : j + 1])
                out_l.append(cl[i : j + 1])
                pos = int(cn[j])
            else:
                length = _unpack_u64(self.buf, pos)[0]
                if pos + 16 + length > size:
                    break
                singles_s.append(pos)
                singles_l.append(length)
                pos += 16 + length
        flush_singles()
        if not out_s:
            empty = np.empty(0, dtype=np.int64)
            return empty, empty, pos
        starts = out_s[0] if len(out_s) == 1 else np.concatenate(out_s)
        lengths = out_l[0] if len(out_l) == 1 else np.concatenate(out_l)
        return starts, lengths, pos

    # -- 3: every CRC in one call ---------------------------------------------------------
    def _first_bad(self, starts: np.ndarray, lengths: np.ndarray) -> int | None:
        """Index of the first record whose length or data CRC fails, or None."""
        u32 = self.u32
        len_crc_at = starts + 8
        data_crc_at = starts + 12 + lengths
        stored_len = u32[len_crc_at]
        stored_data = u32[data_crc_at]
        reset = np.uint32(RESET)
        u32[len_crc_at] = unmask_array(stored_len) ^ reset
        u32[data_crc_at] = unmask_array(stored_data) ^ reset
        try:
            lo_byte = int(starts[0])
            ends = data_crc_at + 4
            mv = memoryview(self.buf)
            if crc32c.crc32c(mv[lo_byte : int(ends[-1])]) == 0:
                return None
            # Invariant: records [0, lo) are intact; [lo, hi) holds a bad one.
            lo, hi = 0, len(starts)
            while hi - lo > 1:
                mid = (lo + hi) // 2
                if crc32c.crc32c(mv[int(starts[lo]) : int(ends[mid - 1])]) == 0:
                    lo = mid
                else:
                    hi = mid
            return lo
        finally:
            u32[len_crc_at] = stored_len
            u32[data_crc_at] = stored_data

    # -- the careful path -----------------------------------------------------------------
    def _length_ok(self, pos: int) -> bool:
        return crc32c.crc32c(self.buf[pos : pos + 8]) == unmask_crc(
            _unpack_u32(self.buf, pos + 8)[0]
        )

    def _data_ok(self, pos: int, length: int) -> bool:
        data = self.buf[pos + 12 : pos + 12 + length]
        return crc32c.crc32c(data) == unmask_crc(_unpack_u32(self.buf, pos + 12 + length)[0])

    def _damaged(self, pos: int, length: int) -> int | None:
        """Handle the record at ``pos`` that failed a CRC; return where to go on."""
        if not self._length_ok(pos):
            return self._resync_from(self.base + pos, pos + 1)
        self.state.corrupt_count += 1
        if self.state.corrupt_count <= _MAX_REPORTED:
            at = self.base + pos
            msg = f"corrupt record at byte {at} (data checksum mismatch); 1 record skipped"
            self.problems.append(Problem(self.file, "corrupt", msg, at, 1))
        return pos + 16 + length

    def _tail(self, pos: int) -> int | None:
        """The walk stopped at ``pos`` before the end: a truncated record or a bad length."""
        size, at, end = self.size, self.base + pos, self.base + self.size
        if pos + 12 > size:
            if not self.final:
                return self._undecided(pos)
            msg = (
                f"truncated record at byte {at} (file ends at {end} inside the record header);"
                " 1 record lost"
            )
            self.problems.append(Problem(self.file, "truncated", msg, at, 1))
            return None
        if not self._length_ok(pos):
            return self._resync_from(at, pos + 1)
        if not self.final:
            return self._undecided(pos)
        need = at + 16 + _unpack_u64(self.buf, pos)[0]
        msg = (
            f"truncated record at byte {at} (file ends at {end}, record needs {need});"
            " 1 record lost"
        )
        self.problems.append(Problem(self.file, "truncated", msg, at, 1))
        return None

    def _resync_from(self, bad: int, pos: int) -> int | None:
        """A length field at absolute offset ``bad`` failed its CRC: never trust it; look for the
        next intact record from ``pos`` (relative) on, carrying the search over if need be."""
        found, undecided = self._resync(pos)
        if found is None and undecided is not None:
            self.state.resync_from = bad
            return self._undecided(undecided)
        self.state.resync_from = None
        end = self.base + self.size
        if found is None:
            msg = (
                f"corrupt record length at byte {bad} (length checksum mismatch); the rest of"
                f" the file ({end - bad} bytes) is unreadable"
            )
            self.problems.append(Problem(self.file, "corrupt", msg, bad, 1))
            return None
        at = self.base + found
        msg = (
            f"corrupt record length at byte {bad} (length checksum mismatch); skipped"
            f" {at - bad} bytes to the next intact record at byte {at}"
        )
        self.problems.append(Problem(self.file, "corrupt", msg, bad, 1))
        return found

    def _resync(self, start: int) -> tuple[int | None, int | None]:
        """First offset >= ``start`` where a whole record (both CRCs) validates, and None; or
        (None, where the undecided bytes begin) when not final and later bytes could decide."""
        size = self.size
        window = 1 << 16
        lo = start
        while lo + 16 <= size:
            hi = min(lo + window, size - 15)  # candidate offsets [lo, hi)
            crc = crc32c_of_8_bytes_at(self.buf, lo, hi)
            stored = unmask_array(self.u32[lo + 8 : hi + 8].copy())
            for off in np.flatnonzero(crc == stored):
                pos = lo + int(off)
                length = _unpack_u64(self.buf, pos)[0]
                if pos + 16 + length <= size:
                    if self._data_ok(pos, length):
                        return pos, None
                elif not self.final:
                    return None, pos
            lo = hi
        return None, (None if self.final else max(start, size - 15))
