"""CL502 coord-config-mismatch: soft-CE settings that differ between compared runs.

The loader does not fill ``run.config`` from resolved_config.json yet, so the configs are set on
runs loaded from real event files (``run.config = ...``), as the loader will.
"""

from __future__ import annotations

import numpy as np

from coordlint import metrics as m
from coordlint.testing import check

STEPS = np.arange(40, 801, 40)
BASE = {
    m.CFG_SOFTCE_ENABLED: True,
    m.CFG_CE_WEIGHT: 1.0,
    m.CFG_SOFT_CE_WEIGHT: 1.0,
    m.CFG_W1_WEIGHT: 0.5,
    m.CFG_GATE_WEIGHT: 0.1,
    m.CFG_TEMPERATURE: 1.0,
    m.CFG_TARGET_SIGMA: 2.0,
    m.CFG_TARGET_TRUNCATE: 8,
}


def series(values, steps=STEPS):
    return dict(zip(steps.tolist(), np.broadcast_to(values, steps.shape).tolist(), strict=True))


def soft_ce(seed=0, level=3.5):
    rng = np.random.default_rng(seed)
    return {"eval/coord_softce_w1/soft_ce": series(level * (1 + 0.01 * rng.standard_normal(20)))}


def with_config(run, **changes):
    run.config = {**BASE, **{getattr(m, k): v for k, v in changes.items()}}
    return run


def test_two_runs_differing_in_sigma_are_both_flagged(write_run):
    a = with_config(write_run(soft_ce(0), "a"))
    b = with_config(write_run(soft_ce(1, 2.9), "b"), CFG_TARGET_SIGMA=1.0)
    findings = check([a, b], "CL502")
    assert sorted(f.run for f in findings) == ["a", "b"]
    for f in findings:
        assert f.severity.name == "WARNING"
        assert f.data["keys"] == m.CFG_TARGET_SIGMA
        assert "target_sigma" in f.message


def test_the_odd_run_out_is_flagged(write_run):
    runs = [with_config(write_run(soft_ce(s), n)) for s, n in enumerate("ab")]
    runs.append(with_config(write_run(soft_ce(2), "c"), CFG_TEMPERATURE=2.0, CFG_W1_WEIGHT=1.0))
    (finding,) = check(runs, "CL502")
    assert finding.run == "c"
    assert set(finding.data["keys"].split(", ")) == {m.CFG_TEMPERATURE, m.CFG_W1_WEIGHT}


def test_equal_configs_noisy_curves_are_clean(write_run):
    runs = [with_config(write_run(soft_ce(s, 3.5 + s), f"r{s}")) for s in range(3)]
    assert check(runs, "CL502") == []


def test_weights_of_a_pure_ce_run_are_not_compared(write_run):
    soft = with_config(write_run(soft_ce(0), "soft"))
    pure = with_config(
        write_run({"eval/coord_diag/soft_ce": series(4.8)}, "pure"),
        CFG_SOFTCE_ENABLED=False,
        CFG_CE_WEIGHT=0.0,
        CFG_SOFT_CE_WEIGHT=0.0,
    )
    assert check([soft, pure], "CL502") == []
    pure.config = {**pure.config, m.CFG_TARGET_SIGMA: 1.5}  # the diagnostic's target differs
    flagged = check([soft, pure], "CL502")
    assert {f.data["keys"] for f in flagged} == {m.CFG_TARGET_SIGMA}


def test_unknown_keys_are_not_compared(write_run):
    a = with_config(write_run(soft_ce(0), "a"))
    b = write_run(soft_ce(1), "b")
    b.config = {m.CFG_TEMPERATURE: 1.0}
    assert check([a, b], "CL502") == []


def test_without_configs_not_applicable(write_run, outcomes):
    runs = [write_run(soft_ce(s), f"r{s}") for s in range(2)]
    assert {o.status for o in outcomes(runs, "CL502").values()} == {"skipped"}


def test_without_soft_ce_metrics_not_applicable(write_run, outcomes):
    runs = [with_config(write_run({"eval/loss": series(1.0)}, n)) for n in "ab"]
    runs[1].config = {**runs[1].config, m.CFG_TARGET_SIGMA: 1.0}
    assert {o.status for o in outcomes(runs, "CL502").values()} == {"skipped"}


def test_float32_rounded_values_are_the_same_setting(write_run):
    # One run's tooling wrote its config through float32: 0.9 -> 0.8999999761581421.
    a = with_config(write_run(soft_ce(0), "a"), CFG_GATE_WEIGHT=0.9)
    b = with_config(write_run(soft_ce(1), "b"), CFG_GATE_WEIGHT=float(np.float32(0.9)))
    assert float(np.float32(0.9)) != 0.9
    assert check([a, b], "CL502") == []


def test_less_than_half_a_float32_step_apart_is_the_same_setting(write_run):
    a = with_config(write_run(soft_ce(0), "a"), CFG_TARGET_SIGMA=2.0)
    b = with_config(write_run(soft_ce(1), "b"), CFG_TARGET_SIGMA=2.0 + 1e-8)
    assert check([a, b], "CL502") == []


def test_one_float32_step_apart_differs(write_run):
    step_up = float(np.nextafter(np.float32(0.9), np.float32(1.0)))
    a = with_config(write_run(soft_ce(0), "a"), CFG_GATE_WEIGHT=0.9)
    b = with_config(write_run(soft_ce(1), "b"), CFG_GATE_WEIGHT=step_up)
    findings = check([a, b], "CL502")
    assert sorted(f.run for f in findings) == ["a", "b"]
    assert {f.data["keys"] for f in findings} == {m.CFG_GATE_WEIGHT}
