"""TFRecord framing: find every intact record of an event file, verify both CRCs, report damage.

A record is ``uint64 length | uint32 masked_crc32c(length) | data | uint32 masked_crc32c(data)``.

Why this is fast: walking the framing one record at a time in Python costs ~0.25 µs a record
plus two CRC calls. Instead:

1. *Candidates*: almost every Event starts with ``0x09`` (its ``wall_time`` field), so the
   positions 12 bytes before a ``0x09`` byte whose length field is small are likely record
   starts. numpy finds them, one block of :data:`_BLOCK` bytes at a time and only in the blocks
   the walk reaches (a long record is jumped over, never searched).
2. *Links*: a candidate's ``start + 16 + length`` must be the next candidate. Runs of linked
   candidates are taken whole; a short Python loop walks from byte 0, jumping over each run and
   stepping record by record only where the links break (false candidates inside data, records
   that do not start with ``0x09``). So every record taken is reached from byte 0 by following
   lengths, exactly as a sequential reader would.
3. *One CRC call for the whole walk*: each stored CRC ``c`` is replaced (in place, restored
   afterwards) by ``unmask(c) ^ RESET``. CRC32C is affine, and ``crc32c(LE32(u ^ RESET), u)``
   is 0 for every ``u``: if a field's stored CRC matches, the running CRC is back to 0 after it.
   So the CRC of all records together is 0 iff every length and data CRC matches (a wrong one
   leaves a non-zero difference that later bytes cannot cancel, except by a 2**-32 accident,
   the same odds as one CRC32C collision). When it is not 0, a binary search finds the first
   bad record.
4. *Damage*: from the first byte of a record that fails either checksum, runs past the end of
   the file or is longer than :data:`~.resync.MAX_RECORD_BYTES`, no length is trusted:
   :func:`~coordlint.loading.resync.search` finds the next offset where a whole record checks
   out and the walk resumes there; :mod:`~coordlint.loading.damage` reports the skipped span
   (its byte range, its bytes, the records lost in it). A file whose first record is damaged is
   resynchronised like any other; one with no intact record at all is "not a TFRecord file".
5. *Chunks*: :func:`scan_chunk` scans one window of a file (``base`` = its offset in the file)
   without the file's end in sight: it takes only what no later byte can change and says where
   the undecided bytes begin (``Records.stop``: a record running past the window, or a resync
   that has not found its next record yet, carried in :class:`~.damage.ScanState`) and how many
   bytes from there it needs (``Records.need``: a long record is then read whole in one window,
   not re-scanned window after window). The loader carries those bytes over to the next window;
   the last window is scanned with ``final=True``. So a file is never held whole, work stays
   linear in its size, and chunked scans give exactly what one whole-file scan gives (a test
   checks this for many chunk sizes on damaged files).

Damage never raises: it becomes a :class:`~coordlint.columns.Problem`.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

import crc32c
import numpy as np

from coordlint.columns import Problem
from coordlint.loading import damage
from coordlint.loading.crc import RESET, masked_crc32c, unmask_array, unmask_crc
from coordlint.loading.damage import Pending, ScanState
from coordlint.loading.resync import MAX_RECORD_BYTES, search

__all__ = [
    "Records",
    "ScanState",
    "check_start",
    "masked_crc32c",
    "scan_chunk",
    "scan_records",
    "unmask_crc",
]

_LFS_MAGIC = b"version https://git-lfs"
_MAX_CANDIDATE_LENGTH = 1 << 26  # longer records are found by the record-by-record step
_BLOCK = 1 << 22  # as large as a window: a window is one block (and a few bytes of another)
_PIECE = 1 << 20

_unpack_u64 = struct.Struct("<Q").unpack_from
_unpack_u32 = struct.Struct("<I").unpack_from


@dataclass
class Records:
    """Where the intact records of one file are: data at ``starts + 12``, ``lengths`` bytes."""

    starts: np.ndarray  # int64 record offsets (the length field), in file order
    lengths: np.ndarray  # int64 data lengths
    problems: list[Problem] = field(default_factory=list)
    #: Set when the file is not read as records at all (empty, LFS pointer, too short).
    unreadable_as_records: bool = False
    #: Relative offset where the bytes no scan has decided yet begin (== len(buf) when all are).
    stop: int = 0
    #: Bytes from ``stop`` the next window must hold to decide them (0: any number).
    need: int = 0

    def __len__(self) -> int:
        return len(self.starts)


def _view(buf: np.ndarray, dtype: str, size: int) -> np.ndarray:
    """A view with one (unaligned) element starting at every byte offset."""
    width = np.dtype(dtype).itemsize
    count = max(size - width + 1, 0)
    return np.ndarray((count,), dtype=dtype, buffer=buf, offset=0, strides=(1,))


def _joined(parts: list[np.ndarray]) -> np.ndarray:
    """The parts as one array (no copy of a single part: the usual undamaged window)."""
    if len(parts) == 1:
        return parts[0]
    return np.concatenate(parts) if parts else np.empty(0, dtype=np.int64)


def check_start(buf: np.ndarray, file: str, *, final: bool = True) -> Records | None:
    """Records telling why a file is not read as records at all, judged from its first bytes;
    None if it may hold records. With ``final=False`` (more bytes may follow) a buffer too
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
    if state.summary is not None:
        records.problems.append(state.summary)
    return records


def scan_chunk(buf: np.ndarray, file: str, base: int, *, final: bool, state: ScanState) -> Records:
    """Scan one window of a file starting at a record boundary (absolute offset ``base``).

    Offsets in ``Records.starts`` are relative to ``buf``; those in problems are absolute.
    Without ``final`` only what later bytes cannot change is taken: ``Records.stop`` says where
    the next window must begin and ``Records.need`` how many bytes it must hold (a record's
    length field is trusted that far only once its checksum passed and it is at most
    :data:`~.resync.MAX_RECORD_BYTES`). :func:`check_start` must have passed for the file first.
    """
    return _Scanner(buf, file, base, final, state).run()


class _Scanner:
    def __init__(
        self, buf: np.ndarray, file: str, base: int, final: bool, state: ScanState
    ) -> None:
        self.buf = buf
        self.mem = buf.data  # the same bytes as a buffer, for struct and crc32c
        self.file = file
        self.base = base
        self.final = final
        self.state = state
        self.size = len(buf)
        #: Where the file ends (absolute), as far as this scan knows.
        self.end = base + self.size if final else 1 << 62
        self.u64 = _view(buf, "<u8", self.size)
        self.u32 = _view(buf, "<u4", self.size)
        self.starts: list[np.ndarray] = []
        self.lengths: list[np.ndarray] = []
        self.problems: list[Problem] = []
        self.stop = self.size
        self.need = 0
        self._blocks: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = {}
        self._scratch: np.ndarray | None = None

    # -- driver ---------------------------------------------------------------------------
    def run(self) -> Records:
        pos: int | None = 0
        if self.state.resync is not None:
            pos = self._resync(0)
        while pos is not None and pos < self.size:
            pos = self._segment(pos)
        starts, lengths = _joined(self.starts), _joined(self.lengths)
        return Records(starts, lengths, self.problems, stop=self.stop, need=self.need)

    def _undecided(self, pos: int, need: int = 0) -> None:
        """Stop here: the bytes from ``pos`` on (``need`` of them) need the next window."""
        self.stop = pos
        self.need = need

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
    def _block(self, b: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Candidate records starting in block ``b``: starts, lengths, where each ends, and
        the indexes where a run of linked candidates ends (the last one always does)."""
        cached = self._blocks.get(b)
        if cached is not None:
            return cached
        lo, hi = b * _BLOCK, min((b + 1) * _BLOCK, self.size - 12)
        pieces = []
        for a in range(lo, hi, _PIECE):  # in pieces that stay in the CPU's cache
            z = min(a + _PIECE, hi)
            if self._scratch is None:  # one buffer for every piece: no page faults
                self._scratch = np.empty(min(_PIECE, self.size), dtype=bool)
            hit = self._scratch[: z - a]
            np.equal(self.buf[a + 12 : z + 12], 9, out=hit)
            pieces.append(np.flatnonzero(hit) + a)
        starts = np.concatenate(pieces) if pieces else np.empty(0, dtype=np.int64)
        lengths = self.u64[starts].astype(np.int64)
        small = (lengths >= 0) & (lengths < _MAX_CANDIDATE_LENGTH)
        if not small.all():
            starts, lengths = starts[small], lengths[small]
        nxt = starts + lengths + 16
        breaks = np.flatnonzero(nxt[:-1] != starts[1:])
        breaks = np.append(breaks, len(starts) - 1) if len(starts) else breaks
        self._blocks[b] = found = (starts, lengths, nxt, breaks)
        return found

    def _walk(self, pos: int) -> tuple[np.ndarray, np.ndarray, int]:
        """Follow lengths from ``pos``; return the complete records and where the walk stopped."""
        size = self.size
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
            cs, cl, cn, cb = self._block(pos // _BLOCK)
            i = int(np.searchsorted(cs, pos))
            if i < len(cs) and cs[i] == pos:
                j = int(cb[np.searchsorted(cb, i)])
                if cn[j] > size:  # the last record of the run overruns the buffer
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
                length = _unpack_u64(self.mem, pos)[0]
                if pos + 16 + length > size or length > MAX_RECORD_BYTES:
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
            mv = self.mem
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

    # -- 4: damage ------------------------------------------------------------------------
    def _length_ok(self, pos: int) -> bool:
        return crc32c.crc32c(self.mem[pos : pos + 8]) == unmask_crc(
            _unpack_u32(self.mem, pos + 8)[0]
        )

    def _damaged(self, pos: int, length: int) -> int | None:
        """The record at ``pos`` failed a CRC: resynchronise from its next byte."""
        if not self._length_ok(pos):
            return self._begin(Pending(self.base + pos, damage.BAD_LENGTH, False), pos)
        return self._begin(Pending(self.base + pos, damage.BAD_DATA, True, length), pos)

    def _tail(self, pos: int) -> int | None:
        """The walk stopped at ``pos`` before the buffer's end: a record that does not fit
        (one a later window completes, truncated, damaged, or over the limit)."""
        at = self.base + pos
        if pos + 12 > self.size:
            if not self.final:
                self._undecided(pos, 16)
                return None
            self.state.add(damage.truncated_header(self.file, at, self.end), self.problems)
            return None
        if not self._length_ok(pos):
            return self._begin(Pending(at, damage.BAD_LENGTH, False), pos)
        length = _unpack_u64(self.mem, pos)[0]
        if length > MAX_RECORD_BYTES:
            what = f"record over the {MAX_RECORD_BYTES >> 20} MiB limit ({length} bytes declared)"
            return self._begin(Pending(at, what, True, length, "too-large"), pos)
        if at + 16 + length > self.end:  # only in the final window: past the file's end
            what = f"record length past the end of the file ({length} bytes declared)"
            return self._begin(Pending(at, what, True, length), pos)
        self._undecided(pos, 16 + length)
        return None

    def _begin(self, pending: Pending, pos: int) -> int | None:
        """Start a resynchronisation at ``pos``: look for the next intact record after it."""
        self.state.resync = pending
        return self._resync(pos + 1)

    def _resync(self, lo: int) -> int | None:
        """Go on with the resynchronisation from ``lo``; return where the walk resumes."""
        pending = self.state.resync
        assert pending is not None
        found = search(self.buf, lo, self.end - self.base, final=self.final)
        pending.headers += found.headers
        base = self.base
        if found.first_header is not None:
            pending.boundary(self.buf, base, base + found.first_header)
        if found.found is None and found.undecided is not None:
            pending.advance(self.buf, base, base + found.undecided)
            self._undecided(found.undecided, found.need)
            return None
        self.state.resync = None
        stop = None if found.found is None else base + found.found
        pending.boundary(self.buf, base, self.end if stop is None else stop)
        self.state.add(damage.skipped(self.file, pending, stop, self.end), self.problems)
        return found.found
