"""How a run is named in reports: by where it is, never by how its path was typed.

A run's name is its path relative to the *project root* when the run is under it: the directory
of the config file in use, else the root of the git work tree holding the current directory,
else the current directory. A run elsewhere is named by its last meaningful components: its
directory's name, with parents prepended while the name says nothing alone (an ms-swift version
directory ``v0-20260226-101010`` is named with its experiment, ``<exp>/v0-20260226-101010``;
``train``, ``eval``, ``runs`` and HF's ``runs/<Mon DD_HH-MM-SS_host>`` with theirs). When two
runs of one check would share such a name, both take more parents until they differ. A name
is never empty: the project root itself is named by its own last components.

Baselines and ignore entries' ``runs:`` globs match these names, so ``check tb/`` and
``check tb/stage1`` name the runs under ``tb/stage1`` alike.
"""

from __future__ import annotations

import os
import re
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path, PurePosixPath
from typing import Any

__all__ = [
    "CHECKPOINT_DIR",
    "VERSION_DIR",
    "absolute",
    "is_version_dir",
    "project_root",
    "run_names",
    "short_name",
]

#: ms-swift's output directory of one invocation: ``v{N}-{%Y%m%d-%H%M%S}``.
VERSION_DIR = re.compile(r"^v(\d+)-(\d{8}-\d{6})$")
#: A trainer's checkpoint directory, or the merged model ``swift export`` writes beside it.
CHECKPOINT_DIR = re.compile(r"^checkpoint-(\d+)(-merged)?$")
#: HF's default logging directory under ``runs/``: ``Aug02_01-11-59_hostname``.
_HF_LOGGING_DIR = re.compile(r"^[A-Z][a-z]{2}\d{2}_\d{2}-\d{2}-\d{2}_")
_SAYS_NOTHING = frozenset(
    {
        "runs",
        "logs",
        "log",
        "tb",
        "tensorboard",
        "train",
        "training",
        "eval",
        "evaluation",
        "val",
        "valid",
        "validation",
        "test",
        "output",
        "outputs",
    }
)


def is_version_dir(name: str) -> bool:
    """Whether ``name`` is an ms-swift version directory (``v0-20260226-101010``)."""
    return VERSION_DIR.match(name) is not None


def absolute(path: Path) -> Path:
    """``path`` made absolute without resolving symlinks (a run reached through a link is
    named where the user sees it)."""
    return Path(os.path.abspath(path))


def project_root(config: Path | None = None, cwd: Path | None = None) -> Path:
    """The directory run names are relative to: the config file's directory, else the git
    work tree's root above ``cwd`` (default: the current directory), else ``cwd``."""
    if config is not None:
        return absolute(config).parent
    here = absolute(cwd or Path.cwd())
    for directory in (here, *here.parents):
        if (directory / ".git").exists():
            return directory
    return here


def _says_nothing(name: str) -> bool:
    return (
        is_version_dir(name)
        or CHECKPOINT_DIR.match(name) is not None
        or _HF_LOGGING_DIR.match(name) is not None
        or name.lower() in _SAYS_NOTHING
    )


def _parts(path: Any) -> tuple[str, ...]:
    """The components of a local path (made absolute, without its anchor) or of a remote
    one's path on its filesystem."""
    if isinstance(path, Path):
        full = absolute(path)
        return full.parts[1:] if full.anchor else full.parts
    return tuple(p for p in PurePosixPath(str(getattr(path, "path", path))).parts if p != "/")


def short_name(path: Any, extra: int = 0) -> str:
    """``path``'s last meaningful components (see the module doc), plus ``extra`` parents."""
    parts = _parts(path)
    if not parts:
        return str(path)
    start = len(parts) - 1
    while start > 0 and _says_nothing(parts[start]):
        start -= 1
    return "/".join(parts[max(0, start - extra) :])


def run_names(paths: Iterable[Any], root: Path) -> dict[Any, str]:
    """The name of each run directory in ``paths`` (keys are the paths as given; a remote
    path is named by its last meaningful components)."""
    root = absolute(root)
    names: dict[Any, str] = {}
    outside: list[Any] = []
    for path in dict.fromkeys(paths):
        full = absolute(path) if isinstance(path, Path) else None
        if full is not None and full != root and full.is_relative_to(root):
            names[path] = full.relative_to(root).as_posix()
        else:
            outside.append(path)
    extra = dict.fromkeys(outside, 0)
    while True:
        taken: defaultdict[str, list[Any]] = defaultdict(list)
        for path in outside:
            taken[short_name(path, extra[path])].append(path)
        clashes = [ps for name, ps in taken.items() if len(ps) > 1 or name in names.values()]
        grown = False
        for clash in clashes:
            for path in clash:
                if short_name(path, extra[path] + 1) != short_name(path, extra[path]):
                    extra[path] += 1
                    grown = True
        if not grown:
            break
    for path in outside:
        names[path] = short_name(path, extra[path])
    return names
