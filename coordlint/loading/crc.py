"""TensorFlow's masked CRC32C, and the CRC helpers the record scanner uses."""

from __future__ import annotations

import crc32c
import numpy as np

__all__ = [
    "RESET",
    "U32",
    "crc32c_of_8_bytes_at",
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


def _crc32c_table() -> np.ndarray:
    table = np.arange(256, dtype=np.uint32)
    for _ in range(8):
        table = np.where(table & 1, (table >> 1) ^ np.uint32(0x82F63B78), table >> 1)
    return table.astype(np.uint32)


_TABLE: np.ndarray | None = None


def crc32c_of_8_bytes_at(buf: np.ndarray, lo: int, hi: int) -> np.ndarray:
    """CRC32C of the 8 bytes at every offset in [lo, hi), vectorised (used only to resync)."""
    global _TABLE
    if _TABLE is None:
        _TABLE = _crc32c_table()
    crc = np.full(hi - lo, U32, dtype=np.uint32)
    for k in range(8):
        byte = buf[lo + k : hi + k]
        crc = _TABLE[(crc ^ byte) & np.uint32(0xFF)] ^ (crc >> np.uint32(8))
    return crc ^ np.uint32(U32)
