"""MLflow's file store: ``mlruns/<experiment_id>/<run_id>/`` with ``meta.yaml``, ``metrics/``,
``params/``.

Each ``metrics/<name>`` file holds one line per logged value, ``<timestamp ms> <value>
<step>``, followed by ``<dataset name> <dataset digest>`` when the value was logged with a
dataset (MLflow before 1.0 wrote no step: a file of two-field lines is read as step 0); a ``/``
in a metric name nests folders, so the name is the file's path below ``metrics/``.
``params/<name>`` holds one value as text (HF's ``MLflowCallback`` writes ``str(value)``:
``40``, ``2e-05``, ``True``, ``{'enabled': True}``), read back as the Python literal it spells
where it spells one.
``meta.yaml`` gives the run's name and status. A run directory is one holding ``meta.yaml``
and a ``metrics/`` folder; a deleted run (``lifecycle_stage: deleted``) is not a run.

``run.config`` holds every param, then ``mlflow.run_name``, ``mlflow.run_id``,
``mlflow.status`` (``FINISHED``, ``FAILED`` ...), ``mlflow.experiment_id`` and
``mlflow.experiment_name``. Metric names map to tags as HF's raw names do (:mod:`~.tags`,
``hf=True``: ``eval_loss`` → ``eval/loss``, ``loss`` → ``train/loss``).
"""

from __future__ import annotations

import ast
import math
import os
import re
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from coordlint.columns import Problem, ScalarColumns
from coordlint.loading import source
from coordlint.loading.sources.base import (
    MAX_SMALL_BYTES,
    Found,
    Source,
    SourceRead,
    read_data_file,
)
from coordlint.loading.sources.delimited import LineProblems, numeric, parse_delimited
from coordlint.loading.sources.tags import rules_tag
from coordlint.loading.sources.yaml_config import read_yaml_config

__all__ = ["META", "MLflowFileStore", "param_value"]

META = "meta.yaml"
_DELETED = re.compile(rb"^lifecycle_stage:\s*deleted\s*$", re.MULTILINE)
#: MLflow's ``RunStatus`` numbers.
STATUS = {1: "RUNNING", 2: "SCHEDULED", 3: "FINISHED", 4: "FAILED", 5: "KILLED"}
_FIELDS = ["timestamp", "value", "step"]


class MLflowFileStore(Source):
    """Runs of MLflow's file store (see the module doc)."""

    name = "mlflow"

    def recognise(self, directory: Path, names: Sequence[str]) -> Found | None:
        if META not in names or "metrics" not in names or not (directory / "metrics").is_dir():
            return None
        meta = source.read_whole(directory / META, MAX_SMALL_BYTES)
        if isinstance(meta, bytes) and _DELETED.search(meta):
            return None  # (a meta.yaml that cannot be read: read() reports it)
        return Found(self, directory, (directory / META,))

    def read(self, found: Found) -> SourceRead:
        out = SourceRead()
        run = found.path
        params = {key: param_value(text) for key, text in _texts(run / "params", out)}
        meta = _meta(run, out)
        for doc, file in ((params, run / "params"), ({"mlflow": meta} if meta else {}, run / META)):
            if doc:
                out.config.append(doc)
                out.config_files.append(str(file))
        for name, path in _files(run / "metrics"):
            out.files.append(str(path))
            _read_metric(path, rules_tag(name, hf=True), out)
        return out


def param_value(text: str) -> Any:
    """A param's text as the Python literal it spells (``40``, ``2e-05``, ``True``,
    ``[1, 2]``, ``{'a': 1}``), else the text itself."""
    stripped = text.strip()
    try:
        return ast.literal_eval(stripped)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        lowered = stripped.lower()
        if lowered in ("true", "false"):
            return lowered == "true"
        return text


def _meta(run: Path, out: SourceRead) -> dict[str, Any]:
    doc = read_yaml_config(run / META, out.problems) or {}
    meta: dict[str, Any] = {}
    for key in ("run_name", "run_id", "experiment_id", "start_time", "end_time"):
        if doc.get(key) is not None:
            meta[key] = doc[key]
    status = doc.get("status")
    if status is not None:
        meta["status"] = STATUS.get(status, status) if isinstance(status, int) else status
    experiment = run.parent / META
    if meta and experiment.is_file():
        name = (read_yaml_config(experiment, []) or {}).get("name")
        if isinstance(name, str):
            meta["experiment_name"] = name
    return meta


def _files(folder: Path) -> Iterator[tuple[str, Path]]:
    """Every file below ``folder`` with its path relative to it (``a/b``), sorted."""
    if not folder.is_dir():
        return
    found = []
    for directory, dirnames, filenames in os.walk(folder):
        dirnames.sort()
        for filename in filenames:
            path = Path(directory) / filename
            found.append((path.relative_to(folder).as_posix(), path))
    yield from sorted(found)


def _texts(folder: Path, out: SourceRead) -> Iterator[tuple[str, str]]:
    for name, path in _files(folder):
        data = source.read_whole(path, MAX_SMALL_BYTES)
        if isinstance(data, Problem):
            out.problems.append(data)
        else:
            yield name, data.decode("utf-8", errors="replace")


def _read_metric(path: Path, tag: str, out: SourceRead) -> None:
    name = str(path)
    data = read_data_file(path, out, "metric values")
    if data is None:
        return
    first = data[:4096].lstrip().split(b"\n", 1)[0].split()
    legacy = len(first) == 2  # MLflow before 1.0: "<timestamp> <value>"
    names = ["timestamp", "value"] if legacy else [*_FIELDS, "dataset_name", "dataset_digest"]
    parsed = parse_delimited(data, name, sep=" ", names=names, widths=() if legacy else (3,))
    problems = LineProblems(name)
    values = numeric(parsed, "value", problems)
    stamps = numeric(parsed, "timestamp", problems)
    steps = None if legacy else numeric(parsed, "step", problems)
    out.problems += parsed.problems
    n = len(parsed.frame)
    if values is None or n == 0:
        out.problems += problems.done()
        if not parsed.problems:
            out.problems.append(Problem(name, "corrupt", "no metric value could be read"))
        return
    keep = values[1].copy()
    step = np.zeros(n, dtype=np.int64)
    if steps is not None:
        whole = steps[1] & (np.floor(steps[0]) == steps[0])
        for i in np.flatnonzero(keep & ~whole):
            problems.add("bad-line", int(parsed.lines[i]), int(parsed.offsets[i]), "has no step")
        keep &= whole
        step = np.where(whole, steps[0], 0).astype(np.int64)
    walls = np.full(n, math.nan)
    if stamps is not None:
        walls = np.where(stamps[1], stamps[0] / 1000.0, math.nan)
    out.problems += problems.done()
    if keep.any():
        columns = ScalarColumns(step[keep], values[0][keep], walls[keep])
        out.writes.setdefault(tag, []).append(columns)
