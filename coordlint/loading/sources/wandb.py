"""W&B runs on disk: ``wandb/offline-run-<time>-<id>/`` (or ``run-<time>-<id>/``).

A run directory holds ``run-<id>.wandb``, W&B's record log (leveldb-style CRC-checked chunks of
W&B's protobuf records: the run with its config, history rows, summaries), and, written by
older versions and online runs, ``files/config.yaml`` and ``files/wandb-summary.json``.

The record log is read by the ``wandb`` package's own reader (``pip install
'coordlint[wandb]'``): ``wandb leet inspect --json``, which runs W&B's ``wandb-core`` on the
local file, verifies every chunk's checksum, and prints each record as JSON; it is run with
``WANDB_MODE=offline`` and error reporting off, so nothing contacts a server. Damage it skips
(a checksum mismatch drops the rest of that 32 KiB block) or an incomplete last record is a
problem naming the last record read before it.

Without a usable reader (``wandb`` not installed, too old, or the log unreadable) only
``files/wandb-summary.json`` is read: each metric's final value, one point at the run's last
step, and a ``summary-only`` problem (``CL901``) says that the curves were not read and why.

A history row's step is HF's ``train/global_step`` (its ``WandbCallback`` logs every row with
it, while W&B's own ``_step`` counts log calls), else Lightning's ``trainer/global_step``, else
``_step``; ``_timestamp`` is its wall time. ``run.config`` is the run's config (record log
first, then ``config.yaml``), without W&B's own ``_wandb`` key. Names map to tags as
:mod:`~.tags` says.
"""

from __future__ import annotations

import importlib.util
import json
import math
import os
import re
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from coordlint.columns import Problem, ScalarColumns
from coordlint.loading import json_input, source
from coordlint.loading.sources.base import MAX_SMALL_BYTES, Found, Source, SourceRead
from coordlint.loading.sources.delimited import LineProblems, Parsed
from coordlint.loading.sources.frames import frame_writes
from coordlint.loading.sources.tags import rules_tag
from coordlint.loading.sources.yaml_config import read_yaml_config

__all__ = ["STEP_KEYS", "WandbRun", "history_parsed", "summary_points"]

CONFIG = "config.yaml"
SUMMARY = "wandb-summary.json"
#: Where a history row's step is, preferred first.
STEP_KEYS = ("train/global_step", "trainer/global_step", "_step")
_RUN_DIR = re.compile(r"^(offline-)?run-\d{8}_\d{6}-[0-9a-z]+$")
#: The reader's time limit: a minute, plus two seconds per MB of record log.
_BASE_TIMEOUT, _TIMEOUT_PER_MB = 60.0, 2.0
_SPECIAL = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}
_INSTALL = "pip install 'coordlint[wandb]'"
#: The exit status of a Go program given flags it does not know.
_USAGE_ERROR = 2


class WandbRun(Source):
    """W&B run directories (see the module doc)."""

    name = "wandb"

    def recognise(self, directory: Path, names: Sequence[str]) -> Found | None:
        logs = sorted(n for n in names if n.startswith("run-") and n.endswith(".wandb"))
        if not logs and not (
            _RUN_DIR.match(directory.name) and (directory / "files" / SUMMARY).is_file()
        ):
            return None
        return Found(self, directory, tuple(directory / n for n in logs))

    def claim(self, file: Path) -> Found | None:
        if file.suffix != ".wandb":
            return None
        return Found(self, file.parent, (file,))

    def read(self, found: Found) -> SourceRead:
        out = SourceRead()
        files = found.path / "files"
        history: dict[str, list[ScalarColumns]] = {}
        configs: list[Mapping[str, Any]] = []
        reasons = [] if found.files else ["the run directory holds no run-<id>.wandb record log"]
        for log in found.files:
            out.files.append(str(log))
            reason = _read_log(log, history, configs, out.problems)
            if reason is not None:
                reasons.append(reason)
        docs = [(c, str(found.files[0])) for c in configs[:1]]
        docs.append((_config_yaml(files / CONFIG, out.problems), str(files / CONFIG)))
        for doc, file in docs:
            if doc:
                out.config.append(doc)
                out.config_files.append(file)
        if reasons and not history:
            _summary_only(files / SUMMARY, reasons[0], out)
        else:
            out.writes = history
        return out


def _config_yaml(path: Path, problems: list[Problem]) -> dict[str, Any]:
    """``files/config.yaml``: each key's ``value`` (W&B wraps values as ``{value, desc}``)."""
    if not path.is_file():
        return {}
    doc = read_yaml_config(path, problems) or {}
    return _unwrapped(doc)


def _unwrapped(doc: Mapping[str, Any]) -> dict[str, Any]:
    out = {}
    for key, value in doc.items():
        if key in ("_wandb", "wandb_version"):
            continue
        out[str(key)] = value["value"] if isinstance(value, Mapping) and "value" in value else value
    return out


def _reader_commands(log: Path) -> list[list[str]]:
    """How to run the wandb package's reader on ``log``, quickest first: its ``wandb-core``
    binary with the arguments ``wandb leet inspect --json`` passes it offline (no Python
    start-up of wandb: a tenth of a second instead of one or more), then that command itself
    (should a newer wandb move the binary or change its arguments). Empty: wandb is not
    installed."""
    spec = importlib.util.find_spec("wandb")
    if spec is None:
        return []
    commands = []
    for location in spec.submodule_search_locations or ():
        core = Path(location) / "bin" / "wandb-core"
        if core.is_file() and os.access(core, os.X_OK):
            inspect = [str(core), "leet", "inspect", "--no-observability", "--json"]
            commands.append([*inspect, "--run-file", str(log), str(log.parent.parent)])
            break
    commands.append([sys.executable, "-m", "wandb", "leet", "inspect", "--json", str(log)])
    return commands


def _run_reader(log: Path, size_mb: float) -> subprocess.CompletedProcess[bytes] | str:
    """The reader's output on ``log``, or why it could not run."""
    commands = _reader_commands(log)
    if not commands:
        return f"the wandb package is not installed ({_INSTALL})"
    env = {
        **os.environ,
        "WANDB_MODE": "offline",
        "WANDB_ERROR_REPORTING": "false",
        "WANDB_SILENT": "true",
    }
    for command in commands:
        try:
            done = subprocess.run(
                command,
                capture_output=True,
                env=env,
                stdin=subprocess.DEVNULL,
                timeout=_BASE_TIMEOUT + _TIMEOUT_PER_MB * size_mb,
                check=False,
            )
        except subprocess.TimeoutExpired:
            return "wandb's reader did not finish in time"
        except OSError as exc:
            return f"wandb's reader could not start ({exc.strerror})"
        if done.returncode != _USAGE_ERROR:
            return done
    return f"this wandb's reader does not take 'leet inspect --json' ({_INSTALL})"


def _read_log(
    log: Path,
    writes: dict[str, list[ScalarColumns]],
    configs: list[Mapping[str, Any]],
    problems: list[Problem],
) -> str | None:
    """Read one record log into ``writes`` and ``configs``; the reason it could not be read
    (``None`` when it was)."""
    try:
        size_mb = log.stat().st_size / 1e6
    except OSError as exc:
        problems.append(Problem(str(log), "unreadable", f"cannot read: {exc.strerror}"))
        return f"cannot read {log.name}"
    if size_mb == 0:
        problems.append(Problem(str(log), "empty", "empty file: no records"))
        return f"{log.name} is empty"
    done = _run_reader(log, size_mb)
    if isinstance(done, str):
        return done
    stderr = done.stderr.decode("utf-8", errors="replace").strip().splitlines()
    lines = done.stdout.splitlines()
    if done.returncode != 0 and not lines:
        said = stderr[-1].removeprefix("Error: ") if stderr else f"exit {done.returncode}"
        if "No such command" in said:
            return f"this wandb has no 'wandb leet inspect' ({_INSTALL} for a newer one)"
        problems.append(Problem(str(log), "corrupt", f"not readable by wandb: {said}"))
        return f"wandb could not read {log.name}"
    records = _records(lines)
    _damage(log, stderr, records, problems)
    configs.extend(_configs(records))
    history = [r for r in records if r.get("type") == "history"]
    parsed = history_parsed(str(log), history)
    found = LineProblems(str(log), unit="record")
    for tag, cols in frame_writes(parsed, rules_tag, found, step_names=STEP_KEYS).items():
        writes.setdefault(tag, []).extend(cols)
    problems.extend(found.done())
    return None


def _records(lines: list[bytes]) -> list[dict[str, Any]]:
    """The JSON records the reader printed (one call to the JSON parser for all of them)."""
    wanted = [ln for ln in lines if ln.startswith(b"{")]
    try:
        parsed = json.loads(b"[" + b",".join(wanted) + b"]")
    except ValueError:
        parsed = []
        for line in wanted:
            try:
                parsed.append(json.loads(line))
            except ValueError:
                continue
    return [r for r in parsed if isinstance(r, dict)]


def _damage(
    log: Path, stderr: list[str], records: list[dict[str, Any]], problems: list[Problem]
) -> None:
    """The reader's words on skipped or incomplete data, as problems."""
    last = max((r.get("num", 0) for r in records), default=0)
    for line in stderr:
        said = line.removeprefix("wandb leet inspect: ").strip()
        if "corrupt" in said or "checksum" in said:
            message = f"damaged after record {last}: {said} (wandb skips the rest of that block)"
            problems.append(Problem(str(log), "corrupt", message))
        elif "incomplete" in said:
            message = f"incomplete after record {last} (a run still writing, or interrupted)"
            problems.append(Problem(str(log), "truncated", message))


def _configs(records: list[dict[str, Any]]) -> list[Mapping[str, Any]]:
    """The run's config: the run record's, updated by every later config record."""
    config: dict[str, Any] = {}
    for record in records:
        kind = record.get("type")
        body = record.get(kind) if isinstance(kind, str) else None
        if not isinstance(body, Mapping):
            continue
        update = (body.get("config") if kind == "run" else body) or {}
        if kind in ("run", "config") and isinstance(update.get("update"), Mapping):
            config.update(update["update"])
    config.pop("_wandb", None)
    return [config] if config else []


def history_parsed(file: str, history: list[dict[str, Any]]) -> Parsed:
    """History records → rows (``NaN``/``Infinity`` spelled as strings become floats)."""
    import pandas as pd

    items = [r["history"].get("item", {}) for r in history if isinstance(r.get("history"), dict)]
    numbers = np.asarray([r.get("num", -1) for r in history], dtype=np.int64)
    frame = pd.DataFrame.from_records(items) if items else pd.DataFrame()
    held: dict[str, np.ndarray] = {}
    for column in frame.columns:
        cells = frame[column]
        if not pd.api.types.is_numeric_dtype(cells.dtype):  # strings, or mixed
            special = cells.isin(list(_SPECIAL))
            if special.any():
                held[column] = cells.notna().to_numpy()
                floats = cells.astype(object).where(~special, cells.map(_SPECIAL.get))
                if floats.dropna().map(_is_number).all():
                    floats = floats.astype(np.float64)
                frame[column] = floats
    written = None
    if held:
        written = _Held(held, frame)
    return Parsed(file, frame, numbers, np.full(len(frame), -1, dtype=np.int64), [], written)


class _Held:
    """Which rows hold a value in a column (a special float spelled as a string counts)."""

    def __init__(self, held: dict[str, np.ndarray], frame: Any) -> None:
        self.held, self.frame = held, frame

    def __call__(self, column: str) -> np.ndarray:
        if column in self.held:
            return self.held[column]
        return self.frame[column].notna().to_numpy()


def summary_points(summary: Mapping[str, Any]) -> dict[str, ScalarColumns]:
    """Each numeric final value of ``wandb-summary.json``: one point at the run's last step."""
    flat: dict[str, Any] = {}
    _flatten(summary, "", flat)
    step = next((flat[k] for k in STEP_KEYS if _is_number(flat.get(k))), 0)
    stamp = flat.get("_timestamp", math.nan)
    wall = float(stamp) if _is_number(stamp) else math.nan
    out = {}
    for key, value in flat.items():
        if key in STEP_KEYS or key.startswith("_") or not _is_number(value):
            continue
        out[rules_tag(key)] = ScalarColumns(
            np.array([int(step)], dtype=np.int64),
            np.array([float(value)]),
            np.array([wall]),
        )
    return out


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _flatten(node: Mapping[str, Any], prefix: str, out: dict[str, Any]) -> None:
    for key, value in node.items():
        if isinstance(value, Mapping):
            if "_type" not in value:  # a media or histogram summary is no scalar
                _flatten(value, f"{prefix}{key}.", out)
        else:
            out[f"{prefix}{key}"] = value


def _summary_only(path: Path, why: str, out: SourceRead) -> None:
    """The final values of ``wandb-summary.json``, and the problem that says curves were not
    read."""
    name = str(path)
    if not path.is_file():
        message = f"curves unavailable: {why}; and no files/{SUMMARY} to read final values from"
        out.problems.append(Problem(name, "summary-only", message))
        return
    out.files.append(name)
    data = source.read_whole(path, MAX_SMALL_BYTES)
    summary = None
    if isinstance(data, Problem):
        out.problems.append(data)
    else:
        try:
            summary = json_input.parse(data)
        except json_input.JsonError as exc:
            out.problems.append(Problem(name, "corrupt", f"cannot read the summary ({exc})"))
    points = summary_points(summary) if isinstance(summary, Mapping) else {}
    out.writes = {tag: [cols] for tag, cols in points.items()}
    message = f"curves unavailable: {why}; only each metric's final value was read from {SUMMARY}"
    out.problems.append(Problem(name, "summary-only", message))
