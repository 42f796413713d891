"""CL502 coord-config-mismatch: soft-CE settings that differ between compared runs.

Each run is a real event file beside a real ``resolved_config.json`` (see ``write_run``).
"""

from __future__ import annotations

import numpy as np

from coordlint.rules import _coord as m
from coordlint.testing import check, make_run

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


def config(**changes):
    return {**BASE, **{getattr(m, k): v for k, v in changes.items()}}


def test_two_runs_differing_in_sigma_are_both_flagged(write_run):
    a = write_run(soft_ce(0), "a", config=config())
    b = write_run(soft_ce(1, 2.9), "b", config=config(CFG_TARGET_SIGMA=1.0))
    findings = check([a, b], "CL502")
    assert sorted(f.run for f in findings) == ["a", "b"]
    for f in findings:
        assert f.severity.name == "WARNING"
        assert f.data["keys"] == m.CFG_TARGET_SIGMA
        assert "target_sigma" in f.message


def test_the_odd_run_out_is_flagged(write_run):
    runs = [write_run(soft_ce(s), n, config=config()) for s, n in enumerate("ab")]
    odd = config(CFG_TEMPERATURE=2.0, CFG_W1_WEIGHT=1.0)
    runs.append(write_run(soft_ce(2), "c", config=odd))
    (finding,) = check(runs, "CL502")
    assert finding.run == "c"
    assert set(finding.data["keys"].split(", ")) == {m.CFG_TEMPERATURE, m.CFG_W1_WEIGHT}


def test_equal_configs_noisy_curves_are_clean(write_run):
    runs = [write_run(soft_ce(s, 3.5 + s), f"r{s}", config=config()) for s in range(3)]
    assert check(runs, "CL502") == []


def test_weights_of_a_pure_ce_run_are_not_compared(write_run):
    soft = write_run(soft_ce(0), "soft", config=config())
    pure_ce = {"CFG_SOFTCE_ENABLED": False, "CFG_CE_WEIGHT": 0.0, "CFG_SOFT_CE_WEIGHT": 0.0}
    diag = {"eval/coord_diag/soft_ce": series(4.8)}
    pure = write_run(diag, "pure", config=config(**pure_ce))
    assert check([soft, pure], "CL502") == []
    # the diagnostic's target differs
    pure = write_run(diag, "pure2", config=config(**pure_ce, CFG_TARGET_SIGMA=1.5))
    flagged = check([soft, pure], "CL502")
    assert {f.data["keys"] for f in flagged} == {m.CFG_TARGET_SIGMA}


def test_unknown_keys_are_not_compared(write_run):
    a = write_run(soft_ce(0), "a", config=config())
    b = write_run(soft_ce(1), "b", config={m.CFG_TEMPERATURE: 1.0})
    assert check([a, b], "CL502") == []


def test_without_configs_not_applicable(write_run, outcomes):
    runs = [write_run(soft_ce(s), f"r{s}") for s in range(2)]
    assert {o.status for o in outcomes(runs, "CL502").values()} == {"skipped"}


def test_without_soft_ce_metrics_not_applicable(write_run, outcomes):
    runs = [
        write_run({"eval/loss": series(1.0)}, "a", config=config()),
        write_run({"eval/loss": series(1.0)}, "b", config=config(CFG_TARGET_SIGMA=1.0)),
    ]
    assert {o.status for o in outcomes(runs, "CL502").values()} == {"skipped"}


def test_float32_rounded_values_are_the_same_setting(write_run):
    # One run's tooling wrote its config through float32: 0.9 -> 0.8999999761581421.
    a = write_run(soft_ce(0), "a", config=config(CFG_GATE_WEIGHT=0.9))
    b = write_run(soft_ce(1), "b", config=config(CFG_GATE_WEIGHT=float(np.float32(0.9))))
    assert float(np.float32(0.9)) != 0.9
    assert check([a, b], "CL502") == []


def test_less_than_half_a_float32_step_apart_is_the_same_setting(write_run):
    a = write_run(soft_ce(0), "a", config=config(CFG_TARGET_SIGMA=2.0))
    b = write_run(soft_ce(1), "b", config=config(CFG_TARGET_SIGMA=2.0 + 1e-8))
    assert check([a, b], "CL502") == []


def test_one_float32_step_apart_differs(write_run):
    step_up = float(np.nextafter(np.float32(0.9), np.float32(1.0)))
    a = write_run(soft_ce(0), "a", config=config(CFG_GATE_WEIGHT=0.9))
    b = write_run(soft_ce(1), "b", config=config(CFG_GATE_WEIGHT=step_up))
    findings = check([a, b], "CL502")
    assert sorted(f.run for f in findings) == ["a", "b"]
    assert {f.data["keys"] for f in findings} == {m.CFG_GATE_WEIGHT}


def _run(name, **config):
    flat = {f"coord_soft_ce_w1.{k}": v for k, v in config.items()}
    return make_run({"eval/coord_diag/soft_ce": {100: 4.0, 200: 3.9}}, name=name, config=flat)


def test_the_message_names_each_differing_key_and_the_other_values():
    runs = [
        _run("a", target_sigma=2.0, temperature=1.0),
        _run("b", target_sigma=2.0, temperature=1.0),
        _run("c", target_sigma=1.0, temperature=3.0),
    ]
    (finding,) = check(runs, "CL502")
    assert finding.message == (
        "soft-CE settings differ from the other compared runs: temperature is 3.0 here but 1.0 "
        "in a, 1.0 in b; target_sigma is 1.0 here but 2.0 in a, 2.0 in b; compare "
        "soft-CE-family curves' shapes, not their levels, across these runs"
    )
    assert (finding.run, finding.severity.name) == ("c", "WARNING")
    assert finding.data == {
        "keys": "coord_soft_ce_w1.temperature, coord_soft_ce_w1.target_sigma",
        "other_runs": "a, b",
    }


def test_a_tie_flags_every_run_and_runs_that_do_not_say_are_not_compared():
    runs = [_run("a", target_sigma=2.0), _run("b", target_sigma=1.0), _run("c")]
    found = {f.run: f.data for f in check(runs, "CL502")}
    assert set(found) == {"a", "b"}
    assert found["a"] == {"keys": "coord_soft_ce_w1.target_sigma", "other_runs": "b"}


def test_fewer_than_two_comparable_runs_say_why(outcomes):
    outcome = outcomes([_run("a", target_sigma=2.0), _run("b")], "CL502")["a"]
    assert outcome.status == "skipped"
    assert outcome.reason == "fewer than two runs with soft-CE metrics and a config"
