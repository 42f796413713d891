"""Where log bytes come from: the one place the loader opens and stats files.

Local paths, and fsspec URLs (``s3://bucket/run/events...``, ``memory://...``; see
:mod:`coordlint.loading.remote`): a URL string, or a :class:`~.remote.RemotePath`, is read
through its fsspec filesystem, so the decoding code never cares where a file lives.

Only regular files are read. A local path is opened without blocking and checked on the open
descriptor: a FIFO, a device (a symlink to ``/dev/zero``), a socket or a directory raises
:class:`NotRegularFile` (an ``OSError``) instead of hanging or reading forever, and a symlink
is followed only to a regular file. Files read whole (the JSON logs and configs) are read with
:func:`read_limited`, which refuses one larger than its limit.
"""

from __future__ import annotations

import errno
import io
import os
import stat as stat_module
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from coordlint.columns import Problem
from coordlint.loading import remote

__all__ = [
    "FileStat",
    "FileTooLarge",
    "NotRegularFile",
    "open_binary",
    "open_regular",
    "read_limited",
    "read_whole",
    "stat",
]

_KINDS = (
    (stat_module.S_ISDIR, "a directory"),
    (stat_module.S_ISFIFO, "a FIFO"),
    (stat_module.S_ISCHR, "a character device"),
    (stat_module.S_ISBLK, "a block device"),
    (stat_module.S_ISSOCK, "a socket"),
)


class NotRegularFile(OSError):
    """The path is (or a symlink leads to) a FIFO, a device, a socket or a directory."""

    def __init__(self, what: str) -> None:
        super().__init__(errno.EINVAL, f"not a regular file ({what})")


class FileTooLarge(Exception):
    """A file read whole is larger than the limit its reader sets."""

    def __init__(self, size: int, limit: int) -> None:
        super().__init__(f"{size} bytes, over the {_mib(limit)} limit for this file")
        self.size = size
        self.limit = limit


def _mib(n: int) -> str:
    return f"{n >> 20} MiB" if n >= 1 << 20 else f"{n} bytes"


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
    """Open ``path`` (a local path or a URL) for reading bytes (raises OSError like ``open``;
    :class:`NotRegularFile` for anything but a regular file)."""
    target = _remote(path)
    if target is not None:
        if "file" in _protocols(target.fs):  # a local file through fsspec: same checks
            return open_regular(target.path)
        return target.open("rb")
    return open_regular(path)


def _protocols(fs: Any) -> tuple[str, ...]:
    protocol = getattr(fs, "protocol", ())
    return (protocol,) if isinstance(protocol, str) else tuple(protocol)


def open_regular(path: str | Path) -> io.BufferedReader:
    """Open a local regular file for reading bytes, never blocking on a FIFO: the path is
    opened non-blocking and the descriptor checked (raises OSError, :class:`NotRegularFile`)."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    fd = os.open(path, flags)
    try:
        mode = os.fstat(fd).st_mode
        if not stat_module.S_ISREG(mode):
            what = next((name for test, name in _KINDS if test(mode)), "not a file")
            raise NotRegularFile(what)
        if flags & getattr(os, "O_NONBLOCK", 0):
            os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def read_limited(path: str | Path, limit: int) -> bytes:
    """The whole of a regular file of at most ``limit`` bytes (raises OSError,
    :class:`NotRegularFile`, :class:`FileTooLarge`)."""
    with open_binary(path) as fh:
        data = fh.read(limit + 1)
    if len(data) > limit:
        try:
            size = stat(path).size
        except OSError:
            size = len(data)
        raise FileTooLarge(max(size, len(data)), limit)
    return data


def read_whole(path: str | Path, limit: int) -> bytes | Problem:
    """The whole of a regular file of at most ``limit`` bytes, or the ``unreadable`` or
    ``too-large`` problem that stopped reading it (never raises, never blocks on a FIFO)."""
    try:
        return read_limited(path, limit)
    except FileTooLarge as exc:
        return Problem(str(path), "too-large", f"not read: {exc}")
    except OSError as exc:
        reason = exc.strerror or str(exc) or type(exc).__name__
        return Problem(str(path), "unreadable", f"cannot read: {reason}")


def stat(path: str | Path) -> FileStat:
    """Size and modification time of ``path`` (raises OSError)."""
    if _remote(path) is not None:
        return FileStat(*remote.url_stat(str(path)))
    st = os.stat(path)
    return FileStat(st.st_size, st.st_mtime_ns)
