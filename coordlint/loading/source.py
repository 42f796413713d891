"""Where log bytes come from: the one place the loader opens and stats files.

Local paths today; remote URLs (fsspec) plug in here, so the decoding code never cares where a
file lives.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np


@dataclass(frozen=True)
class FileStat:
    size: int
    mtime_ns: int


def open_binary(path: str | Path) -> BinaryIO:
    """Open ``path`` for reading bytes (raises OSError like ``open``)."""
    return open(path, "rb")


def stat(path: str | Path) -> FileStat:
    """Size and modification time of ``path`` (raises OSError)."""
    st = os.stat(path)
    return FileStat(st.st_size, st.st_mtime_ns)


def read_bytes(path: str | Path, start: int = 0) -> np.ndarray:
    """The bytes of ``path`` from ``start`` to the end, as a writable uint8 array (the record
    scanner patches CRC fields in place and restores them); raises OSError."""
    with open_binary(path) as fh:
        if start:
            fh.seek(start)
        try:
            fh.fileno()
        except (AttributeError, OSError, ValueError):
            return np.frombuffer(bytearray(fh.read()), dtype=np.uint8)
        return np.fromfile(fh, dtype=np.uint8)
