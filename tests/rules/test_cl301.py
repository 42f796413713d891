"""CL301 slow-vocab-confinement: coord-vocab mass reaching 0.99 late, or never."""

from __future__ import annotations

import numpy as np
import pytest

from coordlint.testing import check

STEPS = np.arange(40, 1201, 40)
TAG = "eval/coord_diag/coord_vocab_mass"


def logistic_rise(at40, reach_step, steps=STEPS, ceiling=0.9995):
    """Logit-linear rise from ``at40`` at step 40 to exactly 0.99 at ``reach_step``, capped."""
    z40, z99 = np.log(at40 / (1 - at40)), np.log(0.99 / 0.01)
    z = z40 + (z99 - z40) * (steps - 40.0) / (reach_step - 40.0)
    return np.minimum(1 / (1 + np.exp(-z)), ceiling)


def series(values, steps=STEPS):
    return dict(zip(steps.tolist(), np.asarray(values).tolist(), strict=True))


def test_late_confinement_warns(write_run):
    values = logistic_rise(0.06, 600)
    (finding,) = check(write_run({TAG: series(values)}), "CL301")
    assert finding.severity.name == "WARNING"
    # The curve crosses 0.99 exactly at step 600 (float32 rounding may push it one eval later).
    assert finding.data["reached_step"] in (600, 640)
    assert finding.data["threshold"] == 0.99
    assert finding.data["final"] == pytest.approx(0.9995, abs=1e-6)


def test_never_reached_is_an_error(write_run):
    values = np.minimum(logistic_rise(0.06, 600), 0.97)
    (finding,) = check(write_run({TAG: series(values)}), "CL301")
    assert finding.severity.name == "ERROR"
    assert finding.data["reached_step"] is None
    assert finding.data["final"] == pytest.approx(0.97, abs=1e-6)


def test_fast_confinement_is_clean(write_run):
    assert check(write_run({TAG: series(logistic_rise(0.06, 180))}), "CL301") == []


def test_noisy_fast_confinement_is_clean(write_run):
    rng = np.random.default_rng(0)
    values = logistic_rise(0.34, 190)
    late = STEPS > 200
    values[late] = np.clip(0.995 + 0.004 * rng.standard_normal(late.sum()), 0.9, 0.9999)
    assert check(write_run({TAG: series(values)}), "CL301") == []


def test_by_step_param(write_run):
    run = write_run({TAG: series(logistic_rise(0.06, 600))})
    assert check(run, "CL301", params={"CL301": {"by_step": 800}}) == []


def test_run_ending_before_by_step_is_not_judged(write_run):
    steps = np.arange(40, 161, 40)
    values = logistic_rise(0.06, 600, steps=steps)
    assert check(write_run({TAG: series(values, steps)}), "CL301") == []


def test_softce_block_tag_is_preferred(write_run):
    run = write_run(
        {
            "eval/coord_softce_w1/coord_vocab_mass": series(logistic_rise(0.06, 600)),
            TAG: series(logistic_rise(0.06, 120)),
        }
    )
    (finding,) = check(run, "CL301")
    assert finding.tag == "eval/coord_softce_w1/coord_vocab_mass"


def test_missing_tag_is_not_applicable(write_run, outcomes):
    run = write_run({"eval/coord_diag/soft_ce": series(np.full(len(STEPS), 3.5))})
    assert outcomes(run, "CL301")["run"].status == "skipped"
