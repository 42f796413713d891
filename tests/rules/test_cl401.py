"""CL401 bin-mae-not-converged: a robust late trend fires; noisy plateaus and outliers do not."""

from __future__ import annotations

import numpy as np
import pytest

from coordlint.testing import check, make_run

STEPS = np.arange(40, 2001, 40)
TAG = "eval/coord_diag/expected_bin_mae"


def approach(start=143.0, final=20.9, tau=85.0, steps=STEPS):
    return final + (start - final) * np.exp(-(steps - 40.0) / tau)


def series(values, steps=STEPS):
    return dict(zip(steps.tolist(), np.asarray(values).tolist(), strict=True))


def noisy(values, rng, sd):
    return np.asarray(values) * (1 + sd * rng.standard_normal(len(values)))


def test_fires_while_still_falling(write_run):
    values = approach(tau=900.0)  # still ~2.4 bins/quarter of downhill at the end
    run = write_run({TAG: series(values)})
    (finding,) = check(run, "CL401")
    assert finding.severity.name == "WARNING"
    assert finding.data["final"] == pytest.approx(values[-1], rel=1e-6)
    # The exact change over the last quarter of the noiseless curve (13 evals: 1520..2000).
    expected = values[-1] - values[-13]
    assert finding.data["change"] == pytest.approx(expected, rel=0.15)
    assert finding.data["change"] < 0
    assert "falling" in finding.message


def test_fires_when_rising_at_the_end(write_run):
    values = approach()
    values[STEPS > 1500] *= np.linspace(1.0, 1.12, int((STEPS > 1500).sum()))
    (finding,) = check(write_run({TAG: series(values)}), "CL401")
    assert finding.data["change"] > 0
    assert "rising" in finding.message


def test_clean_converged(write_run):
    assert check(write_run({TAG: series(approach())}), "CL401") == []


@pytest.mark.parametrize("seed", range(3))
def test_noisy_plateau_event_files(write_run, seed):
    values = noisy(approach(), np.random.default_rng(seed), 0.01)
    assert check(write_run({TAG: series(values)}), "CL401") == []


def test_noisy_plateaus_do_not_cry_wolf():
    # 1% eval noise (three times what the real metric shows) on 200 converged runs: no alarm.
    rng = np.random.default_rng(7)
    runs = [make_run({TAG: series(noisy(approach(), rng, 0.01))}, name=f"r{i}") for i in range(200)]
    assert check(runs, "CL401") == []


def test_endpoint_outliers_do_not_fire(write_run):
    # A noisy pair of endpoints would "show" a 15% drop; the robust slope ignores them.
    values = noisy(approach(), np.random.default_rng(11), 0.003)
    values[-13] *= 1.15
    values[-1] *= 0.97
    assert check(write_run({TAG: series(values)}), "CL401") == []


def test_rel_tol_param_is_honoured():
    run = make_run({TAG: series(approach(tau=900.0))})
    assert check(run, "CL401", params={"CL401": {"rel_tol": 0.5}}) == []


def test_too_few_evals_is_silent():
    run = make_run({TAG: {40: 100.0, 80: 50.0, 120: 30.0}})
    assert check(run, "CL401") == []


def test_missing_tag_is_not_applicable(write_run, outcomes):
    run = write_run({"eval/loss": series(np.linspace(2, 1, 50))})
    assert outcomes(run, "CL401")["run"].status == "skipped"


def test_resumed_run_latest_write_wins_clean(resumed_run):
    # The first attempt was still falling at step 2000; the resume from step 1000 rewrote the
    # second half with a converged curve.
    late = STEPS[STEPS >= 1000]
    run = resumed_run(
        {TAG: series(approach(tau=900.0))}, {TAG: series(np.full(len(late), 21.0), late)}
    )
    assert run.rewritten.get(TAG, 0) > 0
    assert check(run, "CL401") == []


def test_resumed_run_trend_after_resume_fires(resumed_run):
    late = STEPS[STEPS >= 1400]
    rising = np.linspace(21.0, 26.0, len(late))
    run = resumed_run({TAG: series(approach())}, {TAG: series(rising, late)})
    assert run.rewritten.get(TAG, 0) > 0
    (finding,) = check(run, "CL401")
    assert finding.data["final"] == pytest.approx(26.0, rel=1e-6)
    assert finding.data["change"] > 0
