"""The other sources' text readers against the obvious pandas one-liner (run by hand, not in CI).

Writes, in ``--dir`` (default: a temp dir):

* a Lightning ``CSVLogger`` run of ``--rows`` rows (``version_0/metrics.csv``: ``epoch``,
  ``lr-AdamW``, ``step``, ``train_loss``, ``val/loss``, ``val_acc``; a validation row every 100
  train rows, sparse cells empty, lines ending ``\\r\\n``, as Lightning writes them);
* an MLflow file-store run whose ``metrics/loss`` holds ``--rows`` lines ``<ms> <value>
  <step>`` (as MLflow's file store appends them);

and times, best of ``--repeat``, in this process after the imports:

* coordlint's reader (``Source.read``: parse, damage checks, one column of points per tag, the
  tags mapped) — what ``load_run`` spends on the source;
* the obvious pandas one-liner (``pd.read_csv(path)``; for MLflow with ``sep=" "`` and names),
  which gives a DataFrame and none of the rest;
* for scale, a plain Python loop over the lines (``split`` and ``float`` per value).

    python benchmarks/bench_sources.py                 # 1M rows each
    python benchmarks/bench_sources.py --rows 200000 --repeat 5
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from coordlint.loading.sources.lightning import LightningCSV
from coordlint.loading.sources.mlflow import MLflowFileStore


def write_lightning(directory: Path, rows: int) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    steps = np.arange(rows, dtype=np.int64)
    val = steps % 100 == 99
    loss = np.round(2.0 * np.exp(-steps / rows) + 0.01 * rng.standard_normal(rows), 6)
    lines = ["epoch,lr-AdamW,step,train_loss,val/loss,val_acc"]
    for s, is_val, value in zip(steps.tolist(), val.tolist(), loss.tolist(), strict=True):
        epoch = s // 10_000
        if is_val:
            lines.append(f"{epoch},,{s},,{value * 1.1},{0.5 + value / 10}")
        else:
            lines.append(f"{epoch},{2e-5 * (1 - s / rows)},{s},{value},,")
    (directory / "metrics.csv").write_text("\r\n".join(lines) + "\r\n")
    (directory / "hparams.yaml").write_text("lr: 2.0e-05\n")
    return directory


def write_mlflow(run: Path, rows: int) -> Path:
    (run / "metrics").mkdir(parents=True, exist_ok=True)
    (run / "params").mkdir(exist_ok=True)
    (run / "meta.yaml").write_text("run_id: bench\nrun_name: bench\nstatus: 3\n")
    rng = np.random.default_rng(1)
    values = 2.0 * np.exp(-np.arange(rows) / rows) + 0.01 * rng.standard_normal(rows)
    stamps = 1_700_000_000_000 + 250 * np.arange(rows)
    with open(run / "metrics" / "loss", "w") as handle:
        for t, v, s in zip(stamps.tolist(), values.tolist(), range(rows), strict=True):
            handle.write(f"{t} {v} {s}\n")
    return run


def best(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def python_loop(path: Path, sep: str | None) -> list[list[float]]:
    out = []
    with open(path) as handle:
        if sep:
            next(handle)
        for line in handle:
            out.append([float(x) if x.strip() else np.nan for x in line.split(sep)])
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dir", type=Path)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    root = args.dir or Path(tempfile.mkdtemp(prefix="bench_sources_"))
    lightning = write_lightning(root / "lightning_logs" / "version_0", args.rows)
    mlflow = write_mlflow(root / "mlruns" / "0" / "bench", args.rows)
    metrics_csv, metric_file = lightning / "metrics.csv", mlflow / "metrics" / "loss"

    pl_source, ml_source = LightningCSV(), MLflowFileStore()
    pl_found = pl_source.recognise(lightning, ["metrics.csv", "hparams.yaml"])
    ml_found = ml_source.recognise(mlflow, ["meta.yaml", "metrics", "params"])
    assert pl_found is not None and ml_found is not None
    pl_read = pl_source.read(pl_found)
    ml_read = ml_source.read(ml_found)
    assert not pl_read.problems and not ml_read.problems
    pl_points = sum(len(c) for cols in pl_read.writes.values() for c in cols)
    ml_points = sum(len(c) for cols in ml_read.writes.values() for c in cols)

    names = ["timestamp", "value", "step"]
    rows = [
        (
            f"Lightning metrics.csv, {args.rows:,} rows, {metrics_csv.stat().st_size / 1e6:.0f} MB",
            f"{pl_points:,} points in {len(pl_read.writes)} tags",
            best(lambda: pl_source.read(pl_found), args.repeat),
            best(lambda: pd.read_csv(metrics_csv), args.repeat),
            best(lambda: python_loop(metrics_csv, ","), 1),
        ),
        (
            f"MLflow metric file, {args.rows:,} lines, {metric_file.stat().st_size / 1e6:.0f} MB",
            f"{ml_points:,} points",
            best(lambda: ml_source.read(ml_found), args.repeat),
            best(lambda: pd.read_csv(metric_file, sep=" ", header=None, names=names), args.repeat),
            best(lambda: python_loop(metric_file, None), 1),
        ),
    ]
    print(f"best of {args.repeat} (the Python loop: 1), seconds, in {root}\n")
    print("| file | read | coordlint reader | `pd.read_csv` | Python loop |")
    print("|---|---|---:|---:|---:|")
    for name, points, ours, pandas_time, loop in rows:
        print(f"| {name} | {points} | {ours:.2f} | {pandas_time:.2f} | {loop:.2f} |")


if __name__ == "__main__":
    main()
