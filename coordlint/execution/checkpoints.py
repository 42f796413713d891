"""A RUN argument that is a saved model: find the run it came from and the step it was saved at.

A checkpoint argument is a ``checkpoint-N/`` or ``checkpoint-N-merged/`` directory, or any
directory holding a model (``config.json``, ``adapter_config.json`` or ``*.safetensors``) and no
logs of its own (no event files anywhere below it, no ``logging.jsonl`` or
``trainer_state.json``). Its run is, in order:

1. ``--logs PATH``, or the ``logs`` of the first config ``checkpoints:`` entry whose ``path``
   glob matches it;
2. for ``checkpoint-N[-merged]``, the directory above it, when that holds the run's logs;
3. the ``output_dir``, then the ``logging_dir``, of its ``args.json``: as given, then with
   leading components dropped one at a time, each under the current directory and under the
   checkpoint's own parents (an absolute path of the training machine such as
   ``/data/u/CoordExp/output/stage1/x/v0-…`` is found as ``output/stage1/x/v0-…`` here).

Its step is ``--step N`` or the entry's ``step``, else the ``N`` of ``checkpoint-N`` or of a
trailing ``ckpt_N`` / ``ckN`` (``-merged`` may follow) in its name, else its
``trainer_state.json``'s ``global_step``. Both are kept on the :class:`Checkpoint` for CL905 to
cross-check. What cannot be found is an :class:`~coordlint.errors.InputError` naming what was
tried and ``--logs`` / ``--step``: never a guess that is not shown.
"""

from __future__ import annotations

import fnmatch
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path, PurePath
from typing import Any

from coordlint.errors import InputError
from coordlint.execution.discover import discover, is_event_file
from coordlint.execution.naming import CHECKPOINT_DIR, absolute
from coordlint.loading.spec import LOGGING_JSONL, TB_SUBDIR, TRAINER_STATE, RunSpec
from coordlint.rundata import Checkpoint

__all__ = ["CheckpointEntry", "Gate", "Gated", "gate_checkpoint", "is_checkpoint"]

ARGS = "args.json"
_MODEL_FILES = ("config.json", "adapter_config.json")
#: The step in a checkpoint's name: ``checkpoint-N``, ``…ckpt_N``, ``…ck-N``, ``…ckN``, each
#: optionally followed by ``-merged``.
_NAME_STEP = re.compile(r"(?:^|[-_.])(?:checkpoint-|ckpt[-_]?|ck[-_]?)(\d+)(-merged)?$")


@dataclass(frozen=True)
class CheckpointEntry:
    """A config ``checkpoints:`` entry: checkpoints matching ``path`` (a glob over absolute
    paths) have their logs at ``logs``, and (optionally) the step ``step``."""

    path: str
    logs: Path
    step: int | None = None

    def matches(self, checkpoint: Path) -> bool:
        return fnmatch.fnmatchcase(str(absolute(checkpoint)), self.path)


@dataclass(frozen=True)
class Gate:
    """How checkpoint arguments are gated: ``--logs``, ``--step`` and the config's entries."""

    logs: Path | None = None
    step: int | None = None
    entries: tuple[CheckpointEntry, ...] = ()

    def entry_for(self, path: Path) -> CheckpointEntry | None:
        return next((e for e in self.entries if e.matches(path)), None)


@dataclass(frozen=True)
class Gated:
    """A resolved checkpoint argument: its run's spec and the checkpoint it is gated as of."""

    spec: RunSpec
    checkpoint: Checkpoint


def _holds_model(directory: Path, names: list[str]) -> bool:
    return any(n in names for n in _MODEL_FILES) or any(n.endswith(".safetensors") for n in names)


def _holds_logs(directory: Path, names: list[str], *, trainer_state: bool = True) -> bool:
    if LOGGING_JSONL in names or (trainer_state and TRAINER_STATE in names):
        return True
    return any(is_event_file(n) for n in names) or (directory / TB_SUBDIR).is_dir()


def _events_below(directory: Path) -> bool:
    """Whether any event file is under ``directory`` (a logdir with a ``config.json`` at its
    top is still a logdir); stops at the first one."""
    for _, dirnames, filenames in os.walk(directory):
        if any(is_event_file(n) for n in filenames):
            return True
        dirnames[:] = [d for d in dirnames if not d.startswith(".")]
    return False


def is_checkpoint(path: Path, gate: Gate = Gate()) -> bool:
    """Whether the RUN argument ``path`` is a saved model to gate rather than a run."""
    if not path.is_dir():
        return False
    if CHECKPOINT_DIR.match(absolute(path).name):
        return True
    names = _names(path)
    explicit = gate.logs is not None or gate.entry_for(path) is not None
    if explicit:  # a checkpoint's trainer_state.json copy is not a log of its own
        return not _holds_logs(path, names, trainer_state=False)
    return _holds_model(path, names) and not _holds_logs(path, names) and not _events_below(path)


def _names(directory: Path) -> list[str]:
    try:
        return sorted(os.listdir(directory))
    except OSError:
        return []


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_bytes())
    except (OSError, ValueError, UnicodeDecodeError):
        return None


def gate_checkpoint(path: Path, gate: Gate, root: Path | None = None) -> Gated:
    """Resolve checkpoint argument ``path`` (see the module doc); raises InputError."""
    path = absolute(path)
    entry = gate.entry_for(path)
    name_match = _NAME_STEP.search(path.name)
    name_step = int(name_match.group(1)) if name_match else None
    merged = CHECKPOINT_DIR.match(path.name) is None or path.name.endswith("-merged")
    state = _read_json(path / TRAINER_STATE)
    state_step = state.get("global_step") if isinstance(state, dict) else None
    state_step = state_step if isinstance(state_step, int) else None
    args = _read_json(path / ARGS)
    args = args if isinstance(args, dict) else {}
    output_dir = args.get("output_dir") if isinstance(args.get("output_dir"), str) else None

    if gate.step is not None:
        step, source = gate.step, "--step"
    elif entry is not None and entry.step is not None:
        step, source = entry.step, "config"
    elif name_step is not None:
        step, source = name_step, "name"
    elif state_step is not None:
        step, source = state_step, "trainer_state"
    else:
        raise InputError(
            f"cannot tell the step of checkpoint {path}: its name has no checkpoint-N, ckpt_N "
            f"or ckN and it holds no {TRAINER_STATE} with a global_step; pass --step N"
        )
    logs = gate.logs or (entry.logs if entry is not None else None)
    spec = _spec_at(logs, root) if logs is not None else _find_run(path, args, root)
    checkpoint = Checkpoint(str(path), step, source, merged, name_step, state_step, output_dir)
    return Gated(spec, checkpoint)


def _spec_at(logs: Path, root: Path | None) -> RunSpec:
    """The one run at ``logs`` (``--logs`` or a config entry's): exactly one, or an error."""
    if not logs.exists():
        raise InputError(f"--logs {logs}: path does not exist")
    specs = discover(logs, root=root)
    own = [s for s in specs if absolute(s.path) == absolute(logs)]
    if len(specs) == 1 or len(own) == 1:
        return (own or specs)[0]
    names = ", ".join(s.name for s in specs[:5]) + (", ..." if len(specs) > 5 else "")
    raise InputError(f"--logs {logs} holds {len(specs)} runs ({names}): name the one to gate")


def _run_in(directory: Path, root: Path | None) -> RunSpec | None:
    """The run whose directory is ``directory`` itself, when it holds logs."""
    if not directory.is_dir() or not _holds_logs(directory, _names(directory)):
        return None
    try:
        specs = discover(directory, root=root)
    except InputError:
        return None
    own = [s for s in specs if absolute(s.path) == absolute(directory)]
    return own[0] if own else (specs[0] if len(specs) == 1 else None)


def _candidates(value: str, checkpoint: Path) -> list[Path]:
    """``value`` as given, then with leading components dropped one at a time, each under the
    current directory and the checkpoint's parents (most specific first)."""
    given = PurePath(value)
    parts = [p for p in given.parts if p != given.anchor]
    bases = [absolute(Path.cwd()), *checkpoint.parents]
    out = [Path(value)] if given.is_absolute() else []
    for drop in range(len(parts)):
        suffix = Path(*parts[drop:])
        out += [base / suffix for base in bases]
    return list(dict.fromkeys(absolute(p) for p in out))


def _find_run(checkpoint: Path, args: dict[str, Any], root: Path | None) -> RunSpec:
    tried: list[str] = []
    if CHECKPOINT_DIR.match(checkpoint.name):
        spec = _run_in(checkpoint.parent, root)
        if spec is not None:
            return spec
        tried.append(f"the directory above it ({checkpoint.parent}: no logs)")
    if not args:
        tried.append(f"its {ARGS} (none)")
    for key in ("output_dir", "logging_dir"):
        value = args.get(key)
        if not isinstance(value, str) or not value:
            continue
        for candidate in _candidates(value, checkpoint):
            if candidate == checkpoint or candidate.is_relative_to(checkpoint):
                continue
            spec = _run_in(candidate, root)
            if spec is not None:
                return spec
        tried.append(
            f"{ARGS} {key} {value!r} (as given and without leading components, under the "
            "current directory and the checkpoint's parents)"
        )
    raise InputError(
        f"cannot find the logs of checkpoint {checkpoint}: tried {'; '.join(tried)}; "
        "pass --logs PATH (and --step N if its name has no step)"
    )
