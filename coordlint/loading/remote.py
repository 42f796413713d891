"""Remote logdirs: ``s3://``, ``gs://``, ``hdfs://``, ``memory://``, ... through fsspec.

A RUN argument that is a URL (``scheme://...``, or an fsspec chain like ``simplecache::s3://``)
becomes a :class:`RemotePath`: the small part of :class:`pathlib.Path` that discovery and the
loaders use (``/``, ``name``, ``parent(s)``, ``is_file``, ``is_dir``, ``exists``, ``read_bytes``,
``open``, ``relative_to``), over the URL's fsspec filesystem. ``str()`` of it is the URL, so
reports keep URLs. It pickles (the filesystem pickles with its storage options), so runs on a
remote filesystem load in worker processes too.

fsspec itself is optional (``pip install 'coordlint[remote]'``); so is each backend (s3fs, gcsfs,
pyarrow for HDFS, ...). A missing one is an :class:`~coordlint.errors.InputError` naming what
to install. Storage options (an S3 endpoint, say) come from ``--storage-option KEY=VALUE``, or
from fsspec's own configuration (``FSSPEC_S3_ENDPOINT_URL=...`` and the like) and the backend's
environment (``AWS_ENDPOINT_URL``, ``AWS_PROFILE``, ...).
"""

from __future__ import annotations

import json
import posixpath
import re
from collections.abc import Iterator, Mapping, Sequence
from pathlib import PurePosixPath
from types import SimpleNamespace
from typing import Any, BinaryIO

from coordlint.errors import ConfigError, InputError

__all__ = ["RemotePath", "is_url", "parse_storage_options", "resolve", "url_stat"]

# Two or more scheme characters, so a Windows drive (C:\) is never a URL; an fsspec chain is
# protocols joined by "::" ending in a URL (simplecache::s3://...). A local path that merely
# holds "::" (a run directory named "a::b") is a path.
_URL = re.compile(r"^(?:[A-Za-z][A-Za-z0-9+.\-]*::)*[A-Za-z][A-Za-z0-9+.\-]+://")
INSTALL_HINT = "pip install 'coordlint[remote]'"


def is_url(path: object) -> bool:
    """Whether ``path`` is a URL for fsspec rather than a local path."""
    return isinstance(path, RemotePath) or (isinstance(path, str) and _URL.search(path) is not None)


def _protocol(url: str) -> str:
    last = url.split("::")[-1] if "::" in url else url
    return last.split("://", 1)[0] if "://" in last else "file"


def filesystem_for(url: str, storage_options: Mapping[str, Any] | None = None) -> tuple[Any, str]:
    """``(fs, path)`` for ``url``; InputError when fsspec or the URL's backend is missing."""
    try:
        import fsspec.core
        from fsspec.registry import known_implementations
    except ImportError:
        raise InputError(
            f"{url} is a URL: reading remote logdirs needs fsspec: {INSTALL_HINT}"
        ) from None
    protocol = _protocol(url)
    try:
        return fsspec.core.url_to_fs(url, **dict(storage_options or {}))
    except ImportError as exc:
        known = known_implementations.get(protocol, {})
        why = known.get("err") or str(exc)
        raise InputError(
            f"cannot read {protocol}:// URLs, the backend is not installed: {why} "
            f"({INSTALL_HINT} covers s3://)"
        ) from None
    except ValueError as exc:
        if "Protocol not known" in str(exc):
            raise InputError(f"no fsspec filesystem for {protocol}:// URLs ({url})") from None
        raise InputError(f"bad URL {url}: {exc}") from None
    except TypeError as exc:  # an unknown storage option
        raise InputError(f"bad storage option for {protocol}:// : {exc}") from None


def parse_storage_options(values: Sequence[str]) -> dict[str, Any]:
    """``KEY=VALUE`` strings → storage options; a VALUE that is JSON (``true``, ``3``,
    ``{"endpoint_url": "..."}``) is decoded, anything else stays a string. Dotted keys nest:
    ``client_kwargs.endpoint_url=URL`` → ``{"client_kwargs": {"endpoint_url": URL}}``."""
    options: dict[str, Any] = {}
    for item in values:
        key, sep, raw = item.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"--storage-option expects KEY=VALUE, got {item!r}")
        try:
            value: Any = json.loads(raw)
        except ValueError:
            value = raw
        *parents, leaf = key.strip().split(".")
        target = options
        for part in parents:
            target = target.setdefault(part, {})
            if not isinstance(target, dict):
                raise ConfigError(f"--storage-option {key}: {part} is not a mapping")
        target[leaf] = value
    return options


class RemotePath:
    """A file or directory on an fsspec filesystem, addressed by its URL."""

    __slots__ = ("fs", "path", "url")

    def __init__(self, url: str, fs: Any, path: str) -> None:
        self.url = url.rstrip("/") if len(url.rstrip("/")) > len(url.split("://")[0]) + 3 else url
        self.fs = fs
        self.path = path.rstrip("/") or path

    @classmethod
    def from_url(cls, url: str, storage_options: Mapping[str, Any] | None = None) -> RemotePath:
        """The path at ``url``; its filesystem is remembered for every URL below it, so a
        loader handed ``str(path)`` of a file under it reads with the same storage options."""
        fs, path = filesystem_for(url, storage_options)
        return _remember(cls(url, fs, path))

    # -- pure path operations ---------------------------------------------------------------
    def __str__(self) -> str:
        return self.url

    def __repr__(self) -> str:
        return f"RemotePath({self.url!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, RemotePath) and (other.url, other.fs) == (self.url, self.fs)

    def __hash__(self) -> int:
        return hash(self.url)

    def __truediv__(self, name: str) -> RemotePath:
        name = str(name).strip("/")
        return RemotePath(f"{self.url}/{name}", self.fs, posixpath.join(self.path, name))

    def __reduce__(self) -> tuple[Any, ...]:
        return (_restore, (self.url, self.fs, self.path))

    @property
    def name(self) -> str:
        return posixpath.basename(self.path.rstrip("/"))

    @property
    def parent(self) -> RemotePath:
        # the URL's first component (a bucket, a host, memory://NAME) is its own parent
        if "/" not in self.url.split("://", 1)[-1].strip("/"):
            return self
        url = self.url.rsplit("/", 1)[0]
        path = posixpath.dirname(self.path.rstrip("/")) or self.fs.root_marker or "/"
        if url.endswith(":/"):  # file:///x → file:///
            url += "/"
        return RemotePath(url, self.fs, path)

    @property
    def parents(self) -> list[RemotePath]:
        out: list[RemotePath] = []
        current = self
        while True:
            parent = current.parent
            if parent.url == current.url:
                return out
            out.append(parent)
            current = parent

    def relative_to(self, other: RemotePath | str) -> PurePosixPath:
        base = other.url if isinstance(other, RemotePath) else str(other)
        if self.url == base:
            return PurePosixPath(".")
        prefix = base.rstrip("/") + "/"
        if not self.url.startswith(prefix):
            raise ValueError(f"{self.url} is not under {base}")
        return PurePosixPath(self.url[len(prefix) :])

    def resolve(self) -> RemotePath:
        return self

    # -- filesystem queries -------------------------------------------------------------------
    def _info(self) -> dict[str, Any] | None:
        try:
            return self.fs.info(self.path)
        except (FileNotFoundError, NotADirectoryError):
            return None
        except OSError as exc:
            raise InputError(f"cannot read {self.url}: {exc}") from exc

    def exists(self) -> bool:
        return self._info() is not None

    def is_file(self) -> bool:
        info = self._info()
        return info is not None and info.get("type") == "file"

    def is_dir(self) -> bool:
        info = self._info()
        return info is not None and info.get("type") == "directory"

    def is_symlink(self) -> bool:
        info = self._info()
        return bool(info and info.get("islink"))

    def stat(self) -> SimpleNamespace:
        """``st_size``, ``st_mtime`` and ``st_mtime_ns``, like ``os.stat`` (raises OSError)."""
        size, mtime_ns = _info_stat(self.fs.info(self.path))
        return SimpleNamespace(st_size=size, st_mtime=mtime_ns / 1e9, st_mtime_ns=mtime_ns)

    def open(self, mode: str = "rb") -> BinaryIO:
        return self.fs.open(self.path, mode)

    def read_bytes(self) -> bytes:
        return self.fs.cat_file(self.path)

    def read_text(self, encoding: str = "utf-8") -> str:
        return self.read_bytes().decode(encoding)

    def walk(self) -> Iterator[tuple[RemotePath, list[str], list[str]]]:
        """Like ``os.walk`` top-down: prune by editing the yielded dirnames in place; symlinked
        directories (on ``file://``) are listed as files' siblings but not entered."""
        try:
            entries = self.fs.ls(self.path, detail=True)
        except (FileNotFoundError, NotADirectoryError):
            return
        dirnames: list[str] = []
        filenames: list[str] = []
        own = self.path.rstrip("/")
        for entry in entries:
            name = posixpath.basename(str(entry["name"]).rstrip("/"))
            if not name or str(entry["name"]).rstrip("/") == own:
                continue  # some backends list the directory itself
            if entry.get("type") == "directory":
                if not entry.get("islink"):
                    dirnames.append(name)
            else:
                filenames.append(name)
        filenames.sort()
        dirnames.sort()
        yield self, dirnames, filenames
        for name in dirnames:
            yield from (self / name).walk()


# URL → filesystem of every root opened (or unpickled) in this process, for URL strings.
_KNOWN: dict[str, RemotePath] = {}


def _remember(path: RemotePath) -> RemotePath:
    _KNOWN[path.url] = path
    return path


def _restore(url: str, fs: Any, path: str) -> RemotePath:
    return _remember(RemotePath(url, fs, path))


def resolve(url: str) -> RemotePath:
    """The :class:`RemotePath` for a URL string, on the filesystem (and storage options) of the
    nearest root opened before it, else on a new filesystem with fsspec's default options."""
    best = ""
    for root in _KNOWN:
        if (url == root or url.startswith(root + "/")) and len(root) > len(best):
            best = root
    if not best:
        return RemotePath.from_url(url)
    rest = url[len(best) :].strip("/")
    return _KNOWN[best] / rest if rest else _KNOWN[best]


def url_stat(url: str) -> tuple[int, int]:
    """``(size, mtime_ns)`` of the file at ``url`` (mtime 0 when the backend has none);
    raises OSError (FileNotFoundError) like ``os.stat``."""
    target = resolve(url)
    return _info_stat(target.fs.info(target.path))


def _info_stat(info: Mapping[str, Any]) -> tuple[int, int]:
    mtime = info.get("mtime") or info.get("LastModified") or info.get("created") or 0
    if hasattr(mtime, "timestamp"):
        mtime = mtime.timestamp()
    return int(info.get("size") or 0), int(float(mtime) * 1e9)
