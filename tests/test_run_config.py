"""resolved_config.json / args.json → run.config."""

from __future__ import annotations

import json

from coordlint.loading.run_config import load_run_config

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
    assert config.values["coord_soft_ce_w1.ce_weight"] == 0.0
    assert config.values["coord_soft_ce_w1.target_sigma"] == 2.0
    assert config.values["token_type_metrics.enabled"] is False
    assert config.values["bbox_format"] == "xyxy"
    assert config.values["training.save_steps"] == 200  # the resolved config wins
    assert config.values["training.logging_steps"] == 10  # args.json adds what it lacks
    assert "coord_soft_ce_w1.unrelated" not in config.values
    assert config.files == [str(out / "resolved_config.json"), str(out / "v0-1" / "args.json")]


def test_three_parents_up_is_too_far(tmp_path):
    run_dir = tmp_path / "a" / "b" / "c"
    run_dir.mkdir(parents=True)
    (tmp_path / "resolved_config.json").write_text(json.dumps(RESOLVED))
    assert load_run_config(run_dir).values == {}


def test_a_config_that_does_not_parse_is_a_problem(tmp_path):
    (tmp_path / "resolved_config.json").write_text("{not json")
    config = load_run_config(tmp_path)
    assert config.values == {}
    assert [p.kind for p in config.problems] == ["bad-config"]


def test_real_swift_args_json(shared):
    config = load_run_config(shared / "reallogs" / "ms-swift-3x")
    assert config.values == {
        "training.eval_steps": 100,
        "training.save_steps": 100,
        "training.logging_steps": 10,
    }


def test_every_config_key_rules_read_is_filled_by_the_loader():
    from coordlint import metrics
    from coordlint.loading.run_config import RESOLVED_PATHS

    assert set(RESOLVED_PATHS) == set(metrics.CONFIG_KEYS)
