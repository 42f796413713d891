"""MLflow's file store, written by MLflow's own client: exact points, config and damage."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from _layouts import mlflow_client_run

from coordlint.loading.sources.mlflow import param_value
from coordlint.testing import load

CALLS = [
    (10, {"loss": 2.5, "learning_rate": 2e-05, "epoch": 0.5}),
    (20, {"loss": 2.25, "learning_rate": 1e-05, "epoch": 1.0}),
    (20, {"eval_loss": 2.0, "eval_coord_diag/soft_ce": 4.25, "eval_runtime": float("nan")}),
    (30, {"loss": float("inf")}),
]
PARAMS = {
    "eval_steps": 20,
    "learning_rate": 2e-05,
    "bf16": True,
    "output_dir": "out/stage1",
    "coord_soft_ce_w1": {"enabled": True, "ce_weight": 0.0},
    "report_to": ["mlflow"],
    "resume_from_checkpoint": None,
}


@pytest.fixture
def run_dir(tmp_path: Path) -> Path:
    return mlflow_client_run(tmp_path / "mlruns", CALLS, PARAMS, run_name="bright-fox")


def test_points_tags_and_wall_times(run_dir):
    run = load(run_dir)
    assert run.source == "mlflow"
    assert run.tags == [
        "eval/coord_diag/soft_ce",
        "eval/loss",
        "eval/runtime",
        "train/epoch",
        "train/learning_rate",
        "train/loss",
    ]
    loss = run.series("train/loss")
    assert loss.index.tolist() == [10, 20, 30]
    assert loss.tolist() == [2.5, 2.25, math.inf]
    assert run.series("eval/coord_diag/soft_ce").to_dict() == {20: 4.25}
    assert math.isnan(run.series("eval/runtime")[20])
    assert run.non_finite("eval/runtime").count == 1
    # MLflow's timestamps are milliseconds: read as seconds
    assert run.wall_times("train/loss").tolist() == [
        1_700_000_010.0,
        1_700_000_020.0,
        1_700_000_030.0,
    ]
    assert run.problems == ()


def test_params_and_meta_fill_the_config(run_dir):
    config = load(run_dir).config
    assert config["eval_steps"] == 20 and config["learning_rate"] == 2e-05
    assert config["bf16"] is True and config["output_dir"] == "out/stage1"
    assert config["coord_soft_ce_w1.enabled"] is True
    assert config["coord_soft_ce_w1.ce_weight"] == 0.0
    assert config["report_to"] == ["mlflow"]
    assert config["resume_from_checkpoint"] is None
    assert config["mlflow.run_name"] == "bright-fox"
    assert config["mlflow.status"] == "FINISHED"
    assert config["mlflow.experiment_name"] == "coord"
    assert config["mlflow.run_id"] == run_dir.name


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("40", 40),
        ("2e-05", 2e-05),
        ("True", True),
        ("true", True),
        ("false", False),
        ("None", None),
        ("[1, 2]", [1, 2]),
        ("{'a': 1}", {"a": 1}),
        ("out/stage1", "out/stage1"),
        ("__import__('os')", "__import__('os')"),  # never evaluated
        ("", ""),
    ],
)
def test_param_values(text, value):
    assert param_value(text) == value


def test_a_damaged_metric_file_keeps_every_valid_line(run_dir):
    metric = run_dir / "metrics" / "loss"
    good = metric.read_bytes()
    metric.write_bytes(good + b"garbage\n1700000040000 x 40\n1700000050000 1.5 50\n1700000060000 2")
    run = load(run_dir)
    assert run.series("train/loss").to_dict() == {10: 2.5, 20: 2.25, 30: math.inf, 50: 1.5}
    found = [(p.kind, p.message, p.offset) for p in run.problems]
    n = len(good.splitlines())
    assert found == [
        ("bad-line", f"line {n + 1} has 1 fields, not 3 or 5; skipped", len(good)),
        (
            "truncated",
            f"line {n + 4} is incomplete (a job still writing?); skipped",
            len(good) + 48,
        ),
        (
            "bad-line",
            f"line {n + 2} has 'x' in column 'value', not a number; skipped",
            len(good) + 8,
        ),
    ]
    assert all(p.file == str(metric) for p in run.problems)


def test_dataset_fields_and_the_pre_1_0_format(tmp_path, run_dir):
    (run_dir / "metrics" / "loss").write_text(
        "1700000010000 2.5 10 train abc123\n1700000020000 2.0 20\n"
    )
    (run_dir / "metrics" / "old").write_text("1700000010000 0.5\n1700000020000 0.25\n")
    run = load(run_dir)
    assert run.series("train/loss").to_dict() == {10: 2.5, 20: 2.0}
    assert run.series("train/old").to_dict() == {0: 0.25}  # no step: one step, rewritten
    assert run.problems == ()


def test_a_deleted_run_is_not_a_run(tmp_path, run_dir):
    live = mlflow_client_run(tmp_path / "mlruns", CALLS[:1], run_name="kept")
    meta = run_dir / "meta.yaml"
    meta.write_text(meta.read_text().replace("lifecycle_stage: active", "lifecycle_stage: deleted"))
    from coordlint.execution.collect import Targets, load_path

    runs = load_path(tmp_path / "mlruns", targets=Targets(root=tmp_path))
    assert [r.path for r in runs] == [str(live)]
