"""Resolving a tag's writes (latest wins; the same value twice is one point) and the run as of a
step (a gated checkpoint's view: cut once, lazily)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from coordlint.columns import ColumnFacts, ScalarColumns
from coordlint.runconfig import RunConfig
from coordlint.rundata import RunData


def columns(steps, values) -> ScalarColumns:
    steps = np.asarray(steps, dtype=np.int64)
    return ScalarColumns(steps, np.asarray(values, dtype=np.float64), np.zeros(len(steps)))


class Counting:
    """A deferred column's loader that counts how often it is read."""

    def __init__(self, cols: ScalarColumns) -> None:
        self.arrays = (cols.steps, cols.values, cols.wall_times)
        self.calls = 0

    def __call__(self):
        self.calls += 1
        return self.arrays


def deferred(steps, values) -> tuple[ScalarColumns, Counting]:
    plain = columns(steps, values)
    loader = Counting(plain)
    return ScalarColumns.deferred(ColumnFacts.of(plain.steps, plain.values), loader), loader


def test_a_step_written_again_with_the_same_value_is_one_point_not_a_rewrite():
    resolved, rewritten = columns([10, 20, 20, 30], [1.0, 2.0, 2.0, 3.0]).resolve()
    assert resolved.steps.tolist() == [10, 20, 30]
    assert rewritten.tolist() == []


def test_same_value_means_within_float32_rounding():
    logged = float(np.float32(0.1))  # what an event file holds for 0.1
    _, rewritten = columns([5, 5], [0.1, logged]).resolve()
    assert rewritten.tolist() == []
    next_float32 = float(np.nextafter(np.float32(0.1), np.float32(1)))
    _, rewritten = columns([5, 5], [0.1, next_float32 + (next_float32 - logged)]).resolve()
    assert rewritten.tolist() == [5]  # two float32 steps apart: another value


def test_each_write_that_changes_a_value_counts_and_the_latest_wins():
    cols = columns([10, 20, 30, 20, 20, 30, 20], [1, 2, 3, 2.5, 2.5, 3, 9])
    resolved, rewritten = cols.resolve()
    assert resolved.steps.tolist() == [10, 20, 30]
    assert resolved.values.tolist() == [1.0, 9.0, 3.0]
    assert rewritten.tolist() == [20, 20]  # 2 -> 2.5, 2.5 (same), 2.5 -> 9; 30 -> 30 is same


def test_nan_written_twice_is_one_point():
    _, rewritten = columns([1, 1, 2], [math.nan, math.nan, 1.0]).resolve()
    assert rewritten.tolist() == []


def test_an_increasing_deferred_column_resolves_unread():
    cols, loader = deferred([1, 2, 3], [1.0, 2.0, 3.0])
    resolved, rewritten = cols.resolve()
    assert resolved is cols and rewritten.tolist() == [] and loader.calls == 0


def test_as_of_keeps_a_column_that_ends_in_time_and_drops_one_that_starts_after():
    cols, loader = deferred([10, 20, 30], [1.0, 2.0, 3.0])
    assert cols.as_of(30) is cols
    assert cols.as_of(9) is None
    assert loader.calls == 0


@pytest.mark.parametrize("step, expected", [(10, [10]), (19, [10]), (20, [10, 20]), (29, [10, 20])])
def test_as_of_cuts_at_the_step_inclusive(step, expected):
    cut = columns([10, 20, 30], [1.0, 2.0, 3.0]).as_of(step)
    assert cut is not None
    assert cut.steps.tolist() == expected and len(cut) == len(expected)
    assert cut.facts.last_step == expected[-1]


def test_as_of_a_column_of_every_step_knows_its_length_without_reading():
    cols, loader = deferred(range(100), np.arange(100.0))
    cut = cols.as_of(49)
    assert len(cut) == 50 and cut.facts.last_step == 49 and loader.calls == 0
    assert cut.non_finite_facts() == (0, None) and loader.calls == 0
    assert cut.values.tolist() == list(np.arange(50.0)) and loader.calls == 1


def test_as_of_a_sparse_column_reads_it_once_when_counted():
    cols, loader = deferred(range(0, 100, 10), np.arange(10.0))
    cut = cols.as_of(45)
    assert loader.calls == 0
    assert len(cut) == 5 and loader.calls == 1
    assert cut.steps.tolist() == [0, 10, 20, 30, 40] and loader.calls == 1


def test_as_of_sees_a_nan_only_when_it_is_at_or_before_the_step():
    values = np.arange(100.0)
    values[60] = math.nan
    cols, loader = deferred(range(100), values)
    assert cols.as_of(59).non_finite_facts() == (0, None) and loader.calls == 0
    count, first = cols.as_of(60).non_finite_facts()
    assert count == 1 and first is not None and first[0] == 60


def test_run_as_of_cuts_columns_and_rewrites():
    writes = {
        "train/loss": [columns([10, 20, 30, 20, 40], [1, 2, 3, 2.2, 4])],
        "eval/late": [columns([50], [1.0])],
    }
    run = RunData.from_writes("r", "r", writes)
    assert run.rewritten == {"train/loss": 1}
    early = run.as_of(19)
    assert sorted(early.columns) == ["train/loss"] and early.rewritten == {}
    assert run.as_of(20).rewritten == {"train/loss": 1}
    assert run.as_of(40).points == 4 and run.points == 5


def test_joined_parts_resolve_across_parts_latest_wins():
    first = RunData.from_writes(
        "v0",
        "x/v0",
        {"train/loss": [columns([10, 20, 30], [3.0, 2.0, 1.5])]},
        files=["x/v0/a"],
        config=RunConfig({"lr": 1, "eval_steps": 40}, ["x/v0/args.json"]),
    )
    second = RunData.from_writes(
        "v1",
        "x/v1",
        {"train/loss": [columns([30, 40], [1.6, 1.2])], "eval/loss": [columns([40], [2.0])]},
        files=["x/v1/b"],
        source="logging.jsonl",
        config=RunConfig({"lr": 2}, ["x/v1/args.json"]),
    )
    run = RunData.joined("x", "x", [first, second])
    loss = run.columns["train/loss"]
    assert loss.steps.tolist() == [10, 20, 30, 40]
    assert loss.values.tolist() == [3.0, 2.0, 1.6, 1.2]
    assert run.rewritten == {"train/loss": 1}
    assert run.files == ["x/v0/a", "x/v1/b"]
    assert run.source == "tfevents+logging.jsonl"
    assert run.config["lr"] == 2 and run.config["eval_steps"] == 40  # the latest part first
