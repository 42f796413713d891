"""The cache directory: entries by event-file path, kept under a size limit.

One entry per event file, named by a hash of its path, under the cache directory (``check
--cache-dir``; by default ``platformdirs.user_cache_dir("coordlint")``, else
``~/.cache/coordlint``). A new entry is written to a temporary file and renamed into place
(atomic). A file that grew appends one segment with only the new points (under an exclusive
lock, checking nobody else wrote meanwhile), so re-checking a live run never rewrites what is
cached; after :data:`MAX_SEGMENTS` the entry is written afresh in one segment.

**The cache is never trusted over the data.** An entry is used only when its first segment's
header reads back whole: right magic, version and path, header checksum, lengths that add up,
values of the right types; anything else (truncated, garbage, a flipped byte, an older version,
unreadable) is discarded and the file re-read from the start, never a crash. A tag block that
fails its checksum when it is read (or an entry replaced meanwhile) is not believed either:
that tag's points are decoded again from the event file and a corrupt entry is deleted.

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
import os
import re
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path

from coordlint.columns import ScalarColumns
from coordlint.loading import source
from coordlint.loading.cache.entry import (
    FORMAT_VERSION,
    MAGIC,
    PREFIX,
    CacheCorrupt,
    Entry,
    encode_segment,
    key_of,
    read_segments,
)

try:
    import fcntl
except ImportError:  # Windows: appends are not locked against a concurrent writer
    fcntl = None  # type: ignore[assignment]

__all__ = ["DEFAULT_MAX_SIZE", "DEFAULT_MIN_SIZE", "Cache", "default_cache_dir", "parse_size"]

#: Files smaller than this are not cached by default: reading them is as fast as the cache.
DEFAULT_MIN_SIZE = 1 << 20
#: The cache directory's size limit by default: a few 10M-point runs or hundreds of small ones.
DEFAULT_MAX_SIZE = 4 << 30
#: Appended segments an entry may hold before it is written afresh in one.
MAX_SEGMENTS = 64
#: A temporary file this old is left over from a writer that died: removed when pruning.
_STALE_TMP_SECONDS = 3600


def default_cache_dir() -> Path:
    """The user's cache directory for coordlint."""
    try:
        import platformdirs
    except ImportError:
        return Path.home() / ".cache" / "coordlint"
    return Path(platformdirs.user_cache_dir("coordlint"))


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
        key = hashlib.sha256(key_of(path).encode("utf-8", "surrogatepass")).hexdigest()[:40]
        return self.directory / f"{key}.clc"

    # -- reading ------------------------------------------------------------------------------
    def lookup(self, path: str) -> Entry | None:
        """The entry for ``path`` as of its last whole segment, ``None`` when there is none;
        raises CacheCorrupt if not even its first segment's header reads back whole (tag
        blocks are read and checked later, by :class:`~.reader.TagReader`)."""
        file = self.entry_path(path)
        try:
            with source.open_regular(file) as fh:
                prefix = fh.read(PREFIX.size)
                if len(prefix) != PREFIX.size:
                    raise CacheCorrupt("truncated prefix")
                magic, version, _, entry_id = PREFIX.unpack(prefix)
                if magic != MAGIC:
                    raise CacheCorrupt("bad magic")
                if version != FORMAT_VERSION:
                    raise CacheCorrupt(f"version {version}")
                st = os.fstat(fh.fileno())
                _mark_used(file, fh.fileno(), st.st_mtime_ns)
                entry = read_segments(fh, st.st_size)
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise CacheCorrupt(f"unreadable: {exc}") from exc
        if entry.path != key_of(path):
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
        if entry is None:
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
            segment, payload_len = encode_segment(entry, columns)
            if self.max_size and payload_len > self.max_size:
                return False  # alone larger than the whole cache may be
            prefix = PREFIX.pack(MAGIC, FORMAT_VERSION, 0, os.urandom(8))
            self.directory.mkdir(parents=True, exist_ok=True)
            target = self.entry_path(entry.path)
            fd, tmp_name = tempfile.mkstemp(prefix=target.name, suffix=".tmp", dir=self.directory)
            with os.fdopen(fd, "wb") as fh:
                fh.write(prefix)
                for part in segment:
                    fh.write(part)
            os.replace(tmp_name, target)
            tmp_name = None
            self._wrote(PREFIX.size + sum(len(part) for part in segment), target)
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
            segment, payload_len = encode_segment(entry, new)
            if self.max_size and base.end + payload_len > self.max_size:
                return False
            with open(base.cache_file, "r+b") as fh:
                if fcntl is not None:
                    fcntl.flock(fh.fileno(), fcntl.LOCK_EX)  # released when fh closes
                st = os.fstat(fh.fileno())
                here = os.stat(base.cache_file)
                entry_id = fh.read(PREFIX.size)[-8:]
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
