"""CL303 coord-confinement-lost: mass that reached the threshold and later stayed below it."""

from __future__ import annotations

import numpy as np
import pytest

from coordlint.testing import check, make_run

STEPS = np.arange(40, 2001, 40)
TAG = "eval/coord_diag/coord_vocab_mass"
SOFTCE = "eval/coord_softce_w1/coord_vocab_mass"


def confined(steps=STEPS, reach=160, level=0.996):
    """Logit-linear rise from 0.1 at step 0 through 0.99 at ``reach``, capped at ``level``."""
    z = np.log(0.1 / 0.9) + (np.log(99.0) - np.log(0.1 / 0.9)) * steps / reach
    return np.minimum(1 / (1 + np.exp(-z)), level)


def series(values, steps=STEPS):
    return dict(zip(steps.tolist(), np.asarray(values).tolist(), strict=True))


def lost_from(step, final=0.97, steps=STEPS):
    values = confined(steps)
    values[steps >= step] = final
    return values


def test_loss_fires_with_the_step_and_levels(write_run):
    values = lost_from(1400)
    values[-1] = 0.975
    (finding,) = check(write_run({TAG: series(values)}), "CL303")
    assert finding.severity.name == "WARNING"
    assert finding.step == finding.data["lost_step"] == 1400
    assert finding.data["reached_step"] == 160
    assert finding.data["evals_below"] == len(STEPS[STEPS >= 1400])
    assert finding.data["final"] == pytest.approx(0.975, abs=1e-6)
    assert finding.data["lowest"] == pytest.approx(0.97, abs=1e-6)
    assert finding.data["threshold"] == 0.99
    assert "step 1400" in finding.message


@pytest.mark.parametrize(("evals_below", "fires"), [(3, True), (2, False)])
def test_sustain_boundary(evals_below, fires):
    values = lost_from(int(STEPS[-evals_below]))
    assert bool(check(make_run({TAG: series(values)}), "CL303")) == fires


def test_sustain_param():
    values = lost_from(int(STEPS[-3]))
    run = make_run({TAG: series(values)})
    assert check(run, "CL303", params={"CL303": {"sustain": 4}}) == []
    assert len(check(run, "CL303", params={"CL303": {"sustain": 3}})) == 1


def test_one_or_two_bad_evals_in_the_middle_do_not_fire():
    values = confined()
    values[20] = 0.95
    values[30:32] = 0.96
    assert check(make_run({TAG: series(values)}), "CL303") == []


def test_back_above_at_the_last_eval_does_not_fire():
    values = lost_from(1400)
    values[-1] = 0.995
    assert check(make_run({TAG: series(values)}), "CL303") == []


def test_one_good_eval_inside_a_loss_does_not_end_it():
    # A single eval back at the threshold is noise: the loss still dates from its start.
    values = lost_from(1400)
    values[STEPS == 1600] = 0.992
    (finding,) = check(make_run({TAG: series(values)}), "CL303")
    assert finding.data["lost_step"] == 1400


def test_single_lucky_eval_is_not_confinement():
    # Never confined (CL301's finding): one eval at the threshold does not count as reached.
    values = np.minimum(confined(), 0.985)
    values[10] = 0.991
    assert check(make_run({TAG: series(values)}), "CL303") == []


def test_exactly_the_threshold_counts_as_confined():
    values = np.full(len(STEPS), 0.99)
    values[-5:] = 0.98
    (finding,) = check(make_run({TAG: series(values)}), "CL303")
    assert finding.data["lost_step"] == int(STEPS[-5])


def test_threshold_param():
    values = lost_from(1400, final=0.993)
    run = make_run({TAG: series(values)})
    assert check(run, "CL303") == []
    (finding,) = check(run, "CL303", params={"CL303": {"threshold": 0.995}})
    assert finding.data["threshold"] == 0.995


def test_softce_block_tag_is_preferred(write_run):
    run = write_run({SOFTCE: series(lost_from(1400)), TAG: series(confined())})
    (finding,) = check(run, "CL303")
    assert finding.tag == SOFTCE


def test_resumed_run_is_judged_on_the_latest_writes(resumed_run):
    # The first attempt lost confinement after step 1400; the resume from step 1200 held it.
    late = STEPS[STEPS >= 1200]
    run = resumed_run(
        {TAG: series(lost_from(1400))}, {TAG: series(np.full(len(late), 0.996), late)}
    )
    assert run.rewritten.get(TAG, 0) > 0
    assert check(run, "CL303") == []


def test_too_short_or_missing_is_silent(write_run, outcomes):
    assert check(make_run({TAG: {100: 0.995, 200: 0.97, 300: 0.97}}), "CL303") == []
    run = write_run({"eval/coord_diag/soft_ce": series(np.full(len(STEPS), 3.5))})
    assert outcomes(run, "CL303")["run"].status == "skipped"


def test_the_message_gives_when_it_was_reached_lost_and_how_low_it_went():
    values = {100: 0.5, 200: 0.995, 300: 0.996, 400: 0.995, 500: 0.98, 600: 0.97, 700: 0.975}
    (finding,) = check(make_run({TAG: values}), "CL303")
    assert finding.message == (
        f"{TAG} reached 0.99 at step 200 but fell below it from step 500 on (3 evals, to the "
        "end; lowest 0.97, final 0.975): coord-vocab confinement was lost; look for a "
        "learning-rate spike, a data change or an annealed gate weight near that step, and "
        "watch the flip rate (CL302)"
    )
    assert (finding.tag, finding.step, finding.severity.name) == (TAG, 500, "WARNING")
    assert finding.data == {
        "reached_step": 200,
        "lost_step": 500,
        "evals_below": 3,
        "lowest": 0.97,
        "final": 0.975,
        "threshold": 0.99,
    }
    assert finding.series is not None


def test_an_eval_exactly_at_the_threshold_among_the_last_is_not_below():
    values = {100: 0.5, 200: 0.995, 300: 0.996, 400: 0.98, 500: 0.99, 600: 0.98, 700: 0.98}
    assert check(make_run({TAG: values}), "CL303") == []
