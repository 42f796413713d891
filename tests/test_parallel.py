"""``--jobs`` and ``--executor``: parallel loading gives exactly the serial result."""

from __future__ import annotations

import json
import math
import pickle
import sys
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

import coordlint
from coordlint.cli import cli
from coordlint.errors import ConfigError
from coordlint.execution import parallel
from coordlint.testing import write_events

SOFT_CE = "eval/coord_diag/soft_ce"


@pytest.fixture(scope="module")
def sweep(tmp_path_factory) -> Path:
    """A logdir of eight runs: clean, NaN, a soft-CE rebound, a damaged file, an output dir."""
    root = tmp_path_factory.mktemp("sweep")
    for i in range(5):
        rebound = {100 * (k + 1): v for k, v in enumerate([8, 6, 5, 4.2, 4.0, 4.5, 4.6, 4.7])}
        loss = {s: 2.0 / s + i for s in range(1, 200)}
        if i == 1:
            loss[150] = math.nan
        write_events(root / f"run{i}", {"train/loss": loss, SOFT_CE: rebound})
    (root / "run3" / "events.out.tfevents.9.broken").write_bytes(b"\x00" * 7)
    out = root / "swift-out"
    write_events(out / "runs" / "tb", {"train/loss": {1: 3.0, 2: 2.0}})
    (out / "logging.jsonl").write_text(
        "\n".join(json.dumps({"global_step/max_steps": f"{s}/9", "lr": 0.1 * s}) for s in (1, 2))
    )
    write_events(root / "deep" / "a" / "b", {"train/loss": {1: 1.0}})
    return root


@pytest.fixture(scope="module")
def dask_scheduler():
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(
        n_workers=1,
        threads_per_worker=2,
        processes=False,
        protocol="tcp",
        host="127.0.0.1",
        dashboard_address=None,
    ) as cluster:
        yield cluster.scheduler_address


def _check(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(
        cli, ["check", "--isolated", "--output-format", "json", "--exit-zero", *args]
    )
    return result.exit_code, result.stdout if result.exit_code == 0 else result.output


@pytest.fixture(scope="module")
def serial_json(sweep) -> str:
    code, out = _check(str(sweep))
    assert code == 0, out
    return out


def test_sweep_has_findings_worth_comparing(serial_json):
    doc = json.loads(serial_json)
    assert len(doc["runs"]) == 7
    assert {f["code"] for f in doc["findings"]} >= {"CL201", "CL901", "CL902"}


@pytest.mark.parametrize(
    "args",
    [
        ["--jobs", "2"],
        ["-j", "0"],
        ["--executor", "thread:2"],
        ["--executor", "process"],
        ["--executor", "concurrent.futures:ThreadPoolExecutor"],
    ],
    ids=["jobs2", "jobs0", "thread", "process", "callable"],
)
def test_parallel_report_is_identical_to_serial(sweep, serial_json, args):
    code, out = _check(str(sweep), *args)
    assert code == 0, out
    assert out == serial_json


def test_dask_scheduler_report_is_identical_to_serial(sweep, serial_json, dask_scheduler):
    assert dask_scheduler.startswith("tcp://127.0.0.1:")
    code, out = _check(str(sweep), "--executor", dask_scheduler.replace("tcp://", "dask://"))
    assert code == 0, out
    assert out == serial_json


def test_loaded_runs_are_identical_and_picklable(sweep):
    from coordlint.execution.collect import collect_runs

    serial = collect_runs([str(sweep)], executor=None)
    with parallel.open_executor("process:2") as pool:
        assert pool is not None
        parallel_runs = collect_runs([str(sweep)], executor=pool)
    assert [r.name for r in parallel_runs] == [r.name for r in serial]
    for a, b in zip(serial, parallel_runs, strict=True):
        assert (a.path, a.files, a.source, a.problems, a.config) == (
            b.path,
            b.files,
            b.source,
            b.problems,
            b.config,
        )
        assert sorted(a.columns) == sorted(b.columns) and a.rewritten == b.rewritten
        for tag in a.columns:
            for col in ("steps", "values", "wall_times"):
                x, y = getattr(a.columns[tag], col), getattr(b.columns[tag], col)
                assert x.dtype == y.dtype and np.array_equal(x, y, equal_nan=True)
    run = pickle.loads(pickle.dumps(coordlint.load(sweep / "run1")[0]))
    assert run.points == serial[1].points and np.isnan(run.series("train/loss")[150])


def test_open_executor_specs():
    with parallel.open_executor(None, 1) as ex:
        assert ex is None
    with parallel.open_executor("serial") as ex:
        assert ex is None
    with parallel.open_executor(None, 3) as ex:
        assert ex._max_workers == 3  # --jobs N alone is a process pool of N
    with parallel.open_executor("thread", 4) as ex:
        assert ex._max_workers == 4  # a spec without :N takes --jobs
    cores = parallel.usable_cores()
    with parallel.open_executor(f"process:{cores}") as ex:
        assert parallel.decode_thread_for(ex) is False  # the pool fills the cores: no 2nd thread
    if cores > 1:
        with parallel.open_executor("process:1") as ex:
            assert parallel.decode_thread_for(ex) is None  # the loader's default
    with parallel.open_executor("thread:2") as ex:
        assert parallel.decode_thread_for(ex) is None
    assert list(parallel.map_ordered(abs, [-3, 2, -1], None)) == [3, 2, 1]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--jobs", "-1"], "invalid value for '--jobs' / '-j'"),
        (["--jobs", "x"], "invalid value for '--jobs' / '-j'"),
        (["--executor", "warp-drive"], "unknown --executor 'warp-drive'"),
        (["--executor", "process:0"], "the worker count must be at least 1"),
        (["--executor", "json:dumps"], "json:dumps failed: TypeError"),
        (["--executor", "os:getcwd"], "did not return an Executor"),
        (["--executor", "no_such_mod_xyz:make"], "cannot import no_such_mod_xyz"),
    ],
)
def test_bad_jobs_and_executor_exit_2_with_one_line(sweep, args, message):
    result = CliRunner().invoke(cli, ["check", "--isolated", str(sweep / "run0"), *args])
    assert result.exit_code == 2, result.output
    assert message in result.stderr
    assert message in result.stderr.strip().splitlines()[-1]  # the error is one line


def test_missing_dask_exits_2_naming_the_extra(sweep, monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)  # import distributed → ImportError
    with pytest.raises(ConfigError, match=r"coordlint\[dask\]"):
        with parallel.open_executor("dask://127.0.0.1:1"):
            pass
    result = CliRunner().invoke(
        cli, ["check", "--isolated", str(sweep / "run0"), "--executor", "dask-local:1"]
    )
    assert result.exit_code == 2
    assert result.stderr.strip() == (
        "coordlint: error: Dask executors need dask.distributed: pip install 'coordlint[dask]'"
    )


def test_process_pool_ships_columns_through_shared_memory_and_leaves_nothing(tmp_path):
    from coordlint.execution import shipping
    from coordlint.execution.discover import discover
    from coordlint.loading import load_run
    from coordlint.run import Run

    write_events(tmp_path / "r1", {"a": {1: 1.0, 2: 2.0}, "b": {5: -1.5}})
    write_events(tmp_path / "r2", {"a": {1: 3.0}})
    specs = discover(tmp_path)
    before = set(shipping._SHM.glob("coordlint-*")) if shipping._SHM.is_dir() else set()
    with parallel.open_executor("process:2") as pool:
        shipped = list(parallel.map_ordered(load_run, specs, pool))
    serial = [load_run(s) for s in specs]
    for got, want in zip(map(Run, shipped), map(Run, serial), strict=True):
        assert got.tags == want.tags and got.points == want.points
        for tag in want.tags:
            assert got.series(tag).equals(want.series(tag))
            assert got.wall_times(tag).equals(want.wall_times(tag))
    after = set(shipping._SHM.glob("coordlint-*")) if shipping._SHM.is_dir() else set()
    assert after == before
