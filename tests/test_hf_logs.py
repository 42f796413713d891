"""ms-swift logging.jsonl and HF trainer_state.json: every documented quirk, and the real logs."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from coordlint.loading.hf_logs import (
    hf_tag,
    newest_trainer_state,
    read_logging_jsonl,
    read_trainer_state,
    row_step,
)


def jsonl(path: Path, rows: list, tail: str = "") -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows) + tail, encoding="utf-8")
    return path


def points(log, tag):
    (cols,) = log.writes[tag]
    return list(zip(cols.steps.tolist(), cols.values.tolist(), strict=True))


SWIFT3 = [
    {
        "loss": 2.0,
        "token_acc": 0.5,
        "global_step/max_steps": "10/30",
        "elapsed_time": "6s",
        "percentage": "33.3%",
        "memory(GiB)": 15.9,
    },
    {
        "eval_loss": 1.5,
        "eval_coord_diag/soft_ce": 4.2,
        "epoch": 0.5,
        "global_step/max_steps": "20/30",
    },
    {"loss": 1.0, "token_acc": 0.7, "global_step/max_steps": "30/30"},
    {"train_runtime": 100.0, "train_loss": 1.4, "global_step/max_steps": "30/30"},
    {
        "last_model_checkpoint": "/x/checkpoint-30",
        "best_metric": 1.5,
        "global_step": 30,
        "log_history": [{"loss": 2.0, "step": 10}],
    },
]


def test_hf_tag_mapping():
    assert hf_tag("eval_coord_diag/soft_ce") == "eval/coord_diag/soft_ce"
    assert hf_tag("loss") == "train/loss"
    assert hf_tag("test_acc") == "test/acc"
    assert hf_tag("evaluation") == "train/evaluation"


@pytest.mark.parametrize(
    ("row", "step"),
    [
        ({"global_step/max_steps": "12/40"}, 12),
        ({"global_step": 7}, 7),
        ({"step": 3}, 3),
        ({"global_step/max_steps": "12/40", "step": 99}, 12),
        ({"loss": 1.0}, None),
        ({"global_step": True}, None),
    ],
)
def test_row_step(row, step):
    assert row_step(row) == step


def test_swift3_rows_become_hf_tags_and_strings_are_left_out(tmp_path):
    log = read_logging_jsonl(jsonl(tmp_path / "logging.jsonl", SWIFT3))
    assert log.problems == []
    assert points(log, "train/loss") == [(10, 2.0), (30, 1.0)]
    assert points(log, "eval/coord_diag/soft_ce") == [(20, 4.2)]
    assert points(log, "train/epoch") == [(20, 0.5)]
    assert points(log, "train/train_loss") == [(30, 1.4)]
    assert "train/best_metric" not in log.writes  # the final non-metric row is skipped
    assert not any(t.endswith(("percentage", "elapsed_time", "max_steps")) for t in log.writes)
    assert log.rows == 4


def test_swift2_double_rows_are_one_write(tmp_path):
    rows = []
    for step, loss in ((5, 3.0), (10, 2.5)):
        rows += [{"loss": loss, "train_speed(iter/s)": s, "global_step": step} for s in (0.1, 0.2)]
    rows += [{"eval_loss": 2.0, "eval_runtime": r, "global_step": 10} for r in (29.7, 29.8)]
    log = read_logging_jsonl(jsonl(tmp_path / "logging.jsonl", rows))
    assert points(log, "train/loss") == [(5, 3.0), (10, 2.5)]
    assert points(log, "eval/runtime") == [(10, 29.8)]  # the later copy
    assert log.rows == 3


def test_partial_last_line_keeps_every_complete_row(tmp_path):
    path = jsonl(tmp_path / "logging.jsonl", SWIFT3[:3], tail='{"loss": 0.9, "global_st')
    log = read_logging_jsonl(path)
    assert points(log, "train/loss") == [(10, 2.0), (30, 1.0)]
    (problem,) = log.problems
    assert problem.kind == "truncated" and "line 4" in problem.message
    assert problem.offset == len(path.read_bytes()) - len('{"loss": 0.9, "global_st')


def test_a_line_that_is_not_json_is_reported_with_its_number(tmp_path):
    path = tmp_path / "logging.jsonl"
    lines = [json.dumps(SWIFT3[0]), "<<<garbage>>>", json.dumps(SWIFT3[2])]
    path.write_text("\n".join(lines) + "\n")
    log = read_logging_jsonl(path)
    assert points(log, "train/loss") == [(10, 2.0), (30, 1.0)]
    (problem,) = log.problems
    assert (problem.kind, problem.records_skipped) == ("bad-line", 1)
    assert "line 2 is not JSON" in problem.message


def test_resumed_run_appends_rewritten_steps(tmp_path):
    from coordlint.run import Run
    from coordlint.rundata import RunData

    rows = [
        {"loss": v, "global_step/max_steps": f"{s}/40"}
        for s, v in [(10, 3.0), (20, 2.0), (30, 1.5), (20, 2.1), (30, 1.6), (40, 1.2)]
    ]
    log = read_logging_jsonl(jsonl(tmp_path / "logging.jsonl", rows))
    run = Run(RunData.from_writes("r", str(tmp_path), log.writes))
    assert run.series("train/loss").to_dict() == {10: 3.0, 20: 2.1, 30: 1.6, 40: 1.2}
    assert run.rewritten == {"train/loss": 2}


def test_nan_values_are_kept_for_cl902(tmp_path):
    path = tmp_path / "logging.jsonl"
    path.write_text('{"loss": NaN, "global_step": 1}\n{"loss": 1.0, "global_step": 2}\n')
    log = read_logging_jsonl(path)
    (cols,) = log.writes["train/loss"]
    assert np.isnan(cols.values[0]) and cols.values[1] == 1.0


@pytest.mark.parametrize(("content", "kind"), [(b"", "empty"), (b"\n\n", "empty")])
def test_empty_jsonl(tmp_path, content, kind):
    path = tmp_path / "logging.jsonl"
    path.write_bytes(content)
    log = read_logging_jsonl(path)
    assert [p.kind for p in log.problems] == [kind] and log.writes == {}


def test_trainer_state_log_history(tmp_path):
    state = {
        "global_step": 20,
        "log_history": [
            {"loss": 2.0, "epoch": 0.1, "step": 10},
            {"eval_loss": 1.8, "eval_runtime": 3.0, "epoch": 0.2, "step": 20},
            {"train_runtime": 50.0, "step": 20},
        ],
    }
    path = tmp_path / "trainer_state.json"
    path.write_text(json.dumps(state))
    log = read_trainer_state(path)
    assert points(log, "train/loss") == [(10, 2.0)]
    assert points(log, "eval/loss") == [(20, 1.8)]
    assert points(log, "train/train_runtime") == [(20, 50.0)]


def test_broken_trainer_state_is_a_problem_not_a_crash(tmp_path):
    path = tmp_path / "trainer_state.json"
    path.write_text('{"log_history": [')
    log = read_trainer_state(path)
    assert [p.kind for p in log.problems] == ["corrupt"] and log.writes == {}


def test_newest_longest_trainer_state_is_chosen(tmp_path):
    for n, length in ((200, 2), (400, 4), (300, 3)):
        d = tmp_path / f"checkpoint-{n}"
        d.mkdir()
        history = [{"loss": 1.0, "step": i} for i in range(length)]
        (d / "trainer_state.json").write_text(json.dumps({"log_history": history}))
    chosen = newest_trainer_state(tmp_path.glob("checkpoint-*/trainer_state.json"))
    assert chosen == tmp_path / "checkpoint-400" / "trainer_state.json"


# -- the real public logs, read in place ------------------------------------------------------


def _reference_rows(path: Path) -> list[dict]:
    """An independent, naive reading: every JSON line that carries a metric, duplicates kept."""
    rows = []
    for line in path.read_text().splitlines():
        row = json.loads(line)
        if "log_history" not in row and "last_model_checkpoint" not in row:
            rows.append(row)
    return rows


def test_real_swift3_logging_jsonl(shared):
    path = shared / "reallogs" / "ms-swift-3x" / "logging.jsonl"
    log = read_logging_jsonl(path)
    assert log.problems == []
    ref = _reference_rows(path)
    assert len(ref) == 50  # 51 lines, the last is the log_history row
    assert len(log.writes["train/loss"][0]) == sum("loss" in r for r in ref) == 44
    eval_steps = log.writes["eval/loss"][0].steps.tolist()
    assert eval_steps == [100, 200, 300, 400, 438]
    last = next(r for r in reversed(ref) if "eval_loss" in r)
    assert log.writes["eval/loss"][0].values[-1] == last["eval_loss"]


def test_real_swift2_logging_jsonl_counts_each_double_row_once(shared):
    path = shared / "reallogs" / "ms-swift-2x" / "logging.jsonl"
    log = read_logging_jsonl(path)
    ref = _reference_rows(path)
    loss_steps = [r["global_step"] for r in ref if "loss" in r]
    counts = Counter(loss_steps)
    assert set(counts.values()) == {1, 2} and list(counts.values()).count(1) == 1  # doubled rows
    assert len(log.writes["train/loss"][0]) == len(set(loss_steps))
    assert log.writes["eval/acc"][0].steps.tolist() == [6000, 12000, 14776]
    assert log.problems == []


def test_real_hf_trainer_state(shared):
    path = shared / "reallogs" / "hf-trainer" / "trainer_state.json"
    log = read_trainer_state(path)
    history = json.loads(path.read_text())["log_history"]
    assert len(history) == 108
    evals = [h["step"] for h in history if "eval_loss" in h]
    assert len(evals) == 18 and log.writes["eval/loss"][0].steps.tolist() == evals
    assert len(log.writes["train/loss"][0]) == sum("loss" in h for h in history)


def test_eval_rows_repeating_train_bookkeeping_are_not_rewrites(tmp_path):
    from coordlint.run import Run
    from coordlint.rundata import RunData

    rows = [
        {"loss": 2.0, "epoch": 0.5, "memory(GiB)": 16.5, "train_speed(iter/s)": 0.198,
         "global_step/max_steps": "100/200", "elapsed_time": "8m"},
        # ms-swift 3.x copies the train side's keys into the eval row, train_speed recomputed
        {"eval_loss": 1.5, "epoch": 0.5, "memory(GiB)": 16.5, "train_speed(iter/s)": 0.153,
         "global_step/max_steps": "100/200", "elapsed_time": "10m"},
        {"loss": 1.0, "epoch": 1.0, "memory(GiB)": 16.6, "train_speed(iter/s)": 0.2,
         "global_step/max_steps": "200/200"},
        # an eval at a step with no train row keeps its epoch: nothing else logged it
        {"eval_loss": 1.2, "epoch": 1.0, "train_speed(iter/s)": 0.15,
         "global_step/max_steps": "150/200"},
    ]  # fmt: skip
    log = read_logging_jsonl(jsonl(tmp_path / "logging.jsonl", rows))
    run = Run(RunData.from_writes("r", str(tmp_path), log.writes))
    assert run.rewritten == {}
    assert run.series("train/train_speed(iter/s)").to_dict() == {100: 0.198, 150: 0.15, 200: 0.2}
    assert run.series("train/epoch").to_dict() == {100: 0.5, 150: 1.0, 200: 1.0}


def test_hf_eval_rows_repeat_epoch_with_the_same_value(tmp_path):
    from coordlint.run import Run
    from coordlint.rundata import RunData

    history = [
        {"epoch": 0.16, "loss": 0.12, "step": 50},
        {"epoch": 0.16, "eval_loss": 0.05, "step": 50},
        {"epoch": 0.32, "loss": 0.10, "step": 100},
        {"epoch": 0.32, "loss": 0.11, "step": 100},  # a train value written again, changed
    ]
    path = tmp_path / "trainer_state.json"
    path.write_text(json.dumps({"log_history": history}))
    run = Run(RunData.from_writes("r", str(tmp_path), read_trainer_state(path).writes))
    assert run.rewritten == {"train/loss": 1}  # the real rewrite still counts
    assert run.series("train/epoch").to_dict() == {50: 0.16, 100: 0.32}


def _cl903(*paths: Path) -> dict[str, dict]:
    from click.testing import CliRunner

    from coordlint.cli import cli

    args = ["check", "--isolated", "--no-cache", "--select", "CL903", "-f", "json"]
    result = CliRunner().invoke(cli, [*args, *map(str, paths)])
    assert result.exit_code == 0, result.output
    return {f["run"]: f for f in json.loads(result.stdout)["findings"]}


def test_no_cl903_on_the_real_logs_but_on_the_real_rewrites(shared):
    assert _cl903(shared / "reallogs") == {}
    llama_factory = shared / "realruns" / "ramrow__Finetune_research_RPI2025" / "results"
    assert _cl903(llama_factory / "llamafactory") == {}
    duplicates = _cl903(shared / "realruns" / "janosh__tensorboard-reducer" / "tests" / "runs")
    assert len(duplicates) == 3
    assert all(f["data"] == {"count": 20, "tags": 2} for f in duplicates.values())
