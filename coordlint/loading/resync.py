"""Resynchronisation: after damage, the next offset where a whole record checks out.

A record is ``uint64 length | uint32 masked_crc32c(length) | data | uint32 masked_crc32c(data)``.
After damage nothing before the next intact record is trusted, not even a length field whose
checksum passes (its data may not): :func:`search` looks at *every* offset from where the
damage begins and returns the first one where the length is at most :data:`MAX_RECORD_BYTES`,
the record ends before the file does, and both checksums match.

It is vectorised and runs only where damage is: a length field's upper four bytes are zero for
any length it can accept, so numpy first keeps the offsets where they are (in damaged data that
is a small share), then computes the CRC32C of those candidates' length fields from the four
low bytes with two table look-ups each (:func:`~coordlint.loading.crc.crc32c_of_lengths`),
and only the few whose length checksum matches have their data checked, one ``crc32c`` call
each. The offsets are taken in windows that start small and grow, so a small damaged spot costs
little and a large one stays linear.
"""

from __future__ import annotations

from dataclasses import dataclass

import crc32c
import numpy as np

from coordlint.loading.crc import crc32c_of_lengths, unmask_array, unmask_crc

__all__ = ["MAX_RECORD_BYTES", "Search", "search"]

#: The longest record read. A longer length field is not trusted: the scan resynchronises past
#: it (a real record this long is reported as skipped), so a window never holds more than this.
MAX_RECORD_BYTES = 1 << 30
_FIRST_WINDOW = 1 << 9
_MAX_WINDOW = 1 << 20


@dataclass
class Search:
    """What :func:`search` found in one buffer."""

    #: Offset of the first intact record, if found.
    found: int | None = None
    #: When not found: where the bytes a later window must decide begin (None: nothing left).
    undecided: int | None = None
    #: Bytes from ``undecided`` the next window must hold to decide (0: any).
    need: int = 0
    #: Offsets before ``found``/``undecided`` whose length field checked out but whose record
    #: did not (each one a record header inside the damaged span), and the first of them.
    headers: int = 0
    first_header: int | None = None


def _u32(buf: np.ndarray) -> np.ndarray:
    """A little-endian uint32 view starting at every byte offset."""
    return np.ndarray((max(len(buf) - 3, 0),), dtype="<u4", buffer=buf, strides=(1,))


def search(buf: np.ndarray, lo: int, end: int, *, final: bool) -> Search:
    """The first offset ``>= lo`` in ``buf`` where a whole record checks out.

    ``end`` is where the file ends, relative to ``buf`` (beyond ``len(buf)`` when later
    windows will follow): a record running past it is never intact. Without ``final``, a
    candidate whose record runs past the buffer but not past ``end`` stops the search there
    (``undecided``, ``need``), and so do the last 15 bytes.
    """
    size = len(buf)
    u32 = _u32(buf)
    out = Search()
    limit = min(MAX_RECORD_BYTES, max(end - 16, 0))
    window = _FIRST_WINDOW
    while lo + 16 <= size:
        hi = min(lo + window, size - 15)  # candidate offsets [lo, hi): 16 bytes each at least
        window = min(window * 4, _MAX_WINDOW)
        low = u32[lo:hi]
        cand = np.flatnonzero((u32[lo + 4 : hi + 4] == 0) & (low <= limit))
        if len(cand):
            lengths = low[cand]
            ok = crc32c_of_lengths(lengths) == unmask_array(u32[cand + (lo + 8)])
            for off, length in zip((cand[ok] + lo).tolist(), lengths[ok].tolist(), strict=True):
                stop = off + 16 + length
                if stop <= end and stop > size:  # runs past this buffer, not the file
                    if not final:
                        out.undecided, out.need = off, 16 + length
                        return out
                elif stop <= end and _data_ok(buf, off, length):
                    out.found = off
                    return out
                out.headers += 1
                if out.first_header is None:
                    out.first_header = off
        lo = hi
    if not final:
        out.undecided = max(lo, size - 15)
    return out


def _data_ok(buf: np.ndarray, pos: int, length: int) -> bool:
    data = buf[pos + 12 : pos + 12 + length]
    stored = int(_u32(buf[pos + 12 + length : pos + 16 + length])[0])
    return crc32c.crc32c(data.data) == unmask_crc(stored)
