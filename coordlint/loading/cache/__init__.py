"""A cache of decoded event files, so re-checking an unchanged or growing file is cheap.

Three parts: :mod:`.entry` (what an entry holds and its bytes on disk), :mod:`.store` (the
size-limited directory of entries) and :mod:`.reader` (a cached tag's block, read when a rule
first needs it).

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

from coordlint.loading.cache.entry import (
    FORMAT_VERSION,
    CacheCorrupt,
    Entry,
    Snapshot,
    make_samples,
)
from coordlint.loading.cache.reader import Redecode, TagReader, deferred_columns
from coordlint.loading.cache.store import (
    DEFAULT_MAX_SIZE,
    DEFAULT_MIN_SIZE,
    Cache,
    default_cache_dir,
    parse_size,
)

__all__ = [
    "DEFAULT_MAX_SIZE",
    "DEFAULT_MIN_SIZE",
    "FORMAT_VERSION",
    "Cache",
    "CacheCorrupt",
    "Entry",
    "Redecode",
    "Snapshot",
    "TagReader",
    "default_cache_dir",
    "deferred_columns",
    "make_samples",
    "parse_size",
]
