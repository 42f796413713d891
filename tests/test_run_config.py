"""resolved_config.json / args.json → run.config."""

from __future__ import annotations

import json

from coordlint.loading.run_config import load_run_config
from coordlint.rules import _coord as m
from coordlint.testing import make_run


def coord(config, key):
    """What the coord rules read for ``key`` from a loaded config."""
    return m.config_value(make_run({}, config=config), key)


RESOLVED = {
    "schema_version": 1,
    "config_path": "configs/stage1.yaml",
    "resolved": {
        "custom": {
            "coord_soft_ce_w1": {
                "enabled": True,
                "ce_weight": 0.0,
                "soft_ce_weight": 1.0,
                "w1_weight": 0.5,
                "gate_weight": 0.1,
                "text_gate_weight": 0.0,
                "temperature": 1.0,
                "target_sigma": 2.0,
                "target_truncate": 8,
                "unrelated": "x",
            },
            "token_type_metrics": {"enabled": False},
            "bbox_format": "xyxy",
        },
        "training": {"eval_steps": 40, "save_steps": 200},
    },
}


def test_resolved_config_two_parents_up_and_args_fill_gaps(tmp_path):
    out = tmp_path / "output" / "stage1"
    run_dir = out / "v0-1" / "runs"
    run_dir.mkdir(parents=True)
    (out / "resolved_config.json").write_text(json.dumps(RESOLVED))
    (out / "v0-1" / "args.json").write_text(json.dumps({"logging_steps": 10, "save_steps": 999}))
    config = load_run_config(run_dir)
    assert config.problems == []
    values = config.values
    assert coord(values, m.CFG_CE_WEIGHT) == 0.0
    assert coord(values, m.CFG_TARGET_SIGMA) == 2.0
    assert coord(values, m.CFG_TOKEN_TYPE_METRICS) is False
    assert coord(values, m.CFG_BBOX_FORMAT) == "xyxy"
    assert coord(values, m.CFG_SAVE_STEPS) == 200  # the resolved config wins
    assert coord(values, m.CFG_LOGGING_STEPS) == 10  # args.json adds what it lacks
    # Every key of every file is there for a team's rule, dotted.
    assert values["custom.coord_soft_ce_w1.unrelated"] == "x"
    assert values["save_steps"] == 999 and values["logging_steps"] == 10
    assert values.get("training.save_steps") == 200
    assert "custom.coord_soft_ce_w1.enabled" in set(values)
    assert config.files == [str(out / "resolved_config.json"), str(out / "v0-1" / "args.json")]


def test_three_parents_up_is_too_far(tmp_path):
    run_dir = tmp_path / "a" / "b" / "c"
    run_dir.mkdir(parents=True)
    (tmp_path / "resolved_config.json").write_text(json.dumps(RESOLVED))
    assert dict(load_run_config(run_dir).values) == {}


def test_a_config_that_does_not_parse_is_a_problem(tmp_path):
    (tmp_path / "resolved_config.json").write_text("{not json")
    config = load_run_config(tmp_path)
    assert dict(config.values) == {}
    assert [p.kind for p in config.problems] == ["bad-config"]


def test_real_swift_args_json(shared):
    config = load_run_config(shared / "reallogs" / "ms-swift-3x").values
    assert (
        coord(config, m.CFG_EVAL_STEPS),
        coord(config, m.CFG_SAVE_STEPS),
        coord(config, m.CFG_LOGGING_STEPS),
    ) == (100, 100, 10)
    # A team rule reads any key of args.json, e.g. what TM002 needs.
    assert config["gradient_accumulation_steps"] == 16
    assert config["save_total_limit"] == 2


def test_every_config_key_rules_read_has_a_place_to_come_from():
    assert set(m.CONFIG_PATHS) == set(m.CONFIG_KEYS)
