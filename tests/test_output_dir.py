"""Issue 4's acceptance: one run as event files or logging.jsonl gives the same points and
findings, and an ms-swift output directory is read whole (jsonl, runs/, checkpoints, config)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from coordlint.cli import cli
from coordlint.testing import check, load, write_events

# Values on a 1/1024 grid are exact in float32 (event files) and float64 (JSON) alike.
EVAL_STEPS = list(range(40, 801, 40))
SOFT_CE = [
    round((8.0 - 4 * min(1.0, s / 200) + max(0, s - 400) / 400) * 1024) / 1024 for s in EVAL_STEPS
]
EVALS = {
    "coord_diag/soft_ce": SOFT_CE,  # improves to 4.0 at step 200-400, then rises to 5.0
    "coord_diag/enabled": [0.0] * len(EVAL_STEPS),
    "coord_diag/coord_vocab_mass": [0.5 if s < 120 else 0.998046875 for s in EVAL_STEPS],
    "coord_diag/expected_bin_mae": [21.0] * len(EVAL_STEPS),
    "text_token_acc": [0.5] * len(EVAL_STEPS),
}
TRAIN_STEPS = list(range(10, 801, 10))
TRAIN = {"loss": [4.0 - s / 512 for s in TRAIN_STEPS], "train_speed(iter/s)": [0.25] * 80}


def scalars() -> dict[str, dict[int, float]]:
    out = {f"eval/{k}": dict(zip(EVAL_STEPS, v, strict=True)) for k, v in EVALS.items()}
    out |= {f"train/{k}": dict(zip(TRAIN_STEPS, v, strict=True)) for k, v in TRAIN.items()}
    return out


def rows(style: str) -> list[dict]:
    """The same run as ms-swift rows: 3.x ("global_step/max_steps": "N/M") or 2.x (global_step,
    every row written twice)."""
    out = []
    for step in sorted(set(EVAL_STEPS) | set(TRAIN_STEPS)):
        metric_rows = []
        if step in TRAIN_STEPS:
            i = TRAIN_STEPS.index(step)
            metric_rows.append({k: v[i] for k, v in TRAIN.items()})
        if step in EVAL_STEPS:
            i = EVAL_STEPS.index(step)
            metric_rows.append({f"eval_{k}": v[i] for k, v in EVALS.items()})
        for row in metric_rows:
            if style == "3x":
                row |= {"global_step/max_steps": f"{step}/800", "elapsed_time": "1m"}
                out.append(row)
            else:
                row |= {"global_step": step}
                first = row | ({"train_speed(iter/s)": 0.125} if "loss" in row else {})
                out += [first, row]  # the later copy wins, as in a rewrite
    out.append({"last_model_checkpoint": "/x/checkpoint-800", "log_history": []})
    return out


def write_jsonl(directory: Path, style: str) -> Path:
    directory.mkdir(parents=True)
    path = directory / "logging.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows(style)))
    return path


def comparable(findings):
    return sorted((f.code, f.tag, f.step, tuple(sorted(f.data.items()))) for f in findings)


@pytest.mark.parametrize("style", ["3x", "2x"])
def test_event_files_and_jsonl_give_the_same_points_and_findings(tmp_path, style):
    write_events(tmp_path / "tb", scalars())
    write_jsonl(tmp_path / "swift", style)
    tb, swift = load(tmp_path / "tb"), load(tmp_path / "swift")
    assert swift.source == "logging.jsonl" and tb.source == "tfevents"
    assert tb.tags == swift.tags
    for tag in tb.tags:
        assert tb.series(tag).equals(swift.series(tag)), tag
    assert swift.rewritten == {} and swift.points == tb.points
    tb_findings, swift_findings = check(tb), check(swift)
    assert "CL201" in {f.code for f in tb_findings}  # the shape is real enough to fire
    assert comparable(tb_findings) == comparable(swift_findings)


RESOLVED = {
    "schema_version": 1,
    "config_path": "configs/stage1.yaml",
    "resolved": {
        "custom": {
            "coord_soft_ce_w1": {"enabled": False, "ce_weight": 1.0, "target_sigma": 2.0},
            "token_type_metrics": {"enabled": False},
        },
        "training": {"eval_steps": 40, "save_steps": 200, "logging_steps": 10},
    },
}


@pytest.fixture
def swift_output(tmp_path) -> Path:
    """An ms-swift output directory: logging.jsonl, runs/ with event files, two checkpoints
    with trainer_state.json, and the resolved config."""
    out = tmp_path / "output" / "stage1" / "v0-20260226-101010"
    write_jsonl(out, "3x")
    write_events(out / "runs", {k: v for k, v in scalars().items() if k.startswith("eval/")})
    for step, history in ((200, 3), (400, 5)):
        ckpt = out / f"checkpoint-{step}"
        ckpt.mkdir()
        log_history = [{"grad_norm": 1.0 + i, "step": 10 * (i + 1)} for i in range(history)]
        (ckpt / "trainer_state.json").write_text(json.dumps({"log_history": log_history}))
    (out / "resolved_config.json").write_text(json.dumps(RESOLVED))
    return out


def test_output_dir_uses_every_source_and_says_which(swift_output):
    result = CliRunner().invoke(cli, ["check", "--isolated", str(swift_output), "-f", "json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    (run,) = doc["runs"]
    assert run["name"] == "stage1/v0-20260226-101010"  # a version dir is named with its experiment
    assert run["source"] == "tfevents+logging.jsonl+trainer_state.json"
    files = [Path(f).relative_to(swift_output).as_posix() for f in run["files"]]
    assert files[0].startswith("runs/events.out.tfevents.")
    assert files[1:] == [
        "logging.jsonl",
        "checkpoint-400/trainer_state.json",  # the longest, newest copy
        "resolved_config.json",
    ]
    # eval/* from the event files, train/loss from the jsonl, train/grad_norm from trainer_state
    assert {"eval/coord_diag/soft_ce", "train/loss", "train/grad_norm"} <= set(run["tags"])
    by_code = {f["code"]: f for f in doc["findings"]}
    assert by_code["CL101"]["data"]["mode"] == "pure_ce"
    assert by_code["CL101"]["data"]["source"] == "logs+config"
    assert by_code["CL201"]["data"]["best_step"] in (200, 240, 280, 320, 360, 400)


def test_output_dir_found_from_a_parent_logdir(swift_output):
    result = CliRunner().invoke(
        cli, ["check", "--isolated", str(swift_output.parents[1]), "-f", "json"]
    )
    doc = json.loads(result.stdout)
    # runs/ is not its own run, and the name does not depend on the argument
    assert [r["name"] for r in doc["runs"]] == ["stage1/v0-20260226-101010"]


def test_a_config_that_does_not_parse_is_cl901(swift_output):
    (swift_output / "resolved_config.json").write_text("{oops")
    result = CliRunner().invoke(cli, ["check", "--isolated", str(swift_output), "-f", "json"])
    doc = json.loads(result.stdout)
    cl901 = [f for f in doc["findings"] if f["code"] == "CL901"]
    assert [f["data"]["kind"] for f in cl901] == ["bad-config"]
    assert cl901[0]["severity"] == "warning"
    assert "train/loss" in doc["runs"][0]["tags"]  # the logs are still read in full


def test_jsonl_only_and_trainer_state_only_dirs_are_runs(tmp_path, shared):
    runner = CliRunner()
    for folder, source in (
        ("ms-swift-2x", "logging.jsonl"),
        ("hf-trainer", "trainer_state.json"),
        ("ms-swift-3x", "logging.jsonl"),
    ):
        result = runner.invoke(
            cli, ["check", "--isolated", str(shared / "reallogs" / folder), "-f", "json"]
        )
        assert result.exit_code == 0, result.output
        (run,) = json.loads(result.stdout)["runs"]
        assert run["source"].split("+")[0] == source
        assert run["points"] > 0


def test_realruns_hparam_parent_and_child_are_both_runs(shared):
    hparams = (
        shared / "realruns" / "TheCodeheadMT__TensorBoard-Tutorial" / "archive" / "hparam_tuning"
    )
    result = CliRunner().invoke(cli, ["check", "--isolated", str(hparams), "-f", "json"])
    runs = {r["name"]: r for r in json.loads(result.stdout)["runs"]}
    assert set(runs) == {"hparam_tuning", "Experiment 0_adam_200_0.2"}  # outside the project
    assert runs["Experiment 0_adam_200_0.2"]["points"] == 30001
    assert runs["hparam_tuning"]["points"] == 0
