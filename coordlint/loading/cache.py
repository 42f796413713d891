"""A cache of decoded event files, so re-checking an unchanged or growing file is cheap.

One entry per event file, named by a hash of its path, under the cache directory (``check
--cache-dir``; by default ``platformdirs.user_cache_dir("coordlint")``, else
``~/.cache/coordlint``). An entry holds what the loader had decided when it stopped: the byte
offset it reached (the end of the last record it is sure of; a truncated final record of a live
file is *not* included, so it is re-tried next time), the points decoded before that offset per
raw tag (step, value, wall time), the damage found there, and the decoder's carried state (TF2
tag plugins, header count, first wall time, corrupt-record count).

Layout (no pickle): a prefix, then one or more *segments*, each the points decoded since the
previous one::

    b"CLCACHE\\0" | u32 format version | u32 0 | u64 random entry id
    segment: u32 header length | u32 crc32c(header) | u64 payload length
             | header: UTF-8 JSON | zero padding to 8 bytes
             | payload: per tag in header order, one block: steps int64[n], values float64[n],
               walls float64[n]

A segment's header holds the whole decoder state at its offset and, per tag, its block's crc32c
and :class:`~coordlint.run.ColumnFacts` (point count, whether the steps increase, first and
last step, non-finite values). A new entry is written to a temporary file and renamed into
place (atomic). A file that grew appends one segment with only the new points (under an
exclusive lock, checking nobody else wrote meanwhile), so re-checking a live run never
rewrites what is cached; after :data:`MAX_SEGMENTS` the entry is written afresh in one segment.
A reader takes the last whole segment: a torn append is as if it never happened.

**Only what rules read is read.** A hit reads the segment headers alone: every tag becomes a
*deferred* column (:meth:`Entry.deferred_columns`) whose blocks are read, and checked against
their crc32c, the first time a rule touches its arrays. Counting points, resolving steps and
looking for NaNs use the facts, so re-checking an unchanged 10M-point run reads a few tags, not
240 MB.

**The cache is never trusted over the data.** An entry is used only when its first segment's
header reads back whole: right magic, version and path, header checksum, lengths that add up,
values of the right types; anything else (truncated, garbage, a flipped byte, an older version,
unreadable) is discarded and the file re-read from the start, never a crash. A tag block that
fails its checksum when it is read (or an entry replaced meanwhile) is not believed either:
that tag's points are decoded again from the event file and a corrupt entry is deleted.

**What is detected about the event file** (:meth:`Cache.lookup` → :meth:`Entry.valid_for`):

* shrank below the cached offset → re-read from the start;
* same size as cached but a different mtime (rewritten in place) → re-read;
* any change inside the sampled blocks before the offset (the first and last 4 KiB before the
  offset and six 4 KiB blocks evenly spaced between, compared by crc32c) → re-read;
* otherwise the bytes from the cached offset on are read and decoded: an appended file reads
  only what was appended.

**Size.** The directory is kept under ``max_size`` bytes (``--cache-max-size``, default
:data:`DEFAULT_MAX_SIZE`): after each write, the entries used longest ago go first. Use is
marked on the entry's access time (set on every lookup). A file whose entry alone would exceed
the limit is not cached. ``coordlint clean`` empties the directory.

*Not* detected: a change before the offset that keeps the size (or grows the file) and misses
every sampled block, e.g. one record rewritten in place in the middle of a large file with the
mtime restored, or a same-size rewrite with the mtime preserved. Writers of event files only
ever append, so this is the trade of a cheap check; ``--no-cache`` reads everything.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import struct
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import crc32c
import numpy as np

from coordlint.loading import source
from coordlint.run import Arrays, ColumnFacts, Problem, ScalarColumns

try:
    import fcntl
except ImportError:  # Windows: appends are not locked against a concurrent writer
    fcntl = None  # type: ignore[assignment]

__all__ = ["DEFAULT_MAX_SIZE", "Cache", "CachedTag", "Entry", "default_cache_dir", "parse_size"]

FORMAT_VERSION = 3
_MAGIC = b"CLCACHE\0"
_PREFIX = struct.Struct("<8sII8s")
_SEGMENT = struct.Struct("<IIQ")
_SAMPLE = 4096
_SAMPLES_BETWEEN = 6
#: Files smaller than this are not cached by default: reading them is as fast as the cache.
DEFAULT_MIN_SIZE = 1 << 20
#: The cache directory's size limit by default: a few 10M-point runs or hundreds of small ones.
DEFAULT_MAX_SIZE = 4 << 30
#: Appended segments an entry may hold before it is written afresh in one.
MAX_SEGMENTS = 64
#: A temporary file this old is left over from a writer that died: removed when pruning.
_STALE_TMP_SECONDS = 3600
_COLUMN_DTYPES = (np.dtype("<i8"), np.dtype("<f8"), np.dtype("<f8"))
_POINT_BYTES = sum(d.itemsize for d in _COLUMN_DTYPES)


def default_cache_dir() -> Path:
    """The user's cache directory for coordlint."""
    try:
        import platformdirs
    except ImportError:
        return Path.home() / ".cache" / "coordlint"
    return Path(platformdirs.user_cache_dir("coordlint"))


class CacheCorrupt(Exception):
    """An entry that does not read back whole: discard it."""


@dataclass(frozen=True)
class CachedTag:
    """One tag's block in a segment: its column's facts and the block's crc32c."""

    tag: str
    facts: ColumnFacts
    crc: int


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
    corrupt_count: int
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

    def valid_for(self, stat: source.FileStat) -> str | None:
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

    def deferred_columns(self, event_file: str) -> dict[str, ScalarColumns]:
        """Every tag as a deferred column: its blocks are read when a rule first needs them."""
        assert self.cache_file is not None
        parts: dict[str, list[ScalarColumns]] = {}
        skip: dict[str, int] = {}
        for t, at in self.blocks:
            reader = TagReader(
                str(self.cache_file),
                self.identity,
                at,
                t.facts.n,
                t.crc,
                event_file,
                t.tag,
                skip.get(t.tag, 0),
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
    __slots__ = ("crc", "entry_file", "event_file", "identity", "n", "skip", "start", "tag")

    def __init__(
        self,
        entry_file: str,
        identity: tuple[int, int, bytes],
        start: int,
        n: int,
        crc: int,
        event_file: str,
        tag: str,
        skip: int = 0,
    ) -> None:
        self.entry_file, self.identity, self.start, self.n = entry_file, identity, start, n
        self.crc, self.event_file, self.tag, self.skip = crc, event_file, tag, skip

    def __call__(self) -> Arrays:
        try:
            return self.read()
        except CacheCorrupt as exc:
            if str(exc) != "replaced":
                with contextlib.suppress(OSError):
                    os.unlink(self.entry_file)
            return self.decode_again()

    def read(self) -> Arrays:
        n = self.n
        block = np.empty(_POINT_BYTES * n, dtype=np.uint8)
        try:
            with open(self.entry_file, "rb") as fh:
                st = os.fstat(fh.fileno())
                prefix = fh.read(_PREFIX.size)
                if (st.st_dev, st.st_ino, prefix[-8:]) != self.identity:
                    raise CacheCorrupt("replaced")
                fh.seek(self.start)
                if fh.readinto(memoryview(block)) != len(block):
                    raise CacheCorrupt("block truncated")
        except OSError as exc:
            raise CacheCorrupt("replaced") from exc
        if crc32c.crc32c(block) != self.crc:
            raise CacheCorrupt("block checksum mismatch")
        steps, values, walls = (
            block[8 * n * k : 8 * n * (k + 1)].view(dtype) for k, dtype in enumerate(_COLUMN_DTYPES)
        )
        return steps, values, walls

    def decode_again(self) -> Arrays:
        from coordlint.loading import load_file  # the loader imports this module

        cols = load_file(self.event_file).columns.get(self.tag)
        a, b = self.skip, self.skip + self.n
        if cols is None or len(cols) < b:
            raise RuntimeError(
                f"{self.event_file} changed while it was being checked: {self.tag} no longer "
                f"has the {b} points read before; check it again"
            )
        return cols.steps[a:b], cols.values[a:b], cols.wall_times[a:b]


def sample_blocks(offset: int) -> list[tuple[int, int]]:
    """The (position, length) blocks before ``offset`` whose checksums an entry keeps."""
    if offset <= 0:
        return []
    if offset <= _SAMPLE * (_SAMPLES_BETWEEN + 2):
        return [(0, offset)]
    blocks = [(0, _SAMPLE)]
    span = offset - 2 * _SAMPLE
    for k in range(1, _SAMPLES_BETWEEN + 1):
        blocks.append((_SAMPLE + span * k // (_SAMPLES_BETWEEN + 1) - _SAMPLE // 2, _SAMPLE))
    blocks.append((offset - _SAMPLE, _SAMPLE))
    return blocks


def parse_size(text: str) -> int:
    """``--cache-max-size``: bytes, or a number with K, M, G or T (powers of 1024; a trailing
    ``B``/``iB`` is allowed). ``0`` means no limit. Raises ValueError."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([KMGT]?)(?:I?B)?\s*", text.upper())
    if match is None:
        raise ValueError(f"{text!r} is not a size (e.g. 500M, 4G, 0 for no limit)")
    number, unit = match.groups()
    return int(float(number) * 1024 ** " KMGT".index(unit or " "))


class Cache:
    """A directory of cache entries (created on the first write), at most ``max_size`` bytes
    (0: no limit)."""

    def __init__(
        self,
        directory: str | Path,
        *,
        min_size: int = DEFAULT_MIN_SIZE,
        max_size: int = DEFAULT_MAX_SIZE,
    ) -> None:
        self.directory = Path(directory)
        self.min_size = min_size
        self.max_size = max_size
        #: Why the last writes failed, for --debug style reporting; writes never raise.
        self.write_errors: list[str] = []
        # The directory's size at the last prune plus what was written since (an over-estimate:
        # replaced entries still count): the directory is listed again only when it may be full.
        self._size_bound: int | None = None
        #: Entries is_current validated, for the load that follows (see take_checked).
        self._checked: dict[str, tuple[source.FileStat, Entry]] = {}

    def entry_path(self, path: str) -> Path:
        key = hashlib.sha256(_key(path).encode("utf-8", "surrogatepass")).hexdigest()[:40]
        return self.directory / f"{key}.clc"

    # -- reading ------------------------------------------------------------------------------
    def lookup(self, path: str) -> Entry:
        """The entry for ``path`` as of its last whole segment; raises CacheCorrupt if absent or
        if not even its first segment's header reads back whole (tag blocks are read and
        checked later, by :class:`TagReader`)."""
        file = self.entry_path(path)
        try:
            with open(file, "rb") as fh:
                prefix = fh.read(_PREFIX.size)
                if len(prefix) != _PREFIX.size:
                    raise CacheCorrupt("truncated prefix")
                magic, version, _, entry_id = _PREFIX.unpack(prefix)
                if magic != _MAGIC:
                    raise CacheCorrupt("bad magic")
                if version != FORMAT_VERSION:
                    raise CacheCorrupt(f"version {version}")
                st = os.fstat(fh.fileno())
                _mark_used(file, fh.fileno(), st.st_mtime_ns)
                entry = _read_segments(fh, st.st_size)
        except FileNotFoundError as exc:
            raise CacheCorrupt("absent") from exc
        except OSError as exc:
            raise CacheCorrupt(f"unreadable: {exc}") from exc
        if entry.path != _key(path):
            raise CacheCorrupt("entry is for another path")
        entry.cache_file = file
        entry.identity = (st.st_dev, st.st_ino, entry_id)
        return entry

    def is_current(self, path: str, *, remember: bool = False) -> bool:
        """Whether ``path`` is cached whole and unchanged: a load would decode nothing.

        ``remember``: keep a current entry for the load about to follow (:meth:`take_checked`).
        """
        try:
            stat = source.stat(path)
            if stat.size < self.min_size:
                return False
            entry = self.lookup(path)
        except (CacheCorrupt, OSError, ValueError):
            return False
        current = stat.size == entry.offset and entry.valid_for(stat) is None
        if current and remember:  # the load that follows need not read and check it again
            self._checked[path] = (stat, entry)
        return current

    def take_checked(self, path: str, stat: source.FileStat) -> Entry | None:
        """The entry :meth:`is_current` just found current for ``path``, if the file's size and
        mtime are still those it saw (once: a later load looks the entry up again)."""
        checked = self._checked.pop(path, None)
        if checked is None or checked[0] != stat:
            return None
        return checked[1]

    # -- writing ------------------------------------------------------------------------------
    def store(self, entry: Entry, columns: Mapping[str, ScalarColumns]) -> bool:
        """Write ``entry`` with these columns as a new entry, atomically; return whether it was
        written. Never raises."""
        tmp_name = None
        try:
            segment, payload_len = _segment(entry, columns)
            if self.max_size and payload_len > self.max_size:
                return False  # alone larger than the whole cache may be
            prefix = _PREFIX.pack(_MAGIC, FORMAT_VERSION, 0, os.urandom(8))
            self.directory.mkdir(parents=True, exist_ok=True)
            target = self.entry_path(entry.path)
            fd, tmp_name = tempfile.mkstemp(prefix=target.name, suffix=".tmp", dir=self.directory)
            with os.fdopen(fd, "wb") as fh:
                fh.write(prefix)
                for part in segment:
                    fh.write(part)
            os.replace(tmp_name, target)
            tmp_name = None
            self._wrote(_PREFIX.size + sum(len(part) for part in segment), target)
            return True
        except (OSError, ValueError, TypeError) as exc:
            self.write_errors.append(f"{entry.path}: {exc}")
            return False
        finally:
            if tmp_name is not None:
                with contextlib.suppress(OSError):
                    os.unlink(tmp_name)

    def append(self, base: Entry, entry: Entry, new: Mapping[str, ScalarColumns]) -> bool:
        """Append a segment to ``base``'s entry file: ``entry``'s state with only the points
        decoded since ``base`` (``new``). False, writing nothing, when the entry has too many
        segments or is no longer the one ``base`` was read from (then :meth:`store` the whole).
        Never raises."""
        if base.cache_file is None or base.segments >= MAX_SEGMENTS:
            return False
        try:
            segment, payload_len = _segment(entry, new)
            if self.max_size and base.end + payload_len > self.max_size:
                return False
            with open(base.cache_file, "r+b") as fh:
                if fcntl is not None:
                    fcntl.flock(fh.fileno(), fcntl.LOCK_EX)  # released when fh closes
                st = os.fstat(fh.fileno())
                here = os.stat(base.cache_file)
                entry_id = fh.read(_PREFIX.size)[-8:]
                if (
                    (st.st_dev, st.st_ino, entry_id) != base.identity
                    or (here.st_dev, here.st_ino) != (st.st_dev, st.st_ino)
                    or st.st_size != base.end
                ):
                    return False  # replaced, appended to or torn since it was read
                fh.seek(base.end)
                for part in segment:
                    fh.write(part)
            self._wrote(sum(len(part) for part in segment), base.cache_file)
            return True
        except (OSError, ValueError, TypeError) as exc:
            self.write_errors.append(f"{entry.path}: {exc}")
            return False

    def _wrote(self, nbytes: int, keep: Path) -> None:
        if self._size_bound is not None:
            self._size_bound += nbytes
            if not self.max_size or self._size_bound <= self.max_size:
                return
        self._size_bound = self.prune(keep)

    def prune(self, keep: Path | None = None) -> int:
        """Delete the entries used longest ago until the directory is within ``max_size`` (never
        ``keep``), and temporary files left by writers that died; return the entries' bytes
        left. Runs on a process's first write, then whenever its writes may have filled it."""
        now = time.time()
        entries, total = [], 0
        try:
            listing = list(os.scandir(self.directory))
        except OSError:
            return 0
        for item in listing:
            try:
                st = item.stat(follow_symlinks=False)
            except OSError:
                continue
            if item.name.endswith(".tmp") and now - st.st_mtime > _STALE_TMP_SECONDS:
                with contextlib.suppress(OSError):
                    os.unlink(item.path)
            elif item.name.endswith(".clc"):
                entries.append((st.st_atime, item.path, st.st_size))
                total += st.st_size
        if not self.max_size or total <= self.max_size:
            return total
        entries.sort()
        for _, path, size in entries:
            if total <= self.max_size:
                break
            if keep is not None and path == str(keep):
                continue
            with contextlib.suppress(OSError):
                os.unlink(path)
                total -= size
        return total

    def clear(self) -> tuple[int, int]:
        """Delete every entry and temporary file; return how many and their bytes."""
        count = size = 0
        with contextlib.suppress(OSError):
            for item in os.scandir(self.directory):
                if item.name.endswith((".clc", ".tmp")) and item.is_file(follow_symlinks=False):
                    with contextlib.suppress(OSError):
                        n = item.stat(follow_symlinks=False).st_size
                        os.unlink(item.path)
                        count, size = count + 1, size + n
        return count, size


def _mark_used(file: Path, fd: int, mtime_ns: int) -> None:
    """Set the entry's access time to now (pruning drops the least recently used first),
    leaving its modification time as it was. A read-only cache is still used, just not marked."""
    target: int | Path = fd if os.utime in os.supports_fd else file
    with contextlib.suppress(OSError, NotImplementedError):
        os.utime(target, ns=(time.time_ns(), mtime_ns))


def make_samples(path: str, offset: int) -> list[tuple[int, int, int]]:
    """Checksums of the sampled blocks before ``offset`` (raises OSError)."""
    out = []
    with source.open_binary(path) as fh:
        for pos, length in sample_blocks(offset):
            fh.seek(pos)
            out.append((pos, length, crc32c.crc32c(fh.read(length))))
    return out


def _key(path: str) -> str:
    if "://" in path:
        return path
    return os.path.abspath(path)


def _align8(n: int) -> int:
    return (n + 7) & ~7


def _problem_json(p: Problem) -> list:
    return [p.kind, p.message, p.offset, p.records_skipped]


def _problem_from(file: str, raw: list) -> Problem:
    kind, message, offset, skipped = raw
    if not (isinstance(kind, str) and isinstance(message, str)):
        raise TypeError("problem kind/message")
    if not (offset is None or isinstance(offset, int)) or not isinstance(skipped, int):
        raise TypeError("problem offset/skipped")
    return Problem(file, kind, message, offset, skipped)


def _segment(entry: Entry, columns: Mapping[str, ScalarColumns]) -> tuple[list, int]:
    """A segment's bytes (as parts to write) holding ``entry``'s state and these columns, and
    its payload's length."""
    blocks = []
    tags = []
    for tag, cols in columns.items():
        raw = (cols.steps, cols.values, cols.wall_times)
        arrays = [
            np.ascontiguousarray(a, dtype=d) for a, d in zip(raw, _COLUMN_DTYPES, strict=True)
        ]
        crc = 0
        for a in arrays:
            crc = crc32c.crc32c(memoryview(a).cast("B"), crc)
        blocks.extend(memoryview(a).cast("B") for a in arrays)
        tags.append(CachedTag(tag, cols.facts, crc))
    payload_len = sum(len(b) for b in blocks)
    entry.path = _key(entry.path)
    header = json.dumps(_entry_to_json(entry, tags), ensure_ascii=False).encode("utf-8")
    pad = _align8(_SEGMENT.size + len(header)) - _SEGMENT.size - len(header)
    start = _SEGMENT.pack(len(header), crc32c.crc32c(header), payload_len)
    return [start + header + b"\0" * pad, *blocks], payload_len


def _read_segments(fh, size: int) -> Entry:
    """The state of the last whole segment from ``fh`` (just past the prefix), with the blocks
    of every segment up to it. A damaged or torn segment after the first ends the entry there."""
    entry = None
    blocks: list[tuple[CachedTag, int]] = []
    pos = _PREFIX.size
    segments = 0
    while True:
        fh.seek(pos)
        start = fh.read(_SEGMENT.size)
        if len(start) != _SEGMENT.size:
            break
        header_len, header_crc, payload_len = _SEGMENT.unpack(start)
        header = fh.read(header_len)
        data_start = _align8(pos + _SEGMENT.size + header_len)
        if (
            len(header) != header_len
            or crc32c.crc32c(header) != header_crc
            or data_start + payload_len > size
        ):
            break
        try:
            state, tags = _entry_from_json(json.loads(header.decode("utf-8")))
        except (ValueError, TypeError, KeyError, IndexError) as exc:
            if entry is None:
                raise CacheCorrupt(f"bad header: {exc}") from exc
            break
        if payload_len != _POINT_BYTES * sum(t.facts.n for t in tags):
            break
        at = data_start
        for t in tags:
            blocks.append((t, at))
            at += _POINT_BYTES * t.facts.n
        entry, pos, segments = state, data_start + payload_len, segments + 1
    if entry is None:
        raise CacheCorrupt("no whole segment")
    entry.blocks, entry.segments, entry.end = blocks, segments, pos
    return entry


def _entry_to_json(e: Entry, tags: list[CachedTag]) -> dict:
    return {
        "path": e.path,
        "size": e.size,
        "mtime_ns": e.mtime_ns,
        "offset": e.offset,
        "samples": [list(s) for s in e.samples],
        "records": e.records,
        "header_records": e.header_records,
        "first_wall_time": e.first_wall_time,
        "corrupt_count": e.corrupt_count,
        "plugins": e.plugins,
        "scan_problems": [_problem_json(p) for p in e.scan_problems],
        "decode_problems": [_problem_json(p) for p in e.decode_problems],
        "tags": [_tag_json(t) for t in tags],
    }


def _tag_json(t: CachedTag) -> list:
    f = t.facts
    bad = list(f.first_non_finite) if f.first_non_finite is not None else None
    return [t.tag, t.crc, f.n, f.increasing, f.first_step, f.last_step, f.non_finite, bad]


def _tag_from(raw: list) -> CachedTag:
    tag, crc, n, increasing, first, last, non_finite, bad = raw
    # One pass of exact type checks (bool is not an int here): a warm check parses every tag.
    if type(tag) is not str or type(increasing) is not bool:
        raise TypeError("tag")
    if not (type(crc) is type(n) is type(non_finite) is type(first) is type(last) is int):
        raise TypeError(f"tag {tag!r}: expected ints")
    if min(crc, n, non_finite) < 0 or min(first, last) < _INT64_MIN:
        raise ValueError(f"tag {tag!r}: a count or step out of range")
    if bad is not None:
        step, value = bad
        if not isinstance(value, float):
            raise TypeError("first non-finite value")
        bad = (_int(step, _INT64_MIN), value)
    if (non_finite > 0) != (bad is not None) or non_finite > n:
        raise ValueError("non-finite facts disagree")
    return CachedTag(tag, ColumnFacts(n, increasing, first, last, non_finite, bad), crc)


_INT64_MIN = -(2**63)


def _int(value, lo: int = 0) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < lo:
        raise TypeError(f"expected an int >= {lo}, got {value!r}")
    return value


def _entry_from_json(d: dict) -> tuple[Entry, list[CachedTag]]:
    path = d["path"]
    if not isinstance(path, str):
        raise TypeError("path")
    samples = [(_int(a), _int(b), _int(c)) for a, b, c in d["samples"]]
    wall = d["first_wall_time"]
    if wall is not None and not isinstance(wall, (int, float)):
        raise TypeError("first_wall_time")
    plugins = d["plugins"]
    if not isinstance(plugins, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in plugins.items()
    ):
        raise TypeError("plugins")
    tags = [_tag_from(t) for t in d["tags"]]
    if len({t.tag for t in tags}) != len(tags):
        raise TypeError("tags")
    offset = _int(d["offset"], 1)
    if [(p, n) for p, n, _ in samples] != sample_blocks(offset):
        raise ValueError("samples do not match the offset")
    entry = Entry(
        path=path,
        size=_int(d["size"]),
        mtime_ns=_int(d["mtime_ns"], -(2**63)),
        offset=offset,
        samples=samples,
        records=_int(d["records"]),
        header_records=_int(d["header_records"]),
        first_wall_time=None if wall is None else float(wall),
        corrupt_count=_int(d["corrupt_count"]),
        plugins=plugins,
        scan_problems=[_problem_from(path, p) for p in d["scan_problems"]],
        decode_problems=[_problem_from(path, p) for p in d["decode_problems"]],
    )
    return entry, tags
