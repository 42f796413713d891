"""A cache of decoded event files, so re-checking an unchanged or growing file is cheap.

One entry per event file, named by a hash of its path, under the cache directory (``check
--cache-dir``; by default ``platformdirs.user_cache_dir("coordlint")``, else
``~/.cache/coordlint``). An entry holds what the loader had decided when it stopped: the byte
offset it reached (the end of the last record it is sure of; a truncated final record of a live
file is *not* included, so it is re-tried next time), the points decoded before that offset per
raw tag (step, value, wall time), the damage found there, and the decoder's carried state (TF2
tag plugins, header count, first wall time, corrupt-record count).

Layout (no pickle)::

    b"CLCACHE\\0" | u32 format version | u32 header length | u32 crc32c(header) | u32 0
    | header: UTF-8 JSON | zero padding to 8 bytes
    | payload: for each tag in header order: steps int64[n], values float64[n], walls float64[n]

The header carries the payload's length and crc32c. Entries are written to a temporary file
and renamed into place (atomic), so a reader sees a whole old entry or a whole new one.

**The cache is never trusted over the data.** An entry is used only when it reads back whole:
right magic, version and path, header and payload checksums match, lengths add up, values have
the right types. Anything else (truncated, garbage, a flipped byte, an older version,
unreadable) is discarded and the file re-read from the start, never a crash.

**What is detected about the event file** (:meth:`Cache.lookup` → :meth:`Entry.valid_for`):

* shrank below the cached offset → re-read from the start;
* same size as cached but a different mtime (rewritten in place) → re-read;
* any change inside the sampled blocks before the offset (the first and last 4 KiB before the
  offset and six 4 KiB blocks evenly spaced between, compared by crc32c) → re-read;
* otherwise the bytes from the cached offset on are read and decoded: an appended file reads
  only what was appended.

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
import struct
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import crc32c
import numpy as np

from coordlint.loading import source
from coordlint.run import Problem

__all__ = ["Cache", "Entry", "default_cache_dir"]

FORMAT_VERSION = 1
_MAGIC = b"CLCACHE\0"
_PREFIX = struct.Struct("<8sIIII")
_SAMPLE = 4096
_SAMPLES_BETWEEN = 6
#: Files smaller than this are not cached by default: reading them is as fast as the cache.
DEFAULT_MIN_SIZE = 1 << 20
_COLUMN_DTYPES = (np.dtype("<i8"), np.dtype("<f8"), np.dtype("<f8"))


def default_cache_dir() -> Path:
    """The user's cache directory for coordlint."""
    try:
        import platformdirs
    except ImportError:
        return Path.home() / ".cache" / "coordlint"
    return Path(platformdirs.user_cache_dir("coordlint"))


class CacheCorrupt(Exception):
    """An entry that does not read back whole: discard it."""


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
    tags: list[tuple[str, int]]  # raw tag and point count, payload order
    payload_len: int = 0
    payload_crc: int = 0
    data_start: int = 0
    cache_file: Path | None = field(default=None, repr=False)

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

    def read_payload(self) -> dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]:
        """Every tag's columns as views into one block read at once (one allocation, which
        numpy backs with huge pages: the fastest way back for an unchanged file); raises
        CacheCorrupt if the payload does not read back whole."""
        assert self.cache_file is not None
        block = np.empty(self.payload_len, dtype=np.uint8)
        try:
            with open(self.cache_file, "rb") as fh:
                fh.seek(self.data_start)
                if fh.readinto(memoryview(block)) != self.payload_len or fh.read(1):
                    raise CacheCorrupt("payload length mismatch")
        except OSError as exc:
            raise CacheCorrupt(f"unreadable: {exc}") from exc
        if crc32c.crc32c(block) != self.payload_crc:
            raise CacheCorrupt("payload checksum mismatch")
        out = {}
        at = 0
        for tag, n in self.tags:
            cols = []
            for dtype in _COLUMN_DTYPES:
                cols.append(block[at : at + 8 * n].view(dtype))
                at += 8 * n
            out[tag] = (cols[0], cols[1], cols[2])
        return out

    def read_columns(
        self, alloc: Callable[[str, int], tuple[np.ndarray, np.ndarray, np.ndarray]]
    ) -> None:
        """Read every tag's columns into arrays from ``alloc(tag, n)`` (each at least ``n``
        long); raises CacheCorrupt if the payload does not read back whole."""
        assert self.cache_file is not None
        try:
            with open(self.cache_file, "rb") as fh:
                fh.seek(self.data_start)
                crc = 0
                for tag, n in self.tags:
                    for arr in alloc(tag, n):
                        view = memoryview(arr[:n]).cast("B")
                        if fh.readinto(view) != len(view):
                            raise CacheCorrupt("payload truncated")
                        crc = crc32c.crc32c(view, crc)
                if fh.read(1):
                    raise CacheCorrupt("payload too long")
        except OSError as exc:
            raise CacheCorrupt(f"unreadable: {exc}") from exc
        if crc != self.payload_crc:
            raise CacheCorrupt("payload checksum mismatch")


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


class Cache:
    """A directory of cache entries (created on the first write)."""

    def __init__(self, directory: str | Path, *, min_size: int = DEFAULT_MIN_SIZE) -> None:
        self.directory = Path(directory)
        self.min_size = min_size
        #: Why the last writes failed, for --debug style reporting; writes never raise.
        self.write_errors: list[str] = []

    def entry_path(self, path: str) -> Path:
        key = hashlib.sha256(_key(path).encode("utf-8", "surrogatepass")).hexdigest()[:40]
        return self.directory / f"{key}.clc"

    # -- reading ------------------------------------------------------------------------------
    def lookup(self, path: str) -> Entry:
        """The entry for ``path``; raises CacheCorrupt if absent or not whole (columns are read
        separately with :meth:`Entry.read_columns`)."""
        file = self.entry_path(path)
        try:
            with open(file, "rb") as fh:
                prefix = fh.read(_PREFIX.size)
                if len(prefix) != _PREFIX.size:
                    raise CacheCorrupt("truncated prefix")
                magic, version, header_len, header_crc, _ = _PREFIX.unpack(prefix)
                if magic != _MAGIC:
                    raise CacheCorrupt("bad magic")
                if version != FORMAT_VERSION:
                    raise CacheCorrupt(f"version {version}")
                header = fh.read(header_len)
                total = os.fstat(fh.fileno()).st_size
        except FileNotFoundError as exc:
            raise CacheCorrupt("absent") from exc
        except OSError as exc:
            raise CacheCorrupt(f"unreadable: {exc}") from exc
        if len(header) != header_len or crc32c.crc32c(header) != header_crc:
            raise CacheCorrupt("header checksum mismatch")
        try:
            entry = _entry_from_json(json.loads(header.decode("utf-8")))
        except (ValueError, TypeError, KeyError, IndexError) as exc:
            raise CacheCorrupt(f"bad header: {exc}") from exc
        if entry.path != _key(path):
            raise CacheCorrupt("entry is for another path")
        entry.cache_file = file
        entry.data_start = _align8(_PREFIX.size + header_len)
        if total != entry.data_start + entry.payload_len:
            raise CacheCorrupt("size does not match the header")
        if entry.payload_len != 24 * sum(n for _, n in entry.tags):
            raise CacheCorrupt("payload length does not match the tags")
        return entry

    # -- writing ------------------------------------------------------------------------------
    def store(self, entry: Entry, columns: list[tuple[np.ndarray, np.ndarray, np.ndarray]]) -> bool:
        """Write ``entry`` with each tag's columns (in ``entry.tags`` order) atomically; return
        whether it was written. Never raises."""
        tmp_name = None
        try:
            arrays = []
            crc = 0
            for (_, n), cols in zip(entry.tags, columns, strict=True):
                for arr, dtype in zip(cols, _COLUMN_DTYPES, strict=True):
                    view = np.ascontiguousarray(arr[:n], dtype=dtype)
                    arrays.append(view)
                    crc = crc32c.crc32c(memoryview(view).cast("B"), crc)
            entry.payload_len = sum(a.nbytes for a in arrays)
            entry.payload_crc = crc
            entry.path = _key(entry.path)
            header = json.dumps(_entry_to_json(entry), ensure_ascii=False).encode("utf-8")
            prefix = _PREFIX.pack(_MAGIC, FORMAT_VERSION, len(header), crc32c.crc32c(header), 0)
            pad = _align8(len(prefix) + len(header)) - len(prefix) - len(header)
            self.directory.mkdir(parents=True, exist_ok=True)
            target = self.entry_path(entry.path)
            fd, tmp_name = tempfile.mkstemp(prefix=target.name, suffix=".tmp", dir=self.directory)
            with os.fdopen(fd, "wb") as fh:
                fh.write(prefix + header + b"\0" * pad)
                for arr in arrays:
                    fh.write(memoryview(arr).cast("B"))
            os.replace(tmp_name, target)
            tmp_name = None
            return True
        except (OSError, ValueError, TypeError) as exc:
            self.write_errors.append(f"{entry.path}: {exc}")
            return False
        finally:
            if tmp_name is not None:
                with contextlib.suppress(OSError):
                    os.unlink(tmp_name)

    def discard(self, path: str) -> None:
        with contextlib.suppress(OSError):
            self.entry_path(path).unlink()


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


def _entry_to_json(e: Entry) -> dict:
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
        "tags": [[t, n] for t, n in e.tags],
        "payload_len": e.payload_len,
        "payload_crc": e.payload_crc,
    }


def _int(value, lo: int = 0) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < lo:
        raise TypeError(f"expected an int >= {lo}, got {value!r}")
    return value


def _entry_from_json(d: dict) -> Entry:
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
    tags = [(t, _int(n)) for t, n in d["tags"]]
    if not all(isinstance(t, str) for t, _ in tags) or len({t for t, _ in tags}) != len(tags):
        raise TypeError("tags")
    offset = _int(d["offset"], 1)
    if [(p, n) for p, n, _ in samples] != sample_blocks(offset):
        raise ValueError("samples do not match the offset")
    return Entry(
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
        tags=tags,
        payload_len=_int(d["payload_len"]),
        payload_crc=_int(d["payload_crc"]),
    )
