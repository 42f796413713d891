"""CL101 coord-ce-mode: names the coord objective from the logs (and the config when known)."""

from __future__ import annotations

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
