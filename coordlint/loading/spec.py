"""What to read for one run: :class:`RunSpec`, made by discovery, read by :func:`load_run`."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from coordlint.loading.sources.base import Found
from coordlint.rundata import Checkpoint

__all__ = ["LOGGING_JSONL", "TB_SUBDIR", "TRAINER_STATE", "RunSpec"]

LOGGING_JSONL = "logging.jsonl"
TRAINER_STATE = "trainer_state.json"
#: Where ms-swift and HF write a run's event files inside its output directory.
TB_SUBDIR = "runs"


@dataclass(frozen=True)
class RunSpec:
    """One run found on disk: its name, its directory (a table's own file), the files to read,
    and the saved models found beside them."""

    name: str
    path: Path  # the run directory (the file's parent when the argument is a file)
    files: tuple[Path, ...]  # event files, in merge order
    jsonl: Path | None = None  # ms-swift logging.jsonl
    trainer_states: tuple[Path, ...] = ()  # trainer_state.json candidates (checkpoint copies)
    checkpoints: tuple[Checkpoint, ...] = ()  # checkpoint-N[-merged]/ directories, by step
    parts: tuple[Found, ...] = ()  # what other sources found (an MLflow run, a table ...)

    def renamed(self, name: str) -> RunSpec:
        return replace(self, name=name)
