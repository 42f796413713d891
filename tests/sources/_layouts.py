"""Each source's on-disk layout, written the way its library writes it.

Where the library is a test dependency the tests use it (MLflow's file-store client, ``wandb``
in offline mode: :func:`mlflow_client_run`, :func:`wandb_offline_run`). Lightning needs torch,
so :func:`lightning_run` writes ``CSVLogger``'s exact format with the :mod:`csv` module (a test
checks it byte for byte against files Lightning itself wrote, ``data/lightning_version_0``);
tables are plain CSV / JSON lines; W&B's ``files/`` (config.yaml, wandb-summary.json) as
older wandb versions and online runs write them.

A run's curves are *log calls*: ``[(step, {name: value}), ...]`` in logging order.
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

Calls = Sequence[tuple[int, Mapping[str, float]]]


def lightning_run(directory: Path, calls: Calls, hparams: Mapping[str, Any] | None) -> Path:
    """``CSVLogger``'s ``version_N/``: ``metrics.csv`` (columns sorted, ``\\r\\n`` lines, one row
    per call) and ``hparams.yaml`` (``yaml.dump``)."""
    directory.mkdir(parents=True, exist_ok=True)
    rows = [{**metrics, "step": step} for step, metrics in calls]
    keys = sorted({key for row in rows for key in row})
    with open(directory / "metrics.csv", "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=keys)
        writer.writeheader()
        writer.writerows(rows)
    if hparams is not None:
        (directory / "hparams.yaml").write_text(yaml.dump(dict(hparams)))
    return directory


def csv_table(path: Path, calls: Calls) -> Path:
    """A wide CSV table: ``step`` and one column per name, empty where a call did not log it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    lightning_rows = [{"step": step, **metrics} for step, metrics in calls]
    keys = ["step", *sorted({k for row in lightning_rows for k in row} - {"step"})]
    with open(path, "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=keys, lineterminator="\n")
        writer.writeheader()
        writer.writerows(lightning_rows)
    return path


def jsonl_long_table(path: Path, calls: Calls) -> Path:
    """A long JSON-lines table: one ``{"step", "tag", "value"}`` object per point."""
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [
        json.dumps({"step": step, "tag": name, "value": value})
        for step, metrics in calls
        for name, value in metrics.items()
    ]
    path.write_text("\n".join(lines) + "\n")
    return path


def mlflow_client_run(
    store: Path,
    calls: Calls,
    params: Mapping[str, Any] | None = None,
    *,
    experiment: str = "coord",
    run_name: str = "run",
    status: str = "FINISHED",
    start_ms: int = 1_700_000_000_000,
) -> Path:
    """A run written by MLflow's own file-store client (``MlflowClient``, ``log_batch``; the
    values HF's ``MLflowCallback`` would log); returns the run directory."""
    from mlflow.entities import Metric, Param
    from mlflow.tracking import MlflowClient

    os.environ["MLFLOW_ALLOW_FILE_STORE"] = "true"  # the file store is in maintenance mode
    client = MlflowClient(tracking_uri=store.absolute().as_uri())
    found = client.get_experiment_by_name(experiment)
    experiment_id = found.experiment_id if found else client.create_experiment(experiment)
    run = client.create_run(experiment_id, run_name=run_name, start_time=start_ms)
    run_id = run.info.run_id
    metrics = [
        Metric(name, value, start_ms + 1000 * step, step)
        for step, logged in calls
        for name, value in logged.items()
    ]
    for i in range(0, len(metrics), 1000):
        client.log_batch(run_id, metrics=metrics[i : i + 1000])
    items = [Param(k, str(v)) for k, v in (params or {}).items()]
    for i in range(0, len(items), 100):
        client.log_batch(run_id, params=items[i : i + 100])
    client.set_terminated(run_id, status=status)
    return store / experiment_id / run_id


_WANDB_SCRIPT = textwrap.dedent(
    """
    import json, os, sys
    os.environ.update(WANDB_MODE="offline", WANDB_SILENT="true", WANDB_ERROR_REPORTING="false")
    import wandb

    spec = json.loads(sys.stdin.read())
    run = wandb.init(project="coord", dir=spec["dir"], config=spec["config"], id=spec["id"])
    for step, metrics in spec["calls"]:
        metrics = {k: float(v) for k, v in metrics.items()}
        if spec["hf"]:  # HF's WandbCallback: every row carries train/global_step
            run.log({**metrics, "train/global_step": step})
        else:
            run.log(metrics, step=step)
    run.finish()
    print(run.dir)
    """
)


def wandb_offline_run(
    parent: Path,
    calls: Calls,
    config: Mapping[str, Any] | None = None,
    *,
    run_id: str = "abc123",
    hf: bool = True,
) -> Path:
    """An offline run written by ``wandb`` itself (in a child process: wandb's service and
    its global state stay out of the test process); returns the run directory."""
    parent.mkdir(parents=True, exist_ok=True)
    spec = {
        "dir": str(parent),
        "config": dict(config or {}),
        "id": run_id,
        "hf": hf,
        "calls": [[step, dict(metrics)] for step, metrics in calls],
    }
    done = subprocess.run(
        [sys.executable, "-c", _WANDB_SCRIPT],
        input=json.dumps(spec, allow_nan=True),
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    files_dir = Path(done.stdout.strip().splitlines()[-1])
    return files_dir.parent


def wandb_files(run_dir: Path, config: Mapping[str, Any], summary: Mapping[str, Any]) -> Path:
    """``files/config.yaml`` (each key ``{desc, value}``) and ``files/wandb-summary.json`` as
    wandb writes them for online runs (and wrote for offline ones before wandb-core)."""
    files = run_dir / "files"
    files.mkdir(parents=True, exist_ok=True)
    wrapped = {"wandb_version": 1, **{k: {"desc": None, "value": v} for k, v in config.items()}}
    (files / "config.yaml").write_text(yaml.safe_dump(wrapped))
    (files / "wandb-summary.json").write_text(json.dumps(dict(summary)))
    return run_dir
