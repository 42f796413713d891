"""Where log bytes come from: the one place the loader opens and stats files.

Local paths, and fsspec URLs (``s3://bucket/run/events...``, ``memory://...``; see
:mod:`coordlint.loading.remote`): a URL string, or a :class:`~.remote.RemotePath`, is read
through its fsspec filesystem, so the decoding code never cares where a file lives.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

from coordlint.loading import remote


@dataclass(frozen=True)
class FileStat:
    size: int
    mtime_ns: int


def _remote(path: object) -> Any:
    """The RemotePath for a URL (or RemotePath) ``path``; None for a local path."""
    if isinstance(path, Path):
        return None
    if isinstance(path, remote.RemotePath):
        return path
    if remote.is_url(path):
        return remote.resolve(str(path))
    return None


def open_binary(path: str | Path) -> BinaryIO:
    """Open ``path`` (a local path or a URL) for reading bytes (raises OSError like ``open``)."""
    target = _remote(path)
    if target is not None:
        return target.open("rb")
    return open(path, "rb")


def stat(path: str | Path) -> FileStat:
    """Size and modification time of ``path`` (raises OSError)."""
    if _remote(path) is not None:
        return FileStat(*remote.url_stat(str(path)))
    st = os.stat(path)
    return FileStat(st.st_size, st.st_mtime_ns)


def read_bytes(path: str | Path, start: int = 0) -> np.ndarray:
    """The bytes of ``path`` from ``start`` to the end, as a writable uint8 array (the record
    scanner patches CRC fields in place and restores them); raises OSError."""
    target = _remote(path)
    if target is not None:
        data = target.fs.cat_file(target.path, start=start or None)
        return np.frombuffer(bytearray(data), dtype=np.uint8)
    with open_binary(path) as fh:
        if start:
            fh.seek(start)
        try:
            fh.fileno()
        except (AttributeError, OSError, ValueError):
            return np.frombuffer(bytearray(fh.read()), dtype=np.uint8)
        return np.fromfile(fh, dtype=np.uint8)
