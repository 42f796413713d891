"""CL603 final-below-reference: the last eval worse than every reference there, past the band."""

from __future__ import annotations

import math

import pytest

from coordlint.testing import check, make_reference, make_run

STEPS = range(100, 1100, 100)
ACC = "eval/coord_diag/acc_top5"  # higher is better


def ref(name, value, tag="eval/loss", steps=STEPS):
    values = value if isinstance(value, dict) else dict.fromkeys(steps, value)
    return make_reference(make_run({tag: values}, name=name))


REFS = [ref("ref-a", 1.0), ref("ref-b", 1.02), ref("ref-c", 0.99)]


def ending(final, tag="eval/loss", steps=STEPS):
    return make_run({tag: {s: (final if s == steps[-1] else 1.0) for s in steps}}, name="cand")


def test_a_final_eval_worse_than_every_reference_by_the_band():
    (finding,) = check(ending(1.5), "CL603", references=REFS)
    assert finding.message == (
        "eval/loss ends at 1.5 (step 1000), worse than every reference there (worst 1.02 in "
        "ref-b; median 1) by 0.48, 1.0 times the band's half-width 0.468: this run ends where "
        "none of its references did"
    )
    assert (finding.severity.name, finding.tag, finding.step) == ("WARNING", "eval/loss", 1000)
    data = dict(finding.data)
    assert data.pop("half_width") == pytest.approx(0.468, abs=5e-4)
    assert data.pop("excess") == pytest.approx(0.48 / data_half(finding))
    assert data == {
        "final": 1.5,
        "final_step": 1000,
        "worst_reference": 1.02,
        "worst_name": "ref-b",
        "center": 1.0,
        "references": 3,
    }
    assert finding.band is not None and finding.series is not None


def data_half(finding):
    return finding.data["half_width"]


@pytest.mark.parametrize(("final", "fires"), [(1.3125, True), (1.25, False)])
def test_past_the_worst_reference_by_more_than_the_half_width(final, fires):
    # one reference: the band is rtol x center only, 0.25 here; exactly 0.25 past is inside
    golden = [ref("golden", 1.0)]
    found = check(ending(final), "CL603", references=golden, params={"CL603": {"rtol": 0.25}})
    assert len(found) == int(fires)


def test_with_no_band_at_all_any_excess_fires_without_a_ratio():
    golden = [ref("golden", 1.0)]
    (finding,) = check(ending(1.5), "CL603", references=golden, params={"CL603": {"rtol": 0.0}})
    assert "(worst 1 in golden; value 1) by 0.5, past a band of zero width:" in finding.message
    assert finding.data["excess"] == "inf" and finding.data["half_width"] == 0


def test_higher_is_better_metrics_are_worse_below():
    refs = [ref(n, v, tag=ACC) for n, v in (("a", 0.5), ("b", 0.51), ("c", 0.49))]
    (finding,) = check(ending(0.1, tag=ACC), "CL603", references=refs)
    assert (finding.tag, finding.data["worst_name"], finding.data["worst_reference"]) == (
        ACC,
        "c",
        0.49,
    )
    assert "worse than every reference there (worst 0.49 in c; median 0.5) by 0.39" in (
        finding.message
    )
    assert check(ending(0.9, tag=ACC), "CL603", references=refs) == []


def test_a_better_final_loss_is_quiet():
    assert check(ending(0.5), "CL603", references=REFS) == []


def test_references_are_read_at_the_runs_last_step():
    # ref-early ended at 500 (its last eval counts), ref-late starts after the run ended
    early = ref("early", {100: 1.0, 500: 1.1})
    late = ref("late", {2000: 5.0, 3000: 5.0})
    between = ref("between", {100: 1.0, 2000: 2.0})  # 1.0 + 900/1900 at step 1000
    (finding,) = check(ending(3.0), "CL603", references=[early, late, between])
    assert finding.data["references"] == 2
    assert finding.data["worst_name"] == "between"
    assert finding.data["worst_reference"] == pytest.approx(1.0 + 900 / 1900)
    assert "mean" in finding.message  # two references there: their mean


def test_non_finite_evals_are_skipped_on_both_sides():
    run = make_run({"eval/loss": {**dict.fromkeys(STEPS, 1.0), 900: 1.5, 1000: math.nan}})
    refs = [ref("a", {**dict.fromkeys(STEPS, 1.0), 900: math.nan})]
    (finding,) = check(run, "CL603", references=refs)
    assert (finding.data["final_step"], finding.data["worst_reference"]) == (900, 1.0)


def test_only_coord_metrics_and_eval_loss_are_judged():
    refs = [ref("a", 1.0, tag="eval/other")]
    assert check(ending(9.0, tag="eval/other"), "CL603", references=refs) == []


def test_the_newer_soft_ce_block_is_judged_and_tag_overrides_apply():
    tag = "eval/coord_softce_w1/soft_ce"
    refs = [ref("a", 1.0, tag=tag)]
    (finding,) = check(ending(1.5, tag=tag), "CL603", references=refs)
    assert finding.tag == tag
    wide = {"CL603": {"tag_overrides": {"*soft_ce": {"atol": 0.6}}}}
    assert check(ending(1.5, tag=tag), "CL603", references=refs, params=wide) == []


def test_a_reference_starting_at_the_runs_last_step_counts():
    starts_there = ref("there", {1000: 1.0, 2000: 1.0})
    (finding,) = check(ending(3.0), "CL603", references=[starts_there])
    assert finding.data["worst_name"] == "there" and finding.data["references"] == 1


def test_a_tag_with_no_finite_eval_is_not_judged():
    run = make_run({"eval/loss": dict.fromkeys(STEPS, math.nan)}, name="cand")
    assert check(run, "CL603", references=REFS) == []
