"""Load one run: its event files, ``logging.jsonl``, ``trainer_state.json`` and config files.

Each file is read on its own: whatever happens while reading one (damage is already a problem;
an exception here is a coordlint bug that file met) becomes a ``loader-error`` problem for that
file, and the run's other files are still read.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TypeVar

from coordlint.columns import Problem, ScalarColumns, normalise_tag
from coordlint.loading.cache import Cache
from coordlint.loading.events import FileScalars
from coordlint.loading.file_loader import load_file
from coordlint.loading.hf_logs import LogPoints, read_logging_jsonl, read_newest_trainer_state
from coordlint.loading.run_config import RESOLVED_CONFIG, ConfigFiles, load_run_config
from coordlint.loading.sources.base import Found, SourceRead
from coordlint.loading.spec import LOGGING_JSONL, TRAINER_STATE, RunSpec
from coordlint.runconfig import RunConfig
from coordlint.rundata import RunData

__all__ = ["load_run"]

T = TypeVar("T")


def load_run(
    spec: RunSpec, *, cache: Cache | None = None, decode_thread: bool | None = None
) -> RunData:
    """Read a run's logs; damage becomes ``run.problems``, never an exception.

    Event files are the source; ``logging.jsonl`` fills only tags they lack, the longest
    ``trainer_state.json`` only tags both lack, and each other source's part
    (:mod:`coordlint.loading.sources`) only tags all before it lack. ``source`` names what
    contributed points and ``files`` every file read, config files included; a part's config
    documents come after ``resolved_config.json`` and ``args.json``. A source that raises
    (a plugin's bug) costs only its part: the error is a problem. ``cache`` keeps event
    files' decoded columns between checks (see :mod:`coordlint.loading.cache`);
    ``decode_thread`` is passed to :func:`~coordlint.loading.file_loader.load_file`.
    """
    writes: dict[str, list[ScalarColumns]] = {}
    problems: list[Problem] = []
    files: list[str] = []
    sources: list[str] = []
    for path in spec.files:
        loaded = isolated(
            path,
            partial(load_file, path, cache=cache, decode_thread=decode_thread),
            lambda problem: FileScalars(problems=[problem]),
        )
        problems.extend(loaded.problems)
        files.append(str(path))
        for tag, cols in loaded.columns.items():
            writes.setdefault(normalise_tag(tag), []).append(cols)
    if writes:
        sources.append("tfevents")
    logs = []
    if spec.jsonl is not None:
        jsonl = spec.jsonl
        log = isolated(jsonl, lambda: read_logging_jsonl(jsonl), _failed_log)
        logs.append((LOGGING_JSONL, jsonl, log))
    if spec.trainer_states:
        state = isolated(
            spec.trainer_states[0],
            lambda: read_newest_trainer_state(spec.trainer_states),
            lambda problem: (spec.trainer_states[0], _failed_log(problem)),
        )
        if state is not None:
            logs.append((TRAINER_STATE, *state))
    for kind, path, log in logs:
        files.append(str(path))
        problems.extend(log.problems)
        missing = {t: cols for t, cols in log.writes.items() if t not in writes}
        writes.update(missing)
        if missing:
            sources.append(kind)
    config = isolated(
        spec.path / RESOLVED_CONFIG,
        lambda: load_run_config(spec.path),
        lambda problem: ConfigFiles(problems=[problem]),
    )
    problems.extend(config.problems)
    files.extend(config.files)
    layers = [config.values]
    for part in spec.parts:
        read = _read_part(part)
        files += [f for f in dict.fromkeys(read.files + read.config_files) if f not in files]
        problems += read.problems
        layers.append(RunConfig(read.config, read.config_files))
        missing = {t: cols for t, cols in read.writes.items() if t not in writes}
        writes.update(missing)
        if missing:
            sources.append(part.source.name)
    return RunData.from_writes(
        spec.name,
        str(spec.path),
        writes,
        source="+".join(sources) or "none",
        files=files,
        problems=problems,
        config=RunConfig.layered(layers),
        kept_checkpoints=spec.checkpoints,
    )


def isolated(file: object, read: Callable[[], T], failed: Callable[[Problem], T]) -> T:
    """``read()``, or, if it raises, ``failed(problem)`` with a ``loader-error`` problem for
    ``file``: an exception reading one file costs only that file."""
    try:
        return read()
    except Exception as exc:  # a coordlint bug met by this file: report it, read the others
        reason = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        if len(reason) > 200:
            reason = reason[:197] + "..."
        msg = f"coordlint failed reading this file ({reason}); its points are not used"
        return failed(Problem(str(file), "loader-error", msg))


def _failed_log(problem: Problem) -> LogPoints:
    return LogPoints(problems=[problem])


def _read_part(part: Found) -> SourceRead:
    try:
        return part.source.read(part)
    except Exception as exc:  # a plugin source's bug: its part is lost, the check goes on
        message = f"the {part.source.name} source failed: {type(exc).__name__}: {exc}"
        return SourceRead(problems=[Problem(str(part.path), "unreadable", message)])
