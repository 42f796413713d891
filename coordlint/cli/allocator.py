"""Tune glibc's malloc for the loader's pattern of large, short-lived arrays (CLI only).

glibc gives every allocation above its mmap threshold (128 KiB, raised only as large blocks are
freed) pages of its own and returns them on free. The loader decodes a 4 MiB window at a time
into a dozen intermediate arrays of about a megabyte each, so by default every window faults
fresh zeroed pages in: on a 10M-scalar file that was 0.6-1.2 s of system time, two thirds of
it avoidable (measured 1.17 s against 0.40 s of system time, 4.7 s against 4.0 s in all, peak
RSS +9 MB). A fixed 32 MiB mmap threshold and a 64 MiB trim threshold let those arrays reuse
the heap. Whether this happened used to depend on whether some import (pandas') happened to
free a large block first.

Only the command line calls :func:`tune`: a library should not change its host process's
allocator. A ``MALLOC_*_`` environment variable the user set wins; other C libraries and
platforms are left alone.
"""

from __future__ import annotations

import ctypes
import os

__all__ = ["tune"]

_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD = 32 << 20
TRIM_THRESHOLD = 64 << 20


def tune() -> bool:
    """Set the thresholds on glibc (unless the environment set them); return whether it did."""
    if not _glibc():
        return False
    if "MALLOC_MMAP_THRESHOLD_" in os.environ or "MALLOC_TRIM_THRESHOLD_" in os.environ:
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    return bool(
        mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD) and mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD)
    )


def _glibc() -> bool:
    try:
        return os.confstr("CS_GNU_LIBC_VERSION").startswith("glibc")  # type: ignore[union-attr]
    except (AttributeError, ValueError, OSError):
        return False
