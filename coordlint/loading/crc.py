"""TensorFlow's masked CRC32C, and the CRC helpers the record scanner uses."""

from __future__ import annotations

import crc32c
import numpy as np

__all__ = [
    "RESET",
    "U32",
    "crc32c_of_lengths",
    "masked_crc32c",
    "unmask_array",
    "unmask_crc",
]

_MASK_DELTA = 0xA282EAD8
U32 = 0xFFFFFFFF
#: The 32-bit word w with crc32c(LE32(w)) == 0 (see :mod:`coordlint.loading.tfrecord`).
RESET = 0x9BE09BAB


def masked_crc32c(data: bytes | memoryview) -> int:
    """TensorFlow's masked CRC32C of ``data``."""
    crc = crc32c.crc32c(data)
    return ((((crc >> 15) | (crc << 17)) & U32) + _MASK_DELTA) & U32


def unmask_crc(masked: int) -> int:
    """Undo TensorFlow's CRC mask."""
    rot = (masked - _MASK_DELTA) & U32
    return ((rot >> 17) | (rot << 15)) & U32


def unmask_array(masked: np.ndarray) -> np.ndarray:
    rot = masked - np.uint32(_MASK_DELTA)  # uint32 arithmetic wraps
    return (rot >> np.uint32(17)) | (rot << np.uint32(15))


def _length_tables() -> tuple[np.ndarray, np.ndarray, int]:
    """Tables for :func:`crc32c_of_lengths`: CRC32C is affine, so the CRC of ``LE64(n)`` is the
    CRC of eight zero bytes XOR one term per input byte; the terms of bytes 0-1 and 2-3 are
    folded into two tables of 65536 entries."""
    zero = crc32c.crc32c(bytes(8))
    per_byte = np.array(
        [
            [crc32c.crc32c(bytes(k) + bytes([b]) + bytes(7 - k)) ^ zero for b in range(256)]
            for k in range(4)
        ],
        dtype=np.uint32,
    )
    v = np.arange(1 << 16)
    low = per_byte[0][v & 0xFF] ^ per_byte[1][v >> 8]
    high = per_byte[2][v & 0xFF] ^ per_byte[3][v >> 8]
    return low, high, zero


_TABLES: tuple[np.ndarray, np.ndarray, int] | None = None


def crc32c_of_lengths(lengths: np.ndarray) -> np.ndarray:
    """CRC32C of the 8-byte little-endian length field of each uint32 in ``lengths`` (used only
    to resynchronise after damage; lengths of 2**32 and more are never candidates)."""
    global _TABLES
    if _TABLES is None:
        _TABLES = _length_tables()
    low, high, zero = _TABLES
    n = lengths.astype(np.uint32, copy=False)
    return low[n & np.uint32(0xFFFF)] ^ high[n >> np.uint32(16)] ^ np.uint32(zero)
