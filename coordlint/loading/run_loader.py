"""Load one run: its event files, ``logging.jsonl``, ``trainer_state.json`` and config files."""

from __future__ import annotations

from coordlint.columns import Problem, ScalarColumns, normalise_tag
from coordlint.loading.cache import Cache
from coordlint.loading.file_loader import load_file
from coordlint.loading.hf_logs import read_logging_jsonl, read_newest_trainer_state
from coordlint.loading.run_config import load_run_config
from coordlint.loading.spec import LOGGING_JSONL, TRAINER_STATE, RunSpec
from coordlint.rundata import RunData

__all__ = ["load_run"]


def load_run(
    spec: RunSpec, *, cache: Cache | None = None, decode_thread: bool | None = None
) -> RunData:
    """Read a run's logs; damage becomes ``run.problems``, never an exception.

    Event files are the source; ``logging.jsonl`` fills only tags they lack, and the longest
    ``trainer_state.json`` only tags both lack. ``source`` names what contributed points and
    ``files`` every file read, config files included. ``cache`` keeps event files' decoded
    columns between checks (see :mod:`coordlint.loading.cache`); ``decode_thread`` is passed
    to :func:`~coordlint.loading.file_loader.load_file`.
    """
    writes: dict[str, list[ScalarColumns]] = {}
    problems: list[Problem] = []
    files: list[str] = []
    sources: list[str] = []
    for path in spec.files:
        loaded = load_file(path, cache=cache, decode_thread=decode_thread)
        problems.extend(loaded.problems)
        files.append(str(path))
        for tag, cols in loaded.columns.items():
            writes.setdefault(normalise_tag(tag), []).append(cols)
    if writes:
        sources.append("tfevents")
    logs = []
    if spec.jsonl is not None:
        logs.append((LOGGING_JSONL, spec.jsonl, read_logging_jsonl(spec.jsonl)))
    state = read_newest_trainer_state(spec.trainer_states)
    if state is not None:
        logs.append((TRAINER_STATE, *state))
    for kind, path, log in logs:
        files.append(str(path))
        problems.extend(log.problems)
        missing = {t: cols for t, cols in log.writes.items() if t not in writes}
        writes.update(missing)
        if missing:
            sources.append(kind)
    config = load_run_config(spec.path)
    problems.extend(config.problems)
    files.extend(config.files)
    return RunData.from_writes(
        spec.name,
        str(spec.path),
        writes,
        source="+".join(sources) or "none",
        files=files,
        problems=problems,
        config=config.values,
        kept_checkpoints=spec.checkpoints,
    )
