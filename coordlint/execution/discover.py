"""Turn a RUN argument into runs: TensorBoard's logdir rule, plus training output directories.

An event file is a file whose name contains ``tfevents``. Every directory that directly holds
event files is a run (all of them merged), found recursively below the argument, as TensorBoard
does; a run directory's subdirectories are searched too, so nothing below it is silently left
out. A training *output directory* — one holding ms-swift's ``logging.jsonl`` or HF's
``trainer_state.json`` (itself or in ``checkpoint-N/``) — is one run that also owns the event
files under its ``runs/`` folder, where ms-swift and HF write them. Like TensorBoard, hidden
directories are searched; symlinked directories are not followed (no cycles).

The other sources (:mod:`coordlint.loading.sources`: MLflow, Lightning, W&B, tables) are asked
about every local directory first, and about a named file that is none of the above; the config's
``sources:`` globs name the files read as tables (:mod:`~coordlint.execution.source_runs`).

A URL argument (``s3://bucket/logdir``, ``memory://...``: any fsspec URL, see
:mod:`coordlint.loading.remote`) is searched by the same rule over its filesystem; its runs'
paths are :class:`~coordlint.loading.remote.RemotePath` objects whose ``str()`` is the URL (named
by their last meaningful components, as local runs outside the project are).
"""

from __future__ import annotations

import math
import os
import re
import struct
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from coordlint.errors import InputError
from coordlint.execution.naming import CHECKPOINT_DIR, project_root, run_names
from coordlint.execution.source_runs import (
    claimed,
    glob_matcher,
    recognised,
    sources_or_builtin,
    tables,
)
from coordlint.loading import remote
from coordlint.loading.source import open_binary
from coordlint.loading.sources import Source
from coordlint.loading.spec import LOGGING_JSONL, TB_SUBDIR, TRAINER_STATE, RunSpec
from coordlint.rundata import Checkpoint

__all__ = ["RunSpec", "discover", "is_event_file", "kept_checkpoints", "merge_order"]

_TIMESTAMP = re.compile(r"tfevents\.(\d+(?:\.\d+)?)")


def is_event_file(name: str) -> bool:
    """TensorBoard's test for an event file: ``tfevents`` in the name."""
    return "tfevents" in name


def _name_timestamp(path: Path) -> float:
    match = _TIMESTAMP.search(path.name)
    return float(match.group(1)) if match else math.inf


def _first_wall_time(path: Path) -> float:
    """The first record's wall_time, read from the header; +inf when it cannot be read."""
    try:
        with open_binary(path) as fh:
            head = fh.read(4096)
    except OSError:
        return math.inf
    # The first record is the file_version event: 09 <f64 wall_time> ... right after the
    # 12-byte record header. Damaged files are judged by the loader, not here.
    if len(head) >= 21 and head[12] == 0x09:
        (wall,) = struct.unpack_from("<d", head, 13)
        return wall if not math.isnan(wall) else math.inf
    return math.inf


def merge_order(files: list[Path]) -> list[Path]:
    """Sort a run's event files: file-name timestamp, then first wall time, then name.

    A file's header is read only when its name's timestamp ties with another file's.
    """
    stamps = {p: _name_timestamp(p) for p in files}
    ties = Counter(stamps.values())

    def key(p: Path) -> tuple[float, float, str]:
        stamp = stamps[p]
        return stamp, _first_wall_time(p) if ties[stamp] > 1 else 0.0, p.name

    return sorted(files, key=key)


def _event_files(directory: Path, names: list[str]) -> list[Path]:
    return [
        directory / name for name in names if is_event_file(name) and (directory / name).is_file()
    ]


def _trainer_states(directory: Path, names: list[str]) -> tuple[Path, ...]:
    found = [directory / TRAINER_STATE] if TRAINER_STATE in names else []
    for name in names:
        if name.startswith("checkpoint-") and (directory / name / TRAINER_STATE).is_file():
            found.append(directory / name / TRAINER_STATE)
    return tuple(found)


def kept_checkpoints(directory: Any, names: list[str]) -> tuple[Checkpoint, ...]:
    """The ``checkpoint-N/`` and ``checkpoint-N-merged/`` directories among ``names`` (the
    entries of ``directory``), by step."""
    found = []
    for name in names:
        match = CHECKPOINT_DIR.match(name)
        if match and (directory / name).is_dir():
            step = int(match.group(1))
            merged = match.group(2) is not None
            found.append(Checkpoint(str(directory / name), step, "name", merged, name_step=step))
    return tuple(sorted(found, key=lambda c: (c.step, c.merged)))


def _beside(directory: Any, names: list[str]) -> tuple[Checkpoint, ...]:
    """A run of event files' kept checkpoints: in its directory and the one above it."""
    found = kept_checkpoints(directory, names)
    if isinstance(directory, Path) and directory.parent != directory:
        try:
            above = sorted(os.listdir(directory.parent))
        except OSError:
            above = []
        found += kept_checkpoints(directory.parent, above)
    return tuple(sorted(found, key=lambda c: (c.step, c.merged)))


def _output_run(directory: Path, names: list[str]) -> RunSpec | None:
    """The run of a training output directory, or None when ``directory`` is not one."""
    jsonl = directory / LOGGING_JSONL if LOGGING_JSONL in names else None
    states = _trainer_states(directory, names)
    if jsonl is None and not states:
        return None
    events = _event_files(directory, names)
    tb_dir = directory / TB_SUBDIR
    if tb_dir.is_dir() and not tb_dir.is_symlink():
        for subdir, dirnames, filenames in _walk(tb_dir):
            dirnames.sort()
            events += _event_files(subdir, filenames)
    checkpoints = kept_checkpoints(directory, names)
    return RunSpec("", directory, tuple(merge_order(events)), jsonl, states, checkpoints)


def _single_file(arg: Path, sources: Sequence[Source]) -> RunSpec:
    parent = arg.parent
    if arg.name == LOGGING_JSONL:
        return RunSpec("", parent, (), jsonl=arg)
    if arg.name == TRAINER_STATE:
        return RunSpec("", parent, (), trainer_states=(arg,))
    if not is_event_file(arg.name):
        other = claimed(arg, sources) if isinstance(arg, Path) else None
        if other is not None:
            return other
        raise InputError(
            f"{arg} is not a TensorBoard event file (no 'tfevents' in its name), an ms-swift "
            f"{LOGGING_JSONL} or an HF {TRAINER_STATE}, nor a file another source reads "
            f"({', '.join(s.name for s in sources)})"
        )
    return RunSpec("", parent, (arg,))


def _walk(top: Any, onerror: Any = None) -> Iterator[tuple[Any, list[str], list[str]]]:
    """``os.walk`` top-down (prune by editing dirnames), for a Path or a RemotePath."""
    if isinstance(top, Path):
        for dirpath, dirnames, filenames in os.walk(top, onerror=onerror):
            yield Path(dirpath), dirnames, filenames
    else:
        yield from top.walk()


def discover(
    argument: str | Path,
    storage_options: Mapping[str, Any] | None = None,
    root: Path | None = None,
    sources: Sequence[Source] | None = None,
    source_globs: Sequence[str] = (),
) -> list[RunSpec]:
    """The runs named by a RUN argument (a file, a directory, or an fsspec URL of either),
    sorted by name. ``storage_options`` go to the URL's filesystem (ignored for local paths);
    local runs are named relative to ``root`` (default: :func:`~.naming.project_root`).
    ``sources`` are the other sources to recognise (default: the built-ins) in local
    directories, and ``source_globs`` (absolute) the files to read as tables
    (:mod:`~coordlint.execution.source_runs`).

    Raises ``InputError`` when the path does not exist or holds no event files or logs, or when
    a URL's filesystem backend is not installed.
    """
    if remote.is_url(argument):
        arg: Any = remote.RemotePath.from_url(str(argument), storage_options)
    else:
        arg = Path(argument)
    if not arg.exists():
        raise InputError(f"path does not exist: {argument}")
    others = sources_or_builtin(sources)
    if arg.is_file():
        return _named([_single_file(arg, others)], root)
    if isinstance(arg, Path) and not os.access(arg, os.R_OK | os.X_OK):
        raise InputError(f"cannot read directory {argument}: permission denied")
    runs = []
    matches = glob_matcher(source_globs)
    for directory, dirnames, filenames in _walk(arg, onerror=_unreadable(argument)):
        dirnames.sort()
        other = recognised(directory, [*filenames, *dirnames], others)
        if other is not None:  # it reads the directory's event files first
            events = merge_order(_event_files(directory, filenames))
            runs.append(replace(other, files=tuple(events)))
            dirnames[:] = []  # a source's run directory owns everything below it
            continue
        output = _output_run(directory, [*filenames, *dirnames])
        if output is not None:
            runs.append(output)
            # its runs/ and checkpoint-N/ folders belong to it
            dirnames[:] = [
                d for d in dirnames if d != TB_SUBDIR and not d.startswith("checkpoint-")
            ]
            continue
        files = _event_files(directory, filenames)
        if files:
            kept = _beside(directory, [*filenames, *dirnames])
            runs.append(RunSpec("", directory, tuple(merge_order(files)), checkpoints=kept))
        runs += tables(directory, filenames, matches, others)
    if not runs:
        raise InputError(
            f"no TensorBoard event files, logging.jsonl or trainer_state.json under {argument}, "
            "nor a run of another source (MLflow, Lightning, W&B; tables: the config's sources:)"
        )
    return sorted(_named(runs, root), key=lambda r: r.name)


def _named(specs: list[RunSpec], root: Path | None) -> list[RunSpec]:
    """The runs named by where they are (:func:`~coordlint.execution.naming.run_names`)."""
    names = run_names([s.path for s in specs], root or project_root())
    return [s.renamed(names[s.path]) for s in specs]


def _unreadable(argument: str | Path):
    def fail(exc: OSError) -> None:
        if Path(exc.filename or "") == Path(argument):
            raise InputError(f"cannot read directory {argument}: {exc.strerror}") from exc

    return fail
