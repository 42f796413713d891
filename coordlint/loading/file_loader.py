"""Load one event file: every scalar point, per raw tag in record order, and its damage.

:func:`load_file` reads an event file with :mod:`coordlint.loading.tfrecord` (framing and CRCs)
and :mod:`coordlint.loading.events` (scalar decoding). Damaged files never raise: their damage
becomes problems of the result.

An event file is read in windows of :data:`CHUNK_SIZE` bytes (records cut by a window's end are
carried over to the next), never whole: the main thread reads and scans a window (framing and
CRCs) while a worker thread decodes the previous one, and each tag's points go straight into
arrays sized from the file's size, so memory stays near the decoded columns themselves. With a
:class:`~coordlint.loading.cache.Cache`, a file's decoded columns are kept between checks and
only bytes past the cached offset are read (see :mod:`coordlint.loading.cache`).
"""

from __future__ import annotations

import dataclasses
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import BinaryIO

import numpy as np

from coordlint.columns import Arrays, Problem, ScalarColumns
from coordlint.loading import source
from coordlint.loading.cache import (
    Cache,
    CacheCorrupt,
    Entry,
    Snapshot,
    deferred_columns,
    make_samples,
)
from coordlint.loading.columns_buffer import GrowingColumn
from coordlint.loading.cpu import usable_cores
from coordlint.loading.events import DecodeState, FileScalars, bad_tensor_summary, decode_records
from coordlint.loading.tfrecord import ScanState, check_start, scan_chunk

__all__ = ["CHUNK_SIZE", "default_decode_thread", "load_file"]

#: Bytes read, scanned and decoded at a time.
CHUNK_SIZE = 4 << 20


def default_decode_thread() -> bool:
    """Whether a file of more than one window is decoded on a second thread while the next
    window is read and scanned: yes when this process may use more than one core. A process
    pool that already fills every core passes ``decode_thread=False`` to its workers' loads:
    two threads per core only contend."""
    return usable_cores() > 1


def load_file(
    path: str | Path,
    *,
    fast: bool = True,
    cache: Cache | None = None,
    chunk_size: int = 0,
    decode_thread: bool | None = None,
) -> FileScalars:
    """Every scalar point of one event file, per raw tag in record order, plus its damage.

    ``cache`` keeps decoded columns between calls (ignored with ``fast=False``, the protobuf
    reference); ``chunk_size`` overrides :data:`CHUNK_SIZE` (tests use tiny windows);
    ``decode_thread`` (default: :func:`default_decode_thread`) decodes on a second thread.
    """
    file = str(path)
    threaded = default_decode_thread() if decode_thread is None else decode_thread
    try:
        loader = _FileLoader(file, fast, chunk_size or CHUNK_SIZE, cache if fast else None)
        loader.threaded = threaded
        return loader.load()
    except OSError as exc:  # anything else is a bug: load_run reports it as a loader-error
        reason = exc.strerror or str(exc) or type(exc).__name__
        return FileScalars(problems=[Problem(file, "unreadable", f"cannot read file: {reason}")])


class _FileLoader:
    def __init__(self, file: str, fast: bool, chunk_size: int, cache: Cache | None) -> None:
        self.file = file
        self.fast = fast
        self.chunk_size = chunk_size
        self.cache = cache
        self.scan_state = ScanState()
        self.decode_state = DecodeState()
        self.scan_problems: list[Problem] = []
        self.decode_problems: list[Problem] = []
        #: Points before the cached offset, per tag: deferred columns read from the cache.
        self.cached: dict[str, ScalarColumns] = {}
        #: Points decoded this time, per tag.
        self.columns: dict[str, GrowingColumn] = {}
        self.bytes_read = 0
        self.size = 0  # the file's size when stat'ed: what is read this time
        self.threaded = True  # decode on a second thread when the file spans windows

    # -- the cache ------------------------------------------------------------------------
    def _from_cache(self, stat: source.FileStat) -> tuple[Entry | None, str]:
        """The entry to continue from, and the cache status for :class:`FileScalars`: ``off``,
        ``miss``, ``hit``, ``corrupt:REASON`` or ``stale:REASON`` (for reports and tests)."""
        cache = self.cache
        if cache is None:
            return None, "off"
        if stat.size < cache.min_size:
            self.cache = None
            return None, "off"
        entry = cache.take_checked(self.file, stat)
        if entry is None:
            try:
                entry = cache.lookup(self.file)
            except CacheCorrupt as exc:
                return None, f"corrupt:{exc}"
            except Exception as exc:  # any doubt about an entry: decode the event file again
                return None, f"corrupt:{type(exc).__name__}: {exc}"
            if entry is None:
                return None, "miss"
            reason = entry.valid_for(stat)
            if reason is not None:
                return None, f"stale:{reason}"
        self.cached = deferred_columns(entry, self.file, redecode_tag)
        file = self.file
        self.scan_problems = [dataclasses.replace(p, file=file) for p in entry.scan_problems]
        self.decode_problems = [dataclasses.replace(p, file=file) for p in entry.decode_problems]
        self.scan_state.spans = entry.corrupt_count
        if entry.corrupt_summary is not None:
            self.scan_state.summary = dataclasses.replace(entry.corrupt_summary, file=file)
        self.decode_state = DecodeState(
            dict(entry.plugins),
            entry.records,
            entry.header_records,
            entry.first_wall_time,
            entry.bad_tensors,
        )
        return entry, "hit"

    def _store(
        self,
        entry: Entry | None,
        offset: int,
        stat: source.FileStat,
        snap: Snapshot | None,
        result: dict[str, ScalarColumns],
    ) -> None:
        if self.cache is None or offset <= 0 or snap is None:
            return
        if entry is not None and entry.offset == offset:
            return  # nothing new was decided
        try:
            samples = make_samples(self.file, offset)
        except (OSError, ValueError):
            return
        new = Entry(
            path=self.file,
            size=stat.size,
            mtime_ns=stat.mtime_ns,
            offset=offset,
            samples=samples,
            records=snap.records,
            header_records=snap.header_records,
            first_wall_time=snap.first_wall_time,
            corrupt_count=snap.corrupt_count,
            corrupt_summary=snap.corrupt_summary,
            bad_tensors=snap.bad_tensors,
            plugins=snap.plugins,
            scan_problems=snap.scan_problems,
            decode_problems=snap.decode_problems,
        )
        if entry is not None:  # a grown file: append only the points decoded since
            delta = {}
            for tag, n in snap.counts.items():
                k = n - len(self.cached.get(tag, ()))
                if k > 0:
                    delta[tag] = self.columns[tag].columns(k)
            if self.cache.append(entry, new, delta):
                return
        columns = {}
        for tag, n in snap.counts.items():
            if n:
                full = result[tag]
                columns[tag] = full if len(full) == n else _prefix(full, n)
        self.cache.store(new, columns)

    def _snapshot(self) -> Snapshot:
        """What the cache keeps: everything decided so far (before the final tail)."""
        s = self.decode_state
        counts = {t: len(c) for t, c in self.cached.items()}
        for t, c in self.columns.items():
            counts[t] = counts.get(t, 0) + c.n
        return Snapshot(
            counts=counts,
            records=s.records,
            header_records=s.header_records,
            first_wall_time=s.first_wall_time,
            plugins=dict(s.plugins),
            scan_problems=list(self.scan_problems),
            decode_problems=list(self.decode_problems),
            corrupt_count=self.scan_state.spans,
            corrupt_summary=self.scan_state.summary,
            bad_tensors=s.bad_tensors,
        )

    def _result_columns(self) -> dict[str, ScalarColumns]:
        """Each tag's points: the cached ones (still deferred), then those decoded now."""
        out = {}
        for tag in dict.fromkeys([*self.cached, *self.columns]):
            parts = [self.cached[tag]] if tag in self.cached else []
            col = self.columns.get(tag)
            if col is not None and col.n:
                parts.append(col.columns())
            if parts:
                out[tag] = parts[0] if len(parts) == 1 else ScalarColumns.concat(parts)
        return out

    # -- decoding ---------------------------------------------------------------------------
    def _decode(self, buf: np.ndarray, starts: np.ndarray, lengths: np.ndarray, base: int) -> None:
        got = decode_records(
            buf, starts, lengths, self.file, fast=self.fast, state=self.decode_state, base=base
        )
        self.decode_problems.extend(got.problems)
        if not got.columns:
            return
        # Size new tags' arrays for the whole file, judging by this chunk's share of it.
        span = int(starts[-1] + lengths[-1] + 16) if len(starts) else 1
        factor = max(1.0, (self.size - base) / max(span, 1))
        for tag, cols in got.columns.items():
            k = len(cols)
            col = self.columns.get(tag)
            estimate = int(k * factor * 1.05) + 16
            if col is None:
                col = self.columns[tag] = GrowingColumn(estimate)
            col.extend(cols, col.n + estimate)

    # -- the driver -------------------------------------------------------------------------
    def load(self) -> FileScalars:
        stat = source.stat(self.file)
        self.size = stat.size
        entry, status = self._from_cache(stat)
        base = entry.offset if entry is not None else 0
        with source.open_binary(self.file) as fh:
            if base:
                fh.seek(base)
            offset, snap, unreadable = self._read(fh, base, status == "hit")
        if entry is not None and offset > base:
            status = "append"
        columns = self._result_columns()
        if unreadable is None:
            self._store(entry, offset, stat, snap, columns)
        summary = self.scan_state.summary
        problems = unreadable or [
            *self.scan_problems,
            *([] if summary is None else [summary]),
            *self.decode_problems,
            *bad_tensor_summary(self.decode_state, self.file),
        ]
        state = self.decode_state
        result = FileScalars(
            columns=columns,
            problems=problems,
            records=state.records,
            header_only=state.records == 1 and state.header_records == 1,
            first_wall_time=state.first_wall_time,
            bytes_read=self.bytes_read,
            cache_status=status,
        )
        if result.header_only and not self.scan_problems:
            msg = "only the file_version header record: the writer logged nothing"
            result.problems.append(Problem(self.file, "header-only", msg, 0, 0))
        return result

    def _read(
        self, fh: BinaryIO, base: int, started: bool
    ) -> tuple[int, Snapshot | None, list[Problem] | None]:
        """Read, scan and decode from ``base`` to the stat'ed size; return the offset everything
        before which is decided, the cache snapshot taken there, and the problems of a file
        that is not read as records (else None)."""
        chunk = self.chunk_size
        pos = base  # file offset of buf[0]
        carry = np.empty(0, dtype=np.uint8)
        need = 0  # bytes from the carry's start the scanner asked for
        threaded = self.threaded and self.size - base > chunk
        pool = ThreadPoolExecutor(1, thread_name_prefix="coordlint-decode") if threaded else None
        pending: deque[Future] = deque()
        try:
            while True:
                # A record longer than a window is read whole at once: never re-scanned.
                want = max(0, min(max(chunk, need - len(carry)), self.size - pos - len(carry)))
                buf = np.empty(len(carry) + want, dtype=np.uint8)
                buf[: len(carry)] = carry
                got = _read_into(fh, buf[len(carry) :])
                self.bytes_read += got
                final = got < want or pos + len(buf) >= self.size
                buf = buf[: len(carry) + got]
                if not started:
                    try:
                        start = check_start(buf, self.file, final=final)
                    except EOFError:
                        carry = buf
                        continue
                    if start is not None:
                        return 0, None, start.problems
                    started = True
                recs = scan_chunk(buf, self.file, pos, final=False, state=self.scan_state)
                self.scan_problems.extend(recs.problems)
                if len(recs):
                    if pool is None:
                        self._decode(buf, recs.starts, recs.lengths, pos)
                    else:
                        if len(pending) >= 2:
                            pending.popleft().result()
                        pending.append(
                            pool.submit(self._decode, buf, recs.starts, recs.lengths, pos)
                        )
                stop, need = recs.stop, recs.need
                if final:
                    break
                carry = buf[stop:]
                pos += stop
            while pending:
                pending.popleft().result()
        finally:
            if pool is not None:
                pool.shutdown(wait=True, cancel_futures=True)
        # Everything before ``pos + stop`` is decided whatever bytes come later; the tail (a
        # truncated record of a live file, a resync still looking) is scanned to the end now
        # and again next time.
        # A resync still looking for the record after damage is not decided: the cache keeps
        # what comes before the damage, and the next check meets it again.
        resync = self.scan_state.resync
        offset = pos + stop if resync is None else resync.start
        snap = self._snapshot() if self.cache is not None else None
        tail = buf[stop:]
        if len(tail) or resync is not None:
            recs = scan_chunk(tail, self.file, pos + stop, final=True, state=self.scan_state)
            self.scan_problems.extend(recs.problems)
            if len(recs):
                self._decode(tail, recs.starts, recs.lengths, pos + stop)
        return offset, snap, None


def redecode_tag(event_file: str, tag: str, start: int, stop: int) -> Arrays:
    """A tag's points ``start`` to ``stop`` (record order), decoded afresh from the event file:
    what a cached block that fails its check is replaced with."""
    cols = load_file(event_file).columns.get(tag)
    if cols is None or len(cols) < stop:
        raise RuntimeError(
            f"{event_file} changed while it was being checked: {tag} no longer "
            f"has the {stop} points read before; check it again"
        )
    return cols.steps[start:stop], cols.values[start:stop], cols.wall_times[start:stop]


def _prefix(cols: ScalarColumns, n: int) -> ScalarColumns:
    return ScalarColumns(cols.steps[:n], cols.values[:n], cols.wall_times[:n])


def _read_into(fh: BinaryIO, out: np.ndarray) -> int:
    """Fill ``out`` from ``fh`` as far as the file goes; return the bytes read."""
    view = out.data.cast("B")
    done = 0
    readinto = getattr(fh, "readinto", None)
    while done < len(view):
        if readinto is not None:
            n = readinto(view[done:])
        else:
            data = fh.read(len(view) - done)
            n = len(data)
            view[done : done + n] = data
        if not n:
            break
        done += n
    return done
