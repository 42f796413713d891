"""Where else runs live: one module per source besides TensorBoard event files, ms-swift's
``logging.jsonl`` and HF's ``trainer_state.json`` (which discovery and the run loader read
themselves).

- :mod:`.mlflow` — MLflow's file store (``mlruns/<experiment>/<run>/``);
- :mod:`.lightning` — Lightning's ``CSVLogger`` (``version_N/metrics.csv`` + ``hparams.yaml``);
- :mod:`.table` — plain CSV / JSON-lines tables, wide or long;
- :mod:`.wandb` — W&B run directories (``run-<id>.wandb``, ``files/``).

Each is a :class:`~.base.Source` registered through the ``coordlint_sources`` hook, exactly as
a team's plugin registers its own; this package is a built-in plugin. Shared parts:
:mod:`.tags` (names → the tags rules ask for), :mod:`.delimited` (column-wise text parsing with
damage kept apart), :mod:`.frames` (rows → each tag's points), :mod:`.yaml_config`.
"""

from __future__ import annotations

from collections.abc import Sequence

from coordlint.hookspecs import hookimpl
from coordlint.loading.sources.base import Found, Source, SourceRead
from coordlint.loading.sources.lightning import LightningCSV
from coordlint.loading.sources.mlflow import MLflowFileStore
from coordlint.loading.sources.table import CsvTable, JsonlTable
from coordlint.loading.sources.wandb import WandbRun

__all__ = ["BUILTIN_SOURCES", "Found", "Source", "SourceRead", "coordlint_sources"]

#: The built-in sources, in the order discovery asks them.
BUILTIN_SOURCES: tuple[Source, ...] = (
    MLflowFileStore(),
    LightningCSV(),
    WandbRun(),
    CsvTable(),
    JsonlTable(),
)


@hookimpl
def coordlint_sources() -> Sequence[Source]:
    return BUILTIN_SOURCES
