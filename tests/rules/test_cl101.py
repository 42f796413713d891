"""CL101 coord-ce-mode: names the coord objective from the logs (and the config when known)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from coordlint.rules import _coord as m
from coordlint.testing import check, make_run

STEPS = np.arange(40, 801, 40)


def series(values, steps=STEPS):
    return dict(zip(steps.tolist(), np.broadcast_to(values, steps.shape).tolist(), strict=True))


def softce_block(ce, rng=None, noise=0.0):
    rng = rng or np.random.default_rng(0)

    def jitter(level):
        return level * (1 + noise * rng.standard_normal(len(STEPS)))

    scalars = {
        "eval/coord_softce_w1/ce": series(ce),
        "eval/coord_softce_w1/soft_ce": series(jitter(3.5)),
        "eval/coord_softce_w1/w1": series(jitter(0.08)),
        "eval/coord_softce_w1/gate": series(jitter(0.003)),
        "eval/coord_diag/soft_ce": series(jitter(3.5)),
        "eval/coord_diag/enabled": series(1.0),
    }
    return scalars


def pure_ce_diag(enabled=True):
    scalars = {
        "eval/coord_diag/soft_ce": series(4.8),
        "eval/coord_diag/expected_bin_mae": series(21.0),
    }
    if enabled:
        scalars["eval/coord_diag/enabled"] = series(0.0)
    return scalars


def test_soft_only_is_a_warning(write_run):
    (finding,) = check(write_run(softce_block(0.0)), "CL101")
    assert finding.severity.name == "WARNING"
    assert finding.data["mode"] == "soft_only"
    assert "hard-CE" in finding.message


def test_mixed_is_info(write_run):
    (finding,) = check(write_run(softce_block(np.linspace(7.4, 3.4, len(STEPS)))), "CL101")
    assert finding.severity.name == "INFO"
    assert finding.data["mode"] == "mixed"


def test_ce_switched_on_later_is_mixed(write_run):
    ce = np.where(STEPS < 400, 0.0, 3.4)  # a ce_weight warm-up: 0 first, then on
    (finding,) = check(write_run(softce_block(ce)), "CL101")
    assert finding.data["mode"] == "mixed"


@pytest.mark.parametrize("enabled_tag", [True, False])
def test_pure_ce_is_info(write_run, enabled_tag):
    (finding,) = check(write_run(pure_ce_diag(enabled_tag)), "CL101")
    assert finding.severity.name == "INFO"
    assert finding.data["mode"] == "pure_ce"


def test_noisy_soft_only_and_mixed(write_run):
    rng = np.random.default_rng(3)
    noisy_ce = 3.4 * (1 + 0.02 * rng.standard_normal(len(STEPS)))
    (mixed,) = check(write_run(softce_block(noisy_ce, rng, 0.02), name="m"), "CL101")
    (soft,) = check(write_run(softce_block(0.0, rng, 0.02), name="s"), "CL101")
    assert (mixed.data["mode"], soft.data["mode"]) == ("mixed", "soft_only")


def test_train_only_block_is_used(write_run):
    run = write_run({"train/coord_softce_w1/ce": series(0.0), "train/loss": series(1.0)})
    (finding,) = check(run, "CL101")
    assert finding.data["mode"] == "soft_only"


def test_missing_tags_are_not_applicable(write_run, outcomes):
    run = write_run({"eval/loss": series(1.0), "train/loss": series(1.2)})
    assert outcomes(run, "CL101")["run"].status == "skipped"


# run.config is a flat dict of the keys in coordlint.metrics. The loader does not fill it from
# resolved_config.json yet, so these tests build the run in memory (same Run, same engine).
CONFIG_SOFT = {m.CFG_SOFTCE_ENABLED: True, m.CFG_CE_WEIGHT: 0.0}
CONFIG_MIXED = {m.CFG_SOFTCE_ENABLED: True, m.CFG_CE_WEIGHT: 1.0}
CONFIG_PURE = {m.CFG_SOFTCE_ENABLED: False}


def test_config_agreeing_with_logs():
    (finding,) = check(make_run(softce_block(3.4), config=CONFIG_MIXED), "CL101")
    assert finding.data["mode"] == "mixed"
    assert finding.data["config_mode"] == "mixed"
    assert finding.severity.name == "INFO"


def test_config_disagreeing_with_logs_is_reported():
    (finding,) = check(make_run(softce_block(3.4), config=CONFIG_PURE), "CL101")
    assert finding.severity.name == "WARNING"
    assert finding.data["mode"] == "mixed"
    assert finding.data["config_mode"] == "pure_ce"
    assert "config says pure_ce" in finding.message


def test_config_alone_names_the_mode():
    run = make_run({"eval/loss": series(1.0)}, config=CONFIG_SOFT)
    (finding,) = check(run, "CL101")
    assert finding.data["mode"] == "soft_only"
    assert finding.data["source"] == "config"
    assert finding.severity.name == "WARNING"


STEP = {100: 1.0, 200: 1.0}


@pytest.mark.parametrize(
    ("scalars", "message"),
    [
        (
            {"eval/coord_softce_w1/ce": {100: 3.5, 200: 3.4}},
            "coord objective is mixed: eval/coord_softce_w1/ce is 3.4 at step 200 (hard CE on "
            "coord tokens plus soft-CE/W1/gate shaping)",
        ),
        (
            {"train/coord_softce_w1/ce": {100: 0.0, 200: 0.0, 300: 0.0}},
            "coord objective is soft_only: train/coord_softce_w1/ce is 0 at all 3 train points "
            "(soft targets with no hard-CE anchor on coord tokens; in the stage-1 comparison "
            "this selected bins worse under autoregressive sampling: consider adding a hard-CE "
            "term (ce_weight > 0) and check a decode-based metric)",
        ),
        (
            {"eval/coord_softce_w1/w1": STEP},
            "coord objective is unknown: coord_softce_w1/* is logged without its ce term",
        ),
        (
            {"train/coord_softce_w1/gate": STEP},
            "coord objective is unknown: coord_softce_w1/* is logged without its ce term",
        ),
        (
            {"eval/coord_diag/enabled": {100: 1.0, 200: 0.0}, "eval/coord_diag/soft_ce": STEP},
            "coord objective is pure_ce: no coord_softce_w1/* block and eval/coord_diag/enabled "
            "is 0 (plain CE on coord tokens; soft-CE/W1/gate are diagnostics only)",
        ),
        (
            {"eval/coord_diag/enabled": {100: 0.0, 200: 1.0}},
            "coord objective is unknown: eval/coord_diag/enabled is 1 but no coord_softce_w1/* "
            "block is logged",
        ),
        (
            {"eval/coord_diag/soft_ce": STEP},
            "coord objective is pure_ce: no coord_softce_w1/* block, only coord_diag/* "
            "diagnostics (plain CE on coord tokens; soft-CE/W1/gate are diagnostics only)",
        ),
    ],
)
def test_each_mode_says_what_in_the_logs_shows_it(scalars, message):
    (finding,) = check(make_run(scalars), "CL101")
    assert finding.message == message
    assert finding.data["source"] == "logs" and "config_mode" not in finding.data


def test_the_eval_split_is_read_before_the_train_split():
    run = make_run({"eval/coord_softce_w1/ce": {100: 0.0}, "train/coord_softce_w1/ce": {100: 2.0}})
    (finding,) = check(run, "CL101")
    assert finding.data["mode"] == "soft_only" and "eval/coord_softce_w1/ce" in finding.message


def test_min_ce_is_the_largest_ce_that_still_counts_as_zero():
    run = make_run({"eval/coord_softce_w1/ce": {100: -0.01, 200: 0.01}})
    assert check(run, "CL101")[0].data["mode"] == "mixed"  # |ce| is compared
    same = check(run, "CL101", params={"CL101": {"min_ce": 0.01}})
    assert same[0].data["mode"] == "soft_only"


def test_nan_ce_points_are_not_evidence():
    run = make_run({"eval/coord_softce_w1/ce": {100: math.nan}, "eval/coord_diag/w1": STEP})
    (finding,) = check(run, "CL101")
    assert finding.data["mode"] not in ("mixed", "soft_only")  # an all-NaN ce term says nothing


@pytest.mark.parametrize(
    ("config", "mode", "severity"),
    [
        ({"coord_soft_ce_w1.enabled": False}, "pure_ce", "INFO"),
        ({"coord_soft_ce_w1.enabled": True, "coord_soft_ce_w1.ce_weight": 0.5}, "mixed", "INFO"),
        (
            {"coord_soft_ce_w1.enabled": True, "coord_soft_ce_w1.ce_weight": 0},
            "soft_only",
            "WARNING",
        ),
    ],
)
def test_the_config_alone_and_how_it_is_said(config, mode, severity):
    (finding,) = check(make_run({"eval/loss": STEP}, config=config), "CL101")
    assert finding.message.startswith(
        f"coord objective is {mode} (from the config; the logs carry no coord loss)"
    )
    assert finding.severity.name == severity
    assert finding.data == {"mode": mode, "config_mode": mode, "source": "config"}


def test_a_config_without_a_numeric_ce_weight_does_not_say():
    config = {"coord_soft_ce_w1.enabled": True}
    assert check(make_run({"eval/loss": STEP}, config=config), "CL101") == []


def test_unknown_logs_fall_back_to_the_config_without_a_disagreement():
    config = {"coord_soft_ce_w1.enabled": True, "coord_soft_ce_w1.ce_weight": 1.0}
    (finding,) = check(make_run({"eval/coord_softce_w1/w1": STEP}, config=config), "CL101")
    assert finding.data == {"mode": "mixed", "config_mode": "mixed", "source": "logs+config"}
    assert finding.severity.name == "INFO" and "but the config says" not in finding.message


def test_a_disagreement_names_both_and_warns():
    config = {"coord_soft_ce_w1.enabled": False}
    (finding,) = check(make_run({"eval/coord_softce_w1/ce": STEP}, config=config), "CL101")
    assert finding.message.endswith(
        "; but the config says pure_ce: check that the config and the logs belong to the same "
        "run and attempt"
    )
    assert finding.severity.name == "WARNING"


def test_neither_logs_nor_config_say_nothing():
    assert check(make_run({"eval/loss": STEP}), "CL101") == []
