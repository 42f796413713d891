"""CL301 slow-vocab-confinement: coord-vocab mass reaching 0.99 late, or never."""

from __future__ import annotations

import numpy as np
import pytest

from coordlint.testing import check, make_run

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


def test_grid_that_cannot_decide_is_info_with_the_bracketing_evals(write_run):
    # Confined at step 150, evals every 110 steps: 110 (below) and 220 (above) bracket step 200.
    steps = np.arange(110, 1101, 110)
    values = logistic_rise(0.06, 150, steps=steps)
    (finding,) = check(write_run({TAG: series(values, steps)}), "CL301")
    assert finding.severity.name == "INFO"
    assert (finding.data["before_step"], finding.data["reached_step"]) == (110, 220)
    assert "step 110" in finding.message and "step 220" in finding.message


@pytest.mark.parametrize(("before", "severity"), [(200, "WARNING"), (199, "INFO")])
def test_eval_at_by_step_still_below_is_the_boundary(before, severity):
    # Below the threshold at `before`, reached at 300: late for sure only if `before` >= 200.
    run = make_run({TAG: {100: 0.5, before: 0.98, 300: 0.995, 400: 0.996}})
    (finding,) = check(run, "CL301")
    assert finding.severity.name == severity
    assert finding.data["reached_step"] == 300


def test_reaching_the_threshold_exactly_at_by_step_is_in_time():
    run = make_run({TAG: {100: 0.5, 200: 0.99, 300: 0.995}})
    assert check(run, "CL301") == []


def test_exactly_the_threshold_counts_as_reached():
    run = make_run({TAG: {100: 0.5, 200: 0.98, 300: 0.99, 400: 0.98}})
    (finding,) = check(run, "CL301")
    assert finding.data["reached_step"] == 300


def test_first_eval_past_by_step_already_confined_is_info():
    run = make_run({TAG: {250: 0.995, 500: 0.998}})
    (finding,) = check(run, "CL301")
    assert finding.severity.name == "INFO"
    assert finding.data["before_step"] is None
    assert "no eval before it" in finding.message


@pytest.mark.parametrize(("last", "expected"), [(200, ["ERROR"]), (199, [])])
def test_never_reached_needs_an_eval_at_or_after_by_step(last, expected):
    run = make_run({TAG: {100: 0.5, last: 0.97}})
    assert [f.severity.name for f in check(run, "CL301")] == expected


def test_the_late_message_names_the_eval_still_below_and_the_crossing():
    (finding,) = check(make_run({TAG: {100: 0.5, 250: 0.98, 300: 0.995, 400: 0.996}}), "CL301")
    assert finding.message == (
        f"{TAG} was still 0.98 at step 250 and first reached 0.99 at step 300, after step 200 "
        "(final 0.996): coord-vocab confinement is slow; check the gate weight and the "
        "coord-token vocabulary, and watch the flip rate (CL302)"
    )
    assert (finding.tag, finding.step, finding.severity.name) == (TAG, 300, "WARNING")
    assert finding.data == {"threshold": 0.99, "final": 0.996, "reached_step": 300}
    assert finding.series is not None


def test_the_never_message_gives_the_final_and_the_max():
    (finding,) = check(make_run({TAG: {100: 0.5, 200: 0.97, 300: 0.96}}), "CL301")
    assert finding.message == (
        f"{TAG} never reached 0.99 (final 0.96 at step 300, max 0.97): coord positions keep "
        "mass on non-coord tokens; check the gate weight, the coord-token vocabulary and the "
        "box format of the data"
    )
    assert (finding.tag, finding.step, finding.severity.name) == (TAG, None, "ERROR")
    assert finding.data == {"threshold": 0.99, "final": 0.96, "reached_step": None}
    assert finding.series is not None


def test_the_cannot_tell_message_gives_both_evals():
    (finding,) = check(make_run({TAG: {100: 0.5, 300: 0.995, 400: 0.996}}), "CL301")
    assert finding.message == (
        f"{TAG} reached 0.99 between the evals around step 200 (0.5 at step 100; 0.995 at step "
        "300): the eval grid cannot tell whether confinement came before step 200"
    )
    assert (finding.tag, finding.step, finding.severity.name) == (TAG, 300, "INFO")
    assert finding.series is not None
    assert finding.data == {
        "threshold": 0.99,
        "final": 0.996,
        "reached_step": 300,
        "before_step": 100,
    }
