"""Plain tables: CSV/TSV and JSON lines, wide and long; named on the command line or matched by
the config's ``sources:`` globs, never guessed from a walk."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from _layouts import csv_table, jsonl_long_table

from coordlint.execution.collect import Targets, load_path
from coordlint.testing import load

CALLS = [
    (10, {"train/loss": 2.5, "loss_scale": 1024.0}),
    (20, {"train/loss": 2.25}),
    (20, {"eval_loss": 2.0, "val/coord_diag/soft_ce": 4.25}),
]


def test_wide_csv(tmp_path):
    path = csv_table(tmp_path / "run_a.csv", CALLS)
    run = load(path)
    assert (run.name, run.path, run.source) == ("run_a.csv", str(path), "csv")
    assert run.tags == ["eval/coord_diag/soft_ce", "eval/loss", "train/loss", "train/loss_scale"]
    assert run.series("train/loss").to_dict() == {10: 2.5, 20: 2.25}
    assert run.series("eval/loss").to_dict() == {20: 2.0}
    assert run.series("train/loss_scale").to_dict() == {10: 1024.0}
    assert run.points == 5 and run.problems == ()


def test_tsv_with_wall_times_in_milliseconds(tmp_path):
    path = tmp_path / "run.tsv"
    path.write_text("Step\tTimestamp\teval/loss\n1\t1700000001000\t0.5\n2\t1700000002000\tnan\n")
    run = load(path)
    assert run.wall_times("eval/loss").tolist() == [1_700_000_001.0, 1_700_000_002.0]
    assert run.series("eval/loss")[1] == 0.5 and math.isnan(run.series("eval/loss")[2])


def test_long_jsonl(tmp_path):
    path = jsonl_long_table(tmp_path / "long.jsonl", CALLS)
    run = load(path)
    assert run.source == "jsonl"
    assert run.tags == ["eval/coord_diag/soft_ce", "eval/loss", "train/loss", "train/loss_scale"]
    assert run.series("train/loss").to_dict() == {10: 2.5, 20: 2.25}
    assert run.series("eval/coord_diag/soft_ce").to_dict() == {20: 4.25}


def test_long_csv_keeps_each_tags_write_order(tmp_path):
    path = tmp_path / "long.csv"
    path.write_text("step,name,value\n20,a,2\n10,b,1\n10,a,1\n20,a,3\n")
    run = load(path)
    assert run.series("train/a").to_dict() == {10: 1.0, 20: 3.0}  # the later write of 20 wins
    assert run.rewritten == {"train/a": 1}
    assert run.series("train/b").to_dict() == {10: 1.0}


def test_wide_jsonl_null_is_no_value_and_nan_is_one(tmp_path):
    path = tmp_path / "wide.jsonl"
    rows = [{"step": 1, "loss": 1.0}, {"step": 2, "loss": None}, {"step": 3, "loss": math.nan}]
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    series = load(path).series("train/loss")
    assert series.index.tolist() == [1, 3] and series[1] == 1.0 and math.isnan(series[3])


def test_damaged_jsonl_keeps_every_valid_line(tmp_path):
    path = tmp_path / "wide.jsonl"
    path.write_bytes(b'{"step": 1, "loss": 1.0}\nnot json\n[1, 2]\n{"step": 4, "loss": 4.0}\n{"st')
    run = load(path)
    assert run.series("train/loss").to_dict() == {1: 1.0, 4: 4.0}
    assert [(p.kind, p.message, p.offset) for p in run.problems] == [
        ("bad-line", "line 2 is not JSON; skipped", 25),
        ("truncated", "line 5 is incomplete (a job still writing?); skipped", 66),
        ("bad-line", "line 3 is not a JSON object; skipped", 34),
    ]


def test_a_table_without_a_step_column_is_a_problem(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("epoch,loss\n1,2\n")
    run = load(path)
    assert run.points == 0
    (problem,) = run.problems
    assert problem.kind == "corrupt" and problem.message.startswith("no step column (one of step")


def test_rows_without_a_whole_step_are_left_out(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("step,loss\n1,1\n,2\n2.5,3\n4,4\n")
    run = load(path)
    assert run.series("train/loss").to_dict() == {1: 1.0, 4: 4.0}
    assert [p.message for p in run.problems] == [
        "line 3 has no step; skipped",
        "line 4 has step 2.5; skipped",
    ]


def _write_tree(root: Path) -> dict[str, Path]:
    return {
        "a": csv_table(root / "exports" / "a.csv", CALLS),
        "b": jsonl_long_table(root / "exports" / "deep" / "b.jsonl", CALLS),
        "c": csv_table(root / "data" / "dataset.csv", CALLS),  # not a run: no glob names it
        "d": (root / "exports" / "README.md"),
    }


def test_tables_are_runs_only_where_the_config_globs_say(tmp_path):
    files = _write_tree(tmp_path)
    files["d"].write_text("notes")  # matched, but no source reads .md: left out
    (tmp_path / "logs").mkdir()
    from coordlint.testing import write_events

    write_events(tmp_path / "logs", {"train/loss": {1: 1.0}})
    globs = (f"{tmp_path}/exports/**",)
    runs = load_path(tmp_path, targets=Targets(root=tmp_path, source_globs=globs))
    assert sorted((r.name, r.source) for r in runs) == [
        ("exports/a.csv", "csv"),
        ("exports/deep/b.jsonl", "jsonl"),
        ("logs", "tfevents"),
    ]
    runs = load_path(tmp_path, targets=Targets(root=tmp_path))  # no globs: no tables
    assert [r.name for r in runs] == ["logs"]


@pytest.mark.parametrize(
    ("pattern", "matched"),
    [
        ("exports/*.csv", ["exports/a.csv"]),
        ("exports/**/*.jsonl", ["exports/deep/b.jsonl"]),
        ("**/*.csv", ["data/dataset.csv", "exports/a.csv"]),
        ("exports/?.csv", ["exports/a.csv"]),
        ("exports/[!a].csv", []),
        ("*.csv", []),  # * stays within one folder
    ],
)
def test_glob_patterns(tmp_path, pattern, matched):
    _write_tree(tmp_path)
    (tmp_path / "keep").mkdir()
    csv_table(tmp_path / "keep" / "x.csv", CALLS)
    globs = (f"{tmp_path}/{pattern}", f"{tmp_path}/keep/x.csv")
    runs = load_path(tmp_path, targets=Targets(root=tmp_path, source_globs=globs))
    assert sorted(r.name for r in runs) == sorted([*matched, "keep/x.csv"])
