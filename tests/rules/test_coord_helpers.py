"""The coord domain helpers (rules/_coord.py): which tags hold a metric, config keys by path."""

from __future__ import annotations

import math

from coordlint.rules import _coord as m
from coordlint.testing import make_run


def test_metric_tags_prefer_the_softce_block_in_the_split_asked():
    assert m.metric_tags("w1") == ("eval/coord_softce_w1/w1", "eval/coord_diag/w1")
    assert m.metric_tags("w1", "train") == ("train/coord_softce_w1/w1", "train/coord_diag/w1")
    assert m.metric_tags(m.FLIP, "train") == (
        "train/coord_monitor/flip_coord_to_noncoord",
        "train/flip_coord_to_noncoord",
    )


def test_coord_series_drops_non_finite_points_and_says_when_absent():
    run = make_run({"eval/coord_diag/w1": {1: 0.5, 2: math.nan, 3: math.inf, 4: 0.25}})
    tag, series = m.coord_series(run, "w1")
    assert tag == "eval/coord_diag/w1" and series.to_dict() == {1: 0.5, 4: 0.25}
    tag, series = m.coord_series(run, "gate")
    assert tag is None and series.empty and series.dtype == "float64"
    assert m.coord_series(run, "w1", "train")[0] is None


def test_logs_coord_metrics_and_blocks():
    assert m.logs_coord_metrics(make_run({"eval/coord_diag/w1": {1: 1.0}}))
    assert m.logs_coord_metrics(make_run({"val/flip_coord_to_noncoord": {1: 0.0}}))
    assert not m.logs_coord_metrics(make_run({"eval/loss": {1: 1.0}}))
    train = make_run({"train/coord_softce_w1/gate": {1: 1.0}})
    assert m.logs_block(train, m.SOFTCE) and not m.logs_block(train, m.DIAG)
    assert not m.logs_block(train, m.SOFTCE, splits=("eval",))


def test_config_value_reads_each_path_in_order_and_only_values_of_the_keys_type():
    flat = make_run({}, config={"training.eval_steps": 50, "eval_steps": 100})
    assert m.config_value(flat, m.CFG_EVAL_STEPS) == 50
    swift = make_run({}, config={"eval_steps": 100})
    assert m.config_value(swift, m.CFG_EVAL_STEPS) == 100
    resolved = make_run({}, config={"custom": {"coord_soft_ce_w1": {"temperature": 2.0}}})
    assert m.config_value(resolved, m.CFG_TEMPERATURE) == 2.0
    wrong = make_run({}, config={"coord_soft_ce_w1.temperature": "hot"})
    assert m.config_value(wrong, m.CFG_TEMPERATURE) is None
    assert m.config_value(make_run({}), m.CFG_TEMPERATURE) is None


def test_config_key_types_list_every_path_with_its_keys_type():
    types = m.config_key_types()
    assert types["training.eval_steps"] is float and types["eval_steps"] is float
    assert types["custom.coord_soft_ce_w1.enabled"] is bool
    assert types["coord_soft_ce_w1.enabled"] is bool
    assert len(types) == sum(len(paths) for paths in m.CONFIG_PATHS.values())


def test_summary_columns_follow_the_note_with_their_direction():
    columns = m.summary_columns()
    assert columns[0] == (
        "eval_coord_ce",
        ("eval/coord_softce_w1/ce", "eval/coord_diag/ce"),
        "lower",
    )
    assert [c for c, _, _ in columns][-1] == "eval_flip_coord_to_noncoord"
    assert dict((c, b) for c, _, b in columns)["eval_acc_top5"] == "higher"
