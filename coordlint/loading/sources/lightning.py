"""PyTorch Lightning's ``CSVLogger``: ``<save_dir>/<name>/version_N/`` with ``metrics.csv``
and ``hparams.yaml``.

``metrics.csv`` has one row per logging call: a ``step`` column (the global step), an ``epoch``
column, and one column per metric name, sorted, empty where that call did not log the metric
(lines end ``\\r\\n``, the :mod:`csv` module's default). ``hparams.yaml`` is the YAML dump of
``log_hyperparams``. A run directory is one holding ``metrics.csv`` that is named
``version_N`` or also holds ``hparams.yaml``; a ``metrics.csv`` named on the command line is
its directory's run. Names map to tags as :mod:`~.tags` says (``val_loss`` → ``eval/loss``,
``epoch`` → ``train/epoch``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from coordlint.loading.sources.base import Found, Source, SourceRead, read_data_file
from coordlint.loading.sources.delimited import LineProblems, parse_delimited
from coordlint.loading.sources.frames import frame_writes
from coordlint.loading.sources.tags import rules_tag
from coordlint.loading.sources.yaml_config import read_yaml_config

__all__ = ["HPARAMS", "METRICS", "LightningCSV"]

METRICS = "metrics.csv"
HPARAMS = "hparams.yaml"
_VERSION = re.compile(r"^version_\d+$")


class LightningCSV(Source):
    """Lightning's ``CSVLogger`` run directories (see the module doc)."""

    name = "lightning"

    def recognise(self, directory: Path, names: Sequence[str]) -> Found | None:
        if METRICS not in names or not (HPARAMS in names or _VERSION.match(directory.name)):
            return None
        return self._found(directory, names)

    def claim(self, file: Path) -> Found | None:
        if file.name != METRICS:
            return None
        hparams = file.parent / HPARAMS
        return self._found(file.parent, [METRICS, HPARAMS] if hparams.is_file() else [METRICS])

    def _found(self, directory: Path, names: Sequence[str]) -> Found:
        files = [directory / METRICS]
        if HPARAMS in names:
            files.append(directory / HPARAMS)
        return Found(self, directory, tuple(files))

    def read(self, found: Found) -> SourceRead:
        out = SourceRead()
        for path in found.files:
            if path.name == HPARAMS:
                doc = read_yaml_config(path, out.problems)
                if doc is not None:
                    out.config.append(doc)
                    out.config_files.append(str(path))
                continue
            out.files.append(str(path))
            _read_metrics(path, out)
        return out


def _read_metrics(path: Path, out: SourceRead) -> None:
    name = str(path)
    data = read_data_file(path, out, "metric rows")
    if data is None:
        return
    parsed = parse_delimited(data, name)
    problems = LineProblems(name)
    writes = frame_writes(parsed, rules_tag, problems, step_names=("step",))
    out.problems += parsed.problems + problems.done()
    for tag, cols in writes.items():
        out.writes.setdefault(tag, []).extend(cols)
