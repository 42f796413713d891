"""CL302 coord-leakage: the final flip rate of coord positions to non-coord tokens."""

from __future__ import annotations

import numpy as np
import pytest

from coordlint.testing import check, make_run

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


def test_the_message_gives_the_final_value_and_the_median_it_was_judged_on():
    run = make_run({TAG: {100: 0.01, 200: 0.002, 300: 0.004, 400: 0.003}})
    (finding,) = check(run, "CL302")
    assert finding.message == (
        f"{TAG} ends at 0.003 at step 400 (median of the last evals 0.003 > 0.001): that share "
        "of ground-truth coord positions decodes to a non-coord token; check the gate weight, "
        "the coord vocabulary and the tokenizer's coord tokens"
    )
    assert (finding.tag, finding.step) == (TAG, 400)
    assert finding.data == {"final": 0.003, "max_flip": 0.001}


@pytest.mark.parametrize(("last", "fires"), [(0.001, False), (0.0011, True)])
def test_a_median_exactly_at_max_flip_is_clean(last, fires):
    run = make_run({TAG: {100: 0.01, 200: last, 300: last, 400: last}})
    assert len(check(run, "CL302")) == int(fires)


def test_last_n_sets_how_many_final_evals_the_median_takes():
    run = make_run({TAG: {100: 0.01, 200: 0.01, 300: 0.0, 400: 0.0}})
    assert check(run, "CL302") == []  # median of 0.01, 0, 0
    assert len(check(run, "CL302", params={"CL302": {"last_n": 4}})) == 1  # median 0.005
    (one,) = check(
        make_run({TAG: {100: 0.0, 200: 0.0, 300: 0.005}}), "CL302", params={"CL302": {"last_n": 0}}
    )
    assert one.data["final"] == 0.005  # 0 is taken as 1: the last eval alone
