"""CL302 coord-leakage: the final flip rate of coord positions to non-coord tokens."""

from __future__ import annotations

import numpy as np
import pytest

from coordlint.testing import check

STEPS = np.arange(40, 1201, 40)
TAG = "eval/coord_monitor/flip_coord_to_noncoord"
POSITIONS = 11788


def series(values, steps=STEPS):
    return dict(zip(steps.tolist(), np.asarray(values).tolist(), strict=True))


def decaying_flips(rng, final_rate):
    """Flip counts decaying from ~200 at step 40 towards ``final_rate`` × positions."""
    rate = 200 * np.exp(-(STEPS - 40.0) / 45.0) + final_rate * POSITIONS
    return rng.poisson(rate) / POSITIONS


def test_leaking_run_warns(write_run):
    values = decaying_flips(np.random.default_rng(0), 0.004)
    (finding,) = check(write_run({TAG: series(values)}), "CL302")
    assert finding.severity.name == "WARNING"
    assert finding.data["final"] == pytest.approx(values[-1], rel=1e-6)
    assert finding.data["final"] > 1e-3
    assert finding.data["max_flip"] == 1e-3


def test_legacy_tag_is_read(write_run):
    values = decaying_flips(np.random.default_rng(1), 0.004)
    (finding,) = check(write_run({"eval/flip_coord_to_noncoord": series(values)}), "CL302")
    assert finding.tag == "eval/flip_coord_to_noncoord"


def test_clean_run(write_run):
    values = np.zeros(len(STEPS))
    values[:3] = [0.01, 0.002, 0.0005]
    assert check(write_run({TAG: series(values)}), "CL302") == []


def test_noisy_clean_run_with_a_final_spike(write_run):
    values = decaying_flips(np.random.default_rng(2), 0.4 / POSITIONS)
    values[-1] = 0.0015  # one noisy final eval above max_flip: the median of the last 3 is not
    assert check(write_run({TAG: series(values)}), "CL302") == []


def test_max_flip_param(write_run):
    values = decaying_flips(np.random.default_rng(3), 0.004)
    assert (
        check(write_run({TAG: series(values)}), "CL302", params={"CL302": {"max_flip": 0.01}}) == []
    )


def test_missing_tag_is_not_applicable(write_run, outcomes):
    run = write_run({"eval/coord_diag/soft_ce": series(np.full(len(STEPS), 3.5))})
    assert outcomes(run, "CL302")["run"].status == "skipped"
