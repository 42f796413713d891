"""CL602 slower-than-reference: a milestone reached later than the references, on hand-made
curves (two references reaching it together: the limit is one eval interval after them)."""

from __future__ import annotations

import math

import pytest

from coordlint.testing import check, make_reference, make_run

MASS = "eval/coord_diag/coord_vocab_mass"
SOFT = "eval/coord_diag/soft_ce"
STEPS = list(range(100, 1100, 100))


def confining(reach, steps=STEPS):
    """0.5 before ``reach``, 0.99 at it, 0.995 after."""
    return {s: (0.5 if s < reach else (0.99 if s == reach else 0.995)) for s in steps}


def ref(name, values, tag=MASS):
    return make_reference(make_run({tag: values}, name=name))


REFS = [ref("a", confining(200)), ref("b", confining(200))]


def cand(values, tag=MASS):
    return make_run({tag: values}, name="cand")


def test_late_confinement_names_the_step_and_the_limit():
    (finding,) = check(cand(confining(600)), "CL602", references=REFS)
    assert finding.message == (
        "confinement (eval/coord_diag/coord_vocab_mass >= 0.99) reached at step 600, later than "
        "the references (mean 200 over 2, latest 200; limit 300): this run trains slower than "
        "its references; check the gate weight, the coord vocabulary and the learning rate"
    )
    assert (finding.severity.name, finding.tag, finding.step) == ("WARNING", MASS, 600)
    assert finding.data == {
        "milestone": "confinement",
        "threshold": 0.99,
        "reached_step": 600.0,
        "references_mean": 200.0,
        "limit": 300.0,
        "references": 2,
    }
    assert finding.band is not None and finding.series is not None


def test_reaching_it_at_the_limit_is_in_time_and_the_crossing_is_interpolated():
    assert check(cand(confining(300)), "CL602", references=REFS) == []
    values = confining(400) | {300: 0.98, 400: 0.995}  # 0.99 at 366.7
    (finding,) = check(cand(values), "CL602", references=REFS)
    assert finding.data["reached_step"] == pytest.approx(366.7)
    assert finding.step == 367 and "reached at step 367," in finding.message


def test_never_reached_counts_once_the_run_is_past_the_limit():
    short = {100: 0.9, 200: 0.9, 300: 0.9}
    assert check(cand(short), "CL602", references=REFS) == []
    (finding,) = check(cand(short | {400: 0.9}), "CL602", references=REFS)
    assert finding.message.startswith(
        "confinement (eval/coord_diag/coord_vocab_mass >= 0.99) never reached by step 400 "
        "(last 0.9), later than the references"
    )
    assert finding.step is None and finding.data["reached_step"] is None


def test_a_milestone_some_reference_never_reached_is_not_judged():
    refs = [REFS[0], ref("never", dict.fromkeys(STEPS, 0.9))]
    assert check(cand(confining(900)), "CL602", references=refs) == []


def test_a_run_starting_confined_reaches_it_at_its_first_eval():
    refs = [ref("a", confining(100)), ref("b", confining(100))]
    assert check(cand(confining(100)), "CL602", references=refs) == []
    (finding,) = check(cand(confining(300)), "CL602", references=refs)
    assert (finding.data["references_mean"], finding.data["limit"]) == (100.0, 200.0)


def test_the_limit_widens_with_the_coarser_eval_grid():
    coarse = confining(400, steps=list(range(200, 1100, 200)))
    assert check(cand(coarse), "CL602", references=REFS) == []  # one 200-step eval after 200


def test_from_five_references_the_earliest_and_latest_are_dropped_from_the_mean():
    refs = [ref(str(i), confining(r)) for i, r in enumerate((100, 200, 200, 200, 900))]
    (finding,) = check(cand(confining(400)), "CL602", references=refs, params={"CL602": {"k": 0}})
    assert finding.data["references_mean"] == 200.0 and finding.data["limit"] == 300.0
    assert "(mean 200 over 5, latest 900; limit 300)" in finding.message


def test_params_move_the_limit_and_the_level():
    params = {"CL602": {"rtol": 2.0}}  # 2 x 200: the limit is 600
    assert check(cand(confining(600)), "CL602", references=REFS, params=params) == []
    values = confining(600) | {300: 0.96}
    (finding,) = check(
        cand(values), "CL602", references=REFS, params={"CL602": {"mass_threshold": 0.95}}
    )
    assert finding.data["threshold"] == 0.95 and "(eval/coord_diag/coord_vocab_mass >= 0.95)" in (
        finding.message
    )


def decaying(tau, final=4.0):
    return {s: final + 4.0 * math.exp(-s / tau) for s in STEPS}


def test_a_slow_soft_ce_is_judged_near_the_references_final_level():
    refs = [ref(n, decaying(100), tag=SOFT) for n in "ab"]
    assert check(cand(decaying(100), tag=SOFT), "CL602", references=refs) == []
    (finding,) = check(cand(decaying(300), tag=SOFT), "CL602", references=refs)
    # it ends at 4.143, above the references' 4.0002: its own last eval, x 1.05, is the level
    level = (4.0 + 4.0 * math.exp(-1000 / 300)) * 1.05
    assert finding.data["milestone"] == "soft_ce"
    assert finding.data["threshold"] == pytest.approx(level)
    assert finding.message.startswith(f"soft_ce (eval/coord_diag/soft_ce <= {level:.4g}) reached")
    within = {"CL602": {"soft_ce_within": 0.2}}
    (wide,) = check(cand(decaying(300), tag=SOFT), "CL602", references=refs, params=within)
    assert wide.data["threshold"] == pytest.approx((4.0 + 4.0 * math.exp(-1000 / 300)) * 1.2)


def test_a_soft_ce_ending_lower_is_judged_at_the_references_level():
    refs = [ref(n, decaying(100), tag=SOFT) for n in "ab"]
    (finding,) = check(cand(decaying(400, final=3.0), tag=SOFT), "CL602", references=refs)
    target = 4.0 + 4.0 * math.exp(-1000 / 100)
    assert finding.data["threshold"] == pytest.approx(target * 1.05, rel=1e-6)


def test_a_reference_logging_the_other_block_is_not_a_holder():
    refs = [ref("a", confining(200), tag="eval/coord_softce_w1/coord_vocab_mass")]
    assert check(cand(confining(900)), "CL602", references=refs) == []


def test_a_plateau_exactly_at_the_threshold_is_reached():
    values = confining(300) | dict.fromkeys(range(300, 1100, 100), 0.99)
    assert check(cand(values), "CL602", references=REFS) == []  # reached at 300: the limit


def test_a_single_eval_and_two_evals_have_the_interval_they_show():
    assert check(cand({250: 0.995}), "CL602", references=REFS) == []  # reached at 250
    two = {300: 0.985, 600: 0.995}  # every 300 steps: the limit is 200 + 300; reached at 450
    assert check(cand(two), "CL602", references=REFS) == []
