"""Load a run's logs (TensorBoard event files, logging.jsonl, trainer_state.json) into a Run.

``discover`` turns a path into runs; :func:`load_run` reads a run's event files with
:mod:`coordlint.loading.tfrecord` (framing and CRCs) and :mod:`coordlint.loading.events`
(scalar decoding). Damaged files never raise: their damage becomes ``run.problems``.
"""

from __future__ import annotations

from pathlib import Path

from coordlint.discover import LOGGING_JSONL, TRAINER_STATE, RunSpec, discover
from coordlint.loading.events import FileScalars, decode_records
from coordlint.loading.hf_logs import newest_trainer_state, read_logging_jsonl, read_trainer_state
from coordlint.loading.run_config import load_run_config
from coordlint.loading.source import read_bytes
from coordlint.loading.tfrecord import scan_records
from coordlint.run import Problem, Run, ScalarColumns, normalise_tag

__all__ = ["load_file", "load_path", "load_run"]


def load_file(path: str | Path, *, fast: bool = True) -> FileScalars:
    """Every scalar point of one event file, per raw tag in record order, plus its damage."""
    file = str(path)
    try:
        buf = read_bytes(file)
    except (OSError, ValueError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
        return FileScalars(problems=[Problem(file, "unreadable", f"cannot read file: {reason}")])
    records = scan_records(buf, file)
    result = decode_records(buf, records.starts, records.lengths, file, fast=fast)
    result.problems[:0] = records.problems
    if result.header_only and not records.problems:
        msg = "only the file_version header record: the writer logged nothing"
        result.problems.append(Problem(file, "header-only", msg, 0, 0))
    return result


def load_run(spec: RunSpec) -> Run:
    """Read a run's logs; damage becomes ``run.problems``, never an exception.

    Event files are the source; ``logging.jsonl`` fills only tags they lack, and the longest
    ``trainer_state.json`` only tags both lack. ``run.source`` names what contributed points and
    ``run.files`` every file read, config files included.
    """
    writes: dict[str, list[ScalarColumns]] = {}
    problems: list[Problem] = []
    files: list[str] = []
    sources: list[str] = []
    for path in spec.files:
        loaded = load_file(path)
        problems.extend(loaded.problems)
        files.append(str(path))
        for tag, cols in loaded.columns.items():
            writes.setdefault(normalise_tag(tag), []).append(cols)
    if writes:
        sources.append("tfevents")
    logs = []
    if spec.jsonl is not None:
        logs.append((LOGGING_JSONL, spec.jsonl, read_logging_jsonl(spec.jsonl)))
    state = newest_trainer_state(spec.trainer_states)
    if state is not None:
        logs.append((TRAINER_STATE, state, read_trainer_state(state)))
    for source, path, log in logs:
        files.append(str(path))
        problems.extend(log.problems)
        missing = {t: cols for t, cols in log.writes.items() if t not in writes}
        writes.update(missing)
        if missing:
            sources.append(source)
    config = load_run_config(spec.path)
    problems.extend(config.problems)
    files.extend(config.files)
    return Run.from_writes(
        spec.name,
        str(spec.path),
        writes,
        source="+".join(sources) or "none",
        files=files,
        problems=problems,
        config=config.values,
    )


def load_path(path: str | Path) -> list[Run]:
    """Discover the runs under ``path`` and load each (raises InputError like :func:`discover`)."""
    return [load_run(spec) for spec in discover(path)]
