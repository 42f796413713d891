"""W&B run directories, written by wandb itself in offline mode and read by wandb's own reader;
without that reader, final values from files/wandb-summary.json and a summary-only problem."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from _layouts import wandb_files, wandb_offline_run

from coordlint.testing import load

CALLS = [
    (10, {"train/loss": 2.5, "train/learning_rate": 2e-05}),
    (20, {"train/loss": 2.25, "train/learning_rate": 1e-05}),
    (20, {"eval/loss": 2.0, "eval/coord_diag/soft_ce": 4.25, "eval/runtime": math.nan}),
    (30, {"train/loss": math.inf}),
]
CONFIG = {"learning_rate": 2e-05, "coord_soft_ce_w1": {"enabled": True, "ce_weight": 0.0}}


@pytest.fixture(scope="module")
def hf_run(tmp_path_factory) -> Path:
    """An HF-style run (WandbCallback: every row carries train/global_step)."""
    return wandb_offline_run(tmp_path_factory.mktemp("hf"), CALLS, CONFIG, run_id="hfrun1")


def test_points_follow_the_global_step_not_wandbs_call_counter(hf_run):
    run = load(hf_run)
    assert run.source == "wandb"
    assert hf_run.name.startswith("offline-run-") and hf_run.name.endswith("-hfrun1")
    assert run.tags == [
        "eval/coord_diag/soft_ce",
        "eval/loss",
        "eval/runtime",
        "train/learning_rate",
        "train/loss",
    ]
    assert run.series("train/loss").to_dict() == {10: 2.5, 20: 2.25, 30: math.inf}
    assert run.series("train/learning_rate").to_dict() == {10: 2e-05, 20: 1e-05}
    assert run.series("eval/loss").to_dict() == {20: 2.0}
    assert math.isnan(run.series("eval/runtime")[20])
    walls = run.wall_times("train/loss").to_numpy()
    assert np.isfinite(walls).all() and (np.diff(walls) >= 0).all()
    assert run.problems == ()
    assert [f.rsplit("/", 1)[-1] for f in run.files] == ["run-hfrun1.wandb"]


def test_config_from_the_record_log(hf_run):
    config = load(hf_run).config
    assert config["learning_rate"] == 2e-05
    assert config["coord_soft_ce_w1.enabled"] is True
    assert "_wandb" not in {key.split(".")[0] for key in config}


def test_explicit_steps_and_lightning_names(tmp_path):
    calls = [
        (3, {"train_loss": 1.0}),
        (7, {"val_loss": 0.5, "epoch": 0}),
        (9, {"train_loss": 0.75}),
    ]
    run = load(wandb_offline_run(tmp_path, calls, run_id="pl1", hf=False))
    assert run.series("train/loss").to_dict() == {3: 1.0, 9: 0.75}
    assert run.series("eval/loss").to_dict() == {7: 0.5}
    assert run.series("train/epoch").to_dict() == {7: 0.0}


def test_files_config_yaml_is_read_after_the_record_log(tmp_path):
    run_dir = wandb_offline_run(tmp_path, CALLS[:1], {"lr": 1.0}, run_id="cfg1")
    wandb_files(run_dir, {"lr": 9.0, "eval_steps": 40}, {"train/loss": 2.5})
    config = load(run_dir).config
    assert config["lr"] == 1.0  # the record log's own value comes first
    assert config["eval_steps"] == 40  # config.yaml's {desc, value} unwrapped
    assert "wandb_version" not in config


def test_damage_in_the_record_log_keeps_what_came_before(tmp_path):
    calls = [(s, {"train/loss": s / 1000.0}) for s in range(1, 601)]
    run_dir = wandb_offline_run(tmp_path, calls, run_id="dmg1")
    log = next(run_dir.glob("run-*.wandb"))
    data = bytearray(log.read_bytes())
    assert len(data) > 3 * 32768  # several blocks
    at = 40_000  # a byte inside the second 32 KiB block
    data[at] ^= 0xFF
    log.write_bytes(bytes(data))
    run = load(run_dir)
    series = run.series("train/loss")
    assert 0 < len(series) < 600
    assert series.to_dict() == {s: s / 1000.0 for s in series.index}  # what was read is exact
    assert series.index[0] == 1
    (problem,) = run.problems
    assert problem.kind == "corrupt" and problem.file == str(log)
    assert problem.message.startswith("damaged after record ")
    assert "checksum" in problem.message


def test_an_incomplete_record_log_is_truncated_not_lost(tmp_path):
    calls = [(s, {"train/loss": float(s)}) for s in range(1, 101)]
    run_dir = wandb_offline_run(tmp_path, calls, run_id="cut1")
    log = next(run_dir.glob("run-*.wandb"))
    log.write_bytes(log.read_bytes()[: log.stat().st_size // 2])
    run = load(run_dir)
    series = run.series("train/loss")
    assert 0 < len(series) < 100 and series.to_dict() == {s: float(s) for s in series.index}
    (problem,) = run.problems
    assert problem.kind == "truncated" and problem.message.startswith("incomplete after record")


def test_a_file_that_is_no_record_log(tmp_path):
    run_dir = tmp_path / "wandb" / "offline-run-20260101_000000-bad1"
    run_dir.mkdir(parents=True)
    (run_dir / "run-bad1.wandb").write_bytes(b"not a record log at all")
    run = load(run_dir)
    assert run.points == 0
    kinds = [p.kind for p in run.problems]
    assert kinds == ["corrupt", "summary-only"]
    assert "invalid W&B identifier" in run.problems[0].message


CHECK_WITHOUT_WANDB = """
import sys
sys.modules["wandb"] = None  # as if wandb were not installed
from coordlint.cli import main
sys.argv = ["coordlint", "check", *sys.argv[1:]]
main()
"""


def test_without_wandb_only_final_values_and_a_clear_finding(hf_run, tmp_path):
    run_dir = tmp_path / "copy" / hf_run.name
    import shutil

    shutil.copytree(hf_run, run_dir)
    summary = {
        "_step": 3,
        "_timestamp": 1_700_000_000.5,
        "train/global_step": 30,
        "train/loss": 2.25,
        "eval/loss": 2.0,
        "eval/table": {"_type": "table-file", "path": "x.json"},
        "best": {"eval": 1.5},
        "note": "text",
    }
    wandb_files(run_dir, {"lr": 1.0}, summary)
    args = [str(run_dir), "--isolated", "--exit-zero", "-f", "json"]
    done = subprocess.run(
        [sys.executable, "-c", CHECK_WITHOUT_WANDB, *args],
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    report = json.loads(done.stdout)
    (run,) = report["runs"]
    assert run["source"] == "wandb"
    assert run["tags"] == ["eval/loss", "train/best.eval", "train/loss"]
    assert run["points"] == 3
    (finding,) = [f for f in report["findings"] if f["code"] == "CL901"]
    assert finding["data"]["kind"] == "summary-only"
    assert finding["message"].startswith(
        "files/wandb-summary.json: curves unavailable: the wandb package is not installed"
    )
    assert "only each metric's final value was read" in finding["message"]


def test_summary_points_sit_at_the_last_global_step():
    from coordlint.loading.sources.wandb import summary_points

    points = summary_points({"_step": 3, "train/global_step": 30, "eval/loss": 2.0, "x": True})
    assert list(points) == ["eval/loss"]
    assert points["eval/loss"].steps.tolist() == [30]
    assert summary_points({"_step": 3, "loss": 1.0})["train/loss"].steps.tolist() == [3]
